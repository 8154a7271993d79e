//! Settings as a request names them: every field optional, unknown ones refused. A PATCH
//! changes what it names and keeps the rest; a creation applies its patch to the defaults.
//!
//! `IntegrationSettings` itself reads missing fields as defaults (so settings stored before a
//! field existed still load); taking it straight from a request turned one misspelt field into
//! "reset everything else". These types are the request's shape only.

use nsync_core::{AutoUpdate, DeactivationGuard, IntegrationSettings, Level, LocalTime, Weekdays};
use serde::Deserialize;

/// The settings a request changes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsPatch {
    show_project_number: Option<bool>,
    auto_update: Option<AutoUpdatePatch>,
    deepest_level: Option<Level>,
    import_new_projects: Option<bool>,
    deactivation_guard: Option<GuardPatch>,
}

/// The automatic update's fields a request changes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoUpdatePatch {
    enabled: Option<bool>,
    #[serde(alias = "weekday")]
    weekdays: Option<Weekdays>,
    at: Option<LocalTime>,
}

/// The deactivation guard's fields a request changes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardPatch {
    min_count: Option<u32>,
    percent: Option<u8>,
}

impl SettingsPatch {
    /// `current` with the named fields replaced (not yet validated).
    pub(crate) fn apply(self, current: &IntegrationSettings) -> IntegrationSettings {
        let mut next = current.clone();
        set(&mut next.show_project_number, self.show_project_number);
        set(&mut next.deepest_level, self.deepest_level);
        set(&mut next.import_new_projects, self.import_new_projects);
        if let Some(auto) = self.auto_update {
            let AutoUpdate {
                enabled,
                weekdays,
                at,
            } = &mut next.auto_update;
            set(enabled, auto.enabled);
            set(weekdays, auto.weekdays);
            set(at, auto.at);
        }
        if let Some(guard) = self.deactivation_guard {
            let DeactivationGuard { min_count, percent } = &mut next.deactivation_guard;
            set(min_count, guard.min_count);
            set(percent, guard.percent);
        }
        next
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}
