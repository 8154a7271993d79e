//! Datetimes: the storage format (UTC text that sorts), and Oracle's `TO_CHAR`/`TO_DATE`
//! format models as SuiteQL uses them.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

const STORAGE: &str = "%Y-%m-%d %H:%M:%S";

/// The stored form of an instant: UTC `YYYY-MM-DD HH:MM:SS`, so text order is time order.
pub(crate) fn to_storage(t: DateTime<Utc>) -> String {
    t.format(STORAGE).to_string()
}

/// Reads the stored form back.
pub(crate) fn from_storage(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, STORAGE)
        .ok()
        .map(|n| n.and_utc())
}

/// A wall-clock time in `tz` as an instant; in a DST gap, the instant just after it.
pub(crate) fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            let later = local + chrono::Duration::hours(1);
            tz.from_local_datetime(&later)
                .earliest()
                .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Elem {
    Year(usize),
    Month2,
    MonthName(Case),
    MonAbbrev(Case),
    Day2,
    DayOfYear,
    DayName(Case),
    DayAbbrev(Case),
    DayOfWeek,
    Hour24,
    Hour12,
    Minute,
    Second,
    Fraction(usize),
    Meridian(Case),
    Quarter,
    FillMode,
    Lit(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Upper,
    Title,
    Lower,
}

fn case_of(text: &str) -> Case {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_uppercase() => Case::Upper,
        (Some(a), _) if a.is_uppercase() => Case::Title,
        _ => Case::Lower,
    }
}

fn apply_case(s: &str, case: Case) -> String {
    match case {
        Case::Upper => s.to_uppercase(),
        Case::Lower => s.to_lowercase(),
        Case::Title => s.to_owned(),
    }
}

/// Splits an Oracle datetime format model into elements; unknown letters are an error,
/// as Oracle's `ORA-01821: date format not recognized`.
fn parse_model(model: &str) -> Result<Vec<Elem>, String> {
    const WORDS: &[&str] = &[
        "YYYY", "YYY", "YY", "Y", "MONTH", "MON", "MM", "DDD", "DD", "DAY", "DY", "D", "HH24",
        "HH12", "HH", "MI", "SS", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "FF7", "FF8", "FF9",
        "FF", "A.M.", "P.M.", "AM", "PM", "Q", "FM", "DS", "TS",
    ];
    let mut out = Vec::new();
    let mut rest = model;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            let end = rest[1..]
                .find('"')
                .ok_or("ORA-01861: literal does not match format string")?;
            out.push(Elem::Lit(rest[1..1 + end].to_owned()));
            rest = &rest[end + 2..];
            continue;
        }
        if !c.is_alphanumeric() {
            out.push(Elem::Lit(c.to_string()));
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = WORDS
            .iter()
            .find(|w| {
                rest.get(..w.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(w))
            })
            .ok_or_else(|| "ORA-01821: date format not recognized".to_owned())?;
        let text = &rest[..word.len()];
        rest = &rest[word.len()..];
        out.extend(element(word, text));
    }
    Ok(out)
}

fn element(word: &str, text: &str) -> Vec<Elem> {
    let case = case_of(text);
    let one = match word {
        "YYYY" | "YYY" | "YY" | "Y" => Elem::Year(word.len()),
        "MONTH" => Elem::MonthName(case),
        "MON" => Elem::MonAbbrev(case),
        "MM" => Elem::Month2,
        "DDD" => Elem::DayOfYear,
        "DD" => Elem::Day2,
        "DAY" => Elem::DayName(case),
        "DY" => Elem::DayAbbrev(case),
        "D" => Elem::DayOfWeek,
        "HH24" => Elem::Hour24,
        "HH12" | "HH" => Elem::Hour12,
        "MI" => Elem::Minute,
        "SS" => Elem::Second,
        "FF" => Elem::Fraction(6),
        "AM" | "PM" | "A.M." | "P.M." => Elem::Meridian(case),
        "Q" => Elem::Quarter,
        "FM" => Elem::FillMode,
        // NetSuite's short date and time: the US defaults.
        "DS" => return parse_model("MM/DD/YYYY").unwrap_or_default(),
        "TS" => return parse_model("HH:MI:SS AM").unwrap_or_default(),
        ff => Elem::Fraction(ff[2..].parse().unwrap_or(6)),
    };
    vec![one]
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
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Oracle's `TO_CHAR(datetime, model)` for a wall-clock time.
pub(crate) fn to_char(t: NaiveDateTime, model: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut fill = false;
    let pad = |s: &str, width: usize, fill: bool| {
        if fill {
            s.to_owned()
        } else {
            format!("{s:<width$}")
        }
    };
    for e in parse_model(model)? {
        let piece = match e {
            Elem::Year(n) => {
                let y = format!("{:04}", t.year());
                y[4 - n.min(4)..].to_owned()
            }
            Elem::Month2 => num(t.month(), 2, fill),
            Elem::MonthName(c) => pad(&apply_case(MONTHS[t.month0() as usize], c), 9, fill),
            Elem::MonAbbrev(c) => apply_case(&MONTHS[t.month0() as usize][..3], c),
            Elem::Day2 => num(t.day(), 2, fill),
            Elem::DayOfYear => num(t.ordinal(), 3, fill),
            Elem::DayName(c) => pad(
                &apply_case(DAYS[t.weekday().num_days_from_sunday() as usize], c),
                9,
                fill,
            ),
            Elem::DayAbbrev(c) => {
                apply_case(&DAYS[t.weekday().num_days_from_sunday() as usize][..3], c)
            }
            Elem::DayOfWeek => (t.weekday().num_days_from_sunday() + 1).to_string(),
            Elem::Hour24 => num(t.hour(), 2, fill),
            Elem::Hour12 => num(
                if t.hour() % 12 == 0 {
                    12
                } else {
                    t.hour() % 12
                },
                2,
                fill,
            ),
            Elem::Minute => num(t.minute(), 2, fill),
            Elem::Second => num(t.second(), 2, fill),
            Elem::Fraction(n) => {
                format!("{:09}", t.nanosecond() % 1_000_000_000)[..n.clamp(1, 9)].to_owned()
            }
            Elem::Meridian(c) => apply_case(if t.hour() < 12 { "AM" } else { "PM" }, c),
            Elem::Quarter => (t.month0() / 3 + 1).to_string(),
            Elem::FillMode => {
                fill = !fill;
                String::new()
            }
            Elem::Lit(s) => s,
        };
        out.push_str(&piece);
    }
    Ok(out)
}

fn num(n: u32, width: usize, fill: bool) -> String {
    if fill {
        n.to_string()
    } else {
        format!("{n:0width$}")
    }
}

/// Oracle's `TO_DATE(text, model)`: missing parts default to the first of the month at midnight.
/// Separators match loosely (any punctuation or space), as Oracle's do.
pub(crate) fn to_date(text: &str, model: &str) -> Result<NaiveDateTime, String> {
    let bad = || format!("ORA-01861: literal does not match format string: {text:?}");
    let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut ns, mut pm) =
        (2000, 1, 1, 0, 0, 0, 0, None);
    let mut rest = text.trim_start();
    for e in parse_model(model)? {
        rest = match e {
            Elem::Lit(_) | Elem::FillMode => {
                rest.trim_start_matches(|c: char| !c.is_alphanumeric())
            }
            Elem::MonthName(_) | Elem::MonAbbrev(_) => {
                let idx = MONTHS.iter().position(|m| {
                    rest.get(..3)
                        .is_some_and(|h| h.eq_ignore_ascii_case(&m[..3]))
                });
                let idx = idx.ok_or_else(bad)?;
                mo = idx as u32 + 1;
                let full = MONTHS[idx];
                if rest
                    .get(..full.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(full))
                {
                    &rest[full.len()..]
                } else {
                    &rest[3..]
                }
            }
            Elem::Meridian(_) => {
                let upper = rest.get(..2).map(str::to_ascii_uppercase);
                pm = Some(upper.as_deref() == Some("PM"));
                rest.get(2..).ok_or_else(bad)?
            }
            Elem::DayName(_) | Elem::DayAbbrev(_) => rest.trim_start_matches(char::is_alphabetic),
            e => {
                let width = match e {
                    Elem::Year(n) => n,
                    Elem::Fraction(n) => n.max(9),
                    Elem::DayOfYear => 3,
                    _ => 2,
                };
                let digits = rest
                    .bytes()
                    .take(width)
                    .take_while(u8::is_ascii_digit)
                    .count();
                let n: u32 = rest
                    .get(..digits)
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(bad)?;
                match e {
                    Elem::Year(2) => y = 2000 + n as i32,
                    Elem::Year(_) => y = n as i32,
                    Elem::Month2 => mo = n,
                    Elem::Day2 => d = n,
                    Elem::Hour24 | Elem::Hour12 => h = n,
                    Elem::Minute => mi = n,
                    Elem::Second => s = n,
                    Elem::Fraction(_) => ns = n * 10u32.pow(9 - digits.min(9) as u32),
                    _ => {}
                }
                &rest[digits..]
            }
        };
    }
    if !rest.trim().is_empty() {
        return Err(
            "ORA-01830: date format picture ends before converting entire input string".into(),
        );
    }
    if let Some(pm) = pm {
        h = h % 12 + if pm { 12 } else { 0 };
    }
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_nano_opt(h, mi, s, ns))
        .ok_or_else(|| format!("ORA-01847: not a valid date: {text:?}"))
}
