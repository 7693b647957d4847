//! CSRF protection for the web forms, as a layer every state-changing web route passes through:
//! no handler can forget it.
//!
//! - A request that says where it comes from (`Origin`, or failing that `Referer`) must come
//!   from this site.
//! - Its form must carry the token of this browser: an HMAC, under a key derived for this alone,
//!   of the session cookie once signed in, or of the browser's random CSRF cookie before. A
//!   cross-site page can neither read the cookies nor compute the HMAC; a token taken from one
//!   session is worthless in another, so a cookie planted from a sibling site cannot sign the
//!   victim out or act for them. The CSRF cookie is replaced at sign-in and sign-out.
//!
//! A refusal is 403 `csrf_failed`, before the handler runs: nothing changes.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::cookies::{self, Cookie};
use super::keys::{hmac_sha256, random_token, verify_hmac};
use crate::app::AppState;
use crate::error::AppError;
use crate::router::MAX_BODY_BYTES;
use crate::web::kept::SubmittedForm;

#[derive(Clone)]
struct CsrfCookie(String);

/// Gives every browser a CSRF cookie on its first page.
pub async fn ensure_cookie(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let secure = state.config.secure_cookies;
    let existing = cookies::read(request.headers(), Cookie::Csrf, secure).map(str::to_owned);
    let (value, fresh) = match existing {
        Some(value) => (value, false),
        None => match random_token(32) {
            Ok(value) => (value, true),
            Err(error) => return AppError::Internal(error).into_response_html(),
        },
    };
    request.extensions_mut().insert(CsrfCookie(value.clone()));
    let mut response = next.run(request).await;
    if fresh {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(Cookie::Csrf, &value, 12 * 3600, secure),
        );
    }
    response
}

/// A `Set-Cookie` that replaces the browser's CSRF cookie, at sign-in and sign-out.
pub fn renewed_cookie(secure: bool) -> Result<HeaderValue, AppError> {
    let value = random_token(32)?;
    Ok(cookies::set(Cookie::Csrf, &value, 12 * 3600, secure))
}

/// What a browser's token is the HMAC of: its session once there is one, the browser before.
fn binding(session_cookie: Option<&str>, csrf_cookie: &str) -> String {
    match session_cookie {
        Some(session) => format!("session\0{session}"),
        None => format!("browser\0{csrf_cookie}"),
    }
}

/// The token a form must carry.
pub fn token_for(key: &[u8], session_cookie: Option<&str>, csrf_cookie: &str) -> String {
    token_of(key, &binding(session_cookie, csrf_cookie))
}

fn token_of(key: &[u8], binding: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(key, binding.as_bytes()))
}

/// This request's binding.
fn binding_of(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> Result<String, AppError> {
    let cookie = extensions.get::<CsrfCookie>().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("CSRF cookie layer missing on a web route"))
    })?;
    let session = cookies::read(headers, Cookie::Session, state.config.secure_cookies);
    Ok(binding(session, &cookie.0))
}

fn refused() -> AppError {
    AppError::Forbidden {
        code: "csrf_failed",
        message: "the form expired or came from elsewhere; reload the page and try again",
    }
}

/// Whether the request says it comes from this site, or says nothing (a browser always sends
/// `Origin` on a cross-site POST; other clients hold no cookies to abuse).
fn from_this_site(headers: &HeaderMap, secure: bool) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let scheme = if secure { "https" } else { "http" };
    let this_site = format!("{scheme}://{host}");
    let said = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    match (said(header::ORIGIN), said(header::REFERER)) {
        (Some(origin), _) => origin == this_site,
        (None, Some(referer)) => referer
            .strip_prefix(&this_site)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
        (None, None) => true,
    }
}

/// Whether `tag` is this binding's token under the current key or a previous one: a form
/// rendered before a rotation still posts.
fn verifies(state: &AppState, binding: &str, tag: &[u8]) -> bool {
    state
        .keys
        .csrf
        .all()
        .any(|key| verify_hmac(&key.bytes, binding.as_bytes(), tag))
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"))
}

/// Lets a state-changing request through only from this site and with this browser's token.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if !from_this_site(request.headers(), state.config.secure_cookies) {
        return refused().into_response_html();
    }
    let (parts, body) = request.into_parts();
    let binding = match binding_of(&state, &parts.headers, &parts.extensions) {
        Ok(binding) => binding,
        Err(error) => return error.into_response_html(),
    };
    // An upload's body is streamed to its handler under its own limit: its token is in the
    // form's address.
    if is_multipart(&parts.headers) {
        let submitted = parts
            .uri
            .query()
            .and_then(|query| {
                form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "csrf")
            })
            .and_then(|(_, value)| URL_SAFE_NO_PAD.decode(value.as_bytes()).ok());
        return match submitted {
            Some(tag) if verifies(&state, &binding, &tag) => {
                next.run(Request::from_parts(parts, body)).await
            }
            _ => refused().into_response_html(),
        };
    }
    let Ok(form) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return AppError::PayloadTooLarge.into_response_html();
    };
    let submitted = form_urlencoded::parse(&form)
        .find(|(name, _)| name == "csrf")
        .and_then(|(_, value)| URL_SAFE_NO_PAD.decode(value.as_bytes()).ok());
    match submitted {
        Some(tag) if verifies(&state, &binding, &tag) => {
            let mut request = Request::from_parts(parts, Body::from(form.clone()));
            // Kept, so that a refused form can be shown again as it was typed.
            request.extensions_mut().insert(SubmittedForm(form));
            next.run(request).await
        }
        _ => refused().into_response_html(),
    }
}

/// This browser's CSRF token, for the forms a page renders.
pub struct Csrf {
    expected: String,
}

impl Csrf {
    pub fn token(&self) -> &str {
        &self.expected
    }
}

impl FromRequestParts<AppState> for Csrf {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let binding = binding_of(state, &parts.headers, &parts.extensions)?;
        Ok(Csrf {
            expected: token_of(&state.keys.csrf.current.bytes, &binding),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn only_this_site_may_post() {
        let host = (header::HOST, "vault.example.org");
        let cases = [
            (
                vec![host.clone(), (header::ORIGIN, "https://vault.example.org")],
                true,
            ),
            (
                vec![host.clone(), (header::ORIGIN, "https://evil.example.org")],
                false,
            ),
            (
                vec![host.clone(), (header::ORIGIN, "http://vault.example.org")],
                false,
            ),
            (vec![host.clone(), (header::ORIGIN, "null")], false),
            (
                vec![
                    host.clone(),
                    (header::REFERER, "https://vault.example.org/admin"),
                ],
                true,
            ),
            (
                vec![
                    host.clone(),
                    (header::REFERER, "https://vault.example.org.evil.test/"),
                ],
                false,
            ),
            (vec![host.clone()], true),
            (vec![(header::ORIGIN, "https://vault.example.org")], false),
        ];
        for (pairs, allowed) in cases {
            assert_eq!(from_this_site(&headers(&pairs), true), allowed, "{pairs:?}");
        }
    }

    #[test]
    fn tokens_are_bound_to_the_session_once_signed_in() {
        let key = [7u8; 32];
        let before = token_for(&key, None, "browser-cookie");
        let signed_in = token_for(&key, Some("session-a"), "browser-cookie");
        assert_ne!(before, signed_in);
        assert_ne!(
            signed_in,
            token_for(&key, Some("session-b"), "browser-cookie")
        );
        assert_eq!(
            signed_in,
            token_for(&key, Some("session-a"), "another cookie")
        );
    }
}
