//! The optional summary service: an outside JSON-over-HTTP service (`MEDVAULT_AI_URL`) that
//! writes a chart's summary in prose and may suggest what to consider. MedVault sends it the
//! least that serves (no name, no id, no date, no note: an age band, sex, the active problems,
//! allergies and medications by name, the abnormal results and the insights' titles), with a
//! timeout, behind a circuit breaker. Whenever it does not answer well, the built-in summary is
//! shown instead, saying why. Every sending is audited as a disclosure.
//!
//! The contract: `POST {url}/summarise` with [`SummaryRequest`] → `200` with
//! `{"summary": "...", "suggestions": ["..."]}`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::service::{CallFailed, Service};

/// What the service is sent.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SummaryRequest {
    /// Always `medvault.summary.v1`.
    pub contract: &'static str,
    /// A decade ("50-59"), or "unknown".
    pub age_band: String,
    pub sex: &'static str,
    pub problems: Vec<String>,
    pub allergies: Vec<String>,
    pub medications: Vec<String>,
    pub abnormal_results: Vec<AbnormalResult>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AbnormalResult {
    pub test: String,
    pub loinc: Option<String>,
    pub value: String,
    pub unit: Option<String>,
    pub flag: Option<&'static str>,
    pub trend: Option<&'static str>,
}

/// What the service answers.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SummaryAnswer {
    pub summary: String,
    #[serde(default)]
    pub suggestions: Vec<String>,
}

/// Why the service's summary is not shown, as the summary page says it.
pub fn fallback_in_words(failed: CallFailed) -> &'static str {
    match failed {
        CallFailed::BreakerOpen => "the summary service is failing; not called for now",
        CallFailed::TimedOut => "the summary service did not answer in time",
        CallFailed::Failed => "the summary service could not be used",
    }
}

/// The summary service.
pub struct Assistant {
    pub service: Service,
}

impl Assistant {
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Assistant {
            service: Service::new("summary", url, timeout)?,
        })
    }

    /// Calls the service (the breaker's permit taken), and records the outcome with the breaker.
    pub async fn summarise(
        &self,
        request: &SummaryRequest,
        now: impl Fn() -> chrono::NaiveDateTime,
    ) -> Result<SummaryAnswer, CallFailed> {
        self.service
            .post(
                "/summarise",
                request,
                |answer: &SummaryAnswer| !answer.summary.trim().is_empty(),
                now,
            )
            .await
    }
}
