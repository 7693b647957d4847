//! `Idempotency-Key` on the API's creates: a client that retries a create (a timeout, a lost
//! answer) with the same key gets the first answer again, never a second record. Fifty requests
//! at once with one key make one record.
//!
//! The key is claimed inside the create's own unit of work (`AppState::run`), so the claim
//! stands exactly when the create does; this layer computes the request's fingerprint before,
//! keeps the first answer after, and answers a repeat with it (waiting briefly while the first
//! is still on its way). A key sent again with a different request is refused. Keys are the
//! caller's own and kept a day.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use medvault_domain::UserId;
use medvault_store::repo::idempotency::{self, StoredAnswer};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::AppError;
use crate::router::MAX_BODY_BYTES;

pub const HEADER: &str = "idempotency-key";

/// The largest answer kept for a repeat: the API's answers to creates are far smaller.
const MAX_KEPT_ANSWER: usize = 4 * 1024 * 1024;

/// How long a repeat waits for the first request's answer before saying to try again.
const REPEAT_WAIT: Duration = Duration::from_secs(10);

/// A request's key and what became of its claim, shared between this layer and the unit of
/// work that claims it.
#[derive(Debug)]
pub struct IdempotencyClaim {
    pub key: String,
    pub fingerprint: String,
    outcome: Mutex<Option<Claimed>>,
}

/// What the unit of work found when it claimed the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claimed {
    /// This request is the key's first: its answer is to be kept.
    First(UserId),
    /// The key's first request came before: answer as it was answered.
    Repeat(UserId),
}

impl IdempotencyClaim {
    pub fn settle(&self, claimed: Claimed) {
        if let Ok(mut outcome) = self.outcome.lock() {
            *outcome = Some(claimed);
        }
    }

    fn outcome(&self) -> Option<Claimed> {
        self.outcome.lock().ok().and_then(|outcome| *outcome)
    }
}

/// A key as sent: 1 to 255 visible ASCII characters (a UUID, say).
fn valid_key(raw: &HeaderValue) -> Result<String, AppError> {
    let key = raw.to_str().unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters, such as a UUID",
        ));
    }
    Ok(key.to_owned())
}

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let key = match request.headers().get(HEADER).map(valid_key) {
        None => return next.run(request).await,
        Some(Err(refused)) => return refused.into_response(),
        Some(Ok(key)) => key,
    };
    let (parts, body) = request.into_parts();
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update([0]);
    hasher.update(parts.uri.path());
    hasher.update([0]);
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    // A JSON body is read here (within the API's limit) and hashed; a streamed upload is known
    // by its declared type and length, since reading it whole is what streaming avoids.
    let body = if is_json {
        let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
            return AppError::PayloadTooLarge.into_response();
        };
        hasher.update(&bytes);
        Body::from(bytes)
    } else {
        for name in [header::CONTENT_TYPE, header::CONTENT_LENGTH] {
            hasher.update(
                parts
                    .headers
                    .get(name)
                    .map_or(&b""[..], HeaderValue::as_bytes),
            );
            hasher.update([0]);
        }
        body
    };
    let claim = Arc::new(IdempotencyClaim {
        key,
        fingerprint: hex::encode(hasher.finalize()),
        outcome: Mutex::new(None),
    });
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(Arc::clone(&claim));
    let response = next.run(request).await;
    match claim.outcome() {
        Some(Claimed::First(user)) if response.status().is_success() => {
            keep(&state, user, &claim.key, response).await
        }
        Some(Claimed::Repeat(user)) => repeat(&state, user, &claim.key).await,
        _ => response,
    }
}

/// Keeps the first answer for the repeats, and sends it.
async fn keep(state: &AppState, user: UserId, key: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_KEPT_ANSWER).await else {
        return AppError::Internal(anyhow::anyhow!("an answer too large to keep")).into_response();
    };
    let text = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Ok(body) = std::str::from_utf8(&bytes) {
        let answer = StoredAnswer {
            status: parts.status.as_u16(),
            content_type: text(header::CONTENT_TYPE),
            etag: text(header::ETAG),
            body: body.to_owned(),
        };
        let key = key.to_owned();
        let kept = state
            .write(move |conn| Ok(idempotency::keep_answer(conn, user, &key, &answer)?))
            .await;
        if let Err(error) = kept {
            // The create stands; its repeats are told to try again until the key expires.
            tracing::warn!(error = %error, "could not keep an answer for its repeats");
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Answers a repeat with the first answer, once it is kept.
async fn repeat(state: &AppState, user: UserId, key: &str) -> Response {
    let started = Instant::now();
    loop {
        let key = key.to_owned();
        let found = state
            .read(move |conn| Ok(idempotency::answer(conn, user, &key)?))
            .await;
        match found {
            Ok(Some(answer)) => return replayed(answer),
            Ok(None) if started.elapsed() < REPEAT_WAIT => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Ok(None) => {
                return AppError::Conflict {
                    code: "idempotency_in_progress",
                    message: "the first request with this Idempotency-Key has not been answered yet; try again shortly",
                }
                .into_response();
            }
            Err(error) => return error.into_response(),
        }
    }
}

fn replayed(answer: StoredAnswer) -> Response {
    let status =
        axum::http::StatusCode::from_u16(answer.status).unwrap_or(axum::http::StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, answer.content_type),
        (header::ETAG, answer.etag),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
