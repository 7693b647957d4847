//! The one place that lists every route and the layers around them.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;

use crate::app::AppState;
use crate::auth::csrf;
use crate::error::AppError;
use crate::http::deadline::{self, Deadlines};
use crate::http::{correlation, edge, idempotency, observe, security};
use crate::{api, docs, ops, web};

/// Request bodies larger than this are refused with 413 before they are read whole.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Every route MedVault serves, as (method, path template): the API's from its OpenAPI
/// document, the rest as they were registered.
pub fn inventory() -> anyhow::Result<Vec<(Method, String)>> {
    let (_, openapi) = api::router();
    let mut routes: Vec<(Method, String)> = openapi
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = [
                (Method::GET, item.get.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::PATCH, item.patch.is_some()),
                (Method::DELETE, item.delete.is_some()),
            ];
            methods
                .into_iter()
                .filter(|(_, present)| *present)
                .map(move |(method, _)| (method, path.clone()))
        })
        .collect();
    let listed = [
        web::routes(),
        web::static_routes(),
        docs::routes(Arc::default()),
        ops::routes(ops::Metrics::install()?),
    ];
    for part in listed {
        routes.extend(
            part.routes()
                .iter()
                .map(|(method, path)| (method.clone(), (*path).to_owned())),
        );
    }
    Ok(routes)
}

pub fn build(state: AppState, metrics: ops::Metrics) -> Router {
    let (api_routes, openapi) = api::router();
    let api_routes = api_routes.layer(middleware::from_fn_with_state(
        state.clone(),
        idempotency::middleware,
    ));
    let document = api::spec::document(&openapi);
    let openapi_json = Arc::new(serde_json::to_string_pretty(&document).unwrap_or_default());
    let secure = state.config.secure_cookies;
    let upload_limit = edge::UploadLimit(
        crate::files::upload::most_declared(state.config.max_upload_bytes)
            .max(crate::imports::api::MOST_BYTES as u64),
    );
    // Every web route gets the browser's CSRF cookie; every state-changing one passes the guard.
    let web_routes = web::routes()
        .into_router()
        .layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            csrf::ensure_cookie,
        ));
    Router::new()
        .merge(api_routes)
        .merge(web_routes)
        .merge(docs::routes(openapi_json).into_router())
        .merge(ops::routes(metrics).into_router())
        .merge(web::static_routes().into_router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
        // Outermost last: the correlation id must exist before anything logs.
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(middleware::from_fn_with_state(
            Deadlines::default(),
            deadline::middleware,
        ))
        .layer(middleware::from_fn_with_state(
            upload_limit,
            edge::middleware,
        ))
        .layer(middleware::from_fn_with_state(secure, security::middleware))
        .layer(middleware::from_fn(observe::middleware))
        .layer(middleware::from_fn(correlation::middleware))
}

/// Whether an answer to this address is JSON (the API) or a page (the rest).
pub fn wants_json(uri: &Uri) -> bool {
    let path = uri.path();
    path.starts_with("/api/") || path.starts_with("/fhir/")
}

/// An error as JSON (`json`, for an address [`wants_json`] says so of) or as a page.
pub fn present(error: AppError, json: bool) -> Response {
    if json {
        error.into_response()
    } else {
        error.into_response_html()
    }
}

async fn not_found(uri: Uri) -> Response {
    present(AppError::NotFound, wants_json(&uri))
}

async fn method_not_allowed(uri: Uri) -> Response {
    let error = AppError::BadRequest {
        code: "method_not_allowed",
        message: "this method is not allowed here".into(),
    };
    let mut response = present(error, wants_json(&uri));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}
