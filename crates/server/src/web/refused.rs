//! What follows a submitted form: onward with a notice when it worked; back to the page the form
//! lives on, with what was typed and the refusal beside the form, when the input was at fault;
//! an error page (with the navigation) otherwise.

use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::PatientId;
use medvault_domain::policy::{self, Page};

use super::kept::Kept;
use super::views::{Chrome, RecordForm, UserSearch, notice};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::Caller;
use crate::auth::csrf::Csrf;
use crate::dashboards::home_of;
use crate::dashboards::{self, admin};
use crate::error::AppError;
use crate::patients;

/// The page a form lives on, to show it again there.
#[derive(Clone, Copy, Debug)]
pub enum FormPage {
    DoctorDashboard,
    PatientDashboard,
    Chart(PatientId),
    Admin,
}

impl FormPage {
    /// Whether the caller may see this page, and so the form shown again on it.
    fn is_open_to(self, caller: &Caller) -> bool {
        let page = match self {
            FormPage::DoctorDashboard => Page::DoctorDashboard,
            FormPage::PatientDashboard => Page::PatientDashboard,
            FormPage::Admin => Page::Admin,
            // The chart page asks the policy itself.
            FormPage::Chart(_) => return true,
        };
        policy::may_open(&caller.actor, page)
    }
}

/// A request's context, as the page it goes back to needs it.
pub struct Context<'a> {
    pub state: &'a AppState,
    pub meta: &'a RequestMeta,
    pub caller: &'a Caller,
    pub csrf: &'a Csrf,
}

impl<'a> Context<'a> {
    pub fn new(
        state: &'a AppState,
        meta: &'a RequestMeta,
        caller: &'a Caller,
        csrf: &'a Csrf,
    ) -> Self {
        Context {
            state,
            meta,
            caller,
            csrf,
        }
    }
}

/// Whether the refusal is about what was typed, and so belongs beside the form.
fn about_the_input(error: &AppError) -> bool {
    matches!(
        error,
        AppError::Invalid(_)
            | AppError::InvalidField { .. }
            | AppError::Conflict { .. }
            | AppError::AllergyWarning(_)
            | AppError::UnsupportedFile { .. }
            | AppError::PayloadTooLarge
            | AppError::InvalidCredentials
            | AppError::TooManyAttempts { .. }
    )
}

/// `onward` with a notice to show, before its fragment if it has one.
fn with_notice(onward: &str, notice: &str) -> String {
    match onward.split_once('#') {
        Some((path, section)) => format!("{path}?notice={notice}#{section}"),
        None => format!("{onward}?notice={notice}"),
    }
}

pub async fn after_form(
    context: Context<'_>,
    kept: Kept,
    page: FormPage,
    outcome: Result<(), AppError>,
    onward: &str,
    notice: &str,
) -> Response {
    let error = match outcome {
        Ok(()) => return Redirect::to(&with_notice(onward, notice)).into_response(),
        Err(error) if about_the_input(&error) && page.is_open_to(context.caller) => error,
        Err(error) => return error.into_response_html(),
    };
    let status = error.status();
    let chrome = Chrome::signed_in(context.caller, context.csrf.token()).kept(kept.refused(&error));
    match show(context, page, chrome).await {
        Ok(page) => (status, page).into_response(),
        Err(error) => error.into_response_html(),
    }
}

/// A page of a role's own (a dashboard), or that role's home for anyone else.
pub async fn landing(context: Context<'_>, page: FormPage, notice_code: Option<&str>) -> Response {
    if !page.is_open_to(context.caller) {
        return Redirect::to(home_of(context.caller.actor.role)).into_response();
    }
    let chrome =
        Chrome::signed_in(context.caller, context.csrf.token()).notice(notice(notice_code));
    show(context, page, chrome)
        .await
        .unwrap_or_else(AppError::into_response_html)
}

/// Renders the page a form lives on, around `chrome`.
async fn show(context: Context<'_>, page: FormPage, chrome: Chrome) -> Result<Response, AppError> {
    match page {
        FormPage::DoctorDashboard => dashboards::web::doctor_page(context, chrome).await,
        FormPage::PatientDashboard => dashboards::web::patient_page(context, chrome).await,
        FormPage::Chart(id) => {
            patients::web::chart_page(context, id, chrome, RecordForm::default(), None).await
        }
        FormPage::Admin => admin::admin_page(context, UserSearch::default(), chrome).await,
    }
}

/// After a form on the admin page: back to it.
pub async fn after_admin_form(
    context: Context<'_>,
    kept: Kept,
    outcome: Result<(), AppError>,
    notice: &str,
) -> Response {
    after_form(context, kept, FormPage::Admin, outcome, "/admin", notice).await
}

/// The chart page a form on it goes back to (a bad id goes nowhere: the chart's own page says so).
pub fn chart_page_of(id: &str) -> FormPage {
    path_id(id).map_or(FormPage::DoctorDashboard, FormPage::Chart)
}

/// After a form on a chart's page: back to that chart, at its `section`.
pub async fn after_chart_form(
    context: Context<'_>,
    kept: Kept,
    id: &str,
    outcome: Result<(), AppError>,
    notice: &str,
    section: &str,
) -> Response {
    let onward = format!("/patients/{id}#{section}");
    after_form(context, kept, chart_page_of(id), outcome, &onward, notice).await
}

/// After a button on a chart's page that changed something of `patient`'s: back to the chart's
/// `section` with a notice, or to an error page.
pub fn back_to_section(
    outcome: Result<medvault_domain::PatientId, AppError>,
    notice: &str,
    section: &str,
) -> Response {
    match outcome {
        Ok(patient) => {
            Redirect::to(&format!("/patients/{patient}?notice={notice}#{section}")).into_response()
        }
        Err(error) => error.into_response_html(),
    }
}

/// Redirects after a button: to `to` with a notice on success, to an error page otherwise.
pub fn after(outcome: Result<(), AppError>, to: &str, notice: &str) -> Response {
    after_to(outcome.map(|()| to.to_owned()), notice)
}

/// Redirects after a button whose success decides where to go: there with a notice, or to an
/// error page.
pub fn after_to(outcome: Result<String, AppError>, notice: &str) -> Response {
    match outcome {
        Ok(to) => {
            let joint = if to.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{to}{joint}notice={notice}")).into_response()
        }
        Err(error) => error.into_response_html(),
    }
}
