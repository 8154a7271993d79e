//! A company's time zone and a local time of day (for the weekly automatic update).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// An IANA time zone name that chrono-tz knows (`Europe/Paris`, `America/New_York`, `UTC`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(String);

impl TimeZone {
    /// Parses an IANA name.
    pub fn parse(text: &str) -> Result<Self, Error> {
        text.trim()
            .parse::<chrono_tz::Tz>()
            .map(|tz| Self(tz.name().to_owned()))
            .map_err(|_| Error::InvalidTimeZone(text.to_owned()))
    }

    /// The zone, for date arithmetic.
    pub fn tz(&self) -> chrono_tz::Tz {
        // Only constructed from a name chrono-tz parsed, so this cannot fail.
        self.0.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The IANA name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        Self("UTC".to_owned())
    }
}

impl TryFrom<String> for TimeZone {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<TimeZone> for String {
    fn from(tz: TimeZone) -> String {
        tz.0
    }
}

/// A time of day in a company's time zone, to the minute (`HH:MM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime {
    hour: u8,
    minute: u8,
}

impl LocalTime {
    /// Parses `HH:MM` (24-hour).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidLocalTime(text.to_owned());
        let (h, m) = text.trim().split_once(':').ok_or_else(invalid)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(invalid());
        }
        let hour: u8 = h.parse().map_err(|_| invalid())?;
        let minute: u8 = m.parse().map_err(|_| invalid())?;
        if hour > 23 || minute > 59 {
            return Err(invalid());
        }
        Ok(Self { hour, minute })
    }

    /// The hour, 0 to 23.
    pub fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, 0 to 59.
    pub fn minute(self) -> u8 {
        self.minute
    }

    /// As a chrono time of day.
    pub fn naive(self) -> chrono::NaiveTime {
        chrono::NaiveTime::from_hms_opt(u32::from(self.hour), u32::from(self.minute), 0)
            .unwrap_or_default()
    }
}

impl TryFrom<String> for LocalTime {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<LocalTime> for String {
    fn from(t: LocalTime) -> String {
        t.to_string()
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}
