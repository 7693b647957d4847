//! Whether the patient's insurer covers a visit: asked once the booking has committed, and
//! again by a background job on every server for the visits left pending (the insurer failed,
//! timed out, or its breaker was open). A visit's next check is claimed with a conditional
//! update, so two servers do not ask about the same visit at once; each failure waits twice as
//! long before the next try, up to an hour. Every asking sends the payer and member number
//! outside MedVault, and is audited as a disclosure.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use medvault_domain::AuditAction;
use medvault_domain::appointments::Eligibility;
use medvault_store::Outcome;
use medvault_store::repo::appointments::{self as stored, Appointment};
use medvault_store::repo::institutions as places;

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::outside::insurer::{EligibilityRequest, Insurer, pending_because};
use crate::outside::service::CallFailed;

/// How often a server looks for visits to ask about again.
const POLL: StdDuration = StdDuration::from_secs(2);

/// How long a claimed check may take before another server may take it; a new visit's own
/// check, made by the server that booked it, has as long before the job may take it.
pub const LEASE: Duration = Duration::seconds(60);

/// The wait after a visit's first failed check; each later one waits twice as long.
const FIRST_RETRY: Duration = Duration::seconds(30);

/// The longest wait between checks.
const LONGEST_RETRY: Duration = Duration::hours(1);

/// When to ask again after `attempts` checks that failed.
pub fn retry_after(now: NaiveDateTime, attempts: i32) -> NaiveDateTime {
    let doublings = u32::try_from(attempts.clamp(0, 8)).unwrap_or(0);
    now + (FIRST_RETRY * 2_i32.pow(doublings)).min(LONGEST_RETRY)
}

/// Asks about a visit just booked or moved, if it is pending and an insurer is configured; the
/// visit as it then stands. A failure to ask leaves it pending, never fails the booking.
pub async fn check(state: &AppState, meta: &RequestMeta, visit: Appointment) -> Appointment {
    match &state.insurer {
        Some(insurer) if visit.eligibility == Eligibility::Pending => {
            let insurer = insurer.clone();
            match ask(state, meta, &insurer, &visit).await {
                Ok(checked) => checked,
                Err(error) => {
                    tracing::warn!(error = %error.public_message(), "cannot record a visit's eligibility");
                    visit
                }
            }
        }
        _ => visit,
    }
}

/// Asks the insurer about one visit and records the answer, or why there is none.
async fn ask(
    state: &AppState,
    meta: &RequestMeta,
    insurer: &Insurer,
    visit: &Appointment,
) -> Result<Appointment, AppError> {
    let (patient, institution) = (visit.patient_id, visit.institution_id);
    let (coverage, place) = state
        .read(move |conn| {
            Ok((
                stored::coverage(conn, patient)?,
                places::find(conn, institution)?,
            ))
        })
        .await?;
    let answer = match (coverage, place) {
        (Some(coverage), Some(place)) => {
            let request = EligibilityRequest {
                payer: coverage.payer,
                member_id: coverage.member_id,
                service_date: place.time_zone.local(visit.slot.starts).date(),
            };
            Some(insurer.check(&request, || state.now()).await)
        }
        _ => None,
    };
    let now = state.now();
    let (eligibility, reason, again) = match &answer {
        None => (Eligibility::NoCoverage, None, None),
        Some(Ok(said)) if said.eligible => (Eligibility::Verified, said.reason.clone(), None),
        Some(Ok(said)) => (Eligibility::NotCovered, said.reason.clone(), None),
        Some(Err(failed)) => (
            Eligibility::Pending,
            Some(pending_because(*failed).to_owned()),
            Some(retry_after(now, visit.eligibility_attempts)),
        ),
    };
    metrics::counter!("medvault_eligibility_checks_total", "outcome" => eligibility.as_str())
        .increment(1);
    // The payer and member number left MedVault unless the breaker kept them in.
    let disclosed = match &answer {
        Some(Ok(_)) => Some(Outcome::Success),
        Some(Err(CallFailed::BreakerOpen)) | None => None,
        Some(Err(_)) => Some(Outcome::Failure),
    };
    let host = insurer.service.host().to_owned();
    let visit = visit.clone();
    state
        .write_audited(now, meta, move |conn, trail| {
            stored::set_eligibility(conn, &visit, (eligibility, reason.as_deref()), now, again)?;
            if let Some(outcome) = disclosed {
                trail.record(
                    Event::anonymous(AuditAction::EligibilityDisclose, outcome)
                        .resource(visit.id)
                        .patient(visit.patient_id)
                        .reason(format!("asked the insurer at {host}")),
                );
            }
            stored::find(conn, visit.id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// Asks again about the visits left pending, on this server, until it stops.
pub async fn run(state: AppState) {
    let Some(insurer) = state.insurer.clone() else {
        return;
    };
    let mut every = tokio::time::interval(POLL);
    loop {
        every.tick().await;
        if let Err(error) = verify_due(&state, &insurer).await {
            tracing::warn!(error = %error.public_message(), "cannot verify pending eligibility");
        }
    }
}

/// One round of the job: the visits due, each claimed and asked about. How many were asked.
async fn verify_due(state: &AppState, insurer: &Arc<Insurer>) -> Result<usize, AppError> {
    let now = state.now();
    let due = state
        .read(move |conn| Ok(stored::unverified(conn, now, 20)?))
        .await?;
    let meta = RequestMeta {
        correlation_id: "eligibility-job".into(),
        ..RequestMeta::default()
    };
    let mut asked = 0;
    for visit in due {
        let claimed = visit.clone();
        let lease_until = now + LEASE;
        let won = state
            .write(move |conn| Ok(stored::claim_check(conn, &claimed, lease_until)?))
            .await?;
        if won {
            ask(state, &meta, insurer, &visit).await?;
            asked += 1;
        }
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failed_check_waits_twice_as_long_up_to_an_hour() {
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc();
        assert_eq!(retry_after(now, 0) - now, Duration::seconds(30));
        assert_eq!(retry_after(now, 1) - now, Duration::seconds(60));
        assert_eq!(retry_after(now, 3) - now, Duration::seconds(240));
        assert_eq!(retry_after(now, 20) - now, Duration::hours(1));
    }
}
