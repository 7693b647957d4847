//! Made-up lab reports: a patient's results for a random choice of catalogue analytes, in
//! conventional or SI units, some outside their range and flagged, laid out in one of four
//! layouts, with the ground truth of every row.

use medvault_domain::labs::{Analyte, CATALOGUE};
use serde::{Deserialize, Serialize};

use crate::pdf::Text;

/// One printed row, as it should be read back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TruthRow {
    pub code: String,
    pub printed_name: String,
    pub value: f64,
    pub unit: String,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// "low", "high" or none.
    pub flag: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Test, result, flag, units, reference range: a ruled table's columns.
    Table,
    /// Test, result with its flag, reference range, then units, in capitals.
    Columns,
    /// "Test: value unit (range) FLAG" lines under section headings.
    Inline,
    /// The table over two pages, each with the lab's header and a footer.
    TwoPages,
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::Table,
        Layout::Columns,
        Layout::Inline,
        Layout::TwoPages,
    ];
}

/// A small deterministic generator (xorshift64*), so a seed gives the same reports anywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// A report: its pages of text and the rows printed on them.
pub struct Report {
    pub pages: Vec<Vec<Text>>,
    pub truth: Vec<TruthRow>,
}

pub fn report(rng: &mut Rng, layout: Layout) -> Report {
    let count = match layout {
        Layout::TwoPages => 44 + rng.below(8),
        _ => 12 + rng.below(14),
    };
    let mut chosen: Vec<&Analyte> = Vec::new();
    while chosen.len() < count {
        if let Some(analyte) = rng.pick(CATALOGUE)
            && !chosen.iter().any(|a| a.code == analyte.code)
        {
            chosen.push(analyte);
        }
    }
    let truth: Vec<TruthRow> = chosen.iter().map(|a| row(rng, a, layout)).collect();
    let pages = lay_out(&truth, layout, rng);
    Report { pages, truth }
}

/// One analyte's row: a unit (its own, or another it converts from), a range in that unit,
/// and a value, a quarter of them outside the range.
fn row(rng: &mut Rng, analyte: &Analyte, layout: Layout) -> TruthRow {
    let (unit, factor, offset) = match rng.pick(analyte.conversions) {
        Some(conversion) if rng.unit() < 0.3 => {
            (conversion.unit, conversion.factor, conversion.offset)
        }
        _ => (analyte.unit, 1.0, 0.0),
    };
    let into_unit = |own: f64| (own - offset) / factor;
    let range = analyte.default_range();
    let low = range.and_then(|r| r.low).map(into_unit);
    let high = range.and_then(|r| r.high).map(into_unit);
    let scale = high.or(low).unwrap_or(1.0).abs().max(1e-3);
    let decimals = decimals_for(scale);
    let low = low.map(|v| round(v, decimals));
    let high = high.map(|v| round(v, decimals));
    let (from, to) = match (low, high) {
        (Some(l), Some(h)) => (l, h),
        (None, Some(h)) => (h * 0.3, h),
        (Some(l), None) => (l, l * 2.0),
        (None, None) => (0.5, 1.5),
    };
    let spread = to - from;
    let mut value = match rng.unit() {
        x if x < 0.12 => from - spread * (0.05 + rng.unit() * 0.4),
        x if x < 0.25 => to + spread * (0.05 + rng.unit() * 0.6),
        _ => from + spread * (0.05 + rng.unit() * 0.9),
    };
    value = round(value.max(scale * 0.01), decimals);
    let flag = match (low, high) {
        (Some(l), _) if value < l => Some("low".to_owned()),
        (_, Some(h)) if value > h => Some("high".to_owned()),
        _ => None,
    };
    // Names that fit their column.
    let names: Vec<&str> = analyte.names().filter(|n| n.len() <= 30).collect();
    let printed = names
        .get(rng.below(names.len().min(3)))
        .copied()
        .unwrap_or(analyte.name);
    let printed_name = match layout {
        Layout::Columns => printed.to_uppercase(),
        _ => capitalised(printed),
    };
    TruthRow {
        code: analyte.code.to_owned(),
        printed_name,
        value,
        unit: unit.to_owned(),
        low,
        high,
        flag,
    }
}

fn decimals_for(scale: f64) -> usize {
    match scale {
        s if s >= 100.0 => 0,
        s if s >= 10.0 => 1,
        s if s >= 1.0 => 2,
        _ => 3,
    }
}

fn round(value: f64, decimals: usize) -> f64 {
    let factor = 10f64.powi(decimals as i32);
    (value * factor).round() / factor
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if name.chars().all(|c| !c.is_uppercase()) && name.len() > 4 => {
            first.to_uppercase().chain(chars).collect()
        }
        Some(_) if name.len() <= 4 => name.to_uppercase(),
        _ => name.to_owned(),
    }
}

/// A number as the lab prints it: as many decimals as its range uses.
pub fn printed(value: f64, reference: &TruthRow) -> String {
    let scale = reference
        .high
        .or(reference.low)
        .unwrap_or(1.0)
        .abs()
        .max(1e-3);
    format!("{value:.*}", decimals_for(scale))
}

fn printed_range(row: &TruthRow) -> String {
    match (row.low, row.high) {
        (Some(l), Some(h)) => format!("{} - {}", printed(l, row), printed(h, row)),
        (None, Some(h)) => format!("<{}", printed(h, row)),
        (Some(l), None) => format!(">{}", printed(l, row)),
        (None, None) => String::new(),
    }
}

fn header(page: usize, pages: usize, rng_lab: usize) -> Vec<Text> {
    let labs = [
        "Northfield General Hospital - Clinical Laboratory",
        "Riverside Diagnostics Ltd",
        "St. Clare Medical Centre Pathology",
    ];
    let lab = labs.get(rng_lab % labs.len()).copied().unwrap_or_default();
    let mut texts = vec![
        text(50.0, 50.0, 14.0, lab),
        text(
            50.0,
            72.0,
            9.0,
            "Patient: TEST, Sample   MRN: 000123   DOB: 1970-01-01   Sex: F",
        ),
        text(
            50.0,
            86.0,
            9.0,
            "Collected: 2026-03-01 08:30   Reported: 2026-03-01 14:05   Ordered by: Dr. Example",
        ),
    ];
    if pages > 1 {
        texts.push(text(
            480.0,
            50.0,
            9.0,
            &format!("Page {} of {pages}", page + 1),
        ));
    }
    texts
}

fn text(x: f32, y: f32, size: f32, text: &str) -> Text {
    Text {
        x,
        y,
        size,
        text: text.to_owned(),
    }
}

fn lay_out(rows: &[TruthRow], layout: Layout, rng: &mut Rng) -> Vec<Vec<Text>> {
    let lab = rng.below(3);
    let flag_word = |row: &TruthRow| match row.flag.as_deref() {
        Some("low") => "L",
        Some("high") => "H",
        _ => "",
    };
    match layout {
        Layout::Table | Layout::TwoPages => {
            let per_page = if layout == Layout::TwoPages {
                rows.len().div_ceil(2)
            } else {
                rows.len()
            };
            let chunks: Vec<&[TruthRow]> = rows.chunks(per_page.max(1)).collect();
            let pages = chunks.len();
            chunks
                .iter()
                .enumerate()
                .map(|(n, chunk)| {
                    let mut texts = header(n, pages, lab);
                    let columns = [(50.0, "Test"), (230.0, "Result"), (300.0, "Flag"), (345.0, "Units"), (440.0, "Reference range")];
                    for (x, title) in columns {
                        texts.push(text(x, 118.0, 10.0, title));
                    }
                    for (i, row) in chunk.iter().enumerate() {
                        let y = 136.0 + i as f32 * 14.5;
                        texts.push(text(50.0, y, 10.0, &row.printed_name));
                        texts.push(text(230.0, y, 10.0, &printed(row.value, row)));
                        texts.push(text(300.0, y, 10.0, flag_word(row)));
                        texts.push(text(345.0, y, 10.0, &row.unit));
                        texts.push(text(440.0, y, 10.0, &printed_range(row)));
                    }
                    texts.push(text(50.0, 760.0, 8.0, "Results relate only to the sample received. Reference ranges are for adults."));
                    texts.retain(|t| !t.text.is_empty());
                    texts
                })
                .collect()
        }
        Layout::Columns => {
            let mut texts = header(0, 1, lab);
            for (x, title) in [
                (50.0, "TEST NAME"),
                (250.0, "RESULT"),
                (340.0, "REF. INTERVAL"),
                (460.0, "UNITS"),
            ] {
                texts.push(text(x, 118.0, 10.0, title));
            }
            for (i, row) in rows.iter().enumerate() {
                let y = 136.0 + i as f32 * 15.0;
                let flag = flag_word(row);
                let result = if flag.is_empty() {
                    printed(row.value, row)
                } else {
                    format!("{} {flag}", printed(row.value, row))
                };
                texts.push(text(50.0, y, 10.0, &row.printed_name));
                texts.push(text(250.0, y, 10.0, &result));
                texts.push(text(
                    340.0,
                    y,
                    10.0,
                    &printed_range(row).replace(" - ", "-"),
                ));
                texts.push(text(460.0, y, 10.0, &row.unit));
            }
            texts.retain(|t| !t.text.is_empty());
            vec![texts]
        }
        Layout::Inline => {
            let mut texts = header(0, 1, lab);
            let mut y = 120.0;
            for (i, row) in rows.iter().enumerate() {
                if i % 6 == 0 {
                    let sections = ["CHEMISTRY", "HAEMATOLOGY", "SPECIAL TESTS", "IMMUNOASSAY"];
                    let section = sections
                        .get(i / 6 % sections.len())
                        .copied()
                        .unwrap_or_default();
                    texts.push(text(50.0, y, 11.0, section));
                    y += 17.0;
                }
                let flag = match row.flag.as_deref() {
                    Some("low") => " LOW",
                    Some("high") => " HIGH",
                    _ => "",
                };
                let range = printed_range(row);
                let range = if range.is_empty() {
                    String::new()
                } else {
                    format!(" ({range})")
                };
                let line = format!(
                    "{}: {} {}{range}{flag}",
                    row.printed_name,
                    printed(row.value, row),
                    row.unit
                );
                texts.push(text(60.0, y, 10.0, line.replace("  ", " ").trim()));
                y += 15.0;
            }
            vec![texts]
        }
    }
}
