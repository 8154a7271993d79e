//! The Import Customers list: records of the integrated subsidiary, from the mirror, a page at a
//! time, each marked new, imported or removed here, and inactive in NetSuite.

use std::collections::HashMap;

use nsync_core::{
    fold_for_search, CustomFieldId, IntegrationId, MirrorRecord, OptionName, StatusPolicy,
    UpstreamKey,
};

use super::Engine;
use crate::EngineError;

/// Mirror records fetched per store read while filtering.
const BATCH: u32 = 2_000;

/// Which level of the tree a page lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParentFilter {
    /// Every level (a flat list; what a search shows).
    #[default]
    Any,
    /// Records without a parent: the customers at the top of the tree.
    Top,
    /// The records directly below this one.
    Of(UpstreamKey),
}

/// Which page of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandidateQuery {
    /// Only records whose name or project number contains this (case- and accent-insensitive).
    pub search: Option<String>,
    /// Only this level of the tree.
    pub parent: ParentFilter,
    /// Only records in this state here.
    pub status: Option<CandidateStatus>,
    /// The last record of the previous page.
    pub after: Option<UpstreamKey>,
    /// Records per page (1 to 1000).
    pub limit: u32,
    /// Leave out projects in a status the integration counts as closed.
    pub hide_closed: bool,
}

/// Where a record stands here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateStatus {
    /// Not imported.
    New,
    /// Imported.
    Imported,
    /// Imported, then removed here (importing again restores the same option).
    RemovedHere,
}

/// One record of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The record.
    pub key: UpstreamKey,
    /// Its parent in NetSuite (the tree is built from it).
    pub parent: Option<UpstreamKey>,
    /// Its name as an option would show it.
    pub name: String,
    /// The entity id (a project's number).
    pub number: Option<String>,
    /// Inactive in NetSuite.
    pub inactive: bool,
    /// A project's status, by the name NetSuite shows.
    pub project_status: Option<String>,
    /// In a status the integration counts as closed.
    pub closed: bool,
    /// New, imported or removed here.
    pub status: CandidateStatus,
    /// Why NetSuite's record cannot become an option as it is (its name breaks a rule): an
    /// import rejects it, and an imported option keeps its last good name, until it is fixed
    /// in NetSuite.
    pub problem: Option<String>,
}

/// One page of the list, in record order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidatePage {
    /// The records.
    pub candidates: Vec<Candidate>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<UpstreamKey>,
}

impl Engine {
    /// A page of the Import Customers list, from the mirror as last refreshed (refresh first with
    /// [`Engine::refresh`]). Deleted records and records outside the subsidiary never appear.
    pub async fn candidates(
        &self,
        integration: IntegrationId,
        query: &CandidateQuery,
    ) -> Result<CandidatePage, EngineError> {
        let limit = query.limit.clamp(1, 1000) as usize;
        let integration = self.store.integration(integration).await?;
        // Filtering by status needs every record's status up front; otherwise only the page's
        // records are looked up, once the page is known (reading 300,000 options per page
        // would make the first page slow).
        let status: HashMap<UpstreamKey, CandidateStatus> = match query.status {
            None => HashMap::new(),
            Some(_) => self
                .store
                .integrated_options(integration.field)
                .await?
                .into_iter()
                .filter_map(|o| o.upstream.map(|k| (k, status_of(o.removed_here))))
                .collect(),
        };
        let needle = query
            .search
            .as_deref()
            .map(|s| fold_for_search(s.trim()))
            .filter(|s| !s.is_empty());
        let state = |key: &UpstreamKey| status.get(key).copied().unwrap_or(CandidateStatus::New);
        let policy = StatusPolicy::new(integration.settings.closed_project_statuses.as_deref());
        let closed = |r: &MirrorRecord| {
            matches!(
                policy.judge(r.status, r.status_name.as_deref()),
                Ok(Some(_))
            )
        };
        let offered = |r: &MirrorRecord| {
            !r.deleted
                && integration
                    .subsidiary
                    .is_none_or(|s| r.subsidiaries.contains(&s))
                && r.stage()
                    .is_ok_and(|stage| integration.settings.includes_stage(stage))
                && match query.parent {
                    ParentFilter::Any => true,
                    ParentFilter::Top => r.parent.is_none(),
                    ParentFilter::Of(parent) => r.parent == Some(parent),
                }
                && query.status.is_none_or(|s| state(&r.key) == s)
                && !(query.hide_closed && closed(r))
                && needle.as_deref().is_none_or(|n| matches(r, n))
        };
        // Within one level of the tree every record is as deep: one below its parent. Deeper than
        // the field's deepest level, an import rejects it; the list says so instead of "new".
        let too_deep = match query.parent {
            ParentFilter::Of(parent) => {
                let level = self.depth(integration.id, parent).await? + 1;
                let deepest = usize::from(integration.settings.deepest_level.get());
                (level > deepest).then(|| {
                    format!(
                        "it is at level {level} in NetSuite, deeper than this field's deepest level ({deepest})"
                    )
                })
            }
            _ => None,
        };
        let mut candidates = Vec::new();
        let mut after = query.after;
        loop {
            let batch = self.store.mirror_page(integration.id, after, BATCH).await?;
            let full = batch.len() == BATCH as usize;
            for record in batch {
                after = Some(record.key);
                if !offered(&record) {
                    continue;
                }
                candidates.push(Candidate {
                    key: record.key,
                    parent: record.parent,
                    name: record.name.display(),
                    number: record.number.clone(),
                    inactive: record.inactive,
                    project_status: record.status_name.clone(),
                    closed: closed(&record),
                    status: state(&record.key),
                    problem: too_deep.clone().or_else(|| name_problem(&record)),
                });
                if candidates.len() == limit {
                    let next = Some(record.key);
                    return self
                        .marked(integration.field, query, candidates, next)
                        .await;
                }
            }
            if !full {
                return self
                    .marked(integration.field, query, candidates, None)
                    .await;
            }
        }
    }

    /// How deep `key` sits in the mirror's tree (a customer at the top is 1), walking up its
    /// parents; a chain that loops or runs past any field's depth stops counting there.
    async fn depth(
        &self,
        integration: IntegrationId,
        key: UpstreamKey,
    ) -> Result<usize, EngineError> {
        let mut depth = 1;
        let mut at = key;
        while depth <= usize::from(nsync_core::Level::MAX) {
            match self.store.mirror_record(integration, at).await? {
                Some(MirrorRecord {
                    parent: Some(parent),
                    ..
                }) => {
                    depth += 1;
                    at = parent;
                }
                _ => break,
            }
        }
        Ok(depth)
    }

    /// Fills in the status of a page's records (already known when the query filtered by it).
    async fn marked(
        &self,
        field: CustomFieldId,
        query: &CandidateQuery,
        mut candidates: Vec<Candidate>,
        next: Option<UpstreamKey>,
    ) -> Result<CandidatePage, EngineError> {
        if query.status.is_none() {
            let keys: Vec<UpstreamKey> = candidates.iter().map(|c| c.key).collect();
            let found: HashMap<UpstreamKey, bool> = self
                .store
                .upstream_options(field, &keys)
                .await?
                .into_iter()
                .collect();
            for candidate in &mut candidates {
                if let Some(removed) = found.get(&candidate.key) {
                    candidate.status = status_of(*removed);
                }
            }
        }
        Ok(CandidatePage { candidates, next })
    }
}

fn status_of(removed_here: bool) -> CandidateStatus {
    match removed_here {
        true => CandidateStatus::RemovedHere,
        false => CandidateStatus::Imported,
    }
}

/// The planner's name rule, said the way the list says it.
fn name_problem(record: &MirrorRecord) -> Option<String> {
    match OptionName::parse(record.key.kind, &record.name.display_text(), "") {
        Ok(_) => None,
        Err(nsync_core::Error::InvalidName { rule, .. }) => Some(format!("its name {rule}")),
        Err(other) => Some(other.to_string()),
    }
}

fn matches(record: &MirrorRecord, needle: &str) -> bool {
    fold_for_search(&record.name.display()).contains(needle)
        || record
            .number
            .as_deref()
            .is_some_and(|n| fold_for_search(n).contains(needle))
}
