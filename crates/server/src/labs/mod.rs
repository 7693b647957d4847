//! Lab results as data: entered by the care team, read by whoever reads the chart's records
//! (never interns), each test's trend drawn as an SVG plot. A result is never changed: one
//! entered in error is marked so, with a reason, and stays.

pub mod api;
pub mod plot;
pub mod web;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime};
use medvault_domain::labs::{self, Interpretation, LabSource, LabValue, LoincCode, TestName, Unit};
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AuditAction, InvalidValue, LabResultId, PatientId};
use medvault_store::repo::lab_results::{
    self, LabFilter, LabOrder, LabReading, LabResult, NewLabResult,
};
use medvault_store::{DbConnection, Page};

use crate::api::given;
use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{Subject, authorize};

/// How far in the future a collection time may be: clocks differ a little.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The most points a trend plots: the newest.
pub const TREND_POINTS: i64 = 200;

/// A result as submitted, every field as typed.
#[derive(Clone, Debug, Default)]
pub struct LabInput {
    pub code: Option<String>,
    pub test_name: Option<String>,
    pub value: String,
    pub unit: Option<String>,
    pub reference_low: Option<String>,
    pub reference_high: Option<String>,
    pub interpretation: Option<String>,
    pub collected_at: String,
}

/// A time as typed: RFC 3339, a form's `YYYY-MM-DDTHH:MM`, or a day (taken as midnight UTC).
pub fn collection_time(raw: &str, field: &'static str) -> Result<NaiveDateTime, InvalidValue> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(|day| day.and_time(Default::default()))
        })
        .map_err(|_| InvalidValue::new(field, "must be a time as 2026-03-01T09:30:00Z, or a day"))
}

impl LabInput {
    /// The result, valid: the test named by its LOINC code, its name, or both (a known test
    /// fills in the other, and its usual unit and reference range when none is given); the
    /// interpretation as given, or read from the range for a number.
    pub fn parse(self, now: NaiveDateTime) -> Result<NewLabResult, InvalidValue> {
        let code = given(self.code.as_deref())
            .map(LoincCode::parse)
            .transpose()?;
        let known = match (&code, given(self.test_name.as_deref())) {
            (Some(code), _) => labs::known_by_code(code.as_str()),
            (None, Some(name)) => labs::known_by_name(name),
            (None, None) => None,
        };
        let code = code.or_else(|| known.and_then(|k| LoincCode::parse(k.code).ok()));
        let test_name = match (given(self.test_name.as_deref()), known) {
            (Some(name), _) => TestName::parse(name)?,
            (None, Some(known)) => TestName::parse(known.name)?,
            (None, None) => {
                return Err(InvalidValue::new(
                    "test_name",
                    "is required without a known LOINC code",
                ));
            }
        };
        let value = LabValue::parse(&self.value)?;
        let unit = match (given(self.unit.as_deref()), known) {
            (Some(unit), _) => Some(Unit::parse(unit)?),
            (None, Some(known)) if !known.unit.is_empty() => Some(Unit::parse(known.unit)?),
            _ => None,
        };
        let typed_low = labs::bound("reference_low", self.reference_low.as_deref().unwrap_or(""))?;
        let typed_high = labs::bound(
            "reference_high",
            self.reference_high.as_deref().unwrap_or(""),
        )?;
        let (reference_low, reference_high) = match (typed_low, typed_high, known) {
            (None, None, Some(known)) if given(self.unit.as_deref()).is_none() => {
                known.default_bounds()
            }
            (low, high, _) => (low, high),
        };
        labs::check_range(reference_low, reference_high)?;
        let interpretation = match (given(self.interpretation.as_deref()), &value) {
            (Some(code), _) => Some(Interpretation::parse(code)?),
            (None, LabValue::Number(number)) => {
                Interpretation::of(*number, reference_low, reference_high)
            }
            (None, LabValue::Text(_)) => None,
        };
        let collected_at = collection_time(&self.collected_at, "collected_at")?;
        if collected_at > now + CLOCK_SKEW {
            return Err(InvalidValue::new("collected_at", "is in the future"));
        }
        Ok(NewLabResult {
            code,
            test_name,
            value,
            unit,
            reference_low,
            reference_high,
            interpretation,
            collected_at,
            source: LabSource::Entered,
        })
    }
}

/// A page of a chart's results, as a list asks for it.
pub struct LabQuery {
    pub filter: LabFilter,
    pub order: LabOrder,
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: usize,
}

pub async fn list(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    query: LabQuery,
) -> Result<Page<LabResult>, AppError> {
    let audited = AuditAction::LabResultList;
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            let granted = authorize(conn, &actor, patient, Action::ReadRecords, subject, uc.now)?;
            let LabQuery {
                filter,
                order,
                after,
                limit,
            } = query;
            let page = lab_results::list(conn, patient, &filter, order, after, limit)?;
            let event = Event::success(&actor, audited)
                .patient(patient)
                .emergency(granted.emergency());
            uc.record(event);
            Ok(page)
        })
        .await
}

pub async fn record(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    input: LabInput,
) -> Result<LabResult, AppError> {
    let new = input.parse(state.now())?;
    let audited = AuditAction::LabResultRecord;
    state
        .run(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            authorize(conn, &actor, patient, Action::WriteRecord, subject, uc.now)?;
            let id = lab_results::insert(conn, patient, new, actor.user_id, uc.now)?;
            let made = lab_results::find(conn, id)?.ok_or(AppError::NotFound)?;
            crate::alerts::raise_if_critical(conn, &made, uc.now)?;
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(patient),
            );
            Ok(made)
        })
        .await
}

/// Marks a result entered in error, saying why; it stays in the chart, marked.
pub async fn entered_in_error(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: LabResultId,
    reason: &str,
) -> Result<LabResult, AppError> {
    let reason = reason.trim().to_owned();
    if !(3..=500).contains(&reason.chars().count()) {
        return Err(InvalidValue::new("reason", "must say why, in 3 to 500 characters").into());
    }
    let audited = AuditAction::LabResultEnteredInError;
    state
        .run(actor, meta, move |conn, uc| {
            let result = lab_results::find(conn, id)?.ok_or(AppError::NotFound)?;
            let patient = result.patient_id;
            authorize(
                conn,
                &actor,
                patient,
                Action::WriteRecord,
                Subject::id(audited, id),
                uc.now,
            )?;
            if !lab_results::mark_entered_in_error(conn, &result, &reason)? {
                return Err(AppError::Conflict {
                    code: "entered_in_error",
                    message: "this result is marked entered in error already",
                });
            }
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(patient)
                    .reason(reason),
            );
            lab_results::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// One test's trend, ready to draw.
pub struct Trend {
    pub test: String,
    pub unit: String,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub points: Vec<plot::Point>,
}

impl Trend {
    /// The trend of a test's results, oldest first; its name, unit and range from the newest.
    fn of(results: &[&LabReading]) -> Option<Self> {
        let newest = results.last()?;
        Some(Trend {
            test: newest.test_name.clone(),
            unit: newest.unit.clone().unwrap_or_default(),
            low: newest.reference_low,
            high: newest.reference_high,
            points: results
                .iter()
                .filter_map(|r| {
                    Some(plot::Point {
                        at: r.collected_at,
                        value: r.number()?,
                        interpretation: r.interpretation,
                    })
                })
                .collect(),
        })
    }

    pub fn svg(&self) -> String {
        plot::svg(&plot::Series {
            test: &self.test,
            unit: &self.unit,
            low: self.low,
            high: self.high,
            points: &self.points,
        })
    }
}

/// The trend of one test (by LOINC code) in a chart, audited as a read of it.
pub async fn trend(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    code: &str,
) -> Result<Trend, AppError> {
    let code = LoincCode::parse(code)?;
    let audited = AuditAction::LabTrendRead;
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            let granted = authorize(conn, &actor, patient, Action::ReadRecords, subject, uc.now)?;
            let results = lab_results::trend(conn, patient, code.as_str(), TREND_POINTS)?;
            let oldest_first: Vec<&LabReading> = results.iter().collect();
            let trend = Trend::of(&oldest_first).unwrap_or_else(|| Trend {
                test: labs::known_by_code(code.as_str())
                    .map_or_else(|| code.as_str().to_owned(), |k| k.name.to_owned()),
                unit: String::new(),
                low: None,
                high: None,
                points: Vec::new(),
            });
            let event = Event::success(&actor, audited)
                .patient(patient)
                .emergency(granted.emergency());
            uc.record(event);
            Ok(trend)
        })
        .await
}

/// A test as the chart page shows it: its newest result, and its trend when it has numbers.
pub struct LabPanel {
    pub newest: LabReading,
    pub trend: Option<Trend>,
    /// How many standing results the chart holds for it (of those read).
    pub count: usize,
}

/// How many of a chart's newest results its page, its insights and its summary read: as many
/// as one page of the results list holds.
pub const RESULTS_READ: usize = medvault_store::repo::MAX_PAGE;

/// The chart's newest final results as readings (at most [`RESULTS_READ`]), newest first, read
/// once for whatever a use case draws from them.
pub fn newest(conn: &mut DbConnection, patient: PatientId) -> Result<Vec<LabReading>, AppError> {
    Ok(lab_results::newest_readings(conn, patient, RESULTS_READ)?)
}

/// The chart's tests from its newest final results (as [`newest`] reads them), the one with the
/// newest result first.
pub fn panels(results: &[LabReading]) -> Vec<LabPanel> {
    // Grouped by test, in order of each test's newest.
    let mut groups: Vec<(String, Vec<&LabReading>)> = Vec::new();
    for result in results {
        let key = result.test_key();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, results)) => results.push(result),
            None => groups.push((key, vec![result])),
        }
    }
    groups
        .into_iter()
        .filter_map(|(_, mut newest_first)| {
            let newest = (*newest_first.first()?).clone();
            newest_first.reverse();
            let trend = Trend::of(&newest_first).filter(|t| !t.points.is_empty());
            Some(LabPanel {
                newest,
                count: newest_first.len(),
                trend,
            })
        })
        .collect()
}
