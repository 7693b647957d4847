//! Every request carries a correlation id: the caller's `x-correlation-id` if it is well formed,
//! a new one otherwise. It is echoed in the response, stamped on every log line of the request
//! (through the request span) and put in every error body and error page.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-correlation-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The correlation id of the request being served, or `-` outside of one.
pub fn current() -> String {
    CURRENT
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

/// Accepts ids of 8 to 64 characters from a safe alphabet: anything else could smuggle text into
/// logs, so it is replaced.
fn accept(incoming: Option<&HeaderValue>) -> Option<String> {
    let value = incoming?.to_str().ok()?;
    let ok = (8..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| value.to_owned())
}

pub async fn middleware(mut request: Request, next: Next) -> Response {
    let id =
        accept(request.headers().get(HEADER)).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    request.extensions_mut().insert(CorrelationId(id.clone()));
    let mut response = CURRENT.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// The correlation id as a request extension, for code that runs outside the request's task.
#[derive(Clone, Debug)]
pub struct CorrelationId(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_ids_are_kept() {
        let keep = HeaderValue::from_static("abc-123_XYZ.9");
        assert_eq!(accept(Some(&keep)).as_deref(), Some("abc-123_XYZ.9"));
        for bad in [
            "short",
            "has space in it",
            "new\u{7f}line-attempt",
            &"x".repeat(65),
        ] {
            let value = HeaderValue::from_str(bad).ok();
            assert_eq!(accept(value.as_ref()), None, "{bad:?}");
        }
        assert_eq!(accept(None), None);
    }
}
