//! A chart's profile as a form or a JSON body submits it, and its validation into an edit.

use chrono::NaiveDate;
use medvault_domain::profile::{AddressLine, City, Country, PostalCode, Region, Relationship};
use medvault_domain::{
    BirthDate, Change, ContactEdit, Email, InvalidValue, LanguageTag, PersonName, Phone,
    ProfileEdit, Sex,
};
use serde::Deserialize;

/// Profile fields as submitted: `None` for a field not sent (left as it is), text for one sent
/// (blank clears it, where it may be cleared).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProfileInput {
    pub name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_relationship: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub preferred_language: Option<String>,
}

/// A field that may be cleared: not sent, blank, or a value that must pass `parse`.
pub(crate) fn change<T>(
    raw: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
) -> Result<Change<T>, InvalidValue> {
    match raw {
        None => Ok(Change::Keep),
        Some(text) if text.trim().is_empty() => Ok(Change::Clear),
        Some(text) => parse(&text).map(Change::Set),
    }
}

/// A field that may be changed but not cleared: blank is refused by `parse`.
fn required<T>(
    raw: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
) -> Result<Option<T>, InvalidValue> {
    raw.map(|text| parse(&text)).transpose()
}

impl ProfileInput {
    /// The edit, every field sent checked against its rule; the first refusal names its field.
    pub fn parse(self, today: NaiveDate) -> Result<ProfileEdit, InvalidValue> {
        let renamed = |field: &'static str| move |invalid: InvalidValue| invalid.in_field(field);
        Ok(ProfileEdit {
            name: required(self.name, PersonName::parse)?,
            birth_date: change(self.birth_date, |raw| BirthDate::parse(raw, today))?,
            sex: required(self.sex, Sex::parse)?,
            contact: ContactEdit {
                phone: change(self.phone, Phone::parse)?,
                email: change(self.email, Email::parse)?,
                address_line: change(self.address_line, AddressLine::parse)?,
                city: change(self.city, City::parse)?,
                region: change(self.region, Region::parse)?,
                postal_code: change(self.postal_code, PostalCode::parse)?,
                country: change(self.country, Country::parse)?,
                emergency_contact_name: change(self.emergency_contact_name, |raw| {
                    PersonName::parse(raw).map_err(renamed("emergency_contact_name"))
                })?,
                emergency_contact_relationship: change(
                    self.emergency_contact_relationship,
                    Relationship::parse,
                )?,
                emergency_contact_phone: change(self.emergency_contact_phone, |raw| {
                    Phone::parse(raw).map_err(renamed("emergency_contact_phone"))
                })?,
                preferred_language: change(self.preferred_language, LanguageTag::parse)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")
    }

    #[test]
    fn blank_clears_what_may_be_cleared_and_nothing_else() {
        let edit = ProfileInput {
            birth_date: Some(" ".into()),
            city: Some("".into()),
            ..ProfileInput::default()
        }
        .parse(today())
        .expect("valid");
        assert_eq!(edit.birth_date, Change::Clear);
        assert_eq!(edit.contact.city, Change::Clear);
        assert_eq!(edit.contact.phone, Change::Keep);
        let refused = |input: ProfileInput| input.parse(today()).err().map(|e| e.field);
        let blank_name = ProfileInput {
            name: Some("  ".into()),
            ..ProfileInput::default()
        };
        assert_eq!(refused(blank_name), Some("name"));
        let blank_sex = ProfileInput {
            sex: Some(String::new()),
            ..ProfileInput::default()
        };
        assert_eq!(refused(blank_sex), Some("sex"));
    }

    #[test]
    fn a_refusal_names_the_field_as_sent() {
        let refused = |input: ProfileInput| input.parse(today()).err().map(|e| e.field);
        let bad_phone = ProfileInput {
            emergency_contact_phone: Some("call my mum".into()),
            ..ProfileInput::default()
        };
        assert_eq!(refused(bad_phone), Some("emergency_contact_phone"));
        let bad_name = ProfileInput {
            emergency_contact_name: Some("a\u{7}b".into()),
            ..ProfileInput::default()
        };
        assert_eq!(refused(bad_name), Some("emergency_contact_name"));
        let bad_language = ProfileInput {
            preferred_language: Some("Klingon!".into()),
            ..ProfileInput::default()
        };
        assert_eq!(refused(bad_language), Some("preferred_language"));
    }
}
