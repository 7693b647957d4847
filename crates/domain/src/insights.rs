//! Clinical insights from a chart's lab results: rule-based, explainable and versioned. Each
//! insight names its rule and version, the results it used, the guideline it comes from, and a
//! severity. They are advice to a clinician, never a diagnosis.
//!
//! Values are compared in each analyte's own unit (the catalogue's), converted from the unit
//! they were reported in; a result in a unit the catalogue cannot convert is left out of the
//! rules that need its number.

use chrono::NaiveDateTime;

use crate::labs::{self, Analyte, Interpretation};
use crate::values::Sex;

/// A numeric result, as the rules read it.
#[derive(Clone, Debug)]
pub struct Observation {
    pub id: String,
    pub code: String,
    pub value: f64,
    pub unit: Option<String>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    pub interpretation: Option<Interpretation>,
    pub collected_at: NaiveDateTime,
}

/// What the rules know of the patient.
#[derive(Clone, Copy, Debug, Default)]
pub struct Person {
    pub sex: Option<Sex>,
    /// Age in whole years at the time of the insight.
    pub age: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A value a rule worked out (an eGFR, an anion gap).
#[derive(Clone, Debug, PartialEq)]
pub struct Derived {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
}

/// One insight.
#[derive(Clone, Debug, PartialEq)]
pub struct Insight {
    pub rule: &'static str,
    pub version: u32,
    pub severity: Severity,
    /// A short statement: "Potassium 6.8 mmol/L is above the critical limit of 6.2".
    pub title: String,
    /// Why, in words a clinician checks against the evidence.
    pub detail: String,
    pub guideline: &'static str,
    /// The ids of the results it used.
    pub evidence: Vec<String>,
    pub derived: Option<Derived>,
}

/// The rules, with their versions: a rule's version changes whenever what it concludes could.
pub const RULES: [(&str, u32, &str); 13] = [
    (
        "critical-value",
        1,
        "Laboratory critical (panic) value lists, e.g. CAP Q-Probes critical-value studies",
    ),
    (
        "outside-range",
        1,
        "The reporting laboratory's reference interval",
    ),
    (
        "egfr-ckd-epi-2021",
        1,
        "Inker et al., N Engl J Med 2021;385:1737-49 (CKD-EPI creatinine equation without race)",
    ),
    (
        "ckd-stage",
        1,
        "KDIGO 2012 Clinical Practice Guideline for CKD, GFR categories G1-G5",
    ),
    (
        "anion-gap",
        1,
        "Anion gap = Na - (Cl + HCO3); raised above 12 mmol/L (Kraut & Madias, CJASN 2007)",
    ),
    (
        "corrected-calcium",
        1,
        "Payne et al., BMJ 1973: Ca + 0.8 x (4.0 - albumin g/dL)",
    ),
    (
        "non-hdl-cholesterol",
        1,
        "NCEP ATP III: non-HDL cholesterol goal 30 mg/dL above the LDL goal (< 130 mg/dL)",
    ),
    (
        "ldl-friedewald",
        1,
        "Friedewald et al., Clin Chem 1972: LDL = TC - HDL - TG/5 (mg/dL), TG < 400 mg/dL",
    ),
    (
        "lipid-targets",
        1,
        "2018 ACC/AHA cholesterol guideline: LDL >= 190 mg/dL severe, >= 160 high; triglycerides >= 500 mg/dL severe",
    ),
    (
        "hba1c-diabetes",
        1,
        "ADA Standards of Care in Diabetes 2024, section 2: HbA1c >= 6.5 % diabetes, 5.7-6.4 % prediabetes",
    ),
    (
        "anaemia-who",
        1,
        "WHO 2024 guideline on haemoglobin cutoffs: < 13.0 g/dL men, < 12.0 g/dL non-pregnant women",
    ),
    (
        "thyroid-pattern",
        1,
        "ATA/AACE hypothyroidism (2012) and ATA hyperthyroidism (2016) guidelines: TSH with free T4",
    ),
    (
        "meaningful-change",
        1,
        "KDIGO 2012 AKI (creatinine rise >= 0.3 mg/dL in 48 h or >= 1.5 x); reference change values for others",
    ),
];

fn guideline(rule: &str) -> &'static str {
    RULES
        .iter()
        .find(|(name, ..)| *name == rule)
        .map_or("", |(_, _, guideline)| guideline)
}

fn version(rule: &str) -> u32 {
    RULES
        .iter()
        .find(|(name, ..)| *name == rule)
        .map_or(0, |(_, version, _)| *version)
}

fn insight(
    rule: &'static str,
    severity: Severity,
    title: String,
    detail: String,
    evidence: &[&Observation],
) -> Insight {
    Insight {
        rule,
        version: version(rule),
        severity,
        title,
        detail,
        guideline: guideline(rule),
        evidence: evidence.iter().map(|o| o.id.clone()).collect(),
        derived: None,
    }
}

/// A result's value in its analyte's own unit, with the analyte.
fn own(observation: &Observation) -> Option<(&'static Analyte, f64)> {
    let analyte = labs::known_by_code(&observation.code)?;
    let unit = observation.unit.as_deref().unwrap_or(analyte.unit);
    Some((analyte, analyte.to_own_unit(observation.value, unit)?))
}

/// Every insight the chart's results give, most severe first.
pub fn insights(observations: &[Observation], person: Person) -> Vec<Insight> {
    let mut found = Vec::new();
    let latest = latest_by_code(observations);
    for observation in &latest {
        found.extend(critical_value(observation));
        if found
            .last()
            .is_none_or(|i| !i.evidence.contains(&observation.id))
        {
            found.extend(outside_range(observation));
        }
    }
    let newest = |code: &str| latest.iter().find(|o| o.code == code);
    let egfr = egfr_ckd_epi_2021(newest("2160-0"), person);
    found.extend(ckd_stage(
        egfr.as_ref(),
        newest("98979-8").or(newest("33914-3")),
    ));
    found.extend(egfr);
    found.extend(anion_gap(
        newest("2951-2"),
        newest("2075-0"),
        newest("2028-9"),
    ));
    found.extend(corrected_calcium(newest("17861-6"), newest("1751-7")));
    let (total, hdl, tg) = (newest("2093-3"), newest("2085-9"), newest("2571-8"));
    found.extend(non_hdl(total, hdl));
    let reported_ldl = newest("2089-1").or(newest("13457-7"));
    match reported_ldl {
        Some(ldl) => found.extend(ldl_target(ldl)),
        None => found.extend(friedewald(total, hdl, tg)),
    }
    found.extend(tg.and_then(|tg| severe_triglycerides(tg)));
    found.extend(hba1c(newest("4548-4")));
    found.extend(anaemia(newest("718-7"), person));
    found.extend(thyroid(newest("3016-3"), newest("3024-7")));
    found.extend(meaningful_changes(observations));
    found.sort_by_key(|insight| std::cmp::Reverse(insight.severity));
    found
}

/// The newest result of each test.
fn latest_by_code(observations: &[Observation]) -> Vec<&Observation> {
    let mut latest: Vec<&Observation> = Vec::new();
    for observation in observations {
        match latest.iter_mut().find(|o| o.code == observation.code) {
            Some(kept) if kept.collected_at < observation.collected_at => *kept = observation,
            Some(_) => {}
            None => latest.push(observation),
        }
    }
    latest
}

fn shown(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The critical-value insight of one result, when it is beyond its analyte's critical limits:
/// what raises an alert for the care team.
pub fn critical_value(observation: &Observation) -> Option<Insight> {
    let (analyte, value) = own(observation)?;
    let (side, limit) = match (analyte.critical_low, analyte.critical_high) {
        (Some(low), _) if value < low => ("below", low),
        (_, Some(high)) if value > high => ("above", high),
        _ => return None,
    };
    Some(insight(
        "critical-value",
        Severity::Critical,
        format!(
            "{} {} {} is {side} the critical limit of {} {}",
            analyte.name,
            shown(value),
            analyte.unit,
            shown(limit),
            analyte.unit
        ),
        "A value beyond the critical limit calls for the care team's attention at once.".to_owned(),
        &[observation],
    ))
}

fn outside_range(observation: &Observation) -> Option<Insight> {
    let interpretation = observation.interpretation.or_else(|| {
        Interpretation::of(
            observation.value,
            observation.reference_low,
            observation.reference_high,
        )
    })?;
    if !interpretation.is_abnormal() {
        return None;
    }
    let name = labs::known_by_code(&observation.code).map_or(observation.code.as_str(), |a| a.name);
    let range = match (observation.reference_low, observation.reference_high) {
        (Some(low), Some(high)) => format!("{}–{}", shown(low), shown(high)),
        (None, Some(high)) => format!("below {}", shown(high)),
        (Some(low), None) => format!("above {}", shown(low)),
        (None, None) => "as the lab reported".to_owned(),
    };
    let severity = match interpretation {
        Interpretation::CriticalLow | Interpretation::CriticalHigh => Severity::Critical,
        _ => Severity::Warning,
    };
    Some(insight(
        "outside-range",
        severity,
        format!(
            "{name} {} {} is {}",
            shown(observation.value),
            observation.unit.as_deref().unwrap_or(""),
            interpretation.as_str().replace('-', " ")
        )
        .replace("  ", " "),
        format!("The reference interval is {range}."),
        &[observation],
    ))
}

/// eGFR by the 2021 CKD-EPI creatinine equation, which needs the patient's sex and age.
pub fn egfr_2021(creatinine_mg_dl: f64, female: bool, age: u32) -> f64 {
    let (kappa, alpha) = if female { (0.7, -0.241) } else { (0.9, -0.302) };
    let ratio = creatinine_mg_dl / kappa;
    let sex_factor = if female { 1.012 } else { 1.0 };
    142.0
        * ratio.min(1.0).powf(alpha)
        * ratio.max(1.0).powf(-1.200)
        * 0.9938_f64.powi(i32::try_from(age).unwrap_or(i32::MAX))
        * sex_factor
}

fn egfr_ckd_epi_2021(creatinine: Option<&&Observation>, person: Person) -> Option<Insight> {
    let creatinine = *creatinine?;
    let (_, mg_dl) = own(creatinine)?;
    let female = match person.sex? {
        Sex::Female => true,
        Sex::Male => false,
        Sex::Other | Sex::Unknown => return None,
    };
    let age = person.age.filter(|age| *age >= 18)?;
    let egfr = egfr_2021(mg_dl, female, age).round();
    let mut found = insight(
        "egfr-ckd-epi-2021",
        Severity::Info,
        format!("eGFR {} mL/min/1.73m2 (CKD-EPI 2021)", shown(egfr)),
        format!(
            "Worked out from creatinine {} mg/dL, age {age}, {} sex.",
            shown(mg_dl),
            if female { "female" } else { "male" }
        ),
        &[creatinine],
    );
    found.derived = Some(Derived {
        name: "eGFR (CKD-EPI 2021)",
        value: egfr,
        unit: "mL/min/1.73m2",
    });
    Some(found)
}

/// The KDIGO GFR category of an eGFR.
pub fn gfr_category(egfr: f64) -> &'static str {
    match egfr {
        e if e >= 90.0 => "G1",
        e if e >= 60.0 => "G2",
        e if e >= 45.0 => "G3a",
        e if e >= 30.0 => "G3b",
        e if e >= 15.0 => "G4",
        _ => "G5",
    }
}

fn ckd_stage(derived: Option<&Insight>, reported: Option<&&Observation>) -> Option<Insight> {
    let (egfr, evidence, source) = match (reported, derived) {
        (Some(reported), _) => (reported.value, vec![reported.id.clone()], "reported"),
        (None, Some(derived)) => (
            derived.derived.as_ref()?.value,
            derived.evidence.clone(),
            "worked out",
        ),
        (None, None) => return None,
    };
    if egfr >= 60.0 {
        return None;
    }
    let category = gfr_category(egfr);
    let severity = if egfr < 30.0 {
        Severity::Critical
    } else {
        Severity::Warning
    };
    Some(Insight {
        rule: "ckd-stage",
        version: version("ckd-stage"),
        severity,
        title: format!("eGFR {} is in GFR category {category}", shown(egfr)),
        detail: format!(
            "An eGFR under 60 ({source}) is in KDIGO category {category}; chronic kidney disease needs it for over 3 months."
        ),
        guideline: guideline("ckd-stage"),
        evidence,
        derived: None,
    })
}

/// Results of the same day as the first (within 24 hours), for rules that combine them.
fn same_day(first: &Observation, others: &[&Observation]) -> bool {
    others
        .iter()
        .all(|o| (o.collected_at - first.collected_at).num_hours().abs() <= 24)
}

fn anion_gap(
    sodium: Option<&&Observation>,
    chloride: Option<&&Observation>,
    bicarbonate: Option<&&Observation>,
) -> Option<Insight> {
    let (na, cl, hco3) = (*sodium?, *chloride?, *bicarbonate?);
    if !same_day(na, &[cl, hco3]) {
        return None;
    }
    let gap = own(na)?.1 - own(cl)?.1 - own(hco3)?.1;
    let raised = gap > 12.0;
    let mut found = insight(
        "anion-gap",
        if raised {
            Severity::Warning
        } else {
            Severity::Info
        },
        format!(
            "Anion gap {} mmol/L{}",
            shown(gap),
            if raised { ", raised" } else { "" }
        ),
        format!(
            "Na {} − (Cl {} + HCO3 {}).",
            shown(own(na)?.1),
            shown(own(cl)?.1),
            shown(own(hco3)?.1)
        ),
        &[na, cl, hco3],
    );
    found.derived = Some(Derived {
        name: "Anion gap",
        value: gap,
        unit: "mmol/L",
    });
    Some(found)
}

fn corrected_calcium(
    calcium: Option<&&Observation>,
    albumin: Option<&&Observation>,
) -> Option<Insight> {
    let (ca, alb) = (*calcium?, *albumin?);
    if !same_day(ca, &[alb]) {
        return None;
    }
    let corrected = own(ca)?.1 + 0.8 * (4.0 - own(alb)?.1);
    let outside = !(8.6..=10.3).contains(&corrected);
    let mut found = insight(
        "corrected-calcium",
        if outside {
            Severity::Warning
        } else {
            Severity::Info
        },
        format!(
            "Calcium corrected for albumin {} mg/dL{}",
            shown(corrected),
            if outside { ", outside 8.6–10.3" } else { "" }
        ),
        format!(
            "Calcium {} + 0.8 × (4.0 − albumin {}).",
            shown(own(ca)?.1),
            shown(own(alb)?.1)
        ),
        &[ca, alb],
    );
    found.derived = Some(Derived {
        name: "Corrected calcium",
        value: corrected,
        unit: "mg/dL",
    });
    Some(found)
}

fn non_hdl(total: Option<&&Observation>, hdl: Option<&&Observation>) -> Option<Insight> {
    let (tc, hdl) = (*total?, *hdl?);
    if !same_day(tc, &[hdl]) {
        return None;
    }
    let value = own(tc)?.1 - own(hdl)?.1;
    let above = value >= 130.0;
    let mut found = insight(
        "non-hdl-cholesterol",
        if above {
            Severity::Warning
        } else {
            Severity::Info
        },
        format!(
            "Non-HDL cholesterol {} mg/dL{}",
            shown(value),
            if above {
                ", above the 130 mg/dL goal"
            } else {
                ""
            }
        ),
        format!(
            "Total cholesterol {} − HDL {}.",
            shown(own(tc)?.1),
            shown(own(hdl)?.1)
        ),
        &[tc, hdl],
    );
    found.derived = Some(Derived {
        name: "Non-HDL cholesterol",
        value,
        unit: "mg/dL",
    });
    Some(found)
}

fn friedewald(
    total: Option<&&Observation>,
    hdl: Option<&&Observation>,
    triglycerides: Option<&&Observation>,
) -> Option<Insight> {
    let (tc, hdl, tg) = (*total?, *hdl?, *triglycerides?);
    if !same_day(tc, &[hdl, tg]) {
        return None;
    }
    let (tc_v, hdl_v, tg_v) = (own(tc)?.1, own(hdl)?.1, own(tg)?.1);
    if tg_v >= 400.0 {
        return None;
    }
    let ldl = tc_v - hdl_v - tg_v / 5.0;
    let severity = match ldl {
        l if l >= 190.0 => Severity::Critical,
        l if l >= 160.0 => Severity::Warning,
        _ => Severity::Info,
    };
    let mut found = insight(
        "ldl-friedewald",
        severity,
        format!(
            "LDL cholesterol {} mg/dL (Friedewald){}",
            shown(ldl),
            match severity {
                Severity::Critical => ", severe hypercholesterolaemia (≥ 190)",
                Severity::Warning => ", high (≥ 160)",
                Severity::Info => "",
            }
        ),
        format!(
            "No LDL was reported: total {} − HDL {} − triglycerides {} / 5.",
            shown(tc_v),
            shown(hdl_v),
            shown(tg_v)
        ),
        &[tc, hdl, tg],
    );
    found.derived = Some(Derived {
        name: "LDL cholesterol (Friedewald)",
        value: ldl,
        unit: "mg/dL",
    });
    Some(found)
}

/// A reported LDL against the ACC/AHA thresholds.
fn ldl_target(ldl: &Observation) -> Option<Insight> {
    let (_, mg_dl) = own(ldl)?;
    let (severity, words) = match mg_dl {
        l if l >= 190.0 => (
            Severity::Critical,
            "severe hypercholesterolaemia (≥ 190 mg/dL)",
        ),
        l if l >= 160.0 => (Severity::Warning, "high (≥ 160 mg/dL)"),
        _ => return None,
    };
    Some(insight(
        "lipid-targets",
        severity,
        format!("LDL cholesterol {} mg/dL: {words}", shown(mg_dl)),
        "Reported LDL against the ACC/AHA thresholds for treatment.".to_owned(),
        &[ldl],
    ))
}

fn severe_triglycerides(triglycerides: &Observation) -> Option<Insight> {
    let (_, mg_dl) = own(triglycerides)?;
    (mg_dl >= 500.0).then(|| {
        insight(
            "lipid-targets",
            Severity::Warning,
            format!(
                "Triglycerides {} mg/dL: severe hypertriglyceridaemia (≥ 500)",
                shown(mg_dl)
            ),
            "A level that raises the risk of pancreatitis.".to_owned(),
            &[triglycerides],
        )
    })
}

fn hba1c(result: Option<&&Observation>) -> Option<Insight> {
    let result = *result?;
    let (_, percent) = own(result)?;
    let (severity, range) = match percent {
        p if p >= 6.5 => (Severity::Warning, "the diabetes range (≥ 6.5 %)"),
        p if p >= 5.7 => (Severity::Info, "the prediabetes range (5.7–6.4 %)"),
        _ => return None,
    };
    Some(insight(
        "hba1c-diabetes",
        severity,
        format!("HbA1c {} % is in {range}", shown(percent)),
        "A diagnosis of diabetes needs a second abnormal result unless symptoms are clear."
            .to_owned(),
        &[result],
    ))
}

fn anaemia(haemoglobin: Option<&&Observation>, person: Person) -> Option<Insight> {
    let result = *haemoglobin?;
    let (_, g_dl) = own(result)?;
    let threshold = match person.sex? {
        Sex::Male => 13.0,
        Sex::Female => 12.0,
        Sex::Other | Sex::Unknown => return None,
    };
    if g_dl >= threshold {
        return None;
    }
    let (severity, grade) = match g_dl {
        h if h < 8.0 => (Severity::Critical, "severe"),
        h if h < 11.0 => (Severity::Warning, "moderate"),
        _ => (Severity::Info, "mild"),
    };
    Some(insight(
        "anaemia-who",
        severity,
        format!("Haemoglobin {} g/dL: {grade} anaemia", shown(g_dl)),
        format!("Below the WHO threshold of {threshold} g/dL for this sex."),
        &[result],
    ))
}

fn thyroid(tsh: Option<&&Observation>, free_t4: Option<&&Observation>) -> Option<Insight> {
    let tsh = *tsh?;
    let (tsh_analyte, tsh_v) = own(tsh)?;
    let tsh_range = tsh_analyte.default_range()?;
    let high = tsh_v > tsh_range.high?;
    let low = tsh_v < tsh_range.low?;
    if !high && !low {
        return None;
    }
    let t4 = free_t4.copied().filter(|t4| same_day(tsh, &[t4]));
    let t4_state = t4.and_then(|t4| {
        let (analyte, value) = own(t4)?;
        let range = analyte.default_range()?;
        Some(match value {
            v if v < range.low? => "low",
            v if v > range.high? => "high",
            _ => "normal",
        })
    });
    let pattern = match (high, t4_state) {
        (true, Some("low")) => "primary hypothyroidism",
        (true, Some("normal")) => "subclinical hypothyroidism",
        (false, Some("high")) => "hyperthyroidism",
        (false, Some("normal")) => "subclinical hyperthyroidism",
        (true, _) => "raised TSH; free T4 would tell hypothyroidism from its subclinical form",
        (false, _) => "low TSH; free T4 would tell hyperthyroidism from its subclinical form",
    };
    let mut evidence = vec![tsh];
    evidence.extend(t4);
    Some(insight(
        "thyroid-pattern",
        Severity::Warning,
        format!("Thyroid tests suggest {pattern}"),
        format!(
            "TSH {} mIU/L{}.",
            shown(tsh_v),
            t4_state.map_or(String::new(), |state| format!(" with free T4 {state}"))
        ),
        &evidence,
    ))
}

/// Changes between consecutive results of one test that deserve a look.
fn meaningful_changes(observations: &[Observation]) -> Vec<Insight> {
    let mut by_code: Vec<(&str, Vec<&Observation>)> = Vec::new();
    for observation in observations {
        match by_code
            .iter_mut()
            .find(|(code, _)| *code == observation.code)
        {
            Some((_, list)) => list.push(observation),
            None => by_code.push((&observation.code, vec![observation])),
        }
    }
    by_code
        .into_iter()
        .filter_map(|(_, mut list)| {
            list.sort_by_key(|o| o.collected_at);
            let [.., before, after] = list.as_slice() else {
                return None;
            };
            change(before, after)
        })
        .collect()
}

fn change(before: &Observation, after: &Observation) -> Option<Insight> {
    let (analyte, old) = own(before)?;
    let (_, new) = own(after)?;
    let delta = new - old;
    let hours = (after.collected_at - before.collected_at).num_hours();
    let (severity, why) = match analyte.code {
        // KDIGO acute kidney injury: a rise of 0.3 mg/dL within 48 hours, or to 1.5 times.
        "2160-0" if delta >= 0.3 && hours <= 48 => (
            Severity::Critical,
            "a rise of ≥ 0.3 mg/dL within 48 hours (KDIGO AKI)",
        ),
        "2160-0" if old > 0.0 && new >= 1.5 * old => (
            Severity::Critical,
            "a rise to ≥ 1.5 times the previous value (KDIGO AKI)",
        ),
        "2823-3" if delta.abs() >= 1.0 => (Severity::Warning, "a change of ≥ 1.0 mmol/L"),
        "4548-4" if delta.abs() >= 0.5 => (Severity::Info, "a change of ≥ 0.5 %"),
        "718-7" if delta <= -2.0 => (Severity::Warning, "a fall of ≥ 2 g/dL"),
        "2160-0" | "2823-3" | "4548-4" | "718-7" => return None,
        _ if old.abs() > f64::EPSILON && (delta / old).abs() >= 0.5 => {
            (Severity::Info, "a change of ≥ 50 %")
        }
        _ => return None,
    };
    Some(insight(
        "meaningful-change",
        severity,
        format!(
            "{} went from {} to {} {}",
            analyte.name,
            shown(old),
            shown(new),
            analyte.unit
        ),
        format!("Between consecutive results {hours} hours apart: {why}."),
        &[before, after],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, day)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .unwrap_or_default()
    }

    fn result(id: &str, code: &str, value: f64, unit: &str, when: NaiveDateTime) -> Observation {
        let analyte = labs::known_by_code(code);
        let (low, high) = analyte.map_or((None, None), Analyte::default_bounds);
        Observation {
            id: id.to_owned(),
            code: code.to_owned(),
            value,
            unit: Some(unit.to_owned()),
            reference_low: low,
            reference_high: high,
            interpretation: None,
            collected_at: when,
        }
    }

    fn rules(found: &[Insight]) -> Vec<&str> {
        found.iter().map(|i| i.rule).collect()
    }

    #[test]
    fn ckd_epi_2021_matches_worked_examples() {
        // Worked by hand from the published equation, 142 × min(Scr/κ, 1)^α × max(Scr/κ,
        // 1)^-1.200 × 0.9938^age (× 1.012 for women): a man of 60 with creatinine 1.0 mg/dL
        // has 86; a woman of 50 with 1.0 has 69, with 0.8 has 90.
        assert_eq!(egfr_2021(1.0, false, 60).round(), 86.0);
        assert_eq!(egfr_2021(1.0, true, 50).round(), 69.0);
        assert_eq!(egfr_2021(0.8, true, 50).round(), 90.0);
        assert_eq!(gfr_category(86.0), "G2");
        assert_eq!(gfr_category(44.0), "G3b");
        assert_eq!(gfr_category(12.0), "G5");
    }

    #[test]
    fn derived_values_follow_their_formulas() {
        let day = at(2, 8);
        let chart = [
            result("na", "2951-2", 140.0, "mmol/L", day),
            result("cl", "2075-0", 100.0, "mmol/L", day),
            result("co2", "2028-9", 20.0, "mmol/L", day),
            result("ca", "17861-6", 8.0, "mg/dL", day),
            result("alb", "1751-7", 2.0, "g/dL", day),
            result("tc", "2093-3", 200.0, "mg/dL", day),
            result("hdl", "2085-9", 50.0, "mg/dL", day),
            result("tg", "2571-8", 150.0, "mg/dL", day),
        ];
        let found = insights(&chart, Person::default());
        let derived = |rule: &str| {
            found
                .iter()
                .find(|i| i.rule == rule)
                .and_then(|i| i.derived.as_ref())
                .map(|d| d.value)
        };
        assert_eq!(derived("anion-gap"), Some(20.0), "140 - (100 + 20)");
        assert_eq!(derived("corrected-calcium"), Some(9.6), "8.0 + 0.8 x 2.0");
        assert_eq!(derived("non-hdl-cholesterol"), Some(150.0));
        assert_eq!(derived("ldl-friedewald"), Some(120.0), "200 - 50 - 30");
        // A reported LDL is judged against its targets instead of being worked out.
        let mut reported = chart.to_vec();
        reported.push(result("ldl", "2089-1", 5.2, "mmol/L", day));
        let found = insights(&reported, Person::default());
        assert!(!rules(&found).contains(&"ldl-friedewald"));
        let target = found.iter().find(|i| i.rule == "lipid-targets");
        assert_eq!(
            target.map(|i| i.severity),
            Some(Severity::Critical),
            "5.2 mmol/L is 201 mg/dL"
        );
        let gap = found.iter().find(|i| i.rule == "anion-gap");
        assert_eq!(gap.map(|i| i.evidence.len()), Some(3));
        assert_eq!(gap.map(|i| i.severity), Some(Severity::Warning));
    }

    #[test]
    fn guidelines_flag_their_ranges() {
        let day = at(2, 8);
        let woman = Person {
            sex: Some(Sex::Female),
            age: Some(50),
        };
        let chart = [
            result("a1c", "4548-4", 6.8, "%", day),
            result("hb", "718-7", 10.2, "g/dL", day),
            result("tsh", "3016-3", 9.5, "mIU/L", day),
            result("t4", "3024-7", 0.5, "ng/dL", day),
            result("cr", "2160-0", 1.0, "mg/dL", day),
        ];
        let found = insights(&chart, woman);
        let title = |rule: &str| {
            found
                .iter()
                .find(|i| i.rule == rule)
                .map(|i| i.title.clone())
        };
        assert_eq!(
            title("hba1c-diabetes"),
            Some("HbA1c 6.8 % is in the diabetes range (≥ 6.5 %)".into())
        );
        assert_eq!(
            title("anaemia-who"),
            Some("Haemoglobin 10.2 g/dL: moderate anaemia".into())
        );
        assert_eq!(
            title("thyroid-pattern"),
            Some("Thyroid tests suggest primary hypothyroidism".into())
        );
        assert_eq!(
            title("egfr-ckd-epi-2021"),
            Some("eGFR 69 mL/min/1.73m2 (CKD-EPI 2021)".into())
        );
        assert!(!rules(&found).contains(&"ckd-stage"), "69 is G2");
        // A prediabetic HbA1c in IFCC units, converted.
        let ifcc = [Observation {
            reference_low: None,
            reference_high: None,
            ..result("a1c", "4548-4", 42.0, "mmol/mol", day)
        }];
        let found = insights(&ifcc, woman);
        assert_eq!(found.first().map(|i| i.severity), Some(Severity::Info));
        assert!(rules(&found).contains(&"hba1c-diabetes"));
    }

    #[test]
    fn critical_values_and_changes_are_raised_first() {
        let chart = [
            result("k1", "2823-3", 4.4, "mmol/L", at(1, 8)),
            result("k2", "2823-3", 6.8, "mmol/L", at(2, 8)),
            result("cr1", "2160-0", 0.9, "mg/dL", at(1, 8)),
            result("cr2", "2160-0", 1.3, "mg/dL", at(2, 8)),
        ];
        let found = insights(&chart, Person::default());
        assert_eq!(found.first().map(|i| i.rule), Some("critical-value"));
        assert_eq!(
            found.first().map(|i| i.title.as_str()),
            Some("Potassium 6.8 mmol/L is above the critical limit of 6.2 mmol/L")
        );
        let aki = found
            .iter()
            .find(|i| i.rule == "meaningful-change" && i.evidence == ["cr1", "cr2"]);
        assert_eq!(aki.map(|i| i.severity), Some(Severity::Critical));
        // A critical value is not also reported as merely outside its range.
        assert_eq!(found.iter().filter(|i| i.evidence == ["k2"]).count(), 1);
        for insight in &found {
            assert!(!insight.guideline.is_empty(), "{}", insight.rule);
            assert_eq!(insight.version, 1);
        }
    }
}
