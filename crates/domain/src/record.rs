//! What a clinical record is beyond its text: its kind, and where it stands (FHIR's composition
//! statuses: final, amended, entered-in-error). A record is never erased: it is amended, or
//! marked entered in error with a reason, and every version stays in its history.

use crate::values::{InvalidValue, bounded_text};

coded!(
    /// The kind of a clinical record.
    RecordKind, "kind",
    "must be one of progress_note, diagnosis, procedure, discharge_summary, other",
    {
        ProgressNote => "progress_note",
        Diagnosis => "diagnosis",
        Procedure => "procedure",
        DischargeSummary => "discharge_summary",
        Other => "other",
    }
);

/// A record is a progress note unless it says otherwise.
impl Default for RecordKind {
    fn default() -> Self {
        RecordKind::ProgressNote
    }
}

impl RecordKind {
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
}

coded!(
    /// Where a record stands.
    RecordStatus, "status", "must be one of final, amended, entered-in-error",
    {
        /// As first written.
        Final => "final",
        /// Changed since it was first written; the earlier versions are in its history.
        Amended => "amended",
        /// Should never have been written (the wrong chart, say); kept, with the reason.
        EnteredInError => "entered-in-error",
    }
);

text_value!(
    /// Why a record was marked entered in error.
    ErrorReason, "reason", min = 5, max = 500, newlines = false
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_read_back_what_they_write() {
        for &kind in RecordKind::ALL {
            assert_eq!(RecordKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(
            RecordKind::parse("note").map_err(|e| e.field),
            Err("kind"),
            "the old default is not a kind"
        );
        for status in RecordStatus::ALL {
            assert_eq!(RecordStatus::parse(status.as_str()), Ok(*status));
        }
        assert!(ErrorReason::parse("typo").is_err());
        assert!(ErrorReason::parse("Wrong patient's chart").is_ok());
    }
}
