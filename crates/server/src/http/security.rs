//! Security headers on every response. Pages may hold PHI, so nothing but static assets may be
//! cached.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// No inline script anywhere; Swagger UI needs inline styles, so only `/docs` allows them.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
const CSP_DOCS: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                        img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
                        base-uri 'none'; object-src 'none'";

/// Two years, subdomains included: what browsers' preload lists ask for.
const HSTS: &str = "max-age=63072000; includeSubDomains";

pub async fn middleware(State(over_tls): State<bool>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_static = path.starts_with("/static/");
    let csp = if path == "/docs" || path.starts_with("/docs/") {
        CSP_DOCS
    } else {
        CSP
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, csp);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    // Not `no-referrer`: under it browsers send `Origin: null` even to this site, and the CSRF
    // guard needs the real origin. Other sites still learn nothing.
    set(header::REFERRER_POLICY, "same-origin");
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    // Only when served over HTTPS (which is what secure cookies say): over plain HTTP the header
    // would be ignored, or pin a test host to TLS.
    if over_tls {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    if is_static {
        set(header::CACHE_CONTROL, "public, max-age=3600");
    } else {
        set(header::CACHE_CONTROL, "no-store");
    }
    response
}
