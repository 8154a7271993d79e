//! A field and its change feed: `getCustomField` says where the feed stands
//! (`changes_cursor`); `listFieldChanges` reads it on from a cursor.

use axum::extract::State;
use axum::Json;
use nsync_store::{ChangeCause, FieldChange};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::options::FieldView;
use super::{key_text, owned_field, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

/// A custom field, with where its change feed stands.
#[derive(Serialize, JsonSchema)]
pub(crate) struct FieldDetailView {
    #[serde(flatten)]
    field: FieldView,
    /// The feed's cursor now: read the options, then follow `listFieldChanges` from here.
    changes_cursor: String,
}

pub(crate) async fn get_field(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<FieldDetailView>, ApiError> {
    let field = owned_field(&state, &who, &id).await?;
    let cursor = ops::feed::current(state.engine(), &who.actor(), &field).await?;
    Ok(Json(FieldDetailView {
        field: FieldView::from(&field),
        changes_cursor: cursor.to_string(),
    }))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangesParams {
    /// A cursor this API gave (`changes_cursor`, `next_cursor`, or an event's `after`);
    /// absent, the feed from its beginning.
    after: Option<String>,
    /// Entries per page, 1 to 1,000 (100 when absent).
    limit: Option<u32>,
}

/// One change to one option, in the order changes were committed. Fields without a value are
/// left out (a whole feed is read at once after an import: every byte counts 300,000 times).
#[derive(Serialize, JsonSchema)]
pub(crate) struct FieldChangeView {
    /// Its number in the field's feed: 1, 2, 3, ... without gaps.
    seq: i64,
    /// added, renamed, moved, deactivated, reactivated, restored, removed_here, number_changed.
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    option_id: Option<i64>,
    /// `customer:ID` / `project:ID` for an integrated option.
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream: Option<String>,
    /// The option's full path now: `Customer : Project`.
    label: String,
    /// The value before, where it makes sense (old name, old parent, old number, old reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    old_value: Option<String>,
    /// The value after.
    #[serde(skip_serializing_if = "Option::is_none")]
    new_value: Option<String>,
    /// Why, in plain words (a deactivation's reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The run that made it, for a change from NetSuite.
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<i64>,
    /// The administrator's action that made it (`remove_option`, `restore_option`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    /// Who took that action, when a person did.
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_user_id: Option<i64>,
    /// When it was committed, in milliseconds since the Unix epoch.
    at_ms: i64,
}

/// A page of the change feed.
#[derive(Serialize, JsonSchema)]
pub(crate) struct FieldChangesPage {
    changes: Vec<FieldChangeView>,
    /// Pass as `after` for the next page (the same cursor when nothing came).
    next_cursor: String,
    /// Whether more entries follow already.
    has_more: bool,
}

pub(crate) async fn list_field_changes(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<ChangesParams>,
) -> Result<Json<FieldChangesPage>, ApiError> {
    let field = owned_field(&state, &who, &id).await?;
    let (page, next) = ops::feed::changes(
        state.engine(),
        &who.actor(),
        &field,
        params.after.as_deref(),
        params.limit,
    )
    .await?;
    let changes = page.changes.iter().map(view).collect();
    Ok(Json(FieldChangesPage {
        changes,
        next_cursor: next.to_string(),
        has_more: next.seq < page.position.last,
    }))
}

fn view(change: &FieldChange) -> FieldChangeView {
    let (run_id, action, actor_user_id) = match &change.cause {
        ChangeCause::Run(run) => (Some(run.get()), None, None),
        ChangeCause::Action { action, actor } => {
            (None, Some(action.clone()), actor.map(|a| a.get()))
        }
    };
    FieldChangeView {
        seq: change.seq,
        kind: change.kind.to_string(),
        option_id: change.option.map(|o| o.get()),
        upstream: change.upstream.map(key_text),
        label: change.label.clone(),
        old_value: change.old_value.clone(),
        new_value: change.new_value.clone(),
        reason: change.reason.clone(),
        run_id,
        action,
        actor_user_id,
        at_ms: change.at_ms,
    }
}
