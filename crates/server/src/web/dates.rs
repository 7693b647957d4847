//! Dates and times as pages show them, written from their fields: a chart page shows hundreds,
//! and `chrono`'s `format` parses its pattern again for every one.

use std::fmt;

use chrono::{Datelike, NaiveDateTime, Timelike};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A day: "4 Dec 2026" (strftime's `%-d %b %Y`).
pub struct Day<T>(pub T);

impl<T: Datelike> fmt::Display for Day<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = &self.0;
        let month = MONTHS.get(date.month0() as usize).copied().unwrap_or("?");
        write!(f, "{} {month} {:04}", date.day(), date.year())
    }
}

/// The time of day to the minute: "09:05" (`%H:%M`).
pub struct Clock(pub NaiveDateTime);

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

/// A day and the time to the minute: "4 Dec 2026 09:05" (`%-d %b %Y %H:%M`).
pub struct Minute(pub NaiveDateTime);

impl fmt::Display for Minute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Day(self.0), Clock(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_the_patterns_they_replace() {
        let times = [
            (2026, 12, 4, 9, 5),
            (2027, 1, 31, 23, 59),
            (999, 6, 1, 0, 0),
        ];
        for (year, month, day, hour, minute) in times {
            let at = chrono::NaiveDate::from_ymd_opt(year, month, day)
                .and_then(|d| d.and_hms_opt(hour, minute, 30))
                .expect("time");
            assert_eq!(Day(at).to_string(), at.format("%-d %b %Y").to_string());
            assert_eq!(
                Day(at.date()).to_string(),
                at.format("%-d %b %Y").to_string()
            );
            assert_eq!(
                Minute(at).to_string(),
                at.format("%-d %b %Y %H:%M").to_string()
            );
        }
    }
}
