//! CSRF protection for the web forms: a random value in an HttpOnly cookie, and in each form the
//! HMAC of that value under a server key. A cross-site page can neither read the cookie nor
//! compute the HMAC, and a cookie planted from elsewhere has no matching form value.

use axum::extract::{FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::cookies::{self, Cookie};
use super::keys::{hmac_sha256, random_token};
use crate::app::AppState;
use crate::error::AppError;

#[derive(Clone)]
struct CsrfCookie(String);

/// Gives every browser a CSRF cookie on its first page.
pub async fn ensure_cookie(mut request: Request, next: Next) -> Response {
    let secure = request
        .extensions()
        .get::<SecureCookies>()
        .is_some_and(|s| s.0);
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

/// Whether cookies get the `Secure` flag, put in the request by the router.
#[derive(Clone, Copy)]
pub struct SecureCookies(pub bool);

/// The request's CSRF value: renders the token for a form and checks a submitted one.
pub struct Csrf {
    expected: String,
}

impl Csrf {
    pub fn token(&self) -> &str {
        &self.expected
    }

    pub fn check(&self, submitted: &str) -> Result<(), AppError> {
        if super::keys::same_secret(submitted.as_bytes(), self.expected.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: "csrf_failed",
                message: "the form expired or came from elsewhere; reload the page and try again",
            })
        }
    }
}

impl FromRequestParts<AppState> for Csrf {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let cookie = parts.extensions.get::<CsrfCookie>().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("CSRF middleware missing on a web route"))
        })?;
        let mac = hmac_sha256(&state.keys.csrf, cookie.0.as_bytes());
        Ok(Csrf {
            expected: URL_SAFE_NO_PAD.encode(mac),
        })
    }
}
