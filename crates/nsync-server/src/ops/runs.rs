//! Runs: confirming an update the mass-deactivation guard held.

use nsync_core::{Run, RunId};

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
