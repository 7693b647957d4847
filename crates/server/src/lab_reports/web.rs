//! Pages for lab reports: the chart's reports section (alerts, insights, reports, the form to
//! send one), a report's page (its progress, and for the clinical team its rows beside the
//! page they were read from, as a review form), and the buttons that acknowledge an alert.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::insights::Insight;
use medvault_domain::labs::LabReportStatus;
use medvault_store::repo::alerts::Alert;
use medvault_store::repo::lab_reports::{LabReport, StoredRow};
use serde::Deserialize;

use super::{Draft, ReportView, RowReview};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::error::AppError;
use crate::files::upload::UploadBody;
use crate::web::kept::Kept;
use crate::web::refused::{Context, after_chart_form, back_to_section};
use crate::web::views::{Chrome, notice, to_the_minute};
use crate::web::{WebForm, WebQuery, render};

/// The chart's section on lab reports.
pub struct ReportsPanel {
    pub alerts: Vec<AlertRow>,
    pub insights: Option<Vec<InsightRow>>,
    pub reports: Vec<ReportRow>,
    pub can_send: bool,
    pub can_acknowledge: bool,
}

pub struct AlertRow {
    pub id: String,
    pub title: String,
    pub raised: String,
}

pub struct InsightRow {
    pub severity: &'static str,
    pub title: String,
    pub detail: String,
    pub source: String,
}

pub struct ReportRow {
    pub id: String,
    pub status: &'static str,
    pub sent: String,
    pub by: String,
}

impl ReportsPanel {
    pub fn new(
        alerts: &[Alert],
        insights: Option<&[Insight]>,
        reports: &[LabReport],
        can_send: bool,
        can_acknowledge: bool,
    ) -> Self {
        ReportsPanel {
            alerts: alerts
                .iter()
                .map(|alert| AlertRow {
                    id: alert.id.to_string(),
                    title: alert.title.clone(),
                    raised: to_the_minute(alert.raised_at),
                })
                .collect(),
            insights: insights.map(|found| {
                found
                    .iter()
                    .map(|insight| InsightRow {
                        severity: insight.severity.as_str(),
                        title: insight.title.clone(),
                        detail: insight.detail.clone(),
                        source: format!(
                            "{} v{}: {}",
                            insight.rule, insight.version, insight.guideline
                        ),
                    })
                    .collect()
            }),
            reports: reports.iter().map(report_row).collect(),
            can_send,
            can_acknowledge,
        }
    }
}

fn report_row(report: &LabReport) -> ReportRow {
    ReportRow {
        id: report.id.to_string(),
        status: status_in_words(report.status),
        sent: to_the_minute(report.created_at),
        by: report.uploaded_by_name.clone(),
    }
}

fn status_in_words(status: LabReportStatus) -> &'static str {
    match status {
        LabReportStatus::Queued => "waiting to be read",
        LabReportStatus::Reading => "being read",
        LabReportStatus::Review => "waiting for a doctor's review",
        LabReportStatus::Done => "reviewed",
        LabReportStatus::Failed => "could not be read",
    }
}

/// Sends a report from the chart page: on to its page, or back to the chart with the refusal.
pub async fn send(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    body: Result<UploadBody, AppError>,
) -> Response {
    let sent = async {
        let patient = path_id(&id)?;
        let body = body?;
        super::may_send(&state, caller.actor, &meta, patient).await?;
        let received = body.receive(state.config.max_upload_bytes).await?;
        super::send(&state, caller.actor, &meta, patient, received).await
    };
    match sent.await {
        Ok(report) => {
            Redirect::to(&format!("/lab-reports/{}?notice=report_sent", report.id)).into_response()
        }
        Err(error) => {
            let context = Context::new(&state, &meta, &caller, &csrf);
            after_chart_form(context, kept, &id, Err(error), "", "reports").await
        }
    }
}

#[derive(Template)]
#[template(path = "lab_reports/report.html")]
struct ReportPage {
    chrome: Chrome,
    csrf: String,
    id: String,
    patient_id: String,
    status: &'static str,
    error: Option<String>,
    pages: Vec<u32>,
    kind: String,
    rows: Option<Vec<DraftRowView>>,
    can_review: bool,
    collected_at: String,
    refresh: bool,
}

/// A draft row as the review form shows it: each field as typed (or as read), with a mark on
/// the doubtful ones.
struct DraftRowView {
    n: i32,
    line: String,
    page: u32,
    code: String,
    test_name: String,
    value: String,
    unit: String,
    low: String,
    high: String,
    flag: String,
    doubts: Vec<String>,
    needs_review: bool,
    decided: Option<String>,
}

fn draft_row(row: &StoredRow, typed: &HashMap<String, String>) -> Option<DraftRowView> {
    let draft = Draft::of(row).ok()?;
    let field = |name: &str, read: String| {
        typed
            .get(&format!("{name}_{}", row.n))
            .cloned()
            .unwrap_or(read)
    };
    let shown = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    let mut doubts = Vec::new();
    let mut doubt = |part: &str, notes: &[String]| {
        doubts.extend(notes.iter().map(|note| format!("{part}: {note}")));
    };
    doubt("test", &draft.test_name.notes);
    doubt("value", &draft.value.notes);
    if let Some(unit) = &draft.unit {
        doubt("unit", &unit.notes);
    }
    if let Some(reference) = &draft.reference {
        doubt("range", &reference.notes);
    }
    if let Some(flag) = &draft.flag {
        doubt("flag", &flag.notes);
    }
    let bounds = draft.reference.as_ref().map(|r| &r.value);
    Some(DraftRowView {
        n: row.n,
        page: draft.page,
        code: field("code", draft.code.clone().unwrap_or_default()),
        test_name: field("test_name", draft.test_name.value.clone()),
        value: field("value", draft.value_text()),
        unit: field(
            "unit",
            draft
                .unit
                .as_ref()
                .map(|u| u.value.clone())
                .unwrap_or_default(),
        ),
        low: field("low", shown(bounds.and_then(|b| b.low))),
        high: field("high", shown(bounds.and_then(|b| b.high))),
        flag: field(
            "flag",
            draft
                .flag
                .as_ref()
                .map(|f| f.value.clone())
                .unwrap_or_default(),
        ),
        line: draft.line,
        doubts,
        needs_review: draft.needs_review,
        decided: row.decision.map(|d| match d {
            medvault_domain::labs::RowDecision::Confirm => "confirmed".to_owned(),
            medvault_domain::labs::RowDecision::Reject => "rejected".to_owned(),
        }),
    })
}

#[derive(Deserialize)]
pub struct PageQuery {
    notice: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebQuery(query): WebQuery<PageQuery>,
) -> Response {
    let shown = async {
        let view = super::details(&state, caller.actor, &meta, path_id(&id)?).await?;
        let chrome =
            Chrome::signed_in(&caller, csrf.token()).notice(notice(query.notice.as_deref()));
        Ok::<_, AppError>(report_page(chrome, csrf.token(), view, &HashMap::new()))
    };
    shown.await.unwrap_or_else(AppError::into_response_html)
}

fn report_page(
    chrome: Chrome,
    csrf: &str,
    view: ReportView,
    typed: &HashMap<String, String>,
) -> Response {
    let report = &view.report;
    let in_review = report.status == LabReportStatus::Review;
    let can_review = in_review && view.can_review;
    render(&ReportPage {
        chrome,
        csrf: csrf.to_owned(),
        id: report.id.to_string(),
        patient_id: report.patient_id.to_string(),
        status: status_in_words(report.status),
        error: report.error_message.clone(),
        pages: (1..=u32::try_from(report.pages.unwrap_or(0)).unwrap_or(0)).collect(),
        kind: report
            .document_kind
            .clone()
            .unwrap_or_default()
            .replace('-', " "),
        rows: view.rows.as_ref().map(|rows| {
            rows.iter()
                .filter_map(|row| draft_row(row, typed))
                .collect()
        }),
        can_review,
        collected_at: typed.get("collected_at").cloned().unwrap_or_default(),
        refresh: matches!(
            report.status,
            LabReportStatus::Queued | LabReportStatus::Reading
        ),
    })
}

/// A page of the report as an image, beside its rows.
pub async fn page_image(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path((id, page)): Path<(String, String)>,
) -> Response {
    let drawn = async {
        let page: u32 = page.parse().map_err(|_| AppError::NotFound)?;
        super::page_image(&state, caller.actor, &meta, path_id(&id)?, page).await
    };
    match drawn.await {
        Ok((bytes, content_type)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, no-store"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => error.into_response_html(),
    }
}

/// The review form: `collected_at`, and for each row `decision_N` (`confirm`, `reject`, or
/// blank for later) with its fields as corrected (`value_N`, `unit_N`, ...).
pub async fn review(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebForm(form): WebForm<HashMap<String, String>>,
) -> Response {
    let reviewed = async {
        let report = path_id(&id)?;
        let reviews = reviews_of(&form);
        if reviews.is_empty() {
            return Err(AppError::InvalidField {
                field: "rows".to_owned(),
                message: "choose confirm or reject for at least one row".to_owned(),
            });
        }
        let collected_at = form.get("collected_at").cloned().unwrap_or_default();
        super::review(&state, caller.actor, &meta, report, collected_at, reviews).await
    };
    match reviewed.await {
        Ok(view) if view.report.status == LabReportStatus::Done => {
            back_to_section(Ok(view.report.patient_id), "report_reviewed", "reports")
        }
        Ok(_) => Redirect::to(&format!("/lab-reports/{id}?notice=rows_reviewed")).into_response(),
        Err(error @ (AppError::Invalid(_) | AppError::InvalidField { .. })) => {
            let shown = async {
                let view = super::details(&state, caller.actor, &meta, path_id(&id)?).await?;
                let chrome =
                    Chrome::signed_in(&caller, csrf.token()).error(Some(error.public_message()));
                let mut response = report_page(chrome, csrf.token(), view, &form);
                *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
                Ok::<_, AppError>(response)
            };
            shown.await.unwrap_or_else(AppError::into_response_html)
        }
        Err(error) => error.into_response_html(),
    }
}

/// The rows the form decides, with their fields as typed.
fn reviews_of(form: &HashMap<String, String>) -> Vec<RowReview> {
    let mut reviews: Vec<RowReview> = form
        .iter()
        .filter_map(|(key, decision)| {
            let n: i32 = key.strip_prefix("decision_")?.parse().ok()?;
            let decision = decision.trim();
            if decision.is_empty() {
                return None;
            }
            let typed = |name: &str| {
                form.get(&format!("{name}_{n}"))
                    .map(|v| v.trim().to_owned())
            };
            Some(RowReview {
                n,
                decision: decision.to_owned(),
                code: typed("code").filter(|v| !v.is_empty()),
                test_name: typed("test_name"),
                value: typed("value"),
                unit: typed("unit"),
                reference_low: typed("low"),
                reference_high: typed("high"),
                interpretation: typed("flag"),
            })
        })
        .collect();
    reviews.sort_by_key(|review| review.n);
    reviews
}

/// Acknowledges an alert from its button on the chart.
pub async fn acknowledge(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
) -> Response {
    let done = async {
        let alert = crate::alerts::acknowledge(&state, caller.actor, &meta, path_id(&id)?).await?;
        Ok(alert.patient_id)
    };
    back_to_section(done.await, "alert_acknowledged", "reports")
}
