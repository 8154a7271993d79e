//! Rules on integrated and manual custom fields.
//!
//! The sync is one-way (NetSuite to here): on an integrated field, names, new options and
//! inactive status come from NetSuite only. Each refusal says where to make the change.

use crate::{Error, FieldKind, OptionName};

/// Whether an option may be added by hand to a field of this kind.
pub fn add_by_hand(field: FieldKind, name: &OptionName) -> Result<(), Error> {
    refuse_if_integrated(field, || format!("adding \"{name}\" by hand"))
}

/// Whether an option may be renamed by hand.
pub fn rename_by_hand(
    field: FieldKind,
    current: &OptionName,
    new: &OptionName,
) -> Result<(), Error> {
    refuse_if_integrated(field, || format!("renaming \"{current}\" to \"{new}\""))
}

/// Whether an option may be deactivated (or reactivated) by hand.
pub fn set_active_by_hand(field: FieldKind, name: &OptionName, active: bool) -> Result<(), Error> {
    let verb = if active {
        "reactivating"
    } else {
        "deactivating"
    };
    refuse_if_integrated(field, || format!("{verb} \"{name}\""))
}

/// Removing an option here is allowed on every field. It marks the option (and what hangs
/// below it) removed here; nothing is deleted, and NetSuite is never written to.
pub fn remove_here(_field: FieldKind) -> Result<(), Error> {
    Ok(())
}

fn refuse_if_integrated(field: FieldKind, action: impl FnOnce() -> String) -> Result<(), Error> {
    match field {
        FieldKind::Manual => Ok(()),
        FieldKind::Integrated => Err(Error::IntegratedField { action: action() }),
    }
}
