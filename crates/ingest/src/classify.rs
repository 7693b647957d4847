//! What kind of clinical document a file is: a lab report, a prescription, a discharge
//! summary, an imaging report, or other. Told by the words each kind uses (whole phrases, each
//! counted once) and, for a lab report, by the result rows found; the confidence is the
//! winner's share of the evidence.

use serde::Serialize;

use crate::layout::Page;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    LabReport,
    Prescription,
    DischargeSummary,
    ImagingReport,
    Other,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::LabReport => "lab-report",
            DocumentKind::Prescription => "prescription",
            DocumentKind::DischargeSummary => "discharge-summary",
            DocumentKind::ImagingReport => "imaging-report",
            DocumentKind::Other => "other",
        }
    }
}

const CUES: [(DocumentKind, &[&str]); 4] = [
    (
        DocumentKind::LabReport,
        &[
            "reference range",
            "reference interval",
            "ref. interval",
            "specimen",
            "collected",
            "laboratory",
            "pathology",
            "analyte",
            "units",
            "result",
        ],
    ),
    (
        DocumentKind::Prescription,
        &[
            "prescription",
            "rx",
            "sig",
            "dispense",
            "refills",
            "tablets",
            "capsules",
            "take one",
            "pharmacy",
            "prescriber",
        ],
    ),
    (
        DocumentKind::DischargeSummary,
        &[
            "discharge summary",
            "date of admission",
            "date of discharge",
            "admitted",
            "discharged",
            "hospital course",
            "discharge medications",
            "follow-up",
            "principal diagnosis",
            "condition on discharge",
        ],
    ),
    (
        DocumentKind::ImagingReport,
        &[
            "radiology",
            "radiologist",
            "impression",
            "findings",
            "technique",
            "contrast",
            "ct",
            "mri",
            "x-ray",
            "ultrasound",
        ],
    ),
];

/// The document's kind and how sure the guess is (0 to 1), from its words and the number of
/// result rows read from it.
pub fn classify(pages: &[Page], rows: usize) -> (DocumentKind, f32) {
    let text: String = pages
        .iter()
        .flat_map(|page| page.words.iter().map(|w| w.text.to_lowercase()))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '.')
        .filter(|w| !w.is_empty())
        .collect();
    let spaced = format!(" {} ", words.join(" "));
    let scores: Vec<(DocumentKind, f32)> = CUES
        .iter()
        .map(|(kind, cues)| {
            let found = cues
                .iter()
                .filter(|cue| spaced.contains(&format!(" {cue} ")))
                .count() as f32;
            // Result rows are the surest sign of a lab report.
            let rows_found = if *kind == DocumentKind::LabReport {
                (rows as f32).min(10.0) / 2.0
            } else {
                0.0
            };
            (*kind, found + rows_found)
        })
        .collect();
    let total: f32 = scores.iter().map(|(_, score)| score).sum();
    let best = scores
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, score)| *score >= 2.0);
    match best {
        Some((kind, score)) => (kind, (score / total).clamp(0.0, 1.0)),
        None => (DocumentKind::Other, if total == 0.0 { 0.9 } else { 0.5 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{TextSource, Word};

    fn page(text: &str) -> Page {
        Page {
            number: 1,
            width: 600.0,
            height: 800.0,
            source: TextSource::TextLayer,
            words: text
                .split_whitespace()
                .map(|w| Word {
                    text: w.to_owned(),
                    left: 0.0,
                    top: 0.0,
                    width: 10.0,
                    height: 10.0,
                    confidence: 1.0,
                })
                .collect(),
        }
    }

    #[test]
    fn kinds_are_told_by_their_words() {
        let lab =
            page("City Laboratory Specimen collected 08:30 Test Result Units Reference range");
        assert_eq!(classify(&[lab], 12).0, DocumentKind::LabReport);
        let discharge = page(
            "DISCHARGE SUMMARY Date of admission 01/03 Date of discharge 05/03 Hospital course \
             uneventful. Discharge medications: aspirin. Follow-up in two weeks.",
        );
        assert_eq!(classify(&[discharge], 0).0, DocumentKind::DischargeSummary);
        let imaging = page(
            "RADIOLOGY CT chest with contrast. Technique: axial. Findings: clear. Impression: normal.",
        );
        assert_eq!(classify(&[imaging], 0).0, DocumentKind::ImagingReport);
        let prescription = page(
            "Rx Amoxicillin 500 mg capsules Sig: take one three times daily Dispense 21 Refills 0",
        );
        assert_eq!(classify(&[prescription], 0).0, DocumentKind::Prescription);
        let (kind, confidence) = classify(&[page("Dear Sam, see you on Tuesday.")], 0);
        assert_eq!(kind, DocumentKind::Other);
        assert!(confidence > 0.5);
    }
}
