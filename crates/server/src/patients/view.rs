//! The chart page's use case: everything the page shows, read in one transaction, decided by the
//! policy once per part, and audited as one act, "viewed the chart".

use chrono::NaiveDateTime;
use medvault_domain::insights::Insight;
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AuditAction, PatientId, RecordId};
use medvault_store::repo::MAX_PAGE;
use medvault_store::repo::alerts::{self, Alert};
use medvault_store::repo::allergies::{self, Allergy};
use medvault_store::repo::chart;
use medvault_store::repo::files::{self, StoredFile};
use medvault_store::repo::lab_reports::{self, LabReport};
use medvault_store::repo::prescriptions::{self, Prescription};
use medvault_store::repo::problems::{self, Problem};
use medvault_store::repo::records::{self, RecordsOf};
use medvault_store::{DbConnection, Record, StoreError};

use super::ties::{self, Member};
use super::{Authorized, Subject, granted};
use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::labs::{self, LabPanel};

/// One chart as its page shows it to one caller.
pub struct ChartView {
    pub granted: Authorized,
    /// The newest records (before the one asked for, if any), or `None` when the caller may
    /// not read clinical notes.
    pub records: Option<Vec<Record>>,
    /// Where the next, older, records begin, when there are more.
    pub older: Option<String>,
    /// The allergies and problems, or `None` when the caller may not read clinical content.
    pub clinical: Option<(Vec<Allergy>, Vec<Problem>)>,
    /// The prescriptions, newest first, or `None` as for the lists.
    pub prescriptions: Option<Vec<Prescription>>,
    /// Each lab test with its newest result and trend, or `None` as for the lists.
    pub labs: Option<Vec<LabPanel>>,
    /// The chart's files (deleted ones too for whoever may restore them), or `None` as for the
    /// lists.
    pub files: Option<Vec<StoredFile>>,
    pub care_team: Vec<Member>,
    /// The linked trainees, when the caller may link and unlink them.
    pub trainees: Option<Vec<Member>>,
    pub guardians: Vec<Member>,
    /// Lab reports, alerts and insights, when the caller may send reports or read their drafts.
    pub reports: Option<ChartReports>,
}

/// The chart's lab reports (all, or the caller's own), open critical alerts and insights (for
/// the clinical team), and what the caller may do with them.
pub struct ChartReports {
    pub reports: Vec<LabReport>,
    pub alerts: Vec<Alert>,
    pub insights: Option<Vec<Insight>>,
    pub can_send: bool,
    pub can_acknowledge: bool,
}

/// How many of a chart's reports its page lists.
const REPORTS_SHOWN: usize = 20;

impl ChartView {
    /// Whether the caller may do `action` on this chart, as the policy decides.
    pub fn may(&self, actor: &Actor, action: Action) -> bool {
        self.granted.may(actor, action)
    }
}

pub async fn view(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    records_shown: usize,
    before: Option<RecordId>,
) -> Result<ChartView, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let view = read(conn, &actor, patient, uc.now, records_shown, before)?;
            uc.record(viewed(&actor, &view));
            Ok(view)
        })
        .await
}

/// The audit entry of a chart view.
pub fn viewed<'a>(actor: &'a Actor, view: &ChartView) -> Event<'a> {
    let patient = view.granted.chart.id;
    Event::success(actor, AuditAction::ChartView)
        .resource(patient)
        .patient(patient)
        .emergency(view.granted.emergency())
}

/// Reads a chart as its page shows it, inside the use case of a page (which audits it).
pub fn read(
    conn: &mut DbConnection,
    actor: &Actor,
    patient: PatientId,
    now: NaiveDateTime,
    records_shown: usize,
    before: Option<RecordId>,
) -> Result<ChartView, AppError> {
    let subject = Subject::id(AuditAction::ChartView, patient);
    let chart::Opened {
        chart,
        ties,
        holdings: holds,
        tied,
    } = chart::opened(conn, actor.user_id, patient, now)?.ok_or(AppError::NotFound)?;
    let granted = granted(actor, chart, ties, Action::ReadChart, subject)?;
    let may = |action| granted.may(actor, action);
    // The newest lab results, read once for the panels and the insights.
    let results = if may(Action::ReadRecords) {
        Some(labs::newest(conn, patient)?)
    } else {
        None
    };
    let (clinical, prescriptions, labs, files) = match &results {
        Some(results) => {
            let lists = (
                unless_empty(holds.allergies, || allergies::of(conn, patient))?,
                unless_empty(holds.problems, || problems::of(conn, patient))?,
            );
            let medications = unless_empty(holds.prescriptions, || {
                Ok(prescriptions::of(conn, patient, None, MAX_PAGE)?.items)
            })?;
            let kept = unless_empty(holds.files, || {
                let deleted_too = may(Action::RestoreFile);
                Ok(files::of(conn, patient, deleted_too, None, MAX_PAGE)?.items)
            })?;
            (
                Some(lists),
                Some(medications),
                Some(labs::panels(results)),
                Some(kept),
            )
        }
        None => (None, None, None, None),
    };
    let (records, older) = if may(Action::ReadRecords) {
        let before = before.map(|id| id.to_string());
        let page = records::list(
            conn,
            RecordsOf::Patient(patient),
            before.as_deref(),
            records_shown,
        )?;
        (Some(page.items), page.next)
    } else {
        (None, None)
    };
    // The linked trainees come with the rest of the chart's ties and are shown only to whoever
    // may link and unlink them.
    let trainees = may(Action::LinkTrainee).then(|| ties::named(tied.trainees));
    let reports = if may(Action::UploadLabReport) || may(Action::ReadLabDrafts) {
        let all = may(Action::ReadLabDrafts);
        let clinical_team = may(Action::ReadInsights);
        Some(ChartReports {
            reports: unless_empty(holds.lab_reports, || {
                lab_reports::of(conn, patient, REPORTS_SHOWN)
            })?
            .into_iter()
            .filter(|report| all || report.uploaded_by == actor.user_id)
            .collect(),
            alerts: unless_empty(clinical_team && holds.open_alerts, || {
                alerts::open(conn, patient)
            })?,
            insights: results
                .as_deref()
                .filter(|_| clinical_team)
                .map(|results| crate::insights::of_results(results, &granted.chart, now)),
            can_send: may(Action::UploadLabReport),
            can_acknowledge: may(Action::AcknowledgeAlert),
        })
    } else {
        None
    };
    Ok(ChartView {
        granted,
        records,
        older,
        clinical,
        prescriptions,
        labs,
        files,
        care_team: ties::named(tied.care_team),
        trainees,
        guardians: ties::named(tied.guardians),
        reports,
    })
}

/// What `read` gives, or nothing without asking when the list is known to be empty.
fn unless_empty<T>(
    holds_any: bool,
    read: impl FnOnce() -> Result<Vec<T>, StoreError>,
) -> Result<Vec<T>, StoreError> {
    if holds_any { read() } else { Ok(Vec::new()) }
}
