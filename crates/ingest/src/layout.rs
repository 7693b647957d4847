//! Words on a page and the lines they make. A report's row is one line across the page, but
//! OCR splits a table's columns into blocks of their own and a scan is rarely straight, so
//! lines are rebuilt from the words' positions: the page's slant is measured from neighbouring
//! words and taken out before words at one height are joined.

use serde::Serialize;

/// Where a page's text came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextSource {
    /// The PDF's own text: exact, confidence 1.
    TextLayer,
    /// Tesseract's reading of the page's image.
    Ocr,
}

/// A word and its box, in the page's units (points for a text layer, pixels for a scan),
/// from the page's top left.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Word {
    pub text: String,
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
    /// How sure the reader is of it, 0 to 1.
    pub confidence: f32,
}

impl Word {
    fn centre(&self) -> (f32, f32) {
        (self.left + self.width / 2.0, self.top + self.height / 2.0)
    }

    pub fn right(&self) -> f32 {
        self.left + self.width
    }
}

/// One page's words.
#[derive(Clone, Debug, Serialize)]
pub struct Page {
    /// From 1.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    pub source: TextSource,
    pub words: Vec<Word>,
}

/// A line of words, left to right.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    pub page: u32,
    pub words: Vec<&'a Word>,
}

impl Line<'_> {
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self.words.iter().map(|w| w.text.as_str()).collect();
        texts.join(" ")
    }

    /// The box around the line's words: left, top, right, bottom.
    pub fn bounds(&self) -> [f32; 4] {
        self.words.iter().fold(
            [f32::MAX, f32::MAX, f32::MIN, f32::MIN],
            |[left, top, right, bottom], word| {
                [
                    left.min(word.left),
                    top.min(word.top),
                    right.max(word.right()),
                    bottom.max(word.top + word.height),
                ]
            },
        )
    }
}

/// The page's lines, top to bottom.
pub fn lines(page: &Page) -> Vec<Line<'_>> {
    let slope = slant(&page.words);
    // Each word's height along the page's slant, with its place across it.
    let mut placed: Vec<(f32, f32, &Word)> = page
        .words
        .iter()
        .filter(|word| !word.text.trim().is_empty())
        .map(|word| {
            let (x, y) = word.centre();
            (y - slope * x, x, word)
        })
        .collect();
    placed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let typical_height = median(placed.iter().map(|(_, _, w)| w.height).collect()).unwrap_or(1.0);
    let mut lines: Vec<(f32, Vec<(f32, &Word)>)> = Vec::new();
    for (y, x, word) in placed {
        // A word joins the line whose height it shares (within half a word's height).
        match lines
            .iter_mut()
            .rev()
            .take(3)
            .find(|(line_y, _)| (y - *line_y).abs() < typical_height * 0.5)
        {
            Some((line_y, words)) => {
                let n = words.len() as f32;
                *line_y = (*line_y * n + y) / (n + 1.0);
                words.push((x, word));
            }
            None => lines.push((y, vec![(x, word)])),
        }
    }
    lines
        .into_iter()
        .map(|(_, mut words)| {
            words.sort_by(|a, b| a.0.total_cmp(&b.0));
            Line {
                page: page.number,
                words: words.into_iter().map(|(_, word)| word).collect(),
            }
        })
        .collect()
}

/// The page's slant (rise over run): the median over words of the direction to the nearest
/// word on their right at about their height.
fn slant(words: &[Word]) -> f32 {
    let slopes: Vec<f32> = words
        .iter()
        .filter_map(|word| {
            let (x, y) = word.centre();
            words
                .iter()
                .filter(|other| {
                    let (ox, oy) = other.centre();
                    ox > x
                        && other.left >= word.right() - word.height * 0.2
                        && (oy - y).abs() < word.height * 0.8
                        && other.left - word.right() < word.height * 15.0
                })
                .min_by(|a, b| a.left.total_cmp(&b.left))
                .map(|next| {
                    let (nx, ny) = next.centre();
                    (ny - y) / (nx - x)
                })
        })
        .collect();
    median(slopes).unwrap_or(0.0)
}

fn median(mut values: Vec<f32>) -> Option<f32> {
    values.sort_by(f32::total_cmp);
    values.get(values.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, left: f32, top: f32) -> Word {
        Word {
            text: text.to_owned(),
            left,
            top,
            width: 10.0 * text.len() as f32,
            height: 20.0,
            confidence: 1.0,
        }
    }

    #[test]
    fn words_at_one_height_make_a_line_in_reading_order() {
        let page = Page {
            number: 1,
            width: 800.0,
            height: 600.0,
            source: TextSource::Ocr,
            // A table's columns arrive column by column, as OCR gives blocks.
            words: vec![
                word("Sodium", 10.0, 100.0),
                word("Potassium", 10.0, 130.0),
                word("140", 300.0, 101.0),
                word("4.1", 300.0, 129.0),
                word("mmol/L", 400.0, 100.0),
                word("mmol/L", 400.0, 131.0),
            ],
        };
        let texts: Vec<String> = lines(&page).iter().map(Line::text).collect();
        assert_eq!(texts, ["Sodium 140 mmol/L", "Potassium 4.1 mmol/L"]);
    }

    #[test]
    fn a_slanted_scan_still_reads_line_by_line() {
        // Three degrees of slant: across 600 units a row drops 31, more than a line's height.
        let slope = 3.0_f32.to_radians().tan();
        let row = |y: f32, texts: [&str; 4]| {
            texts
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let x = 10.0 + i as f32 * 200.0;
                    word(text, x, y + slope * x)
                })
                .collect::<Vec<_>>()
        };
        let mut words = row(100.0, ["Glucose", "95", "mg/dL", "70-99"]);
        words.extend(row(125.0, ["Urea", "30", "mg/dL", "7-20"]));
        let page = Page {
            number: 1,
            width: 800.0,
            height: 600.0,
            source: TextSource::Ocr,
            words,
        };
        let texts: Vec<String> = lines(&page).iter().map(Line::text).collect();
        assert_eq!(texts, ["Glucose 95 mg/dL 70-99", "Urea 30 mg/dL 7-20"]);
    }
}
