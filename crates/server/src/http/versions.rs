//! Optimistic concurrency over HTTP (RFC 9110): what can be edited is read with an `ETag` naming
//! its version, and changed only with `If-Match` naming the version the change was made on.
//! Without it the change is refused (428), so that no client overwrites an edit it never saw;
//! on an older version it is refused too (412, with the current `ETag`).

use axum::http::{HeaderMap, HeaderValue, header};

use crate::error::AppError;

/// The strong entity tag of a version: `"3"`.
pub fn etag(version: i64) -> HeaderValue {
    // Digits between quotes are always a valid header value.
    HeaderValue::try_from(format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// The version an `If-Match` header names. `*` and lists are refused: a change must name the
/// one version it was made on.
pub fn if_match(headers: &HeaderMap) -> Result<i64, AppError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(AppError::PreconditionRequired);
    };
    let unreadable = || AppError::BadRequest {
        code: "invalid_if_match",
        message: "If-Match must be one ETag as this server sent it, like \"3\"".to_owned(),
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .and_then(|tag| tag.strip_prefix('"')?.strip_suffix('"'))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(unreadable)
}

/// The version a web form was opened on, from its hidden `version` field: a form without one
/// is refused as a change without `If-Match` would be.
pub fn from_form(field: Option<&str>) -> Result<i64, AppError> {
    field
        .and_then(|raw| raw.trim().parse().ok())
        .ok_or(AppError::PreconditionRequired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_MATCH,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn if_match_names_one_version() {
        assert_eq!(etag(3), "\"3\"");
        assert_eq!(if_match(&with("\"3\"")).ok(), Some(3));
        assert!(matches!(
            if_match(&HeaderMap::new()),
            Err(AppError::PreconditionRequired)
        ));
        for bad in [
            "*",
            "3",
            "W/\"3\"",
            "\"3\", \"4\"",
            "\"\"",
            "\"-1\"",
            "\"x\"",
        ] {
            assert!(
                matches!(if_match(&with(bad)), Err(AppError::BadRequest { .. })),
                "{bad:?}"
            );
        }
    }
}
