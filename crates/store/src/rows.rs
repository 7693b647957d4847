//! Turning stored strings back into domain values.

use std::str::FromStr;

use crate::StoreError;

/// Parses a stored value, reporting the table (never the value) if it does not parse.
pub(crate) fn parse<T: FromStr>(table: &'static str, raw: &str) -> Result<T, StoreError> {
    raw.parse().map_err(|_| StoreError::Corrupt(table))
}

pub(crate) fn parse_opt<T: FromStr>(
    table: &'static str,
    raw: Option<&str>,
) -> Result<Option<T>, StoreError> {
    raw.map(|value| parse(table, value)).transpose()
}
