//! The soak: a thousand update runs against an emulated NetSuite that fails in every way it can
//! (429 storms, 500s, 401s, slow answers and timeouts, reset connections, truncated and
//! malformed bodies), with random NetSuite changes between runs. A failed run applies nothing;
//! after a final run without faults (and after every 25th applied run) the options equal
//! NetSuite's state for the imported records: nothing lost, duplicated or wrongly deactivated;
//! and a full read finds nothing the incremental ones missed.
//!
//! `NSYNC_SOAK_RUNS` sets the number of runs (1,000 by default; `bench/soak.sh` runs 10,000)
//! and `NSYNC_SOAK_SEED` the seed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use netsuite::RetryPolicy;
use netsuite_emulator::{
    Control, FaultKind, FaultRule, Mutation, NewCustomer, NewProject, RecordKind, Stage,
};
use nsync_core::planner::Selection;
use nsync_core::{
    InactiveReason, MirrorRecord, OptionState, RunStatus, RunTrigger, StoredOption, UpstreamKey,
    UpstreamKind,
};
use nsync_server::{ClientSettings, Engine, EngineError, RefreshMode, RunOptions, RunReport};
use nsync_store::{MasterKey, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::harness::{app_with, small_account, App, ACCOUNT};
use nsync_server::testing::{Truth, Verdict};

const DEFAULT_RUNS: u64 = 1000;
const DEFAULT_SEED: u64 = 20_260_105;
/// The soak engine's request timeout: short, so that a slow answer becomes a real timeout.
const TIMEOUT: Duration = Duration::from_millis(150);
/// A slow answer the client gives up on.
const TIMED_OUT: FaultKind = FaultKind::Slow { millis: 250 };
/// "No fault" in a fault schedule (see [`schedule`]).
const PASS: FaultKind = FaultKind::Slow { millis: 0 };
/// Requests a fault schedule covers; later requests of a run are served normally.
const SCHEDULED: usize = 40;
const NAMES: [&str; 6] = [
    "Alpha",
    "Beta Works",
    "Gamma & Sons",
    "Ωmega",
    "Δelta <b>",
    "Zeta Holdings",
];

crate::both_backends!(soak_keeps_options_true_to_netsuite_through_faults_and_changes);

async fn soak_keeps_options_true_to_netsuite_through_faults_and_changes(store: Store) {
    let runs = env_or("NSYNC_SOAK_RUNS", DEFAULT_RUNS);
    let seed = env_or("NSYNC_SOAK_SEED", DEFAULT_SEED);
    let started = Instant::now();
    let mut soak = Soak::start(store, seed).await;
    for _ in 0..runs {
        soak.change_netsuite().await;
        soak.run_with_faults().await;
    }
    let (missed, imported) = soak.last_runs().await;
    let verdict = verdict(&soak.app, &soak.seen, &imported).await;
    let tally = &soak.tally;
    println!(
        "soak ({:?}, seed {seed}): {runs} runs, {} failed, {} held; {} faults in {} requests ({}); \
         {} NetSuite changes ({} refused); lost {}, duplicated {}, wrongly deactivated {}, \
         otherwise wrong {}, missed by incremental reads {missed}; {} options ({} deleted after \
         leaving the subsidiary but still marked as having left; {} below the deepest level, {} not \
         one level below their parent); also equal to NetSuite's state after {} of the applied \
         runs; {:.1} s",
        soak.app.store.backend(),
        tally.failed,
        tally.held,
        tally.faults.values().sum::<u64>(),
        tally.requests,
        tally.fault_summary(),
        tally.changes,
        tally.refused,
        verdict.lost.len(),
        verdict.duplicated.len(),
        verdict.wrongly_deactivated.len(),
        verdict.wrong.len(),
        verdict.options,
        verdict.deleted_after_leaving.len(),
        verdict.sunk,
        verdict.misleveled,
        tally.checked,
        started.elapsed().as_secs_f64()
    );
    assert!(verdict.is_clean(), "{verdict:#?}");
    assert_eq!(missed, 0, "a full read changed what incremental reads left");
    assert!(
        tally.failed > 0 && tally.failed < runs,
        "faults made some runs fail, not all"
    );
}

/// The soak under way.
struct Soak {
    app: App,
    /// The engine under test (with a short request timeout).
    engine: Engine,
    rng: StdRng,
    tally: Tally,
    /// The store as the last applied run left it: what a failed run must leave untouched.
    state: Snapshot,
    /// Every record that has had an option.
    seen: BTreeSet<UpstreamKey>,
}

impl Soak {
    /// An account, an integration that imports new projects of imported customers (so created
    /// projects count too), and everything imported.
    async fn start(store: Store, seed: u64) -> Self {
        let app = app_with(store, small_account(seed)).await;
        let engine = soak_engine(&app).await;
        let mut settings = app
            .store
            .integration(app.integration)
            .await
            .unwrap()
            .settings;
        settings.import_new_projects = true;
        app.store
            .update_settings(
                app.integration,
                &settings,
                &nsync_store::testing::audit(app.company),
            )
            .await
            .unwrap();
        let all = RunOptions::new(RunTrigger::Cli);
        engine
            .import(app.integration, Selection::All, all)
            .await
            .unwrap();
        app.control().clear_requests();
        let state = Snapshot::read(&app).await;
        let seen = state.options.iter().filter_map(|o| o.upstream).collect();
        Self {
            app,
            engine,
            rng: StdRng::seed_from_u64(seed),
            tally: Tally::default(),
            state,
            seen,
        }
    }

    /// Up to three random NetSuite changes, a minute apart.
    async fn change_netsuite(&mut self) {
        for _ in 0..self.rng.gen_range(0..=3) {
            self.app.tick();
            match change(&self.app, &mut self.rng) {
                true => self.tally.changes += 1,
                false => self.tally.refused += 1,
            }
        }
    }

    /// One update (a full read one time in ten) under a fresh fault schedule. A failed run
    /// must leave the store as it was and be recorded as failed.
    async fn run_with_faults(&mut self) {
        let control = self.app.control();
        control.clear_faults();
        for rule in schedule(&mut self.rng) {
            control.add_fault(rule);
        }
        let mut options = RunOptions::new(RunTrigger::Cli);
        if self.rng.gen_bool(0.1) {
            options.refresh = RefreshMode::Full;
        }
        let result = self.engine.update(self.app.integration, options).await;
        self.tally.count_requests(&control);
        let imported = self.state.imported_customers();
        match result {
            Ok(report) => {
                self.applied(report).await;
                self.tally.succeeded += 1;
                // Every 25th applied run, the options already equal NetSuite's state.
                if self.tally.succeeded % 25 == 0 {
                    let verdict = verdict(&self.app, &self.seen, &imported).await;
                    assert!(verdict.is_clean(), "{verdict:#?}");
                    self.tally.checked += 1;
                }
            }
            Err(EngineError::RunFailed { run, .. }) => {
                self.tally.failed += 1;
                let after = Snapshot::read(&self.app).await;
                assert_eq!(after, self.state, "failed run {run} applied something");
                let recorded = self.app.store.run(run).await.unwrap();
                assert_eq!(recorded.status, RunStatus::Failed, "{recorded:?}");
                assert!(recorded.error.is_some(), "{recorded:?}");
            }
            Err(other) => panic!("a run ended neither applied nor failed: {other}"),
        }
    }

    /// A run that succeeded, or waits for a confirmation (given at once).
    async fn applied(&mut self, report: RunReport) {
        if report.status == RunStatus::NeedsConfirmation {
            self.tally.held += 1;
            let run = report.run.expect("a held run is recorded");
            let confirmed = self
                .engine
                .confirm(
                    self.app.integration,
                    run,
                    nsync_store::Audit::new(self.app.company, None, "confirm_update", 1),
                )
                .await;
            assert_eq!(confirmed.unwrap().status, RunStatus::Succeeded);
        }
        self.state = Snapshot::read(&self.app).await;
        self.state.check_sound();
        self.seen
            .extend(self.state.options.iter().filter_map(|o| o.upstream));
    }

    /// The last runs, without faults: incremental, then a full read, which must change
    /// nothing. Returns how many options and mirror records the full read changed, and the
    /// customers imported before it.
    async fn last_runs(&mut self) -> (usize, BTreeSet<UpstreamKey>) {
        self.app.control().clear_faults();
        let mut full = RunOptions::new(RunTrigger::Cli);
        full.refresh = RefreshMode::Full;
        let mut read = Vec::new();
        for options in [RunOptions::new(RunTrigger::Cli), full] {
            let report = self.engine.update(self.app.integration, options).await;
            self.applied(report.expect("a run without faults succeeds"))
                .await;
            read.push(Snapshot::read(&self.app).await);
        }
        self.tally.count_requests(&self.app.control());
        (read[0].differences(&read[1]), read[0].imported_customers())
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

/// The harness's engine waits 20 s for an answer; this one gives up after [`TIMEOUT`], so slow
/// answers become real timeouts. Its own master key, so the credentials are re-sealed with it.
async fn soak_engine(app: &App) -> Engine {
    let credentials = app
        .store
        .credentials(app.engine.master_key(), app.integration)
        .await
        .unwrap();
    let (key, encoded) = MasterKey::generate();
    app.store
        .set_credentials(
            &key,
            app.integration,
            &credentials,
            &nsync_store::testing::audit(app.company),
        )
        .await
        .unwrap();
    let settings = ClientSettings {
        base_url_override: Some(app.emulator.base_url().parse().unwrap()),
        time_zone: chrono_tz::America::Los_Angeles,
        concurrency: 4,
        retry: RetryPolicy::fast(4),
        request_timeout: TIMEOUT,
        clock: Some(Arc::new(EmulatedClock(app.control()))),
        shared_budget: None,
        http: Default::default(),
    };
    Engine::new(
        app.store.clone(),
        MasterKey::from_base64(&encoded).unwrap(),
        Arc::new(settings),
    )
}

/// Signatures follow the emulated clock, which moves a minute per NetSuite change.
#[derive(Debug)]
struct EmulatedClock(Control);

impl netsuite::Clock for EmulatedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

/// One run's faults, drawn from the test's own seeded generator: request by request for the
/// first [`SCHEDULED`] requests, as consecutive "next N requests" rules. The emulator's own
/// generator restarts from its seed on every `clear_faults`, so its probabilities would repeat
/// the same draws run after run; a gap between faults is a zero-millisecond delay ([`PASS`]).
fn schedule(rng: &mut StdRng) -> Vec<FaultRule> {
    let mut plan: Vec<Option<FaultKind>> = vec![None; SCHEDULED];
    if rng.gen_bool(0.8) {
        let rate = rng.gen_range(0.05..0.75);
        for slot in &mut plan {
            if rng.gen_bool(rate) {
                *slot = Some(fault_kind(rng));
            }
        }
    }
    // A 429 storm: NetSuite refusing everything for a while.
    if rng.gen_bool(0.3) {
        let len = rng.gen_range(3..=12);
        let at = rng.gen_range(0..SCHEDULED - len);
        plan[at..at + len].fill(Some(FaultKind::TooManyRequests));
    }
    while plan.last() == Some(&None) {
        plan.pop();
    }
    let mut rules: Vec<FaultRule> = Vec::new();
    for slot in plan {
        let fault = slot.unwrap_or(PASS);
        match rules.last_mut() {
            Some(FaultRule {
                fault: last,
                trigger: netsuite_emulator::Trigger::Next { count },
                ..
            }) if *last == fault => *count += 1,
            _ => rules.push(FaultRule::next(fault, 1)),
        }
    }
    rules
}

fn fault_kind(rng: &mut StdRng) -> FaultKind {
    match rng.gen_range(0..100) {
        0..=19 => FaultKind::ServerError,
        20..=39 => FaultKind::TooManyRequests,
        40..=43 => FaultKind::Unauthorized,
        44..=55 => FaultKind::Slow {
            millis: rng.gen_range(1..=20),
        },
        56..=57 => TIMED_OUT,
        58..=71 => FaultKind::ResetConnection,
        72..=85 => FaultKind::TruncatedBody,
        _ => FaultKind::MalformedJson,
    }
}

/// Figures of the soak.
#[derive(Debug, Default)]
struct Tally {
    succeeded: u64,
    /// Applied runs after which the options were compared with NetSuite's state.
    checked: u64,
    failed: u64,
    held: u64,
    changes: u64,
    refused: u64,
    requests: u64,
    faults: BTreeMap<&'static str, u64>,
}

impl Tally {
    /// Counts the faults the emulator logged since the last call, and empties its log.
    fn count_requests(&mut self, control: &Control) {
        let log = control.requests();
        control.clear_requests();
        self.requests += log.len() as u64;
        for fault in log.iter().filter_map(|r| r.fault) {
            let name = match fault {
                PASS => continue,
                TIMED_OUT => "timeout",
                FaultKind::Slow { .. } => "slow",
                FaultKind::ServerError => "500",
                FaultKind::ServiceUnavailable => "503",
                FaultKind::TooManyRequests => "429",
                FaultKind::Unauthorized => "401",
                FaultKind::ResetConnection => "reset",
                FaultKind::TruncatedBody => "truncated",
                FaultKind::MalformedJson => "malformed",
            };
            *self.faults.entry(name).or_default() += 1;
        }
    }

    fn fault_summary(&self) -> String {
        let mut out = String::new();
        for (name, n) in &self.faults {
            let sep = if out.is_empty() { "" } else { ", " };
            let _ = write!(out, "{sep}{name} {n}");
        }
        out
    }
}

/// What the store holds for the integration: what a failed run must leave untouched.
#[derive(Debug, PartialEq)]
struct Snapshot {
    options: Vec<StoredOption>,
    mirror: Vec<MirrorRecord>,
    cursor: Option<serde_json::Value>,
}

impl Snapshot {
    async fn read(app: &App) -> Self {
        Self {
            options: app.store.integrated_options(app.field).await.unwrap(),
            mirror: app.store.mirror(app.integration).await.unwrap(),
            cursor: app.store.integration(app.integration).await.unwrap().cursor,
        }
    }

    /// Options and mirror records that differ between two snapshots.
    fn differences(&self, other: &Snapshot) -> usize {
        fn changed<K: Ord, V: PartialEq>(a: BTreeMap<K, V>, mut b: BTreeMap<K, V>) -> usize {
            let mut n = 0;
            for (k, v) in a {
                n += usize::from(b.remove(&k).as_ref() != Some(&v));
            }
            n + b.len()
        }
        let options = |s: &Snapshot| s.options.iter().map(|o| (o.id, o.clone())).collect();
        let mirror = |s: &Snapshot| s.mirror.iter().map(|r| (r.key, r.clone())).collect();
        changed::<_, StoredOption>(options(self), options(other))
            + changed::<_, MirrorRecord>(mirror(self), mirror(other))
    }

    /// The customers with an option (not removed here): an update imports their new projects.
    fn imported_customers(&self) -> BTreeSet<UpstreamKey> {
        let customers = self.options.iter().filter(|o| !o.removed_here);
        let keys = customers.filter_map(|o| o.upstream);
        keys.filter(|k| k.kind == UpstreamKind::Customer).collect()
    }

    /// One option per upstream record, and every parent present.
    fn check_sound(&self) {
        let ids: BTreeSet<_> = self.options.iter().map(|o| o.id).collect();
        let mut keys = BTreeSet::new();
        for option in &self.options {
            assert!(option.parent.is_none_or(|p| ids.contains(&p)), "{option:?}");
            assert!(
                keys.insert(option.upstream),
                "two options for {:?}",
                option.upstream
            );
        }
    }
}

/// One random change as a NetSuite user would make it; `false` when NetSuite refused it (a
/// delete with children, a move into a cycle...), which is part of a random history too.
fn change(app: &App, rng: &mut StdRng) -> bool {
    let control = app.control();
    let customers = app.ids("SELECT id FROM customer ORDER BY id");
    let projects = app.ids("SELECT id FROM job ORDER BY id");
    let subsidiaries = app.ids("SELECT id FROM subsidiary ORDER BY id");
    let entities: Vec<(RecordKind, i64)> = customers
        .iter()
        .map(|c| (RecordKind::Customer, *c))
        .chain(projects.iter().map(|p| (RecordKind::Project, *p)))
        .collect();
    let pick = |rng: &mut StdRng, ids: &[i64]| ids[rng.gen_range(0..ids.len())];
    let (kind, id) = entities[rng.gen_range(0..entities.len())];
    // Mostly the integrated subsidiary, so changes land in scope.
    let sub = if rng.gen_bool(0.7) {
        app.sub
    } else {
        pick(rng, &subsidiaries)
    };
    let name = format!(
        "{} {}",
        NAMES[rng.gen_range(0..NAMES.len())],
        rng.gen_range(0..1000)
    );
    let mutation = match rng.gen_range(0..100) {
        0..=6 => Mutation::CreateProject(NewProject {
            name,
            parent: id,
            subsidiary: Some(sub),
            ..NewProject::default()
        }),
        7..=8 => {
            // Some new records are leads or prospects: they must never get an option.
            let stage = [
                Stage::Customer,
                Stage::Customer,
                Stage::Prospect,
                Stage::Lead,
            ][rng.gen_range(0..4)];
            Mutation::CreateCustomer(NewCustomer {
                company_name: Some(name),
                parent: (stage == Stage::Customer && rng.gen_bool(0.3))
                    .then(|| pick(rng, &customers)),
                subsidiary: Some(sub),
                stage: Some(stage),
                ..NewCustomer::default()
            })
        }
        9..=30 => Mutation::Rename { kind, id, name },
        31..=33 => Mutation::Convert {
            id: pick(rng, &customers),
            stage: [Stage::Prospect, Stage::Customer][rng.gen_range(0..2)],
        },
        34..=37 => Mutation::SetStatus {
            kind: RecordKind::Project,
            id: pick(rng, &projects),
            status: rng.gen_range(1..=5),
        },
        38..=52 => {
            let table = if kind == RecordKind::Customer {
                "customer"
            } else {
                "job"
            };
            let inactive = app.rows(&format!("SELECT isinactive FROM {table} WHERE id = {id}"))[0]
                ["isinactive"]
                == "T";
            Mutation::SetInactive {
                kind,
                id,
                inactive: !inactive,
            }
        }
        53..=64 => Mutation::Move {
            kind: RecordKind::Project,
            id: pick(rng, &projects),
            parent: Some(entities[rng.gen_range(0..entities.len())].1),
        },
        65..=68 => Mutation::Move {
            kind: RecordKind::Customer,
            id: pick(rng, &customers),
            parent: rng.gen_bool(0.5).then(|| pick(rng, &customers)),
        },
        69..=81 => Mutation::Delete { kind, id },
        82..=86 => Mutation::LinkSubsidiary {
            customer: pick(rng, &customers),
            subsidiary: sub,
        },
        87..=91 => Mutation::UnlinkSubsidiary {
            customer: pick(rng, &customers),
            subsidiary: app.sub,
        },
        92..=95 => Mutation::SetPrimarySubsidiary {
            customer: pick(rng, &customers),
            subsidiary: sub,
        },
        _ => Mutation::SetProjectSubsidiary {
            project: pick(rng, &projects),
            subsidiary: sub,
        },
    };
    control.apply(ACCOUNT, mutation).is_ok()
}

/// The options compared with NetSuite's state, read straight from the emulated database.
/// `imported`: the customers that had an option before the last run (an update imports new
/// projects below those; a customer it brings along as an ancestor counts from the next).
async fn verdict(
    app: &App,
    seen: &BTreeSet<UpstreamKey>,
    imported: &BTreeSet<UpstreamKey>,
) -> Verdict {
    let truth = Truth::read(&app.control(), ACCOUNT, app.sub);
    let mirror: BTreeSet<UpstreamKey> = app
        .store
        .mirror(app.integration)
        .await
        .unwrap()
        .iter()
        .map(|r| r.key)
        .collect();
    let stored = app.store.integrated_options(app.field).await.unwrap();
    let integration = app.store.integration(app.integration).await.unwrap();
    let deepest = integration.settings.deepest_level;
    Verdict::of(&truth, &stored, &mirror, seen, imported, deepest)
}

crate::both_backends!(a_deleted_project_sunk_past_the_deepest_level_is_deactivated);

/// Found by the soak: a rejected record kept its option under its old parent, so each move of
/// a customer above it sank that option a level; past level 5 it had no level at all, and the
/// planner skipped it, so its deletion never reached it. Now the option hangs at the deepest
/// level, inactive, and the deletion reaches it there.
async fn a_deleted_project_sunk_past_the_deepest_level_is_deactivated(store: Store) {
    let app = crate::harness::app(store).await;
    let control = app.control();
    let create = |change| control.apply(ACCOUNT, change).unwrap().id;
    let customer = |parent| {
        create(Mutation::CreateCustomer(NewCustomer {
            company_name: Some("Holding".into()),
            parent,
            subsidiary: Some(app.sub),
            ..NewCustomer::default()
        }))
    };
    let project = |parent| {
        create(Mutation::CreateProject(NewProject {
            name: "Fit-out".into(),
            parent,
            subsidiary: Some(app.sub),
            ..NewProject::default()
        }))
    };
    app.tick();
    let mut top = customer(None);
    let deepest = project(project(top));
    let key = UpstreamKey {
        kind: UpstreamKind::Project,
        id: nsync_core::RecordId::new(deepest).unwrap(),
    };
    let selection = Selection::Records(vec![key]);
    let cli = RunOptions::new(RunTrigger::Cli);
    app.engine
        .import(app.integration, selection, cli)
        .await
        .unwrap();
    for _ in 0..3 {
        app.tick();
        let above = customer(None);
        let (kind, id) = (RecordKind::Customer, top);
        create(Mutation::Move {
            kind,
            id,
            parent: Some(above),
        });
        top = above;
        app.engine.update(app.integration, cli).await.unwrap();
        // It hangs at the deepest level, under its level-2 ancestor, inactive: never below.
        let options = app.options().await;
        let option = &options[&key];
        let anchor = options
            .values()
            .find(|o| Some(o.id) == option.parent)
            .unwrap();
        assert_eq!(
            (option.level.get(), anchor.level.get(), option.state),
            (3, 2, OptionState::Inactive(InactiveReason::TooDeep))
        );
    }
    app.tick();
    let (kind, id) = (RecordKind::Project, deepest);
    create(Mutation::Delete { kind, id });
    app.engine.update(app.integration, cli).await.unwrap();
    let deleted = OptionState::Inactive(InactiveReason::DeletedInNetSuite);
    let option = &app.options().await[&key];
    assert_eq!((option.state, option.level.get()), (deleted, 3));
}
