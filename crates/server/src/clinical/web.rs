//! The chart page's forms for allergies and problems: record one, or change its status.

use axum::extract::{Path, State};
use axum::response::Response;
use medvault_domain::PatientId;
use medvault_store::repo::allergies::Allergy;
use medvault_store::repo::problems::Problem;
use serde::Deserialize;

use super::{AllergyInput, ListEntry, ProblemInput};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::http::versions;
use crate::web::WebForm;
use crate::web::kept::Kept;
use crate::web::refused::{Context, after_chart_form, back_to_section};

#[derive(Deserialize)]
pub struct AllergyForm {
    substance: String,
    reaction: Option<String>,
    severity: Option<String>,
}

impl From<AllergyForm> for AllergyInput {
    fn from(form: AllergyForm) -> Self {
        AllergyInput {
            substance: Some(form.substance),
            reaction: form.reaction,
            severity: form.severity,
            status: None,
        }
    }
}

#[derive(Deserialize)]
pub struct ProblemForm {
    condition: String,
    onset: Option<String>,
}

impl From<ProblemForm> for ProblemInput {
    fn from(form: ProblemForm) -> Self {
        ProblemInput {
            condition: Some(form.condition),
            onset: form.onset,
            status: None,
        }
    }
}

pub async fn record_allergy(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    csrf: Csrf,
    kept: Kept,
    id: Path<String>,
    WebForm(form): WebForm<AllergyForm>,
) -> Response {
    let recorded = (state, meta, caller, csrf, kept, id);
    record::<Allergy>(recorded, form.into(), "allergy_recorded").await
}

pub async fn record_problem(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    csrf: Csrf,
    kept: Kept,
    id: Path<String>,
    WebForm(form): WebForm<ProblemForm>,
) -> Response {
    let recorded = (state, meta, caller, csrf, kept, id);
    record::<Problem>(recorded, form.into(), "problem_recorded").await
}

/// A list entry's form as the request brought it: everything but the fields.
type Posted = (
    State<AppState>,
    RequestMeta,
    WebCaller,
    Csrf,
    Kept,
    Path<String>,
);

/// Records an entry from the chart page's form: back to the chart with a notice, or to the
/// form as typed with the refusal beside it.
async fn record<E: ListEntry>(posted: Posted, input: E::Input, notice: &str) -> Response {
    let (State(state), meta, WebCaller(caller), csrf, kept, Path(id)) = posted;
    let outcome = async {
        let patient: PatientId = path_id(&id)?;
        super::record::<E>(&state, caller.actor, &meta, patient, input)
            .await
            .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_chart_form(context, kept, &id, outcome.await, notice, E::SECTION).await
}

/// A status button's form: the status, and the version the button was shown for.
#[derive(Deserialize)]
pub struct StatusForm {
    version: Option<String>,
    status: String,
}

pub async fn allergy_status(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    id: Path<String>,
    form: WebForm<StatusForm>,
) -> Response {
    set_status::<Allergy>(state, meta, caller, id, form).await
}

pub async fn problem_status(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    id: Path<String>,
    form: WebForm<StatusForm>,
) -> Response {
    set_status::<Problem>(state, meta, caller, id, form).await
}

/// Changes an entry's status from its button on the chart page, and goes back to the chart.
async fn set_status<E: ListEntry>(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
    WebForm(form): WebForm<StatusForm>,
) -> Response
where
    E::Id: std::str::FromStr,
{
    let changed = async {
        let version = versions::from_form(form.version.as_deref())?;
        let input = E::status_only(form.status);
        super::change::<E>(&state, caller.actor, &meta, path_id(&id)?, version, input).await
    };
    let changed = changed.await.map(|entry| entry.patient());
    back_to_section(changed, "status_changed", E::SECTION)
}
