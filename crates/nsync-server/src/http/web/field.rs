//! The Items Custom Field page: the option tree (lazy expansion), search, badges for inactive
//! and removed options, remove and restore for administrators.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

use nsync_core::{InactiveReason, Level, OptionId, Role};
use nsync_store::{CustomField, OptionTotals};

use super::{render, words, Chrome, PageError, Viewer};
use crate::http::api::options::parse_shown;
use crate::http::api::options::{
    options_page, search_hits, OptionView, OptionsParams, SearchHitView, SearchParams,
};
use crate::http::api::{owned_field, owned_option, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/field", get(page))
        .route("/field/children", get(children))
        .route("/field/search", get(search))
        .route("/options/{id}/remove", post(remove))
        .route("/options/{id}/restore", post(restore))
}

/// Options listed per expansion.
const PAGE: u32 = 100;

/// An option as a tree row.
pub(crate) struct OptionRow {
    id: i64,
    field: i64,
    name: String,
    /// Shown only when the integration shows project numbers.
    number: Option<String>,
    level: u8,
    /// Children listed under it (for members, only those they can pick).
    children: u64,
    /// Its state in words, when it is not simply active: "Inactive in NetSuite", ...
    state: Option<&'static str>,
    removed: bool,
    flaw: Option<String>,
}

/// What the rows of one field need to know: whether numbers are shown.
#[derive(Clone, Copy)]
struct RowStyle {
    numbers: bool,
}

impl RowStyle {
    async fn of(state: &AppState, field: &CustomField) -> Result<Self, ApiError> {
        let numbers = match field.integration {
            Some(i) => {
                state
                    .store()
                    .integration(i)
                    .await?
                    .settings
                    .show_project_number
            }
            // A manual option's number is one a person typed in: it is shown.
            None => true,
        };
        Ok(Self { numbers })
    }
}

fn rows(
    views: &[OptionView],
    counts: &HashMap<OptionId, u64>,
    style: RowStyle,
) -> Result<Vec<OptionRow>, ApiError> {
    views
        .iter()
        .map(|v| {
            let id = OptionId::new(v.id)?;
            let state = match v.inactive_reason.as_deref() {
                None => None,
                Some(code) => Some(
                    InactiveReason::parse(code)
                        .map(words::inactive_reason)
                        .unwrap_or("Inactive"),
                ),
            };
            Ok(OptionRow {
                id: v.id,
                field: v.field_id,
                name: v.name.clone(),
                number: v.number.clone().filter(|_| style.numbers),
                level: v.level,
                children: counts.get(&id).copied().unwrap_or(0),
                state,
                removed: v.removed_here,
                flaw: v.flaw.clone(),
            })
        })
        .collect()
}

/// Rows of `views`, with their child counts (one query for the page).
async fn rows_counted(
    state: &AppState,
    who: &Principal,
    field: &CustomField,
    views: &[OptionView],
) -> Result<Vec<OptionRow>, ApiError> {
    let ids: Vec<OptionId> = views
        .iter()
        .filter(|v| v.level < Level::MAX)
        .map(|v| OptionId::new(v.id))
        .collect::<Result<_, _>>()?;
    let counts = state
        .store()
        .child_counts(field.id, &ids, !all_states(who))
        .await?
        .into_iter()
        .collect();
    rows(views, &counts, RowStyle::of(state, field).await?)
}

#[derive(Template)]
#[template(path = "field.html")]
struct FieldTpl {
    chrome: Chrome,
    admin: bool,
    field_id: Option<i64>,
    field_name: Option<String>,
    options: Vec<OptionRow>,
    more: Option<String>,
    totals: Option<OptionTotals>,
    /// The state filter (`active`, `inactive`, `removed_here`), empty for the tree.
    state: String,
    /// One option is shown, from a search hit.
    focused: bool,
}

#[derive(Template)]
#[template(path = "option_rows.html")]
struct RowsTpl {
    admin: bool,
    options: Vec<OptionRow>,
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "option_row.html")]
struct RowTpl {
    admin: bool,
    o: OptionRow,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FieldQuery {
    field: Option<i64>,
    /// Every option in this state, flat (administrators).
    state: Option<String>,
    /// The last option of the previous page of a state's list.
    after: Option<i64>,
    /// One option, from a search hit.
    focus: Option<i64>,
}

async fn the_field(
    state: &AppState,
    who: &Principal,
    id: Option<i64>,
) -> Result<Option<CustomField>, ApiError> {
    match id {
        Some(id) => Ok(Some(owned_field(state, who, &id.to_string()).await?)),
        None => Ok(state
            .store()
            .fields_of(who.company)
            .await?
            .into_iter()
            .next()),
    }
}

/// Rows of one level and the link to the next page.
async fn level(
    state: &AppState,
    who: &Principal,
    field: &CustomField,
    params: OptionsParams,
) -> Result<(Vec<OptionRow>, Option<String>), ApiError> {
    let parent = params.parent;
    let page = options_page(state, who, field, params).await?;
    let rows = rows_counted(state, who, field, &page.options).await?;
    let more = page.next.map(|next| {
        url::form_urlencoded::Serializer::new("/field/children?".to_owned())
            .append_pair("field", &field.id.to_string())
            .extend_pairs(parent.map(|p| ("parent", p.to_string())))
            .append_pair("after_name", &next.after_name)
            .append_pair("after_id", &next.after_id.to_string())
            .finish()
    });
    Ok((rows, more))
}

/// One option's row again, after Remove or Restore.
async fn row_of(state: &AppState, who: &Principal, option: OptionId) -> Result<Response, ApiError> {
    let option = state.store().option(option).await?;
    let field = state.store().field(option.field).await?;
    let rows = rows_counted(state, who, &field, &[OptionView::from(&option)]).await?;
    let o = rows
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound("option"))?;
    Ok(render(&RowTpl { admin: true, o }))
}

fn all_states(who: &Principal) -> bool {
    // Administrators see inactive and removed options too; members see what they can pick.
    who.role == Role::Admin
}

async fn page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    ApiQuery(q): ApiQuery<FieldQuery>,
) -> Result<Response, PageError> {
    let field = the_field(&state, &who, q.field).await?;
    let shown = match q.state.as_deref() {
        None | Some("") => None,
        Some(text) => {
            who.require_admin()?;
            Some(parse_shown(text)?)
        }
    };
    let (options, more, totals) = match &field {
        Some(field) if q.focus.is_some() || shown.is_some() => {
            // One option (a search hit), or every option in one state: flat, each named by
            // its full path.
            let (found, more) = match (q.focus, shown) {
                (Some(id), _) => {
                    let option = owned_option(&state, &who, &id.to_string()).await?;
                    if option.field != field.id {
                        return Err(ApiError::NotFound("option").into());
                    }
                    (vec![option], None)
                }
                (None, Some(shown)) => {
                    let after = q.after.map(OptionId::new).transpose()?;
                    let found = state
                        .store()
                        .options_in(field.id, shown, after, PAGE)
                        .await?;
                    let more = (found.len() == PAGE as usize)
                        .then(|| found.last().map(|o| o.id.get()))
                        .flatten()
                        .map(|last| {
                            format!(
                                "/field?field={}&state={}&after={last}",
                                field.id,
                                q.state.as_deref().unwrap_or_default()
                            )
                        });
                    (found, more)
                }
                (None, None) => (Vec::new(), None),
            };
            let views: Vec<OptionView> = found.iter().map(OptionView::from).collect();
            let mut rows = rows_counted(&state, &who, field, &views).await?;
            let ids: Vec<OptionId> = found.iter().map(|o| o.id).collect();
            let labels: HashMap<OptionId, String> =
                state.store().path_labels(&ids).await?.into_iter().collect();
            for row in &mut rows {
                if let Some(label) = OptionId::new(row.id).ok().and_then(|id| labels.get(&id)) {
                    row.name = label.clone();
                }
            }
            (
                rows,
                more,
                Some(state.store().option_totals(field.id).await?),
            )
        }
        Some(field) => {
            let params = OptionsParams {
                limit: Some(PAGE),
                all_states: all_states(&who),
                ..Default::default()
            };
            let (options, more) = level(&state, &who, field, params).await?;
            (
                options,
                more,
                Some(state.store().option_totals(field.id).await?),
            )
        }
        None => (Vec::new(), None, None),
    };
    Ok(render(&FieldTpl {
        chrome: Chrome::new(&who, "field"),
        admin: who.role == Role::Admin,
        field_id: field.as_ref().map(|f| f.id.get()),
        field_name: field.map(|f| f.name),
        options,
        more,
        totals,
        state: q.state.unwrap_or_default(),
        focused: q.focus.is_some(),
    }))
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ChildrenQuery {
    field: i64,
    parent: Option<i64>,
    after_name: Option<String>,
    after_id: Option<i64>,
}

async fn children(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    ApiQuery(q): ApiQuery<ChildrenQuery>,
) -> Result<Response, PageError> {
    let field = owned_field(&state, &who, &q.field.to_string()).await?;
    let params = OptionsParams {
        parent: q.parent,
        after_name: q.after_name,
        after_id: q.after_id,
        limit: Some(PAGE),
        all_states: all_states(&who),
        state: None,
    };
    let (options, more) = level(&state, &who, &field, params).await?;
    Ok(render(&RowsTpl {
        admin: who.role == Role::Admin,
        options,
        more,
    }))
}

#[derive(Template)]
#[template(path = "hits.html")]
struct HitsTpl {
    field: i64,
    hits: Vec<SearchHitView>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    field: i64,
    q: String,
}

async fn search(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Response, PageError> {
    let field = owned_field(&state, &who, &q.field.to_string()).await?;
    let hits = search_hits(
        &state,
        &field,
        &SearchParams {
            q: q.q,
            limit: Some(20),
        },
    )
    .await?;
    Ok(render(&HitsTpl {
        field: field.id.get(),
        hits,
    }))
}

async fn remove(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let (option, _) =
        ops::options::set_removed_here(state.engine(), &who.actor(), &id, true).await?;
    Ok(row_of(&state, &who, option.id).await?)
}

async fn restore(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let (option, _) =
        ops::options::set_removed_here(state.engine(), &who.actor(), &id, false).await?;
    Ok(row_of(&state, &who, option.id).await?)
}
