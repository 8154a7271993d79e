//! What the pages call things: the stored codes (`inactive_in_netsuite`, `needs_confirmation`)
//! in words a person reads, and times in the company's time zone. The API keeps the codes.

use chrono_tz::Tz;
use nsync_core::{ChangeKind, InactiveReason, RunKind, RunStatus, RunTrigger};

/// A change kind, as a heading or badge.
pub(crate) fn change_kind(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "Added",
        ChangeKind::Renamed => "Renamed",
        ChangeKind::Moved => "Moved",
        ChangeKind::Deactivated => "Deactivated",
        ChangeKind::Reactivated => "Reactivated",
        ChangeKind::Restored => "Restored",
        ChangeKind::RemovedHere => "Removed here",
        ChangeKind::NumberChanged => "Number changed",
        ChangeKind::Rejected => "Rejected",
    }
}

/// Why an option is inactive, as its badge says it.
pub(crate) fn inactive_reason(reason: InactiveReason) -> &'static str {
    match reason {
        InactiveReason::InactiveInNetSuite => "Inactive in NetSuite",
        InactiveReason::DeletedInNetSuite => "Deleted in NetSuite",
        InactiveReason::LeftSubsidiary => "Left the subsidiary",
        InactiveReason::DeactivatedHere => "Deactivated here",
        InactiveReason::StageNotIncluded => "Lead or prospect (not imported)",
        InactiveReason::ClosedInNetSuite => "Closed in NetSuite",
        InactiveReason::TooDeep => "Too deep in NetSuite",
    }
}

/// A change's reason: an inactive reason's code in words, anything else (a rejection's own
/// sentence) as it is.
pub(crate) fn reason(text: &str) -> String {
    match InactiveReason::parse(text) {
        Ok(reason) => inactive_reason(reason).to_owned(),
        Err(_) => text.to_owned(),
    }
}

pub(crate) fn run_kind(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Refresh => "Refresh",
        RunKind::Import => "Import",
        RunKind::Update => "Update",
    }
}

pub(crate) fn run_status(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "Running",
        RunStatus::Succeeded => "Succeeded",
        RunStatus::Failed => "Failed",
        RunStatus::NeedsConfirmation => "Waiting for your confirmation",
        RunStatus::Discarded => "Discarded",
    }
}

/// Who or what started a run, when no person is named.
pub(crate) fn run_trigger(trigger: RunTrigger) -> &'static str {
    match trigger {
        RunTrigger::Manual => "a person",
        RunTrigger::Schedule => "the automatic update",
        RunTrigger::Notification => "a NetSuite notification",
        RunTrigger::Cli => "the command line",
    }
}

/// A moment in the company's time zone, `2026-12-07 08:00 CET`.
pub(crate) fn at(ms: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_default()
}

/// A duration the way a person says it: `850 ms`, `4.2 s`, `3 min 12 s`.
pub(crate) fn duration(ms: i64) -> String {
    match ms {
        ms if ms < 1_000 => format!("{} ms", ms.max(0)),
        ms if ms < 60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        ms => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// An audit action (`start_import`) as a sentence's start: `Start import`.
pub(crate) fn audit_action(action: &str) -> String {
    let text = action.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// An audit entry's details as `key: value` pairs, not JSON.
pub(crate) fn detail(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), plain(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => plain(other),
    }
}

fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(reason("inactive_in_netsuite"), "Inactive in NetSuite");
        assert_eq!(reason("the name is empty"), "the name is empty");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(4_250), "4.2 s");
        assert_eq!(duration(192_000), "3 min 12 s");
        assert_eq!(at(0, chrono_tz::Europe::Berlin), "1970-01-01 01:00 CET");
        assert_eq!(audit_action("start_import"), "Start import");
        let d = serde_json::json!({"integration": 1, "events": ["field.changed", "run.failed"]});
        assert_eq!(
            detail(&d),
            "events: field.changed, run.failed, integration: 1"
        );
    }
}
