//! Appointments: a doctor's weekly hours at an institution, the slots they offer, and what makes
//! a booking a booking.
//!
//! Hours are kept in the institution's wall-clock time (a clinic opens at 09:00 in summer and in
//! winter); slots and appointments are instants, stored in UTC. A slot that falls in the hour a
//! clock skips in spring is not offered; in the hour repeated in autumn, its first occurrence is.
//!
//! No double booking is the database's to enforce: a booking claims every [`GRANULE_MINUTES`]
//! mark its visit covers under a key unique per doctor, so two visits of one doctor can never
//! overlap, whatever their lengths or institutions (see the store's `appointments`).

use chrono::{
    Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Timelike,
    Weekday,
};

use crate::institutions::TimeZone;
use crate::values::{InvalidValue, bounded_text};

/// The grain of the schedule: hours, slot lengths and visits start and end on these marks.
pub const GRANULE_MINUTES: u32 = 5;

/// The longest a visit may last.
pub const LONGEST_SLOT_MINUTES: u32 = 240;

/// The longest span one slot search covers.
pub const LONGEST_SEARCH_DAYS: i64 = 62;

/// Hours on one day of the week, in the institution's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeeklyHours {
    pub weekday: Weekday,
    pub starts: NaiveTime,
    pub ends: NaiveTime,
}

/// A doctor's availability at one institution: their weekly hours, cut into slots of one length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    pub slot_minutes: u32,
    pub hours: Vec<WeeklyHours>,
}

/// Days a doctor does not see patients (leave, a holiday), both ends included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeOff {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// One bookable visit, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub starts: NaiveDateTime,
    pub ends: NaiveDateTime,
}

fn on_grain(time: NaiveTime) -> bool {
    time.second() == 0 && time.nanosecond() == 0 && time.minute().is_multiple_of(GRANULE_MINUTES)
}

/// Reads a day of the week by its English name or its first three letters.
pub fn parse_weekday(raw: &str) -> Result<Weekday, InvalidValue> {
    let name = raw.trim().to_ascii_lowercase();
    WEEK.into_iter()
        .find(|day| {
            let full = weekday_name(*day);
            name == full || (name.len() == 3 && full.starts_with(&name))
        })
        .ok_or(InvalidValue::new(
            "weekday",
            "must be a day of the week, such as monday",
        ))
}

/// Monday to Sunday.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// Reads a wall-clock time written `HH:MM`.
pub fn parse_clock(field: &'static str, raw: &str) -> Result<NaiveTime, InvalidValue> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map_err(|_| InvalidValue::new(field, "must be a time written HH:MM, such as 09:30"))
}

impl Availability {
    /// Checks a week's hours: slots of 5 to 240 minutes in steps of 5, hours that start before
    /// they end, on the 5-minute grain, and no two windows of one day overlapping.
    pub fn new(slot_minutes: u32, mut hours: Vec<WeeklyHours>) -> Result<Self, InvalidValue> {
        if !(GRANULE_MINUTES..=LONGEST_SLOT_MINUTES).contains(&slot_minutes)
            || !slot_minutes.is_multiple_of(GRANULE_MINUTES)
        {
            return Err(InvalidValue::new(
                "slot_minutes",
                "must be 5 to 240 minutes, in steps of 5",
            ));
        }
        if hours.len() > 50 {
            return Err(InvalidValue::new("hours", "has more than 50 windows"));
        }
        for window in &hours {
            if !on_grain(window.starts) || !on_grain(window.ends) {
                return Err(InvalidValue::new(
                    "hours",
                    "must start and end on a multiple of 5 minutes",
                ));
            }
            if window.starts >= window.ends {
                return Err(InvalidValue::new(
                    "hours",
                    "must end after they start, on the same day",
                ));
            }
        }
        hours.sort_by_key(|w| (w.weekday.num_days_from_monday(), w.starts));
        let overlapping = hours
            .iter()
            .zip(hours.iter().skip(1))
            .any(|(first, next)| first.weekday == next.weekday && next.starts < first.ends);
        if overlapping {
            return Err(InvalidValue::new(
                "hours",
                "has two windows on one day that overlap",
            ));
        }
        Ok(Availability {
            slot_minutes,
            hours,
        })
    }

    pub fn slot_length(&self) -> Duration {
        Duration::minutes(i64::from(self.slot_minutes))
    }
}

impl Availability {
    /// The week as stored: `mon 09:00-12:00` windows, separated by commas.
    pub fn hours_text(&self) -> String {
        self.hours
            .iter()
            .map(|w| {
                format!(
                    "{} {}-{}",
                    weekday_name(w.weekday).get(..3).unwrap_or_default(),
                    w.starts.format("%H:%M"),
                    w.ends.format("%H:%M")
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads back what [`Availability::hours_text`] wrote.
    pub fn from_stored(slot_minutes: u32, hours: &str) -> Result<Self, InvalidValue> {
        let windows = hours
            .split(',')
            .filter(|w| !w.is_empty())
            .map(|w| {
                let (day, span) = w.split_once(' ').unwrap_or((w, ""));
                let (starts, ends) = span.split_once('-').unwrap_or((span, ""));
                Ok(WeeklyHours {
                    weekday: parse_weekday(day)?,
                    starts: parse_clock("starts", starts)?,
                    ends: parse_clock("ends", ends)?,
                })
            })
            .collect::<Result<Vec<_>, InvalidValue>>()?;
        Availability::new(slot_minutes, windows)
    }
}

/// One day's windows as typed: `09:00-12:00, 14:00-17:30` (blank for none).
pub fn parse_day(weekday: Weekday, text: &str) -> Result<Vec<WeeklyHours>, InvalidValue> {
    let wrong = InvalidValue::new("hours", "must be times like 09:00-12:00, 14:00-17:30");
    text.split(',')
        .map(str::trim)
        .filter(|window| !window.is_empty())
        .map(|window| {
            let (starts, ends) = window.split_once('-').ok_or(wrong.clone())?;
            Ok(WeeklyHours {
                weekday,
                starts: parse_clock("hours", starts).map_err(|_| wrong.clone())?,
                ends: parse_clock("hours", ends).map_err(|_| wrong.clone())?,
            })
        })
        .collect()
}

/// Days off as stored: one `from to reason` line each.
pub fn time_off_text(days_off: &[TimeOff]) -> String {
    days_off
        .iter()
        .map(|off| format!("{} {} {}", off.from, off.to, off.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads back what [`time_off_text`] wrote.
pub fn time_off_from_stored(text: &str) -> Result<Vec<TimeOff>, InvalidValue> {
    let unreadable = InvalidValue::new("time_off", "is not a list of dates");
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let mut date = || {
                parts
                    .next()
                    .and_then(|d| d.parse::<NaiveDate>().ok())
                    .ok_or(unreadable.clone())
            };
            let (from, to) = (date()?, date()?);
            TimeOff::new(from, to, parts.next().unwrap_or(""))
        })
        .collect()
}

impl TimeOff {
    pub fn new(from: NaiveDate, to: NaiveDate, reason: &str) -> Result<Self, InvalidValue> {
        if to < from {
            return Err(InvalidValue::new("to", "must not be before from"));
        }
        if to - from > Duration::days(366) {
            return Err(InvalidValue::new("to", "is more than a year after from"));
        }
        let reason = bounded_text("reason", reason, 0, 200, false)?;
        Ok(TimeOff { from, to, reason })
    }

    fn covers(&self, day: NaiveDate) -> bool {
        (self.from..=self.to).contains(&day)
    }
}

/// The instant a wall-clock time in `zone` names: `None` in the hour skipped in spring, the
/// first of the two in the hour repeated in autumn.
fn instant(zone: TimeZone, local: NaiveDateTime) -> Option<NaiveDateTime> {
    match zone.tz().from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.naive_utc()),
        LocalResult::None => None,
    }
}

/// The slots a doctor offers from `from` (included) to `to` (excluded), both UTC, earliest
/// first, leaving out the days they are off. Booked slots are the caller's to remove.
pub fn slots(
    availability: &Availability,
    time_off: &[TimeOff],
    zone: TimeZone,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Vec<Slot> {
    let length = availability.slot_length();
    // Local days that can hold a slot in the range, whatever the zone's offset.
    let first_day = zone.local(from).date() - Duration::days(1);
    let last_day = zone.local(to).date() + Duration::days(1);
    let mut found = Vec::new();
    let mut day = first_day;
    while day <= last_day {
        if !time_off.iter().any(|off| off.covers(day)) {
            for window in availability
                .hours
                .iter()
                .filter(|w| w.weekday == day.weekday())
            {
                let mut starts = day.and_time(window.starts);
                let window_ends = day.and_time(window.ends);
                while starts + length <= window_ends {
                    if let Some(begins) = instant(zone, starts)
                        && begins >= from
                        && begins < to
                    {
                        found.push(Slot {
                            starts: begins,
                            ends: begins + length,
                        });
                    }
                    starts += length;
                }
            }
        }
        day += Duration::days(1);
    }
    found.sort();
    found.dedup();
    found
}

/// The slot of this availability that starts at `starts`, if it offers one then.
pub fn offered_at(
    availability: &Availability,
    time_off: &[TimeOff],
    zone: TimeZone,
    starts: NaiveDateTime,
) -> Option<Slot> {
    slots(
        availability,
        time_off,
        zone,
        starts,
        starts + Duration::minutes(1),
    )
    .into_iter()
    .find(|slot| slot.starts == starts)
}

/// The 5-minute marks a visit covers: what its booking claims, so that no other visit of the
/// same doctor can claim any of them.
pub fn granules(slot: Slot) -> Vec<NaiveDateTime> {
    let step = Duration::minutes(i64::from(GRANULE_MINUTES));
    let mut marks = Vec::new();
    let mut at = slot.starts;
    while at < slot.ends {
        marks.push(at);
        at += step;
    }
    marks
}

coded!(
    /// Where a visit stands.
    AppointmentStatus, "status", "must be one of booked, cancelled, rescheduled",
    {
        Booked => "booked",
        Cancelled => "cancelled",
        /// Moved to another time: the new appointment names this one.
        Rescheduled => "rescheduled",
    }
);

coded!(
    /// Whether the patient's insurer covers a visit.
    Eligibility, "eligibility", "must be one of verified, not_covered, pending, no_coverage",
    {
        /// The insurer confirmed the coverage.
        Verified => "verified",
        /// The insurer answered that the visit is not covered.
        NotCovered => "not_covered",
        /// The insurer could not be asked or did not answer; a background job asks again.
        Pending => "pending",
        /// The patient has no coverage on file: they pay themselves.
        NoCoverage => "no_coverage",
    }
);

impl Eligibility {
    /// As a patient or the front desk reads it.
    pub fn in_words(self) -> &'static str {
        match self {
            Eligibility::Verified => "covered by insurance",
            Eligibility::NotCovered => "not covered by insurance",
            Eligibility::Pending => "insurance pending verification",
            Eligibility::NoCoverage => "no insurance on file",
        }
    }
}

text_value!(
    /// The insurer, as the eligibility service names it.
    Payer, "payer", min = 1, max = 100, newlines = false
);
text_value!(
    /// The patient's number with their insurer.
    MemberId, "member_id", min = 1, max = 64, newlines = false
);
text_value!(
    /// The plan's name; may be left empty.
    PlanName, "plan", min = 0, max = 100, newlines = false
);

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str, time: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M").expect("a time")
    }

    fn hours(day: Weekday, starts: &str, ends: &str) -> WeeklyHours {
        WeeklyHours {
            weekday: day,
            starts: parse_clock("starts", starts).expect("a time"),
            ends: parse_clock("ends", ends).expect("a time"),
        }
    }

    #[test]
    fn hours_are_checked() {
        let monday = hours(Weekday::Mon, "09:00", "12:00");
        assert!(Availability::new(30, vec![monday]).is_ok());
        assert_eq!(
            Availability::new(7, vec![monday]).unwrap_err().field,
            "slot_minutes"
        );
        assert_eq!(
            Availability::new(300, vec![monday]).unwrap_err().field,
            "slot_minutes"
        );
        let backwards = hours(Weekday::Mon, "12:00", "09:00");
        assert_eq!(
            Availability::new(30, vec![backwards]).unwrap_err().field,
            "hours"
        );
        let off_grain = hours(Weekday::Mon, "09:03", "12:00");
        assert_eq!(
            Availability::new(30, vec![off_grain]).unwrap_err().field,
            "hours"
        );
        let overlapping = hours(Weekday::Mon, "11:00", "13:00");
        assert_eq!(
            Availability::new(30, vec![monday, overlapping])
                .unwrap_err()
                .field,
            "hours"
        );
        assert!(Availability::new(30, vec![monday, hours(Weekday::Tue, "11:00", "13:00")]).is_ok());
        assert_eq!(parse_weekday("Wed"), Ok(Weekday::Wed));
        assert_eq!(parse_weekday("sunday"), Ok(Weekday::Sun));
        assert!(parse_weekday("someday").is_err());
        assert_eq!(parse_clock("starts", "9h").unwrap_err().field, "starts");
    }

    #[test]
    fn slots_follow_the_institutions_clock_and_skip_time_off() {
        let lisbon = TimeZone::parse("Europe/Lisbon").expect("a zone");
        let week = Availability::new(
            30,
            vec![
                hours(Weekday::Mon, "09:00", "10:00"),
                hours(Weekday::Wed, "14:00", "15:15"),
            ],
        )
        .expect("hours");
        // 2026-07-06 is a Monday; Lisbon is an hour ahead of UTC in summer.
        let found = slots(
            &week,
            &[],
            lisbon,
            at("2026-07-06", "00:00"),
            at("2026-07-13", "00:00"),
        );
        let starts: Vec<String> = found
            .iter()
            .map(|s| s.starts.format("%a %H:%M").to_string())
            .collect();
        assert_eq!(
            starts,
            ["Mon 08:00", "Mon 08:30", "Wed 13:00", "Wed 13:30"],
            "a 15:00 slot would end after 15:15"
        );
        assert!(
            found
                .iter()
                .all(|s| s.ends - s.starts == Duration::minutes(30))
        );
        // In winter the same hours are the same UTC times as the clock.
        let winter = slots(
            &week,
            &[],
            lisbon,
            at("2026-01-05", "00:00"),
            at("2026-01-06", "00:00"),
        );
        assert_eq!(winter[0].starts, at("2026-01-05", "09:00"));
        let leave = TimeOff::new(
            NaiveDate::from_ymd_opt(2026, 7, 8).expect("a date"),
            NaiveDate::from_ymd_opt(2026, 7, 10).expect("a date"),
            "leave",
        )
        .expect("time off");
        let fewer = slots(
            &week,
            &[leave],
            lisbon,
            at("2026-07-06", "00:00"),
            at("2026-07-13", "00:00"),
        );
        assert_eq!(fewer.len(), 2, "Wednesday is off");
        assert!(offered_at(&week, &[], lisbon, at("2026-07-06", "08:30")).is_some());
        assert!(offered_at(&week, &[], lisbon, at("2026-07-06", "08:15")).is_none());
    }

    #[test]
    fn the_hour_skipped_in_spring_offers_nothing() {
        let lisbon = TimeZone::parse("Europe/Lisbon").expect("a zone");
        // 2026-03-29, a Sunday: Lisbon's clocks go from 01:00 to 02:00.
        let night =
            Availability::new(30, vec![hours(Weekday::Sun, "00:00", "03:00")]).expect("hours");
        let found = slots(
            &night,
            &[],
            lisbon,
            at("2026-03-28", "00:00"),
            at("2026-03-30", "00:00"),
        );
        let local: Vec<String> = found
            .iter()
            .map(|s| lisbon.local(s.starts).format("%H:%M").to_string())
            .collect();
        assert_eq!(local, ["00:00", "00:30", "02:00", "02:30"]);
    }

    #[test]
    fn a_week_and_its_days_off_read_back_as_stored() {
        let week = Availability::new(
            20,
            vec![
                hours(Weekday::Fri, "13:00", "17:30"),
                hours(Weekday::Mon, "09:00", "12:00"),
            ],
        )
        .expect("hours");
        assert_eq!(week.hours_text(), "mon 09:00-12:00,fri 13:00-17:30");
        assert_eq!(Availability::from_stored(20, &week.hours_text()), Ok(week));
        let off = vec![
            TimeOff::new(
                NaiveDate::from_ymd_opt(2026, 12, 24).expect("a date"),
                NaiveDate::from_ymd_opt(2026, 12, 26).expect("a date"),
                "Christmas, with family",
            )
            .expect("time off"),
        ];
        assert_eq!(time_off_from_stored(&time_off_text(&off)), Ok(off));
        assert!(time_off_from_stored("someday").is_err());
        let typed = parse_day(Weekday::Tue, " 09:00-12:00, 14:00-17:30 ").expect("hours");
        assert_eq!(typed.len(), 2);
        assert_eq!(
            typed[1].starts,
            parse_clock("starts", "14:00").expect("time")
        );
        assert!(parse_day(Weekday::Tue, "").expect("none").is_empty());
        assert_eq!(
            parse_day(Weekday::Tue, "9 to 5").unwrap_err().field,
            "hours"
        );
    }

    #[test]
    fn a_visit_claims_every_mark_it_covers() {
        let visit = Slot {
            starts: at("2026-07-06", "09:00"),
            ends: at("2026-07-06", "09:30"),
        };
        let marks = granules(visit);
        assert_eq!(marks.len(), 6);
        assert_eq!(marks[5], at("2026-07-06", "09:25"));
        // Two visits overlap exactly when they claim a common mark.
        let later = Slot {
            starts: at("2026-07-06", "09:15"),
            ends: at("2026-07-06", "09:35"),
        };
        assert!(granules(later).iter().any(|m| marks.contains(m)));
        let after = Slot {
            starts: at("2026-07-06", "09:30"),
            ends: at("2026-07-06", "10:00"),
        };
        assert!(!granules(after).iter().any(|m| marks.contains(m)));
    }
}
