//! Data churn: changes about a fraction of an account's customers and projects the way its
//! users would between two syncs (mostly renames, some records made inactive or active again),
//! through the strict write path, so each change bumps `lastmodifieddate` like any other write.

use chrono::{DateTime, Utc};
use rand::seq::{index, SliceRandom as _};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use serde::Serialize;

use crate::dataset::names;
use crate::{Mode, Mutation, MutationError, PersonName, RecordKind, SchemaOptions};

/// The share of chosen records that are renamed; the others flip their inactive flag.
const RENAME_SHARE: f64 = 0.8;

/// How much of one account to change. The same spec on the same data makes the same changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChurnSpec {
    /// Share of each kind's records to change, `0.0..=1.0` (rounded to whole records).
    pub fraction: f64,
    /// Picks the records and the changes.
    pub seed: u64,
}

/// What a churn changed in one record kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindChurn {
    /// Renamed (company or project name; an individual's last name).
    pub renamed: usize,
    /// Made inactive.
    pub made_inactive: usize,
    /// Made active again.
    pub made_active: usize,
    /// Changes the strict rules refused (none expected; counted rather than hidden).
    pub refused: usize,
}

impl KindChurn {
    /// Records this kind had changed.
    pub fn changed(&self) -> usize {
        self.renamed + self.made_inactive + self.made_active
    }

    fn add(&mut self, other: &Self) {
        self.renamed += other.renamed;
        self.made_inactive += other.made_inactive;
        self.made_active += other.made_active;
        self.refused += other.refused;
    }
}

/// What a churn changed, per kind; reports of several accounts add up with [`ChurnReport::add`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChurnReport {
    /// Customer records (leads and prospects included).
    pub customers: KindChurn,
    /// Projects.
    pub projects: KindChurn,
}

impl ChurnReport {
    /// Records changed, both kinds.
    pub fn records_changed(&self) -> usize {
        self.customers.changed() + self.projects.changed()
    }

    /// Adds another account's report to this one.
    pub fn add(&mut self, other: &Self) {
        self.customers.add(&other.customers);
        self.projects.add(&other.projects);
    }
}

/// What one change does, for the report.
#[derive(Clone, Copy)]
enum Action {
    Rename,
    MakeInactive,
    MakeActive,
}

/// One record as churn sees it.
struct Candidate {
    id: i64,
    inactive: bool,
    /// Individuals' first and middle names; `None` for companies and projects.
    person: Option<(String, Option<String>)>,
}

pub(crate) fn churn(
    conn: &mut Connection,
    opts: &SchemaOptions,
    spec: ChurnSpec,
    now: DateTime<Utc>,
) -> Result<ChurnReport, MutationError> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut planned = Vec::new();
    let customers = candidates(
        conn,
        "SELECT id, isinactive, isperson, firstname, middlename FROM customer ORDER BY id",
    )?;
    plan(
        &mut rng,
        RecordKind::Customer,
        &customers,
        spec.fraction,
        &mut planned,
    );
    if opts.projects_enabled {
        let projects = candidates(
            conn,
            "SELECT id, isinactive, 'F', NULL, NULL FROM job ORDER BY id",
        )?;
        plan(
            &mut rng,
            RecordKind::Project,
            &projects,
            spec.fraction,
            &mut planned,
        );
    }
    let (tags, changes): (Vec<_>, Vec<_>) = planned.into_iter().unzip();
    let results = crate::mutate::apply_each(conn, opts, changes, now, Mode::Strict)?;
    let mut report = ChurnReport::default();
    for ((kind, action), result) in tags.into_iter().zip(results) {
        let tally = match kind {
            RecordKind::Customer => &mut report.customers,
            RecordKind::Project => &mut report.projects,
        };
        let counter = match (result, action) {
            (Err(_), _) => &mut tally.refused,
            (Ok(_), Action::Rename) => &mut tally.renamed,
            (Ok(_), Action::MakeInactive) => &mut tally.made_inactive,
            (Ok(_), Action::MakeActive) => &mut tally.made_active,
        };
        *counter += 1;
    }
    Ok(report)
}

fn candidates(conn: &Connection, sql: &str) -> Result<Vec<Candidate>, MutationError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        let is_person = r.get::<_, String>(2)? == "T";
        let person = if is_person {
            Some((
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                r.get(4)?,
            ))
        } else {
            None
        };
        Ok(Candidate {
            id: r.get(0)?,
            inactive: r.get::<_, String>(1)? == "T",
            person,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Picks `fraction` of `records` and a change for each, in id order.
fn plan(
    rng: &mut ChaCha8Rng,
    kind: RecordKind,
    records: &[Candidate],
    fraction: f64,
    out: &mut Vec<((RecordKind, Action), Mutation)>,
) {
    let wanted = (fraction.clamp(0.0, 1.0) * records.len() as f64).round() as usize;
    let mut picked = index::sample(rng, records.len(), wanted.min(records.len())).into_vec();
    picked.sort_unstable();
    for i in picked {
        let record = &records[i];
        let (action, change) = if rng.gen_bool(RENAME_SHARE) {
            (Action::Rename, rename(rng, kind, record))
        } else {
            let action = if record.inactive {
                Action::MakeActive
            } else {
                Action::MakeInactive
            };
            let change = Mutation::SetInactive {
                kind,
                id: record.id,
                inactive: !record.inactive,
            };
            (action, change)
        };
        out.push(((kind, action), change));
    }
}

/// A new name from the generator's word lists, the id keeping it apart from other records.
fn rename(rng: &mut ChaCha8Rng, kind: RecordKind, record: &Candidate) -> Mutation {
    let pick = |rng: &mut ChaCha8Rng, words: &[&'static str]| -> &'static str {
        words.choose(rng).copied().unwrap_or("Renamed")
    };
    let id = record.id;
    match (kind, &record.person) {
        (RecordKind::Customer, Some((first, middle))) => Mutation::RenamePerson {
            id,
            name: PersonName {
                first: first.clone(),
                middle: middle.clone(),
                last: pick(rng, names::LAST_NAMES).to_owned(),
            },
        },
        (RecordKind::Customer, None) => {
            let first = pick(rng, names::COMPANY_FIRST);
            let second = pick(rng, names::COMPANY_SECOND);
            Mutation::Rename {
                kind,
                id,
                name: format!("{first} {second} {id}"),
            }
        }
        (RecordKind::Project, _) => Mutation::Rename {
            kind,
            id,
            name: format!("{} {id} (renamed)", pick(rng, names::PROJECT_WORDS)),
        },
    }
}
