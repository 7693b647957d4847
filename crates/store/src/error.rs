use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such row")]
    NotFound,
    /// A uniqueness rule was broken; the string names the rule, never the value.
    #[error("conflict with existing data ({0})")]
    Conflict(String),
    /// No connection could be had in time, or the database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The connection broke under a unit of work (the database restarted, say): another
    /// connection may well work.
    #[error("connection to the database lost: {0}")]
    ConnectionLost(String),
    /// A stored value did not parse back into its domain type.
    #[error("corrupt value in {0}")]
    Corrupt(&'static str),
    #[error("database error: {0}")]
    Database(#[source] DieselError),
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Conflict(info.constraint_name().unwrap_or("unique").to_owned())
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => StoreError::ConnectionLost(info.message().to_owned()),
            other => StoreError::Database(other),
        }
    }
}

impl StoreError {
    /// Whether the connection itself failed (the database went away, or the link to it broke):
    /// worth one retry on a fresh connection, and a sign to let this one go.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, StoreError::ConnectionLost(_))
    }
}

/// What a unit of work may fail with: the store's own errors, or errors that can carry them.
pub trait WorkError: From<StoreError> {
    /// Whether the failure was the connection's (see [`StoreError::is_connection_lost`]).
    fn connection_lost(&self) -> bool;
}

impl WorkError for StoreError {
    fn connection_lost(&self) -> bool {
        self.is_connection_lost()
    }
}
