//! The state kept in memory: after any history of plans (and changes made here between them),
//! what the store hands out as kept equals what a fresh load reads.

use std::collections::BTreeMap;

use nsync_core::reads::{Delta, Mirror};
use nsync_core::{
    InactiveReason, MirrorName, MirrorRecord, OptionState, OptionUpsert, SubsidiaryId, UpstreamKey,
};
use nsync_store::{Kept, State, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::contract;
use crate::harness::{customer, fixture, plan, project, Fixture};

contract!(the_kept_state_equals_a_fresh_load_after_random_plans);

const ROUNDS: usize = 40;

async fn fresh(store: &Store, fx: &Fixture) -> Kept {
    Kept {
        mirror: store
            .mirror(fx.integration)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.key, r))
            .collect(),
        options: store.integrated_options(fx.field).await.unwrap(),
    }
}

fn record(option: &OptionUpsert, round: usize) -> MirrorRecord {
    MirrorRecord {
        key: option.upstream,
        parent: option.parent,
        name: MirrorName::Plain {
            name: option.name.as_str().to_owned(),
        },
        number: None,
        inactive: !option.state.is_active(),
        subsidiaries: vec![SubsidiaryId::new(3).unwrap()],
        last_modified: Some(format!("2026-11-{:02}", round % 28 + 1)),
        deleted: false,
        stage: None,
        status: None,
        status_name: None,
    }
}

/// Random changes to `records`: new customers, projects and sub-projects, renames, projects
/// moved to another customer, deactivations and reactivations. Returns the records touched.
fn mutate(
    rng: &mut StdRng,
    records: &mut BTreeMap<UpstreamKey, OptionUpsert>,
    next: &mut i64,
) -> Vec<UpstreamKey> {
    let mut touched = Vec::new();
    let of_level = |records: &BTreeMap<UpstreamKey, OptionUpsert>, level: u8| -> Vec<UpstreamKey> {
        records
            .values()
            .filter(|o| o.level.get() == level)
            .map(|o| o.upstream)
            .collect()
    };
    for _ in 0..rng.gen_range(0..6) {
        *next += 1;
        let new = customer(*next, &format!("Customer {next}"));
        touched.push(new.upstream);
        records.insert(new.upstream, new);
    }
    for level in [2, 3] {
        let parents = of_level(records, level - 1);
        if parents.is_empty() {
            continue;
        }
        for _ in 0..rng.gen_range(0..10) {
            *next += 1;
            let parent = parents[rng.gen_range(0..parents.len())];
            let new = project(*next, parent, i64::from(level), &format!("Project {next}"));
            touched.push(new.upstream);
            records.insert(new.upstream, new);
        }
    }
    let keys: Vec<UpstreamKey> = records.keys().copied().collect();
    let customers = of_level(records, 1);
    for _ in 0..rng.gen_range(0..8) {
        let pick = keys[rng.gen_range(0..keys.len())];
        let option = records.get_mut(&pick).unwrap();
        match rng.gen_range(0..3) {
            0 => {
                let renamed = format!("{} (renamed {})", option.name.as_str(), *next);
                option.name = nsync_core::OptionName::parse(pick.kind, &renamed, "test").unwrap();
            }
            1 if option.level.get() == 2 => {
                option.parent = Some(customers[rng.gen_range(0..customers.len())]);
            }
            _ => {
                option.state = if option.state.is_active() {
                    OptionState::Inactive(InactiveReason::InactiveInNetSuite)
                } else {
                    OptionState::Active
                };
            }
        }
        touched.push(pick);
    }
    touched.sort();
    touched.dedup();
    touched
}

async fn the_kept_state_equals_a_fresh_load_after_random_plans(store: Store) {
    let fx = fixture(&store).await;
    let mut rng = StdRng::seed_from_u64(21);
    let mut records: BTreeMap<UpstreamKey, OptionUpsert> = BTreeMap::new();
    let mut next = 0;
    let (mut served, mut refused) = (0, 0);
    for round in 0..ROUNDS {
        let State { version, kept } = store.take_state(fx.integration).await.unwrap();
        let now = fresh(&store, &fx).await;
        let Kept {
            mut mirror,
            options,
        } = match kept {
            Some(kept) => {
                assert_eq!(
                    kept, now,
                    "round {round}: the kept state is not the stored one"
                );
                served += 1;
                kept
            }
            None => now,
        };
        let touched = mutate(&mut rng, &mut records, &mut next);
        let mut p = plan(&store, &fx, records.values().cloned().collect()).await;
        let delta = Delta {
            upserts: touched.iter().map(|k| record(&records[k], round)).collect(),
            removals: if round % 5 == 4 {
                let gone = mirror.keys().find(|k| touched.binary_search(k).is_err());
                gone.into_iter().copied().collect()
            } else {
                Vec::new()
            },
        };
        p.mirror_upserts.clone_from(&delta.upserts);
        p.mirror_removals.clone_from(&delta.removals);
        // Now and then a change here comes between the read and the plan: the copy must then
        // be refused, not kept with the change missing.
        let between = round % 6 == 5 && !options.is_empty();
        if between {
            store
                .remove_option_here(options[0].id, &nsync_store::testing::audit(fx.company))
                .await
                .unwrap();
        }
        // And now and then one comes after the plan: the next run must not take the copy.
        let after = round % 7 == 3 && !options.is_empty();
        let applied = store.apply_plan(&p).await.unwrap();
        delta.apply(&mut mirror);
        let kept = store.keep_applied(fx.integration, version, applied, mirror, options.clone());
        if between {
            assert!(!kept, "round {round}: a copy that misses a change was kept");
            refused += 1;
        } else {
            assert!(
                kept,
                "round {round}: the plan was the only change, yet nothing kept"
            );
        }
        if after {
            store
                .remove_option_here(
                    options[options.len() - 1].id,
                    &nsync_store::testing::audit(fx.company),
                )
                .await
                .unwrap();
            let taken = store.take_state(fx.integration).await.unwrap();
            assert!(
                taken.kept.is_none(),
                "round {round}: a stale copy was handed out"
            );
        }
    }
    assert!(
        served >= ROUNDS / 2,
        "only {served} of {ROUNDS} rounds were served from the copy"
    );
    assert!(refused > 0);
    let mirror: Mirror = fresh(&store, &fx).await.mirror;
    assert!(!mirror.is_empty());
}
