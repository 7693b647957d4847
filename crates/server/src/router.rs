//! The one place that lists every route and the layers around them.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::app::AppState;
use crate::auth::csrf::{self, SecureCookies};
use crate::error::AppError;
use crate::http::{correlation, observe, security};
use crate::{api, docs, ops, web};

/// Request bodies larger than this are refused with 413 before they are read whole.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn build(state: AppState, metrics: ops::Metrics) -> Router {
    let (api_routes, openapi) = api::router();
    let openapi_json = Arc::new(openapi.to_pretty_json().unwrap_or_default());
    let secure = SecureCookies(state.config.secure_cookies);
    let web_routes = web::routes()
        .layer(middleware::from_fn(csrf::ensure_cookie))
        .layer(axum::Extension(secure));
    Router::new()
        .merge(api_routes)
        .merge(web_routes)
        .merge(docs::routes(openapi_json))
        .merge(ops::routes(metrics))
        .merge(web::static_routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
        // Outermost last: the correlation id must exist before anything logs.
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(middleware::from_fn(security::middleware))
        .layer(middleware::from_fn(observe::middleware))
        .layer(middleware::from_fn(correlation::middleware))
}

fn wants_json(uri: &Uri) -> bool {
    let path = uri.path();
    path.starts_with("/api/") || path.starts_with("/fhir/")
}

async fn not_found(uri: Uri) -> Response {
    if wants_json(&uri) {
        AppError::NotFound.into_response()
    } else {
        AppError::NotFound.into_response_html()
    }
}

async fn method_not_allowed(uri: Uri) -> Response {
    let error = AppError::BadRequest {
        code: "method_not_allowed",
        message: "this method is not allowed here".into(),
    };
    let mut response = if wants_json(&uri) {
        error.into_response()
    } else {
        error.into_response_html()
    };
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}
