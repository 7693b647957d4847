//! Reading and writing the two cookies: the web session and the CSRF value.

use axum::http::{HeaderMap, HeaderValue, header};

pub const SESSION: &str = "mv_session";
pub const CSRF: &str = "mv_csrf";

/// The value of cookie `name` in the request, if present.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, path `/`, `SameSite=Lax` (so that following a link into
/// MedVault keeps the session, while cross-site POSTs carry no cookie). `max_age` of zero deletes.
pub fn set(name: &str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    // Names are constants and values are base64url, so the header is always valid.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mv_session=abc; b=2"),
        );
        assert_eq!(read(&headers, SESSION), Some("abc"));
        assert_eq!(read(&headers, CSRF), None);
        let set = set(SESSION, "abc", 60, true);
        let text = set.to_str().expect("ascii");
        assert!(
            text.contains("HttpOnly") && text.contains("Secure") && text.contains("Max-Age=60")
        );
    }
}
