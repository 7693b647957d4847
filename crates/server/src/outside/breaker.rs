//! A circuit breaker for a service outside MedVault. Closed, it lets calls through and keeps the
//! outcomes of the last [`WINDOW`]; when more than half of them failed (and at least
//! [`MIN_CALLS`] were made) it opens, and calls fail fast without being made. After
//! [`OPEN_FOR`] it half-opens: one trial call goes through, and its outcome closes the breaker
//! or opens it again. Time is the caller's (the application's clock), so tests move it.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{Duration, NaiveDateTime};

/// Outcomes remembered while closed.
pub const WINDOW: usize = 20;
/// Calls needed before the failure rate counts.
pub const MIN_CALLS: usize = 4;
/// How long the breaker stays open before a trial call.
pub const OPEN_FOR: Duration = Duration::seconds(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed,
    Open {
        until: NaiveDateTime,
    },
    /// One trial call is out; the others fail fast until it returns.
    HalfOpen,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open { .. } => "open",
            State::HalfOpen => "half-open",
        }
    }
}

pub struct Breaker {
    name: &'static str,
    inner: Mutex<Inner>,
}

struct Inner {
    state: State,
    outcomes: VecDeque<bool>,
}

/// Why a call was not made.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused;

impl Breaker {
    pub fn new(name: &'static str) -> Self {
        Breaker {
            name,
            inner: Mutex::new(Inner {
                state: State::Closed,
                outcomes: VecDeque::with_capacity(WINDOW),
            }),
        }
    }

    pub fn state(&self) -> State {
        self.inner.lock().map_or(State::Closed, |inner| inner.state)
    }

    /// Whether a call may be made now: always while closed; once after the open time (the
    /// trial); never otherwise.
    pub fn permit(&self, now: NaiveDateTime) -> Result<(), Refused> {
        let Ok(mut inner) = self.inner.lock() else {
            return Err(Refused);
        };
        match inner.state {
            State::Closed => Ok(()),
            State::Open { until } if now >= until => {
                self.enter(&mut inner, State::HalfOpen);
                Ok(())
            }
            State::Open { .. } | State::HalfOpen => {
                metrics::counter!("medvault_outside_calls_total", "service" => self.name, "outcome" => "refused").increment(1);
                Err(Refused)
            }
        }
    }

    /// Records a call's outcome.
    pub fn record(&self, now: NaiveDateTime, success: bool) {
        let outcome = if success { "success" } else { "failure" };
        metrics::counter!("medvault_outside_calls_total", "service" => self.name, "outcome" => outcome).increment(1);
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        match inner.state {
            State::HalfOpen if success => {
                inner.outcomes.clear();
                self.enter(&mut inner, State::Closed);
            }
            State::HalfOpen => self.enter(
                &mut inner,
                State::Open {
                    until: now + OPEN_FOR,
                },
            ),
            State::Closed => {
                if inner.outcomes.len() == WINDOW {
                    inner.outcomes.pop_front();
                }
                inner.outcomes.push_back(success);
                let failures = inner.outcomes.iter().filter(|ok| !**ok).count();
                if inner.outcomes.len() >= MIN_CALLS && failures * 2 > inner.outcomes.len() {
                    inner.outcomes.clear();
                    self.enter(
                        &mut inner,
                        State::Open {
                            until: now + OPEN_FOR,
                        },
                    );
                }
            }
            // A call that was let through before the breaker opened.
            State::Open { .. } => {}
        }
    }

    fn enter(&self, inner: &mut Inner, state: State) {
        if inner.state.as_str() != state.as_str() {
            tracing::warn!(
                service = self.name,
                from = inner.state.as_str(),
                to = state.as_str(),
                "circuit breaker"
            );
        }
        inner.state = state;
        let gauge = match state {
            State::Closed => 0.0,
            State::HalfOpen => 1.0,
            State::Open { .. } => 2.0,
        };
        metrics::gauge!("medvault_outside_breaker_state", "service" => self.name).set(gauge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::UNIX_EPOCH.naive_utc() + Duration::seconds(seconds)
    }

    #[test]
    fn it_opens_above_half_failures_fails_fast_and_half_opens_after_ten_seconds() {
        let breaker = Breaker::new("test");
        // Two failures in four calls is half: not above it.
        for ok in [true, false, true, false] {
            assert_eq!(breaker.permit(at(0)), Ok(()));
            breaker.record(at(0), ok);
        }
        assert_eq!(breaker.state(), State::Closed);
        breaker.record(at(1), false);
        assert_eq!(breaker.state(), State::Open { until: at(11) });
        assert_eq!(breaker.permit(at(5)), Err(Refused), "fails fast while open");
        assert_eq!(breaker.permit(at(11)), Ok(()), "a trial after ten seconds");
        assert_eq!(breaker.state(), State::HalfOpen);
        assert_eq!(breaker.permit(at(11)), Err(Refused), "one trial at a time");
        breaker.record(at(12), false);
        assert_eq!(
            breaker.state(),
            State::Open { until: at(22) },
            "a failed trial opens it again"
        );
        assert_eq!(breaker.permit(at(22)), Ok(()));
        breaker.record(at(22), true);
        assert_eq!(breaker.state(), State::Closed, "a good trial closes it");
        assert_eq!(breaker.permit(at(22)), Ok(()));
    }

    #[test]
    fn a_few_early_failures_do_not_open_it() {
        let breaker = Breaker::new("test");
        for _ in 0..MIN_CALLS - 1 {
            breaker.record(at(0), false);
        }
        assert_eq!(breaker.state(), State::Closed);
    }
}
