//! Live sessions remembered in memory, so that a request need not look its session up.
//!
//! Only while word of every change reaches this server (see `medvault_store::watch`: a
//! listener hears what any server sharing the database ends), and only for [`REMEMBER_FOR`]:
//! that is the bound on how late a change is seen should its word be lost, and it is also how
//! fresh the answer stays when the listener is slow. Without a listener (its connection lost)
//! nothing is remembered and every request looks its session up.
//!
//! What this server itself ends it forgets at once, before answering ([`LiveSessions::forget_all`]
//! after the commit); what another server ends is heard within milliseconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use medvault_domain::SessionId;
use medvault_store::repo::sessions::SessionKey;
use medvault_store::watch::SessionNews;

use super::service::Caller;

/// How long a remembered session is trusted.
pub const REMEMBER_FOR: Duration = Duration::from_secs(1);

/// At most this many sessions are remembered; the oldest are dropped first when it is reached.
const CAPACITY: usize = 10_000;

/// What a request presents: an API token's session, or a web cookie's secret (hashed).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Credential {
    Token(SessionId),
    Cookie { secret_hash: String },
}

impl Credential {
    pub fn key(&self) -> SessionKey<'_> {
        match self {
            Credential::Token(id) => SessionKey::Id(*id),
            Credential::Cookie { secret_hash } => SessionKey::SecretHash(secret_hash),
        }
    }
}

/// A live session as last found in the database.
#[derive(Clone, Debug)]
pub struct Found {
    pub caller: Caller,
    pub last_seen_at: NaiveDateTime,
    /// When it stops being live by itself: its expiry, or an intern's last grant's end.
    pub live_until: NaiveDateTime,
}

struct Remembered {
    found: Found,
    at: Instant,
    era: u64,
}

pub struct LiveSessions {
    /// Whether word of changes reaches this server now.
    listening: AtomicBool,
    /// Counts the moments when everything remembered was forgotten: an entry from an earlier
    /// era is never used.
    era: AtomicU64,
    remembered: Mutex<HashMap<Credential, Remembered>>,
}

impl Default for LiveSessions {
    fn default() -> Self {
        LiveSessions {
            listening: AtomicBool::new(false),
            era: AtomicU64::new(0),
            remembered: Mutex::new(HashMap::new()),
        }
    }
}

impl LiveSessions {
    /// Takes in the listener's news.
    pub fn hear(&self, news: SessionNews) {
        match news {
            SessionNews::Listening => {
                self.forget_all();
                self.listening.store(true, Ordering::SeqCst);
            }
            SessionNews::Changed => self.forget_all(),
            SessionNews::Deaf => {
                self.listening.store(false, Ordering::SeqCst);
                self.forget_all();
            }
        }
    }

    /// Forgets every remembered session: one was ended, or an account changed.
    pub fn forget_all(&self) {
        self.era.fetch_add(1, Ordering::SeqCst);
    }

    /// The current era, to be taken before looking a session up and given to [`Self::remember`].
    pub fn era(&self) -> u64 {
        self.era.load(Ordering::SeqCst)
    }

    /// The session behind `credential`, if remembered, still trusted, and live at `now`.
    pub fn recall(&self, credential: &Credential, now: NaiveDateTime) -> Option<Found> {
        if !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        let era = self.era();
        let remembered = self.lock();
        let entry = remembered.get(credential)?;
        (entry.era == era && entry.at.elapsed() < REMEMBER_FOR && now < entry.found.live_until)
            .then(|| entry.found.clone())
    }

    /// Remembers a session found in the database by a look-up that began in era `era`, unless
    /// something was forgotten since: the look-up may have read what has since ended.
    pub fn remember(&self, credential: Credential, found: Found, era: u64) {
        if !self.listening.load(Ordering::SeqCst) {
            return;
        }
        let mut remembered = self.lock();
        if self.era() != era {
            return;
        }
        if remembered.len() >= CAPACITY {
            remembered.retain(|_, entry| entry.era == era && entry.at.elapsed() < REMEMBER_FOR);
        }
        if remembered.len() >= CAPACITY {
            return;
        }
        let at = Instant::now();
        remembered.insert(credential, Remembered { found, at, era });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Credential, Remembered>> {
        self.remembered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medvault_domain::{Actor, Role, UserId};

    fn found(live_until: NaiveDateTime) -> Found {
        Found {
            caller: Caller {
                actor: Actor {
                    user_id: UserId::new(),
                    role: Role::Doctor,
                    patient_id: None,
                },
                session_id: SessionId::new(),
                name: "Dr Who".into(),
                email: "who@example.org".into(),
            },
            last_seen_at: live_until - chrono::Duration::hours(1),
            live_until,
        }
    }

    fn now() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .expect("time")
            .naive_utc()
    }

    #[test]
    fn nothing_is_remembered_while_not_listening() {
        let live = LiveSessions::default();
        let credential = Credential::Token(SessionId::new());
        live.remember(
            credential.clone(),
            found(now() + chrono::Duration::hours(1)),
            live.era(),
        );
        assert!(live.recall(&credential, now()).is_none());
        live.hear(SessionNews::Listening);
        live.remember(
            credential.clone(),
            found(now() + chrono::Duration::hours(1)),
            live.era(),
        );
        assert!(live.recall(&credential, now()).is_some());
        live.hear(SessionNews::Deaf);
        assert!(live.recall(&credential, now()).is_none());
    }

    #[test]
    fn a_change_forgets_everything_even_what_was_being_looked_up() {
        let live = LiveSessions::default();
        live.hear(SessionNews::Listening);
        let credential = Credential::Token(SessionId::new());
        let before = live.era();
        live.remember(
            credential.clone(),
            found(now() + chrono::Duration::hours(1)),
            before,
        );
        live.hear(SessionNews::Changed);
        assert!(live.recall(&credential, now()).is_none(), "forgotten");
        // A look-up that began before the change may have read an ended session.
        live.remember(
            credential.clone(),
            found(now() + chrono::Duration::hours(1)),
            before,
        );
        assert!(live.recall(&credential, now()).is_none(), "not remembered");
    }

    #[test]
    fn a_session_is_not_recalled_past_its_end_or_past_the_trust_period() {
        let live = LiveSessions::default();
        live.hear(SessionNews::Listening);
        let credential = Credential::Token(SessionId::new());
        live.remember(
            credential.clone(),
            found(now() + chrono::Duration::seconds(5)),
            live.era(),
        );
        assert!(live.recall(&credential, now()).is_some());
        assert!(
            live.recall(&credential, now() + chrono::Duration::seconds(5))
                .is_none()
        );
        std::thread::sleep(REMEMBER_FOR);
        assert!(live.recall(&credential, now()).is_none());
    }
}
