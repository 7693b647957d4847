//! The chart page's medications: the active ones and the past, the prescribing form (which
//! shows an allergy warning and asks for its acknowledgement), and the status buttons.

use axum::extract::{Path, State};
use axum::response::Response;
use medvault_domain::medication::{PrescriptionStatus, Route};
use medvault_store::repo::prescriptions::Prescription;
use serde::Deserialize;

use super::PrescriptionInput;
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::http::versions;
use crate::web::WebForm;
use crate::web::dates::Day;
use crate::web::kept::Kept;
use crate::web::refused::{Context, after_chart_form, back_to_section};

/// A chart's medications as its page shows them.
pub struct Medications {
    pub active: Vec<MedicationRow>,
    /// Completed, stopped and entered in error, newest first.
    pub past: Vec<MedicationRow>,
    /// The routes the prescribing form offers.
    pub routes: Vec<&'static str>,
}

pub struct MedicationRow {
    pub id: String,
    /// Drug and strength: "Amoxicillin 500 mg".
    pub drug: String,
    /// Dose, route and frequency, then duration and quantity where given.
    pub how: String,
    pub instructions: String,
    pub status: &'static str,
    pub status_reason: String,
    /// The allergy warnings the prescriber acknowledged, if any.
    pub acknowledged: Vec<String>,
    pub prescribed: String,
    pub version: i64,
}

impl From<&Prescription> for MedicationRow {
    fn from(p: &Prescription) -> Self {
        let drug = match &p.strength {
            Some(strength) => format!("{} {strength}", p.drug),
            None => p.drug.clone(),
        };
        let mut how = format!("{}, {}, {}", p.dose, p.route.as_str(), p.frequency);
        if let Some(duration) = &p.duration {
            how.push_str(&format!(", for {duration}"));
        }
        if let Some(quantity) = &p.quantity {
            how.push_str(&format!("; dispense {quantity}"));
        }
        MedicationRow {
            id: p.id.to_string(),
            drug,
            how,
            instructions: p.instructions.clone().unwrap_or_default(),
            status: p.status.as_str(),
            status_reason: p.status_reason.clone().unwrap_or_default(),
            acknowledged: p
                .acknowledged_warnings
                .as_deref()
                .map(|text| text.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
            prescribed: format!("{}, {}", p.prescribed_by_name, Day(p.prescribed_at)),
            version: p.version,
        }
    }
}

impl Medications {
    pub fn new(prescriptions: &[Prescription]) -> Self {
        let (active, past): (Vec<&Prescription>, Vec<&Prescription>) = prescriptions
            .iter()
            .partition(|p| p.status == PrescriptionStatus::Active);
        Medications {
            active: active.into_iter().map(MedicationRow::from).collect(),
            past: past.into_iter().map(MedicationRow::from).collect(),
            routes: Route::ALL.iter().map(|route| route.as_str()).collect(),
        }
    }
}

#[derive(Deserialize)]
pub struct PrescriptionForm {
    drug: String,
    strength: Option<String>,
    dose: String,
    route: String,
    frequency: String,
    duration: Option<String>,
    quantity: Option<String>,
    instructions: Option<String>,
    /// The checkbox shown beside an allergy warning.
    acknowledge: Option<String>,
}

impl From<PrescriptionForm> for PrescriptionInput {
    fn from(form: PrescriptionForm) -> Self {
        PrescriptionInput {
            drug: form.drug,
            strength: form.strength,
            dose: form.dose,
            route: form.route,
            frequency: form.frequency,
            duration: form.duration,
            quantity: form.quantity,
            instructions: form.instructions,
            acknowledge_allergy_warnings: form.acknowledge.is_some(),
        }
    }
}

/// Prescribes from the chart page: back to the chart with a notice, or to the form as typed
/// with the refusal (an allergy warning asks for its acknowledgement there).
pub async fn prescribe(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    WebForm(form): WebForm<PrescriptionForm>,
) -> Response {
    let outcome = async {
        super::prescribe(&state, caller.actor, &meta, path_id(&id)?, form.into())
            .await
            .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_chart_form(
        context,
        kept,
        &id,
        outcome.await,
        "prescribed",
        "medications",
    )
    .await
}

#[derive(Deserialize)]
pub struct StatusForm {
    version: Option<String>,
    status: String,
    reason: Option<String>,
}

/// Completes, stops or marks a prescription entered in error from its buttons on the chart.
pub async fn change_status(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
    WebForm(form): WebForm<StatusForm>,
) -> Response {
    let changed = async {
        let version = versions::from_form(form.version.as_deref())?;
        let (id, status) = (path_id(&id)?, form.status.as_str());
        super::change_status(
            &state,
            caller.actor,
            &meta,
            id,
            version,
            status,
            form.reason,
        )
        .await
        .map(|prescription| prescription.patient_id)
    };
    back_to_section(changed.await, "status_changed", "medications")
}
