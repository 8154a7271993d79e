//! NetSuite rows into mirror records, and the two roads to a new mirror. Pure: the same NetSuite
//! state gives the same mirror whether it was read in full or as changes since the cursor.

use std::collections::{BTreeMap, BTreeSet};

use nsync_core::{
    MirrorName, MirrorRecord, RecordId, StoredOption, SubsidiaryId, UpstreamKey, UpstreamKind,
};

/// The mirror of one integration, by record.
pub(crate) type Mirror = BTreeMap<UpstreamKey, MirrorRecord>;

pub(crate) fn key(kind: UpstreamKind, id: netsuite::RecordId) -> Option<UpstreamKey> {
    Some(UpstreamKey {
        kind,
        id: RecordId::new(id.0).ok()?,
    })
}

/// A customer as the mirror keeps it. Its subsidiaries are the integrated one (it was read
/// through its link to it) or none on an account without subsidiaries.
pub(crate) fn customer(
    c: &netsuite::Customer,
    scope: Option<SubsidiaryId>,
) -> Option<MirrorRecord> {
    let name = if c.is_person {
        MirrorName::Person {
            first: c.first_name.clone(),
            middle: c.middle_name.clone(),
            last: c.last_name.clone(),
        }
    } else {
        MirrorName::Plain {
            name: c.company_name.clone().unwrap_or_default(),
        }
    };
    Some(MirrorRecord {
        key: key(UpstreamKind::Customer, c.id)?,
        // The parent's kind is settled by `resolve_parents` once every record is known.
        parent: c.parent.and_then(|p| key(UpstreamKind::Customer, p)),
        name,
        number: Some(c.entity_id.clone()),
        inactive: c.is_inactive,
        subsidiaries: scope.into_iter().collect(),
        last_modified: Some(c.last_modified.to_rfc3339()),
        deleted: false,
        stage: c.stage.clone(),
        status: c.status,
        status_name: None,
    })
}

/// A project as the mirror keeps it (its subsidiary is its own).
pub(crate) fn project(p: &netsuite::Project) -> Option<MirrorRecord> {
    Some(MirrorRecord {
        key: key(UpstreamKind::Project, p.id)?,
        parent: p.parent.and_then(|id| key(UpstreamKind::Customer, id)),
        name: MirrorName::Plain {
            name: p.name.clone().unwrap_or_default(),
        },
        number: Some(p.entity_id.clone()),
        inactive: p.is_inactive,
        subsidiaries: p
            .subsidiary
            .and_then(|s| SubsidiaryId::new(s.0).ok())
            .into_iter()
            .collect(),
        last_modified: Some(p.last_modified.to_rfc3339()),
        deleted: false,
        stage: None,
        status: p.status,
        status_name: p.status_name.clone(),
    })
}

/// NetSuite's `parent` is a bare entity id, and customers and projects share one id space: a
/// parent is a project when a project of that id is known, a customer otherwise. Decided over the
/// whole mirror, so both roads settle every parent the same way.
pub(crate) fn resolve_parents(mirror: &mut Mirror) {
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

/// What a full read found.
#[derive(Debug, Default)]
pub(crate) struct FullRead {
    /// Every record associated with the integrated subsidiary.
    pub live: Mirror,
    /// Rows NetSuite sent that could not be decoded: their last known state is kept.
    pub unreadable: BTreeSet<UpstreamKey>,
    /// Records deleted since the cursor.
    pub deleted: BTreeSet<UpstreamKey>,
    /// The stages the read took: a known customer record of another stage was not read because
    /// of its stage, not because it left.
    pub stages: netsuite::Stages,
}

/// The mirror after a full read: what was read; known records that were deleted become
/// tombstones; known customer records of a stage the read did not take keep their last known
/// state; other known records neither read nor deleted left the subsidiary and are dropped.
pub(crate) fn after_full_read(prior: &Mirror, read: FullRead) -> Mirror {
    let mut out = read.live;
    for (key, record) in prior {
        if out.contains_key(key) {
            continue;
        }
        let unread_stage = record
            .stage
            .as_deref()
            .and_then(netsuite::Stage::parse)
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

/// What an incremental read found.
#[derive(Debug, Default)]
pub(crate) struct ChangeRead {
    /// Records changed since the cursor and associated with the integrated subsidiary.
    pub live: Vec<MirrorRecord>,
    /// Records changed since the cursor that are not (or no longer) associated with it.
    pub out_of_scope: BTreeSet<UpstreamKey>,
    /// Records deleted since the cursor.
    pub deleted: BTreeSet<UpstreamKey>,
}

/// The mirror after an incremental read: the same rules as [`after_full_read`], applied to
/// what changed.
pub(crate) fn after_change_read(prior: &Mirror, read: ChangeRead) -> Mirror {
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
pub(crate) fn bury_departed(
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

/// What to write to turn `prior` into `next`.
pub(crate) fn diff(prior: &Mirror, next: &Mirror) -> (Vec<MirrorRecord>, Vec<UpstreamKey>) {
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
