//! Result rows from a report's lines, whatever the layout: a table, aligned columns or
//! "Test: value unit (range)" lines. A row is a line that begins with an analyte's name (from
//! the catalogue, allowing one or two misread letters) and holds a value; the cells after the
//! name are told apart by what they are (a number, a range, a unit, a flag), not by where they
//! stand, so the columns may come in any order. Every field carries a confidence, and a field
//! below [`REVIEW_BELOW`] marks the row for the reviewer.

use std::collections::HashSet;
use std::sync::OnceLock;

use medvault_domain::labs::{self, Analyte, CATALOGUE, Interpretation, normalize_unit};
use serde::Serialize;

use crate::layout::{self, Line, Page, Word};
use crate::tokens::{self, Comparator, Number};

/// A field read with less confidence than this is shown to the reviewer as uncertain.
pub const REVIEW_BELOW: f32 = 0.85;

/// One field of a row, with how sure the reader is of it and why it is less than sure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Field<T> {
    pub value: T,
    pub confidence: f32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<&'static str>,
}

impl<T> Field<T> {
    fn new(value: T, confidence: f32) -> Self {
        Field {
            value,
            confidence: confidence.clamp(0.0, 1.0),
            notes: Vec::new(),
        }
    }

    fn doubted(mut self, factor: f32, note: &'static str) -> Self {
        self.confidence *= factor;
        self.notes.push(note);
        self
    }
}

/// A reference range as printed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bounds {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A result row as read, for a reviewer to confirm.
#[derive(Clone, Debug, Serialize)]
pub struct DraftRow {
    pub page: u32,
    /// The line as read.
    pub line: String,
    /// Where the line is on its page: left, top, right, bottom.
    pub bounds: [f32; 4],
    /// The analyte's LOINC code, when the name is in the catalogue.
    pub code: Option<&'static str>,
    /// The analyte's name in the catalogue, or the name as printed.
    pub test_name: Field<String>,
    pub value: Field<f64>,
    /// "<" or ">" when the value is a bound ("<0.01").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<&'static str>,
    pub unit: Option<Field<String>>,
    pub reference: Option<Field<Bounds>>,
    /// The flag printed beside the value (low, high, critical-low, ...).
    pub flag: Option<Field<&'static str>>,
    /// Words of the line that were none of the fields: a reviewer's clue to what was missed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
    /// Whether any field is below the review threshold, or a number in the line was not
    /// understood.
    pub needs_review: bool,
}

impl DraftRow {
    /// The least sure of its fields.
    pub fn confidence(&self) -> f32 {
        [
            Some(self.test_name.confidence),
            Some(self.value.confidence),
            self.unit.as_ref().map(|f| f.confidence),
            self.reference.as_ref().map(|f| f.confidence),
            self.flag.as_ref().map(|f| f.confidence),
        ]
        .into_iter()
        .flatten()
        .fold(1.0, f32::min)
    }
}

/// Every result row on the pages, in reading order.
pub fn rows(pages: &[Page]) -> Vec<DraftRow> {
    pages
        .iter()
        .flat_map(|page| {
            layout::lines(page)
                .iter()
                .filter_map(row)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The row a line holds, if it holds one.
fn row(line: &Line<'_>) -> Option<DraftRow> {
    let first = line.words.first()?;
    // A bullet, an index, a code or a flag column may stand before the name.
    // ("High sensitivity CRP" begins with a flag's word, and is a name.)
    if !first.text.chars().any(char::is_alphabetic) || tokens::flag(&first.text).is_some() {
        let after = row_from(line, 1);
        if after.as_ref().is_some_and(|row| row.code.is_some()) {
            return after;
        }
        let whole = row_from(line, 0);
        return if whole.as_ref().is_some_and(|row| row.code.is_some()) {
            whole
        } else {
            after.or(whole)
        };
    }
    let whole = row_from(line, 0);
    if whole.as_ref().is_some_and(|row| row.code.is_some()) || first.text.chars().count() > 2 {
        return whole;
    }
    // A speck read as a short word before a known name ("So C-reactive protein").
    row_from(line, 1)
        .filter(|row| row.code.is_some())
        .map(|mut row| {
            row.test_name = row
                .test_name
                .doubted(0.8, "a mark before the name was left out");
            row.needs_review = true;
            row
        })
        .or(whole)
}

/// The row a line holds from its `start`th word.
fn row_from(line: &Line<'_>, start: usize) -> Option<DraftRow> {
    let rest = line.words.get(start..)?;
    let (name_words, analyte, name_confidence) = name(rest)?;
    let cells = rest.get(name_words..)?;
    let mut read = Cells::read(cells, analyte);
    // A flag column before the name ("H  Potassium  5.6").
    let leading_flag = start
        .checked_sub(1)
        .and_then(|i| line.words.get(i))
        .and_then(|w| tokens::flag(&w.text).map(|f| Field::new(f.as_str(), w.confidence)));
    read.flag = read.flag.or(leading_flag);
    let (number, value_word) = read.value.take()?;
    let printed_name: Vec<&str> = rest
        .iter()
        .take(name_words)
        .map(|w| w.text.as_str())
        .collect();
    let name_certainty = mean_confidence(rest.iter().take(name_words).copied());
    let test_name = match analyte {
        Some(analyte) => Field::new(analyte.name.to_owned(), name_certainty * name_confidence),
        None => Field::new(printed_name.join(" "), name_certainty * name_confidence)
            .doubted(0.5, "the test is not in the catalogue"),
    };
    let mut value = Field::new(number.value, value_word.confidence);
    if number.repaired {
        value = value.doubted(0.6, "letters were read as digits");
    }
    let own_range = analyte.and_then(Analyte::default_range);
    let reference_for_check = read
        .reference
        .as_ref()
        .map(|f| f.value)
        .or(own_range.map(|r| Bounds {
            low: r.low,
            high: r.high,
        }));
    if !value_word.text.contains(['.', ','])
        && let Some(restored) = lost_decimal_point(number.value, reference_for_check)
    {
        value.value = restored;
        value = value.doubted(0.4, "a decimal point was restored from the range");
    }
    if let (Some(analyte), Some(unit)) = (analyte, read.unit.as_mut())
        && !analyte.knows_unit(&unit.value)
    {
        *unit = unit
            .clone()
            .doubted(0.5, "the unit is not one this test comes in");
    }
    if let (Some(analyte), Some(reference)) = (analyte, read.reference.as_mut())
        && !plausible_range(analyte, reference.value, read.unit.as_ref())
    {
        *reference = reference
            .clone()
            .doubted(0.5, "far from this test's usual range");
    }
    if number.comparator.is_some() {
        value = value.doubted(0.8, "the value is a bound, not a measurement");
    }
    let printed_flag = read.flag.or_else(|| {
        number
            .flag
            .map(|f| Field::new(f.as_str(), value_word.confidence))
    });
    let flag = checked_flag(printed_flag, value.value, read.reference.as_ref());
    let mut row = DraftRow {
        page: line.page,
        line: line.text(),
        bounds: line.bounds(),
        code: analyte.map(|a| a.code),
        test_name,
        value,
        comparator: number.comparator.map(|c| match c {
            Comparator::Below => "<",
            Comparator::Above => ">",
        }),
        unit: read.unit,
        reference: read.reference,
        flag,
        unread: read.unread.iter().map(|w| w.text.clone()).collect(),
        needs_review: false,
    };
    let unread_number = row
        .unread
        .iter()
        .any(|w| w.chars().any(|c| c.is_ascii_digit()));
    row.needs_review = row.confidence() < REVIEW_BELOW || unread_number;
    Some(row)
}

/// The cells after a row's name, told apart by what they hold.
struct Cells<'a> {
    value: Option<(Number, &'a Word)>,
    unit: Option<Field<String>>,
    reference: Option<Field<Bounds>>,
    flag: Option<Field<&'static str>>,
    /// Words that were none of these.
    unread: Vec<&'a Word>,
}

impl<'a> Cells<'a> {
    fn read(words: &[&'a Word], analyte: Option<&Analyte>) -> Self {
        let mut cells = Cells {
            value: None,
            unit: None,
            reference: None,
            flag: None,
            unread: Vec::new(),
        };
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let mut i = 0;
        while let (Some(word), Some(rest)) = (words.get(i), texts.get(i..)) {
            // A range with both ends can stand before the value; one with one end ("<200")
            // only after it, where it cannot be the value ("<0.01").
            if cells.reference.is_none()
                && let Some(range) = tokens::range(rest)
                && (cells.value.is_some() || (range.low.is_some() && range.high.is_some()))
            {
                let used = words.get(i..i + range.tokens).unwrap_or_default();
                let mut field = Field::new(
                    Bounds {
                        low: range.low,
                        high: range.high,
                    },
                    mean_confidence(used.iter().copied()),
                );
                if range.repaired {
                    field = field.doubted(0.6, "letters were read as digits");
                }
                cells.reference = Some(field);
                i += range.tokens;
                continue;
            }
            if cells.value.is_none()
                && let Some(number) = tokens::number(&word.text)
            {
                cells.value = Some((number, word));
                i += 1;
                continue;
            }
            if cells.flag.is_none()
                && cells.value.is_some()
                && let Some(flag) = tokens::flag(&word.text)
            {
                cells.flag = Some(Field::new(flag.as_str(), word.confidence));
                i += 1;
                continue;
            }
            if cells.unit.is_none()
                && let Some((unit, used)) = unit(words.get(i..).unwrap_or_default(), analyte)
            {
                cells.unit = Some(unit);
                i += used;
                continue;
            }
            cells.unread.push(word);
            i += 1;
        }
        if cells.unit.is_none() {
            cells.unit = unread_unit(&cells.unread, analyte);
        }
        cells
    }
}

/// A unit at the start of `words`: two words written as one ("ng/mL FEU", "mL/min/1.73 m2")
/// or one word, known to the catalogue.
fn unit(words: &[&Word], analyte: Option<&Analyte>) -> Option<(Field<String>, usize)> {
    let known = |text: &str| {
        let unit = normalize_unit(text);
        !unit.is_empty()
            && (analyte.is_some_and(|a| a.knows_unit(text)) || known_units().contains(&unit))
    };
    for used in [2, 1] {
        let Some(taken) = words.get(..used) else {
            continue;
        };
        let spaced: Vec<&str> = taken.iter().map(|w| w.text.as_str()).collect();
        let joined = spaced.join(" ");
        if known(&joined) || (used == 2 && known(&spaced.concat())) {
            // The test's own spelling of the unit where it is one of them ("10^3/uL" for
            // "K/uL" or "1073/uL"), else the unit as printed.
            let printed = joined.trim_matches(|c| matches!(c, '(' | ')' | '[' | ']'));
            let text = analyte
                .and_then(|a| a.spelling_of(printed))
                .unwrap_or(printed)
                .to_owned();
            return Some((
                Field::new(text, mean_confidence(taken.iter().copied())),
                used,
            ));
        }
    }
    None
}

/// The unit of a row where none was recognised: a word misread from one of the units the test
/// comes in (one letter off), or else whatever unit-like word was left, or else the test's
/// usual unit: each proposed with low confidence, for the reviewer to settle.
fn unread_unit(unread: &[&Word], analyte: Option<&Analyte>) -> Option<Field<String>> {
    let unit_like = |w: &&&Word| {
        let unit = normalize_unit(&w.text);
        unit.len() >= 2 && unit.chars().any(char::is_alphabetic) && tokens::flag(&w.text).is_none()
    };
    let candidate = unread.iter().find(unit_like);
    if let (Some(word), Some(analyte)) = (candidate, analyte) {
        let read = normalize_unit(&word.text);
        let nearest = std::iter::once(analyte.unit)
            .chain(analyte.conversions.iter().map(|c| c.unit))
            .filter(|unit| !unit.is_empty())
            .map(|unit| (edit_distance(&read, &normalize_unit(unit)), unit))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        // One letter off, in a word of three letters or more, or a unit's letter doubled or
        // smudged ("Ss" for s, "%o" for %).
        if let Some((distance, unit)) = nearest
            && distance <= 1.0
            && (read.len() >= 3 || read.contains(&normalize_unit(unit)))
        {
            return Some(
                Field::new(unit.to_owned(), word.confidence)
                    .doubted(0.6, "read as the nearest unit this test comes in"),
            );
        }
    }
    match (candidate, analyte) {
        (Some(word), _) => Some(
            Field::new(word.text.clone(), word.confidence)
                .doubted(0.3, "not a unit the catalogue knows"),
        ),
        (None, Some(analyte)) if !analyte.unit.is_empty() => {
            Some(Field::new(analyte.unit.to_owned(), 1.0).doubted(
                0.4,
                "no unit was printed; the test's usual unit is proposed",
            ))
        }
        (None, _) => None,
    }
}

/// Every unit the catalogue knows, as compared.
fn known_units() -> &'static HashSet<String> {
    static UNITS: OnceLock<HashSet<String>> = OnceLock::new();
    UNITS.get_or_init(|| {
        CATALOGUE
            .iter()
            .flat_map(|a| std::iter::once(a.unit).chain(a.conversions.iter().map(|c| c.unit)))
            .filter(|unit| !unit.is_empty())
            .map(normalize_unit)
            .collect()
    })
}

/// The analyte a line begins with: how many words name it, the analyte (none when the line
/// reads as a row of a test the catalogue does not hold), and how sure the match is.
fn name(words: &[&Word]) -> Option<(usize, Option<&'static Analyte>, f32)> {
    let longest = words.len().min(7);
    let key_of = |n: usize| {
        let texts: Vec<&str> = words.iter().take(n).map(|w| w.text.as_str()).collect();
        labs::name_key(&texts.join(" "))
    };
    // The longest exact name first: "Bilirubin, direct" before "Bilirubin".
    let exact = (1..=longest)
        .rev()
        .find_map(|n| labs::known_by_name(&key_of(n)).map(|analyte| (n, analyte)));
    // A bar is an I to a scanner ("TROPONIN | CARDIAC", "CKD-EP|").
    let near_key_of = |n: usize| {
        let texts: Vec<String> = words
            .iter()
            .take(n)
            .map(|w| w.text.replace('|', "I"))
            .collect();
        labs::name_key(&texts.join(" "))
    };
    let near = nearest_name(longest, &near_key_of);
    match (exact, near) {
        // A short exact name ("Ca") inside a longer misread one ("CA 199" for "CA 19-9").
        (Some((n, _)), Some((near_n, analyte, confidence)))
            if key_of(n).len() <= 3 && near_n > n && confidence >= 0.8 =>
        {
            Some((near_n, Some(analyte), confidence))
        }
        (Some((n, analyte)), _) => Some((n, Some(analyte), 1.0)),
        (None, Some((n, analyte, confidence))) => Some((n, Some(analyte), confidence)),
        (None, None) => short_name_misread(words).or_else(|| unknown_test(words)),
    }
}

/// The catalogue name nearest a line's first words, one or two letters off ("HbAlc",
/// "Hemoglobln"), where no other analyte's name is as near.
fn nearest_name(
    longest: usize,
    key_of: &dyn Fn(usize) -> String,
) -> Option<(usize, &'static Analyte, f32)> {
    let mut best: Option<(f32, usize, &'static Analyte, bool)> = None;
    for n in (1..=longest).rev() {
        let key = key_of(n);
        if key.len() < 5 {
            continue;
        }
        let allowed = if key.len() >= 10 { 2.0 } else { 1.0 };
        for &(ref known, analyte) in labs::name_index() {
            let distance = edit_distance(&key, known);
            if distance > allowed {
                continue;
            }
            best = match best {
                Some((d, _, other, _)) if d == distance && other.code != analyte.code => {
                    Some((d, n, other, true))
                }
                Some((d, ..)) if d <= distance => best,
                _ => Some((distance, n, analyte, false)),
            };
        }
    }
    let (distance, n, analyte, ambiguous) = best?;
    let confidence = if ambiguous { 0.3 } else { 1.0 - 0.2 * distance };
    Some((n, analyte, confidence))
}

/// A short name with one letter misread ("ANG" for "ANC", "COQ2" for "CO2"), believed only
/// when the line also holds a unit that test comes in, and marked for review.
fn short_name_misread(words: &[&Word]) -> Option<(usize, Option<&'static Analyte>, f32)> {
    let first = labs::name_key(&words.first()?.text);
    if !(2..=5).contains(&first.len()) {
        return None;
    }
    let rest = words.get(1..)?;
    let mut near: Vec<&'static Analyte> = Vec::new();
    for &(ref known, analyte) in labs::name_index() {
        let fits = known.len() >= 2
            && edit_distance(&first, known) <= 1.0
            && !analyte.unit.is_empty()
            && rest.iter().any(|w| analyte.knows_unit(&w.text));
        if fits && !near.iter().any(|a| a.code == analyte.code) {
            near.push(analyte);
        }
    }
    let mut candidates = near.into_iter();
    let analyte = candidates.next()?;
    candidates
        .next()
        .is_none()
        .then_some((1, Some(analyte), 0.5))
}

/// A test the catalogue does not hold: words, then a number, then a unit and a range.
fn unknown_test(words: &[&Word]) -> Option<(usize, Option<&'static Analyte>, f32)> {
    let name_len = words
        .iter()
        .take_while(|w| tokens::number(&w.text).is_none())
        .count();
    let after: Vec<&str> = words
        .iter()
        .skip(name_len + 1)
        .map(|w| w.text.as_str())
        .collect();
    let letters = words
        .iter()
        .take(name_len)
        .any(|w| w.text.chars().filter(|c| c.is_alphabetic()).count() >= 2);
    let shaped = after
        .iter()
        .any(|t| known_units().contains(&normalize_unit(t)))
        && (0..after.len()).any(|i| after.get(i..).and_then(tokens::range).is_some());
    (name_len > 0 && letters && shaped).then_some((name_len, None, 1.0))
}

/// The printed flag, checked against the value and the printed range: a value outside its
/// range without a flag gets the flag the range gives, and a flag the range contradicts is
/// doubted, both for the reviewer to settle.
fn checked_flag(
    printed: Option<Field<&'static str>>,
    value: f64,
    reference: Option<&Field<Bounds>>,
) -> Option<Field<&'static str>> {
    let Some(range) = reference.map(|r| r.value) else {
        return printed;
    };
    let from_range = Interpretation::of(value, range.low, range.high)
        .filter(|i| i.is_abnormal())
        .map(Interpretation::as_str);
    match (printed, from_range) {
        (None, Some(worked_out)) => Some(
            Field::new(worked_out, 1.0)
                .doubted(0.7, "no flag was printed; worked out from the range"),
        ),
        (Some(flag), None)
            if matches!(
                flag.value,
                "low" | "high" | "critical-low" | "critical-high"
            ) =>
        {
            Some(flag.doubted(0.6, "the flag disagrees with the range"))
        }
        (printed, _) => printed,
    }
}

/// Whether a printed range is within a factor of two of the catalogue's, in the same unit: a
/// lab's ranges differ from others', but not tenfold, which is a lost decimal point or a
/// misread digit.
fn plausible_range(analyte: &Analyte, printed: Bounds, unit: Option<&Field<String>>) -> bool {
    let Some(usual) = analyte.default_range() else {
        return true;
    };
    let unit = unit.map_or(analyte.unit, |u| u.value.as_str());
    let near = |printed: Option<f64>, usual: Option<f64>| match (printed, usual) {
        (Some(printed), Some(usual)) if usual > 0.0 => analyte
            .to_own_unit(printed, unit)
            .is_none_or(|own| (0.5..=2.0).contains(&(own / usual))),
        _ => true,
    };
    near(printed.low, usual.low) && near(printed.high, usual.high)
}

fn mean_confidence<'a>(words: impl Iterator<Item = &'a Word>) -> f32 {
    let (sum, n) = words.fold((0.0, 0), |(sum, n), w| (sum + w.confidence, n + 1));
    if n == 0 { 1.0 } else { sum / n as f32 }
}

/// A value printed without its decimal point ("41" for 4.1 potassium) is ten or a hundred
/// times too large for any plausible reading of its range: the point is put back where the
/// value lands near the range.
fn lost_decimal_point(value: f64, range: Option<Bounds>) -> Option<f64> {
    let range = range?;
    let high = range.high.filter(|h| *h > 0.0)?;
    if value <= high * 4.0 {
        return None;
    }
    let low = range.low.unwrap_or(0.0);
    [10.0, 100.0]
        .into_iter()
        .map(|d| value / d)
        .find(|v| *v >= low * 0.5 && *v <= high * 2.0)
}

/// Edit distance between two short strings, where a letter a scanner takes for another (`l`
/// for `1`, `O` for `0`) costs a quarter of any other change.
fn edit_distance(a: &str, b: &str) -> f32 {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<f32> = (0..=b.len()).map(|n| n as f32).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![(i + 1) as f32];
        for (j, cb) in b.iter().enumerate() {
            let cost = if ca == *cb {
                0.0
            } else if confusable(ca, *cb) {
                0.25
            } else {
                1.0
            };
            let substitute = previous.get(j).copied().unwrap_or(0.0) + cost;
            let delete = previous.get(j + 1).copied().unwrap_or(0.0) + 1.0;
            let insert = current.get(j).copied().unwrap_or(0.0) + 1.0;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0.0)
}

/// Characters a scanner reads one for the other.
fn confusable(a: char, b: char) -> bool {
    const PAIRS: [(char, char); 6] = [
        ('l', '1'),
        ('i', '1'),
        ('o', '0'),
        ('i', 'l'),
        ('s', '5'),
        ('b', '8'),
    ];
    PAIRS
        .iter()
        .any(|&(x, y)| (a == x && b == y) || (a == y && b == x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::TextSource;

    /// A page of lines typed as a text layer would give them, words spaced by their length.
    fn page(lines: &[&str]) -> Page {
        let mut words = Vec::new();
        for (n, line) in lines.iter().enumerate() {
            let mut left = 10.0;
            for text in line.split_whitespace() {
                let width = 7.0 * text.chars().count() as f32;
                words.push(Word {
                    text: text.to_owned(),
                    left,
                    top: 20.0 + n as f32 * 16.0,
                    width,
                    height: 12.0,
                    confidence: 1.0,
                });
                left += width + 8.0;
            }
        }
        Page {
            number: 1,
            width: 600.0,
            height: 800.0,
            source: TextSource::TextLayer,
            words,
        }
    }

    fn summary(row: &DraftRow) -> String {
        let range = row.reference.as_ref().map(|r| r.value);
        format!(
            "{} {} {} {:?} {:?} {} {}",
            row.code.unwrap_or("-"),
            row.value.value,
            row.unit.as_ref().map_or("-", |u| u.value.as_str()),
            range.and_then(|r| r.low),
            range.and_then(|r| r.high),
            row.flag.as_ref().map_or("-", |f| f.value),
            if row.needs_review { "review" } else { "ok" }
        )
    }

    #[test]
    fn rows_are_found_in_several_layouts() {
        let report = page(&[
            "City Hospital Laboratory          Page 1 of 2",
            "Patient: Jane Doe   DOB: 1970-01-02   Collected: 2026-03-01 08:30",
            "Test            Result   Flag  Units      Reference",
            "Sodium          131      L     mmol/L     135 - 145",
            "Potassium       4.1            mmol/L     3.5-5.1",
            "Glucose, fasting: 126 mg/dL (70-99) H",
            "HbA1c           6.9 %   [4.0–5.6]   H",
            "WBC             7.2   x10^9/L   4.0 - 11.0",
            "Troponin I      <0.01  ng/mL  <0.04",
            "Cholesterol, Total  5.2  mmol/L  <5.2",
            "Comment: glucose tolerance test recommended.",
        ]);
        let found: Vec<String> = rows(&[report]).iter().map(summary).collect();
        assert_eq!(
            found,
            [
                "2951-2 131 mmol/L Some(135.0) Some(145.0) low ok",
                "2823-3 4.1 mmol/L Some(3.5) Some(5.1) - ok",
                "1558-6 126 mg/dL Some(70.0) Some(99.0) high ok",
                "4548-4 6.9 % Some(4.0) Some(5.6) high ok",
                "6690-2 7.2 10^9/L Some(4.0) Some(11.0) - ok",
                "10839-9 0.01 ng/mL None Some(0.04) - review",
                "2093-3 5.2 mmol/L None Some(5.2) - ok",
            ]
        );
    }

    #[test]
    fn scanner_confusions_are_repaired_and_marked_for_review() {
        let report = page(&[
            "HbAlc 5.8 % 4.0-5.6 H",
            "Potassium 41 mmol/L 3.5-5.1",
            "Sodium l4O mmol/L 135-145",
            "Platelets 250 1073/uL 150-400",
            "TSH 2.1 mlU/L 0.4-4.0",
        ]);
        let found: Vec<String> = rows(&[report]).iter().map(summary).collect();
        assert_eq!(
            found,
            [
                "4548-4 5.8 % Some(4.0) Some(5.6) high ok",
                "2823-3 4.1 mmol/L Some(3.5) Some(5.1) - review",
                "2951-2 140 mmol/L Some(135.0) Some(145.0) - review",
                "777-3 250 10^3/uL Some(150.0) Some(400.0) - ok",
                "3016-3 2.1 mIU/L Some(0.4) Some(4.0) - ok",
            ]
        );
    }

    #[test]
    fn a_name_that_begins_with_a_flag_word_is_a_name() {
        let report = page(&[
            "High sensitivity CRP 0.28 mg/dL <0.30",
            "H Potassium 5.6 mmol/L 3.5-5.3",
        ]);
        let found: Vec<String> = rows(&[report]).iter().map(summary).collect();
        assert_eq!(
            found,
            [
                "30522-7 0.28 mg/dL None Some(0.3) - ok",
                "2823-3 5.6 mmol/L Some(3.5) Some(5.3) high ok",
            ]
        );
    }

    #[test]
    fn a_test_outside_the_catalogue_is_read_but_doubted() {
        let report = page(&["Zonulin 48 ng/mL 20-50", "Page 2 of 3"]);
        let found = rows(&[report]);
        assert_eq!(found.len(), 1);
        assert_eq!(found.first().map(|r| r.code), Some(None));
        assert_eq!(found.first().map(|r| r.needs_review), Some(true));
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("hbalc", "hba1c"), 0.25);
        assert_eq!(edit_distance("kitten", "sitting"), 3.0);
        assert_eq!(edit_distance("", "abc"), 3.0);
    }
}
