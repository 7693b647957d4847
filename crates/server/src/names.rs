//! The names behind ids: what pages show where audit entries, grants and ties hold the ids of
//! users and charts. Read in the transaction of the use case that found the ids.

use std::collections::HashMap;

use medvault_domain::{PatientId, UserId};
use medvault_store::DbConnection;
use medvault_store::repo::{patients, users};

use crate::error::AppError;

/// Names by user id and by chart id.
pub type Names = HashMap<String, String>;

/// The names of the users and charts in `ids`, pairs of (user id, chart id).
pub fn of(
    conn: &mut DbConnection,
    ids: impl Iterator<Item = (Option<String>, Option<String>)>,
) -> Result<Names, AppError> {
    let (users, charts): (Vec<Option<String>>, Vec<Option<String>>) = ids.unzip();
    // Entries from before an id was typed may hold text that is no id: they name nobody.
    let users: Vec<UserId> = users
        .iter()
        .flatten()
        .filter_map(|id| id.parse().ok())
        .collect();
    let charts: Vec<PatientId> = charts
        .iter()
        .flatten()
        .filter_map(|id| id.parse().ok())
        .collect();
    let mut names: Names = users::names(conn, &users)?.into_iter().collect();
    names.extend(patients::names(conn, &charts)?);
    Ok(names)
}
