//! Custom fields and their options: remove or restore here, and the manual-field edits (the
//! store refuses those on an integrated field, whose options only NetSuite changes).

use nsync_core::{CustomFieldId, OptionId, OptionName, StoredOption};
use nsync_store::CustomField;

use super::{parse_id, text_field, Actor, OpsError};
use crate::Engine;

/// The custom field, if it is the actor's.
pub(crate) async fn owned_field(
    engine: &Engine,
    who: &Actor,
    id: &str,
) -> Result<CustomField, OpsError> {
    let id: CustomFieldId = parse_id(id, "custom field")?;
    let field = engine.store().field(id).await?;
    who.owns(field.company, "custom field")?;
    Ok(field)
}

/// The option, if its field is the actor's.
pub(crate) async fn owned(
    engine: &Engine,
    who: &Actor,
    id: &str,
) -> Result<StoredOption, OpsError> {
    let id: OptionId = parse_id(id, "option")?;
    let option = engine.store().option(id).await?;
    let field = engine.store().field(option.field).await?;
    who.owns(field.company, "option")?;
    Ok(option)
}

/// Removes an option here (with everything below it) or restores it. Returns the option and
/// how many options changed mark.
pub(crate) async fn set_removed_here(
    engine: &Engine,
    who: &Actor,
    id: &str,
    removed: bool,
) -> Result<(StoredOption, u64), OpsError> {
    let option = owned(engine, who, id).await?;
    who.require_admin()?;
    let store = engine.store();
    let marked = if removed {
        let audit = who.audit(engine, "remove_option");
        store.remove_option_here(option.id, &audit).await?
    } else {
        let audit = who.audit(engine, "restore_option");
        store.restore_option_here(option.id, &audit).await?
    };
    Ok((option, marked))
}

/// Adds an option by hand to a manual field, at the top or under `parent` (an option id of the
/// actor's). Returns the option as stored.
pub(crate) async fn create(
    engine: &Engine,
    who: &Actor,
    field: &CustomField,
    parent: Option<&str>,
    name: &str,
) -> Result<StoredOption, OpsError> {
    who.require_admin()?;
    who.owns(field.company, "custom field")?;
    let name = OptionName::parse_manual(name)?;
    let parent = match parent {
        None => None,
        Some(parent) => Some(owned(engine, who, parent).await?.id),
    };
    let audit = who.audit(engine, "create_option");
    let created = engine
        .store()
        .add_manual_option(field.id, parent, &name, &audit)
        .await?;
    Ok(engine.store().option(created).await?)
}

/// Renames an option of a manual field. Returns the option as stored.
pub(crate) async fn rename(
    engine: &Engine,
    who: &Actor,
    option: &StoredOption,
    name: &str,
) -> Result<StoredOption, OpsError> {
    who.require_admin()?;
    let name = OptionName::parse_manual(&text_field("name", name, 256, false)?)?;
    let audit = who.audit(engine, "rename_option");
    engine
        .store()
        .rename_option(option.id, &name, &audit)
        .await?;
    Ok(engine.store().option(option.id).await?)
}

/// Deactivates an option of a manual field. Returns the option as stored.
pub(crate) async fn deactivate(
    engine: &Engine,
    who: &Actor,
    option: &StoredOption,
) -> Result<StoredOption, OpsError> {
    who.require_admin()?;
    let audit = who.audit(engine, "deactivate_option");
    engine
        .store()
        .set_option_active(option.id, false, &audit)
        .await?;
    Ok(engine.store().option(option.id).await?)
}
