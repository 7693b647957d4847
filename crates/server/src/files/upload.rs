//! Reading an upload: `multipart/form-data` with a `file` part (and, optionally, `record_id`),
//! read as a stream, the size limit enforced as the bytes arrive: a body that says it is too
//! large is refused before a byte is read, one that turns out too large as soon as it passes
//! the limit.

use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use medvault_domain::files::FileName;
use medvault_domain::{InvalidValue, RecordId};

use super::Received;
use crate::app::AppState;
use crate::error::AppError;

/// What a multipart body may carry beyond its file: boundaries, part headers, a record id.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;

/// An upload's body, not yet read: its declared length checked against the limit, its type
/// checked to be multipart.
pub struct UploadBody(Multipart);

impl FromRequest<AppState> for UploadBody {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        check_declared_length(request.headers(), state.config.max_upload_bytes)?;
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(not_multipart)?;
        Ok(UploadBody(multipart))
    }
}

impl UploadBody {
    /// Reads the upload's parts, holding at most `limit` bytes of file.
    pub async fn receive(self, limit: u64) -> Result<Received, AppError> {
        receive(self.0, limit).await
    }
}

/// The most an upload of at most `limit` bytes of file may declare, with its form around it.
pub fn most_declared(limit: u64) -> u64 {
    limit.saturating_add(FRAMING_ALLOWANCE)
}

/// Refuses a body whose declared length is over the limit, before it is read.
fn check_declared_length(headers: &HeaderMap, limit: u64) -> Result<(), AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match declared {
        Some(length) if length > most_declared(limit) => Err(AppError::PayloadTooLarge),
        _ => Ok(()),
    }
}

fn malformed(error: MultipartError) -> AppError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    AppError::BadRequest {
        code: "malformed_multipart",
        message: "the body is not a well-formed multipart/form-data upload".to_owned(),
    }
}

/// The extractor's refusal of a body that is not multipart at all.
fn not_multipart(_: MultipartRejection) -> AppError {
    AppError::BadRequest {
        code: "malformed_multipart",
        message: "send the file as multipart/form-data, in a part named file".to_owned(),
    }
}

async fn receive(mut multipart: Multipart, limit: u64) -> Result<Received, AppError> {
    let mut record = None;
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("file") if file.is_none() => {
                let name = FileName::parse(field.file_name().unwrap_or_default())?;
                let mut content: Vec<u8> = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    let size = u64::try_from(content.len() + chunk.len()).unwrap_or(u64::MAX);
                    if size > limit {
                        return Err(AppError::PayloadTooLarge);
                    }
                    content.extend_from_slice(&chunk);
                }
                file = Some((name, content));
            }
            Some("record_id") if record.is_none() => {
                let text = field.text().await.map_err(malformed)?;
                let text = text.trim();
                record = Some(if text.is_empty() {
                    None
                } else {
                    Some(text.parse::<RecordId>().map_err(|_| {
                        InvalidValue::new("record_id", "is not a record of this chart")
                    })?)
                });
            }
            Some(other) => {
                return Err(AppError::invalid_owned(
                    other.chars().take(64).collect(),
                    "is not a part of this upload (send file, and record_id if any)".to_owned(),
                ));
            }
            None => {
                return Err(AppError::invalid(
                    "file",
                    "every part of the upload needs a name",
                ));
            }
        }
    }
    let (name, content) = file.ok_or(InvalidValue::new("file", "is required"))?;
    Ok(Received {
        name,
        content,
        record: record.flatten(),
    })
}
