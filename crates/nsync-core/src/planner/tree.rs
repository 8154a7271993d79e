//! The final tree of a plan: projecting the targets and the ancestors they need, then settling
//! where every option goes (depth and parent), before anything is diffed.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};

use super::project::{Projection, Projector};
use super::Planner;
use crate::UpstreamKey;

impl Planner<'_> {
    /// Projects every target and the ancestors of each valid one. A projection depends on its
    /// key alone, so the order of the walk does not matter (and callers that visit the answer
    /// where order shows sort first: the change list is sorted at the end).
    pub(super) fn close_over_ancestors(
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
    pub(super) fn push_unprojected_ancestors(
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
    pub(super) fn settle(&self, projections: &FxHashMap<UpstreamKey, Projection>) -> Tree {
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
}

/// Projects `keys`, in order. A projection reads the mirror and nothing else, so a large plan
/// (an import of everything) projects on every core, in rayon's pool: a third of its time
/// otherwise.
pub(super) fn project_all(projector: &Projector<'_>, keys: &[UpstreamKey]) -> Vec<Projection> {
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
pub(super) struct Tree {
    /// How deep every option in it is, existing or new: past the deepest level where NetSuite
    /// puts a record there.
    pub(super) depths: FxHashMap<UpstreamKey, usize>,
    /// The final parent of each.
    pub(super) parent_of: FxHashMap<UpstreamKey, Option<UpstreamKey>>,
    /// Valid records that take their NetSuite place.
    pub(super) placed: FxHashSet<UpstreamKey>,
    /// Valid records that could not be placed, with the reason.
    pub(super) rejected: Vec<(UpstreamKey, String)>,
}

impl Tree {
    /// The ancestor of `key` (at `depth`) at depth `target`, or none for depth 0 (the top).
    pub(super) fn ancestor_at(
        &self,
        key: UpstreamKey,
        depth: usize,
        target: usize,
    ) -> Option<UpstreamKey> {
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
pub(super) fn depths_of(
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
