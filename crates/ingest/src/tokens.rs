//! Reading one cell of a result row: a value (with a scanner's letter-for-digit confusions
//! repaired), a reference range in its usual spellings, or an abnormal flag.

use medvault_domain::labs::Interpretation;

/// A number as printed, with what it took to read it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number {
    pub value: f64,
    /// `<` or `>` before it ("<0.01"): the value is a bound, not a measurement.
    pub comparator: Option<Comparator>,
    /// Letters were read as the digits they resemble (`O` as 0, `l` as 1).
    pub repaired: bool,
    /// A flag written onto the number ("5.8H", "*7.2").
    pub flag: Option<Interpretation>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparator {
    Below,
    Above,
}

/// A reference range as printed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RangeRead {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub repaired: bool,
    /// How many tokens it took ("3.5 - 5.1" is three).
    pub tokens: usize,
}

/// A token as a number, if it is one (allowing for OCR's confusions and a decimal comma).
pub fn number(token: &str) -> Option<Number> {
    let trimmed = token.trim_matches(|c| matches!(c, ',' | ';' | ':' | '.'));
    // Specks before a number ("—_—26.0") are a scanner's, not the lab's.
    let mut text = trimmed.trim_start_matches(['—', '_', '~', '-', '=', '\'', '‘', '’']);
    let specks = text.len() != trimmed.len();
    let mut flag = None;
    let mut comparator = None;
    for (prefix, found) in [
        ("<=", Comparator::Below),
        (">=", Comparator::Above),
        ("≤", Comparator::Below),
        ("≥", Comparator::Above),
        ("<", Comparator::Below),
        (">", Comparator::Above),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            comparator = Some(found);
            text = rest;
            break;
        }
    }
    if let Some(rest) = text.strip_prefix('*') {
        flag = Some(Interpretation::Abnormal);
        text = rest;
    }
    for (suffix, found) in FLAG_SUFFIXES {
        if let Some(rest) = text.strip_suffix(suffix)
            && rest.chars().last().is_some_and(|c| c.is_ascii_digit())
        {
            flag = Some(found);
            text = rest;
            break;
        }
    }
    let (digits, repaired) = repaired_digits(text)?;
    let value: f64 = decimal(&digits)?.parse().ok()?;
    value.is_finite().then_some(Number {
        value,
        comparator,
        repaired: repaired || specks,
        flag,
    })
}

/// Flags written straight after a number, longest first.
const FLAG_SUFFIXES: [(&str, Interpretation); 9] = [
    ("HH", Interpretation::CriticalHigh),
    ("LL", Interpretation::CriticalLow),
    ("(H)", Interpretation::High),
    ("(L)", Interpretation::Low),
    ("H", Interpretation::High),
    ("L", Interpretation::Low),
    ("↑", Interpretation::High),
    ("↓", Interpretation::Low),
    ("*", Interpretation::Abnormal),
];

/// The digits a token was meant to hold: letters a scanner puts for digits (`O` for 0, `l`
/// or `I` for 1, `S` for 5, `B` for 8) are taken as digits when digits are most of the token.
fn repaired_digits(text: &str) -> Option<(String, bool)> {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if digits == 0 || letters > digits + 1 || text.len() > 12 {
        return None;
    }
    let mut repaired = false;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let digit = match c {
            '0'..='9' | '.' | ',' => c,
            // A decimal point read as a colon ("7:45").
            ':' => '.',
            'O' | 'o' | 'Q' => '0',
            'l' | 'I' | '|' | 'i' => '1',
            'S' | 's' => '5',
            'B' => '8',
            'Z' | 'z' => '2',
            _ => return None,
        };
        repaired |= digit != c;
        out.push(digit);
    }
    Some((out, repaired))
}

/// A number's text with a decimal comma made a point, and a thousands comma dropped.
fn decimal(digits: &str) -> Option<String> {
    match digits.split_once(',') {
        None => Some(digits.to_owned()),
        Some((whole, part)) if digits.contains('.') => {
            // "1,234.5": the comma groups thousands.
            (part.contains('.') && !whole.is_empty()).then(|| digits.replace(',', ""))
        }
        Some((whole, part)) if part.len() == 3 && whole != "0" && !whole.is_empty() => {
            Some(format!("{whole}{part}"))
        }
        Some((whole, part)) => Some(format!("{whole}.{part}")),
    }
}

/// A flag written in a column of its own.
pub fn flag(token: &str) -> Option<Interpretation> {
    let word = token.trim_matches(|c| matches!(c, '(' | ')' | '[' | ']' | '.' | ':' | ','));
    match word.to_ascii_lowercase().as_str() {
        "h" | "high" | "hi" | "↑" | "h*" => Some(Interpretation::High),
        "l" | "low" | "lo" | "↓" | "l*" => Some(Interpretation::Low),
        "hh" | "critical high" | "h!" | "crit h" | "ch" => Some(Interpretation::CriticalHigh),
        "ll" | "critical low" | "l!" | "crit l" | "cl" => Some(Interpretation::CriticalLow),
        "a" | "abnormal" | "abn" | "*" | "**" => Some(Interpretation::Abnormal),
        _ => None,
    }
}

/// A reference range starting at `tokens[0]`: "3.5-5.1", "(3.5 - 5.1)", "3.5 to 5.1",
/// "<200", "> 40", "[0.4–4.0]".
pub fn range(tokens: &[&str]) -> Option<RangeRead> {
    let strip = |t: &str| -> String {
        t.trim_matches(|c| matches!(c, '(' | ')' | '[' | ']' | ',' | ';' | ':'))
            .trim_end_matches('.')
            .trim_start_matches('.')
            .replace(['–', '—', '−'], "-")
    };
    let first = strip(tokens.first()?);
    // One token: "3.5-5.1" or "<200".
    if let Some(read) = one_token_range(&first) {
        return Some(read);
    }
    let second = tokens.get(1).map(|t| strip(t));
    let third = tokens.get(2).map(|t| strip(t));
    // Two tokens: "< 200", "3.5- 5.1", "3.5 -5.1".
    if let Some(second) = &second {
        if matches!(first.as_str(), "<" | "≤" | "<=" | "up to" | "below") {
            let high = bound(second)?;
            return Some(RangeRead {
                low: None,
                high: Some(high.0),
                repaired: high.1,
                tokens: 2,
            });
        }
        if matches!(first.as_str(), ">" | "≥" | ">=") {
            let low = bound(second)?;
            return Some(RangeRead {
                low: Some(low.0),
                high: None,
                repaired: low.1,
                tokens: 2,
            });
        }
        let joined = format!("{first}{second}");
        if (first.ends_with('-') || second.starts_with('-'))
            && let Some(read) = one_token_range(&joined)
        {
            return Some(RangeRead { tokens: 2, ..read });
        }
    }
    // Three tokens: "3.5 - 5.1", "3.5 to 5.1".
    if let (Some(second), Some(third)) = (second, third)
        && matches!(second.to_ascii_lowercase().as_str(), "-" | "to")
    {
        let (low, high) = (bound(&first)?, bound(&third)?);
        return (low.0 <= high.0).then_some(RangeRead {
            low: Some(low.0),
            high: Some(high.0),
            repaired: low.1 || high.1,
            tokens: 3,
        });
    }
    None
}

fn one_token_range(text: &str) -> Option<RangeRead> {
    for (prefix, below) in [
        ("<=", true),
        (">=", false),
        ("≤", true),
        ("≥", false),
        ("<", true),
        (">", false),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let (value, repaired) = bound(rest.trim())?;
            let (low, high) = if below {
                (None, Some(value))
            } else {
                (Some(value), None)
            };
            return Some(RangeRead {
                low,
                high,
                repaired,
                tokens: 1,
            });
        }
    }
    // A doubled dash ("7.35--7.45") is a scanner's smudge.
    let (low, high) = text.split_once('-')?;
    let (low, high) = (bound(low)?, bound(high.trim_start_matches('-'))?);
    (low.0 <= high.0).then_some(RangeRead {
        low: Some(low.0),
        high: Some(high.0),
        repaired: low.1 || high.1,
        tokens: 1,
    })
}

/// One bound of a range: a plain number (repaired as values are).
fn bound(text: &str) -> Option<(f64, bool)> {
    let number = number(text)?;
    (number.comparator.is_none() && number.flag.is_none())
        .then_some((number.value, number.repaired))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_through_scanner_confusions() {
        let read = |t: &str| number(t).map(|n| (n.value, n.repaired));
        assert_eq!(read("4.1"), Some((4.1, false)));
        assert_eq!(read("1O.2"), Some((10.2, true)));
        assert_eq!(read("l4O"), Some((140.0, true)));
        assert_eq!(read("5,4"), Some((5.4, false)));
        assert_eq!(read("0,125"), Some((0.125, false)));
        assert_eq!(read("1,234"), Some((1234.0, false)));
        assert_eq!(read("1,234.5"), Some((1234.5, false)));
        assert_eq!(read("7:45"), Some((7.45, true)));
        assert_eq!(read("—_—26.0"), Some((26.0, true)));
        assert_eq!(read("mg/dL"), None);
        assert_eq!(read("Sodium"), None);
        assert_eq!(read("HbA1c"), None);
        assert_eq!(read("2026-03-01"), None);
        let flagged = number("5.8H").map(|n| (n.value, n.flag));
        assert_eq!(flagged, Some((5.8, Some(Interpretation::High))));
        let bounded = number("<0.01").map(|n| (n.value, n.comparator));
        assert_eq!(bounded, Some((0.01, Some(Comparator::Below))));
    }

    #[test]
    fn ranges_in_their_usual_spellings() {
        let read = |tokens: &[&str]| range(tokens).map(|r| (r.low, r.high, r.tokens));
        assert_eq!(read(&["3.5-5.1"]), Some((Some(3.5), Some(5.1), 1)));
        assert_eq!(
            read(&["(3.5", "-", "5.1)"]),
            Some((Some(3.5), Some(5.1), 3))
        );
        assert_eq!(read(&["[0.4–4.0]"]), Some((Some(0.4), Some(4.0), 1)));
        assert_eq!(read(&["70", "to", "99"]), Some((Some(70.0), Some(99.0), 3)));
        assert_eq!(read(&["<200"]), Some((None, Some(200.0), 1)));
        assert_eq!(read(&[">", "40"]), Some((Some(40.0), None, 2)));
        assert_eq!(read(&["3.5-", "5.1"]), Some((Some(3.5), Some(5.1), 2)));
        assert_eq!(
            read(&["(7.35--", "7.45)"]),
            Some((Some(7.35), Some(7.45), 2))
        );
        assert_eq!(read(&["5.1-3.5"]), None);
        assert_eq!(read(&["mmol/L"]), None);
        assert_eq!(read(&["4.1"]), None);
    }

    #[test]
    fn flags_in_a_column() {
        assert_eq!(flag("H"), Some(Interpretation::High));
        assert_eq!(flag("(L)"), Some(Interpretation::Low));
        assert_eq!(flag("HH"), Some(Interpretation::CriticalHigh));
        assert_eq!(flag("LOW:"), Some(Interpretation::Low));
        assert_eq!(flag("Normal"), None);
    }
}
