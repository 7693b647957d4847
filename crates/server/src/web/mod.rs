//! The server-rendered web UI: pages, forms, static assets and the HTML error presenter.

pub(crate) mod dates;
pub mod kept;
pub(crate) mod refused;
pub(crate) mod views;

use askama::Template;
use axum::handler::Handler;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::error::AppError;
use crate::http::json::read_body;
use crate::http::{correlation, input};
use crate::routes::Listed;
use crate::{
    access, appointments, audit_log, auth, clinical, dashboards, files, insights, institutions,
    lab_reports, labs, patients, prescriptions, records, users,
};

pub fn routes() -> Listed {
    Listed::new()
        .get("/", auth::web::landing)
        .get("/login", auth::web::login_page)
        .post("/login", auth::web::login)
        .get("/register", auth::web::register_page)
        .post("/register", auth::web::register)
        .post("/logout", auth::web::logout)
        .get("/doctor/dashboard", dashboards::web::doctor)
        .get("/patient/dashboard", dashboards::web::patient)
        .get("/patients/new", patients::profile_web::new_chart)
        .post("/patients", patients::profile_web::create_chart)
        .get("/patients/{id}", patients::web::chart)
        .get("/patients/{id}/profile", patients::profile_web::edit_page)
        .get("/patients/{id}/export", patients::export::web_export)
        .get("/patients/{id}/copy", patients::printable::page)
        .get("/patients/{id}/summary", insights::web::page)
        .post("/patients/{id}/profile", patients::profile_web::save)
        .get("/admin", dashboards::admin::page)
        .post("/admin/users", dashboards::admin::create_user)
        .post("/admin/users/{id}/approve", dashboards::admin::approve)
        .post("/admin/care-team", dashboards::admin::assign)
        .post("/admin/users/{id}/deactivate", users::web::deactivate)
        .post("/admin/users/{id}/reactivate", users::web::reactivate)
        .post("/admin/password-reset", users::web::reset_password)
        .post("/admin/trainee-links", access::web::admin_link_trainee)
        .post("/admin/intern-grants", access::web::admin_grant_intern)
        .get("/staff/dashboard", dashboards::web::staff)
        .post("/patients/{id}/records", patients::web::create_record)
        .post("/patients/{id}/allergies", clinical::web::record_allergy)
        .post("/allergies/{id}/status", clinical::web::allergy_status)
        .post("/patients/{id}/problems", clinical::web::record_problem)
        .post("/problems/{id}/status", clinical::web::problem_status)
        .post(
            "/patients/{id}/prescriptions",
            prescriptions::web::prescribe,
        )
        .post(
            "/prescriptions/{id}/status",
            prescriptions::web::change_status,
        )
        .post("/patients/{id}/lab-results", labs::web::record)
        .post_streamed("/patients/{id}/files", files::web::upload)
        .post_streamed("/patients/{id}/lab-reports", lab_reports::web::send)
        .get("/lab-reports/{id}", lab_reports::web::page)
        .get(
            "/lab-reports/{id}/pages/{page}",
            lab_reports::web::page_image,
        )
        .post("/lab-reports/{id}/review", lab_reports::web::review)
        .post("/alerts/{id}/acknowledge", lab_reports::web::acknowledge)
        .get("/files/{id}/download", files::web::download)
        .post("/files/{id}/delete", files::web::delete)
        .post("/files/{id}/restore", files::web::restore)
        .post(
            "/lab-results/{id}/entered-in-error",
            labs::web::entered_in_error,
        )
        .get("/records/{id}", records::web::page)
        .post("/records/{id}", records::web::amend)
        .post(
            "/records/{id}/entered-in-error",
            records::web::entered_in_error,
        )
        .post("/patients/{id}/trainees", access::web::link_trainee)
        .post("/patients/{id}/guardians", access::web::add_guardian)
        .post(
            "/patients/{id}/guardians/{guardian_id}/remove",
            patients::web::end_guardianship,
        )
        .post(
            "/patients/{id}/trainees/{trainee_id}/remove",
            patients::web::unlink_trainee,
        )
        .post(
            "/patients/{id}/care-team",
            patients::web::add_care_team_member,
        )
        .post(
            "/patients/{id}/care-team/{doctor_id}/remove",
            patients::web::remove_care_team_member,
        )
        .post("/patients/{id}/intern-grants", access::web::grant_intern)
        .post("/intern-grants/{id}/end", access::web::end_grant)
        .post("/emergency", access::web::break_glass)
        .get("/audit", audit_log::web::viewer)
        .get("/audit.csv", audit_log::web::export)
        .get("/institutions", institutions::web::list)
        .post("/institutions", institutions::web::open)
        .get("/institutions/{id}", institutions::web::page)
        .post("/institutions/{id}/staff", institutions::web::add_staff)
        .post(
            "/institutions/{id}/staff/{user_id}/remove",
            institutions::web::remove_staff,
        )
        .get(
            "/institutions/{id}/doctors/{doctor_id}/hours",
            appointments::hours_web::page,
        )
        .post(
            "/institutions/{id}/doctors/{doctor_id}/hours",
            appointments::hours_web::save,
        )
        .post_streamed(
            "/institutions/{id}/imports/{kind}",
            institutions::web::import,
        )
        .get(
            "/imports/{ticket}/progress",
            institutions::web::import_progress,
        )
        .get("/appointments", appointments::web::page)
        .get("/appointments/book", appointments::web::book_page)
        .post("/appointments", appointments::web::book)
        .post("/appointments/{id}/cancel", appointments::web::cancel)
        .post(
            "/appointments/{id}/reschedule",
            appointments::web::reschedule,
        )
        .get("/account/password", auth::web::account_page)
        .post("/account/password", auth::web::change_password)
}

/// Assets compiled into the binary, so that a server is one file.
pub fn static_routes() -> Listed {
    fn asset(content_type: &'static str, body: &'static [u8]) -> impl Handler<((),), AppState> {
        move || async move { ([(header::CONTENT_TYPE, content_type)], body) }
    }
    Listed::new()
        .get(
            "/static/style.css",
            asset("text/css", include_bytes!("../../static/style.css")),
        )
        .get(
            "/static/local-time.js",
            asset(
                "text/javascript",
                include_bytes!("../../static/local-time.js"),
            ),
        )
        .get(
            "/static/confirm.js",
            asset("text/javascript", include_bytes!("../../static/confirm.js")),
        )
        .get(
            "/static/import-progress.js",
            asset(
                "text/javascript",
                include_bytes!("../../static/import-progress.js"),
            ),
        )
        .get(
            "/static/swagger-ui/swagger-ui.css",
            asset(
                "text/css",
                include_bytes!("../../static/swagger-ui/swagger-ui.css"),
            ),
        )
        .get(
            "/static/swagger-ui/swagger-ui-bundle.js",
            asset(
                "text/javascript",
                include_bytes!("../../static/swagger-ui/swagger-ui-bundle.js"),
            ),
        )
        .get(
            "/static/swagger-ui/init.js",
            asset(
                "text/javascript",
                include_bytes!("../../static/swagger-ui/init.js"),
            ),
        )
}

/// The notice a page shows after a redirect, e.g. `?notice=signed_out`.
#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// A form body whose rejection is an error page, not plain text.
pub struct WebForm<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for WebForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let body = read_body(request, state)
            .await
            .map_err(AppError::into_response_html)?;
        input::from_urlencoded(&body)
            .map(WebForm)
            .map_err(AppError::into_response_html)
    }
}

/// A query string whose rejection is an error page. Checked like every input (`http::input`).
pub struct WebQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for WebQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Response> {
        let query = parts.uri.query().unwrap_or_default();
        input::from_urlencoded(query.as_bytes())
            .map(WebQuery)
            .map_err(AppError::into_response_html)
    }
}

/// Renders a page, or an error page if the template fails.
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            AppError::Internal(anyhow::anyhow!("template failed: {error}")).into_response_html()
        }
    }
}

impl AppError {
    /// The HTML presenter: an error page carrying the correlation id, or the sign-in page when
    /// the browser is not signed in.
    pub fn into_response_html(self) -> Response {
        if matches!(self, AppError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        let status = self.status();
        // Log (and hide) internal detail exactly as the JSON presenter does.
        self.log();
        let body = self.body();
        let page = views::ErrorPage {
            chrome: views::Chrome::default(),
            status: status.as_u16(),
            heading: heading(status),
            message: body.error.message,
            correlation_id: correlation::current(),
        };
        let html = page
            .render()
            .unwrap_or_else(|_| "An error occurred.".to_owned());
        let mut response = (status, Html(html)).into_response();
        response.headers_mut().extend(self.headers());
        response
    }
}

fn heading(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            "Please check what you entered"
        }
        StatusCode::PAYLOAD_TOO_LARGE => "Too much data",
        StatusCode::SERVICE_UNAVAILABLE => "Busy right now",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        _ => "Something went wrong",
    }
}
