//! One JSON-over-HTTP service outside MedVault: its address, a client with a timeout, and the
//! circuit breaker every call goes through. What to send and how to fall back is the caller's.

use std::time::Duration;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::breaker::Breaker;
use crate::telemetry::{self, TRACE_ONLY};

/// Why a call gave no usable answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallFailed {
    /// The breaker is open after too many failures: the service was not called.
    BreakerOpen,
    TimedOut,
    /// It could not be reached, or answered with an error or something else than its contract.
    Failed,
}

pub struct Service {
    name: &'static str,
    url: String,
    client: outbound::Client,
    timeout: Duration,
    pub breaker: Breaker,
}

impl Service {
    /// `name` labels the breaker's metrics and the calls' spans.
    pub fn new(name: &'static str, url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = outbound::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Service {
            name,
            url: url.trim_end_matches('/').to_owned(),
            client,
            timeout,
            breaker: Breaker::new(name),
        })
    }

    /// The service's host, as the audit trail names where data went.
    pub fn host(&self) -> &str {
        self.url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or(&self.url)
    }

    /// Whether the breaker lets a call through now (taking the trial call when half-open).
    pub fn may_call(&self, now: NaiveDateTime) -> bool {
        self.breaker.permit(now).is_ok()
    }

    /// Posts `body` to `{url}{path}` (the breaker's permit taken) and reads the answer, which
    /// `usable` must accept; the outcome is recorded with the breaker at `now()`.
    pub async fn post<Q, A>(
        &self,
        path: &str,
        body: &Q,
        usable: impl Fn(&A) -> bool,
        now: impl Fn() -> NaiveDateTime,
    ) -> Result<A, CallFailed>
    where
        Q: Serialize + ?Sized,
        A: DeserializeOwned,
    {
        let span = tracing::info_span!(
            target: TRACE_ONLY,
            "outside call",
            otel.name = self.name,
            otel.kind = "client",
            server.address = self.host(),
        );
        let answer = self.call(path, body, usable).instrument(span).await;
        self.breaker.record(now(), answer.is_ok());
        answer
    }

    async fn call<Q, A>(
        &self,
        path: &str,
        body: &Q,
        usable: impl Fn(&A) -> bool,
    ) -> Result<A, CallFailed>
    where
        Q: Serialize + ?Sized,
        A: DeserializeOwned,
    {
        let sent = self
            .client
            .post(format!("{}{path}", self.url))
            .headers(telemetry::outgoing_headers())
            .json(body)
            .send();
        match tokio::time::timeout(self.timeout, sent).await {
            Err(_) => Err(CallFailed::TimedOut),
            Ok(Err(error)) if error.is_timeout() => Err(CallFailed::TimedOut),
            Ok(Err(_)) => Err(CallFailed::Failed),
            Ok(Ok(response)) if !response.status().is_success() => Err(CallFailed::Failed),
            Ok(Ok(response)) => {
                match tokio::time::timeout(self.timeout, response.json::<A>()).await {
                    Ok(Ok(answer)) if usable(&answer) => Ok(answer),
                    Ok(_) => Err(CallFailed::Failed),
                    Err(_) => Err(CallFailed::TimedOut),
                }
            }
        }
    }
}
