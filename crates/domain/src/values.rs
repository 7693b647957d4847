//! Validated values. A value of one of these types has passed its rule; the rule lives here once,
//! and both the JSON API and the web forms go through it.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Why a value was refused, naming the field so that a client can point at it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub message: &'static str,
}

impl InvalidValue {
    pub const fn new(field: &'static str, message: &'static str) -> Self {
        Self { field, message }
    }

    /// The same refusal of a value given in another field: a phone number refused as
    /// `emergency_contact_phone` rather than `phone`.
    pub fn in_field(self, field: &'static str) -> Self {
        Self { field, ..self }
    }
}

/// Trims, refuses control characters, and bounds the length counted in characters: at least
/// `min` once trimmed, at most `max` as sent (which is what a client, or a form's `maxlength`,
/// counts).
pub(crate) fn bounded_text(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
    allow_newlines: bool,
) -> Result<String, InvalidValue> {
    if raw.chars().count() > max {
        return Err(InvalidValue::new(field, "is too long"));
    }
    let text = raw.trim();
    if text.chars().count() < min {
        return Err(InvalidValue::new(field, "is required"));
    }
    let forbidden =
        |c: char| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t'));
    if text.chars().any(forbidden) {
        return Err(InvalidValue::new(field, "contains control characters"));
    }
    Ok(text.to_owned())
}

/// An email address as the person typed it, with the key that makes it unique: NFKC-normalised
/// and lower-cased, so `Ana@Example.org` and `ana@example.org` (or a composed and a decomposed
/// accent) are one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    display: String,
    key: String,
}

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const FIELD: &str = "email";
        let display: String = raw.trim().nfc().collect();
        if display.is_empty() {
            return Err(InvalidValue::new(FIELD, "is required"));
        }
        if display.chars().count() > Self::MAX_LEN {
            return Err(InvalidValue::new(FIELD, "is too long"));
        }
        let Some((local, domain)) = display.rsplit_once('@') else {
            return Err(InvalidValue::new(FIELD, "is not an email address"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local.contains('@')
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c));
        if !domain_ok || !local_ok {
            return Err(InvalidValue::new(FIELD, "is not an email address"));
        }
        let key = display.nfkc().collect::<String>().to_lowercase();
        Ok(Self { display, key })
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The uniqueness key stored in the database.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// A password that meets the rules. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    /// Long passphrases are welcome; the cap only keeps hashing cost bounded.
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let length = raw.chars().count();
        if length < Self::MIN_CHARS {
            return Err(InvalidValue::new(
                "password",
                "must be at least 12 characters",
            ));
        }
        if length > Self::MAX_CHARS {
            return Err(InvalidValue::new(
                "password",
                "must be at most 256 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An enumeration stored and sent by its code, refused with the field's name and the codes it
/// takes.
macro_rules! coded {
    ($(#[$doc:meta])* $name:ident, $field:literal, $refusal:literal, {
        $($(#[$variant_doc:meta])* $variant:ident => $code:literal),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_doc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            pub fn parse(raw: &str) -> Result<Self, $crate::values::InvalidValue> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == raw.trim())
                    .ok_or($crate::values::InvalidValue::new($field, $refusal))
            }
        }
    };
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $field:literal, min = $min:expr, max = $max:expr, newlines = $nl:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                bounded_text($field, raw, $min, $max, $nl).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}

text_value!(
    /// A person's name as they write it.
    PersonName, "name", min = 1, max = 200, newlines = false
);
text_value!(
    /// The title of a clinical record.
    RecordTitle, "title", min = 1, max = 200, newlines = false
);
text_value!(
    /// The body of a clinical record: free text, line breaks kept.
    RecordNotes, "notes", min = 1, max = 50_000, newlines = true
);

/// A telephone number: digits with the usual separators, an optional leading `+`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = bounded_text("phone", raw, 3, 32, false)?;
        let allowed = |(i, c): (usize, char)| {
            c.is_ascii_digit() || " -().".contains(c) || (i == 0 && c == '+')
        };
        if !text.chars().enumerate().all(allowed) || !text.chars().any(|c| c.is_ascii_digit()) {
            return Err(InvalidValue::new("phone", "is not a telephone number"));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A date of birth: not in the future, not before 1850.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BirthDate(NaiveDate);

impl BirthDate {
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, InvalidValue> {
        let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| InvalidValue::new("birth_date", "must be a date as YYYY-MM-DD"))?;
        Self::new(date, today)
    }

    pub fn new(date: NaiveDate, today: NaiveDate) -> Result<Self, InvalidValue> {
        let earliest = NaiveDate::from_ymd_opt(1850, 1, 1).unwrap_or(NaiveDate::MIN);
        if date > today || date < earliest {
            return Err(InvalidValue::new(
                "birth_date",
                "is not a plausible date of birth",
            ));
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }
}

/// Administrative sex, with FHIR's four codes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    #[default]
    Unknown,
}

impl Sex {
    pub const ALL: [Sex; 4] = [Sex::Female, Sex::Male, Sex::Other, Sex::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Sex::ALL
            .into_iter()
            .find(|sex| sex.as_str() == raw.trim())
            .ok_or(InvalidValue::new(
                "sex",
                "must be one of female, male, other, unknown",
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_key_ignores_case_and_unicode_form() {
        let composed = Email::parse("José@Example.ORG").expect("valid");
        let decomposed = Email::parse("Jose\u{301}@example.org").expect("valid");
        assert_eq!(composed.key(), decomposed.key());
        assert_eq!(composed.key(), "josé@example.org");
        assert_eq!(composed.as_str(), "José@Example.ORG");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.org",
            "a@",
            "a@b",
            "a b@example.org",
            "a@exa mple.org",
            "a@.example.org",
            "a@example..org",
            "<a>@example.org",
            "a@example.org'--",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("{}@example.org", "a".repeat(300));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn passwords_are_bounded_in_characters_not_bytes() {
        assert!(Password::parse("x").is_err());
        assert!(Password::parse(&"x".repeat(11)).is_err());
        assert!(Password::parse(&"x".repeat(12)).is_ok());
        assert!(
            Password::parse(&"é".repeat(256)).is_ok(),
            "512 bytes, 256 characters"
        );
        assert!(Password::parse(&"x".repeat(10_000)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse(&"s".repeat(12)).ok()),
            "Some(Password(<redacted>))"
        );
    }

    #[test]
    fn text_values_trim_and_bound() {
        assert_eq!(
            PersonName::parse("  Ana Silva ").map(PersonName::into_inner),
            Ok("Ana Silva".into())
        );
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("a\u{0}b").is_err());
        assert!(RecordTitle::parse(&"t".repeat(201)).is_err());
        assert!(RecordNotes::parse("line one\nline two").is_ok());
        assert!(RecordTitle::parse("line one\nline two").is_err());
        // Markup and SQL are just text: stored as written, escaped when shown.
        assert!(RecordTitle::parse("<script>alert(1)</script>'; DROP TABLE users; --").is_ok());
    }

    #[test]
    fn birth_dates_must_be_plausible() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        assert!(BirthDate::parse("1990-05-17", today).is_ok());
        assert!(BirthDate::parse("2027-01-01", today).is_err());
        assert!(BirthDate::parse("1800-01-01", today).is_err());
        assert!(BirthDate::parse("17/05/1990", today).is_err());
    }

    #[test]
    fn phones_and_sexes() {
        assert!(Phone::parse("+1 (555) 010-2030").is_ok());
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("555+1").is_err());
        assert_eq!(Sex::parse("female"), Ok(Sex::Female));
        assert!(Sex::parse("f").is_err());
    }
}
