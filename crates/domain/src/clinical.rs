//! A chart's allergies and problem list: the values they take, after FHIR R4
//! (AllergyIntolerance's reaction severity and clinical status, Condition's clinical status).

use crate::values::{InvalidValue, bounded_text};

coded!(
    /// How bad a reaction is.
    Severity, "severity", "must be one of mild, moderate, severe",
    { Mild => "mild", Moderate => "moderate", Severe => "severe" }
);
coded!(
    /// Whether an allergy holds now.
    AllergyStatus, "status", "must be one of active, inactive, resolved",
    { Active => "active", Inactive => "inactive", Resolved => "resolved" }
);
coded!(
    /// Whether a problem is still there.
    ProblemStatus, "status", "must be one of active, resolved",
    { Active => "active", Resolved => "resolved" }
);

text_value!(
    /// What the patient is allergic to: a drug, a drug class, a food, a material.
    Substance, "substance", min = 1, max = 200, newlines = false
);
text_value!(
    /// What the allergy does ("hives", "anaphylaxis").
    Reaction, "reaction", min = 1, max = 500, newlines = false
);
text_value!(
    /// A problem on the list: a diagnosis or a condition, as the clinician names it.
    Condition, "condition", min = 1, max = 200, newlines = false
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_and_refusals_name_the_field() {
        for severity in Severity::ALL {
            assert_eq!(Severity::parse(severity.as_str()), Ok(*severity));
        }
        assert_eq!(
            AllergyStatus::parse(" resolved "),
            Ok(AllergyStatus::Resolved)
        );
        assert_eq!(
            ProblemStatus::parse("inactive").map_err(|e| e.field),
            Err("status")
        );
        assert_eq!(
            Severity::parse("deadly").map_err(|e| e.field),
            Err("severity")
        );
        assert!(Substance::parse("  ").is_err());
        assert!(Condition::parse("Type 2 diabetes mellitus").is_ok());
    }
}
