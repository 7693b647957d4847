//! `/api/v1/patients/{id}/insights` and `/api/v1/patients/{id}/summary`.

use axum::Json;
use axum::extract::{Path, State};
use medvault_domain::insights::{Insight, RULES};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::clinical::api::{AllergyView, ProblemView};
use crate::error::{AppResult, ErrorBody};
use crate::labs::api::LabResultView;
use crate::prescriptions::api::PrescriptionView;
use crate::records::api::RecordView;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(insights))
        .routes(routes!(summary))
}

/// What a clinician is told, and why.
#[derive(Serialize, ToSchema)]
pub struct InsightsBody {
    /// Always "advice": insights support a clinician's judgement and are no diagnosis.
    pub kind: &'static str,
    pub insights: Vec<InsightView>,
    /// Every rule, its version and its source, whether or not it found anything.
    pub rules: Vec<RuleView>,
}

#[derive(Serialize, ToSchema)]
pub struct InsightView {
    pub rule: &'static str,
    pub version: u32,
    /// `info`, `warning` or `critical`.
    pub severity: &'static str,
    pub title: String,
    pub detail: String,
    pub guideline: &'static str,
    /// The ids of the lab results the rule used.
    pub evidence: Vec<String>,
    /// A value the rule worked out (an eGFR, an anion gap), with its unit.
    pub derived: Option<DerivedView>,
}

#[derive(Serialize, ToSchema)]
pub struct DerivedView {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct RuleView {
    pub rule: &'static str,
    pub version: u32,
    pub guideline: &'static str,
}

impl From<Insight> for InsightView {
    fn from(insight: Insight) -> Self {
        InsightView {
            rule: insight.rule,
            version: insight.version,
            severity: insight.severity.as_str(),
            title: insight.title,
            detail: insight.detail,
            guideline: insight.guideline,
            evidence: insight.evidence,
            derived: insight.derived.map(|d| DerivedView {
                name: d.name,
                value: (d.value * 100.0).round() / 100.0,
                unit: d.unit,
            }),
        }
    }
}

/// The chart's clinical insights from its lab results, most severe first: critical values,
/// results outside their range, derived values (eGFR by CKD-EPI 2021, anion gap, corrected
/// calcium, non-HDL and Friedewald LDL cholesterol), guideline ranges (HbA1c, KDIGO GFR
/// category, WHO anaemia, thyroid patterns) and meaningful changes. Each names its rule,
/// version, guideline and evidence. Advice for the clinical team (admins, doctors on the care
/// team or under emergency access, linked trainees).
#[utoipa::path(get, path = "/patients/{id}/insights", tag = "lab reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = InsightsBody), (status = 404, body = ErrorBody)))]
async fn insights(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<InsightsBody>> {
    let found = super::of(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(InsightsBody {
        kind: "advice",
        insights: found.into_iter().map(InsightView::from).collect(),
        rules: RULES
            .iter()
            .map(|(rule, version, guideline)| RuleView {
                rule,
                version: *version,
                guideline,
            })
            .collect(),
    }))
}

/// A chart at a glance.
#[derive(Serialize, ToSchema)]
pub struct SummaryBody {
    /// The summary in a few sentences.
    pub narrative: NarrativeView,
    pub active_problems: Vec<ProblemView>,
    pub active_allergies: Vec<AllergyView>,
    pub active_medications: Vec<PrescriptionView>,
    /// Each test whose newest result is outside its range, with the result before it.
    pub abnormal_results: Vec<AbnormalView>,
    /// The newest records.
    pub recent_records: Vec<RecordView>,
}

/// The summary in prose: from the summary service (`MEDVAULT_AI_URL`) when it answers, else
/// built in, with why.
#[derive(Serialize, ToSchema)]
pub struct NarrativeView {
    /// `service` or `built-in`.
    pub source: &'static str,
    pub text: String,
    /// What the service suggests considering (advice for a clinician).
    pub suggestions: Vec<String>,
    /// Why the service's summary is not shown, when a service is configured.
    pub fallback: Option<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct AbnormalView {
    pub latest: LabResultView,
    pub previous: Option<LabResultView>,
    /// `rising`, `falling` or `steady` against the previous result, when both are numbers.
    pub trend: Option<&'static str>,
}

/// The chart's summary: a few sentences (from the summary service when one is configured and
/// answers within its timeout, its breaker closed; otherwise built in, with the reason), active
/// problems, active allergies, active medications, the latest abnormal results with their
/// trend, and the newest records. Whoever may read the chart's records. Sending the service
/// part of it (no name, id, date or note) is audited as `summary.disclose`.
#[utoipa::path(get, path = "/patients/{id}/summary", tag = "chart", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = SummaryBody), (status = 404, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<SummaryBody>> {
    let patient = path_id(&id)?;
    let summary = super::summary(&state, caller.actor, &meta, patient).await?;
    let narrative =
        super::narrative::narrative(&state, caller.actor, &meta, patient, &summary).await;
    Ok(Json(SummaryBody {
        narrative: NarrativeView {
            source: narrative.source,
            text: narrative.text,
            suggestions: narrative.suggestions,
            fallback: narrative.fallback,
        },
        active_problems: summary
            .problems
            .into_iter()
            .map(ProblemView::from)
            .collect(),
        active_allergies: summary
            .allergies
            .into_iter()
            .map(AllergyView::from)
            .collect(),
        active_medications: summary
            .medications
            .into_iter()
            .map(PrescriptionView::from)
            .collect(),
        abnormal_results: summary
            .abnormal
            .into_iter()
            .map(|(latest, previous)| {
                let trend = super::trend(&latest, previous.as_ref());
                AbnormalView {
                    latest: LabResultView::from(latest),
                    previous: previous.map(LabResultView::from),
                    trend,
                }
            })
            .collect(),
        recent_records: summary
            .recent_records
            .into_iter()
            .map(RecordView::from)
            .collect(),
    }))
}
