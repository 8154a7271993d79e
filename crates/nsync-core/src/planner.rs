//! The planner: from the options a field has, the mirror of NetSuite and a request (import a
//! selection, or update), the list of option states to write and the change list. Pure: the
//! same inputs give the same output, and planning again after applying gives nothing to do.

mod project;
mod select;

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::{
    Change, ChangeKind, IntegrationSettings, Level, MirrorRecord, OptionState, OptionUpsert,
    RunCounts, StoredOption, SubsidiaryId, UpstreamKey,
};

pub use select::Selection;

use project::{Desired, Projection, Projector};

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

    /// Projects every target and the ancestors of each valid one. A projection depends on its
    /// key alone, so the order of the walk does not matter (and callers that visit the answer
    /// where order shows sort first: the change list is sorted at the end).
    fn close_over_ancestors(
        &self,
        targets: BTreeSet<UpstreamKey>,
    ) -> FxHashMap<UpstreamKey, Projection> {
        let targets: Vec<UpstreamKey> = targets.into_iter().collect();
        let mut projections =
            FxHashMap::with_capacity_and_hasher(targets.len(), Default::default());
        projections.extend(
            targets
                .iter()
                .copied()
                .zip(project_all(&self.projector, &targets)),
        );
        let mut stack = Vec::new();
        for key in &targets {
            let Some(desired) = projections.get(key).and_then(Projection::desired) else {
                continue;
            };
            // Most parents are targets with a valid projection: one lookup settles it.
            let parent_valid = desired
                .parent
                .is_none_or(|p| projections.get(&p).is_some_and(|x| x.desired().is_some()));
            if !parent_valid {
                self.push_unprojected_ancestors(*key, &projections, &mut stack);
            }
        }
        while let Some(key) = stack.pop() {
            if projections.contains_key(&key) {
                continue;
            }
            let projection = self.projector.project(key);
            let valid = projection.desired().is_some();
            projections.insert(key, projection);
            if valid {
                self.push_unprojected_ancestors(key, &projections, &mut stack);
            }
        }
        projections
    }

    /// Pushes the ancestors of the valid record `key` that have no projection yet, walking up
    /// until an ancestor with a valid projection: that one's ancestors are its own walk's.
    fn push_unprojected_ancestors(
        &self,
        key: UpstreamKey,
        projections: &FxHashMap<UpstreamKey, Projection>,
        stack: &mut Vec<UpstreamKey>,
    ) {
        for ancestor in self.projector.ancestors_of(key) {
            match projections.get(&ancestor) {
                Some(projection) if projection.desired().is_some() => return,
                Some(_) => {}
                None => stack.push(ancestor),
            }
        }
    }

    /// Decides the final tree: every existing option and every valid record, each under its
    /// final parent, with depths that follow from the parents' final depths. A valid record
    /// that cannot be placed (its parent is not in the tree, or it would sit below itself next
    /// to an option that kept its old place) is rejected; if it already has an option, that
    /// option keeps its old parent. Repeats until nothing more is rejected; each record is
    /// rejected at most once, so this ends. Depth past the deepest level is not decided here:
    /// the tree says how deep NetSuite puts each record, and `run` hangs what is too deep.
    fn settle(&self, projections: &FxHashMap<UpstreamKey, Projection>) -> Tree {
        let mut parent_of: FxHashMap<UpstreamKey, Option<UpstreamKey>> =
            FxHashMap::with_capacity_and_hasher(
                self.existing.len() + projections.len(),
                Default::default(),
            );
        parent_of.extend(
            self.existing
                .iter()
                .map(|(key, option)| (*key, option.upstream_parent)),
        );
        let mut placed = FxHashSet::with_capacity_and_hasher(projections.len(), Default::default());
        for (key, projection) in projections {
            if let Some(desired) = projection.desired() {
                parent_of.insert(*key, desired.parent);
                placed.insert(*key);
            }
        }
        let mut rejected = Vec::new();
        loop {
            let depths = depths_of(&parent_of);
            let mut misfits = Vec::new();
            for key in &placed {
                if depths.contains_key(key) {
                    continue;
                }
                let who = || self.projector.describe(*key);
                let reason = match parent_of.get(key).copied().flatten() {
                    Some(parent) if !parent_of.contains_key(&parent) => format!(
                        "{} was not imported because its parent {parent} was rejected",
                        who()
                    ),
                    Some(parent) => format!(
                        "{} cannot be placed under {parent}, which could not follow NetSuite's changes",
                        who()
                    ),
                    // A top-level record always has a depth; kept total for the compiler.
                    None => continue,
                };
                misfits.push((*key, reason));
            }
            if misfits.is_empty() {
                return Tree {
                    depths,
                    parent_of,
                    placed,
                    rejected,
                };
            }
            for (key, reason) in misfits {
                placed.remove(&key);
                match self.existing.get(&key) {
                    Some(option) => parent_of.insert(key, option.upstream_parent),
                    None => parent_of.remove(&key),
                };
                rejected.push((key, reason));
            }
        }
    }

    fn reject(&mut self, key: UpstreamKey, reason: String) {
        let option = self.existing.get(&key).map(|o| o.id);
        self.out.counts.rejected += 1;
        self.push(key, option, ChangeKind::Rejected, None, None, Some(reason));
    }

    /// An option whose record was deleted or left the subsidiary keeps its place and name and
    /// becomes inactive with the reason. A record never imported needs nothing.
    fn deactivate(
        &mut self,
        key: UpstreamKey,
        reason: crate::InactiveReason,
        level: Level,
    ) -> Option<OptionUpsert> {
        let current = *self.existing.get(&key)?;
        let desired = Desired {
            parent: current.upstream_parent,
            name: current.name.clone(),
            number: current.number.clone(),
            state: OptionState::Inactive(reason),
            detail: None,
            flaw: None,
        };
        self.diff(key, desired, level)
    }

    /// An option that stays as stored, at the level its final parent implies.
    fn relevel(&mut self, key: UpstreamKey, level: Level) -> Option<OptionUpsert> {
        let current = *self.existing.get(&key)?;
        (current.level != level).then(|| OptionUpsert {
            upstream: key,
            parent: current.upstream_parent,
            level,
            name: current.name.clone(),
            number: current.number.clone(),
            state: current.state,
            removed_here: current.removed_here,
            flaw: current.flaw.clone(),
        })
    }

    /// An option whose record (or kept chain) is now deeper than the deepest level: it hangs
    /// under its ancestor one level above the deepest (at the top when the deepest is 1),
    /// inactive, so that no option sinks past the deepest level or sits more than one level
    /// below its parent. It keeps the record's good name and number; a deletion or a departure
    /// from the subsidiary is the reason it gives, when there is one.
    fn hang_at_deepest(
        &mut self,
        key: UpstreamKey,
        depth: usize,
        projection: Option<&Projection>,
        tree: &Tree,
    ) -> Option<OptionUpsert> {
        let current = *self.existing.get(&key)?;
        let deepest = self.settings.deepest_level;
        let parent = tree.ancestor_at(key, depth, usize::from(deepest.get()) - 1);
        let too_deep = || {
            let detail = format!(
                "{} would be at level {depth}, deeper than this integration's deepest level {}",
                self.projector.describe(key),
                deepest.get()
            );
            (
                OptionState::Inactive(crate::InactiveReason::TooDeep),
                Some(detail),
            )
        };
        let (name, number, flaw, (state, detail)) = match projection {
            Some(Projection::Valid(desired) | Projection::Flawed(desired, _)) => (
                desired.name.clone(),
                desired.number.clone(),
                desired.flaw.clone(),
                too_deep(),
            ),
            Some(Projection::Gone(reason)) => (
                current.name.clone(),
                current.number.clone(),
                None,
                (OptionState::Inactive(*reason), None),
            ),
            _ => (
                current.name.clone(),
                current.number.clone(),
                current.flaw.clone(),
                too_deep(),
            ),
        };
        let desired = Desired {
            parent,
            name,
            number,
            state,
            detail,
            flaw,
        };
        self.diff(key, desired, deepest)
    }

    /// Compares the option as stored with what NetSuite says it should be; records each
    /// difference as a change and returns the state to write, or nothing when they agree.
    fn diff(&mut self, key: UpstreamKey, desired: Desired, level: Level) -> Option<OptionUpsert> {
        let Some(current) = self.existing.get(&key).copied() else {
            self.out.counts.added += 1;
            self.push(
                key,
                None,
                ChangeKind::Added,
                None,
                Some(desired.name.to_string()),
                None,
            );
            return Some(desired.into_upsert(key, level, false));
        };
        let before = self.out.changes.len();
        let id = Some(current.id);
        if current.name != desired.name {
            self.out.counts.renamed += 1;
            self.push(
                key,
                id,
                ChangeKind::Renamed,
                Some(current.name.to_string()),
                Some(desired.name.to_string()),
                None,
            );
        }
        if current.upstream_parent != desired.parent {
            self.out.counts.moved += 1;
            let (old, new) = (
                self.projector.label(current.upstream_parent),
                self.projector.label(desired.parent),
            );
            self.push(key, id, ChangeKind::Moved, Some(old), Some(new), None);
        }
        self.diff_state(key, current, desired.state, desired.detail.as_deref());
        if current.number != desired.number {
            self.push(
                key,
                id,
                ChangeKind::NumberChanged,
                current.number.clone(),
                desired.number.clone(),
                None,
            );
        }
        let removed_here = current.removed_here && !self.restore;
        if current.removed_here && !removed_here {
            self.push(key, id, ChangeKind::Restored, None, None, None);
        }
        // A level can change without a change of its own: an ancestor moved.
        // So can the flaw mark: the rejection that reports it is counted elsewhere.
        if self.out.changes.len() == before
            && current.level == level
            && current.flaw == desired.flaw
        {
            self.out.counts.unchanged += 1;
            return None;
        }
        Some(desired.into_upsert(key, level, removed_here))
    }

    /// `detail`: the reason in words where the state's reason alone says too little (which
    /// status closed a project).
    fn diff_state(
        &mut self,
        key: UpstreamKey,
        current: &StoredOption,
        desired: OptionState,
        detail: Option<&str>,
    ) {
        let id = Some(current.id);
        let why = |reason: crate::InactiveReason| {
            detail.map_or_else(|| reason.to_string(), str::to_owned)
        };
        match (current.state, desired) {
            (old, new) if old == new => {}
            (OptionState::Active, OptionState::Inactive(reason)) => {
                self.out.counts.deactivated += 1;
                self.out.deactivations += 1;
                self.push(
                    key,
                    id,
                    ChangeKind::Deactivated,
                    None,
                    None,
                    Some(why(reason)),
                );
            }
            (OptionState::Inactive(_), OptionState::Active) => {
                self.out.counts.reactivated += 1;
                self.push(key, id, ChangeKind::Reactivated, None, None, None);
            }
            // Inactive for another reason now (e.g. inactive, then deleted): same count, new reason.
            (OptionState::Inactive(old), OptionState::Inactive(new)) => {
                self.push(
                    key,
                    id,
                    ChangeKind::Deactivated,
                    Some(old.to_string()),
                    Some(new.to_string()),
                    Some(why(new)),
                );
            }
            (OptionState::Active, OptionState::Active) => {}
        }
    }

    fn push(
        &mut self,
        upstream: UpstreamKey,
        option: Option<crate::OptionId>,
        kind: ChangeKind,
        old_value: Option<String>,
        new_value: Option<String>,
        reason: Option<String>,
    ) {
        self.out.changes.push(Change {
            upstream,
            option,
            kind,
            old_value,
            new_value,
            reason,
        });
    }
}

/// Projects `keys`, in order. A projection reads the mirror and nothing else, so a large plan
/// (an import of everything) projects on every core, in rayon's pool: a third of its time
/// otherwise.
fn project_all(projector: &Projector<'_>, keys: &[UpstreamKey]) -> Vec<Projection> {
    use rayon::prelude::*;
    const PARALLEL_FROM: usize = 20_000;
    if keys.len() < PARALLEL_FROM {
        return keys.iter().map(|key| projector.project(*key)).collect();
    }
    keys.par_iter()
        .with_min_len(PARALLEL_FROM / 4)
        .map(|key| projector.project(*key))
        .collect()
}

/// The final tree of a plan.
struct Tree {
    /// How deep every option in it is, existing or new: past the deepest level where NetSuite
    /// puts a record there.
    depths: FxHashMap<UpstreamKey, usize>,
    /// The final parent of each.
    parent_of: FxHashMap<UpstreamKey, Option<UpstreamKey>>,
    /// Valid records that take their NetSuite place.
    placed: FxHashSet<UpstreamKey>,
    /// Valid records that could not be placed, with the reason.
    rejected: Vec<(UpstreamKey, String)>,
}

impl Tree {
    /// The ancestor of `key` (at `depth`) at depth `target`, or none for depth 0 (the top).
    fn ancestor_at(&self, key: UpstreamKey, depth: usize, target: usize) -> Option<UpstreamKey> {
        let mut at = key;
        for _ in target..depth {
            at = self.parent_of.get(&at).copied().flatten()?;
        }
        (target > 0).then_some(at)
    }
}

/// Depths from parent links: a root is 1, a child one below its parent. A key whose chain
/// reaches a missing parent or a cycle gets none. The answer does not depend on the order the
/// keys are visited in.
fn depths_of(
    parent_of: &FxHashMap<UpstreamKey, Option<UpstreamKey>>,
) -> FxHashMap<UpstreamKey, usize> {
    let mut depths: FxHashMap<UpstreamKey, usize> =
        FxHashMap::with_capacity_and_hasher(parent_of.len(), Default::default());
    let mut failed: FxHashSet<UpstreamKey> = FxHashSet::default();
    for start in parent_of.keys() {
        // Walk up to the first key already decided, then assign depths on the way back down.
        let mut chain = vec![*start];
        let mut base: Option<usize> = None;
        while let Some(key) = chain.last().copied() {
            if let Some(depth) = depths.get(&key) {
                chain.pop();
                base = Some(*depth);
                break;
            }
            if failed.contains(&key) {
                break;
            }
            match parent_of.get(&key) {
                None => break,
                Some(None) => {
                    chain.pop();
                    depths.insert(key, 1);
                    base = Some(1);
                    break;
                }
                Some(Some(parent)) => {
                    if chain.contains(parent) {
                        break;
                    }
                    chain.push(*parent);
                }
            }
        }
        match base {
            Some(mut depth) => {
                for key in chain.into_iter().rev() {
                    depth += 1;
                    depths.insert(key, depth);
                }
            }
            None => failed.extend(chain),
        }
    }
    depths
}
