//! The chart's summary page: a few sentences (the summary service's, or built in), and what
//! matters in the chart at a glance.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::error::AppError;
use crate::web::render;
use crate::web::views::{Chrome, to_the_minute};

#[derive(Template)]
#[template(path = "patients/summary.html")]
struct SummaryPage {
    chrome: Chrome,
    chart_id: String,
    text: String,
    from_service: bool,
    fallback: Option<&'static str>,
    suggestions: Vec<String>,
    problems: Vec<String>,
    allergies: Vec<String>,
    medications: Vec<String>,
    /// Test, value and unit, flag, trend.
    abnormal: Vec<(String, String, String, String)>,
    /// Record id, title, when.
    records: Vec<(String, String, String)>,
}

pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Response {
    let shown = async {
        let patient = path_id(&id)?;
        let summary = super::summary(&state, caller.actor, &meta, patient).await?;
        let narrative =
            super::narrative::narrative(&state, caller.actor, &meta, patient, &summary).await;
        Ok::<_, AppError>(render(&SummaryPage {
            chrome: Chrome::signed_in(&caller, csrf.token()),
            chart_id: patient.to_string(),
            text: narrative.text,
            from_service: narrative.source == "service",
            fallback: narrative.fallback,
            suggestions: narrative.suggestions,
            problems: summary
                .problems
                .iter()
                .map(|p| p.condition.clone())
                .collect(),
            allergies: summary
                .allergies
                .iter()
                .map(|a| a.substance.clone())
                .collect(),
            medications: summary
                .medications
                .iter()
                .map(|m| format!("{} {}, {}", m.drug, m.dose, m.frequency))
                .collect(),
            abnormal: summary
                .abnormal
                .iter()
                .map(|(latest, previous)| {
                    (
                        latest.reading.test_name.clone(),
                        format!(
                            "{} {}",
                            super::shown_value(latest),
                            latest.reading.unit.as_deref().unwrap_or("")
                        ),
                        latest
                            .reading
                            .interpretation
                            .map(|i| i.as_str().replace('-', " "))
                            .unwrap_or_default(),
                        super::trend(latest, previous.as_ref())
                            .unwrap_or("")
                            .to_owned(),
                    )
                })
                .collect(),
            records: summary
                .recent_records
                .iter()
                .map(|r| {
                    (
                        r.id.to_string(),
                        r.title.clone(),
                        to_the_minute(r.created_at),
                    )
                })
                .collect(),
        }))
    };
    shown.await.unwrap_or_else(AppError::into_response_html)
}
