//! The mirror's rules: what a NetSuite read makes of the last known state. Pure: the same
//! NetSuite state gives the same mirror whether it was read in full or as changes since the
//! cursor. The server turns NetSuite's rows into [`MirrorRecord`]s and calls these.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::{MirrorName, MirrorRecord, RecordId, Stage, StoredOption, UpstreamKey, UpstreamKind};

/// The mirror of one integration, by record.
pub type Mirror = BTreeMap<UpstreamKey, MirrorRecord>;

/// The customer stages a read took (customers always; leads and prospects when the
/// integration takes them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StagesRead {
    /// Prospects were read.
    pub prospects: bool,
    /// Leads were read.
    pub leads: bool,
}

impl StagesRead {
    /// Whether records of `stage` were read.
    pub fn includes(self, stage: Stage) -> bool {
        match stage {
            Stage::Customer => true,
            Stage::Prospect => self.prospects,
            Stage::Lead => self.leads,
        }
    }
}

/// What a full read found.
#[derive(Debug, Default)]
pub struct FullRead {
    /// Every record associated with the integrated subsidiary.
    pub live: Mirror,
    /// Rows NetSuite sent that could not be decoded: their last known state is kept.
    pub unreadable: BTreeSet<UpstreamKey>,
    /// Records deleted since the cursor.
    pub deleted: BTreeSet<UpstreamKey>,
    /// The stages the read took: a known customer record of another stage was not read because
    /// of its stage, not because it left.
    pub stages: StagesRead,
}

/// What an incremental read found.
#[derive(Debug, Default)]
pub struct ChangeRead {
    /// Records changed since the cursor and associated with the integrated subsidiary.
    pub live: Vec<MirrorRecord>,
    /// Records changed since the cursor that are not (or no longer) associated with it.
    pub out_of_scope: BTreeSet<UpstreamKey>,
    /// Records deleted since the cursor.
    pub deleted: BTreeSet<UpstreamKey>,
}

/// The mirror after a full read: what was read; known records that were deleted become
/// tombstones; known customer records of a stage the read did not take keep their last known
/// state; other known records neither read nor deleted left the subsidiary and are dropped.
pub fn after_full_read(prior: &Mirror, read: FullRead) -> Mirror {
    let mut out = read.live;
    for (key, record) in prior {
        if out.contains_key(key) {
            continue;
        }
        let unread_stage = record
            .stage
            .as_deref()
            .and_then(Stage::parse)
            .is_some_and(|s| !read.stages.includes(s));
        if read.unreadable.contains(key) {
            out.insert(*key, record.clone());
        } else if record.deleted || read.deleted.contains(key) {
            out.insert(*key, tombstone(record));
        } else if unread_stage {
            out.insert(*key, record.clone());
        }
    }
    resolve_parents(&mut out);
    out
}

/// The mirror after an incremental read: the same rules as [`after_full_read`], applied to
/// what changed.
pub fn after_change_read(prior: &Mirror, read: ChangeRead) -> Mirror {
    let mut out = prior.clone();
    change_delta(prior, read).apply(&mut out);
    out
}

/// [`after_change_read`] as the [`Delta`] it makes, computed from the records the read touched:
/// an update after a few changes does not copy the 100,000 records it leaves alone. The prior
/// mirror's parents are taken as resolved (every mirror this module makes is).
pub fn change_delta(prior: &Mirror, read: ChangeRead) -> Delta {
    // Each touched key's new state: `None` when it leaves the mirror.
    let mut touched: BTreeMap<UpstreamKey, Option<MirrorRecord>> = BTreeMap::new();
    for key in &read.out_of_scope {
        if prior.get(key).is_some_and(|r| !r.deleted) {
            touched.insert(*key, None);
        }
    }
    for record in read.live {
        touched.insert(record.key, Some(record));
    }
    for key in &read.deleted {
        if !touched.contains_key(key) {
            if let Some(record) = prior.get(key) {
                touched.insert(*key, Some(record.clone()));
            }
        }
        if let Some(Some(record)) = touched.get_mut(key) {
            record.deleted = true;
        }
    }
    let project = |id: RecordId| UpstreamKey {
        kind: UpstreamKind::Project,
        id,
    };
    let project_after =
        |touched: &BTreeMap<UpstreamKey, Option<MirrorRecord>>, id: RecordId| match touched
            .get(&project(id))
        {
            Some(state) => state.is_some(),
            None => prior.contains_key(&project(id)),
        };
    // An untouched record whose parent id became, or stopped being, a project's is re-resolved.
    let moved: BTreeSet<RecordId> = touched
        .keys()
        .filter(|k| k.kind == UpstreamKind::Project)
        .map(|k| k.id)
        .filter(|id| prior.contains_key(&project(*id)) != project_after(&touched, *id))
        .collect();
    if !moved.is_empty() {
        let reparented: Vec<MirrorRecord> = prior
            .iter()
            .filter(|(key, r)| {
                !touched.contains_key(key) && r.parent.is_some_and(|p| moved.contains(&p.id))
            })
            .map(|(_, r)| r.clone())
            .collect();
        for record in reparented {
            touched.insert(record.key, Some(record));
        }
    }
    let projects: BTreeSet<RecordId> = touched
        .values()
        .flatten()
        .filter_map(|r| r.parent.map(|p| p.id))
        .filter(|id| project_after(&touched, *id))
        .collect();
    let mut delta = Delta::default();
    for (key, state) in touched {
        match state {
            Some(mut record) => {
                if let Some(parent) = &mut record.parent {
                    parent.kind = if projects.contains(&parent.id) {
                        UpstreamKind::Project
                    } else {
                        UpstreamKind::Customer
                    };
                }
                if prior.get(&key) != Some(&record) {
                    delta.upserts.push(record);
                }
            }
            None if prior.contains_key(&key) => delta.removals.push(key),
            None => {}
        }
    }
    delta
}

/// What a read changed in the mirror: the records to upsert (in key order) and the keys to
/// remove. Together with the prior mirror it is the new one, so the new mirror is never held
/// twice: an import's 100,000 records move into the plan instead of being copied there.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Delta {
    /// New or changed records, in key order.
    pub upserts: Vec<MirrorRecord>,
    /// Keys of `prior` that `next` no longer has, in key order.
    pub removals: Vec<UpstreamKey>,
}

/// What to write to turn `prior` into `next`. Takes `next` apart: its changed records move into
/// the delta, the unchanged ones are dropped (`prior` has them).
pub fn diff(prior: &Mirror, next: Mirror) -> Delta {
    let removals = prior
        .keys()
        .filter(|k| !next.contains_key(k))
        .copied()
        .collect();
    // A first read upserts everything: room for all of it at once, not a doubling copy of
    // 25 MB at a time (fresh memory is what costs here).
    let mut upserts = Vec::with_capacity(if prior.is_empty() { next.len() } else { 0 });
    upserts.extend(next.into_values().filter(|r| prior.get(&r.key) != Some(r)));
    Delta { upserts, removals }
}

impl Delta {
    /// The mirror holds the records in scope, so a record that left the subsidiary is no longer in
    /// it; if NetSuite then deletes the record, its option must say "deleted in NetSuite", not "no
    /// longer in the subsidiary". Such a record gets a tombstone made from its option (the last
    /// state nsync knew), and keeps it like any other tombstone. Both roads read the same
    /// deletions, so both bury the same records.
    pub fn bury_departed(
        &mut self,
        prior: &Mirror,
        deleted: &BTreeSet<UpstreamKey>,
        options: &[StoredOption],
    ) {
        if deleted.is_empty() {
            return;
        }
        for option in options {
            let Some(key) = option.upstream.filter(|k| deleted.contains(k)) else {
                continue;
            };
            let upserted = self.upserts.binary_search_by_key(&key, |r| r.key);
            let removed = self.removals.binary_search(&key);
            if upserted.is_ok() || (prior.contains_key(&key) && removed.is_err()) {
                continue;
            }
            let tombstone = MirrorRecord {
                key,
                parent: option.upstream_parent,
                name: MirrorName::Plain {
                    name: option.name.as_str().to_owned(),
                },
                number: option.number.clone(),
                inactive: false,
                subsidiaries: Vec::new(),
                last_modified: None,
                deleted: true,
                stage: None,
                status: None,
                status_name: None,
            };
            if let Ok(at) = removed {
                self.removals.remove(at);
                if prior.get(&key) == Some(&tombstone) {
                    continue;
                }
            }
            if let Err(at) = upserted {
                self.upserts.insert(at, tombstone);
            }
        }
    }

    /// The new mirror as references into `prior` and this delta, in key order.
    pub fn view<'a>(&'a self, prior: &'a Mirror) -> Vec<&'a MirrorRecord> {
        let mut out = Vec::with_capacity(prior.len() + self.upserts.len());
        let mut removed = self.removals.iter().peekable();
        let mut upserts = self.upserts.iter().peekable();
        for (key, record) in prior {
            while let Some(up) = upserts.next_if(|u| u.key < *key) {
                out.push(up);
            }
            if removed.next_if(|k| *k == key).is_some() {
                continue;
            }
            match upserts.next_if(|u| u.key == *key) {
                Some(up) => out.push(up),
                None => out.push(record),
            }
        }
        out.extend(upserts);
        out
    }

    /// Turns `prior` into the new mirror.
    pub fn apply(self, prior: &mut Mirror) {
        for key in &self.removals {
            prior.remove(key);
        }
        for record in self.upserts {
            prior.insert(record.key, record);
        }
    }
}

/// A full read that answered no record of a kind, where records of that kind were known and
/// NetSuite did not say they were deleted: far likelier a broken read (permissions, the
/// subsidiary) than an empty account, so nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspiciousRead {
    /// The kind NetSuite answered none of.
    pub kind: UpstreamKind,
    /// How many records of it were known and not deleted.
    pub unexplained: usize,
}

impl fmt::Display for SuspiciousRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NetSuite returned no {} at all, where {} were known and none of them was deleted; \
             this looks like a broken read (permissions, subsidiary) rather than an empty account",
            self.kind, self.unexplained
        )
    }
}

impl std::error::Error for SuspiciousRead {}

/// Checks a full read's count of `kind` (`read` rows) against what was known.
pub fn check_not_suspiciously_empty(
    prior: &Mirror,
    kind: UpstreamKind,
    read: usize,
    deleted: &BTreeSet<UpstreamKey>,
) -> Result<(), SuspiciousRead> {
    if read > 0 {
        return Ok(());
    }
    let unexplained = prior
        .values()
        .filter(|r| r.key.kind == kind && !r.deleted && !deleted.contains(&r.key))
        .count();
    if unexplained == 0 {
        return Ok(());
    }
    Err(SuspiciousRead { kind, unexplained })
}

/// NetSuite's `parent` is a bare entity id, and customers and projects share one id space: a
/// parent is a project when a project of that id is known, a customer otherwise. Decided over the
/// whole mirror, so both roads settle every parent the same way.
fn resolve_parents(mirror: &mut Mirror) {
    let projects: BTreeSet<RecordId> = mirror
        .keys()
        .filter(|k| k.kind == UpstreamKind::Project)
        .map(|k| k.id)
        .collect();
    for record in mirror.values_mut() {
        if let Some(parent) = &mut record.parent {
            parent.kind = if projects.contains(&parent.id) {
                UpstreamKind::Project
            } else {
                UpstreamKind::Customer
            };
        }
    }
}

fn tombstone(record: &MirrorRecord) -> MirrorRecord {
    MirrorRecord {
        deleted: true,
        ..record.clone()
    }
}
