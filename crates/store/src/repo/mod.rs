//! Repository functions, one module per table. Each takes the connection it runs on, so that a
//! use case can put several of them (and its audit entry) in one transaction.

/// Runs `$query` (an expression over the connection `$c`) on the connection's own backend
/// rather than through `DbConnection`. diesel's connection over several backends writes a
/// query's SQL out anew on every execution, even when the statement is prepared already; for
/// the queries that every request makes that was a tenth of the server's time.
macro_rules! natively {
    ($conn:expr, |$c:ident| $query:expr) => {
        match $conn {
            $crate::DbConnection::Postgres($c) => $query,
            $crate::DbConnection::Sqlite($c) => $query,
        }
    };
}

/// The ties of chart `$patient` in the table `$tie`, each joined to the user its `$person`
/// column names (the care team, the trainee links and the guardians are read so).
macro_rules! ties_with_users {
    ($tie:ident, $person:ident, $patient:expr) => {
        $tie::table
            .inner_join(
                $crate::schema::users::table.on($crate::schema::users::id.eq($tie::$person)),
            )
            .filter($tie::patient_id.eq($patient))
    };
}

/// The people tied to chart `$patient` by the table `$tie` (its `$person` column), with their
/// names, earliest tie (`$since`) first: one statement, prepared once.
macro_rules! tied_people {
    ($conn:expr, $patient:expr, $tie:ident, $person:ident, $since:ident) => {
        natively!($conn, |c| $crate::repo::prepared_once(
            ties_with_users!($tie, $person, $patient.to_string())
                .select(($tie::$person, $crate::schema::users::name))
                .order($tie::$since.asc())
        )
        .load::<(String, String)>(c))?
        .into_iter()
        .map(|(id, name)| Ok(($crate::rows::parse(stringify!($tie), &id)?, name)))
        .collect()
    };
}

/// The people tied to chart `$patient` by `$tie` (its `$person` column, since `$since`), as rows
/// of [`everyone_tied`]'s union, each row's columns given to `$shape`.
macro_rules! tie_rows {
    ($tie:ident, $person:ident, $since:ident, $which:expr, $patient:expr, $shape:path) => {
        ties_with_users!($tie, $person, $patient).select($shape((
            $which.into_sql::<diesel::sql_types::Integer>(),
            $tie::$person,
            $crate::schema::users::name,
            $tie::$since,
        )))
    };
}

/// Everyone tied to chart `$patient` (a bound id), by each tie, as the rows of one union: which
/// tie (`repo::tied`), who, their name, and since when; each row's columns given to `$shape`.
macro_rules! everyone_tied {
    ($patient:expr, $shape:path) => {{
        use $crate::repo::tied::{CARE_TEAM, GUARDIAN, TRAINEE};
        use $crate::schema::{care_team, guardians, trainee_links};
        tie_rows!(
            care_team,
            doctor_id,
            created_at,
            CARE_TEAM,
            $patient.clone(),
            $shape
        )
        .union_all(tie_rows!(
            trainee_links,
            trainee_id,
            created_at,
            TRAINEE,
            $patient.clone(),
            $shape
        ))
        .union_all(tie_rows!(
            guardians,
            guardian_id,
            added_at,
            GUARDIAN,
            $patient.clone(),
            $shape
        ))
    }};
}

pub mod access;
pub mod alerts;
pub mod allergies;
pub mod appointments;
pub mod audit;
mod audit_pg;
pub mod care_team;
pub mod chart;
pub mod files;
pub mod idempotency;
pub mod institutions;
pub mod lab_reports;
pub mod lab_results;
pub mod patients;
mod pg_json;
pub mod prescriptions;
pub mod problems;
pub mod records;
pub mod sessions;
pub mod throttle;
pub mod tied;
pub mod users;

/// `query`, checked when the program is built (not by `cargo check`) to have one SQL text
/// whatever values are bound to it (a static query id). diesel then finds its prepared
/// statement by its type: its SQL is written, parsed and planned once per connection. A query
/// without one (a list of values compared with `eq_any`, a boxed query) has its SQL written out
/// on every call, and SQLite parses and plans it on every call too. The statements that every
/// request makes go through this, so that a change cannot make them so unnoticed.
pub(crate) fn prepared_once<Q: diesel::query_builder::QueryId>(query: Q) -> Q {
    const {
        assert!(
            Q::HAS_STATIC_QUERY_ID,
            "this query's SQL would be written anew on every call"
        )
    };
    query
}

/// Why an edit was not made.
#[derive(Debug, PartialEq, Eq)]
pub enum EditRefused {
    /// It has changed since the version the edit was made on; this is the current one.
    Stale {
        current: i64,
    },
    NotFound,
}

/// The outcome of an update guarded by a version: what it changed `changed` rows of, as read
/// back afterwards (`after`). Changed: the edit was made; unchanged but there: it was made on a
/// version that is no longer current.
pub(crate) fn edited<T>(
    changed: usize,
    after: Option<T>,
    version: impl Fn(&T) -> i64,
) -> Result<T, EditRefused> {
    match after {
        Some(row) if changed == 1 => Ok(row),
        Some(row) => Err(EditRefused::Stale {
            current: version(&row),
        }),
        None => Err(EditRefused::NotFound),
    }
}

/// The most rows one page may hold, whatever the caller asks.
pub const MAX_PAGE: usize = 200;

pub(crate) fn clamp_limit(limit: usize) -> i64 {
    limit.clamp(1, MAX_PAGE) as i64 + 1
}

diesel::define_sql_function! {
    /// SQL's `lower`, which both backends have.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `text` as a `LIKE` pattern (with `\\` as the escape) that matches it anywhere, its own `%`,
/// `_` and `\\` taken literally.
pub(crate) fn containing(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::containing;

    #[test]
    fn search_text_is_taken_literally() {
        assert_eq!(containing("ana"), "%ana%");
        assert_eq!(containing("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
