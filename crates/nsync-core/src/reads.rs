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
    for key in &read.out_of_scope {
        if out.get(key).is_some_and(|r| !r.deleted) {
            out.remove(key);
        }
    }
    for record in read.live {
        out.insert(record.key, record);
    }
    for key in &read.deleted {
        if let Some(record) = out.get_mut(key) {
            record.deleted = true;
        }
    }
    resolve_parents(&mut out);
    out
}

/// The mirror holds the records in scope, so a record that left the subsidiary is no longer in
/// it; if NetSuite then deletes the record, its option must say "deleted in NetSuite", not "no
/// longer in the subsidiary". Such a record gets a tombstone made from its option (the last
/// state nsync knew), and keeps it like any other tombstone. Both roads read the same
/// deletions, so both bury the same records.
pub fn bury_departed(
    mirror: &mut Mirror,
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
        mirror.entry(key).or_insert_with(|| MirrorRecord {
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
        });
    }
}

/// What to write to turn `prior` into `next`: the records to upsert and the keys to remove.
pub fn diff(prior: &Mirror, next: &Mirror) -> (Vec<MirrorRecord>, Vec<UpstreamKey>) {
    let upserts = next
        .values()
        .filter(|r| prior.get(&r.key) != Some(*r))
        .cloned()
        .collect();
    let removals = prior
        .keys()
        .filter(|k| !next.contains_key(k))
        .copied()
        .collect();
    (upserts, removals)
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
