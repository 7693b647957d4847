//! The landing pages of doctors, patients, trainees and interns.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::PatientId;
use medvault_domain::policy::{self, Page};
use medvault_store::Record;
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::dashboards::home_of;
use crate::error::AppError;
use crate::web::NoticeQuery;
use crate::web::refused::{Context, FormPage, landing};
use crate::web::views::{
    Chrome, DoctorDashboard, MemberRow, PatientDashboard, PatientRow, ProfileFacts, RecordRow,
    ReportRow, StaffDashboard, span_in_words, to_the_minute,
};
use crate::web::{WebQuery, render};

pub(crate) fn record_rows(
    records: &[Record],
    names: Option<&HashMap<PatientId, String>>,
) -> Vec<RecordRow> {
    records
        .iter()
        .map(|record| {
            RecordRow::new(
                record,
                names
                    .and_then(|names| names.get(&record.patient_id))
                    .map(String::as_str),
            )
        })
        .collect()
}

pub async fn doctor(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<NoticeQuery>,
) -> Response {
    let context = Context::new(&state, &meta, &caller, &csrf);
    landing(context, FormPage::DoctorDashboard, query.notice.as_deref()).await
}

pub async fn doctor_page(context: Context<'_>, chrome: Chrome) -> Result<Response, AppError> {
    let Context {
        state,
        meta,
        caller,
        csrf,
    } = context;
    let home = super::doctor(state, caller.actor, meta).await?;
    let names: HashMap<PatientId, String> = home
        .charts
        .iter()
        .map(|chart| (chart.id, chart.name.clone()))
        .collect();
    Ok(render(&DoctorDashboard {
        chrome,
        csrf: csrf.token().to_owned(),
        me_name: caller.name.clone(),
        me_email: caller.email.clone(),
        patients: home.charts.iter().map(PatientRow::from).collect(),
        alerts: home
            .alerts
            .iter()
            .map(|alert| {
                let chart = alert.patient_id.to_string();
                let name = home.names.get(&chart).cloned().unwrap_or_default();
                (
                    chart,
                    name,
                    alert.title.clone(),
                    to_the_minute(alert.raised_at),
                )
            })
            .collect(),
        records: record_rows(&home.authored, Some(&names)),
        grants: crate::access::web::grant_rows(home.grants, &home.names, state.now()),
        emergency_lasts: span_in_words(state.config.emergency_access),
    }))
}

pub async fn patient(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<NoticeQuery>,
) -> Response {
    let context = Context::new(&state, &meta, &caller, &csrf);
    landing(context, FormPage::PatientDashboard, query.notice.as_deref()).await
}

/// The patient's own page: their chart as the chart page reads it, and who else looked at it.
pub async fn patient_page(context: Context<'_>, chrome: Chrome) -> Result<Response, AppError> {
    let Context {
        state,
        meta,
        caller,
        csrf,
    } = context;
    let home = super::patient(state, caller.actor, meta).await?;
    let dependents = home.dependents.iter().map(PatientRow::from).collect();
    let profile = home
        .own
        .as_ref()
        .map(|home| ProfileFacts::from(&home.chart.granted.chart));
    let (chart, records, accesses, care_team, visits) = match home.own {
        Some(home) => (
            Some(PatientRow::from(&home.chart.granted.chart)),
            home.chart
                .records
                .as_deref()
                .map(|r| record_rows(r, None))
                .unwrap_or_default(),
            home.accesses.iter().map(ReportRow::from).collect(),
            home.chart
                .care_team
                .into_iter()
                .map(MemberRow::from)
                .collect(),
            home.visits,
        ),
        None => (None, Vec::new(), Vec::new(), Vec::new(), Vec::new()),
    };
    Ok(render(&PatientDashboard {
        chrome,
        csrf: csrf.token().to_owned(),
        me_name: caller.name.clone(),
        me_email: caller.email.clone(),
        chart,
        profile,
        records,
        accesses,
        care_team,
        dependents,
        visits,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffQuery {
    /// A name, or a record number, to find a chart by.
    patient: Option<String>,
}

/// A trainee's, intern's or front desk's list of the charts they may read, with a search.
pub async fn staff(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<StaffQuery>,
) -> Response {
    if !policy::may_open(&caller.actor, Page::StaffDashboard) {
        return Redirect::to(home_of(caller.actor.role)).into_response();
    }
    let page = async {
        let search = crate::api::search_text(query.patient.as_deref(), "patient")?;
        let home = super::staff(&state, caller.actor, &meta, search.clone()).await?;
        Ok::<_, AppError>(render(&StaffDashboard {
            chrome: Chrome::signed_in(&caller, csrf.token()),
            me_name: caller.name.clone(),
            role: caller.actor.role.as_str(),
            patients: home.charts.iter().map(PatientRow::from).collect(),
            shift_ends: home.shift_ends.map(to_the_minute),
            search: search.unwrap_or_default(),
            more: home.charts.len() == super::ITEMS,
        }))
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}
