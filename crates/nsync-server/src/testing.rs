//! Test support for the suites that check options against NetSuite's state (feature `testing`):
//! NetSuite's state read straight from the emulated database ([`Truth`]), and the options
//! compared with it ([`Verdict`]). The engine's histories and soak tests and the command line's
//! crash test share these, so the three agree on what "true to NetSuite" means.

use std::collections::{BTreeMap, BTreeSet};

use netsuite_emulator::Control;
use nsync_core::{
    person_display_name, InactiveReason, Level, OptionState, RecordId, StoredOption, UpstreamKey,
    UpstreamKind,
};
use serde_json::{Map, Value};

/// The integrations' deepest level in these tests (the default).
const DEEPEST: usize = 3;

/// Every row of a query run directly on the emulated database of `account`.
pub fn rows(control: &Control, account: &str, q: &str) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    loop {
        let page = control
            .suiteql(account, q, out.len(), 1000)
            .expect("ground truth");
        let n = page.items.len();
        out.extend(page.items);
        if n < 1000 {
            return out;
        }
    }
}

/// A column of a row, as text.
pub fn text(row: &Map<String, Value>, col: &str) -> Option<String> {
    row.get(col).and_then(Value::as_str).map(str::to_owned)
}

fn key(kind: UpstreamKind, id: i64) -> UpstreamKey {
    UpstreamKey {
        kind,
        id: RecordId::new(id).expect("a NetSuite id"),
    }
}

/// What an option must look like: name, parent, state, level.
pub type Projected<'a> = (&'a str, Option<UpstreamKey>, OptionState, usize);

/// NetSuite's state for one subsidiary, read straight from the emulated database.
pub struct Truth {
    /// Name, parent id, inactive, and whether the record is in the integrated subsidiary.
    pub records: BTreeMap<UpstreamKey, (String, Option<i64>, bool, bool)>,
    projects: BTreeSet<i64>,
    /// Records deleted in NetSuite.
    pub deleted: BTreeSet<UpstreamKey>,
    /// Leads and prospects: the integration takes customers only.
    not_customers: BTreeSet<UpstreamKey>,
    /// Projects in the status named Closed (the default choice of closed statuses).
    closed: BTreeSet<UpstreamKey>,
}

impl Truth {
    /// Reads the customers and projects of `account`, scoped to subsidiary `sub`.
    pub fn read(control: &Control, account: &str, sub: i64) -> Self {
        let rows = |q: &str| rows(control, account, q);
        let linked: BTreeSet<i64> = rows(&format!(
            "SELECT entity FROM customersubsidiaryrelationship WHERE subsidiary = {sub}"
        ))
        .iter()
        .filter_map(|r| text(r, "entity")?.parse().ok())
        .collect();
        let mut records = BTreeMap::new();
        let mut not_customers = BTreeSet::new();
        let mut closed = BTreeSet::new();
        let q = "SELECT id, companyname, isperson, firstname, middlename, lastname, isinactive, \
                 parent, searchstage FROM customer";
        for r in rows(q) {
            let id: i64 = text(&r, "id").and_then(|t| t.parse().ok()).expect("an id");
            let name = if text(&r, "isperson").as_deref() == Some("T") {
                person_display_name(
                    text(&r, "firstname").as_deref(),
                    text(&r, "middlename").as_deref(),
                    text(&r, "lastname").as_deref(),
                )
            } else {
                text(&r, "companyname").unwrap_or_default()
            };
            let parent = text(&r, "parent").and_then(|p| p.parse().ok());
            let inactive = text(&r, "isinactive").as_deref() == Some("T");
            let customer = key(UpstreamKind::Customer, id);
            if text(&r, "searchstage").as_deref() != Some("Customer") {
                not_customers.insert(customer);
            }
            records.insert(customer, (name, parent, inactive, linked.contains(&id)));
        }
        let mut projects = BTreeSet::new();
        let q = "SELECT id, companyname, isinactive, parent, subsidiary, entitystatus FROM job";
        for r in rows(q) {
            let id: i64 = text(&r, "id").and_then(|t| t.parse().ok()).expect("an id");
            projects.insert(id);
            let project = key(UpstreamKind::Project, id);
            if text(&r, "entitystatus").as_deref() == Some("1") {
                closed.insert(project);
            }
            let parent = text(&r, "parent").and_then(|p| p.parse().ok());
            let inactive = text(&r, "isinactive").as_deref() == Some("T");
            let in_scope = text(&r, "subsidiary") == Some(sub.to_string());
            let name = text(&r, "companyname").unwrap_or_default();
            records.insert(project, (name, parent, inactive, in_scope));
        }
        let deleted = rows("SELECT recordid, recordtypeid FROM deletedrecord")
            .iter()
            .map(|r| {
                let id = text(r, "recordid")
                    .and_then(|t| t.parse().ok())
                    .expect("an id");
                let kind = if text(r, "recordtypeid").as_deref() == Some("job") {
                    UpstreamKind::Project
                } else {
                    UpstreamKind::Customer
                };
                key(kind, id)
            })
            .collect();
        Self {
            records,
            projects,
            deleted,
            not_customers,
            closed,
        }
    }

    /// Whether NetSuite has the record in the integrated subsidiary.
    pub fn in_scope(&self, key: UpstreamKey) -> bool {
        self.records.get(&key).is_some_and(|r| r.3)
    }

    /// A lead or a prospect of the integrated subsidiary: its option must say so.
    pub fn stage_excluded(&self, key: UpstreamKey) -> bool {
        self.in_scope(key) && self.not_customers.contains(&key)
    }

    fn parent_key(&self, id: i64) -> UpstreamKey {
        let kind = if self.projects.contains(&id) {
            UpstreamKind::Project
        } else {
            UpstreamKind::Customer
        };
        key(kind, id)
    }

    /// The ancestors of `key`, its parent first, when its whole chain is sound (in scope, of
    /// stage Customer, no customer under a project); `None` when the record is gone or rejected.
    fn sound_chain(&self, key: UpstreamKey) -> Option<Vec<UpstreamKey>> {
        let (_, parent, _, in_scope) = self.records.get(&key)?;
        if !in_scope || self.not_customers.contains(&key) {
            return None;
        }
        let mut chain = Vec::new();
        let (mut child, mut next) = (key, *parent);
        while let Some(p) = next {
            let up = self.parent_key(p);
            let (_, grand, _, up_in_scope) = self.records.get(&up)?;
            if !up_in_scope
                || self.not_customers.contains(&up)
                || chain.len() > 64
                || (child.kind == UpstreamKind::Customer && up.kind == UpstreamKind::Project)
            {
                return None;
            }
            chain.push(up);
            child = up;
            next = *grand;
        }
        Some(chain)
    }

    /// How the option of a record with a sound chain that NetSuite puts past the deepest level
    /// (3, the default) must hang: its parent (the ancestor at level 2), level and state.
    pub fn too_deep(&self, key: UpstreamKey) -> Option<(Option<UpstreamKey>, u8, OptionState)> {
        let chain = self.sound_chain(key)?;
        (chain.len() >= DEEPEST).then(|| {
            (
                Some(chain[chain.len() - (DEEPEST - 1)]),
                DEEPEST as u8,
                OptionState::Inactive(InactiveReason::TooDeep),
            )
        })
    }

    /// What the option of `key` must look like, when its whole chain is sound and at most
    /// three deep; `None` when the record is gone, rejected or too deep.
    pub fn project(&self, key: UpstreamKey) -> Option<Projected<'_>> {
        let chain = self.sound_chain(key)?;
        if chain.len() >= DEEPEST {
            return None;
        }
        let (name, parent, inactive, _) = self.records.get(&key)?;
        let state = if *inactive {
            OptionState::Inactive(InactiveReason::InactiveInNetSuite)
        } else if self.closed.contains(&key) {
            OptionState::Inactive(InactiveReason::ClosedInNetSuite)
        } else {
            OptionState::Active
        };
        let parent = parent.map(|p| self.parent_key(p));
        Some((name.as_str(), parent, state, chain.len() + 1))
    }

    /// The records an import of everything turns into options.
    pub fn valid(&self) -> BTreeSet<UpstreamKey> {
        self.records
            .keys()
            .filter(|k| self.project(**k).is_some())
            .copied()
            .collect()
    }

    /// The records that must have an option: every one in `must`, and every sound project
    /// below a customer in `imported` (the integration imports new projects of imported
    /// customers).
    fn must_have(
        &self,
        must: &BTreeSet<UpstreamKey>,
        imported: &BTreeSet<UpstreamKey>,
    ) -> BTreeSet<UpstreamKey> {
        let mut out = must.clone();
        for key in self.records.keys() {
            if key.kind != UpstreamKind::Project {
                continue;
            }
            let mut next = self.project(*key).and_then(|p| p.1);
            while let Some(up) = next {
                if imported.contains(&up) {
                    out.insert(*key);
                    break;
                }
                next = self.project(up).and_then(|p| p.1);
            }
        }
        out
    }
}

/// An integration's options compared with NetSuite's state.
#[derive(Debug, Default)]
pub struct Verdict {
    /// How many options there are.
    pub options: usize,
    /// Records that had an option, or must have one, and have none.
    pub lost: Vec<UpstreamKey>,
    /// Records with more than one option.
    pub duplicated: Vec<UpstreamKey>,
    /// Options inactive whose record is active and sound in NetSuite.
    pub wrongly_deactivated: Vec<String>,
    /// Any other difference (name, parent, level, a state that should be inactive).
    pub wrong: Vec<String>,
    /// Options of records deleted after they left the subsidiary that still say the record left
    /// (the mirror holds only records in scope; the deletion must still reach the option).
    pub deleted_after_leaving: Vec<UpstreamKey>,
    /// Options below the integration's deepest level.
    pub sunk: usize,
    /// Options not one level below their parent.
    pub misleveled: usize,
}

impl Verdict {
    /// `stored`: the integrated options; `mirror`: the records the mirror holds; `must`: records
    /// that must have an option (those that ever had one, those an import asked for);
    /// `imported`: the customers with an option before the last run (an update imports new
    /// projects below those; a customer it brings along as an ancestor counts from the next);
    /// `deepest`: the integration's deepest level.
    pub fn of(
        truth: &Truth,
        stored: &[StoredOption],
        mirror: &BTreeSet<UpstreamKey>,
        must: &BTreeSet<UpstreamKey>,
        imported: &BTreeSet<UpstreamKey>,
        deepest: Level,
    ) -> Self {
        let mut verdict = Verdict {
            options: stored.len(),
            ..Verdict::default()
        };
        let mut options: BTreeMap<UpstreamKey, &StoredOption> = BTreeMap::new();
        for option in stored {
            let key = option
                .upstream
                .expect("an integrated option has its record");
            if options.insert(key, option).is_some() {
                verdict.duplicated.push(key);
            }
        }
        verdict.lost = truth
            .must_have(must, imported)
            .into_iter()
            .filter(|k| !options.contains_key(k))
            .collect();
        let levels: BTreeMap<_, _> = options.values().map(|o| (o.id, o.level)).collect();
        for option in options.values() {
            verdict.sunk += usize::from(option.level > deepest);
            let parent = option.parent.and_then(|p| levels.get(&p));
            let expected = parent.map_or(1, |l| l.get() + 1);
            verdict.misleveled += usize::from(option.level.get() != expected);
        }
        let left = OptionState::Inactive(InactiveReason::LeftSubsidiary);
        for (key, option) in options {
            if truth.deleted.contains(&key) && !mirror.contains(&key) && option.state == left {
                verdict.deleted_after_leaving.push(key);
                continue;
            }
            verdict.compare(truth, key, option);
        }
        verdict
    }

    fn compare(&mut self, truth: &Truth, key: UpstreamKey, option: &StoredOption) {
        let expected = if let Some((name, parent, state, depth)) = truth.project(key) {
            let found = (option.name.as_str(), option.upstream_parent, option.state);
            if !option.state.is_active() && state.is_active() {
                self.wrongly_deactivated.push(format!("{key}: {option:?}"));
            } else if found != (name, parent, state) || usize::from(option.level.get()) != depth {
                self.wrong.push(format!(
                    "{key}: {option:?}, expected {name:?} under {parent:?}, {state:?}, level {depth}"
                ));
            }
            return;
        } else if let Some(hung) = truth.too_deep(key) {
            let found = (option.upstream_parent, option.level.get(), option.state);
            if found != hung {
                self.wrong.push(format!(
                    "{key}: {option:?}, past the deepest level, expected {hung:?}"
                ));
            }
            return;
        } else if truth.deleted.contains(&key) {
            OptionState::Inactive(InactiveReason::DeletedInNetSuite)
        } else if truth.stage_excluded(key) {
            OptionState::Inactive(InactiveReason::StageNotIncluded)
        } else if !truth.in_scope(key) {
            OptionState::Inactive(InactiveReason::LeftSubsidiary)
        } else {
            // NetSuite holds it, but its chain is unsound (a parent out of scope, too deep):
            // the option keeps what it had.
            return;
        };
        if option.state != expected {
            self.wrong
                .push(format!("{key}: {option:?}, expected {expected:?}"));
        }
    }

    /// Whether the options are true to NetSuite.
    pub fn is_clean(&self) -> bool {
        self.lost.is_empty()
            && self.duplicated.is_empty()
            && self.wrongly_deactivated.is_empty()
            && self.wrong.is_empty()
            && self.deleted_after_leaving.is_empty()
            && self.sunk == 0
            && self.misleveled == 0
    }
}

/// The credentials the emulator issued for `account`, as an integration stores them.
pub fn credentials(
    emulator: &netsuite_emulator::Emulator,
    account: &str,
) -> nsync_core::Credentials {
    let tba = emulator
        .credentials(account)
        .expect("the emulator knows the account")
        .tba;
    nsync_core::Credentials::Tba {
        consumer_key: tba.consumer_key,
        consumer_secret: tba.consumer_secret.into(),
        token_id: tba.token_id,
        token_secret: tba.token_secret.into(),
    }
}

/// The subsidiary of `account` with the most customers, so a scope holds most of the tree.
pub fn busiest_subsidiary(control: &Control, account: &str) -> i64 {
    let q = "SELECT subsidiary, COUNT(*) AS n FROM customersubsidiaryrelationship \
             GROUP BY subsidiary ORDER BY n DESC";
    rows(control, account, q)
        .first()
        .and_then(|r| text(r, "subsidiary"))
        .and_then(|s| s.parse().ok())
        .expect("a subsidiary with customers")
}
