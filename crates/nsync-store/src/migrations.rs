//! The migrations of each backend, embedded in the binary.
//!
//! Embedded with `include_str!` and handed to sqlx's migrator, rather than through the
//! `sqlx::migrate!` macro: the macro drags sqlx's whole proc-macro stack (and a second SQLite
//! build) into compilation, and we need nothing else from it.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::StoreError;

/// One backend's migrations: (version, description, SQL).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Embedded(&'static [(i64, &'static str, &'static str)]);

pub(crate) const SQLITE: Embedded = Embedded(&[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "schedule and hooks",
        include_str!("../migrations/sqlite/0002_schedule_and_hooks.sql"),
    ),
    (
        3,
        "state version",
        include_str!("../migrations/sqlite/0003_state_version.sql"),
    ),
    (
        4,
        "session generation",
        include_str!("../migrations/sqlite/0004_session_generation.sql"),
    ),
    (
        5,
        "option flaw",
        include_str!("../migrations/sqlite/0005_option_flaw.sql"),
    ),
    (
        6,
        "option content hash",
        include_str!("../migrations/sqlite/0006_option_content_hash.sql"),
    ),
    (
        7,
        "change feed and webhooks",
        include_str!("../migrations/sqlite/0007_change_feed_and_webhooks.sql"),
    ),
    (
        8,
        "run progress and option totals",
        include_str!("../migrations/sqlite/0008_run_progress_and_option_totals.sql"),
    ),
    (
        9,
        "netsuite request slots",
        include_str!("../migrations/sqlite/0009_netsuite_request_slots.sql"),
    ),
]);
pub(crate) const POSTGRES: Embedded = Embedded(&[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "schedule and hooks",
        include_str!("../migrations/postgres/0002_schedule_and_hooks.sql"),
    ),
    (
        3,
        "state version",
        include_str!("../migrations/postgres/0003_state_version.sql"),
    ),
    (
        4,
        "session generation",
        include_str!("../migrations/postgres/0004_session_generation.sql"),
    ),
    (
        5,
        "option flaw",
        include_str!("../migrations/postgres/0005_option_flaw.sql"),
    ),
    (
        6,
        "option keys checked by the writer",
        include_str!("../migrations/postgres/0006_option_keys_checked_by_the_writer.sql"),
    ),
    (
        7,
        "option content hash",
        include_str!("../migrations/postgres/0007_option_content_hash.sql"),
    ),
    (
        8,
        "change feed and webhooks",
        include_str!("../migrations/postgres/0008_change_feed_and_webhooks.sql"),
    ),
    (
        9,
        "run progress and option totals",
        include_str!("../migrations/postgres/0009_run_progress_and_option_totals.sql"),
    ),
    (
        10,
        "netsuite request slots",
        include_str!("../migrations/postgres/0010_netsuite_request_slots.sql"),
    ),
]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

impl Embedded {
    pub(crate) async fn migrator(self) -> Result<Migrator, StoreError> {
        Ok(Migrator::new(self).await?)
    }
}
