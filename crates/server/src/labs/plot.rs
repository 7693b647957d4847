//! A lab test's trend as an SVG image, drawn on the server: the values over time joined by a
//! line, the reference range as a band, and each result outside it marked in red and as a
//! diamond (so it reads without colour too). Sized by its view box, so it scales to the width of
//! a phone; every point names its date and value in a tooltip, and the image's title and
//! description say in words what it shows.

use std::fmt::Write as _;

use chrono::NaiveDateTime;
use medvault_domain::labs::Interpretation;

use crate::web::dates::{Day, Minute};

/// One result on the plot.
pub struct Point {
    pub at: NaiveDateTime,
    pub value: f64,
    pub interpretation: Option<Interpretation>,
}

/// What a plot is of.
pub struct Series<'a> {
    pub test: &'a str,
    pub unit: &'a str,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub points: &'a [Point],
}

// Drawn small and lettered large, so that scaled to a phone's width the labels still read at
// about 10 px.
const WIDTH: f64 = 420.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 18.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 38.0;

/// Text made safe inside SVG or HTML markup.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as a label: as many decimals as its size needs, no trailing zeros.
pub fn label(value: f64) -> Label {
    Label(value)
}

/// A number written as [`label`] says, straight into what is being written: a chart page
/// labels a few hundred values.
pub struct Label(f64);

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Label(value) = *self;
        let decimals = match value.abs() {
            v if v >= 100.0 => 0,
            v if v >= 10.0 => 1,
            v if v >= 1.0 => 2,
            _ => 3,
        };
        match Fixed(value, decimals).digits() {
            Some(digits) => digits.without_trailing_zeros().write(f),
            None => {
                let text = Fixed(value, decimals).to_string();
                if text.contains('.') {
                    f.write_str(text.trim_end_matches('0').trim_end_matches('.'))
                } else {
                    f.write_str(&text)
                }
            }
        }
    }
}

/// A number to so many decimals, rounded half away from zero, written without the formatter's
/// exact mode (`{:.N}`), which for many values falls back to slow big-number arithmetic, and
/// without its padding and arguments: a chart page writes a thousand coordinates.
struct Fixed(f64, u32);

/// A number's digits: its whole part and `decimals` digits after the point.
struct Digits {
    negative: bool,
    whole: u64,
    part: u64,
    decimals: u32,
}

impl Fixed {
    /// The digits, or `None` beyond what an i64 holds exactly (never on a plot).
    fn digits(&self) -> Option<Digits> {
        let Fixed(value, decimals) = *self;
        let scale = 10_u64.pow(decimals);
        let scaled = (value * scale as f64).round();
        if !scaled.is_finite() || scaled.abs() >= 1e15 {
            return None;
        }
        let scaled = scaled as i64;
        Some(Digits {
            negative: scaled < 0,
            whole: scaled.unsigned_abs() / scale,
            part: scaled.unsigned_abs() % scale,
            decimals,
        })
    }
}

impl Digits {
    /// The same number with no zeros at the end of its decimals (nor the point, if all were).
    fn without_trailing_zeros(mut self) -> Self {
        while self.decimals > 0 && self.part.is_multiple_of(10) {
            self.part /= 10;
            self.decimals -= 1;
        }
        self
    }

    fn write(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut digits = itoa::Buffer::new();
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str(digits.format(self.whole))?;
        if self.decimals > 0 {
            let part = digits.format(self.part);
            f.write_str(".")?;
            for _ in part.len()..self.decimals as usize {
                f.write_str("0")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.digits() {
            Some(digits) => digits.write(f),
            // The formatter's own way.
            None => write!(f, "{:.prec$}", self.0, prec = self.1 as usize),
        }
    }
}

/// A coordinate, to a tenth of a pixel.
fn tenth(value: f64) -> Fixed {
    Fixed(value, 1)
}

/// Whether a point is outside what is expected: its interpretation says so, or, without one,
/// the range does.
fn is_abnormal(point: &Point, low: Option<f64>, high: Option<f64>) -> bool {
    match point.interpretation {
        Some(interpretation) => interpretation.is_abnormal(),
        None => Interpretation::of(point.value, low, high).is_some_and(Interpretation::is_abnormal),
    }
}

/// A "nice" step for about four ticks over `span`: 1, 2 or 5 times a power of ten.
fn tick_step(span: f64) -> f64 {
    let rough = span / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let fraction = rough / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The value axis: from a little below the lowest of the values and bounds to a little above
/// the highest, on tick boundaries.
fn value_axis(series: &Series) -> (f64, f64, f64) {
    let values = series
        .points
        .iter()
        .map(|p| p.value)
        .chain(series.low)
        .chain(series.high);
    let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = if max > min {
        max - min
    } else {
        min.abs().max(1.0)
    };
    let step = tick_step(span * 1.2);
    let bottom = ((min - span * 0.1) / step).floor() * step;
    let top = ((max + span * 0.1) / step).ceil() * step;
    (bottom, top, step)
}

/// The trend as a standalone SVG document.
pub fn svg(series: &Series) -> String {
    let mut out = String::with_capacity(1024 + 160 * series.points.len());
    let test = escape(series.test);
    let unit = escape(series.unit);
    let outside = series
        .points
        .iter()
        .filter(|p| is_abnormal(p, series.low, series.high))
        .count();
    let range = match (series.low, series.high) {
        (Some(low), Some(high)) => {
            format!("reference range {} to {} {unit}", label(low), label(high))
        }
        (Some(low), None) => format!("reference above {} {unit}", label(low)),
        (None, Some(high)) => format!("reference below {} {unit}", label(high)),
        (None, None) => "no reference range".to_owned(),
    };
    let description = match (series.points.first(), series.points.last()) {
        (Some(first), Some(last)) => format!(
            "{} results from {} to {}; {range}; {outside} outside it.",
            series.points.len(),
            Day(first.at),
            Day(last.at),
        ),
        _ => format!("No numeric results yet; {range}."),
    };
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="trend" font-family="system-ui, sans-serif" font-size="16"><title>{test} ({unit}) over time</title><desc>{description}</desc>"##
    );
    let (bottom, top, step) = value_axis(series);
    let plot_height = HEIGHT - TOP - BOTTOM;
    let plot_width = WIDTH - LEFT - RIGHT;
    let y = |v: f64| TOP + (top - v) / (top - bottom) * plot_height;
    let (first, last) = match (series.points.first(), series.points.last()) {
        (Some(first), Some(last)) => (first.at, last.at),
        _ => {
            out.push_str("</svg>");
            return out;
        }
    };
    let seconds = (last - first).num_seconds() as f64;
    let x = |at: NaiveDateTime| {
        if seconds <= 0.0 {
            LEFT + plot_width / 2.0
        } else {
            LEFT + (at - first).num_seconds() as f64 / seconds * plot_width
        }
    };
    // The reference band, clipped to the axis.
    if series.low.is_some() || series.high.is_some() {
        let band_top = y(series.high.unwrap_or(top).min(top));
        let band_bottom = y(series.low.unwrap_or(bottom).max(bottom));
        let _ = write!(
            out,
            r##"<rect x="{LEFT}" y="{}" width="{plot_width}" height="{}" fill="#e3f4ea"><title>{range}</title></rect>"##,
            tenth(band_top),
            tenth((band_bottom - band_top).max(0.0))
        );
    }
    // Grid lines as one path, then the value labels and the dates, lettered alike. The page
    // repeats this a dozen times, so what is shared is said once per group.
    let mut ticks = Vec::new();
    let mut tick = bottom;
    while tick <= top + step / 2.0 {
        ticks.push((tick, y(tick)));
        tick += step;
    }
    out.push_str(r#"<path d=""#);
    for (_, ty) in &ticks {
        let _ = write!(out, "M{LEFT} {}H{}", tenth(*ty), WIDTH - RIGHT);
    }
    out.push_str(r##"" stroke="#dde3ea"/><g fill="#5b6b7a"><g text-anchor="end">"##);
    for (tick, ty) in &ticks {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}">{}</text>"#,
            tenth(LEFT - 8.0),
            tenth(ty + 5.0),
            label(*tick)
        );
    }
    out.push_str("</g>");
    // Dates: the first and the last, and the middle when there is room.
    let mut dates = vec![(first, "start"), (last, "end")];
    if seconds > 0.0 && series.points.len() > 2 {
        dates.push((first + (last - first) / 2, "middle"));
    }
    if seconds <= 0.0 {
        dates = vec![(first, "middle")];
    }
    for (at, anchor) in dates {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
            tenth(x(at)),
            tenth(HEIGHT - 10.0),
            Day(at)
        );
    }
    out.push_str("</g>");
    // The line, then the points above it.
    out.push_str(r#"<polyline points=""#);
    for (n, point) in series.points.iter().enumerate() {
        let gap = if n == 0 { "" } else { " " };
        let _ = write!(out, "{gap}{},{}", tenth(x(point.at)), tenth(y(point.value)));
    }
    out.push_str(r##"" fill="none" stroke="#0f6e7a" stroke-width="2"/>"##);
    out.push_str(r##"<g fill="#0f6e7a">"##);
    for point in series.points {
        let (px, py) = (x(point.at), y(point.value));
        let abnormal = is_abnormal(point, series.low, series.high);
        let _ = if abnormal {
            // A diamond around the point, drawn from its top corner.
            write!(
                out,
                r##"<path d="M{} {}l8 8-8 8-8-8z" fill="#b42318" class="abnormal"><title>"##,
                tenth(px),
                tenth(py - 8.0),
            )
        } else {
            write!(
                out,
                r#"<circle cx="{}" cy="{}" r="5.5"><title>"#,
                tenth(px),
                tenth(py)
            )
        };
        // The tooltip: when, the value and, where there is one, its interpretation.
        let _ = write!(out, "{}: {} {unit}", Minute(point.at), label(point.value));
        let flag = point
            .interpretation
            .or_else(|| Interpretation::of(point.value, series.low, series.high));
        if let Some(flag) = flag {
            let _ = write!(out, " ({})", flag.as_str());
        }
        out.push_str(if abnormal {
            "</title></path>"
        } else {
            "</title></circle>"
        });
    }
    out.push_str("</g>");
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date")
    }

    #[test]
    fn the_plot_marks_what_is_outside_the_range_and_says_so_in_words() {
        let points = [
            Point {
                at: at(1),
                value: 5.2,
                interpretation: None,
            },
            Point {
                at: at(8),
                value: 6.9,
                interpretation: None,
            },
            Point {
                at: at(15),
                value: 5.4,
                interpretation: Some(Interpretation::Normal),
            },
        ];
        let drawn = svg(&Series {
            test: "HbA1c <test>",
            unit: "%",
            low: Some(4.0),
            high: Some(5.6),
            points: &points,
        });
        assert!(drawn.starts_with("<svg"));
        assert!(drawn.ends_with("</svg>"));
        assert_eq!(drawn.matches("class=\"abnormal\"").count(), 1);
        assert_eq!(drawn.matches("<circle").count(), 2);
        assert!(drawn.contains("HbA1c &lt;test&gt;"), "text is escaped");
        assert!(drawn.contains("3 results from 1 Mar 2026 to 15 Mar 2026"));
        assert!(drawn.contains("reference range 4 to 5.6 %; 1 outside it"));
        assert!(drawn.contains("6.9 % (high)"));
        assert!(!drawn.contains("<script"));
    }

    #[test]
    fn one_point_or_none_still_draws() {
        let one = [Point {
            at: at(1),
            value: 140.0,
            interpretation: None,
        }];
        let drawn = svg(&Series {
            test: "Sodium",
            unit: "mmol/L",
            low: None,
            high: None,
            points: &one,
        });
        assert!(drawn.contains("<circle"));
        assert!(!drawn.contains("NaN"));
        let none = svg(&Series {
            test: "Sodium",
            unit: "mmol/L",
            low: None,
            high: None,
            points: &[],
        });
        assert!(none.contains("No numeric results yet"));
    }

    #[test]
    fn labels_and_ticks_read_well() {
        assert_eq!(label(5.60).to_string(), "5.6");
        assert_eq!(label(140.0).to_string(), "140");
        assert_eq!(label(0.040).to_string(), "0.04");
        assert_eq!(label(-12.345).to_string(), "-12.3");
        assert_eq!(label(0.0005).to_string(), "0.001");
        assert_eq!(label(-0.5).to_string(), "-0.5");
        assert_eq!(label(0.0).to_string(), "0");
        assert_eq!(label(12.04).to_string(), "12");
        assert_eq!(label(1e20).to_string(), "100000000000000000000");
    }

    #[test]
    fn coordinates_are_written_as_to_a_tenth() {
        let written = [
            (0.0, "0.0"),
            (0.04, "0.0"),
            (1.25, "1.3"),
            (123.456, "123.5"),
            (-3.21, "-3.2"),
            (419.99, "420.0"),
            (1e20, "100000000000000000000.0"),
        ];
        for (value, text) in written {
            assert_eq!(tenth(value).to_string(), text, "{value}");
        }
        assert_eq!(Fixed(2.5, 0).to_string(), "3");
        assert_eq!(Fixed(-0.0625, 3).to_string(), "-0.063");
        assert_eq!(tick_step(10.0), 5.0);
        assert_eq!(tick_step(0.8), 0.2);
    }
}
