//! The automatic update's schedule: which weekdays, and when a slot starts in UTC.
//!
//! A slot is one local date of the company on which the update runs. Its start is the chosen
//! local time on that date; daylight saving decides the instant: a local time that does not
//! exist that day (clocks jump forward) starts at the first minute that does, and a local time
//! that exists twice (clocks fall back) starts at the first of the two. Identifying the slot by
//! its local date, not its instant, is what makes "runs once" hold on those days.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone as _, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::{AutoUpdate, Error, LocalTime};

const ALL_DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A non-empty set of weekdays. Serialised as a list of three-letter names (`["Mon", "Thu"]`);
/// a single name is read too, which is how settings stored one weekday before.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OneOrMany", into = "Vec<Weekday>")]
pub struct Weekdays(u8);

impl Weekdays {
    /// Every day of the week.
    pub const DAILY: Self = Self(0x7f);
    /// Monday only: the default.
    pub const MONDAY: Self = Self(1);

    /// The set of the given days; refused when empty.
    pub fn new(days: impl IntoIterator<Item = Weekday>) -> Result<Self, Error> {
        let bits = days
            .into_iter()
            .fold(0u8, |bits, day| bits | 1 << day.num_days_from_monday());
        if bits == 0 {
            return Err(Error::InvalidSettings(
                "the automatic update needs at least one weekday".to_owned(),
            ));
        }
        Ok(Self(bits))
    }

    /// Whether the update runs on `day`.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & 1 << day.num_days_from_monday() != 0
    }

    /// The days, Monday first.
    pub fn days(self) -> impl Iterator<Item = Weekday> {
        ALL_DAYS.into_iter().filter(move |d| self.contains(*d))
    }
}

impl fmt::Debug for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.days()).finish()
    }
}

/// In words, for pages: "every day", "Monday", "Monday, Wednesday and Friday".
impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::DAILY {
            return f.write_str("every day");
        }
        let names: Vec<&str> = self.days().map(day_name).collect();
        match names.split_last() {
            Some((last, [])) => f.write_str(last),
            Some((last, rest)) => write!(f, "{} and {last}", rest.join(", ")),
            None => Ok(()),
        }
    }
}

fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Weekday),
    Many(Vec<Weekday>),
}

impl TryFrom<OneOrMany> for Weekdays {
    type Error = Error;
    fn try_from(value: OneOrMany) -> Result<Self, Error> {
        match value {
            OneOrMany::One(day) => Self::new([day]),
            OneOrMany::Many(days) => Self::new(days),
        }
    }
}

impl From<Weekdays> for Vec<Weekday> {
    fn from(days: Weekdays) -> Self {
        days.days().collect()
    }
}

/// One run of the automatic update: the company's local date and the instant it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The local date (what identifies the slot).
    pub date: NaiveDate,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
}

impl Slot {
    /// The slot of `date` at local time `at` in `tz`.
    pub fn on(date: NaiveDate, at: LocalTime, tz: chrono_tz::Tz) -> Self {
        let wanted = date.and_time(at.naive());
        // A gap is at most a few hours (zones have moved by up to a day, once); a day of
        // minutes covers every case the database holds.
        let starts_at = (0..=24 * 60)
            .find_map(|minutes| {
                match tz.from_local_datetime(&(wanted + Duration::minutes(minutes))) {
                    LocalResult::Single(t) => Some(t),
                    LocalResult::Ambiguous(first, _) => Some(first),
                    LocalResult::None => None,
                }
            })
            .map_or_else(|| wanted.and_utc(), |t| t.with_timezone(&Utc));
        Self { date, starts_at }
    }
}

impl AutoUpdate {
    /// The latest slot that started at or before `now` and after `after`, if any: what the
    /// scheduler should run now. Slots missed in between are not returned: after an outage the
    /// update runs once, for the latest slot.
    pub fn due_slot(
        &self,
        tz: chrono_tz::Tz,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<Slot> {
        if !self.enabled {
            return None;
        }
        let today = now.with_timezone(&tz).date_naive();
        // A slot's start can fall on the next local day (a gap at midnight); look a day ahead.
        let latest = (-1..=8)
            .filter_map(|back| today.checked_sub_signed(Duration::days(back)))
            .filter(|date| self.weekdays.contains(date.weekday()))
            .map(|date| Slot::on(date, self.at, tz))
            .find(|slot| slot.starts_at <= now)?;
        (latest.starts_at > after).then_some(latest)
    }

    /// The first slot that starts after `after` (for pages and for how long to sleep).
    pub fn next_slot(&self, tz: chrono_tz::Tz, after: DateTime<Utc>) -> Option<Slot> {
        if !self.enabled {
            return None;
        }
        let today = after.with_timezone(&tz).date_naive();
        (-1..=8)
            .filter_map(|ahead| today.checked_add_signed(Duration::days(ahead)))
            .filter(|date| self.weekdays.contains(date.weekday()))
            .map(|date| Slot::on(date, self.at, tz))
            .find(|slot| slot.starts_at > after)
    }
}
