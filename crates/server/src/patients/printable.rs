//! The patient's copy as a page to print or save as PDF: the whole chart, read and audited as
//! the JSON copy is (one export), laid out for paper.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use medvault_store::repo::lab_results::{LabResult, StoredValue};

use super::export::{ChartCopy, export};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::dashboards::web::record_rows;
use crate::error::AppError;
use crate::labs::plot;
use crate::prescriptions::web::Medications;
use crate::web::dates::Minute;
use crate::web::render;
use crate::web::views::{Chrome, ClinicalLists, PatientRow, ProfileFacts, RecordRow};

#[derive(Template)]
#[template(path = "patients/copy.html")]
pub struct CopyPage {
    pub chrome: Chrome,
    pub made_on: String,
    pub chart: PatientRow,
    pub profile: ProfileFacts,
    pub clinical: ClinicalLists,
    pub medications: Medications,
    pub labs: Vec<LabLine>,
    pub records: Vec<RecordRow>,
    pub care_team: Vec<String>,
}

/// One lab result, as a line of the copy's table.
pub struct LabLine {
    pub collected: String,
    pub test: String,
    pub value: String,
    pub range: String,
    pub flag: String,
}

impl From<&LabResult> for LabLine {
    fn from(result: &LabResult) -> Self {
        let unit = result.reading.unit.as_deref().unwrap_or_default();
        let value = match &result.reading.value {
            StoredValue::Number(number) => format!("{} {unit}", plot::label(*number)),
            StoredValue::Text(text) => text.clone(),
        };
        let range = match (result.reading.reference_low, result.reading.reference_high) {
            (Some(low), Some(high)) => format!("{}–{}", plot::label(low), plot::label(high)),
            (Some(low), None) => format!("≥ {}", plot::label(low)),
            (None, Some(high)) => format!("≤ {}", plot::label(high)),
            (None, None) => String::new(),
        };
        let flag = match result.status {
            medvault_domain::labs::LabStatus::EnteredInError => "entered in error".to_owned(),
            medvault_domain::labs::LabStatus::Final => result
                .reading
                .interpretation
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default(),
        };
        LabLine {
            collected: Minute(result.reading.collected_at).to_string(),
            test: result.reading.test_name.clone(),
            value: value.trim().to_owned(),
            range,
            flag,
        }
    }
}

impl CopyPage {
    fn new(copy: &ChartCopy, chrome: Chrome, made_on: String) -> Self {
        let records: Vec<_> = copy
            .records
            .iter()
            .map(|(record, _)| record.clone())
            .collect();
        CopyPage {
            chrome,
            made_on,
            chart: PatientRow::from(&copy.chart),
            profile: ProfileFacts::from(&copy.chart),
            clinical: ClinicalLists::new(&copy.allergies, &copy.problems),
            medications: Medications::new(&copy.prescriptions),
            labs: copy.lab_results.iter().map(LabLine::from).collect(),
            records: record_rows(&records, None),
            care_team: copy.care_team.iter().map(|m| m.name.clone()).collect(),
        }
    }
}

/// The printable copy, from the patient's dashboard and the chart page.
pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Response {
    let shown = async {
        let copy = export(&state, caller.actor, &meta, path_id(&id)?).await?;
        let chrome = Chrome::signed_in(&caller, csrf.token());
        let made_on = format!("{} UTC", Minute(state.now()));
        Ok::<_, AppError>(render(&CopyPage::new(&copy, chrome, made_on)))
    };
    shown.await.unwrap_or_else(AppError::into_response_html)
}
