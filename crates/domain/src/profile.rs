//! A chart's profile beyond name, birth date and sex: contact details, an address, an emergency
//! contact, a preferred language, and the medical record number MedVault gives every chart. The
//! field names are the API's and the forms' (`address_line`, `emergency_contact_phone`, …), so that
//! a refusal points at the field as the client sent it.

use std::fmt;

use crate::values::{BirthDate, Email, InvalidValue, PersonName, Phone, Sex, bounded_text};

/// A medical record number: `MV-` and at least six digits (`MV-000123`). MedVault gives each
/// chart the next one when it is opened; numbers are never given twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mrn(i64);

impl Mrn {
    pub const PREFIX: &'static str = "MV-";

    /// The MRN with this number; numbers start at 1.
    pub fn new(number: i64) -> Option<Self> {
        (number >= 1).then_some(Mrn(number))
    }

    pub fn number(self) -> i64 {
        self.0
    }

    /// An MRN as someone typed it into a search: `MV-000123`, `mv-123` or `123`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = raw.trim();
        let digits = text
            .get(..Self::PREFIX.len())
            .filter(|prefix| prefix.eq_ignore_ascii_case(Self::PREFIX))
            .map_or(text, |_| &text[Self::PREFIX.len()..]);
        let refused = || InvalidValue::new("mrn", "is not a record number like MV-000123");
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refused());
        }
        digits.parse().ok().and_then(Mrn::new).ok_or_else(refused)
    }
}

impl fmt::Display for Mrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:06}", Self::PREFIX, self.0)
    }
}

text_value!(
    /// The street part of a postal address; line breaks kept.
    AddressLine, "address_line", min = 1, max = 200, newlines = true
);
text_value!(
    /// A city, town or village.
    City, "city", min = 1, max = 100, newlines = false
);
text_value!(
    /// A state, province, county or district.
    Region, "region", min = 1, max = 100, newlines = false
);
text_value!(
    /// A country, as people write it.
    Country, "country", min = 1, max = 100, newlines = false
);
text_value!(
    /// How an emergency contact is related to the patient ("mother", "neighbour").
    Relationship, "emergency_contact_relationship", min = 1, max = 60, newlines = false
);

/// A postal code: letters, digits, spaces and hyphens, as the country writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = bounded_text("postal_code", raw, 2, 20, false)?;
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(InvalidValue::new(
                "postal_code",
                "may hold only letters, digits, spaces and hyphens",
            ));
        }
        Ok(Self(text.to_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A language as a BCP 47 tag of the common shape: a language (`pt`), then optionally a script
/// (`Latn`) and a region (`BR`, or `419`), as FHIR's `Patient.communication` takes it. Kept in the
/// customary case: `pt-BR`, `zh-Hant-TW`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanguageTag(String);

impl LanguageTag {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let refused = || {
            InvalidValue::new(
                "preferred_language",
                "is not a language tag like en, es or pt-BR",
            )
        };
        let text = raw.trim();
        if text.len() > 16 {
            return Err(refused());
        }
        let mut parts = text.split(['-', '_']);
        let language = parts.next().unwrap_or_default();
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(refused());
        }
        let mut tag = language.to_ascii_lowercase();
        let mut rest = parts.peekable();
        if let Some(script) =
            rest.next_if(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            tag.push('-');
            tag.push_str(&script[..1].to_ascii_uppercase());
            tag.push_str(&script[1..].to_ascii_lowercase());
        }
        if let Some(region) = rest.next() {
            let letters = region.len() == 2 && region.bytes().all(|b| b.is_ascii_alphabetic());
            let digits = region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit());
            if !(letters || digits) {
                return Err(refused());
            }
            tag.push('-');
            tag.push_str(&region.to_ascii_uppercase());
        }
        if rest.next().is_some() {
            return Err(refused());
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an edit does to one field: leaves it, clears it, or sets it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    fn is_keep(&self) -> bool {
        matches!(self, Change::Keep)
    }

    /// The value after the change, made to `kept`.
    pub fn over(self, kept: Option<T>) -> Option<T> {
        match self {
            Change::Keep => kept,
            Change::Clear => None,
            Change::Set(value) => Some(value),
        }
    }

    /// The change as the store writes a nullable column: `None` to leave it, `Some(None)` to
    /// clear it.
    pub fn into_column<U>(self, to_column: impl FnOnce(T) -> U) -> Option<Option<U>> {
        match self {
            Change::Keep => None,
            Change::Clear => Some(None),
            Change::Set(value) => Some(Some(to_column(value))),
        }
    }
}

/// An edit of a chart's profile, every field in it valid. Name and sex may be changed but not
/// cleared; everything else may be cleared.
#[derive(Clone, Debug, Default)]
pub struct ProfileEdit {
    pub name: Option<PersonName>,
    pub birth_date: Change<BirthDate>,
    pub sex: Option<Sex>,
    pub contact: ContactEdit,
}

/// The part of a profile edit that the patient may make too: how to reach them, and whom to call.
#[derive(Clone, Debug, Default)]
pub struct ContactEdit {
    pub phone: Change<Phone>,
    pub email: Change<Email>,
    pub address_line: Change<AddressLine>,
    pub city: Change<City>,
    pub region: Change<Region>,
    pub postal_code: Change<PostalCode>,
    pub country: Change<Country>,
    pub emergency_contact_name: Change<PersonName>,
    pub emergency_contact_relationship: Change<Relationship>,
    pub emergency_contact_phone: Change<Phone>,
    pub preferred_language: Change<LanguageTag>,
}

impl ProfileEdit {
    /// Whether it changes who the patient is (name, date of birth, sex), not only how to reach
    /// them.
    pub fn touches_identity(&self) -> bool {
        self.name.is_some() || !self.birth_date.is_keep() || self.sex.is_some()
    }

    /// Whether it leaves every field as it is.
    pub fn changes_nothing(&self) -> bool {
        !self.touches_identity() && self.contact.changes_nothing()
    }
}

impl ContactEdit {
    fn changes_nothing(&self) -> bool {
        self.phone.is_keep()
            && self.email.is_keep()
            && self.address_line.is_keep()
            && self.city.is_keep()
            && self.region.is_keep()
            && self.postal_code.is_keep()
            && self.country.is_keep()
            && self.emergency_contact_name.is_keep()
            && self.emergency_contact_relationship.is_keep()
            && self.emergency_contact_phone.is_keep()
            && self.preferred_language.is_keep()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrns_read_and_print_with_six_digits_or_more() {
        assert_eq!(
            Mrn::new(123).map(|m| m.to_string()),
            Some("MV-000123".into())
        );
        assert_eq!(
            Mrn::new(1_234_567).map(|m| m.to_string()),
            Some("MV-1234567".into())
        );
        assert_eq!(Mrn::new(0), None);
        for typed in ["MV-000123", "mv-123", " 123 ", "000123"] {
            assert_eq!(Mrn::parse(typed), Ok(Mrn(123)), "{typed:?}");
        }
        for bad in [
            "",
            "MV-",
            "MV-12a",
            "MV-0",
            "-5",
            "MX-000123",
            "99999999999999999999",
        ] {
            assert!(Mrn::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn language_tags_take_the_customary_case() {
        let tag = |raw: &str| LanguageTag::parse(raw).map(|t| t.as_str().to_owned());
        assert_eq!(tag("EN"), Ok("en".into()));
        assert_eq!(tag("pt_br"), Ok("pt-BR".into()));
        assert_eq!(tag("zh-hant-tw"), Ok("zh-Hant-TW".into()));
        assert_eq!(tag("es-419"), Ok("es-419".into()));
        for bad in ["", "e", "english", "en-USA", "en-US-x", "12", "en-"] {
            assert!(tag(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn postal_codes_and_address_parts() {
        assert_eq!(
            PostalCode::parse(" sw1a 1aa ").map(|p| p.as_str().to_owned()),
            Ok("SW1A 1AA".into())
        );
        assert!(PostalCode::parse("75<01").is_err());
        assert!(AddressLine::parse("221B Baker Street\nFlat 2").is_ok());
        assert!(City::parse("Lyon\nParis").is_err());
        assert_eq!(
            Relationship::parse(&"x".repeat(61)).map_err(|e| e.field),
            Err("emergency_contact_relationship")
        );
    }

    #[test]
    fn an_edit_of_contact_details_alone_leaves_identity_alone() {
        let mut edit = ProfileEdit::default();
        edit.contact.city = Change::Set(City::parse("Porto").expect("valid"));
        assert!(ProfileEdit::default().changes_nothing());
        assert!(!edit.touches_identity());
        assert!(!edit.changes_nothing());
        edit.birth_date = Change::Clear;
        assert!(edit.touches_identity());
    }
}
