//! Reading NetSuite into a new mirror: in full, or as the changes since the cursor.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use netsuite::{Client, Cursor, RecordKind, RowError, RowStream, Scope, Stages};
use nsync_core::{
    Change, ChangeKind, MirrorRecord, StoredOption, SubsidiaryId, UpstreamKey, UpstreamKind,
};

use nsync_core::reads::{self, ChangeRead, Delta, FullRead, Mirror, StagesRead};

use super::mirror;
use crate::EngineError;

/// Which road a refresh takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshMode {
    /// Changes since the cursor; in full when there is no cursor yet.
    Incremental,
    /// Everything, whatever the cursor (the periodic reconciliation, or `--full`).
    Full,
    /// Nothing read: the mirror as stored. For a preview of what the Import Customers list
    /// shows, which read NetSuite when it opened (a tick must not cost a NetSuite round trip).
    /// Without a stored read yet it reads like `Incremental`.
    Stored,
}

/// A refreshed mirror, not yet written: what changed against the prior one.
#[derive(Debug)]
pub(crate) struct Refreshed {
    pub delta: Delta,
    pub cursor: Cursor,
    /// Rows NetSuite sent that could not be read, each as a rejection with its reason.
    pub rejected: Vec<Change>,
}

/// Reads NetSuite and computes the new mirror of an integration.
/// `options` are the integration's options: a record deleted after it left the mirror is buried
/// there only if an option still stands for it.
/// `stages`: the customer stages the integration takes; a cursor of a full read that took
/// fewer stages cannot serve an incremental read (the records of the new stages were never read).
pub(crate) async fn refresh(
    client: &Client,
    scope: Option<SubsidiaryId>,
    stages: Stages,
    prior: &Mirror,
    options: &[StoredOption],
    cursor: Option<Cursor>,
    mode: RefreshMode,
) -> Result<Refreshed, EngineError> {
    let mut rejected = Vec::new();
    let (mut delta, cursor, deleted) = match (mode, cursor) {
        (RefreshMode::Stored, Some(cursor)) if cursor.modified.is_some() => {
            return Ok(Refreshed {
                delta: Delta::default(),
                cursor,
                rejected,
            });
        }
        (RefreshMode::Incremental, Some(cursor))
            if cursor.modified.is_some() && cursor.stages.covers(stages) =>
        {
            let read = incremental(client, scope, prior, cursor, &mut rejected);
            tokio::try_join!(read, subsidiary_stands(client, scope))?.0
        }
        (_, cursor) => {
            let read = full(
                client,
                scope,
                stages,
                prior,
                cursor.unwrap_or_default(),
                &mut rejected,
            );
            tokio::try_join!(read, subsidiary_stands(client, scope))?.0
        }
    };
    delta.bury_departed(prior, &deleted, options);
    Ok(Refreshed {
        delta,
        cursor,
        rejected,
    })
}

/// Fails the run when the integrated subsidiary is gone from NetSuite (asked beside the read,
/// in the same round of requests): its records then read as nothing, or as still linked to an
/// id that no longer exists, and neither may pass for the subsidiary's state.
async fn subsidiary_stands(
    client: &Client,
    scope: Option<SubsidiaryId>,
) -> Result<(), EngineError> {
    let Some(sub) = scope else {
        return Ok(());
    };
    if client
        .subsidiary_exists(netsuite::SubsidiaryId(sub.get()))
        .await?
    {
        return Ok(());
    }
    Err(EngineError::SubsidiaryGone(sub))
}

fn netsuite_scope(scope: Option<SubsidiaryId>) -> Scope {
    scope.map_or(Scope::Account, |s| {
        Scope::Subsidiary(netsuite::SubsidiaryId(s.get()))
    })
}

/// Drains a stream: every good row, and the rows that could not be decoded. A read error (a
/// failed or cut-short read) ends it, and the caller applies nothing.
async fn drain<T>(mut stream: RowStream<T>) -> Result<(Vec<T>, Vec<RowError>), EngineError> {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    while let Some(item) = stream.next().await {
        match item? {
            Ok(row) => good.push(row),
            Err(row) => bad.push(row),
        }
    }
    Ok((good, bad))
}

/// What a full read of one kind left: its records as the mirror keeps them, the newest stamp,
/// how many rows were read, and the rows that could not be.
#[derive(Default)]
struct Live {
    records: Mirror,
    newest: Option<DateTime<Utc>>,
    rows: usize,
    bad: Vec<RowError>,
}

/// Drains a full read, turning each row into its mirror record as it arrives. A read error ends
/// it, as in [`drain`].
async fn collect_live<T>(
    mut stream: RowStream<T>,
    record: impl Fn(&T) -> (DateTime<Utc>, Option<MirrorRecord>),
) -> Result<Live, EngineError> {
    let mut live = Live::default();
    while let Some(item) = stream.next().await {
        match item? {
            Ok(row) => {
                let (stamp, mirrored) = record(&row);
                live.rows += 1;
                live.newest = latest(live.newest, Some(stamp));
                if let Some(mirrored) = mirrored {
                    live.records.insert(mirrored.key, mirrored);
                }
            }
            Err(row) => live.bad.push(row),
        }
    }
    Ok(live)
}

/// Bad rows become rejections naming the record; the key they carry keeps its last known state.
fn unreadable(bad: &[RowError], rejected: &mut Vec<Change>) -> BTreeSet<UpstreamKey> {
    let mut keys = BTreeSet::new();
    for row in bad {
        tracing::warn!(table = row.table, row = %row.row_id, reason = %row.reason, "NetSuite row left out");
        let kind = match row.table {
            "job" => UpstreamKind::Project,
            _ => UpstreamKind::Customer,
        };
        let Some(key) = row
            .row_id
            .parse()
            .ok()
            .and_then(|id| mirror::key(kind, netsuite::RecordId(id)))
        else {
            continue;
        };
        keys.insert(key);
        rejected.push(Change {
            upstream: key,
            option: None,
            kind: ChangeKind::Rejected,
            old_value: None,
            new_value: None,
            reason: Some(row.to_string()),
        });
    }
    keys
}

fn deleted_keys(deletions: &[netsuite::Deletion]) -> BTreeSet<UpstreamKey> {
    deletions
        .iter()
        .filter_map(|d| {
            let kind = match d.kind {
                RecordKind::Customer => UpstreamKind::Customer,
                RecordKind::Project => UpstreamKind::Project,
            };
            mirror::key(kind, d.id)
        })
        .collect()
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

async fn full(
    client: &Client,
    scope: Option<SubsidiaryId>,
    stages: Stages,
    prior: &Mirror,
    cursor: Cursor,
    rejected: &mut Vec<Change>,
) -> Result<(Delta, Cursor, BTreeSet<UpstreamKey>), EngineError> {
    let ns_scope = netsuite_scope(scope);
    // Straight to the reads: each sizes itself beside the account probe it needs. Rows become
    // mirror records as they arrive, while later pages are still in flight.
    let customers = async {
        let stream = client.customers_in(ns_scope, stages).await?;
        collect_live(stream, |c| (c.last_modified, mirror::customer(c, scope))).await
    };
    // An account without Projects says so when the read starts, or (a read that went out
    // before the probe answered) as the stream's first item, before any row.
    let projects = async {
        let read = match client.projects(ns_scope).await {
            Ok(stream) => collect_live(stream, |p| (p.last_modified, mirror::project(p))).await,
            Err(err) => Err(err.into()),
        };
        match read {
            Err(EngineError::NetSuite(netsuite::Error::ProjectsDisabled)) => Ok(Live::default()),
            other => other,
        }
    };
    // Deletions matter only for records already known; a first read has none.
    let has_live = prior.values().any(|r| !r.deleted);
    let deletions = async {
        if has_live {
            drain(client.deletions_since(&cursor).await?).await
        } else {
            Ok((Vec::new(), Vec::new()))
        }
    };
    let (customers, projects, (deletions, _)) = tokio::try_join!(customers, projects, deletions)?;
    let deleted = deleted_keys(&deletions);
    for (kind, rows) in [
        (UpstreamKind::Customer, customers.rows),
        (UpstreamKind::Project, projects.rows),
    ] {
        reads::check_not_suspiciously_empty(prior, kind, rows, &deleted)
            .map_err(|err| EngineError::SuspiciousRead(err.to_string()))?;
    }
    let mut unreadable_keys = unreadable(&customers.bad, rejected);
    unreadable_keys.extend(unreadable(&projects.bad, rejected));
    let newest = latest(customers.newest, projects.newest);
    let mut live = customers.records;
    let mut project_records = projects.records;
    live.append(&mut project_records);
    let next = reads::after_full_read(
        prior,
        FullRead {
            live,
            unreadable: unreadable_keys,
            deleted: deleted.clone(),
            stages: StagesRead {
                prospects: stages.prospects,
                leads: stages.leads,
            },
        },
    );
    let newest_deletion = deletions.iter().map(|d| d.at).max();
    let cursor = Cursor {
        modified: latest(cursor.modified, newest),
        // After a full read only later deletions matter: NetSuite's own newest stamp is a safe
        // start (the client reads an overlap window before it).
        deleted: latest(latest(cursor.deleted, newest_deletion), newest),
        stages,
    };
    Ok((reads::diff(prior, next), cursor, deleted))
}

async fn incremental(
    client: &Client,
    scope: Option<SubsidiaryId>,
    prior: &Mirror,
    mut cursor: Cursor,
    rejected: &mut Vec<Change>,
) -> Result<(Delta, Cursor, BTreeSet<UpstreamKey>), EngineError> {
    let changes = async { drain(client.changes_since(&cursor).await?).await };
    let deletions = async { drain(client.deletions_since(&cursor).await?).await };
    let ((changes, bad), (deletions, _)) = tokio::try_join!(changes, deletions)?;
    // The links are read after the changes, not beside them: read first, they could miss an
    // edit made between the two reads whose customer row the change read then returns, and the
    // cursor would move past it with the wrong answer. Read after, a link edit in between moves
    // the customer's stamp past the cursor, so the next run reads it again.
    let customers: Vec<&netsuite::Customer> = changes
        .iter()
        .filter_map(|c| match c {
            netsuite::Change::Customer(c) => Some(c),
            _ => None,
        })
        .collect();
    let linked = linked_customers(client, scope, &customers).await?;
    // Unreadable rows keep their last known state: an incremental read leaves them alone.
    unreadable(&bad, rejected);
    let mut read = ChangeRead {
        deleted: deleted_keys(&deletions),
        ..ChangeRead::default()
    };
    for change in &changes {
        let (record, in_scope) = match change {
            netsuite::Change::Customer(c) => (
                mirror::customer(c, scope),
                scope.is_none() || linked.contains(&c.id),
            ),
            netsuite::Change::Project(p) => (
                mirror::project(p),
                scope.is_none_or(|s| p.subsidiary == Some(netsuite::SubsidiaryId(s.get()))),
            ),
            // A link change also moves its customer's stamp, so the customer is read above.
            netsuite::Change::Link(_) => (None, false),
        };
        let Some(record) = record else { continue };
        if in_scope {
            read.live.push(record);
        } else {
            read.out_of_scope.insert(record.key);
        }
    }
    changes.iter().for_each(|c| cursor.observe_change(c));
    deletions.iter().for_each(|d| cursor.observe_deletion(d));
    let deleted = read.deleted.clone();
    Ok((reads::change_delta(prior, read), cursor, deleted))
}

/// Which of these changed customers are still associated with the integrated subsidiary.
async fn linked_customers(
    client: &Client,
    scope: Option<SubsidiaryId>,
    customers: &[&netsuite::Customer],
) -> Result<BTreeSet<netsuite::RecordId>, EngineError> {
    if scope.is_none() || customers.is_empty() {
        return Ok(BTreeSet::new());
    }
    let ids: Vec<netsuite::RecordId> = customers.iter().map(|c| c.id).collect();
    let (links, bad) = drain(
        client
            .subsidiary_links_of(netsuite_scope(scope), &ids)
            .await?,
    )
    .await?;
    // An unreadable link could be the one that keeps a customer in scope: refuse to guess.
    if let Some(row) = bad.first() {
        return Err(EngineError::SuspiciousRead(format!(
            "a subsidiary link could not be read ({row})"
        )));
    }
    Ok(links.into_iter().map(|l| l.customer).collect())
}
