//! The server-rendered web UI: pages, forms, static assets and the HTML error presenter.

mod admin;
mod dashboards;
mod manage;
mod session;
mod views;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::app::AppState;
use crate::error::AppError;
use crate::http::correlation;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(session::landing))
        .route("/login", get(session::login_page).post(session::login))
        .route(
            "/register",
            get(session::register_page).post(session::register),
        )
        .route("/logout", post(session::logout))
        .route("/doctor/dashboard", get(dashboards::doctor))
        .route("/patient/dashboard", get(dashboards::patient))
        .route("/patients/{id}", get(dashboards::chart))
        .route(
            "/records/create",
            get(dashboards::record_page).post(dashboards::create_record),
        )
        .route("/admin", get(admin::page))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/users/{id}/approve", post(admin::approve))
        .route("/admin/care-team", post(admin::assign))
        .route("/admin/users/{id}/deactivate", post(manage::deactivate))
        .route("/admin/users/{id}/reactivate", post(manage::reactivate))
        .route("/admin/password-reset", post(manage::reset_password))
        .route("/admin/trainee-links", post(manage::admin_link_trainee))
        .route("/admin/intern-grants", post(manage::admin_grant_intern))
        .route("/staff/dashboard", get(manage::staff_dashboard))
        .route("/patients/{id}/trainees", post(manage::link_trainee))
        .route("/patients/{id}/intern-grants", post(manage::grant_intern))
        .route("/intern-grants/{id}/end", post(manage::end_grant))
        .route("/emergency", post(manage::break_glass))
        .route("/audit", get(manage::audit_page))
        .route(
            "/account/password",
            get(manage::account_page).post(manage::change_password),
        )
}

/// Assets compiled into the binary, so that a server is one file.
pub fn static_routes() -> Router<AppState> {
    fn asset(
        content_type: &'static str,
        body: &'static [u8],
    ) -> axum::routing::MethodRouter<AppState> {
        get(move || async move { ([(header::CONTENT_TYPE, content_type)], body) })
    }
    Router::new()
        .route(
            "/static/style.css",
            asset("text/css", include_bytes!("../../static/style.css")),
        )
        .route(
            "/static/swagger-ui/swagger-ui.css",
            asset(
                "text/css",
                include_bytes!("../../static/swagger-ui/swagger-ui.css"),
            ),
        )
        .route(
            "/static/swagger-ui/swagger-ui-bundle.js",
            asset(
                "text/javascript",
                include_bytes!("../../static/swagger-ui/swagger-ui-bundle.js"),
            ),
        )
        .route(
            "/static/swagger-ui/init.js",
            asset(
                "text/javascript",
                include_bytes!("../../static/swagger-ui/init.js"),
            ),
        )
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
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(WebForm(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::PayloadTooLarge.into_response_html())
            }
            Err(rejection) => {
                Err(AppError::InvalidBody(rejection.body_text()).into_response_html())
            }
        }
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
