//! The planner: from the options a field has, the mirror of NetSuite and a request (import a
//! selection, or update), the list of option states to write and the change list. Pure: the
//! same inputs give the same output, and planning again after applying gives nothing to do.

mod diff;
mod project;
mod select;
mod tree;

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use crate::{
    Change, IntegrationSettings, Level, MirrorRecord, OptionUpsert, RunCounts, StoredOption,
    SubsidiaryId, UpstreamKey,
};

pub use select::Selection;

use project::{Projection, Projector};

/// What a run asks the planner for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Turn the selected upstream records (and their ancestors) into options.
    Import(Selection),
    /// Re-project every imported option from the mirror.
    Update,
}

impl Request {
    /// The kind of run that carries this request.
    pub fn kind(&self) -> crate::RunKind {
        match self {
            Self::Import(_) => crate::RunKind::Import,
            Self::Update => crate::RunKind::Update,
        }
    }
}

/// What the planner reads. All of it is data the run has already loaded.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The integration's settings (deepest level, import new projects).
    pub settings: &'a IntegrationSettings,
    /// The integrated subsidiary; `None` for an account without OneWorld (everything in scope).
    pub scope: Option<SubsidiaryId>,
    /// The integrated field's options, in any state.
    pub options: &'a [StoredOption],
    /// The mirror as refreshed for this run, tombstones included (references, so a caller that
    /// keeps it in a map does not copy 100,000 records to plan).
    pub mirror: &'a [&'a MirrorRecord],
    /// The account's project statuses and which count as closed.
    pub statuses: &'a crate::StatusPolicy,
}

/// The planner's answer: the option states to write (parents first) and the change list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Planned {
    /// Options to bring to a state, parents before children. Unchanged options are absent.
    pub options: Vec<OptionUpsert>,
    /// Every change, and every rejected record with its reason.
    pub changes: Vec<Change>,
    /// Counts by kind.
    pub counts: RunCounts,
    /// Options that go from active to inactive: what the mass-deactivation guard weighs.
    pub deactivations: u32,
    /// Whether the integration's mass-deactivation guard holds this plan for an
    /// administrator's confirmation instead of applying it.
    pub held: bool,
}

impl Planned {
    /// Whether applying would change nothing (rejections are reported, not written).
    pub fn writes_nothing(&self) -> bool {
        self.options.is_empty()
    }
}

/// Plans one import or update. Deterministic: records are visited in key order.
pub fn plan(input: PlanInput<'_>, request: &Request) -> Planned {
    let projector = Projector::new(input);
    let existing: FxHashMap<UpstreamKey, &StoredOption> = input
        .options
        .iter()
        .filter_map(|o| o.upstream.map(|key| (key, o)))
        .collect();
    let (targets, unknown) = match request {
        Request::Import(selection) => {
            let (mut targets, unknown) = select::import_targets(&projector, selection);
            // Imported options below a target move with it, so their levels are re-derived too.
            let below: Vec<UpstreamKey> = existing
                .keys()
                .filter(|key| {
                    projector
                        .ancestors(**key)
                        .iter()
                        .any(|a| targets.contains(a))
                })
                .copied()
                .collect();
            targets.extend(below);
            (targets, unknown)
        }
        Request::Update => (
            select::update_targets(&projector, &existing, input.settings),
            Vec::new(),
        ),
    };
    let restore = matches!(request, Request::Import(_));
    let mut planner = Planner {
        projector,
        existing,
        settings: input.settings,
        restore,
        out: Planned::default(),
    };
    for key in unknown {
        planner.reject(
            key,
            format!("{key} is not among the records of the integrated subsidiary"),
        );
    }
    planner.run(targets);
    let mut out = planner.out;
    // What the guard weighs: options someone can pick today.
    let active = input
        .options
        .iter()
        .filter(|o| o.state.is_active() && !o.removed_here)
        .count() as u64;
    out.held = input
        .settings
        .deactivation_guard
        .holds(request.kind(), out.deactivations, active);
    out
}

struct Planner<'a> {
    projector: Projector<'a>,
    existing: FxHashMap<UpstreamKey, &'a StoredOption>,
    settings: &'a IntegrationSettings,
    /// Import restores options removed here; Update leaves that mark alone.
    restore: bool,
    out: Planned,
}

impl<'a> Planner<'a> {
    /// Projects every target, pulling in ancestors an option needs (a project moved under a
    /// customer that was not imported brings that customer along: nothing hangs in the air),
    /// settles the final tree, then diffs parents before children.
    fn run(&mut self, targets: BTreeSet<UpstreamKey>) {
        let mut projections = self.close_over_ancestors(targets);
        let mut tree = self.settle(&projections);
        let deepest = self.settings.deepest_level;
        let mut order: Vec<(UpstreamKey, usize)> =
            tree.depths.iter().map(|(k, d)| (*k, *d)).collect();
        order.sort_unstable_by_key(|(key, depth)| (*depth, *key));
        let mut upserts = Vec::new();
        for (key, depth) in order {
            let Some(level) = i64::try_from(depth)
                .ok()
                .and_then(|d| Level::new(d).ok())
                .filter(|l| *l <= deepest)
            else {
                // Past the deepest level: an option hangs at the deepest level, inactive; a
                // record without one is not imported.
                if self.existing.contains_key(&key) {
                    upserts.extend(self.hang_at_deepest(key, depth, projections.get(&key), &tree));
                } else if tree.placed.contains(&key) {
                    let reason = format!(
                        "{} would be at level {depth}, deeper than this integration's deepest level {}",
                        self.projector.describe(key),
                        deepest.get()
                    );
                    tree.rejected.push((key, reason));
                }
                continue;
            };
            if tree.placed.contains(&key) {
                // Placed where NetSuite has it (only valid records are): the projection becomes
                // the upsert, and is not visited again below.
                match projections.remove(&key) {
                    Some(Projection::Valid(desired)) => {
                        upserts.extend(self.diff(key, desired, level))
                    }
                    Some(Projection::Flawed(desired, reason)) => {
                        upserts.extend(self.diff(key, desired, level));
                        self.reject(key, reason);
                    }
                    _ => {}
                }
                continue;
            }
            let upsert = match projections.get(&key) {
                Some(Projection::Gone(reason)) => self.deactivate(key, *reason, level),
                // Not in this run, rejected, or unable to follow its record: the option stays as
                // it is, except for a level its ancestors' moves imply.
                _ => self.relevel(key, level),
            };
            upserts.extend(upsert);
        }
        // An option whose kept chain has no level in the final tree (it ends at a parent that is
        // not there, or in a cycle) stays where it is; a deletion or a departure from the
        // subsidiary must still reach it, or a deleted record would stay selectable.
        let mut unplaced: Vec<(UpstreamKey, crate::InactiveReason)> = projections
            .iter()
            .filter_map(|(key, projection)| match projection {
                Projection::Gone(reason) if !tree.depths.contains_key(key) => Some((*key, *reason)),
                _ => None,
            })
            .collect();
        unplaced.sort_unstable_by_key(|(key, _)| *key);
        for (key, reason) in unplaced {
            if let Some(level) = self.existing.get(&key).map(|o| o.level) {
                upserts.extend(self.deactivate(key, reason, level));
            }
        }
        for (key, reason) in std::mem::take(&mut tree.rejected) {
            self.reject(key, reason);
        }
        for (key, projection) in projections {
            match projection {
                // A flawed record that was not placed keeps its option as it is.
                Projection::Rejected(reason) | Projection::Flawed(_, reason) => {
                    self.reject(key, reason)
                }
                Projection::Valid(_) | Projection::Gone(_) => {}
            }
        }
        self.out.options = upserts;
        self.out.changes.sort_by_key(|c| (c.upstream, c.kind));
    }
}
