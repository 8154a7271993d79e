//! Reading a field's change feed: what the procurement app follows to hear every change.

use nsync_core::FeedCursor;
use nsync_store::{CustomField, FeedPage};

use super::{Actor, OpsError};
use crate::Engine;

/// Entries per page when the reader does not say.
pub(crate) const DEFAULT_PAGE: u32 = 100;
/// Entries per page at most.
pub(crate) const MAX_PAGE: u32 = 1_000;

/// The entries of `field`'s feed after `after` (from the beginning without one), at most
/// `limit`, and the cursor to continue from.
pub(crate) async fn changes(
    engine: &Engine,
    who: &Actor,
    field: &CustomField,
    after: Option<&str>,
    limit: Option<u32>,
) -> Result<(FeedPage, FeedCursor), OpsError> {
    who.owns(field.company, "custom field")?;
    let after = match after {
        None => 0,
        Some(text) => {
            let cursor: FeedCursor = text.parse().map_err(|_| {
                OpsError::Invalid(format!(
                    "{:?} is not a change feed cursor: pass one this API gave",
                    text.chars().take(64).collect::<String>()
                ))
            })?;
            if cursor.field != field.id {
                return Err(OpsError::Invalid(
                    "the cursor belongs to another field's feed".into(),
                ));
            }
            cursor.seq
        }
    };
    let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let page = engine.store().field_changes(field.id, after, limit).await?;
    if after > page.position.last {
        return Err(OpsError::Invalid(
            "the cursor is ahead of the feed: pass one this API gave".into(),
        ));
    }
    let next = FeedCursor {
        field: field.id,
        seq: page.changes.last().map_or(after, |c| c.seq),
    };
    Ok((page, next))
}

/// Where `field`'s feed stands now: read the options, then follow the feed from here.
pub(crate) async fn current(
    engine: &Engine,
    who: &Actor,
    field: &CustomField,
) -> Result<FeedCursor, OpsError> {
    who.owns(field.company, "custom field")?;
    let position = engine.store().feed_position(field.id).await?;
    Ok(FeedCursor {
        field: field.id,
        seq: position.last,
    })
}
