//! Runs: their change lists, and confirming or discarding an update the mass-deactivation
//! guard held.

use nsync_core::{Change, ChangeKind, Run, RunId};

use super::{parse_id, Actor, OpsError};
use crate::{Engine, RunReport};

/// The run, if it belongs to one of the actor's integrations.
pub(crate) async fn owned(engine: &Engine, who: &Actor, id: &str) -> Result<Run, OpsError> {
    let id: RunId = parse_id(id, "run")?;
    let run = engine.store().run(id).await?;
    let integration = engine.store().integration(run.integration).await?;
    who.owns(integration.company, "run")?;
    Ok(run)
}

/// Applies the plan the guard held for `run`; the plan and the audit entry commit together.
pub(crate) async fn confirm(
    engine: &Engine,
    who: &Actor,
    run: &Run,
) -> Result<RunReport, OpsError> {
    who.require_admin()?;
    let audit = who.audit(engine, "confirm_update");
    Ok(engine.confirm(run.integration, run.id, audit).await?)
}

/// Discards the plan the guard held for `run`; the run and the audit entry commit together.
pub(crate) async fn discard(engine: &Engine, who: &Actor, run: &Run) -> Result<(), OpsError> {
    who.require_admin()?;
    let audit = who.audit(engine, "discard_update");
    Ok(engine.discard(run.integration, run.id, audit).await?)
}

/// A page of the run's change list; for a held run, the changes it would apply.
pub(crate) async fn changes(
    engine: &Engine,
    run: &Run,
    from: u64,
    limit: u32,
) -> Result<Vec<Change>, OpsError> {
    changes_of_kind(engine, run, None, from, limit).await
}

/// [`changes`] of one kind (all when `None`), skipping the first `skip` of them.
pub(crate) async fn changes_of_kind(
    engine: &Engine,
    run: &Run,
    kind: Option<ChangeKind>,
    skip: u64,
    limit: u32,
) -> Result<Vec<Change>, OpsError> {
    Ok(engine.run_changes(run, kind, skip, limit).await?)
}
