//! The insurer's eligibility service (`MEDVAULT_INSURANCE_URL`): asked, when a visit is booked,
//! whether the patient's coverage pays for it. MedVault sends the payer, the member number and
//! the visit's date, nothing else, with a timeout, behind a circuit breaker. A booking never
//! waits for an insurer that fails: it is kept with its eligibility pending verification, and
//! the eligibility job asks again later (`appointments::eligibility`).
//!
//! The contract: `POST {url}/eligibility` with `{"payer", "member_id", "service_date":
//! "YYYY-MM-DD"}` → `200 {"eligible": true|false, "reason": "..."}`.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::service::{CallFailed, Service};

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EligibilityRequest {
    pub payer: String,
    pub member_id: String,
    pub service_date: NaiveDate,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct EligibilityAnswer {
    pub eligible: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

pub struct Insurer {
    pub service: Service,
}

impl Insurer {
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Insurer {
            service: Service::new("insurance", url, timeout)?,
        })
    }

    /// Asks about one visit, if the breaker lets the call through.
    pub async fn check(
        &self,
        request: &EligibilityRequest,
        now: impl Fn() -> NaiveDateTime,
    ) -> Result<EligibilityAnswer, CallFailed> {
        if !self.service.may_call(now()) {
            return Err(CallFailed::BreakerOpen);
        }
        self.service
            .post("/eligibility", request, |_: &EligibilityAnswer| true, now)
            .await
    }
}

/// Why a visit's eligibility is still pending, as staff and the patient read it.
pub fn pending_because(failed: CallFailed) -> &'static str {
    match failed {
        CallFailed::BreakerOpen => "the insurer is failing; it will be asked again shortly",
        CallFailed::TimedOut => "the insurer did not answer in time; it will be asked again",
        CallFailed::Failed => "the insurer could not be asked; it will be asked again",
    }
}
