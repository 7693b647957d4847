//! Reading and writing the two cookies: the web session and the CSRF value.
//!
//! Over TLS (`MEDVAULT_SECURE_COOKIES=true`) both are `Secure` and carry the `__Host-` prefix,
//! which browsers accept only from a secure origin, with `Path=/` and no `Domain`: a sibling
//! subdomain can then neither set nor overwrite them.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::SameSite;

#[derive(Clone, Copy, Debug)]
pub enum Cookie {
    Session,
    Csrf,
}

impl Cookie {
    pub fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Cookie::Session, false) => "mv_session",
            (Cookie::Session, true) => "__Host-mv_session",
            (Cookie::Csrf, false) => "mv_csrf",
            (Cookie::Csrf, true) => "__Host-mv_csrf",
        }
    }
}

/// The value of `cookie` in the request, if present.
pub fn read(headers: &HeaderMap, cookie: Cookie, secure: bool) -> Option<&str> {
    let name = cookie.name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|found| found.name() == name)
        .and_then(|found| found.value_raw())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, path `/`, `SameSite=Lax` (so that following a link into
/// MedVault keeps the session, while cross-site POSTs carry no cookie). `max_age` of zero deletes.
pub fn set(cookie: Cookie, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let max_age = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
    let built = cookie::Cookie::build((cookie.name(secure), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(max_age))
        .secure(secure)
        .build();
    // Names are constants and values are base64url, so the header is always valid.
    HeaderValue::from_str(&built.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
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
        assert_eq!(read(&headers, Cookie::Session, false), Some("abc"));
        assert_eq!(read(&headers, Cookie::Csrf, false), None);
        assert_eq!(
            read(&headers, Cookie::Session, true),
            None,
            "over TLS only the prefixed name counts"
        );
    }

    #[test]
    fn secure_cookies_use_the_host_prefix() {
        let plain = set(Cookie::Session, "abc", 60, false);
        let plain = plain.to_str().expect("ascii");
        assert!(plain.starts_with("mv_session=abc;") && !plain.contains("Secure"));
        let secure = set(Cookie::Session, "abc", 60, true);
        let secure = secure.to_str().expect("ascii");
        assert!(secure.starts_with("__Host-mv_session=abc;"));
        assert!(
            secure.contains("; Secure") && secure.contains("Path=/") && !secure.contains("Domain")
        );
        assert!(secure.contains("HttpOnly") && secure.contains("Max-Age=60"));
        assert!(secure.contains("SameSite=Lax"));
    }
}
