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

use super::breaker::Breaker;

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

/// Why the service's summary is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// The breaker is open after too many failures: the service was not called.
    BreakerOpen,
    TimedOut,
    /// It could not be reached, or answered with an error or something else than the contract.
    Failed,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::BreakerOpen => "the summary service is failing; not called for now",
            Fallback::TimedOut => "the summary service did not answer in time",
            Fallback::Failed => "the summary service could not be used",
        }
    }
}

pub struct Assistant {
    url: String,
    client: outbound::Client,
    timeout: Duration,
    pub breaker: Breaker,
}

impl Assistant {
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = outbound::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Assistant {
            url: url.trim_end_matches('/').to_owned(),
            client,
            timeout,
            breaker: Breaker::new("summary"),
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

    /// Whether the breaker lets a call through now.
    pub fn may_call(&self, now: chrono::NaiveDateTime) -> bool {
        self.breaker.permit(now).is_ok()
    }

    /// Calls the service (the breaker's permit taken), and records the outcome with the breaker.
    pub async fn summarise(
        &self,
        request: &SummaryRequest,
        now: impl Fn() -> chrono::NaiveDateTime,
    ) -> Result<SummaryAnswer, Fallback> {
        let sent = self
            .client
            .post(format!("{}/summarise", self.url))
            .json(request)
            .send();
        let answer = match tokio::time::timeout(self.timeout, sent).await {
            Err(_) => Err(Fallback::TimedOut),
            Ok(Err(error)) if error.is_timeout() => Err(Fallback::TimedOut),
            Ok(Err(_)) => Err(Fallback::Failed),
            Ok(Ok(response)) if !response.status().is_success() => Err(Fallback::Failed),
            Ok(Ok(response)) => {
                match tokio::time::timeout(self.timeout, response.json::<SummaryAnswer>()).await {
                    Ok(Ok(answer)) if !answer.summary.trim().is_empty() => Ok(answer),
                    Ok(_) => Err(Fallback::Failed),
                    Err(_) => Err(Fallback::TimedOut),
                }
            }
        };
        self.breaker.record(now(), answer.is_ok());
        answer
    }
}
