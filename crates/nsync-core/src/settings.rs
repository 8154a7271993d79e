//! Integration settings and their defaults.

use serde::{Deserialize, Serialize};

use crate::{Error, Level, LocalTime, Weekdays};

/// The automatic update: on which weekdays, at which local time (see [`crate::schedule`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct AutoUpdate {
    /// On or off (off by default).
    pub enabled: bool,
    /// The weekdays it runs (Monday by default; all seven for a daily run).
    #[serde(alias = "weekday")]
    pub weekdays: Weekdays,
    /// The local time it runs, in the company's time zone (06:00 by default).
    pub at: LocalTime,
}

impl Default for AutoUpdate {
    fn default() -> Self {
        Self {
            enabled: false,
            weekdays: Weekdays::MONDAY,
            at: LocalTime::parse("06:00").unwrap_or_else(|_| unreachable!("constant")),
        }
    }
}

/// When an update must stop and wait for a confirmation: it would deactivate more than
/// `max(min_count, percent% of active integrated options)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeactivationGuard {
    /// The floor, 25 by default.
    pub min_count: u32,
    /// The share of active options, in percent, 10 by default.
    pub percent: u8,
}

impl DeactivationGuard {
    /// The most deactivations an update may make without a confirmation.
    pub fn threshold(self, active_options: u64) -> u64 {
        let share = active_options * u64::from(self.percent) / 100;
        share.max(u64::from(self.min_count))
    }

    /// Whether a run of `kind` that would make `deactivations` among `active_options` waits for
    /// an administrator's confirmation: only an update is held (an import deactivates nothing
    /// the admin did not pick), and only past the threshold.
    pub fn holds(self, kind: crate::RunKind, deactivations: u32, active_options: u64) -> bool {
        kind == crate::RunKind::Update && u64::from(deactivations) > self.threshold(active_options)
    }
}

impl Default for DeactivationGuard {
    fn default() -> Self {
        Self {
            min_count: 25,
            percent: 10,
        }
    }
}

/// The settings of one integration. Defaults follow the product: number hidden, automatic
/// update off (Monday 06:00 when turned on), deepest level 3, no automatic import of new
/// projects, guard at max(25, 10%).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct IntegrationSettings {
    /// Show the project number beside its name.
    pub show_project_number: bool,
    /// The weekly automatic update.
    pub auto_update: AutoUpdate,
    /// The deepest level imported (3 by default, at most 5).
    pub deepest_level: Level,
    /// Import new projects of imported customers during Update.
    pub import_new_projects: bool,
    /// The mass-deactivation guard.
    pub deactivation_guard: DeactivationGuard,
    /// Import prospects too (NetSuite keeps leads, prospects and customers in one record type;
    /// customers only by default).
    pub include_prospects: bool,
    /// Import leads too.
    pub include_leads: bool,
    /// The project statuses (ids) that count as closed; `None` means the account's statuses
    /// named "Closed".
    pub closed_project_statuses: Option<Vec<i64>>,
}

impl IntegrationSettings {
    /// Whether customer records of `stage` belong in the field.
    pub fn includes_stage(&self, stage: crate::Stage) -> bool {
        self.stages().includes(stage)
    }

    /// The customer stages a read for this integration takes.
    pub fn stages(&self) -> crate::reads::StagesRead {
        crate::reads::StagesRead {
            prospects: self.include_prospects,
            leads: self.include_leads,
        }
    }
}

impl IntegrationSettings {
    /// Checks what the types alone cannot (the guard's percentage).
    pub fn validate(self) -> Result<Self, Error> {
        if let Some(ids) = &self.closed_project_statuses {
            if ids.len() > 1000 || ids.iter().any(|id| *id <= 0) {
                return Err(Error::InvalidSettings(
                    "closed project statuses are NetSuite status ids: positive whole numbers, at \
                     most 1000 of them"
                        .to_owned(),
                ));
            }
        }
        if self.deactivation_guard.percent > 100 {
            return Err(Error::InvalidSettings(format!(
                "the deactivation guard is {}% of active options; at most 100% makes sense",
                self.deactivation_guard.percent
            )));
        }
        Ok(self)
    }
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        Self {
            show_project_number: false,
            auto_update: AutoUpdate::default(),
            deepest_level: Level::new(3).unwrap_or(Level::TOP),
            import_new_projects: false,
            deactivation_guard: DeactivationGuard::default(),
            include_prospects: false,
            include_leads: false,
            closed_project_statuses: None,
        }
    }
}
