//! Typed identifiers. Ids are UUIDv7 (time ordered) so that sorting by id is sorting by creation
//! time, which keyset pagination relies on. On the wire and in the database they are strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Hyphenated lower case: the form stored in the database, so that string order
                // matches id order.
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// A login account.
    UserId
);
typed_id!(
    /// A patient chart, which may or may not be linked to a login.
    PatientId
);
typed_id!(
    /// A clinical record in a patient's chart.
    RecordId
);
typed_id!(
    /// A server-side session (web cookie or API token).
    SessionId
);
typed_id!(
    /// An intern's grant of access to one chart for a shift.
    GrantId
);
typed_id!(
    /// A doctor's emergency (break-the-glass) access to one chart.
    EmergencyAccessId
);
typed_id!(
    /// An entry on a chart's allergy list.
    AllergyId
);
typed_id!(
    /// An entry on a chart's problem list.
    ProblemId
);
typed_id!(
    /// A prescription in a patient's chart.
    PrescriptionId
);
typed_id!(
    /// A lab result in a patient's chart.
    LabResultId
);
typed_id!(
    /// A file kept with a patient's chart.
    FileId
);
typed_id!(
    /// A lab report sent to be read into a patient's chart.
    LabReportId
);
typed_id!(
    /// An alert raised by a critical lab result.
    AlertId
);

typed_id!(
    /// A hospital, clinic, lab or pharmacy.
    InstitutionId
);

typed_id!(
    /// A booked visit.
    AppointmentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings() {
        let id = PatientId::new();
        let parsed: PatientId = id.to_string().parse().expect("a valid id parses");
        assert_eq!(id, parsed);
        assert!("not-a-uuid".parse::<PatientId>().is_err());
    }

    #[test]
    fn later_ids_sort_after_earlier_ones_as_strings() {
        let first = RecordId::new().to_string();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = RecordId::new().to_string();
        assert!(first < second);
    }
}
