//! Custom fields and their options: the tree a page at a time, typeahead search, one option in
//! any state, remove/restore here, and the manual-field edits (refused on integrated fields).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsync_core::{OptionId, StoredOption};
use nsync_store::{ChildCursor, CustomField, Shown};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{key_text, owned_field, owned_option, ApiJson, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

/// An option as the API shows it.
#[derive(Serialize, JsonSchema)]
pub(crate) struct OptionView {
    pub id: i64,
    pub field_id: i64,
    pub parent_id: Option<i64>,
    pub level: u8,
    pub name: String,
    pub number: Option<String>,
    pub active: bool,
    pub inactive_reason: Option<String>,
    pub removed_here: bool,
    /// Why NetSuite's record is flawed, when it is: the option keeps the last good value of
    /// the bad field (its name, say) until NetSuite mends it.
    pub flaw: Option<String>,
    /// `customer:ID` / `project:ID` for an integrated option.
    pub upstream: Option<String>,
    /// The full path, `Customer : Project : Sub-project` (on single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl From<&StoredOption> for OptionView {
    fn from(o: &StoredOption) -> Self {
        Self {
            id: o.id.get(),
            field_id: o.field.get(),
            parent_id: o.parent.map(|p| p.get()),
            level: o.level.get(),
            name: o.name.as_str().to_owned(),
            number: o.number.clone(),
            active: o.state.is_active(),
            inactive_reason: o.state.reason().map(|r| r.to_string()),
            removed_here: o.removed_here,
            flaw: o.flaw.clone(),
            upstream: o.upstream.map(key_text),
            label: None,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct FieldView {
    id: i64,
    name: String,
    kind: String,
    integration_id: Option<i64>,
}

impl From<&CustomField> for FieldView {
    fn from(f: &CustomField) -> Self {
        Self {
            id: f.id.get(),
            name: f.name.clone(),
            kind: f.kind.to_string(),
            integration_id: f.integration.map(|i| i.get()),
        }
    }
}

/// The company's custom fields.
#[derive(Serialize, JsonSchema)]
pub(crate) struct FieldsView {
    fields: Vec<FieldView>,
}

/// Typeahead results.
#[derive(Serialize, JsonSchema)]
pub(crate) struct HitsView {
    hits: Vec<SearchHitView>,
}

/// How many options changed mark (the option and those below it, or above it on a restore).
#[derive(Serialize, JsonSchema)]
pub(crate) struct Marked {
    marked: u64,
}

/// Where the next page of children starts: pass both back.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ChildCursorView {
    pub after_name: String,
    pub after_id: i64,
}

pub(crate) async fn list_fields(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<FieldsView>, ApiError> {
    let fields: Vec<FieldView> = state
        .store()
        .fields_of(who.company)
        .await?
        .iter()
        .map(FieldView::from)
        .collect();
    Ok(Json(FieldsView { fields }))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OptionsParams {
    /// The parent option; absent for the top level.
    pub parent: Option<i64>,
    /// The `next` cursor of the previous page: name and id of its last option.
    pub after_name: Option<String>,
    pub after_id: Option<i64>,
    pub limit: Option<u32>,
    /// Also list inactive and removed options (the administrator's view).
    #[serde(default)]
    pub all_states: bool,
    /// Only options in this state: `active`, `inactive` or `removed_here` (instead of
    /// `all_states`).
    pub state: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct OptionsPage {
    pub options: Vec<OptionView>,
    pub next: Option<ChildCursorView>,
}

/// `active`, `inactive` or `removed_here`.
pub(crate) fn parse_shown(text: &str) -> Result<Shown, ApiError> {
    match text {
        "active" => Ok(Shown::Active),
        "inactive" => Ok(Shown::Inactive),
        "removed_here" => Ok(Shown::RemovedHere),
        other => Err(ApiError::Invalid(format!(
            "state {other:?} is not active, inactive or removed_here"
        ))),
    }
}

pub(crate) async fn options_page(
    state: &AppState,
    who: &Principal,
    field: &CustomField,
    params: OptionsParams,
) -> Result<OptionsPage, ApiError> {
    let parent = match params.parent {
        None => None,
        Some(id) => {
            let parent = owned_option(state, who, &id.to_string()).await?;
            if parent.field != field.id {
                return Err(ApiError::NotFound("option"));
            }
            Some(parent.id)
        }
    };
    let after = match (params.after_name, params.after_id) {
        (Some(name), Some(id)) => Some(ChildCursor {
            name,
            id: OptionId::new(id)?,
        }),
        (None, None) => None,
        _ => {
            return Err(ApiError::Invalid(
                "give both after_name and after_id, or neither".into(),
            ))
        }
    };
    let limit = params.limit.unwrap_or(100).clamp(1, 500);
    let shown = match params.state.as_deref() {
        None | Some("") if params.all_states => Shown::All,
        None | Some("") => Shown::Active,
        Some(text) => parse_shown(text)?,
    };
    let page = state
        .store()
        .children_in(field.id, parent, after.as_ref(), limit, shown)
        .await?;
    Ok(OptionsPage {
        options: page.options.iter().map(OptionView::from).collect(),
        next: page.next.map(|c| ChildCursorView {
            after_name: c.name,
            after_id: c.id.get(),
        }),
    })
}

pub(crate) async fn list_options(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<OptionsParams>,
) -> Result<Json<OptionsPage>, ApiError> {
    let field = owned_field(&state, &who, &id).await?;
    Ok(Json(options_page(&state, &who, &field, params).await?))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub limit: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct SearchHitView {
    pub id: i64,
    pub level: u8,
    pub label: String,
}

pub(crate) async fn search_hits(
    state: &AppState,
    field: &CustomField,
    params: &SearchParams,
) -> Result<Vec<SearchHitView>, ApiError> {
    if params.q.chars().count() > 200 {
        return Err(ApiError::Invalid("q is longer than 200 characters".into()));
    }
    // Nobody types a control character into a search box; a NUL once reached SQLite's
    // full-text query and broke it. Refused here, so every caller gets the same answer.
    if params.q.chars().any(char::is_control) {
        return Err(ApiError::Invalid(
            "q contains control characters (such as NUL or a line break): search for text".into(),
        ));
    }
    let limit = params.limit.unwrap_or(20).clamp(1, 100);
    Ok(state
        .store()
        .search(field.id, &params.q, limit)
        .await?
        .into_iter()
        .map(|h| SearchHitView {
            id: h.id.get(),
            level: h.level.get(),
            label: h.label,
        })
        .collect())
}

pub(crate) async fn search_options(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<HitsView>, ApiError> {
    let field = owned_field(&state, &who, &id).await?;
    let hits = search_hits(&state, &field, &params).await?;
    Ok(Json(HitsView { hits }))
}

pub(crate) async fn get_option(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<OptionView>, ApiError> {
    let option = owned_option(&state, &who, &id).await?;
    let mut view = OptionView::from(&option);
    view.label = Some(state.store().path_label(option.id).await?);
    Ok(Json(view))
}

pub(crate) async fn remove_option(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<Marked>, ApiError> {
    let (_, marked) =
        ops::options::set_removed_here(state.engine(), &who.actor(), &id, true).await?;
    Ok(Json(Marked { marked }))
}

pub(crate) async fn restore_option(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<Marked>, ApiError> {
    let (_, marked) =
        ops::options::set_removed_here(state.engine(), &who.actor(), &id, false).await?;
    Ok(Json(Marked { marked }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameBody {
    name: String,
    #[serde(default)]
    parent_id: Option<i64>,
}

pub(crate) async fn create_option(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<Response, ApiError> {
    let field = owned_field(&state, &who, &id).await?;
    let parent = body.parent_id.map(|p| p.to_string());
    let option = ops::options::create(
        state.engine(),
        &who.actor(),
        &field,
        parent.as_deref(),
        &body.name,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(OptionView::from(&option))).into_response())
}

pub(crate) async fn rename_option(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<Json<OptionView>, ApiError> {
    let option = owned_option(&state, &who, &id).await?;
    who.require_admin()?;
    if body.parent_id.is_some() {
        return Err(ApiError::Invalid(
            "renaming does not move an option: leave out parent_id".into(),
        ));
    }
    let option = ops::options::rename(state.engine(), &who.actor(), &option, &body.name).await?;
    Ok(Json(OptionView::from(&option)))
}

pub(crate) async fn deactivate_option(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<OptionView>, ApiError> {
    let option = owned_option(&state, &who, &id).await?;
    let option = ops::options::deactivate(state.engine(), &who.actor(), &option).await?;
    Ok(Json(OptionView::from(&option)))
}
