//! `medvault seed --scale`: a hospital's worth of made-up data for load tests: doctors, patients
//! with sign-ins, care teams, records, and an audit trail with whole hash chains, written in
//! large transactions. Every account shares one password (hashed once), printed at the end.

use chrono::{Duration, NaiveDateTime};
use medvault_domain::labs::{self, Interpretation, LabSource, LabValue, LoincCode, TestName, Unit};
use medvault_domain::{
    AuditAction, Email, Password, PatientId, PersonName, RecordKind, RecordNotes, RecordTitle,
    Role, Sex, UserId, UserStatus,
};
use medvault_store::repo::lab_results::{self, NewLabResult};
use medvault_store::repo::{audit, care_team, patients, records, users};
use medvault_store::{AuditEntry, DbConnection, NewPatient, NewRecord, NewUser, Outcome};

use crate::app::AppState;
use crate::error::AppError;
use crate::server::anyhow_of;

/// How much to make.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub doctors: usize,
    pub patients: usize,
    pub records: usize,
    pub lab_results: usize,
    pub audit_entries: usize,
}

/// The password of every account made here.
pub const PASSWORD: &str = "scale-seed-passphrase";

/// Rows per transaction: large enough that commits do not dominate, small enough to show progress.
const BATCH: usize = 5_000;

pub fn doctor_email(n: usize) -> String {
    format!("doctor{n}@scale.medvault.test")
}

pub fn patient_email(n: usize) -> String {
    format!("patient{n}@scale.medvault.test")
}

/// Fills the database. Refuses a database that holds scale data already.
pub async fn fill(state: &AppState, scale: Scale) -> anyhow::Result<()> {
    let first = Email::parse(&doctor_email(0)).map_err(|e| anyhow::anyhow!(e))?;
    let present = state
        .read(move |conn| Ok(users::find_by_email(conn, &first)?.is_some()))
        .await
        .map_err(anyhow_of)?;
    if present {
        anyhow::bail!("this database holds scale data already");
    }
    if scale.doctors == 0 && scale.patients > 0 {
        anyhow::bail!("patients need doctors to look after them: give --doctors 1 or more");
    }
    let password = Password::parse(PASSWORD).map_err(|e| anyhow::anyhow!(e))?;
    let hash = state.passwords.hash(&password).await.map_err(anyhow_of)?;
    let started = std::time::Instant::now();
    let now = state.now();
    let doctors = doctors(state, &hash, scale.doctors, now).await?;
    println!("{} doctors", doctors.len());
    let charts = charts(state, &hash, scale.patients, &doctors, now).await?;
    println!(
        "{} patients, each on the care team of two doctors",
        charts.len()
    );
    fill_records(state, &charts, scale.records, now).await?;
    println!("{} records", scale.records);
    fill_lab_results(state, &charts, scale.lab_results, now).await?;
    println!("{} lab results", scale.lab_results);
    fill_trail(state, &charts, scale.audit_entries, now).await?;
    println!("{} audit entries", scale.audit_entries);
    println!(
        "done in {:.0} s. Every account's password: {PASSWORD}; doctors are {} to {}, patients {} to {}.",
        started.elapsed().as_secs_f64(),
        doctor_email(0),
        doctor_email(scale.doctors.saturating_sub(1)),
        patient_email(0),
        patient_email(scale.patients.saturating_sub(1)),
    );
    Ok(())
}

/// An active account, signing in with the shared password; its id.
fn account(
    conn: &mut DbConnection,
    email: &str,
    name: &PersonName,
    role: Role,
    hash: &str,
    now: NaiveDateTime,
) -> Result<UserId, AppError> {
    let new = NewUser {
        email: &Email::parse(email)?,
        name,
        role,
        status: UserStatus::Active,
        password_hash: hash,
    };
    Ok(users::insert(conn, new, now)?.id)
}

/// `count` active doctors, in batches; their ids.
async fn doctors(
    state: &AppState,
    hash: &str,
    count: usize,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<UserId>> {
    let mut made = Vec::with_capacity(count);
    for start in (0..count).step_by(BATCH) {
        let end = (start + BATCH).min(count);
        let hash = hash.to_owned();
        let batch = state
            .write(move |conn| {
                let mut ids = Vec::with_capacity(end - start);
                for n in start..end {
                    let name = PersonName::parse(&format!("Dr Scale {n}"))?;
                    ids.push(account(
                        conn,
                        &doctor_email(n),
                        &name,
                        Role::Doctor,
                        &hash,
                        now,
                    )?);
                }
                Ok(ids)
            })
            .await
            .map_err(anyhow_of)?;
        made.extend(batch);
    }
    Ok(made)
}

/// `count` patients who sign in to charts of their own, each cared for by two doctors.
async fn charts(
    state: &AppState,
    hash: &str,
    count: usize,
    doctors: &[UserId],
    now: NaiveDateTime,
) -> anyhow::Result<Vec<(PatientId, [UserId; 2])>> {
    let mut made = Vec::with_capacity(count);
    for start in (0..count).step_by(BATCH) {
        let end = (start + BATCH).min(count);
        let hash = hash.to_owned();
        let doctors = doctors.to_vec();
        let batch = state
            .write(move |conn| {
                let mut charts = Vec::with_capacity(end - start);
                for n in start..end {
                    let name = PersonName::parse(&format!("Pat Scale {n}"))?;
                    let user = account(conn, &patient_email(n), &name, Role::Patient, &hash, now)?;
                    let chart = NewPatient {
                        name,
                        birth_date: None,
                        sex: if n.is_multiple_of(2) {
                            Sex::Female
                        } else {
                            Sex::Male
                        },
                        contact: Default::default(),
                        user_id: Some(user),
                        created_by: None,
                    };
                    let chart = patients::insert(conn, chart, now)?.id;
                    let team = care_team_of(&doctors, n).ok_or_else(|| {
                        AppError::Internal(anyhow::anyhow!("patients need doctors"))
                    })?;
                    for doctor in team {
                        care_team::add(conn, chart, doctor, user, now)?;
                    }
                    charts.push((chart, team));
                }
                Ok(charts)
            })
            .await
            .map_err(anyhow_of)?;
        made.extend(batch);
    }
    Ok(made)
}

/// The two doctors who look after patient `n`, spread evenly over all of them; `None` if there
/// are no doctors.
fn care_team_of(doctors: &[UserId], n: usize) -> Option<[UserId; 2]> {
    let pick = |k: usize| doctors.get(k.checked_rem(doctors.len())?).copied();
    Some([pick(n)?, pick(n + 1)?])
}

/// One of a patient's two doctors, taking turns.
fn either([first, second]: [UserId; 2], n: usize) -> UserId {
    if n.is_multiple_of(2) { first } else { second }
}

/// `count` records, dealt round the charts, written by their care teams over the last two years.
async fn fill_records(
    state: &AppState,
    charts: &[(PatientId, [UserId; 2])],
    count: usize,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    if charts.is_empty() {
        return Ok(());
    }
    let title = RecordTitle::parse("Follow-up visit")?;
    let notes = RecordNotes::parse("Seen in clinic. Observations within normal limits.")?;
    for start in (0..count).step_by(BATCH) {
        let end = (start + BATCH).min(count);
        let batch: Vec<(PatientId, UserId)> = (start..end)
            .filter_map(|n| {
                let (chart, team) = charts.get(n % charts.len())?;
                Some((*chart, either(*team, n)))
            })
            .collect();
        let (title, notes) = (title.clone(), notes.clone());
        state
            .write(move |conn| {
                for (offset, (patient_id, author_id)) in batch.into_iter().enumerate() {
                    // Written oldest first, as a hospital writes them: a record's id, which
                    // orders a chart's list, and its time agree.
                    let age = count - 1 - (start + offset);
                    let at = now - Duration::minutes((age % 1_051_200) as i64);
                    let new = NewRecord {
                        patient_id,
                        author_id,
                        kind: RecordKind::ProgressNote,
                        title: title.clone(),
                        notes: notes.clone(),
                    };
                    records::insert(conn, new, at)?;
                }
                Ok(())
            })
            .await
            .map_err(anyhow_of)?;
    }
    Ok(())
}

/// The tests a scale chart's results are of: the common ones, so that each chart has a dozen
/// trends.
const SCALE_TESTS: [&str; 12] = [
    "2345-7", "4548-4", "718-7", "6690-2", "777-3", "2951-2", "2823-3", "2160-0", "2093-3",
    "2085-9", "2571-8", "3016-3",
];

/// A value for result `n` of a test with this range: mostly within it, about one in six above
/// or below, spread so that trends wander.
fn scale_value(n: usize, low: Option<f64>, high: Option<f64>) -> f64 {
    let (low, high) = match (low, high) {
        (Some(low), Some(high)) => (low, high),
        (Some(low), None) => (low, low * 2.0),
        (None, Some(high)) => (high * 0.5, high),
        (None, None) => (1.0, 2.0),
    };
    let span = high - low;
    // A cheap, fixed scramble of n into 0..1000.
    let spread = (n.wrapping_mul(2_654_435_761) >> 7) % 1000;
    let fraction = spread as f64 / 1000.0;
    let value = low - span * 0.25 + fraction * span * 1.5;
    (value * 100.0).round() / 100.0
}

/// `count` lab results, dealt round the charts a test at a time, entered by their care teams
/// over the last two years.
async fn fill_lab_results(
    state: &AppState,
    charts: &[(PatientId, [UserId; 2])],
    count: usize,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    if charts.is_empty() {
        return Ok(());
    }
    for start in (0..count).step_by(BATCH) {
        let end = (start + BATCH).min(count);
        let batch: Vec<(PatientId, UserId, usize)> = (start..end)
            .filter_map(|n| {
                let (chart, team) = charts.get(n % charts.len())?;
                Some((*chart, either(*team, n), n))
            })
            .collect();
        let charts_count = charts.len();
        state
            .write(move |conn| {
                for (patient, doctor, n) in batch {
                    // The nth round of the charts: which test, and how long ago.
                    let round = n / charts_count;
                    let known = SCALE_TESTS
                        .get(round % SCALE_TESTS.len())
                        .and_then(|code| labs::known_by_code(code))
                        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("an unknown test")))?;
                    let (low, high) = known.default_bounds();
                    let value = scale_value(n, low, high);
                    let days_ago = (round / SCALE_TESTS.len() * 61 + n % 30) % 730;
                    let new = NewLabResult {
                        code: Some(LoincCode::parse(known.code)?),
                        test_name: TestName::parse(known.name)?,
                        value: LabValue::Number(value),
                        unit: (!known.unit.is_empty())
                            .then(|| Unit::parse(known.unit))
                            .transpose()?,
                        reference_low: low,
                        reference_high: high,
                        interpretation: Interpretation::of(value, low, high),
                        collected_at: now - Duration::days(days_ago as i64),
                        source: LabSource::Entered,
                    };
                    lab_results::insert(conn, patient, new, doctor, now)?;
                }
                Ok(())
            })
            .await
            .map_err(anyhow_of)?;
    }
    Ok(())
}

/// `count` audit entries of doctors reading their patients' charts and records, spread over the
/// lanes, each lane's chain whole.
async fn fill_trail(
    state: &AppState,
    charts: &[(PatientId, [UserId; 2])],
    count: usize,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    if charts.is_empty() {
        return Ok(());
    }
    let acts = [
        AuditAction::ChartView,
        AuditAction::RecordList,
        AuditAction::RecordRead,
    ];
    for (batch_index, start) in (0..count).step_by(BATCH).enumerate() {
        let end = (start + BATCH).min(count);
        let entries: Vec<AuditEntry> = (start..end)
            .filter_map(|n| {
                let (chart, team) = charts.get(n % charts.len())?;
                let action = acts.get(n % acts.len())?;
                let at = now - Duration::minutes(((count - n) % 1_051_200) as i64);
                Some(AuditEntry {
                    at,
                    actor_id: Some(either(*team, n).to_string()),
                    actor_role: Some(Role::Doctor.as_str().to_owned()),
                    action: action.as_str().to_owned(),
                    resource_type: action.resource_type().to_owned(),
                    resource_id: None,
                    patient_id: Some(chart.to_string()),
                    outcome: Outcome::Success.as_str().to_owned(),
                    client_addr: Some("10.0.0.1".to_owned()),
                    correlation_id: Some(format!("scale-{n}")),
                    reason: None,
                    emergency: false,
                })
            })
            .collect();
        let lane = 1 + (batch_index as i32 % audit::LANES);
        state
            .write(move |conn| {
                audit::LaneWriter::new(lane).append(conn, &entries)?;
                Ok(())
            })
            .await
            .map_err(anyhow_of)?;
    }
    Ok(())
}
