//! What every request meets before routing: bounds on the URI, the headers and the body, and a
//! path that is text. Refusals here come in the usual error shape (JSON for the API, a page for
//! the rest) with the usual headers, unlike the bare answers of the HTTP parser below.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;

use crate::error::AppError;
use crate::router::{MAX_BODY_BYTES, present, wants_json};

/// Longer URIs are refused with 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Larger header sections are refused with 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// How much of a refused body is read and thrown away, and for how long, so that a client that
/// sends its whole body before reading the answer gets the 413 rather than a reset connection.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The most an upload may declare: a file's, a lab report's or an import's, whichever route
/// takes the largest. Each route holds its body to its own limit as it reads it.
#[derive(Clone, Copy)]
pub struct UploadLimit(pub u64);

/// Whether a body is an upload by its type: a form with a file, or a CSV file.
fn is_upload(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("multipart/form-data") || value.starts_with("text/csv")
        })
}

pub async fn middleware(
    State(UploadLimit(uploads)): State<UploadLimit>,
    request: Request,
    next: Next,
) -> Response {
    let json = wants_json(request.uri());
    let refuse = |error: AppError| present(error, json);
    let uri_length = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri_length > MAX_URI_BYTES {
        return with_status(refuse(too_long("the address")), StatusCode::URI_TOO_LONG);
    }
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return with_status(
            refuse(too_long("the request's headers")),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        );
    }
    // A path that does not decode to text names nothing here.
    let path = request.uri().path();
    if percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_err()
    {
        return refuse(AppError::NotFound);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let limit = if is_upload(&request) {
        uploads
    } else {
        MAX_BODY_BYTES as u64
    };
    if declared.is_some_and(|length| length > limit) {
        drain(request.into_body()).await;
        let mut response = refuse(AppError::PayloadTooLarge);
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return response;
    }
    next.run(request).await
}

fn too_long(what: &str) -> AppError {
    AppError::BadRequest {
        code: "request_too_large",
        message: format!("{what} is too long"),
    }
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

/// Reads and discards a body, up to a bound in size and time.
async fn drain(mut body: Body) {
    let reading = async {
        let mut read = 0;
        while read < DRAIN_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |data| data.len()),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, reading).await;
}
