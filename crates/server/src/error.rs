//! One error type for every use case, and its JSON presenter. (The HTML presenter is in `web`.)
//! Internal detail is logged with the correlation id and never sent.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use medvault_domain::InvalidValue;
use medvault_domain::medication::AllergyWarning;
use medvault_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::Denial;
use crate::http::correlation;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(InvalidValue),
    /// An input that does not fit the request's shape (a missing or unknown field, a wrong type,
    /// a control character), named by its path in the body or query.
    #[error("{field} {message}")]
    InvalidField { field: String, message: String },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// A file whose content is not a kind a chart keeps, or holds markup a browser would run.
    #[error("{message}")]
    UnsupportedFile { message: String },
    /// A stored file's bytes do not open or do not match their SHA-256: never sent.
    #[error("the stored file failed its integrity check; it was not sent")]
    FileIntegrity,
    #[error("authentication required")]
    Unauthenticated,
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error("{message}")]
    Forbidden {
        code: &'static str,
        message: &'static str,
    },
    #[error("not found")]
    NotFound,
    /// The policy refused. Presented exactly like [`AppError::NotFound`]; audited first.
    #[error("not found")]
    Denied(Denial),
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: &'static str,
    },
    /// A prescription matches the patient's recorded allergies: held until the prescriber
    /// acknowledges these warnings.
    #[error("{}", allergy_message(.0))]
    AllergyWarning(Vec<AllergyWarning>),
    /// The request repeats one made before with the same `Idempotency-Key`: its work is not
    /// done again; the idempotency layer answers with the first answer instead.
    #[error("this request repeats an earlier one with the same Idempotency-Key")]
    Repeated,
    /// A change to something versioned came without `If-Match` naming the version it was made on.
    #[error("send If-Match with the ETag of the version you changed")]
    PreconditionRequired,
    /// A change was made on a version that is no longer current: someone else changed it since.
    #[error("it was changed by someone else since you read it; read it again and redo your change")]
    Stale { current: i64 },
    #[error("too many sign-in attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("the service is busy; try again shortly")]
    Unavailable,
    /// The connection to the database broke under a unit of work: presented like
    /// [`AppError::Unavailable`], and worth one more try on another connection.
    #[error("the service is busy; try again shortly")]
    ConnectionLost,
    /// The request ran past its deadline ([`crate::http::deadline`]).
    #[error(
        "the request took longer than the server allows; a change it asked for may still have \
         been made, so look before sending it again"
    )]
    TimedOut,
    /// Rows of an imported file that cannot be imported: nothing was.
    #[error("rows of the file cannot be imported ({}); nothing was imported", .0.len())]
    InvalidRows(Vec<crate::imports::RowError>),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

fn allergy_message(warnings: &[AllergyWarning]) -> String {
    let reasons: Vec<&str> = warnings.iter().map(|w| w.reason.as_str()).collect();
    format!(
        "allergy warning: {}; acknowledge the warning to prescribe it anyway",
        reasons.join("; ")
    )
}

impl AppError {
    pub fn invalid(field: &str, message: &str) -> Self {
        AppError::invalid_owned(field.to_owned(), message.to_owned())
    }

    pub fn invalid_owned(field: String, message: String) -> Self {
        AppError::InvalidField { field, message }
    }
}

impl From<InvalidValue> for AppError {
    fn from(value: InvalidValue) -> Self {
        AppError::Invalid(value)
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Unavailable(_) => AppError::Unavailable,
            StoreError::ConnectionLost(_) => AppError::ConnectionLost,
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<medvault_store::repo::EditRefused> for AppError {
    fn from(refusal: medvault_store::repo::EditRefused) -> Self {
        use medvault_store::repo::EditRefused;
        match refusal {
            EditRefused::Stale { current } => AppError::Stale { current },
            EditRefused::NotFound => AppError::NotFound,
        }
    }
}

impl medvault_store::WorkError for AppError {
    fn connection_lost(&self) -> bool {
        matches!(self, AppError::ConnectionLost)
    }
}

/// A recorded allergy a prescribed drug matches.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the warning itself is the domain's.
pub struct AllergyWarningView {
    /// The allergy's substance, as recorded.
    substance: String,
    /// What ties the drug to it, in plain words.
    reason: String,
}

/// The one error shape of the API.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable, stable: `not_found`, `invalid_input`, `unauthenticated`, …
    pub code: &'static str,
    /// For people; may change.
    pub message: String,
    /// The field at fault, for `invalid_input`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `allergy_warning`: each recorded allergy the drug matches, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<AllergyWarningView>>)]
    pub warnings: Option<Vec<AllergyWarning>>,
    /// For `invalid_rows`: each row of an imported file that cannot be imported, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<crate::imports::RowError>>,
    /// Quote it to support: it finds the request's log lines.
    pub correlation_id: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) | AppError::InvalidField { .. } | AppError::InvalidRows(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::UnsupportedMediaType | AppError::UnsupportedFile { .. } => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            AppError::FileIntegrity => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            // A denial about a patient's data is hidden as "not found"; one about a function
            // (creating users, say) reveals nothing and is plainly forbidden.
            AppError::Denied(denial) if denial.is_forbidden() => StatusCode::FORBIDDEN,
            AppError::Denied(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::AllergyWarning(_) | AppError::Repeated => {
                StatusCode::CONFLICT
            }
            AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            AppError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable | AppError::ConnectionLost | AppError::TimedOut => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) | AppError::InvalidField { .. } => "invalid_input",
            AppError::InvalidRows(_) => "invalid_rows",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::UnsupportedFile { .. } => "file_type_not_allowed",
            AppError::FileIntegrity => "file_integrity",
            AppError::BadRequest { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. } => code,
            AppError::Unauthenticated => "unauthenticated",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Denied(denial) if denial.is_forbidden() => "forbidden",
            AppError::NotFound | AppError::Denied(_) => "not_found",
            AppError::AllergyWarning(_) => "allergy_warning",
            AppError::Repeated => "idempotency_in_progress",
            AppError::PreconditionRequired => "precondition_required",
            AppError::Stale { .. } => "version_mismatch",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::Unavailable | AppError::ConnectionLost => "unavailable",
            AppError::TimedOut => "timed_out",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message a client may see.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Invalid(invalid) => format!("{} {}", invalid.field, invalid.message),
            AppError::Denied(denial) if denial.is_forbidden() => {
                "your role does not allow this".to_owned()
            }
            AppError::Denied(_) | AppError::NotFound => "not found".to_owned(),
            other => other.to_string(),
        }
    }

    /// Logs what the client is not told. Server faults at error level; the rest is routine.
    /// Headers every presenter adds: how to authenticate, when to retry.
    pub fn headers(&self) -> Vec<(header::HeaderName, header::HeaderValue)> {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => {
                vec![(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                )]
            }
            AppError::Stale { current } => {
                vec![(header::ETAG, crate::http::versions::etag(*current))]
            }
            AppError::TooManyAttempts { retry_after_secs } => {
                vec![(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(*retry_after_secs),
                )]
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn log(&self) {
        match self {
            AppError::Internal(error) => {
                tracing::error!(error = %format!("{error:#}"), "request failed")
            }
            AppError::Unavailable => tracing::warn!("database unavailable"),
            AppError::FileIntegrity => tracing::error!("a stored file failed its integrity check"),
            AppError::ConnectionLost => tracing::warn!("connection to the database lost"),
            AppError::TimedOut => tracing::warn!("request ran past its deadline"),
            _ => {}
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                field: match self {
                    AppError::Invalid(invalid) => Some(invalid.field.to_owned()),
                    AppError::InvalidField { field, .. } => Some(field.clone()),
                    _ => None,
                },
                warnings: match self {
                    AppError::AllergyWarning(warnings) => Some(warnings.clone()),
                    _ => None,
                },
                rows: match self {
                    AppError::InvalidRows(rows) => Some(rows.clone()),
                    _ => None,
                },
                correlation_id: correlation::current(),
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (self.status(), Json(self.body())).into_response();
        response.headers_mut().extend(self.headers());
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
