//! Authentication as extractors. `ApiCaller` reads a bearer token and answers 401 in the error
//! shape; `WebCaller` reads the session cookie and sends the browser to the sign-in page.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::cookies::{self, Cookie};
use super::service;
pub use super::service::Caller;
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

/// Marks a request a page made on its own (polling), which must not keep a session alive.
pub const BACKGROUND_HEADER: &str = "x-medvault-background";

/// A caller signed in through the web UI's session cookie.
pub struct WebCaller(pub Caller);

/// Sends the browser to sign in; anything else that failed is an error page.
pub enum WebAuthRejection {
    /// No session cookie at all.
    SignIn,
    /// A cookie whose session has ended (timed out, signed out elsewhere, ended by an admin):
    /// the cookie is dropped and the sign-in page says why.
    SessionEnded {
        secure: bool,
    },
    Failed(AppError),
}

impl IntoResponse for WebAuthRejection {
    fn into_response(self) -> Response {
        match self {
            WebAuthRejection::SignIn => Redirect::to("/login").into_response(),
            WebAuthRejection::SessionEnded { secure } => {
                let clear = cookies::set(Cookie::Session, "", 0, secure);
                let mut response = Redirect::to("/login?notice=session_ended").into_response();
                response.headers_mut().insert(header::SET_COOKIE, clear);
                response
            }
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
        let secret = cookies::read(&parts.headers, Cookie::Session, state.config.secure_cookies)
            .ok_or(WebAuthRejection::SignIn)?;
        let background = parts
            .headers
            .get(BACKGROUND_HEADER)
            .is_some_and(|value| value == "1");
        service::resolve_cookie(state, secret, background)
            .await
            .map_err(WebAuthRejection::Failed)?
            .map(WebCaller)
            .ok_or(WebAuthRejection::SessionEnded {
                secure: state.config.secure_cookies,
            })
    }
}

impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(RequestMeta {
            correlation_id: parts
                .extensions
                .get::<CorrelationId>()
                .map_or_else(String::new, |id| id.0.clone()),
            client_addr: peer.map(|peer| {
                client_address(peer, forwarded, &state.config.trusted_proxies).to_string()
            }),
            idempotency: parts.extensions.get().cloned(),
        })
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy. Addresses further left were
/// written by the client and prove nothing.
fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(address) if trusted.contains(&address) => client = address,
            Ok(address) => return address,
            Err(_) => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let proxy = [ip("10.0.0.1")];
        let header = ["203.0.113.9, 198.51.100.7"];
        assert_eq!(
            client_address(ip("192.0.2.1"), header.into_iter(), &proxy),
            ip("192.0.2.1"),
            "untrusted peer"
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), header.into_iter(), &proxy),
            ip("198.51.100.7"),
            "nearest hop"
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), std::iter::empty(), &proxy),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), ["junk"].into_iter(), &proxy),
            ip("10.0.0.1")
        );
    }
}
