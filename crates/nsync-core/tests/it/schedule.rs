//! The automatic update's schedule: weekdays, daylight saving, missed slots.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use nsync_core::{AutoUpdate, LocalTime, Slot, Weekdays};
use proptest::prelude::*;

fn auto(days: Weekdays, at: &str) -> AutoUpdate {
    AutoUpdate {
        enabled: true,
        weekdays: days,
        at: LocalTime::parse(at).unwrap(),
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// Walks the clock from `from` to `to` in steps given by `steps` (minutes, cycled) and returns
/// every slot the scheduler would run, as a scheduler does: each run moves `after` to its slot.
fn simulate(
    schedule: &AutoUpdate,
    tz: chrono_tz::Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    steps: &[i64],
) -> Vec<Slot> {
    let mut ran = Vec::new();
    let mut after = from;
    let mut now = from;
    for step in steps.iter().cycle() {
        now += Duration::minutes(*step);
        if now > to {
            break;
        }
        if let Some(slot) = schedule.due_slot(tz, after, now) {
            assert!(slot.starts_at <= now && slot.starts_at > after);
            after = slot.starts_at;
            ran.push(slot);
        }
    }
    ran
}

#[test]
fn a_simulated_year_of_mondays_runs_52_times_at_local_six_across_both_dst_changes() {
    let tz = chrono_tz::Europe::Paris;
    let schedule = auto(Weekdays::MONDAY, "06:00");
    // Uneven steps, so the clock lands on, just after and well after slot starts.
    let steps = [7, 13, 61, 1, 240, 29, 3];
    let ran = simulate(
        &schedule,
        tz,
        utc(2027, 1, 1, 0, 0),
        utc(2028, 1, 1, 0, 0),
        &steps,
    );
    assert_eq!(ran.len(), 52);
    for slot in &ran {
        let local = slot.starts_at.with_timezone(&tz);
        assert_eq!(local.date_naive().weekday(), Weekday::Mon);
        assert_eq!((local.hour(), local.minute()), (6, 0));
    }
    // Winter slots start at 05:00 UTC, summer ones at 04:00: both changes were crossed.
    let hours: std::collections::BTreeSet<u32> = ran.iter().map(|s| s.starts_at.hour()).collect();
    assert_eq!(hours.into_iter().collect::<Vec<_>>(), vec![4, 5]);
    let dates: std::collections::BTreeSet<NaiveDate> = ran.iter().map(|s| s.date).collect();
    assert_eq!(dates.len(), 52, "no slot runs twice");
}

#[test]
fn a_time_skipped_by_spring_forward_runs_once_at_the_next_valid_minute() {
    let tz = chrono_tz::Europe::Paris;
    let daily = auto(Weekdays::DAILY, "02:30");
    let day = NaiveDate::from_ymd_opt(2027, 3, 28).unwrap();
    let slot = Slot::on(day, daily.at, tz);
    // 02:00 local becomes 03:00 (01:00 UTC); 03:00 local is the first valid minute after 02:30.
    assert_eq!(slot.starts_at, utc(2027, 3, 28, 1, 0));
    let ran = simulate(
        &daily,
        tz,
        utc(2027, 3, 27, 12, 0),
        utc(2027, 3, 29, 12, 0),
        &[1],
    );
    let dates: Vec<NaiveDate> = ran.iter().map(|s| s.date).collect();
    assert_eq!(
        dates,
        vec![day, NaiveDate::from_ymd_opt(2027, 3, 29).unwrap()]
    );
}

#[test]
fn a_time_repeated_by_fall_back_runs_once_at_the_first_occurrence() {
    let tz = chrono_tz::America::New_York;
    let daily = auto(Weekdays::DAILY, "01:30");
    let day = NaiveDate::from_ymd_opt(2027, 11, 7).unwrap();
    // 01:30 EDT (05:30 UTC) comes before 01:30 EST (06:30 UTC).
    assert_eq!(
        Slot::on(day, daily.at, tz).starts_at,
        utc(2027, 11, 7, 5, 30)
    );
    let ran = simulate(
        &daily,
        tz,
        utc(2027, 11, 7, 0, 0),
        utc(2027, 11, 7, 12, 0),
        &[1],
    );
    assert_eq!(ran.len(), 1);
}

#[test]
fn slots_missed_during_an_outage_run_once_not_once_each() {
    let tz = chrono_tz::UTC;
    let schedule = auto(Weekdays::MONDAY, "06:00");
    // Last run on Monday 4 January 2027; the server comes back on Wednesday 3 February.
    let slot = schedule
        .due_slot(tz, utc(2027, 1, 4, 6, 0), utc(2027, 2, 3, 9, 0))
        .unwrap();
    assert_eq!(slot.date, NaiveDate::from_ymd_opt(2027, 2, 1).unwrap());
    // Once it ran, nothing else is due until the next Monday.
    assert_eq!(
        schedule.due_slot(tz, slot.starts_at, utc(2027, 2, 7, 23, 59)),
        None
    );
    assert_eq!(
        schedule.next_slot(tz, slot.starts_at).unwrap().date,
        NaiveDate::from_ymd_opt(2027, 2, 8).unwrap()
    );
}

#[test]
fn a_disabled_schedule_is_never_due() {
    let mut schedule = auto(Weekdays::DAILY, "06:00");
    schedule.enabled = false;
    let tz = chrono_tz::UTC;
    assert_eq!(
        schedule.due_slot(tz, utc(2027, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0)),
        None
    );
    assert_eq!(schedule.next_slot(tz, utc(2027, 1, 1, 0, 0)), None);
}

#[test]
fn weekdays_read_one_name_or_a_list_and_refuse_none() {
    let one: Weekdays = serde_json::from_str("\"Mon\"").unwrap();
    assert_eq!(one, Weekdays::MONDAY);
    let many: Weekdays = serde_json::from_str("[\"Fri\", \"Mon\", \"Wed\"]").unwrap();
    assert_eq!(many.to_string(), "Monday, Wednesday and Friday");
    assert_eq!(
        serde_json::to_string(&many).unwrap(),
        "[\"Mon\",\"Wed\",\"Fri\"]"
    );
    assert_eq!(Weekdays::DAILY.to_string(), "every day");
    assert!(serde_json::from_str::<Weekdays>("[]").is_err());
    // Settings stored with the former single `weekday` field still read.
    let old: AutoUpdate =
        serde_json::from_str(r#"{"enabled":true,"weekday":"Tue","at":"07:15"}"#).unwrap();
    assert_eq!(old.weekdays, Weekdays::new([Weekday::Tue]).unwrap());
}

const ZONES: [chrono_tz::Tz; 5] = [
    chrono_tz::Europe::Paris,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe, // a half-hour daylight-saving shift
    chrono_tz::Asia::Kolkata,
    chrono_tz::America::Santiago, // changes at midnight
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the zone, days, time and clock steps (each at most a day), every scheduled date
    /// in the window runs exactly once, at or after its local time.
    #[test]
    fn every_scheduled_date_runs_exactly_once(
        zone in 0..ZONES.len(),
        days in 1u8..128,
        hour in 0u32..24,
        minute in 0u32..60,
        steps in proptest::collection::vec(1i64..1440, 1..20),
    ) {
        let tz = ZONES[zone];
        let weekdays = Weekdays::new(
            (0..7).filter(|b| days & 1 << b != 0).map(|b| Weekday::try_from(b).unwrap()),
        ).unwrap();
        let schedule = auto(weekdays, &format!("{hour:02}:{minute:02}"));
        let (from, to) = (utc(2027, 1, 1, 0, 0), utc(2027, 12, 31, 0, 0));
        let ran = simulate(&schedule, tz, from, to, &steps);
        let dates: std::collections::BTreeSet<NaiveDate> = ran.iter().map(|s| s.date).collect();
        prop_assert_eq!(dates.len(), ran.len(), "a date ran twice");
        for slot in &ran {
            prop_assert!(weekdays.contains(slot.date.weekday()));
            let local = slot.starts_at.with_timezone(&tz).naive_local();
            prop_assert!(local >= slot.date.and_time(schedule.at.naive()));
        }
        // Steps of less than a day cannot skip a slot, except possibly the last in the window.
        let expected = (-1..366)
            .map(|d| NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + Duration::days(d))
            .filter(|d| weekdays.contains(d.weekday()))
            .map(|d| Slot::on(d, schedule.at, tz))
            .filter(|s| s.starts_at > from && s.starts_at <= to)
            .count();
        prop_assert!(ran.len() == expected || ran.len() + 1 == expected,
            "ran {} of {} slots", ran.len(), expected);
    }
}
