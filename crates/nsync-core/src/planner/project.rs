//! What one upstream record should look like as an option, read from the mirror alone.

use rustc_hash::FxHashMap;

use crate::{
    InactiveReason, Level, MirrorRecord, OptionName, OptionState, OptionUpsert, StoredOption,
    UpstreamKey, UpstreamKind,
};

use super::PlanInput;

/// The option a valid record projects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Desired {
    pub parent: Option<UpstreamKey>,
    pub name: OptionName,
    pub number: Option<String>,
    pub state: OptionState,
    /// The reason in words, when the state's reason says too little.
    pub detail: Option<String>,
    /// Why the record is flawed (see [`Projection::Flawed`]).
    pub flaw: Option<String>,
}

impl Desired {
    pub fn into_upsert(
        self,
        upstream: UpstreamKey,
        level: Level,
        removed_here: bool,
    ) -> OptionUpsert {
        OptionUpsert {
            upstream,
            parent: self.parent,
            level,
            name: self.name,
            number: self.number,
            state: self.state,
            removed_here,
            flaw: self.flaw,
        }
    }
}

/// The verdict on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Projection {
    /// In scope and well-formed.
    Valid(Desired),
    /// Deleted in NetSuite, or no longer associated with the subsidiary.
    Gone(InactiveReason),
    /// Bad upstream data; the reason names the record and the rule it broke.
    Rejected(String),
    /// An imported record with a bad field (its name, its stage, its status): the rejection
    /// concerns that field only. The option keeps its last good value of it, and follows
    /// NetSuite in everything else (parent, inactive status); the reason is reported.
    Flawed(Desired, String),
}

impl Projection {
    /// What the option must look like, when the record takes its NetSuite place.
    pub fn desired(&self) -> Option<&Desired> {
        match self {
            Self::Valid(desired) | Self::Flawed(desired, _) => Some(desired),
            Self::Gone(_) | Self::Rejected(_) => None,
        }
    }
}

/// Indexes of the mirror, built once per plan. Hash maps for the lookups (a plan makes several
/// per record, and they dominated its time as B-trees); `ordered` keeps key order where it
/// is visible.
pub(super) struct Projector<'a> {
    records: FxHashMap<UpstreamKey, &'a MirrorRecord>,
    ordered: Vec<&'a MirrorRecord>,
    /// Built on first use: only a selection of subtrees asks.
    children: std::sync::OnceLock<FxHashMap<UpstreamKey, Vec<UpstreamKey>>>,
    /// The options by record, built on first use: only a record with a bad field asks.
    /// (Positions in the input, not references: a lock of references would pin the lifetime.)
    options: std::sync::OnceLock<FxHashMap<UpstreamKey, usize>>,
    input: PlanInput<'a>,
}

/// Deeper than any real hierarchy (NetSuite allows far fewer levels): a chain this long is a cycle.
const MAX_CHAIN: usize = 64;

impl<'a> Projector<'a> {
    pub fn new(input: PlanInput<'a>) -> Self {
        // The last of duplicate keys wins, as it would in a map built in order.
        let mut records: FxHashMap<UpstreamKey, &MirrorRecord> =
            FxHashMap::with_capacity_and_hasher(input.mirror.len(), Default::default());
        records.extend(input.mirror.iter().map(|r| (r.key, *r)));
        // The mirror usually comes in key order (from its map): then only duplicates go.
        let mut ordered: Vec<&MirrorRecord> = input.mirror.to_vec();
        if !ordered.is_sorted_by_key(|r| r.key) {
            ordered.sort_by_key(|r| r.key);
        }
        ordered.dedup_by(|later, earlier| {
            let duplicate = later.key == earlier.key;
            if duplicate {
                *earlier = *later;
            }
            duplicate
        });
        Self {
            records,
            ordered,
            children: std::sync::OnceLock::new(),
            options: std::sync::OnceLock::new(),
            input,
        }
    }

    /// Records the Import Customers list offers: in scope and not deleted, in key order.
    pub fn candidates(&self) -> impl Iterator<Item = &'a MirrorRecord> + '_ {
        self.ordered.iter().copied().filter(|r| self.in_scope(r))
    }

    pub fn record(&self, key: UpstreamKey) -> Option<&'a MirrorRecord> {
        self.records.get(&key).copied()
    }

    pub fn children(&self, key: UpstreamKey) -> &[UpstreamKey] {
        let children = self.children.get_or_init(|| {
            let mut children: FxHashMap<UpstreamKey, Vec<UpstreamKey>> = FxHashMap::default();
            for record in &self.ordered {
                if let Some(parent) = record.parent {
                    children.entry(parent).or_default().push(record.key);
                }
            }
            children
        });
        children.get(&key).map_or(&[], Vec::as_slice)
    }

    /// Not deleted, associated with the subsidiary, and (a customer record) of a stage the
    /// integration takes.
    pub fn in_scope(&self, record: &MirrorRecord) -> bool {
        self.in_subsidiary(record) && self.stage_included(record)
    }

    fn in_subsidiary(&self, record: &MirrorRecord) -> bool {
        !record.deleted
            && self
                .input
                .scope
                .is_none_or(|s| record.subsidiaries.contains(&s))
    }

    /// A project has no stage; a customer record of an undocumented stage is not excluded here
    /// (it is rejected with its reason instead).
    fn stage_included(&self, record: &MirrorRecord) -> bool {
        record.key.kind == UpstreamKind::Project
            || record
                .stage()
                .map_or(true, |stage| self.input.settings.includes_stage(stage))
    }

    /// The record's ancestors in the mirror, nearest first; stops at a gap or a cycle.
    pub fn ancestors(&self, key: UpstreamKey) -> Vec<UpstreamKey> {
        self.ancestors_of(key).collect()
    }

    /// [`Projector::ancestors`], one at a time, so a walk can stop early without a list.
    pub fn ancestors_of(&self, key: UpstreamKey) -> impl Iterator<Item = UpstreamKey> + '_ {
        // On the stack: most walks stop after one step, and a list would cost an allocation.
        let mut seen = [key; MAX_CHAIN];
        let mut len = 0;
        let mut next = self.record(key).and_then(|r| r.parent);
        std::iter::from_fn(move || {
            let parent = next?;
            if len >= MAX_CHAIN || seen[..len].contains(&parent) || parent == key {
                next = None;
                return None;
            }
            seen[len] = parent;
            len += 1;
            next = self.record(parent).and_then(|r| r.parent);
            Some(parent)
        })
    }

    /// A person-readable name for a parent in a change list.
    pub fn label(&self, key: Option<UpstreamKey>) -> String {
        match key {
            None => "(top level)".to_owned(),
            Some(key) => match self.record(key) {
                Some(record) => format!("{} ({key})", record.name.display()),
                None => key.to_string(),
            },
        }
    }

    /// How a rejection names `key`.
    pub fn describe(&self, key: UpstreamKey) -> String {
        self.record(key).map_or_else(|| key.to_string(), describe)
    }

    pub fn project(&self, key: UpstreamKey) -> Projection {
        let Some(record) = self.record(key) else {
            return Projection::Gone(InactiveReason::LeftSubsidiary);
        };
        if record.deleted {
            return Projection::Gone(InactiveReason::DeletedInNetSuite);
        }
        if !self.in_subsidiary(record) {
            return Projection::Gone(InactiveReason::LeftSubsidiary);
        }
        if !self.stage_included(record) {
            return Projection::Gone(InactiveReason::StageNotIncluded);
        }
        self.validate(record)
    }

    fn option(&self, key: UpstreamKey) -> Option<&'a StoredOption> {
        let options: &'a [StoredOption] = self.input.options;
        let index = self.options.get_or_init(|| {
            options
                .iter()
                .enumerate()
                .filter_map(|(i, o)| o.upstream.map(|k| (k, i)))
                .collect()
        });
        index.get(&key).and_then(|i| options.get(*i))
    }

    /// A record whose chain is sound is valid, or flawed in some of its fields: then an
    /// imported record keeps the option's value of each bad field (see [`Projection::Flawed`]),
    /// and a record not imported yet is rejected.
    fn validate(&self, record: &MirrorRecord) -> Projection {
        // How a rejection names the record, built only for a rejection: most records pass.
        let who = || describe(record);
        if let Err(reason) = self.check_chain(record, who) {
            return Projection::Rejected(reason);
        }
        let mut flaws = Vec::new();
        if let Err(stage) = record.stage() {
            flaws.push(format!(
                "{} has stage {:?} in NetSuite, which nsync does not know (Lead, Prospect and \
                 Customer are the stages it takes)",
                who(),
                stage.chars().take(40).collect::<String>()
            ));
        }
        let name = OptionName::parse(record.key.kind, &record.name.display_text(), "")
            .map_err(|err| match err {
                crate::Error::InvalidName { rule, .. } => crate::Error::InvalidName {
                    record: who(),
                    rule,
                }
                .to_string(),
                other => other.to_string(),
            })
            .map_err(|reason| flaws.push(reason))
            .ok();
        let number = match record.key.kind {
            UpstreamKind::Project => record.number.clone().filter(|n| !n.trim().is_empty()),
            UpstreamKind::Customer => None,
        };
        let closed = match record.key.kind {
            UpstreamKind::Project => self
                .input
                .statuses
                .judge(record.status, record.status_name.as_deref())
                .map_err(|id| {
                    flaws.push(format!(
                        "{} has project status {id}, which is not among the account's project \
                         statuses (Setup > Accounting > Accounting Lists, type Project Status)",
                        who()
                    ))
                })
                .ok(),
            UpstreamKind::Customer => Some(None),
        };
        let current = if flaws.is_empty() {
            None
        } else {
            match self.option(record.key) {
                Some(option) => Some(option),
                None => return Projection::Rejected(flaws.join("; ")),
            }
        };
        let (state, detail) = match (record.inactive, closed) {
            (true, _) => (
                OptionState::Inactive(InactiveReason::InactiveInNetSuite),
                None,
            ),
            (false, Some(Some(status))) => (
                OptionState::Inactive(InactiveReason::ClosedInNetSuite),
                Some(format!("closed in NetSuite (status {status})")),
            ),
            (false, Some(None)) => (OptionState::Active, None),
            // The status is the bad field: closed stays closed, anything else is open.
            (false, None) => match current.map(|o| o.state) {
                Some(closed @ OptionState::Inactive(InactiveReason::ClosedInNetSuite)) => {
                    (closed, None)
                }
                _ => (OptionState::Active, None),
            },
        };
        let desired = |name, flaw| Desired {
            parent: record.parent,
            name,
            number,
            state,
            detail,
            flaw,
        };
        match (name, current) {
            (Some(name), None) => Projection::Valid(desired(name, None)),
            (name, Some(option)) => {
                let reason = flaws.join("; ");
                Projection::Flawed(
                    desired(
                        name.unwrap_or_else(|| option.name.clone()),
                        Some(reason.clone()),
                    ),
                    reason,
                )
            }
            // Flaws without an option returned above; kept total for the compiler.
            (None, None) => Projection::Rejected(flaws.join("; ")),
        }
    }

    /// Walks the parent chain: every ancestor must be in the mirror, in scope, not deleted, and
    /// the chain must end. The option's level is decided later, from the final tree.
    fn check_chain(&self, record: &MirrorRecord, who: impl Fn() -> String) -> Result<(), String> {
        let mut depth = 1;
        let mut child = record.key;
        let mut next = record.parent;
        while let Some(parent) = next {
            if depth > MAX_CHAIN || parent == record.key {
                return Err(format!(
                    "{} is part of a parent cycle in NetSuite's data",
                    who()
                ));
            }
            let Some(up) = self.record(parent) else {
                return Err(format!(
                    "{} has parent {parent}, which NetSuite did not return",
                    who()
                ));
            };
            if up.deleted {
                return Err(format!(
                    "{} has parent {parent}, which was deleted in NetSuite",
                    who()
                ));
            }
            if !self.in_subsidiary(up) {
                return Err(format!(
                    "{} has parent {parent}, which is not associated with the integrated subsidiary",
                    who()
                ));
            }
            if !self.stage_included(up) {
                let stage = up.stage().map_or("unknown", |s| s.label());
                return Err(format!(
                    "{} has parent {parent}, which is a {stage} in NetSuite, and this integration \
                     does not import those",
                    who()
                ));
            }
            if child.kind == UpstreamKind::Customer && parent.kind == UpstreamKind::Project {
                return Err(format!(
                    "{}: customer {child} has a project ({parent}) as its parent",
                    who()
                ));
            }
            depth += 1;
            child = parent;
            next = up.parent;
        }
        Ok(())
    }
}

/// "project 812 (P-0042)": how a rejection names its record.
pub(super) fn describe(record: &MirrorRecord) -> String {
    match record.number.as_deref().filter(|n| !n.is_empty()) {
        Some(number) => format!("{} ({number})", record.key),
        None => record.key.to_string(),
    }
}
