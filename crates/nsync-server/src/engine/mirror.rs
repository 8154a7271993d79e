//! NetSuite rows into mirror records: the rim where the client's types become the core's. What
//! a read makes of the mirror is the core's (`nsync_core::reads`).

use nsync_core::{MirrorName, MirrorRecord, RecordId, SubsidiaryId, UpstreamKey, UpstreamKind};

pub(crate) use nsync_core::reads::Mirror;

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
