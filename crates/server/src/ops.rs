//! Health, readiness and Prometheus metrics.

use std::sync::Mutex;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::AppState;
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
        .get("/metrics", move || {
            let metrics = metrics.clone();
            async move {
                metrics.0.run_upkeep();
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    metrics.0.render(),
                )
            }
        })
}

/// Ready when the database answers.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}
