//! Which records a run looks at: the selection of an import, or the imported options of an update.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use crate::{fold_for_search, IntegrationSettings, StoredOption, UpstreamKey, UpstreamKind};

use super::project::Projector;

/// What an administrator ticked in the Import Customers list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These records (their ancestors come along).
    Records(Vec<UpstreamKey>),
    /// These records and everything below them.
    Subtrees(Vec<UpstreamKey>),
    /// Everything associated with the integrated subsidiary ("Select all").
    All,
    /// Everything whose name or project number contains this text, case- and accent-insensitive,
    /// with everything below it ("Select all" while the list is searched: a customer that
    /// matches comes with its projects, as a ticked one does).
    Matching(String),
}

/// The records an import projects, and the selected keys that are not candidates at all.
/// Ancestors are added while planning, once each record's chain is known to be sound.
pub(super) fn import_targets(
    projector: &Projector<'_>,
    selection: &Selection,
) -> (BTreeSet<UpstreamKey>, Vec<UpstreamKey>) {
    let offered = |key: &UpstreamKey| {
        projector
            .record(*key)
            .is_some_and(|r| projector.in_scope(r))
    };
    match selection {
        Selection::All => (projector.candidates().map(|r| r.key).collect(), Vec::new()),
        Selection::Matching(text) => {
            let needle = fold_for_search(text.trim());
            let hits = projector
                .candidates()
                .filter(|r| {
                    fold_for_search(&r.name.display()).contains(&needle)
                        || r.number
                            .as_deref()
                            .is_some_and(|n| fold_for_search(n).contains(&needle))
                })
                .map(|r| r.key)
                .collect();
            (descendants(projector, hits), Vec::new())
        }
        Selection::Records(keys) => {
            let (known, unknown): (Vec<_>, Vec<_>) = keys.iter().copied().partition(offered);
            (known.into_iter().collect(), unknown)
        }
        Selection::Subtrees(roots) => {
            let (known, unknown): (Vec<_>, Vec<_>) = roots.iter().copied().partition(offered);
            (descendants(projector, known), unknown)
        }
    }
}

/// Every in-scope record at or below `roots`, each once even if the data has a cycle.
fn descendants(projector: &Projector<'_>, roots: Vec<UpstreamKey>) -> BTreeSet<UpstreamKey> {
    let mut seen = BTreeSet::new();
    let mut stack = roots;
    while let Some(key) = stack.pop() {
        if !seen.insert(key) {
            continue;
        }
        for child in projector.children(key) {
            if projector
                .record(*child)
                .is_some_and(|r| projector.in_scope(r))
            {
                stack.push(*child);
            }
        }
    }
    seen
}

/// An update looks at every imported option; with "import new projects of imported customers"
/// on, also at the projects below an imported customer that are not imported yet.
pub(super) fn update_targets(
    projector: &Projector<'_>,
    existing: &FxHashMap<UpstreamKey, &StoredOption>,
    settings: &IntegrationSettings,
) -> BTreeSet<UpstreamKey> {
    let mut targets: BTreeSet<UpstreamKey> = existing.keys().copied().collect();
    if settings.import_new_projects {
        let imported_customer = |key: &UpstreamKey| {
            key.kind == UpstreamKind::Customer && existing.get(key).is_some_and(|o| !o.removed_here)
        };
        for record in projector.candidates() {
            if record.key.kind == UpstreamKind::Project
                && !existing.contains_key(&record.key)
                && projector
                    .ancestors(record.key)
                    .iter()
                    .any(imported_customer)
            {
                targets.insert(record.key);
            }
        }
    }
    targets
}
