//! Institutions (hospitals, clinics, labs, pharmacies) and the people who work there.
//!
//! A user belongs to an institution with a [`StaffRole`] there. What that lets them do at the
//! institution is the policy's to say (`policy::decide_at`); this module holds the values.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::role::Role;
use crate::values::{InvalidValue, bounded_text};

coded!(
    /// What an institution is.
    InstitutionKind, "kind", "must be one of hospital, clinic, lab, pharmacy",
    { Hospital => "hospital", Clinic => "clinic", Lab => "lab", Pharmacy => "pharmacy" }
);

coded!(
    /// What a member does at an institution.
    StaffRole, "role", "must be one of admin, clinician, reception",
    {
        /// Runs the institution in MedVault: its staff, its patients' registrations, its
        /// doctors' availability and bookings.
        Admin => "admin",
        /// Treats patients there: a doctor's availability and schedule belong to an institution.
        Clinician => "clinician",
        /// The front desk: registers patients and books, moves and cancels their visits.
        Reception => "reception",
    }
);

impl StaffRole {
    /// Whether an account of `role` may hold this place: clinicians are doctors, trainees or
    /// interns; anyone but a patient may run an institution or its front desk.
    pub fn may_be_held_by(self, role: Role) -> bool {
        match self {
            StaffRole::Clinician => matches!(role, Role::Doctor | Role::Trainee | Role::Intern),
            StaffRole::Admin | StaffRole::Reception => role != Role::Patient,
        }
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

text_value!(
    /// An institution's name.
    InstitutionName, "name", min = 1, max = 200, newlines = false
);

/// A postal address, several lines allowed; may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address(String);

impl Address {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        bounded_text("address", raw, 0, 500, true).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone (`Europe/Lisbon`): where an institution's clocks are, so that its hours
/// and visits are shown as its patients read them. Times are stored in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone(Tz);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(Tz::UTC);

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Tz::from_str(raw.trim()).map(Self).map_err(|_| {
            InvalidValue::new("time_zone", "is not a time zone name such as Europe/Lisbon")
        })
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    pub fn tz(self) -> Tz {
        self.0
    }

    /// A UTC instant as the institution's wall clock reads it.
    pub fn local(self, utc: NaiveDateTime) -> NaiveDateTime {
        DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc)
            .with_timezone(&self.0)
            .naive_local()
    }

    /// The institution's offset from UTC at an instant, as `+01:00`.
    pub fn offset_at(self, utc: NaiveDateTime) -> String {
        DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc)
            .with_timezone(&self.0)
            .format("%:z")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn kinds_and_roles_parse_from_their_names_only() {
        for &kind in InstitutionKind::ALL {
            assert_eq!(InstitutionKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(InstitutionKind::parse("spa").unwrap_err().field, "kind");
        for &role in StaffRole::ALL {
            assert_eq!(StaffRole::parse(role.as_str()), Ok(role));
        }
        assert_eq!(StaffRole::parse("owner").unwrap_err().field, "role");
    }

    #[test]
    fn only_clinicians_need_a_clinical_role_and_no_patient_works_here() {
        assert!(StaffRole::Clinician.may_be_held_by(Role::Doctor));
        assert!(!StaffRole::Clinician.may_be_held_by(Role::Staff));
        assert!(StaffRole::Reception.may_be_held_by(Role::Staff));
        assert!(StaffRole::Admin.may_be_held_by(Role::Doctor));
        for &role in StaffRole::ALL {
            assert!(!role.may_be_held_by(Role::Patient));
        }
    }

    #[test]
    fn time_zones_are_iana_names_and_follow_summer_time() {
        let lisbon = TimeZone::parse("Europe/Lisbon").expect("a zone");
        assert_eq!(lisbon.name(), "Europe/Lisbon");
        assert_eq!(
            TimeZone::parse("Mars/Olympus").unwrap_err().field,
            "time_zone"
        );
        let winter = NaiveDate::from_ymd_opt(2026, 1, 15)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("a time");
        let summer = NaiveDate::from_ymd_opt(2026, 7, 15)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("a time");
        assert_eq!(lisbon.local(winter).format("%H:%M").to_string(), "09:00");
        assert_eq!(lisbon.local(summer).format("%H:%M").to_string(), "10:00");
        assert_eq!(lisbon.offset_at(summer), "+01:00");
    }
}
