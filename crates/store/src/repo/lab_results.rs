//! A chart's lab results.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::labs::{
    Interpretation, LabSource, LabStatus, LabValue, LoincCode, TestName, Unit,
};
use medvault_domain::{LabReportId, LabResultId, PatientId, UserId};

use super::prepared_once;
use crate::rows::parse;
use crate::schema::{lab_results, users};
use crate::stamp::Stamp;
use crate::{DbConnection, Page, StoreError};

/// A result whole: its reading, and who entered it, from where, and whether it stands.
#[derive(Clone, Debug)]
pub struct LabResult {
    pub reading: LabReading,
    pub patient_id: PatientId,
    pub source: LabSource,
    pub status: LabStatus,
    pub status_reason: Option<String>,
    pub recorded_by: UserId,
    pub recorded_by_name: String,
    pub recorded_at: NaiveDateTime,
}

/// A value as stored: a number, or text.
#[derive(Clone, Debug, PartialEq)]
pub enum StoredValue {
    Number(f64),
    Text(String),
}

impl StoredValue {
    /// The number, for a numeric value.
    pub fn number(&self) -> Option<f64> {
        match self {
            StoredValue::Number(number) => Some(*number),
            StoredValue::Text(_) => None,
        }
    }
}

impl LabResult {
    /// What a reading of the chart would give of this result, while it stands.
    pub fn standing(&self) -> Option<&LabReading> {
        (self.status == LabStatus::Final).then_some(&self.reading)
    }
}

/// A standing (final) result as a chart's page, its trends and its insights read it: the
/// columns of the index `lab_results_chart`, without who entered it or from where.
#[derive(Clone, Debug, PartialEq)]
pub struct LabReading {
    pub id: LabResultId,
    pub code: Option<String>,
    pub test_name: String,
    pub value: StoredValue,
    pub unit: Option<String>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    pub interpretation: Option<Interpretation>,
    pub collected_at: NaiveDateTime,
}

impl LabReading {
    /// The number, for a numeric result.
    pub fn number(&self) -> Option<f64> {
        self.value.number()
    }

    /// Which test this is a result of, for grouping a chart's results: its code, or its name
    /// without one (in any case).
    pub fn test_key(&self) -> String {
        self.code
            .clone()
            .unwrap_or_else(|| self.test_name.to_lowercase())
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = lab_results)]
struct LabReadingRow {
    id: String,
    code: Option<String>,
    test_name: String,
    value_num: Option<f64>,
    value_text: Option<String>,
    unit: Option<String>,
    ref_low: Option<f64>,
    ref_high: Option<f64>,
    interpretation: Option<String>,
    #[diesel(deserialize_as = Stamp)]
    collected_at: NaiveDateTime,
}

impl TryFrom<LabReadingRow> for LabReading {
    type Error = StoreError;

    fn try_from(row: LabReadingRow) -> Result<Self, StoreError> {
        // A value is a number or text, never both or neither.
        let value = match (row.value_num, row.value_text) {
            (Some(number), None) => StoredValue::Number(number),
            (None, Some(text)) => StoredValue::Text(text),
            _ => return Err(StoreError::Corrupt(TABLE)),
        };
        Ok(LabReading {
            id: parse(TABLE, &row.id)?,
            value,
            interpretation: row
                .interpretation
                .as_deref()
                .map(Interpretation::parse)
                .transpose()
                .map_err(|_| StoreError::Corrupt(TABLE))?,
            code: row.code,
            test_name: row.test_name,
            unit: row.unit,
            reference_low: row.ref_low,
            reference_high: row.ref_high,
            collected_at: row.collected_at,
        })
    }
}

const TABLE: &str = "lab_results";

/// A result's row: its reading's columns, and who entered it, from where, and its status.
#[derive(Queryable, Selectable)]
#[diesel(table_name = lab_results)]
struct LabResultRow {
    #[diesel(embed)]
    reading: LabReadingRow,
    patient_id: String,
    source: String,
    status: String,
    status_reason: Option<String>,
    recorded_by: String,
    #[diesel(deserialize_as = Stamp)]
    recorded_at: NaiveDateTime,
}

impl TryFrom<(LabResultRow, String)> for LabResult {
    type Error = StoreError;

    fn try_from((row, recorded_by_name): (LabResultRow, String)) -> Result<Self, StoreError> {
        let corrupt = |_| StoreError::Corrupt(TABLE);
        Ok(LabResult {
            reading: LabReading::try_from(row.reading)?,
            patient_id: parse(TABLE, &row.patient_id)?,
            source: LabSource::parse(&row.source).map_err(corrupt)?,
            status: LabStatus::parse(&row.status).map_err(corrupt)?,
            status_reason: row.status_reason,
            recorded_by: parse(TABLE, &row.recorded_by)?,
            recorded_by_name,
            recorded_at: row.recorded_at,
        })
    }
}

/// A new result: every field, valid.
pub struct NewLabResult {
    pub code: Option<LoincCode>,
    pub test_name: TestName,
    pub value: LabValue,
    pub unit: Option<Unit>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    pub interpretation: Option<Interpretation>,
    pub collected_at: NaiveDateTime,
    pub source: LabSource,
}

pub fn insert(
    conn: &mut DbConnection,
    patient: PatientId,
    new: NewLabResult,
    by: UserId,
    now: NaiveDateTime,
) -> Result<LabResultId, StoreError> {
    insert_with_report(conn, patient, new, None, by, now)
}

/// Inserts a result, naming the report it was read from when it was (recorded by the doctor
/// who confirmed it).
pub fn insert_with_report(
    conn: &mut DbConnection,
    patient: PatientId,
    new: NewLabResult,
    report: Option<LabReportId>,
    by: UserId,
    now: NaiveDateTime,
) -> Result<LabResultId, StoreError> {
    let id = LabResultId::new();
    let (number, text) = match new.value {
        LabValue::Number(number) => (Some(number), None),
        LabValue::Text(text) => (None, Some(text.into_inner())),
    };
    diesel::insert_into(lab_results::table)
        .values((
            lab_results::patient_id.eq(patient.to_string()),
            lab_results::id.eq(id.to_string()),
            lab_results::code.eq(new.code.map(LoincCode::into_inner)),
            lab_results::test_name.eq(new.test_name.into_inner()),
            lab_results::value_num.eq(number),
            lab_results::value_text.eq(text),
            lab_results::unit.eq(new.unit.map(Unit::into_inner)),
            lab_results::ref_low.eq(new.reference_low),
            lab_results::ref_high.eq(new.reference_high),
            lab_results::interpretation.eq(new.interpretation.map(Interpretation::as_str)),
            lab_results::collected_at.eq(new.collected_at),
            lab_results::source.eq(new.source.as_str()),
            lab_results::status.eq(LabStatus::Final.as_str()),
            lab_results::recorded_by.eq(by.to_string()),
            lab_results::recorded_at.eq(now),
            lab_results::report_id.eq(report.map(|r| r.to_string())),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Which results a list holds.
#[derive(Clone, Debug, Default)]
pub struct LabFilter {
    pub code: Option<String>,
    /// Collected at or after.
    pub from: Option<NaiveDateTime>,
    /// Collected before.
    pub to: Option<NaiveDateTime>,
}

/// The order of a list: by time of collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LabOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// A page's cursor: the last result's collection time and id.
fn cursor_of(result: &LabResult) -> String {
    format!(
        "{}_{}",
        result.reading.collected_at.format("%Y-%m-%dT%H:%M:%S%.f"),
        result.reading.id
    )
}

/// A cursor read back; `None` for one this module did not make.
pub fn parse_cursor(cursor: &str) -> Option<(NaiveDateTime, String)> {
    let (at, id) = cursor.split_once('_')?;
    let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    id.parse::<LabResultId>().ok()?;
    Some((at, id.to_owned()))
}

/// The final results of chart `$patient` in `$from` (the table, or the table joined), newest
/// first, at most `$limit`: in the order of the index `lab_results_chart`, which holds every
/// column a reading needs.
macro_rules! newest_final {
    ($from:expr, $patient:expr, $limit:expr) => {
        $from
            .filter(lab_results::patient_id.eq($patient.to_string()))
            .filter(lab_results::status.eq(LabStatus::Final.as_str()))
            .order((lab_results::collected_at.desc(), lab_results::id.desc()))
            .limit(i64::try_from($limit).unwrap_or(i64::MAX))
    };
}

/// The chart's newest `limit` final results, newest first, each with who entered it (for its
/// summary, which shows them whole).
pub fn newest_final(
    conn: &mut DbConnection,
    patient: PatientId,
    limit: usize,
) -> Result<Vec<LabResult>, StoreError> {
    natively!(conn, |c| prepared_once(
        newest_final!(
            lab_results::table.inner_join(users::table.on(users::id.eq(lab_results::recorded_by))),
            patient,
            limit
        )
        .select((LabResultRow::as_select(), users::name))
    )
    .load::<(LabResultRow, String)>(c))?
    .into_iter()
    .map(LabResult::try_from)
    .collect()
}

/// The chart's newest `limit` final results as readings, newest first: what its page shows and
/// its insights read (a result entered in error is neither), in one statement prepared once per
/// connection, from the index alone and without a join to who entered each.
pub fn newest_readings(
    conn: &mut DbConnection,
    patient: PatientId,
    limit: usize,
) -> Result<Vec<LabReading>, StoreError> {
    natively!(conn, |c| prepared_once(
        newest_final!(lab_results::table, patient, limit).select(LabReadingRow::as_select())
    )
    .load::<LabReadingRow>(c))?
    .into_iter()
    .map(LabReading::try_from)
    .collect()
}

/// The chart's results matching `filter`, in `order`, `limit` at a time after `after` (a
/// cursor from [`parse_cursor`]).
pub fn list(
    conn: &mut DbConnection,
    patient: PatientId,
    filter: &LabFilter,
    order: LabOrder,
    after: Option<(NaiveDateTime, String)>,
    limit: usize,
) -> Result<Page<LabResult>, StoreError> {
    let mut query = lab_results::table
        .inner_join(users::table.on(users::id.eq(lab_results::recorded_by)))
        .filter(lab_results::patient_id.eq(patient.to_string()))
        .select((LabResultRow::as_select(), users::name))
        .into_boxed();
    if let Some(code) = &filter.code {
        query = query.filter(lab_results::code.eq(code.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(lab_results::collected_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(lab_results::collected_at.lt(to));
    }
    query = match (order, after) {
        (LabOrder::NewestFirst, Some((at, id))) => query.filter(
            lab_results::collected_at
                .lt(at)
                .or(lab_results::collected_at.eq(at).and(lab_results::id.lt(id))),
        ),
        (LabOrder::OldestFirst, Some((at, id))) => query.filter(
            lab_results::collected_at
                .gt(at)
                .or(lab_results::collected_at.eq(at).and(lab_results::id.gt(id))),
        ),
        (_, None) => query,
    };
    query = match order {
        LabOrder::NewestFirst => {
            query.order((lab_results::collected_at.desc(), lab_results::id.desc()))
        }
        LabOrder::OldestFirst => {
            query.order((lab_results::collected_at.asc(), lab_results::id.asc()))
        }
    };
    let rows: Vec<(LabResultRow, String)> = query.limit(super::clamp_limit(limit)).load(conn)?;
    let items = rows
        .into_iter()
        .map(LabResult::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, cursor_of))
}

/// The newest `limit` standing (not in error) numeric results of one test, oldest first: what
/// a trend plots.
pub fn trend(
    conn: &mut DbConnection,
    patient: PatientId,
    code: &str,
    limit: i64,
) -> Result<Vec<LabReading>, StoreError> {
    let rows: Vec<LabReadingRow> = natively!(conn, |c| lab_results::table
        .filter(lab_results::patient_id.eq(patient.to_string()))
        .filter(lab_results::code.eq(code.to_owned()))
        .filter(lab_results::status.eq(LabStatus::Final.as_str()))
        .filter(lab_results::value_num.is_not_null())
        .order(lab_results::collected_at.desc())
        .limit(limit)
        .select(LabReadingRow::as_select())
        .load(c))?;
    let mut points = rows
        .into_iter()
        .map(LabReading::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    points.reverse();
    Ok(points)
}

pub fn find(conn: &mut DbConnection, id: LabResultId) -> Result<Option<LabResult>, StoreError> {
    lab_results::table
        .inner_join(users::table.on(users::id.eq(lab_results::recorded_by)))
        .filter(lab_results::id.eq(id.to_string()))
        .select((LabResultRow::as_select(), users::name))
        .first::<(LabResultRow, String)>(conn)
        .optional()?
        .map(LabResult::try_from)
        .transpose()
}

/// Marks a standing result entered in error, with why. `false` if it was marked already.
pub fn mark_entered_in_error(
    conn: &mut DbConnection,
    result: &LabResult,
    reason: &str,
) -> Result<bool, StoreError> {
    let standing = lab_results::table
        .filter(lab_results::patient_id.eq(result.patient_id.to_string()))
        .filter(lab_results::id.eq(result.reading.id.to_string()))
        .filter(lab_results::status.eq(LabStatus::Final.as_str()));
    let changed = diesel::update(standing)
        .set((
            lab_results::status.eq(LabStatus::EnteredInError.as_str()),
            lab_results::status_reason.eq(reason.to_owned()),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}
