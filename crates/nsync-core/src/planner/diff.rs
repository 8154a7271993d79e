//! Diffing: what each option of the final tree must become, and the change that says so.

use super::project::{Desired, Projection};
use super::tree::Tree;
use super::Planner;
use crate::{Change, ChangeKind, Level, OptionState, OptionUpsert, StoredOption, UpstreamKey};

impl Planner<'_> {
    pub(super) fn reject(&mut self, key: UpstreamKey, reason: String) {
        let option = self.existing.get(&key).map(|o| o.id);
        self.out.counts.rejected += 1;
        self.push(key, option, ChangeKind::Rejected, None, None, Some(reason));
    }

    /// An option whose record was deleted or left the subsidiary keeps its place and name and
    /// becomes inactive with the reason. A record never imported needs nothing.
    pub(super) fn deactivate(
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
    pub(super) fn relevel(&mut self, key: UpstreamKey, level: Level) -> Option<OptionUpsert> {
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
    pub(super) fn hang_at_deepest(
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
    pub(super) fn diff(
        &mut self,
        key: UpstreamKey,
        desired: Desired,
        level: Level,
    ) -> Option<OptionUpsert> {
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
            self.out.counts.restored += 1;
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
    pub(super) fn diff_state(
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
                match reason {
                    crate::InactiveReason::DeletedInNetSuite => self.out.counts.deleted += 1,
                    _ => self.out.counts.deactivated += 1,
                }
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
                if new == crate::InactiveReason::DeletedInNetSuite {
                    self.out.counts.deleted += 1;
                }
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

    pub(super) fn push(
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
