//! Lab results as data: the test (by LOINC code where known), a numeric or text value, its unit
//! and reference range, and its interpretation, whose codes map one to one to FHIR R4's
//! ObservationInterpretation (`L`, `H`, `LL`, `HH`, `A`, `N`).

use crate::values::{InvalidValue, bounded_text};

mod catalogue;
mod units;

pub use catalogue::{
    Analyte, CATALOGUE, Conversion, Range, known_by_code, known_by_name, name_index, name_key,
};
pub use units::{normalize_unit, same_unit};

coded!(
    /// How a result reads against what is expected.
    Interpretation, "interpretation", "must be one of low, high, critical-low, critical-high, abnormal, normal",
    {
        Low => "low",
        High => "high",
        CriticalLow => "critical-low",
        CriticalHigh => "critical-high",
        Abnormal => "abnormal",
        Normal => "normal",
    }
);

impl Interpretation {
    /// FHIR's ObservationInterpretation code.
    pub fn fhir_code(self) -> &'static str {
        match self {
            Interpretation::Low => "L",
            Interpretation::High => "H",
            Interpretation::CriticalLow => "LL",
            Interpretation::CriticalHigh => "HH",
            Interpretation::Abnormal => "A",
            Interpretation::Normal => "N",
        }
    }

    /// Whether the result deserves a look: anything but normal.
    pub fn is_abnormal(self) -> bool {
        self != Interpretation::Normal
    }

    /// A numeric value read against its reference range, where the range says anything.
    pub fn of(value: f64, low: Option<f64>, high: Option<f64>) -> Option<Self> {
        match (low, high) {
            (Some(low), _) if value < low => Some(Interpretation::Low),
            (_, Some(high)) if value > high => Some(Interpretation::High),
            (None, None) => None,
            _ => Some(Interpretation::Normal),
        }
    }
}

coded!(
    /// Where a result came from: typed in, or read from a lab report.
    LabSource, "source", "must be one of entered, report",
    { Entered => "entered", Report => "report" }
);

coded!(
    /// Where a lab report is in its reading: waiting for a reader, being read, waiting for a
    /// doctor's review of its rows, reviewed, or not readable.
    LabReportStatus, "status", "must be one of queued, reading, review, done, failed",
    {
        Queued => "queued",
        Reading => "reading",
        Review => "review",
        Done => "done",
        Failed => "failed",
    }
);

coded!(
    /// A reviewer's decision on a row read from a report.
    RowDecision, "decision", "must be one of confirm, reject",
    { Confirm => "confirm", Reject => "reject" }
);

coded!(
    /// Whether a result stands (FHIR's Observation.status, the two values MedVault uses).
    LabStatus, "status", "must be one of final, entered-in-error",
    { Final => "final", EnteredInError => "entered-in-error" }
);

text_value!(
    /// The test as the lab or the clinician names it ("Haemoglobin A1c").
    TestName, "test_name", min = 1, max = 200, newlines = false
);
text_value!(
    /// A unit as written on the report ("mmol/L", "10^9/L", "%").
    Unit, "unit", min = 1, max = 40, newlines = false
);
text_value!(
    /// A result that is not a number ("negative", "trace"). At most 300 characters: with the
    /// test's name and unit it must fit a PostgreSQL index entry (2,704 bytes) even in
    /// four-byte UTF-8, for the index that a chart page reads its results from.
    TextValue, "value", min = 1, max = 300, newlines = false
);

/// A LOINC code: digits, a hyphen and the check digit (`4548-4`), the check digit verified
/// (LOINC's mod-10 scheme), so a mistyped code is refused rather than filed under no test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoincCode(String);

impl LoincCode {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const REFUSAL: InvalidValue = InvalidValue::new(
            "code",
            "is not a LOINC code (digits, a hyphen, a check digit)",
        );
        let raw = raw.trim();
        let (body, check) = raw.split_once('-').ok_or(REFUSAL)?;
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(body) || body.len() > 7 || check.len() != 1 || !digits_only(check) {
            return Err(REFUSAL);
        }
        if check.parse::<u8>().ok() != Some(loinc_check_digit(body)) {
            return Err(InvalidValue::new(
                "code",
                "is not a LOINC code: its check digit does not match",
            ));
        }
        Ok(LoincCode(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// LOINC's check digit: the mod-10 algorithm over the digits, right to left, doubling every
/// other digit starting with the rightmost.
fn loinc_check_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = digit * 2;
                doubled / 10 + doubled % 10
            } else {
                digit
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A result's value: a number, or text where the test reports words.
#[derive(Clone, Debug, PartialEq)]
pub enum LabValue {
    Number(f64),
    Text(TextValue),
}

impl LabValue {
    /// A value as typed: a number when it reads as one (a decimal comma too), text otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let trimmed = raw.trim();
        if let Ok(number) = trimmed.replace(',', ".").parse::<f64>() {
            if !number.is_finite() {
                return Err(InvalidValue::new("value", "is not a finite number"));
            }
            return Ok(LabValue::Number(number));
        }
        TextValue::parse(trimmed).map(LabValue::Text)
    }
}

/// A reference range's bound, as typed: blank is none.
pub fn bound(field: &'static str, raw: &str) -> Result<Option<f64>, InvalidValue> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(Some)
        .ok_or(InvalidValue::new(field, "must be a number"))
}

/// A range whose low bound is above its high bound is a typing mistake.
pub fn check_range(low: Option<f64>, high: Option<f64>) -> Result<(), InvalidValue> {
    match (low, high) {
        (Some(low), Some(high)) if low > high => Err(InvalidValue::new(
            "reference_low",
            "is above the reference range's high bound",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loinc_codes_carry_a_check_digit() {
        assert!(LoincCode::parse("4548-5").is_err(), "wrong check digit");
        assert!(LoincCode::parse("4548").is_err());
        assert!(LoincCode::parse("ab-1").is_err());
        assert!(LoincCode::parse("12345678-9").is_err());
    }

    #[test]
    fn a_number_reads_against_its_range() {
        assert_eq!(
            Interpretation::of(3.1, Some(3.5), Some(5.1)),
            Some(Interpretation::Low)
        );
        assert_eq!(
            Interpretation::of(5.2, Some(3.5), Some(5.1)),
            Some(Interpretation::High)
        );
        assert_eq!(
            Interpretation::of(4.0, Some(3.5), Some(5.1)),
            Some(Interpretation::Normal)
        );
        assert_eq!(
            Interpretation::of(250.0, None, Some(200.0)),
            Some(Interpretation::High)
        );
        assert_eq!(Interpretation::of(4.0, None, None), None);
        assert_eq!(Interpretation::CriticalHigh.fhir_code(), "HH");
    }

    #[test]
    fn values_are_numbers_or_words() {
        assert_eq!(LabValue::parse(" 5,4 "), Ok(LabValue::Number(5.4)));
        assert!(matches!(LabValue::parse("negative"), Ok(LabValue::Text(_))));
        assert!(LabValue::parse("inf").is_err());
        assert!(LabValue::parse("NaN").is_err());
        assert!(LabValue::parse("").is_err());
        assert_eq!(
            bound("reference_low", "x").map_err(|e| e.field),
            Err("reference_low")
        );
        assert!(check_range(Some(5.0), Some(1.0)).is_err());
    }
}
