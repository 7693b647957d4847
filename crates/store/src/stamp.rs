//! Timestamps read from SQLite by hand.
//!
//! SQLite keeps a timestamp as text, `2026-12-05 23:04:43.550415587` as diesel writes it.
//! diesel reads it back with chrono's format parser, which interprets a format string for every
//! value: at a hospital's size that was a twentieth of a chart page's CPU (a page reads about 150
//! rows). Rows on the hot read paths mark their timestamp fields
//! `#[diesel(deserialize_as = Stamp)]`, which reads diesel's own layout directly and leaves
//! anything else to diesel. PostgreSQL sends timestamps as binary and is read as before.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteValue};

use crate::connection::MultiBackend;

/// A stored timestamp, read as [`NaiveDateTime`].
#[derive(Debug, Clone, Copy, FromSqlRow)]
pub(crate) struct Stamp(NaiveDateTime);

impl From<Stamp> for NaiveDateTime {
    fn from(stamp: Stamp) -> Self {
        stamp.0
    }
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        match written_by_diesel(value.read_text()) {
            Some(stamp) => Ok(Stamp(stamp)),
            // Any other spelling SQLite may hold, read as diesel reads it.
            None => <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Stamp),
        }
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, MultiBackend> for Stamp {
    fn from_sql(value: crate::connection::MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

/// `YYYY-MM-DD HH:MM:SS`, optionally with a fraction of one to nine digits: the layout diesel
/// writes (`%F %T%.f`). `None` for anything else, or for a date or time that does not exist.
fn written_by_diesel(text: &str) -> Option<NaiveDateTime> {
    const LAYOUT: &[u8; 19] = b"0000-00-00 00:00:00";
    let (whole, fraction) = text.split_at_checked(LAYOUT.len())?;
    let fits = whole
        .bytes()
        .zip(LAYOUT)
        .all(|(byte, &wanted)| match wanted {
            b'0' => byte.is_ascii_digit(),
            mark => byte == mark,
        });
    if !fits {
        return None;
    }
    let field = |at: std::ops::Range<usize>| whole.get(at)?.parse::<u32>().ok();
    let nanos = match fraction.strip_prefix('.') {
        None if fraction.is_empty() => 0,
        Some(digits)
            if (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(field(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, field(5..7)?, field(8..10)?)?.and_hms_nano_opt(
        field(11..13)?,
        field(14..16)?,
        field(17..19)?,
        nanos,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_diesel_writes_as_chrono_would() {
        for text in [
            "2026-12-05 23:04:43.550415587",
            "2026-12-05 23:04:43.5",
            "2026-12-05 23:04:43",
            "2024-02-29 00:00:00.000001",
            "0001-01-01 00:00:00",
        ] {
            let chrono = NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
            assert_eq!(written_by_diesel(text), Some(chrono), "{text}");
        }
    }

    #[test]
    fn leaves_other_spellings_and_impossible_dates_to_diesel() {
        for text in [
            "2026-12-05T23:04:43",
            "2026-12-05 23:04",
            "2026-12-05 23:04:43.",
            "2026-12-05 23:04:43.1234567890",
            "2026-12-05 23:04:43Z",
            "2026-02-30 10:00:00",
            "2026-12-05 24:00:00",
            "2026-1x-05 10:00:00",
            "",
        ] {
            assert_eq!(written_by_diesel(text), None, "{text}");
        }
    }
}
