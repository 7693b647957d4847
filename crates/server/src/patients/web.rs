//! The chart page with its record form, and the forms that change a chart's care team and
//! trainee links: pages of the patients feature.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::policy::Action;
use medvault_domain::{InvalidValue, PatientId, RecordId};
use serde::Deserialize;

use super::UserRef;
use super::ties::{self, Tie};
use crate::access::web::EmailForm;
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::dashboards::web::record_rows;
use crate::error::AppError;
use crate::files::web::FileRows;
use crate::lab_reports::web::ReportsPanel;
use crate::labs::web::LabPanels;
use crate::prescriptions::web::Medications;
use crate::web::kept::Kept;
use crate::web::refused::{Context, FormPage, after, after_form, chart_page_of};
use crate::web::views::{
    ChartPage, Chrome, ClinicalLists, MemberRow, PatientRow, ProfileFacts, RecordForm, notice,
};
use crate::web::{WebForm, WebQuery, render};
use crate::{api, records};

/// How many records the chart page shows at a time, newest first.
const RECORDS_SHOWN: usize = 50;

/// The chart page's query: a notice to show, and where the records shown begin.
#[derive(Deserialize)]
pub struct ChartQuery {
    notice: Option<String>,
    /// Show the records older than this one (from the page's "Older records" link).
    before: Option<String>,
}

pub async fn chart(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebQuery(query): WebQuery<ChartQuery>,
) -> Response {
    let page = async {
        let id: PatientId = api::path_id(&id)?;
        let before = match query.before.as_deref().filter(|before| !before.is_empty()) {
            Some(before) => Some(before.parse::<RecordId>().map_err(|_| {
                InvalidValue::new("before", "is not a record of this chart's list")
            })?),
            None => None,
        };
        let chrome =
            Chrome::signed_in(&caller, csrf.token()).notice(notice(query.notice.as_deref()));
        let context = Context::new(&state, &meta, &caller, &csrf);
        chart_page(context, id, chrome, RecordForm::default(), before).await
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}

/// The chart page, with the record form as given (empty, or as typed when it was refused).
pub async fn chart_page(
    context: Context<'_>,
    id: PatientId,
    chrome: Chrome,
    form: RecordForm,
    before: Option<RecordId>,
) -> Result<Response, AppError> {
    let Context {
        state,
        meta,
        caller,
        csrf,
    } = context;
    let view = super::view::view(state, caller.actor, meta, id, RECORDS_SHOWN, before).await?;
    let may = |action| view.may(&caller.actor, action);
    let can_manage_guardians = may(Action::ManageGuardians);
    Ok(render(&ChartPage {
        chrome,
        csrf: csrf.token().to_owned(),
        chart: PatientRow::from(&view.granted.chart),
        profile: ProfileFacts::from(&view.granted.chart),
        can_edit_profile: may(Action::EditContactDetails),
        can_book: view.granted.may_book(&caller.actor),
        clinical: view
            .clinical
            .as_ref()
            .map(|(allergies, problems)| ClinicalLists::new(allergies, problems)),
        can_write_clinical: may(Action::WriteRecord),
        medications: view.prescriptions.as_deref().map(Medications::new),
        can_prescribe: may(Action::Prescribe),
        labs: view.labs.as_deref().map(LabPanels::new),
        reports: view.reports.as_ref().map(|r| {
            ReportsPanel::new(
                &r.alerts,
                r.insights.as_deref(),
                &r.reports,
                r.can_send,
                r.can_acknowledge,
            )
        }),
        files: view
            .files
            .as_deref()
            .map(|files| FileRows::new(files, state.config.max_upload_bytes)),
        can_restore_files: may(Action::RestoreFile),
        can_export: may(Action::ExportChart),
        records: view
            .records
            .as_deref()
            .map(|records| record_rows(records, None)),
        older_records: view.older.clone(),
        newest_shown: before.is_none(),
        record_form: may(Action::WriteRecord).then_some(form),
        emergency: view.granted.emergency(),
        can_change_care_team: may(Action::AssignCareTeam),
        care_team: view.care_team.into_iter().map(MemberRow::from).collect(),
        trainees: view
            .trainees
            .map(|members| members.into_iter().map(MemberRow::from).collect()),
        guardians: view.guardians.into_iter().map(MemberRow::from).collect(),
        can_manage_guardians,
    }))
}

#[derive(Deserialize)]
pub struct NewRecordForm {
    kind: Option<String>,
    title: String,
    notes: String,
}

/// A record is written from the chart it goes into: the path names the one patient, and the
/// form names them beside its button, so it cannot land in another chart.
pub async fn create_record(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebForm(form): WebForm<NewRecordForm>,
) -> Response {
    let page = async {
        let id: PatientId = api::path_id(&id)?;
        let text = records::RecordText {
            kind: form.kind.clone(),
            title: form.title.clone(),
            notes: form.notes.clone(),
        };
        let written = records::create(&state, caller.actor, &meta, id, text).await;
        let refusal = match written {
            Ok(_) => {
                let to = format!("/patients/{id}?notice=record_created#records");
                return Ok(Redirect::to(&to).into_response());
            }
            Err(error @ AppError::Invalid(_)) => error,
            Err(error) => return Err(error),
        };
        let chrome = Chrome::signed_in(&caller, csrf.token()).error(Some(refusal.public_message()));
        let kept = RecordForm {
            kind: form.kind.unwrap_or_default(),
            title: form.title,
            notes: form.notes,
        };
        let context = Context::new(&state, &meta, &caller, &csrf);
        let mut response = chart_page(context, id, chrome, kept, None).await?;
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}

pub async fn unlink_trainee(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    ids: Path<(String, String)>,
) -> Response {
    end_tie(state, meta, caller, ids, Tie::TraineeLink).await
}

pub async fn end_guardianship(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    ids: Path<(String, String)>,
) -> Response {
    end_tie(state, meta, caller, ids, Tie::Guardian).await
}

pub async fn remove_care_team_member(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    ids: Path<(String, String)>,
) -> Response {
    end_tie(state, meta, caller, ids, Tie::CareTeam).await
}

/// Ends a user's tie to a chart from a button on the chart or the patient's dashboard.
async fn end_tie(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path((id, user)): Path<(String, String)>,
    tie: Tie,
) -> Response {
    let outcome = async {
        let (patient, user) = (path_id(&id)?, path_id(&user)?);
        ties::end(&state, caller.actor, &meta, patient, user, tie)
            .await
            .map(|_| ())
    };
    let notice = match tie {
        Tie::CareTeam => "care_team_removed",
        Tie::TraineeLink => "trainee_unlinked",
        Tie::Guardian => "guardian_ended",
    };
    after(outcome.await, &back_to_chart(&caller, &id), notice)
}

/// Whether `patient` (a chart id as sent) is the caller's own chart, which they manage from
/// their dashboard.
fn is_own_chart(caller: &Caller, patient: &str) -> bool {
    caller
        .actor
        .patient_id
        .is_some_and(|own| own.to_string() == patient)
}

/// Where a change to a chart's ties leads back to: the patient's own dashboard, or the chart.
fn back_to_chart(caller: &Caller, patient: &str) -> String {
    if is_own_chart(caller, patient) {
        "/patient/dashboard".to_owned()
    } else {
        format!("/patients/{patient}")
    }
}

pub async fn add_care_team_member(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    WebForm(form): WebForm<EmailForm>,
) -> Response {
    let outcome = async {
        let patient = path_id(&id)?;
        let doctor = UserRef::email(&form.email, "is not an active doctor")?;
        super::ties::add(&state, caller.actor, &meta, patient, doctor, Tie::CareTeam)
            .await
            .map(|_| ())
    };
    let page = if is_own_chart(&caller, &id) {
        FormPage::PatientDashboard
    } else {
        chart_page_of(&id)
    };
    let onward = back_to_chart(&caller, &id);
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_form(
        context,
        kept,
        page,
        outcome.await,
        &onward,
        "care_team_added",
    )
    .await
}
