//! A chart's clinical insights (the domain's rules over its lab results, for the clinical
//! team) and its summary (what matters in the chart at a glance, for whoever reads its
//! records).

pub mod api;
pub mod narrative;
pub mod web;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use medvault_domain::clinical::{AllergyStatus, ProblemStatus};
use medvault_domain::insights::{self, Insight, Observation, Person};
use medvault_domain::medication::PrescriptionStatus;
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AuditAction, PatientId, Sex};
use medvault_store::repo::allergies::{self, Allergy};
use medvault_store::repo::lab_results::{self, LabReading, LabResult};
use medvault_store::repo::prescriptions::{self, Prescription};
use medvault_store::repo::problems::{self, Problem};
use medvault_store::repo::records::{self, RecordsOf};
use medvault_store::{DbConnection, Record};

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{Subject, authorize};

/// The newest records a summary lists.
const RECENT_RECORDS: usize = 5;

/// The chart's insights, most severe first.
pub async fn of(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<Vec<Insight>, AppError> {
    let audited = AuditAction::InsightRead;
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            let granted = authorize(conn, &actor, patient, Action::ReadInsights, subject, uc.now)?;
            let found = of_chart(conn, &granted.chart, uc.now)?;
            uc.record(
                Event::success(&actor, audited)
                    .patient(patient)
                    .emergency(granted.emergency()),
            );
            Ok(found)
        })
        .await
}

/// The insights of a chart the caller may read them for, at `now`.
pub fn of_chart(
    conn: &mut DbConnection,
    chart: &medvault_store::Patient,
    now: NaiveDateTime,
) -> Result<Vec<Insight>, AppError> {
    Ok(of_results(
        &crate::labs::newest(conn, chart.id)?,
        chart,
        now,
    ))
}

/// The insights of a chart's newest results, read already.
pub fn of_results(
    results: &[LabReading],
    chart: &medvault_store::Patient,
    now: NaiveDateTime,
) -> Vec<Insight> {
    let person = person(chart.sex, chart.birth_date, now);
    let observations: Vec<Observation> = results.iter().filter_map(observation).collect();
    insights::insights(&observations, person)
}

/// What the rules know of the patient: sex, and age in whole years at `now`.
pub fn person(sex: Sex, birth_date: Option<NaiveDate>, now: NaiveDateTime) -> Person {
    let today = now.date();
    let age = birth_date.and_then(|born| {
        let birthday_passed = (today.month(), today.day()) >= (born.month(), born.day());
        let years = today.year() - born.year() - i32::from(!birthday_passed);
        u32::try_from(years).ok()
    });
    Person {
        sex: Some(sex),
        age,
    }
}

/// A standing numeric result with a LOINC code, as the rules read it.
pub fn observation(result: &LabReading) -> Option<Observation> {
    Some(Observation {
        id: result.id.to_string(),
        code: result.code.clone()?,
        value: result.number()?,
        unit: result.unit.clone(),
        reference_low: result.reference_low,
        reference_high: result.reference_high,
        interpretation: result.interpretation,
        collected_at: result.collected_at,
    })
}

/// A chart at a glance.
pub struct Summary {
    /// What the rules know of the patient (sex, age).
    pub person: Person,
    pub problems: Vec<Problem>,
    pub allergies: Vec<Allergy>,
    pub medications: Vec<Prescription>,
    /// Each test whose newest result is outside its range, with the result before it.
    pub abnormal: Vec<(LabResult, Option<LabResult>)>,
    pub recent_records: Vec<Record>,
}

pub async fn summary(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<Summary, AppError> {
    let audited = AuditAction::SummaryRead;
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            let granted = authorize(conn, &actor, patient, Action::ReadRecords, subject, uc.now)?;
            let summary = Summary {
                person: person(granted.chart.sex, granted.chart.birth_date, uc.now),
                problems: problems::of(conn, patient)?
                    .into_iter()
                    .filter(|p| p.status == ProblemStatus::Active)
                    .collect(),
                allergies: allergies::of(conn, patient)?
                    .into_iter()
                    .filter(|a| a.status == AllergyStatus::Active)
                    .collect(),
                medications: prescriptions::of(
                    conn,
                    patient,
                    None,
                    medvault_store::repo::MAX_PAGE,
                )?
                .items
                .into_iter()
                .filter(|p| p.status == PrescriptionStatus::Active)
                .collect(),
                abnormal: abnormal_with_previous(conn, patient)?,
                recent_records: records::list(
                    conn,
                    RecordsOf::Patient(patient),
                    None,
                    RECENT_RECORDS,
                )?
                .items,
            };
            uc.record(
                Event::success(&actor, audited)
                    .patient(patient)
                    .emergency(granted.emergency()),
            );
            Ok(summary)
        })
        .await
}

/// A result's value as written: its number, or its words.
pub fn shown_value(result: &LabResult) -> String {
    match &result.reading.value {
        lab_results::StoredValue::Number(number) => number.to_string(),
        lab_results::StoredValue::Text(text) => text.clone(),
    }
}

/// Which way a result moved from the one before it, when both are numbers.
pub fn trend(latest: &LabResult, previous: Option<&LabResult>) -> Option<&'static str> {
    match (
        latest.reading.number(),
        previous.and_then(|previous| previous.reading.number()),
    ) {
        (Some(now), Some(before)) if now > before => Some("rising"),
        (Some(now), Some(before)) if now < before => Some("falling"),
        (Some(_), Some(_)) => Some("steady"),
        _ => None,
    }
}

/// Each test whose newest standing result is abnormal, with its previous result for the trend.
fn abnormal_with_previous(
    conn: &mut DbConnection,
    patient: PatientId,
) -> Result<Vec<(LabResult, Option<LabResult>)>, AppError> {
    // Standing results only: `newest_final` reads no result entered in error.
    let standing = lab_results::newest_final(conn, patient, crate::labs::RESULTS_READ)?;
    let mut seen: Vec<String> = Vec::new();
    let mut abnormal = Vec::new();
    for result in &standing {
        let test = result.reading.test_key();
        if seen.contains(&test) {
            continue;
        }
        seen.push(test.clone());
        if result
            .reading
            .interpretation
            .is_some_and(|i| i.is_abnormal())
        {
            let previous = standing
                .iter()
                .filter(|r| r.reading.id != result.reading.id)
                .find(|r| r.reading.test_key() == test)
                .cloned();
            abnormal.push((result.clone(), previous));
        }
    }
    Ok(abnormal)
}
