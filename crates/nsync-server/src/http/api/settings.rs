//! Settings as a request names them: every field optional, unknown ones refused. A PATCH
//! changes what it names and keeps the rest; a creation applies its patch to the defaults.
//!
//! `IntegrationSettings` itself reads missing fields as defaults (so settings stored before a
//! field existed still load); taking it straight from a request turned one misspelt field into
//! "reset everything else". These types are the request's shape only.

use nsync_core::{AutoUpdate, DeactivationGuard, IntegrationSettings, Level, LocalTime, Weekdays};
use schemars::JsonSchema;
use serde::Deserialize;

/// The settings a request changes.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsPatch {
    show_project_number: Option<bool>,
    auto_update: Option<AutoUpdatePatch>,
    deepest_level: Option<Level>,
    import_new_projects: Option<bool>,
    deactivation_guard: Option<GuardPatch>,
    include_prospects: Option<bool>,
    include_leads: Option<bool>,
    /// Absent: unchanged; `null`: back to the statuses named Closed; a list: those ids.
    #[serde(default, deserialize_with = "present")]
    closed_project_statuses: Option<Option<Vec<i64>>>,
}

/// A field that is present, even as `null` (absent fields take the `default`, `None`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The automatic update's fields a request changes.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AutoUpdatePatch {
    enabled: Option<bool>,
    #[serde(alias = "weekday")]
    weekdays: Option<Weekdays>,
    at: Option<LocalTime>,
}

/// The deactivation guard's fields a request changes.
#[derive(Debug, Default, Deserialize, JsonSchema)]
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
        set(&mut next.include_prospects, self.include_prospects);
        set(&mut next.include_leads, self.include_leads);
        set(
            &mut next.closed_project_statuses,
            self.closed_project_statuses,
        );
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
