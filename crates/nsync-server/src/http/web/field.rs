//! The Items Custom Field page: the option tree (lazy expansion), search, badges for inactive
//! and removed options, remove and restore for administrators.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use nsync_core::{Level, Role, StoredOption};
use nsync_store::CustomField;

use super::{render, Chrome, PageError, Viewer};
use crate::http::api::options::{
    options_page, search_hits, OptionsParams, SearchHitView, SearchParams,
};
use crate::http::api::{owned_field, ApiQuery, PathId};
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
    number: Option<String>,
    inactive: Option<String>,
    removed: bool,
    expandable: bool,
    flaw: Option<String>,
}

fn reason_text(option: &StoredOption) -> Option<String> {
    option.state.reason().map(|r| match r {
        nsync_core::InactiveReason::InactiveInNetSuite => "inactive in NetSuite".to_owned(),
        nsync_core::InactiveReason::DeletedInNetSuite => "deleted in NetSuite".to_owned(),
        nsync_core::InactiveReason::LeftSubsidiary => {
            "no longer in the integrated subsidiary".to_owned()
        }
        nsync_core::InactiveReason::DeactivatedHere => "deactivated here".to_owned(),
        nsync_core::InactiveReason::StageNotIncluded => {
            "a lead or prospect in NetSuite, which this integration does not import".to_owned()
        }
        nsync_core::InactiveReason::ClosedInNetSuite => "closed in NetSuite".to_owned(),
        nsync_core::InactiveReason::TooDeep => {
            "deeper in NetSuite than this field's deepest level".to_owned()
        }
    })
}

fn row(option: &StoredOption) -> OptionRow {
    OptionRow {
        id: option.id.get(),
        field: option.field.get(),
        name: option.name.as_str().to_owned(),
        number: option.number.clone(),
        inactive: reason_text(option),
        removed: option.removed_here,
        expandable: option.level.get() < Level::MAX,
        flaw: option.flaw.clone(),
    }
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
    let mut rows = Vec::new();
    for view in &page.options {
        let option = state
            .store()
            .option(nsync_core::OptionId::new(view.id)?)
            .await?;
        rows.push(row(&option));
    }
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
    let (options, more) = match &field {
        Some(field) => {
            let params = OptionsParams {
                limit: Some(PAGE),
                all_states: all_states(&who),
                ..Default::default()
            };
            level(&state, &who, field, params).await?
        }
        None => (Vec::new(), None),
    };
    Ok(render(&FieldTpl {
        chrome: Chrome::new(&who, "field"),
        admin: who.role == Role::Admin,
        field_id: field.as_ref().map(|f| f.id.get()),
        field_name: field.map(|f| f.name),
        options,
        more,
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
    Ok(render(&HitsTpl { hits }))
}

async fn remove(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let (option, _) =
        ops::options::set_removed_here(state.engine(), &who.actor(), &id, true).await?;
    Ok(render(&RowTpl {
        admin: true,
        o: row(&state.store().option(option.id).await?),
    }))
}

async fn restore(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let (option, _) =
        ops::options::set_removed_here(state.engine(), &who.actor(), &id, false).await?;
    Ok(render(&RowTpl {
        admin: true,
        o: row(&state.store().option(option.id).await?),
    }))
}
