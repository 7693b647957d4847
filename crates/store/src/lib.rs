//! MedVault's storage: one diesel schema over PostgreSQL and SQLite, the embedded migrations, the
//! pool, and repository functions. Nothing here knows about HTTP; the server calls repositories
//! inside [`Store::read`] or [`Store::write`] and never sees a connection type otherwise.

mod checkpoint;
mod connection;
pub mod dump;
mod error;
pub mod group;
pub mod repo;
mod rows;
pub mod schema;
mod sqlite_plans;
mod stamp;
pub mod watch;

pub use connection::{Backend, DbConnection, Store, StoreOptions};
pub use error::{StoreError, WorkError};
pub use repo::audit::{AuditEntry, AuditFilter, AuditRow, ChainCheck, Outcome};
pub use repo::patients::{NewPatient, Patient};
pub use repo::records::{NewRecord, Record};
pub use repo::sessions::{Session, SessionKind};
pub use repo::users::{NewUser, User, UserFilter};

/// A page of a keyset-paginated list: the items and the cursor for the next page, if any.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
    pub(crate) fn from_overfetch(
        mut items: Vec<T>,
        limit: usize,
        cursor_of: impl Fn(&T) -> String,
    ) -> Self {
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor_of)
        } else {
            None
        };
        Page { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_holds_at_most_limit_items_and_says_whether_more_follow() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, [1, 2]);
        assert_eq!(page.next.as_deref(), Some("2"));
        let last = Page::from_overfetch(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next, None);
    }

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(Backend::of_url("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("./data/medvault.db"), Backend::Sqlite);
        assert_eq!(
            Backend::of_url("sqlite://data/medvault.db"),
            Backend::Sqlite
        );
    }
}
