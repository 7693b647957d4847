//! Prescriptions: what is prescribed and how, their statuses after FHIR R4's
//! MedicationRequest.status, and the check of a drug against the chart's allergies, by name and
//! by drug class for the common classes.

use serde::Serialize;

use crate::values::{InvalidValue, bounded_text};

coded!(
    /// Where a prescription stands. A stopped or entered-in-error one says why.
    PrescriptionStatus, "status", "must be one of active, completed, stopped, entered-in-error",
    {
        Active => "active",
        Completed => "completed",
        Stopped => "stopped",
        EnteredInError => "entered-in-error",
    }
);

impl PrescriptionStatus {
    /// Whether a prescription may go from `self` to `to`, and whether that needs a reason. An
    /// active one is completed, stopped or found to be in error; a finished one may still be
    /// found in error; one in error stays so.
    pub fn change_to(self, to: PrescriptionStatus) -> Result<NeedsReason, InvalidValue> {
        use PrescriptionStatus::*;
        match (self, to) {
            (Active, Completed) => Ok(NeedsReason(false)),
            (Active, Stopped) | (Active | Completed | Stopped, EnteredInError) => {
                Ok(NeedsReason(true))
            }
            _ => Err(InvalidValue::new(
                "status",
                match self {
                    EnteredInError => "cannot change: the prescription was entered in error",
                    _ => {
                        "cannot change that way: an active prescription is completed, stopped or entered in error"
                    }
                },
            )),
        }
    }
}

/// Whether a status change must say why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeedsReason(pub bool);

coded!(
    /// How the drug is taken (the common routes, in plain words).
    Route, "route", "must be one of oral, sublingual, buccal, inhaled, nasal, topical, transdermal, eye, ear, rectal, vaginal, subcutaneous, intramuscular, intravenous",
    {
        Oral => "oral",
        Sublingual => "sublingual",
        Buccal => "buccal",
        Inhaled => "inhaled",
        Nasal => "nasal",
        Topical => "topical",
        Transdermal => "transdermal",
        Eye => "eye",
        Ear => "ear",
        Rectal => "rectal",
        Vaginal => "vaginal",
        Subcutaneous => "subcutaneous",
        Intramuscular => "intramuscular",
        Intravenous => "intravenous",
    }
);

text_value!(
    /// The drug, as the prescriber names it ("Amoxicillin").
    DrugName, "drug", min = 1, max = 200, newlines = false
);
text_value!(
    /// How strong one unit is ("500 mg").
    Strength, "strength", min = 1, max = 100, newlines = false
);
text_value!(
    /// How much to take at a time ("1 capsule").
    Dose, "dose", min = 1, max = 100, newlines = false
);
text_value!(
    /// How often ("three times a day").
    Frequency, "frequency", min = 1, max = 100, newlines = false
);
text_value!(
    /// For how long ("7 days").
    Duration, "duration", min = 1, max = 100, newlines = false
);
text_value!(
    /// How much to dispense ("21 capsules").
    Quantity, "quantity", min = 1, max = 100, newlines = false
);
text_value!(
    /// Anything else the patient or pharmacist must know.
    Instructions, "instructions", min = 1, max = 2000, newlines = true
);
text_value!(
    /// Why a prescription was stopped or found in error.
    StatusReason, "reason", min = 3, max = 500, newlines = false
);

/// A drug class an allergy may name, the names that mean the class itself, and its members.
struct DrugClass {
    name: &'static str,
    aliases: &'static [&'static str],
    members: &'static [&'static str],
}

/// The common classes behind drug allergies. Each member and alias is matched as whole words,
/// in any case, anywhere in a drug's or a substance's name ("Amoxicillin 500 mg capsules").
const CLASSES: &[DrugClass] = &[
    DrugClass {
        name: "penicillins",
        aliases: &["penicillin", "penicillins", "beta-lactam", "beta lactam"],
        members: &[
            "amoxicillin",
            "amoxycillin",
            "ampicillin",
            "co-amoxiclav",
            "augmentin",
            "flucloxacillin",
            "dicloxacillin",
            "cloxacillin",
            "oxacillin",
            "nafcillin",
            "piperacillin",
            "tazocin",
            "benzylpenicillin",
            "phenoxymethylpenicillin",
            "ticarcillin",
            "temocillin",
            "pivmecillinam",
            "bacampicillin",
        ],
    },
    DrugClass {
        name: "cephalosporins",
        aliases: &["cephalosporin", "cephalosporins"],
        members: &[
            "cefalexin",
            "cephalexin",
            "cefadroxil",
            "cefazolin",
            "cefuroxime",
            "cefaclor",
            "cefoxitin",
            "ceftriaxone",
            "cefotaxime",
            "ceftazidime",
            "cefepime",
            "cefixime",
            "cefpodoxime",
            "cefdinir",
            "ceftaroline",
            "cefprozil",
        ],
    },
    DrugClass {
        name: "sulfonamides",
        aliases: &[
            "sulfa",
            "sulpha",
            "sulfonamide",
            "sulfonamides",
            "sulphonamide",
            "sulphonamides",
        ],
        members: &[
            "sulfamethoxazole",
            "co-trimoxazole",
            "cotrimoxazole",
            "bactrim",
            "septra",
            "sulfadiazine",
            "sulfasalazine",
            "sulfacetamide",
            "sulfisoxazole",
            "sulfadoxine",
        ],
    },
    DrugClass {
        name: "NSAIDs",
        aliases: &[
            "nsaid",
            "nsaids",
            "non-steroidal anti-inflammatory",
            "anti-inflammatories",
        ],
        members: &[
            "ibuprofen",
            "naproxen",
            "diclofenac",
            "aspirin",
            "acetylsalicylic acid",
            "ketorolac",
            "indometacin",
            "indomethacin",
            "celecoxib",
            "etoricoxib",
            "meloxicam",
            "piroxicam",
            "ketoprofen",
            "mefenamic acid",
            "etodolac",
            "nabumetone",
            "flurbiprofen",
            "dexketoprofen",
        ],
    },
    DrugClass {
        name: "macrolides",
        aliases: &["macrolide", "macrolides"],
        members: &[
            "erythromycin",
            "azithromycin",
            "clarithromycin",
            "roxithromycin",
        ],
    },
    DrugClass {
        name: "fluoroquinolones",
        aliases: &[
            "quinolone",
            "quinolones",
            "fluoroquinolone",
            "fluoroquinolones",
        ],
        members: &[
            "ciprofloxacin",
            "levofloxacin",
            "moxifloxacin",
            "ofloxacin",
            "norfloxacin",
        ],
    },
    DrugClass {
        name: "tetracyclines",
        aliases: &["tetracyclines"],
        members: &[
            "tetracycline",
            "doxycycline",
            "minocycline",
            "lymecycline",
            "oxytetracycline",
        ],
    },
    DrugClass {
        name: "opioids",
        aliases: &["opioid", "opioids", "opiate", "opiates"],
        members: &[
            "morphine",
            "codeine",
            "oxycodone",
            "hydromorphone",
            "fentanyl",
            "tramadol",
            "tapentadol",
            "pethidine",
            "meperidine",
            "methadone",
            "buprenorphine",
            "dihydrocodeine",
            "hydrocodone",
        ],
    },
    DrugClass {
        name: "ACE inhibitors",
        aliases: &[
            "ace inhibitor",
            "ace inhibitors",
            "ace-inhibitor",
            "ace-inhibitors",
        ],
        members: &[
            "lisinopril",
            "enalapril",
            "ramipril",
            "perindopril",
            "captopril",
            "benazepril",
            "quinapril",
            "fosinopril",
            "trandolapril",
        ],
    },
    DrugClass {
        name: "statins",
        aliases: &["statin", "statins"],
        members: &[
            "atorvastatin",
            "simvastatin",
            "rosuvastatin",
            "pravastatin",
            "fluvastatin",
            "lovastatin",
            "pitavastatin",
        ],
    },
];

/// Classes known to cross-react: an allergy to the first is a warning for the second.
const CROSS_REACTING: &[(&str, &str)] = &[("penicillins", "cephalosporins")];

/// The words of a name, lower case, for matching whole words: "Co-Amoxiclav 625mg" reads
/// `co-amoxiclav 625mg`, with other punctuation as spaces.
fn words(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `phrase` (already in [`words`] form) is in `text` as whole words.
fn has_phrase(text: &str, phrase: &str) -> bool {
    let (text, phrase) = (format!(" {text} "), format!(" {phrase} "));
    text.contains(&phrase)
}

/// The classes a name belongs to: by a member's name, or by naming the class itself.
fn classes_of(name: &str) -> Vec<&'static DrugClass> {
    let name = words(name);
    CLASSES
        .iter()
        .filter(|class| {
            class
                .aliases
                .iter()
                .chain(class.members)
                .any(|known| has_phrase(&name, &words(known)))
        })
        .collect()
}

/// Why a drug is a risk for a patient with one recorded allergy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AllergyWarning {
    /// The allergy's substance, as recorded.
    pub substance: String,
    /// What ties the drug to it, in plain words.
    pub reason: String,
}

/// The warnings for prescribing `drug` to a patient allergic to each of `substances` (the
/// active allergies'): the same drug by name, a drug of the same class, or of a class known to
/// cross-react. Empty when nothing matches.
pub fn allergy_warnings<'a>(
    drug: &str,
    substances: impl IntoIterator<Item = &'a str>,
) -> Vec<AllergyWarning> {
    let drug_words = words(drug);
    let drug_classes = classes_of(drug);
    substances
        .into_iter()
        .filter_map(|substance| {
            let substance_words = words(substance);
            let reason = if !substance_words.is_empty()
                && (has_phrase(&drug_words, &substance_words)
                    || has_phrase(&substance_words, &drug_words))
            {
                format!("{drug} is the substance the patient is allergic to")
            } else if let Some(shared) = classes_of(substance)
                .iter()
                .find(|class| drug_classes.iter().any(|d| d.name == class.name))
            {
                format!("{drug} is one of the {}, like {substance}", shared.name)
            } else {
                let allergic_to = classes_of(substance);
                let (from, to) = CROSS_REACTING.iter().find(|(from, to)| {
                    allergic_to.iter().any(|c| c.name == *from)
                        && drug_classes.iter().any(|c| c.name == *to)
                })?;
                format!("{drug} is one of the {to}, which can cross-react with {from}")
            };
            Some(AllergyWarning {
                substance: substance.to_owned(),
                reason,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warned(drug: &str, allergies: &[&str]) -> Vec<String> {
        allergy_warnings(drug, allergies.iter().copied())
            .into_iter()
            .map(|w| w.reason)
            .collect()
    }

    #[test]
    fn a_drug_matches_an_allergy_by_name_or_by_class() {
        assert_eq!(
            warned("Penicillin V 250 mg", &["Amoxicillin"]),
            ["Penicillin V 250 mg is one of the penicillins, like Amoxicillin"]
        );
        assert_eq!(
            warned("amoxicillin", &["AMOXICILLIN"]),
            ["amoxicillin is the substance the patient is allergic to"]
        );
        assert_eq!(warned("Co-trimoxazole", &["sulfa drugs"]).len(), 1);
        assert_eq!(warned("Ibuprofen 400mg", &["NSAIDs"]).len(), 1);
        assert_eq!(warned("Naproxen", &["Aspirin"]).len(), 1);
        assert_eq!(
            warned("Cefalexin", &["Penicillin"]),
            ["Cefalexin is one of the cephalosporins, which can cross-react with penicillins"]
        );
        // Each allergy that matches is a warning of its own.
        assert_eq!(
            warned("Amoxicillin", &["penicillin", "Latex", "amoxicillin"]).len(),
            2
        );
    }

    #[test]
    fn unrelated_drugs_and_parts_of_words_do_not_match() {
        assert!(warned("Paracetamol", &["Penicillin", "Peanuts", "NSAIDs"]).is_empty());
        assert!(warned("Metformin", &["Sulfa"]).is_empty());
        // Whole words only: "ace" is not in "acetaminophen", nor "statin" in "nystatin".
        assert!(warned("Acetaminophen", &["ACE inhibitors"]).is_empty());
        assert!(warned("Nystatin", &["statins"]).is_empty());
        // Cephalosporin allergy does not warn for penicillins: the known cross-reaction is
        // written one way only.
        assert!(warned("Amoxicillin", &["Ceftriaxone"]).is_empty());
    }

    #[test]
    fn statuses_change_only_forward_and_say_why_when_they_stop() {
        use PrescriptionStatus::*;
        assert_eq!(Active.change_to(Completed), Ok(NeedsReason(false)));
        assert_eq!(Active.change_to(Stopped), Ok(NeedsReason(true)));
        assert_eq!(Completed.change_to(EnteredInError), Ok(NeedsReason(true)));
        assert!(Completed.change_to(Active).is_err());
        assert!(Stopped.change_to(Completed).is_err());
        assert!(EnteredInError.change_to(Active).is_err());
        assert!(Active.change_to(Active).is_err());
        assert_eq!(Route::parse("eye"), Ok(Route::Eye));
        assert_eq!(Route::parse("by mouth").map_err(|e| e.field), Err("route"));
    }
}
