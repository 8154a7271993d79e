//! Per-account settings that change the schema and how values are rendered.

use chrono::NaiveDate;
use chrono_tz::Tz;

/// What an account looks like to SuiteQL and the record API.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaOptions {
    /// OneWorld accounts have subsidiaries; others have no `subsidiary` table or columns.
    pub one_world: bool,
    /// Without the Projects feature there is no `job` table and no `job` record type.
    pub projects_enabled: bool,
    /// The account's time zone: `TO_CHAR`, date-only rendering and `TO_DATE` use it.
    pub time_zone: Tz,
    /// The token user's date format preference, used for date and datetime columns.
    pub date_format: DateFormat,
    /// Whether the role may read the status lists (`entitystatus`); without it the table is
    /// unknown to SuiteQL, as a table without permission is.
    pub status_lists_readable: bool,
}

impl Default for SchemaOptions {
    /// A OneWorld account with Projects, on Pacific time, with NetSuite's US default `M/D/YYYY`.
    fn default() -> Self {
        Self {
            one_world: true,
            projects_enabled: true,
            time_zone: chrono_tz::America::Los_Angeles,
            date_format: DateFormat::default(),
            status_lists_readable: true,
        }
    }
}

/// A NetSuite date format preference such as `M/D/YYYY`, `DD.MM.YYYY` or `YYYY-MM-DD`.
///
/// Tokens: `YYYY`, `YY`, `MM` (zero-padded month), `M`, `DD` (zero-padded day), `D`,
/// `Mon` (`Jan`), `MONTH` (`JANUARY`); every other character is copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat(Vec<DateToken>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateToken {
    Year4,
    Year2,
    Month2,
    Month1,
    Day2,
    Day1,
    MonAbbrev,
    MonthName,
    Lit(char),
}

/// A date format preference that has none of the date tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("date format {0:?} names no year, month and day")]
pub struct BadDateFormat(pub String);

impl Default for DateFormat {
    fn default() -> Self {
        Self::parse("M/D/YYYY").unwrap_or(Self(Vec::new()))
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl DateFormat {
    /// Parses a preference such as `M/D/YYYY`; it must name a year, a month and a day.
    pub fn parse(pattern: &str) -> Result<Self, BadDateFormat> {
        let table: [(&str, DateToken); 8] = [
            ("YYYY", DateToken::Year4),
            ("MONTH", DateToken::MonthName),
            ("Mon", DateToken::MonAbbrev),
            ("YY", DateToken::Year2),
            ("MM", DateToken::Month2),
            ("DD", DateToken::Day2),
            ("M", DateToken::Month1),
            ("D", DateToken::Day1),
        ];
        let mut tokens = Vec::new();
        let mut rest = pattern;
        'outer: while let Some(c) = rest.chars().next() {
            for (text, token) in table {
                if let Some(after) = rest.strip_prefix(text) {
                    tokens.push(token);
                    rest = after;
                    continue 'outer;
                }
            }
            tokens.push(DateToken::Lit(c));
            rest = &rest[c.len_utf8()..];
        }
        let has = |f: fn(&DateToken) -> bool| tokens.iter().any(f);
        let year = has(|t| matches!(t, DateToken::Year4 | DateToken::Year2));
        let month = has(|t| {
            matches!(
                t,
                DateToken::Month2 | DateToken::Month1 | DateToken::MonAbbrev | DateToken::MonthName
            )
        });
        let day = has(|t| matches!(t, DateToken::Day2 | DateToken::Day1));
        if year && month && day {
            Ok(Self(tokens))
        } else {
            Err(BadDateFormat(pattern.to_owned()))
        }
    }

    /// Renders a calendar date in this format.
    pub fn format(&self, date: NaiveDate) -> String {
        use chrono::Datelike;
        let mut out = String::new();
        let month_name = MONTHS[date.month0() as usize];
        for token in &self.0 {
            match token {
                DateToken::Year4 => out.push_str(&format!("{:04}", date.year())),
                DateToken::Year2 => out.push_str(&format!("{:02}", date.year().rem_euclid(100))),
                DateToken::Month2 => out.push_str(&format!("{:02}", date.month())),
                DateToken::Month1 => out.push_str(&date.month().to_string()),
                DateToken::Day2 => out.push_str(&format!("{:02}", date.day())),
                DateToken::Day1 => out.push_str(&date.day().to_string()),
                DateToken::MonAbbrev => out.push_str(&month_name[..3]),
                DateToken::MonthName => out.push_str(&month_name.to_uppercase()),
                DateToken::Lit(c) => out.push(*c),
            }
        }
        out
    }

    /// Parses a date written in this format (the record API's `q` filter accepts it).
    pub fn parse_date(&self, text: &str) -> Option<NaiveDate> {
        let (mut year, mut month, mut day) = (None, None, None);
        let mut rest = text;
        for token in &self.0 {
            match token {
                DateToken::Lit(c) => rest = rest.strip_prefix(*c)?,
                DateToken::MonAbbrev | DateToken::MonthName => {
                    let idx = MONTHS.iter().position(|m| {
                        let want: &str = if matches!(token, DateToken::MonAbbrev) {
                            &m[..3]
                        } else {
                            m
                        };
                        rest.get(..want.len())
                            .is_some_and(|h| h.eq_ignore_ascii_case(want))
                    })?;
                    let len = if matches!(token, DateToken::MonAbbrev) {
                        3
                    } else {
                        MONTHS[idx].len()
                    };
                    rest = &rest[len..];
                    month = Some(idx as u32 + 1);
                }
                _ => {
                    let max = if matches!(token, DateToken::Year4) {
                        4
                    } else {
                        2
                    };
                    let digits = rest
                        .bytes()
                        .take(max)
                        .take_while(u8::is_ascii_digit)
                        .count();
                    let fixed = matches!(
                        token,
                        DateToken::Year4 | DateToken::Year2 | DateToken::Month2 | DateToken::Day2
                    );
                    if digits == 0 || (fixed && digits != max) {
                        return None;
                    }
                    let n: u32 = rest[..digits].parse().ok()?;
                    rest = &rest[digits..];
                    match token {
                        DateToken::Year4 => year = Some(n as i32),
                        DateToken::Year2 => year = Some(2000 + n as i32),
                        DateToken::Month2 | DateToken::Month1 => month = Some(n),
                        _ => day = Some(n),
                    }
                }
            }
        }
        if !rest.is_empty() {
            return None;
        }
        NaiveDate::from_ymd_opt(year?, month?, day?)
    }
}
