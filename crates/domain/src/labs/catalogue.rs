//! The analytes MedVault knows: each common test's LOINC code, its name and the other names
//! reports give it, its unit and the other units it comes in (with the conversion), its
//! reference ranges (by sex and age where they differ) and its critical limits. Entry forms
//! offer them, report ingestion maps names to them, and insights read their limits.
//!
//! Ranges are typical adult ranges from common laboratory practice and differ between labs: a
//! report's own range, when it gives one, always wins. Critical limits follow common lab
//! critical-value lists (e.g. potassium < 2.8 or > 6.2 mmol/L).

use super::units::same_unit;
use crate::values::Sex;

/// One analyte.
pub struct Analyte {
    pub code: &'static str,
    pub name: &'static str,
    /// Other names reports use for it ("sgpt", "hgb"), besides `name`.
    pub synonyms: &'static [&'static str],
    /// The unit MedVault keeps it in ("" for a ratio without one).
    pub unit: &'static str,
    /// Other units labs report it in, each with how to bring a value to `unit`.
    pub conversions: &'static [Conversion],
    /// Reference ranges, the most specific first; the first that fits a patient applies.
    pub ranges: &'static [Range],
    /// Values beyond which the care team must hear at once, in `unit`.
    pub critical_low: Option<f64>,
    pub critical_high: Option<f64>,
}

/// A value in `unit` is `value * factor + offset` in the analyte's own unit.
pub struct Conversion {
    pub unit: &'static str,
    pub factor: f64,
    pub offset: f64,
}

/// A reference range, for one sex or all, below an age or at any age.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub sex: Option<Sex>,
    /// Applies to patients younger than this many years, when set.
    pub below_age: Option<u8>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Analyte {
    /// The reference range for a patient of this sex and age (either may be unknown): the
    /// first range that fits.
    pub fn range_for(&self, sex: Option<Sex>, age: Option<u32>) -> Option<Range> {
        self.ranges.iter().copied().find(|range| {
            let sex_fits = range.sex.is_none() || range.sex == sex;
            let age_fits = match (range.below_age, age) {
                (None, _) => true,
                (Some(limit), Some(age)) => age < u32::from(limit),
                (Some(_), None) => false,
            };
            sex_fits && age_fits
        })
    }

    /// The range that serves when nothing is known of the patient.
    pub fn default_range(&self) -> Option<Range> {
        self.range_for(None, None)
    }

    /// The default range's bounds, low and high.
    pub fn default_bounds(&self) -> (Option<f64>, Option<f64>) {
        self.default_range()
            .map_or((None, None), |range| (range.low, range.high))
    }

    /// A value written in `unit`, brought to the analyte's own unit; `None` when the unit is
    /// not one the analyte comes in.
    pub fn to_own_unit(&self, value: f64, unit: &str) -> Option<f64> {
        if same_unit(unit, self.unit) {
            return Some(value);
        }
        self.conversions
            .iter()
            .find(|conversion| same_unit(unit, conversion.unit))
            .map(|conversion| value * conversion.factor + conversion.offset)
    }

    /// The catalogue's spelling of a unit the analyte comes in, however it was written.
    pub fn spelling_of(&self, unit: &str) -> Option<&'static str> {
        std::iter::once(self.unit)
            .chain(self.conversions.iter().map(|c| c.unit))
            .find(|known| !known.is_empty() && same_unit(unit, known))
    }

    /// Whether the analyte comes in this unit, its own or one it converts from.
    pub fn knows_unit(&self, unit: &str) -> bool {
        self.to_own_unit(1.0, unit).is_some()
    }

    /// Every name it goes by: its own, then its synonyms.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.synonyms.iter().copied())
    }
}

/// The analyte with this LOINC code.
pub fn known_by_code(code: &str) -> Option<&'static Analyte> {
    CATALOGUE.iter().find(|analyte| analyte.code == code)
}

/// The analyte with this name or synonym, in any case and spacing.
pub fn known_by_name(name: &str) -> Option<&'static Analyte> {
    let wanted = name_key(name);
    name_index()
        .iter()
        .find(|(known, _)| *known == wanted)
        .map(|(_, analyte)| *analyte)
}

/// Every analyte's names as compared ([`name_key`]), in the catalogue's order, with the
/// analyte: worked out once, since a report's every line is matched against them all.
pub fn name_index() -> &'static [(String, &'static Analyte)] {
    static INDEX: std::sync::OnceLock<Vec<(String, &'static Analyte)>> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        CATALOGUE
            .iter()
            .flat_map(|analyte| analyte.names().map(move |name| (name_key(name), analyte)))
            .collect()
    })
}

/// A name as compared: lower case, letters and digits in words, British and American
/// spellings alike ("Haemoglobin" and "hemoglobin").
pub fn name_key(name: &str) -> String {
    // "%" and "#" tell a differential's percentage from its count: they stay, as words.
    let spaced: String = name
        .chars()
        .map(|c| match c {
            '%' => " % ".to_owned(),
            '#' => " # ".to_owned(),
            c if c.is_alphanumeric() => c.to_lowercase().collect(),
            _ => " ".to_owned(),
        })
        .collect();
    let words: Vec<String> = spaced
        .split_whitespace()
        .map(|word| word.replace("ae", "e").replace("oe", "e"))
        .collect();
    words.join(" ")
}

const fn per(unit: &'static str, factor: f64) -> Conversion {
    Conversion {
        unit,
        factor,
        offset: 0.0,
    }
}

const fn all(low: f64, high: f64) -> Range {
    Range {
        sex: None,
        below_age: None,
        low: Some(low),
        high: Some(high),
    }
}

const fn below(high: f64) -> Range {
    Range {
        sex: None,
        below_age: None,
        low: None,
        high: Some(high),
    }
}

const fn above(low: f64) -> Range {
    Range {
        sex: None,
        below_age: None,
        low: Some(low),
        high: None,
    }
}

const fn female(low: f64, high: f64) -> Range {
    Range {
        sex: Some(Sex::Female),
        ..all(low, high)
    }
}

const fn male(low: f64, high: f64) -> Range {
    Range {
        sex: Some(Sex::Male),
        ..all(low, high)
    }
}

const fn child(below_age: u8, low: f64, high: f64) -> Range {
    Range {
        below_age: Some(below_age),
        ..all(low, high)
    }
}

const fn analyte(
    code: &'static str,
    name: &'static str,
    unit: &'static str,
    synonyms: &'static [&'static str],
) -> Analyte {
    Analyte {
        code,
        name,
        synonyms,
        unit,
        conversions: &[],
        ranges: &[],
        critical_low: None,
        critical_high: None,
    }
}

impl Analyte {
    const fn converts(self, conversions: &'static [Conversion]) -> Self {
        Analyte {
            conversions,
            ..self
        }
    }

    const fn ranges(self, ranges: &'static [Range]) -> Self {
        Analyte { ranges, ..self }
    }

    const fn critical(self, low: Option<f64>, high: Option<f64>) -> Self {
        Analyte {
            critical_low: low,
            critical_high: high,
            ..self
        }
    }
}

const CELLS_THOUSANDS: &[Conversion] = &[per("10^9/L", 1.0), per("/uL", 0.001)];
const PERCENT_OF_CELLS: &[Conversion] = &[per("fraction", 100.0)];

/// The catalogue: chemistry, haematology, coagulation, lipids, diabetes, thyroid, iron and
/// vitamins, cardiac, inflammation, blood gases, hormones, tumour markers and urine.
#[rustfmt::skip]
pub static CATALOGUE: &[Analyte] = &[
    // Glucose and diabetes.
    analyte("2345-7", "Glucose", "mg/dL", &["glucose random", "random glucose", "glucose serum", "serum glucose", "plasma glucose", "blood sugar", "glu"])
        .converts(&[per("mmol/L", 18.016)]).ranges(&[all(70.0, 99.0)]).critical(Some(40.0), Some(500.0)),
    analyte("1558-6", "Glucose, fasting", "mg/dL", &["fasting glucose", "fasting blood sugar", "fbs", "fpg", "fasting plasma glucose", "glucose fasting"])
        .converts(&[per("mmol/L", 18.016)]).ranges(&[all(70.0, 99.0)]).critical(Some(40.0), Some(500.0)),
    analyte("4548-4", "Haemoglobin A1c", "%", &["hba1c", "hb a1c", "a1c", "glycated haemoglobin", "glycosylated haemoglobin", "glycohaemoglobin", "haemoglobin a1c", "hgba1c"])
        // IFCC units to NGSP percent (the IFCC–NGSP master equation).
        .converts(&[Conversion { unit: "mmol/mol", factor: 0.09148, offset: 2.152 }]).ranges(&[all(4.0, 5.6)]),
    analyte("20448-7", "Insulin", "uIU/mL", &["insulin fasting", "fasting insulin"])
        .converts(&[per("pmol/L", 1.0 / 6.0)]).ranges(&[all(2.6, 24.9)]),
    analyte("2524-7", "Lactate", "mmol/L", &["lactic acid", "lactate plasma"])
        .converts(&[per("mg/dL", 1.0 / 9.008)]).ranges(&[all(0.5, 2.2)]).critical(None, Some(4.0)),

    // Electrolytes and kidney.
    analyte("2951-2", "Sodium", "mmol/L", &["na", "na+", "sodium serum", "serum sodium"])
        .ranges(&[all(135.0, 145.0)]).critical(Some(120.0), Some(160.0)),
    analyte("2823-3", "Potassium", "mmol/L", &["k", "k+", "potassium serum", "serum potassium"])
        .ranges(&[all(3.5, 5.1)]).critical(Some(2.8), Some(6.2)),
    analyte("2075-0", "Chloride", "mmol/L", &["cl", "cl-", "chloride serum"])
        .ranges(&[all(98.0, 107.0)]).critical(Some(80.0), Some(120.0)),
    analyte("2028-9", "Carbon dioxide", "mmol/L", &["bicarbonate", "co2", "total co2", "hco3", "tco2", "carbon dioxide total", "bicarbonate serum"])
        .ranges(&[all(22.0, 29.0)]).critical(Some(10.0), Some(40.0)),
    analyte("33037-3", "Anion gap", "mmol/L", &["agap", "anion gap serum"])
        .ranges(&[all(3.0, 11.0)]),
    analyte("3094-0", "Urea nitrogen", "mg/dL", &["bun", "blood urea nitrogen", "urea nitrogen serum"])
        .converts(&[per("mmol/L", 2.801)]).ranges(&[all(7.0, 20.0)]),
    analyte("22664-7", "Urea", "mmol/L", &["urea serum", "serum urea"])
        .ranges(&[all(2.5, 7.8)]),
    analyte("2160-0", "Creatinine", "mg/dL", &["creat", "creatinine serum", "serum creatinine", "cr", "crea"])
        .converts(&[per("umol/L", 1.0 / 88.42)])
        .ranges(&[male(0.74, 1.35), female(0.59, 1.04), all(0.59, 1.35)]),
    analyte("3097-3", "Urea nitrogen/creatinine ratio", "", &["bun/creatinine ratio", "bun creatinine ratio", "bun/creat ratio"])
        .ranges(&[all(10.0, 20.0)]),
    analyte("98979-8", "eGFR (CKD-EPI 2021)", "mL/min/1.73m2", &["egfr ckd epi 2021", "egfr creatinine ckd epi 2021", "estimated gfr ckd epi"])
        .ranges(&[above(60.0)]),
    analyte("33914-3", "eGFR", "mL/min/1.73m2", &["estimated gfr", "gfr estimated", "egfr mdrd", "gfr"])
        .ranges(&[above(60.0)]),
    analyte("17861-6", "Calcium", "mg/dL", &["ca", "calcium serum", "serum calcium", "calcium total", "total calcium"])
        .converts(&[per("mmol/L", 4.008)]).ranges(&[all(8.6, 10.3)]).critical(Some(6.0), Some(13.0)),
    analyte("1994-3", "Calcium, ionized", "mmol/L", &["ionized calcium", "ionised calcium", "ica", "calcium ionised"])
        .converts(&[per("mg/dL", 0.2495)]).ranges(&[all(1.12, 1.32)]).critical(Some(0.78), Some(1.58)),
    analyte("2777-1", "Phosphate", "mg/dL", &["phosphorus", "phos", "inorganic phosphate", "phosphate serum"])
        .converts(&[per("mmol/L", 3.097)]).ranges(&[child(18, 3.0, 6.0), all(2.5, 4.5)]).critical(Some(1.0), None),
    analyte("19123-9", "Magnesium", "mg/dL", &["magnesium serum", "serum magnesium"])
        .converts(&[per("mmol/L", 2.431)]).ranges(&[all(1.7, 2.2)]).critical(Some(1.0), Some(4.9)),
    analyte("3084-1", "Uric acid", "mg/dL", &["urate", "uric acid serum"])
        .converts(&[per("umol/L", 1.0 / 59.48)]).ranges(&[male(3.4, 7.0), female(2.4, 6.0), all(2.4, 7.0)]),
    analyte("2692-2", "Osmolality", "mOsm/kg", &["serum osmolality", "osmolality serum"])
        .ranges(&[all(275.0, 295.0)]).critical(Some(250.0), Some(325.0)),

    // Liver and proteins.
    analyte("1742-6", "ALT", "U/L", &["alanine aminotransferase", "sgpt", "alt sgpt", "gpt", "alat"])
        .ranges(&[male(7.0, 55.0), female(7.0, 45.0), all(7.0, 56.0)]),
    analyte("1920-8", "AST", "U/L", &["aspartate aminotransferase", "sgot", "ast sgot", "got", "asat"])
        .ranges(&[all(10.0, 40.0)]),
    analyte("6768-6", "Alkaline phosphatase", "U/L", &["alp", "alk phos", "alkaline phosphatase serum", "alk phosphatase"])
        .ranges(&[child(18, 100.0, 390.0), all(44.0, 147.0)]),
    analyte("2324-2", "GGT", "U/L", &["gamma glutamyl transferase", "gamma gt", "ggtp", "gamma glutamyltransferase"])
        .ranges(&[male(8.0, 61.0), female(5.0, 36.0), all(5.0, 61.0)]),
    analyte("1975-2", "Bilirubin, total", "mg/dL", &["total bilirubin", "bilirubin", "t bili", "tbil", "bilirubin total serum"])
        .converts(&[per("umol/L", 1.0 / 17.1)]).ranges(&[all(0.1, 1.2)]).critical(None, Some(15.0)),
    analyte("1968-7", "Bilirubin, direct", "mg/dL", &["direct bilirubin", "conjugated bilirubin", "d bili", "dbil"])
        .converts(&[per("umol/L", 1.0 / 17.1)]).ranges(&[all(0.0, 0.3)]),
    analyte("1751-7", "Albumin", "g/dL", &["alb", "albumin serum", "serum albumin"])
        .converts(&[per("g/L", 0.1)]).ranges(&[all(3.5, 5.0)]),
    analyte("2885-2", "Protein, total", "g/dL", &["total protein", "tp", "protein total serum"])
        .converts(&[per("g/L", 0.1)]).ranges(&[all(6.0, 8.3)]),
    analyte("10834-0", "Globulin", "g/dL", &["globulin serum", "globulins"])
        .converts(&[per("g/L", 0.1)]).ranges(&[all(2.0, 3.5)]),
    analyte("1759-0", "Albumin/globulin ratio", "", &["a/g ratio", "ag ratio", "albumin globulin ratio"])
        .ranges(&[all(1.1, 2.5)]),
    analyte("2532-0", "Lactate dehydrogenase", "U/L", &["ldh", "ld", "lactic dehydrogenase"])
        .ranges(&[all(140.0, 280.0)]),
    analyte("2157-6", "Creatine kinase", "U/L", &["ck", "cpk", "creatine phosphokinase", "ck total"])
        .ranges(&[male(39.0, 308.0), female(26.0, 192.0), all(26.0, 308.0)]),
    analyte("1798-8", "Amylase", "U/L", &["amylase serum", "serum amylase"])
        .ranges(&[all(30.0, 110.0)]),
    analyte("3040-3", "Lipase", "U/L", &["lipase serum", "serum lipase"])
        .ranges(&[all(0.0, 160.0)]),
    analyte("16362-6", "Ammonia", "umol/L", &["nh3", "ammonia plasma"])
        .converts(&[per("ug/dL", 0.5872)]).ranges(&[all(11.0, 35.0)]).critical(None, Some(100.0)),

    // Lipids.
    analyte("2093-3", "Cholesterol, total", "mg/dL", &["total cholesterol", "cholesterol", "chol", "tc", "cholesterol serum"])
        .converts(&[per("mmol/L", 38.67)]).ranges(&[below(200.0)]),
    analyte("2085-9", "HDL cholesterol", "mg/dL", &["hdl", "hdl c", "hdl-c", "cholesterol hdl", "high density lipoprotein"])
        .converts(&[per("mmol/L", 38.67)]).ranges(&[male(40.0, 999.0), female(50.0, 999.0), above(40.0)]),
    analyte("13457-7", "LDL cholesterol (calculated)", "mg/dL", &["ldl calculated", "ldl calc", "calculated ldl", "ldl c calculated", "ldl cholesterol calc"])
        .converts(&[per("mmol/L", 38.67)]).ranges(&[below(100.0)]),
    analyte("2089-1", "LDL cholesterol", "mg/dL", &["ldl", "ldl c", "ldl-c", "cholesterol ldl", "ldl direct", "direct ldl", "low density lipoprotein"])
        .converts(&[per("mmol/L", 38.67)]).ranges(&[below(100.0)]),
    analyte("43396-1", "Non-HDL cholesterol", "mg/dL", &["non hdl cholesterol", "non hdl", "non hdl c", "cholesterol non hdl"])
        .converts(&[per("mmol/L", 38.67)]).ranges(&[below(130.0)]),
    analyte("2571-8", "Triglycerides", "mg/dL", &["triglyceride", "trig", "tg", "trigs"])
        .converts(&[per("mmol/L", 88.57)]).ranges(&[below(150.0)]),
    analyte("9830-1", "Cholesterol/HDL ratio", "", &["total cholesterol/hdl ratio", "chol/hdl ratio", "tc/hdl ratio", "cholesterol hdl ratio"])
        .ranges(&[below(5.0)]),
    analyte("10835-7", "Lipoprotein (a)", "mg/dL", &["lipoprotein a", "lp(a)", "lpa", "lp a"])
        .ranges(&[below(30.0)]),
    analyte("1884-6", "Apolipoprotein B", "mg/dL", &["apo b", "apob", "apolipoprotein b100"])
        .converts(&[per("g/L", 100.0)]).ranges(&[below(90.0)]),

    // Thyroid.
    analyte("3016-3", "TSH", "mIU/L", &["thyroid stimulating hormone", "thyrotropin", "tsh ultrasensitive", "tsh 3rd generation", "tsh serum"])
        .converts(&[per("uIU/mL", 1.0)]).ranges(&[all(0.4, 4.0)]),
    analyte("3024-7", "Free T4", "ng/dL", &["ft4", "free thyroxine", "t4 free", "thyroxine free"])
        .converts(&[per("pmol/L", 1.0 / 12.87)]).ranges(&[all(0.8, 1.8)]),
    analyte("3051-0", "Free T3", "pg/mL", &["ft3", "free triiodothyronine", "t3 free", "triiodothyronine free"])
        .converts(&[per("pmol/L", 1.0 / 1.536)]).ranges(&[all(2.3, 4.2)]),
    analyte("3026-2", "Thyroxine (T4)", "ug/dL", &["t4", "total t4", "thyroxine", "t4 total"])
        .converts(&[per("nmol/L", 1.0 / 12.87)]).ranges(&[all(5.0, 12.0)]),
    analyte("8098-6", "Thyroid peroxidase antibodies", "IU/mL", &["tpo antibodies", "anti tpo", "tpo ab", "thyroid peroxidase ab"])
        .ranges(&[below(35.0)]),

    // Blood count.
    analyte("6690-2", "White blood cells", "10^3/uL", &["wbc", "white blood cell count", "wbc count", "leukocytes", "leucocytes", "total leucocyte count", "tlc", "white cell count", "wcc"])
        .converts(CELLS_THOUSANDS).ranges(&[all(4.0, 11.0)]).critical(Some(2.0), Some(30.0)),
    analyte("789-8", "Red blood cells", "10^6/uL", &["rbc", "red blood cell count", "rbc count", "erythrocytes", "red cell count"])
        .converts(&[per("10^12/L", 1.0)]).ranges(&[male(4.5, 5.9), female(4.1, 5.1), all(4.1, 5.9)]),
    analyte("718-7", "Haemoglobin", "g/dL", &["hb", "hgb", "haemoglobin blood", "hemoglobin"])
        .converts(&[per("g/L", 0.1), per("mmol/L", 1.611)])
        .ranges(&[male(13.5, 17.5), female(12.0, 15.5), all(12.0, 17.5)]).critical(Some(7.0), Some(20.0)),
    analyte("4544-3", "Haematocrit", "%", &["hct", "packed cell volume", "pcv", "hematocrit"])
        .converts(&[per("L/L", 100.0)]).ranges(&[male(41.0, 53.0), female(36.0, 46.0), all(36.0, 53.0)]).critical(Some(20.0), Some(60.0)),
    analyte("787-2", "MCV", "fL", &["mean corpuscular volume", "mean cell volume"])
        .ranges(&[all(80.0, 100.0)]),
    analyte("785-6", "MCH", "pg", &["mean corpuscular haemoglobin", "mean cell haemoglobin"])
        .ranges(&[all(27.0, 33.0)]),
    analyte("786-4", "MCHC", "g/dL", &["mean corpuscular haemoglobin concentration", "mean cell haemoglobin concentration"])
        .converts(&[per("g/L", 0.1)]).ranges(&[all(32.0, 36.0)]),
    analyte("788-0", "RDW", "%", &["red cell distribution width", "rdw cv", "rdw-cv"])
        .ranges(&[all(11.5, 14.5)]),
    analyte("777-3", "Platelets", "10^3/uL", &["plt", "platelet count", "platelets count", "thrombocytes"])
        .converts(CELLS_THOUSANDS).ranges(&[all(150.0, 400.0)]).critical(Some(20.0), Some(1000.0)),
    analyte("32623-1", "MPV", "fL", &["mean platelet volume"])
        .ranges(&[all(7.5, 11.5)]),
    analyte("770-8", "Neutrophils %", "%", &["neutrophils percent", "neutrophil %", "neut %", "polymorphs", "segmented neutrophils"])
        .converts(PERCENT_OF_CELLS).ranges(&[all(40.0, 75.0)]),
    analyte("751-8", "Neutrophils", "10^3/uL", &["absolute neutrophil count", "anc", "neutrophils absolute", "neut #", "neutrophils abs"])
        .converts(CELLS_THOUSANDS).ranges(&[all(1.8, 7.7)]).critical(Some(0.5), None),
    analyte("736-9", "Lymphocytes %", "%", &["lymphocytes percent", "lymph %", "lymphocyte %"])
        .converts(PERCENT_OF_CELLS).ranges(&[all(20.0, 45.0)]),
    analyte("731-0", "Lymphocytes", "10^3/uL", &["absolute lymphocyte count", "lymphocytes absolute", "lymph #", "alc", "lymphocytes abs"])
        .converts(CELLS_THOUSANDS).ranges(&[all(1.0, 4.8)]),
    analyte("5905-5", "Monocytes %", "%", &["monocytes percent", "mono %", "monocyte %"])
        .converts(PERCENT_OF_CELLS).ranges(&[all(2.0, 10.0)]),
    analyte("742-7", "Monocytes", "10^3/uL", &["absolute monocyte count", "monocytes absolute", "mono #", "monocytes abs"])
        .converts(CELLS_THOUSANDS).ranges(&[all(0.2, 1.0)]),
    analyte("713-8", "Eosinophils %", "%", &["eosinophils percent", "eos %", "eosinophil %"])
        .converts(PERCENT_OF_CELLS).ranges(&[all(1.0, 6.0)]),
    analyte("711-2", "Eosinophils", "10^3/uL", &["absolute eosinophil count", "eosinophils absolute", "eos #", "aec", "eosinophils abs"])
        .converts(CELLS_THOUSANDS).ranges(&[all(0.0, 0.5)]),
    analyte("706-2", "Basophils %", "%", &["basophils percent", "baso %", "basophil %"])
        .converts(PERCENT_OF_CELLS).ranges(&[all(0.0, 2.0)]),
    analyte("704-7", "Basophils", "10^3/uL", &["absolute basophil count", "basophils absolute", "baso #", "basophils abs"])
        .converts(CELLS_THOUSANDS).ranges(&[all(0.0, 0.2)]),
    analyte("4679-7", "Reticulocytes", "%", &["reticulocyte count", "retic", "retic count", "reticulocytes percent"])
        .ranges(&[all(0.5, 2.5)]),
    analyte("4537-7", "ESR", "mm/h", &["erythrocyte sedimentation rate", "sed rate", "esr westergren"])
        .converts(&[per("mm/hr", 1.0), per("mm/1st hr", 1.0)]).ranges(&[male(0.0, 15.0), female(0.0, 20.0), all(0.0, 20.0)]),

    // Coagulation.
    analyte("5902-2", "Prothrombin time", "s", &["pt", "protime", "prothrombin time pt"])
        .converts(&[per("sec", 1.0), per("seconds", 1.0)]).ranges(&[all(11.0, 13.5)]),
    analyte("6301-6", "INR", "", &["international normalized ratio", "pt inr", "inr ratio"])
        .ranges(&[all(0.8, 1.2)]).critical(None, Some(5.0)),
    analyte("3173-2", "aPTT", "s", &["activated partial thromboplastin time", "ptt", "aptt", "partial thromboplastin time"])
        .converts(&[per("sec", 1.0), per("seconds", 1.0)]).ranges(&[all(25.0, 35.0)]).critical(None, Some(100.0)),
    analyte("3255-7", "Fibrinogen", "mg/dL", &["fibrinogen clauss", "fibrinogen plasma"])
        .converts(&[per("g/L", 100.0)]).ranges(&[all(200.0, 400.0)]).critical(Some(100.0), None),
    analyte("48065-7", "D-dimer", "ng/mL FEU", &["d dimer", "ddimer", "d-dimer feu"])
        .converts(&[per("ug/mL FEU", 1000.0), per("mg/L FEU", 1000.0)]).ranges(&[below(500.0)]),

    // Cardiac.
    analyte("10839-9", "Troponin I", "ng/mL", &["troponin i cardiac", "ctni", "tni", "cardiac troponin i"])
        .converts(&[per("ng/L", 0.001), per("pg/mL", 0.001)]).ranges(&[below(0.04)]).critical(None, Some(0.04)),
    analyte("6598-7", "Troponin T", "ng/mL", &["troponin t cardiac", "ctnt", "tnt", "cardiac troponin t"])
        .converts(&[per("ng/L", 0.001), per("pg/mL", 0.001)]).ranges(&[below(0.01)]).critical(None, Some(0.1)),
    analyte("89579-7", "Troponin I, high sensitivity", "ng/L", &["hs troponin i", "hs tni", "high sensitivity troponin i", "hs ctni", "troponin i hs"])
        .converts(&[per("pg/mL", 1.0), per("ng/mL", 1000.0)]).ranges(&[below(34.0)]).critical(None, Some(100.0)),
    analyte("30934-4", "BNP", "pg/mL", &["b type natriuretic peptide", "brain natriuretic peptide"])
        .converts(&[per("ng/L", 1.0)]).ranges(&[below(100.0)]),
    analyte("33762-6", "NT-proBNP", "pg/mL", &["nt probnp", "n terminal pro bnp", "ntprobnp", "pro bnp"])
        .converts(&[per("ng/L", 1.0)]).ranges(&[below(125.0)]),
    analyte("13969-1", "CK-MB", "ng/mL", &["ck mb", "creatine kinase mb", "ckmb mass"])
        .converts(&[per("ug/L", 1.0)]).ranges(&[below(5.0)]),
    analyte("13965-9", "Homocysteine", "umol/L", &["homocysteine plasma", "hcy"])
        .ranges(&[all(5.0, 15.0)]),

    // Inflammation and infection.
    analyte("1988-5", "C-reactive protein", "mg/L", &["crp", "c reactive protein", "crp serum"])
        .converts(&[per("mg/dL", 10.0)]).ranges(&[below(10.0)]),
    analyte("30522-7", "hs-CRP", "mg/L", &["high sensitivity crp", "hs crp", "hscrp", "c reactive protein high sensitivity"])
        .converts(&[per("mg/dL", 10.0)]).ranges(&[below(3.0)]),
    analyte("33959-8", "Procalcitonin", "ng/mL", &["pct", "procalcitonin serum"])
        .converts(&[per("ug/L", 1.0)]).ranges(&[below(0.1)]),
    analyte("11572-5", "Rheumatoid factor", "IU/mL", &["rf", "rheumatoid factor quantitative", "ra factor"])
        .converts(&[per("kIU/L", 1.0)]).ranges(&[below(14.0)]),

    // Iron and vitamins.
    analyte("2276-4", "Ferritin", "ng/mL", &["ferritin serum", "serum ferritin"])
        .converts(&[per("ug/L", 1.0), per("pmol/L", 1.0 / 2.247)])
        .ranges(&[male(24.0, 336.0), female(11.0, 307.0), all(11.0, 336.0)]),
    analyte("2498-4", "Iron", "ug/dL", &["serum iron", "iron serum", "fe"])
        .converts(&[per("umol/L", 5.585)]).ranges(&[male(65.0, 175.0), female(50.0, 170.0), all(50.0, 175.0)]),
    analyte("2500-7", "TIBC", "ug/dL", &["total iron binding capacity", "iron binding capacity"])
        .converts(&[per("umol/L", 5.585)]).ranges(&[all(250.0, 450.0)]),
    analyte("2502-3", "Transferrin saturation", "%", &["iron saturation", "tsat", "transferrin sat"])
        .ranges(&[all(20.0, 50.0)]),
    analyte("3034-6", "Transferrin", "mg/dL", &["transferrin serum"])
        .converts(&[per("g/L", 100.0)]).ranges(&[all(200.0, 360.0)]),
    analyte("2132-9", "Vitamin B12", "pg/mL", &["b12", "cobalamin", "cyanocobalamin", "vit b12"])
        .converts(&[per("pmol/L", 1.355), per("ng/L", 1.0)]).ranges(&[all(200.0, 900.0)]),
    analyte("2284-8", "Folate", "ng/mL", &["folic acid", "serum folate", "folate serum"])
        .converts(&[per("nmol/L", 1.0 / 2.266), per("ug/L", 1.0)]).ranges(&[above(3.0)]),
    analyte("62292-8", "Vitamin D, 25-hydroxy", "ng/mL", &["25 oh vitamin d", "vitamin d 25 oh", "25 hydroxyvitamin d", "vitamin d", "25(oh)d", "vit d", "vitamin d total"])
        .converts(&[per("nmol/L", 1.0 / 2.496)]).ranges(&[all(30.0, 100.0)]),
    analyte("4542-7", "Haptoglobin", "mg/dL", &["haptoglobin serum"])
        .converts(&[per("g/L", 100.0)]).ranges(&[all(30.0, 200.0)]),

    // Blood gases.
    analyte("2744-1", "pH, arterial", "", &["ph arterial", "arterial ph", "blood ph", "ph"])
        .ranges(&[all(7.35, 7.45)]).critical(Some(7.2), Some(7.6)),
    analyte("2019-8", "pCO2, arterial", "mmHg", &["pco2", "paco2", "pco2 arterial"])
        .converts(&[per("kPa", 7.5006)]).ranges(&[all(35.0, 45.0)]).critical(Some(20.0), Some(70.0)),
    analyte("2703-7", "pO2, arterial", "mmHg", &["po2", "pao2", "po2 arterial"])
        .converts(&[per("kPa", 7.5006)]).ranges(&[all(80.0, 100.0)]).critical(Some(40.0), None),
    analyte("2708-6", "Oxygen saturation, arterial", "%", &["sao2", "o2 saturation", "oxygen saturation", "o2 sat"])
        .ranges(&[all(95.0, 100.0)]).critical(Some(85.0), None),
    analyte("1960-4", "Bicarbonate, arterial", "mmol/L", &["hco3 arterial", "arterial bicarbonate", "actual bicarbonate"])
        .ranges(&[all(22.0, 26.0)]),

    // Hormones.
    analyte("2143-6", "Cortisol", "ug/dL", &["cortisol serum", "serum cortisol", "cortisol am", "morning cortisol"])
        .converts(&[per("nmol/L", 1.0 / 27.59)]).ranges(&[all(5.0, 25.0)]),
    analyte("2986-8", "Testosterone", "ng/dL", &["testosterone total", "total testosterone", "testosterone serum"])
        .converts(&[per("nmol/L", 28.84)]).ranges(&[male(264.0, 916.0), female(15.0, 70.0), all(15.0, 916.0)]),
    analyte("2243-4", "Estradiol", "pg/mL", &["oestradiol", "e2", "estradiol serum"])
        .converts(&[per("pmol/L", 1.0 / 3.671)]).ranges(&[male(10.0, 40.0), female(15.0, 350.0), all(10.0, 350.0)]),
    analyte("2842-3", "Prolactin", "ng/mL", &["prl", "prolactin serum"])
        .converts(&[per("mIU/L", 1.0 / 21.2), per("ug/L", 1.0)]).ranges(&[male(4.0, 15.2), female(4.8, 23.3), all(4.0, 23.3)]),
    analyte("15067-2", "FSH", "mIU/mL", &["follicle stimulating hormone", "follitropin"])
        .converts(&[per("IU/L", 1.0)]).ranges(&[all(1.5, 12.4)]),
    analyte("10501-5", "LH", "mIU/mL", &["luteinizing hormone", "luteinising hormone", "lutropin"])
        .converts(&[per("IU/L", 1.0)]).ranges(&[all(1.7, 8.6)]),
    analyte("2731-8", "Parathyroid hormone", "pg/mL", &["pth", "intact pth", "pth intact", "parathormone"])
        .converts(&[per("pmol/L", 9.43), per("ng/L", 1.0)]).ranges(&[all(15.0, 65.0)]),

    // Tumour markers.
    analyte("2857-1", "PSA", "ng/mL", &["prostate specific antigen", "psa total", "total psa"])
        .converts(&[per("ug/L", 1.0)]).ranges(&[below(4.0)]),
    analyte("2039-6", "CEA", "ng/mL", &["carcinoembryonic antigen"])
        .converts(&[per("ug/L", 1.0)]).ranges(&[below(3.0)]),
    analyte("1834-1", "AFP", "ng/mL", &["alpha fetoprotein", "alpha 1 fetoprotein"])
        .converts(&[per("ug/L", 1.0)]).ranges(&[below(10.0)]),
    analyte("10334-1", "CA 125", "U/mL", &["ca125", "cancer antigen 125"])
        .converts(&[per("kU/L", 1.0)]).ranges(&[below(35.0)]),
    analyte("24108-3", "CA 19-9", "U/mL", &["ca19-9", "cancer antigen 19-9"])
        .converts(&[per("kU/L", 1.0)]).ranges(&[below(37.0)]),

    // Urine.
    analyte("5803-2", "Urine pH", "", &["ph urine", "urine ph", "urinary ph"])
        .ranges(&[all(4.5, 8.0)]),
    analyte("5811-5", "Urine specific gravity", "", &["specific gravity", "sp gravity", "sg urine", "urine sg", "specific gravity urine"])
        .ranges(&[all(1.005, 1.030)]),
    analyte("9318-7", "Albumin/creatinine ratio, urine", "mg/g", &["urine albumin creatinine ratio", "uacr", "acr", "albumin creatinine ratio", "microalbumin creatinine ratio", "microalbumin/creatinine ratio"])
        .converts(&[per("mg/mmol", 8.84)]).ranges(&[below(30.0)]),
    analyte("2890-2", "Protein/creatinine ratio, urine", "mg/g", &["urine protein creatinine ratio", "upcr", "pcr", "protein creatinine ratio"])
        .converts(&[per("mg/mmol", 8.84), per("g/g", 1000.0)]).ranges(&[below(150.0)]),
    analyte("14957-5", "Microalbumin, urine", "mg/L", &["urine microalbumin", "microalbumin", "urine albumin"])
        .ranges(&[below(20.0)]),
    analyte("2161-8", "Creatinine, urine", "mg/dL", &["urine creatinine", "creatinine urine"])
        .converts(&[per("mmol/L", 11.31)]).ranges(&[all(20.0, 320.0)]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::LoincCode;

    #[test]
    fn every_analyte_is_a_loinc_code_with_a_name_a_range_and_no_twin() {
        assert!(CATALOGUE.len() >= 100, "{} analytes", CATALOGUE.len());
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashMap::new();
        for analyte in CATALOGUE {
            assert!(
                LoincCode::parse(analyte.code).is_ok(),
                "{} {}",
                analyte.code,
                analyte.name
            );
            assert!(codes.insert(analyte.code), "{} twice", analyte.code);
            assert!(analyte.default_range().is_some(), "{}", analyte.name);
            for name in analyte.names() {
                let key = name_key(name);
                if let Some(other) = names.insert(key.clone(), analyte.code) {
                    assert_eq!(other, analyte.code, "{key} names two analytes");
                }
            }
            for range in analyte.ranges {
                if let (Some(low), Some(high)) = (range.low, range.high) {
                    assert!(low <= high, "{}", analyte.name);
                }
            }
        }
    }

    #[test]
    fn names_match_in_either_spelling() {
        assert_eq!(known_by_name("HEMOGLOBIN").map(|a| a.code), Some("718-7"));
        assert_eq!(known_by_name("Haemoglobin").map(|a| a.code), Some("718-7"));
        assert_eq!(known_by_name("sgpt").map(|a| a.code), Some("1742-6"));
        assert_eq!(
            known_by_name("Bilirubin,  Total").map(|a| a.code),
            Some("1975-2")
        );
        assert_eq!(known_by_name("Oestradiol").map(|a| a.code), Some("2243-4"));
        assert!(known_by_name("unobtainium").is_none());
    }

    #[test]
    fn units_convert_to_the_kept_unit() {
        let glucose = known_by_code("2345-7").map(|a| a.to_own_unit(5.5, "mmol/L"));
        assert!(matches!(glucose, Some(Some(v)) if (v - 99.1).abs() < 0.1));
        let creatinine = known_by_code("2160-0").map(|a| a.to_own_unit(88.42, "µmol/L"));
        assert!(matches!(creatinine, Some(Some(v)) if (v - 1.0).abs() < 1e-9));
        // 48 mmol/mol IFCC is 6.5 % NGSP, the diabetes threshold.
        let a1c = known_by_code("4548-4").map(|a| a.to_own_unit(48.0, "mmol/mol"));
        assert!(matches!(a1c, Some(Some(v)) if (v - 6.54).abs() < 0.01));
        let wbc = known_by_code("6690-2").map(|a| a.to_own_unit(7.2, "x10^9/L"));
        assert_eq!(wbc, Some(Some(7.2)));
        let sodium = known_by_code("2951-2").map(|a| a.to_own_unit(140.0, "mg/dL"));
        assert_eq!(sodium, Some(None));
    }

    #[test]
    fn ranges_follow_sex_and_age() {
        let haemoglobin = known_by_code("718-7");
        let low_of = |sex| haemoglobin.and_then(|a| a.range_for(sex, Some(40))?.low);
        assert_eq!(low_of(Some(Sex::Male)), Some(13.5));
        assert_eq!(low_of(Some(Sex::Female)), Some(12.0));
        assert_eq!(low_of(None), Some(12.0));
        let alp = known_by_code("6768-6");
        let high_at = |age| alp.and_then(|a| a.range_for(None, age)?.high);
        assert_eq!(high_at(Some(10)), Some(390.0));
        assert_eq!(high_at(Some(40)), Some(147.0));
        assert_eq!(high_at(None), Some(147.0));
    }
}
