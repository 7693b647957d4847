//! What a clinical record is beyond its text: its kind, and where it stands (FHIR's composition
//! statuses: final, amended, entered-in-error). A record is never erased: it is amended, or
//! marked entered in error with a reason, and every version stays in its history.

use crate::values::{InvalidValue, bounded_text};

/// The kind of a clinical record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RecordKind {
    #[default]
    ProgressNote,
    Diagnosis,
    Procedure,
    DischargeSummary,
    Other,
}

impl RecordKind {
    pub const ALL: [RecordKind; 5] = [
        RecordKind::ProgressNote,
        RecordKind::Diagnosis,
        RecordKind::Procedure,
        RecordKind::DischargeSummary,
        RecordKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::ProgressNote => "progress_note",
            RecordKind::Diagnosis => "diagnosis",
            RecordKind::Procedure => "procedure",
            RecordKind::DischargeSummary => "discharge_summary",
            RecordKind::Other => "other",
        }
    }

    /// As people read it: "Progress note".
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::ProgressNote => "Progress note",
            RecordKind::Diagnosis => "Diagnosis",
            RecordKind::Procedure => "Procedure",
            RecordKind::DischargeSummary => "Discharge summary",
            RecordKind::Other => "Other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw.trim())
            .ok_or(InvalidValue::new(
                "kind",
                "must be one of progress_note, diagnosis, procedure, discharge_summary, other",
            ))
    }
}

/// Where a record stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordStatus {
    /// As first written.
    Final,
    /// Changed since it was first written; the earlier versions are in its history.
    Amended,
    /// Should never have been written (the wrong chart, say); kept, with the reason.
    EnteredInError,
}

impl RecordStatus {
    pub const ALL: [RecordStatus; 3] = [
        RecordStatus::Final,
        RecordStatus::Amended,
        RecordStatus::EnteredInError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Final => "final",
            RecordStatus::Amended => "amended",
            RecordStatus::EnteredInError => "entered-in-error",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

text_value!(
    /// Why a record was marked entered in error.
    ErrorReason, "reason", min = 5, max = 500, newlines = false
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_read_back_what_they_write() {
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(
            RecordKind::parse("note").map_err(|e| e.field),
            Err("kind"),
            "the old default is not a kind"
        );
        for status in RecordStatus::ALL {
            assert_eq!(RecordStatus::parse(status.as_str()), Some(status));
        }
        assert!(ErrorReason::parse("typo").is_err());
        assert!(ErrorReason::parse("Wrong patient's chart").is_ok());
    }
}
