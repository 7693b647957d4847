//! Authentication as extractors. `ApiCaller` reads a bearer token and answers 401 in the error
//! shape; `WebCaller` reads the session cookie and sends the browser to the sign-in page.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

pub use super::service::Caller;
use super::{cookies, service};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::error::AppError;
use crate::http::correlation::CorrelationId;

/// A caller signed in with an API bearer token.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        service::resolve_token(state, token)
            .await?
            .map(ApiCaller)
            .ok_or(AppError::Unauthenticated)
    }
}

/// A caller signed in through the web UI's session cookie.
pub struct WebCaller(pub Caller);

/// Sends the browser to sign in; anything else that failed is an error page.
pub enum WebAuthRejection {
    SignIn,
    Failed(AppError),
}

impl IntoResponse for WebAuthRejection {
    fn into_response(self) -> Response {
        match self {
            WebAuthRejection::SignIn => Redirect::to("/login").into_response(),
            WebAuthRejection::Failed(error) => error.into_response_html(),
        }
    }
}

impl FromRequestParts<AppState> for WebCaller {
    type Rejection = WebAuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, WebAuthRejection> {
        let secret =
            cookies::read(&parts.headers, cookies::SESSION).ok_or(WebAuthRejection::SignIn)?;
        service::resolve_cookie(state, secret)
            .await
            .map_err(WebAuthRejection::Failed)?
            .map(WebCaller)
            .ok_or(WebAuthRejection::SignIn)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestMeta {
            correlation_id: parts
                .extensions
                .get::<CorrelationId>()
                .map_or_else(String::new, |id| id.0.clone()),
            client_addr: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string()),
        })
    }
}
