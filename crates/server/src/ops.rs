//! Health, readiness and Prometheus metrics.

use std::sync::Mutex;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use secrecy::ExposeSecret;

use crate::app::AppState;
use crate::auth::keys::{hmac_sha256, verify_hmac};
use crate::error::AppError;
use crate::routes::Listed;

/// The process-wide metrics registry (the `metrics` facade has one global recorder).
#[derive(Clone)]
pub struct Metrics(PrometheusHandle);

impl Metrics {
    /// Installs the recorder on first use; later calls, from any thread, share it.
    pub fn install() -> anyhow::Result<Self> {
        // A lock, not a `OnceLock`: two servers starting at once must not both try to install.
        static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
        let mut slot = HANDLE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(handle) = slot.as_ref() {
            return Ok(Metrics(handle.clone()));
        }
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            )?
            .install_recorder()?;
        *slot = Some(handle.clone());
        Ok(Metrics(handle))
    }
}

pub fn routes(metrics: Metrics) -> Listed {
    Listed::new()
        .get("/healthz", || async { "ok" })
        .get("/readyz", ready)
        .get(
            "/metrics",
            move |State(state): State<AppState>, headers: HeaderMap| {
                let metrics = metrics.clone();
                async move {
                    if !may_scrape(&state, &headers) {
                        return AppError::Unauthenticated.into_response();
                    }
                    metrics.0.run_upkeep();
                    count_audit_groups(&state);
                    (
                        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        metrics.0.render(),
                    )
                        .into_response()
                }
            },
        )
}

/// The group commits of the audit trail, as the store counts them: groups committed and failed
/// (a failed group failed every request in it), and the units the committed ones held.
fn count_audit_groups(state: &AppState) {
    let counts = state.store.audit_groups();
    metrics::counter!("medvault_audit_groups_total", "outcome" => "committed")
        .absolute(counts.committed);
    metrics::counter!("medvault_audit_groups_total", "outcome" => "failed").absolute(counts.failed);
    metrics::counter!("medvault_audit_group_units_total").absolute(counts.units);
}

/// Whether a request may read the metrics: anyone, unless `MEDVAULT_METRICS_TOKEN` is set, then
/// only a scraper that sends it as a bearer token (compared in constant time).
fn may_scrape(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.config.metrics_token else {
        return true;
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let key = &state.keys.csrf.current.bytes;
    // Equal MACs of the two, rather than the two themselves, so the comparison takes as long
    // whatever was sent.
    let expected = hmac_sha256(key, token.expose_secret().as_bytes());
    verify_hmac(key, sent.as_bytes(), &expected)
}

/// Ready when the database answers.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}
