//! Stable query plans on SQLite.
//!
//! SQLite may plan a statement around the value bound to a parameter (a `LIMIT ?`, a range
//! bound, a partial index's condition). It then marks the statement to be planned again as
//! soon as that parameter is bound afresh, which diesel does on every execution: every cached
//! statement was parsed and planned anew on each request, a quarter of a read's CPU time.
//! The query planner stability guarantee (QPSG) makes the plan independent of bound values,
//! so a cached statement stays prepared. Our statements are keyed lookups whose best plan does
//! not depend on the values.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Turns QPSG on for every SQLite connection this process opens from now on.
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: `stable_plans` has the signature SQLite's auto-extension entry points have,
        // and is a plain function that lives as long as the process.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(stable_plans)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(
                rc,
                "SQLite plans stay value-dependent: auto-extension refused"
            );
        }
    });
}

/// Called by SQLite for each connection it opens, with that connection.
unsafe extern "C" fn stable_plans(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened; this option takes an int and an optional
    // pointer to an int that receives the new setting (none here).
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_opened_after_install_keep_their_plans() {
        install();
        let mut db = std::ptr::null_mut();
        // SAFETY: a fresh in-memory connection, closed at the end; the option is read into an
        // int that lives across the call (a negative first argument reads without changing).
        unsafe {
            assert_eq!(
                ffi::sqlite3_open(c":memory:".as_ptr(), &mut db),
                ffi::SQLITE_OK
            );
            let mut enabled: c_int = -1;
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as c_int,
                &mut enabled,
            );
            ffi::sqlite3_close(db);
            assert_eq!(enabled, 1);
        }
    }
}
