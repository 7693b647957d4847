//! Imports a page follows while it waits for their answer. The institution's page gives each
//! upload a ticket; while the import runs, its page asks this server how far it has gone, by
//! that ticket, and draws a progress bar. Only the user who sent the file can ask, and a ticket
//! is forgotten when its import ends. Behind a load balancer without sticky sessions the page
//! may ask another server, which knows nothing of it: the page then says the import is under
//! way without a figure, and the answer still comes back as usual.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use medvault_domain::UserId;
use serde::Serialize;

use super::Progress;
use crate::error::AppError;

/// A page's name for one upload: 32 hexadecimal digits it made up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ticket(String);

impl Ticket {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        if raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Ticket(raw.to_ascii_lowercase()))
        } else {
            Err(AppError::invalid("ticket", "must be 32 hexadecimal digits"))
        }
    }
}

/// The imports running on this server that a page follows, by whose they are and their ticket.
#[derive(Clone, Default)]
pub struct Running(Arc<Mutex<HashMap<(UserId, Ticket), Progress>>>);

impl Running {
    /// Follows `progress` under `ticket` until the returned guard is dropped.
    pub fn follow(&self, user: UserId, ticket: Ticket, progress: Progress) -> Following {
        let key = (user, ticket);
        self.entries().insert(key.clone(), progress);
        Following {
            running: self.clone(),
            key,
        }
    }

    /// How far `user`'s import under `ticket` has gone, as its page shows it.
    pub fn seen_by(&self, user: UserId, ticket: Ticket) -> Seen {
        match self.entries().get(&(user, ticket)) {
            Some(progress) => {
                let (done, total) = progress.now();
                Seen {
                    known: true,
                    done,
                    total,
                }
            }
            None => Seen::default(),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<(UserId, Ticket), Progress>> {
        // A panic elsewhere cannot leave a half-made entry: every change is one insert or remove.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An import being followed; it is forgotten when this is dropped, however the import ended.
pub struct Following {
    running: Running,
    key: (UserId, Ticket),
}

impl Drop for Following {
    fn drop(&mut self) {
        self.running.entries().remove(&self.key);
    }
}

/// What a page learns: whether this server runs the import, and rows done of rows in all (0 of
/// 0 while the file is still arriving or being checked).
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Seen {
    pub known: bool,
    pub done: usize,
    pub total: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_is_seen_by_its_sender_only_and_forgotten_when_it_ends() {
        let running = Running::default();
        let (sender, other) = (UserId::new(), UserId::new());
        let ticket = Ticket::parse("0123456789ABCDEF0123456789abcdef").expect("a ticket");
        let progress = Progress::default();
        let following = running.follow(sender, ticket.clone(), progress.clone());
        progress.start(10);
        progress.step();
        let seen = running.seen_by(sender, ticket.clone());
        assert_eq!((seen.known, seen.done, seen.total), (true, 1, 10));
        assert!(!running.seen_by(other, ticket.clone()).known);
        drop(following);
        assert_eq!(running.seen_by(sender, ticket), Seen::default());
        assert!(Ticket::parse("../../etc").is_err());
        assert!(Ticket::parse("0123456789abcdef0123456789abcdeg").is_err());
    }
}
