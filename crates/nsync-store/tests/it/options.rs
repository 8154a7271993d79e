//! Reading options: children pages, search, by id; manual edits and the integrated-field rules.

use nsync_core::{InactiveReason, OptionName, OptionState, UpstreamKind};
use nsync_store::{Store, StoreError};

use crate::contract;
use crate::harness::{customer, fixture, key, plan, project};

contract!(
    children_come_in_name_order_one_keyset_page_at_a_time,
    search_ignores_case_and_accents_and_returns_full_paths,
    search_leaves_out_inactive_and_removed_options,
    search_treats_wildcards_as_plain_characters,
    a_search_holding_control_characters_matches_nothing_instead_of_failing,
    an_option_resolves_by_id_whatever_its_state,
    integrated_options_cannot_be_added_renamed_or_deactivated_by_hand,
    manual_fields_take_options_added_renamed_and_deactivated_by_hand,
    restoring_an_option_brings_back_its_subtree_and_its_ancestors,
    upstream_options_tell_which_records_have_an_option_and_which_are_removed,
);

async fn children_come_in_name_order_one_keyset_page_at_a_time(store: Store) {
    let fx = fixture(&store).await;
    let acme = key(UpstreamKind::Customer, 1);
    let mut options = vec![customer(1, "Acme")];
    options.extend((0..25).map(|i| project(100 + i, acme, 2, &format!("Project {:02}", 24 - i))));
    store
        .apply_plan(&plan(&store, &fx, options).await)
        .await
        .unwrap();
    let top = store
        .children(fx.field, None, None, 10, true)
        .await
        .unwrap();
    assert_eq!(top.options.len(), 1);
    assert_eq!(top.next, None);
    let parent = Some(top.options[0].id);
    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .children(fx.field, parent, cursor.as_ref(), 10, true)
            .await
            .unwrap();
        names.extend(page.options.iter().map(|o| o.name.as_str().to_owned()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("Project {i:02}")).collect();
    assert_eq!(names, expected);
}

async fn search_ignores_case_and_accents_and_returns_full_paths(store: Store) {
    let fx = fixture(&store).await;
    let cafe = key(UpstreamKind::Customer, 1);
    let options = vec![
        customer(1, "Café Ünion"),
        project(10, cafe, 2, "Rénovation Façade"),
        customer(2, "Globex"),
    ];
    store
        .apply_plan(&plan(&store, &fx, options).await)
        .await
        .unwrap();
    let hits = store.search(fx.field, "FACADE", 20).await.unwrap();
    assert_eq!(
        hits.iter().map(|h| h.label.as_str()).collect::<Vec<_>>(),
        vec!["Café Ünion : Rénovation Façade"]
    );
    assert_eq!(hits[0].level.get(), 2);
    let short = store.search(fx.field, "Ün", 20).await.unwrap();
    assert_eq!(short.len(), 1, "two-letter queries match too: {short:?}");
    assert!(store.search(fx.field, "zzz", 20).await.unwrap().is_empty());
    assert!(store.search(fx.field, "  ", 20).await.unwrap().is_empty());
}

async fn search_leaves_out_inactive_and_removed_options(store: Store) {
    let fx = fixture(&store).await;
    let mut inactive = customer(2, "Initech North");
    inactive.state = OptionState::Inactive(InactiveReason::InactiveInNetSuite);
    let options = vec![
        customer(1, "Initech South"),
        inactive,
        customer(3, "Initech East"),
    ];
    store
        .apply_plan(&plan(&store, &fx, options).await)
        .await
        .unwrap();
    let east = store.search(fx.field, "east", 5).await.unwrap()[0].id;
    store
        .remove_option_here(east, &nsync_store::testing::audit(fx.company))
        .await
        .unwrap();
    let labels: Vec<String> = store
        .search(fx.field, "initech", 20)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.label)
        .collect();
    assert_eq!(labels, vec!["Initech South"]);
}

async fn search_treats_wildcards_as_plain_characters(store: Store) {
    let fx = fixture(&store).await;
    let options = vec![
        customer(1, "100% Organic"),
        customer(2, "100 Organic"),
        customer(3, "a_b c"),
    ];
    store
        .apply_plan(&plan(&store, &fx, options).await)
        .await
        .unwrap();
    let labels =
        |hits: Vec<nsync_store::SearchHit>| hits.into_iter().map(|h| h.label).collect::<Vec<_>>();
    assert_eq!(
        labels(store.search(fx.field, "0% o", 10).await.unwrap()),
        vec!["100% Organic"]
    );
    assert_eq!(
        labels(store.search(fx.field, "a_b", 10).await.unwrap()),
        vec!["a_b c"]
    );
    assert_eq!(
        labels(store.search(fx.field, "\"quoted\"", 10).await.unwrap()),
        Vec::<String>::new()
    );
}

async fn a_search_holding_control_characters_matches_nothing_instead_of_failing(store: Store) {
    let fx = fixture(&store).await;
    store
        .apply_plan(&plan(&store, &fx, vec![customer(1, "abc Corp")]).await)
        .await
        .unwrap();
    for query in ["a\0bc", "\0", "ab\0", "abc\u{1b}", "a\tbc"] {
        let hits = store.search(fx.field, query, 10).await;
        assert!(
            hits.as_ref().is_ok_and(Vec::is_empty),
            "{query:?}: {hits:?}"
        );
    }
    assert_eq!(store.search(fx.field, "abc", 10).await.unwrap().len(), 1);
}

async fn an_option_resolves_by_id_whatever_its_state(store: Store) {
    let fx = fixture(&store).await;
    let mut gone = customer(1, "Gone Corp");
    gone.state = OptionState::Inactive(InactiveReason::LeftSubsidiary);
    gone.removed_here = true;
    store
        .apply_plan(&plan(&store, &fx, vec![gone]).await)
        .await
        .unwrap();
    let stored = store.integrated_options(fx.field).await.unwrap().remove(0);
    let found = store.option(stored.id).await.unwrap();
    assert_eq!(
        found.state,
        OptionState::Inactive(InactiveReason::LeftSubsidiary)
    );
    assert!(found.removed_here);
    let missing = nsync_core::OptionId::new(999_999).unwrap();
    assert!(
        matches!(store.option(missing).await, Err(StoreError::OptionNotFound(id)) if id == missing)
    );
}

async fn integrated_options_cannot_be_added_renamed_or_deactivated_by_hand(store: Store) {
    let fx = fixture(&store).await;
    store
        .apply_plan(&plan(&store, &fx, vec![customer(1, "Acme")]).await)
        .await
        .unwrap();
    let acme = store.integrated_options(fx.field).await.unwrap().remove(0);
    let name = OptionName::parse_manual("Acme Inc").unwrap();
    let errors = [
        store
            .rename_option(acme.id, &name, &nsync_store::testing::audit(fx.company))
            .await
            .unwrap_err(),
        store
            .add_manual_option(
                fx.field,
                None,
                &name,
                &nsync_store::testing::audit(fx.company),
            )
            .await
            .unwrap_err(),
        store
            .set_option_active(acme.id, false, &nsync_store::testing::audit(fx.company))
            .await
            .unwrap_err(),
    ];
    for err in errors {
        assert!(
            err.to_string()
                .contains("change it in NetSuite and click Update"),
            "{err}"
        );
    }
    let unchanged = store.option(acme.id).await.unwrap();
    assert_eq!(
        (unchanged.name.as_str(), unchanged.state),
        ("Acme", OptionState::Active)
    );
}

async fn manual_fields_take_options_added_renamed_and_deactivated_by_hand(store: Store) {
    let fx = fixture(&store).await;
    let field = store
        .create_manual_field(fx.company, "Cost centre")
        .await
        .unwrap();
    let name = |t: &str| OptionName::parse_manual(t).unwrap();
    let ops = store
        .add_manual_option(
            field,
            None,
            &name("Operations"),
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
    let fleet = store
        .add_manual_option(
            field,
            Some(ops),
            &name("Fleet"),
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
    store
        .rename_option(
            fleet,
            &name("Fleet & Vehicles"),
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
    assert_eq!(
        store.path_label(fleet).await.unwrap(),
        "Operations : Fleet & Vehicles"
    );
    assert_eq!(store.search(field, "vehic", 10).await.unwrap().len(), 1);
    store
        .set_option_active(fleet, false, &nsync_store::testing::audit(fx.company))
        .await
        .unwrap();
    assert!(store.search(field, "vehic", 10).await.unwrap().is_empty());
    let stored = store.option(fleet).await.unwrap();
    assert_eq!(
        (stored.level.get(), stored.state),
        (2, OptionState::Inactive(InactiveReason::DeactivatedHere))
    );
}

async fn restoring_an_option_brings_back_its_subtree_and_its_ancestors(store: Store) {
    let fx = fixture(&store).await;
    let acme = key(UpstreamKind::Customer, 1);
    let alpha = key(UpstreamKind::Project, 10);
    let options = vec![
        customer(1, "Acme"),
        project(10, acme, 2, "Alpha"),
        project(11, alpha, 3, "Alpha One"),
    ];
    store
        .apply_plan(&plan(&store, &fx, options).await)
        .await
        .unwrap();
    let all = store.integrated_options(fx.field).await.unwrap();
    let id_of = |name: &str| all.iter().find(|o| o.name.as_str() == name).unwrap().id;
    assert_eq!(
        store
            .remove_option_here(id_of("Acme"), &nsync_store::testing::audit(fx.company))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .restore_option_here(id_of("Alpha"), &nsync_store::testing::audit(fx.company))
            .await
            .unwrap(),
        3,
        "Alpha, its child and its parent come back"
    );
    let after = store.integrated_options(fx.field).await.unwrap();
    assert!(after.iter().all(|o| !o.removed_here));
    assert_eq!(
        store
            .restore_option_here(id_of("Alpha"), &nsync_store::testing::audit(fx.company))
            .await
            .unwrap(),
        0
    );
}

async fn upstream_options_tell_which_records_have_an_option_and_which_are_removed(store: Store) {
    let fx = fixture(&store).await;
    let acme = key(UpstreamKind::Customer, 1);
    let options = vec![customer(1, "Acme"), project(10, acme, 2, "Alpha")];
    store
        .apply_plan(&plan(&store, &fx, options).await)
        .await
        .unwrap();
    let alpha = store
        .integrated_options(fx.field)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name.as_str() == "Alpha")
        .unwrap();
    store
        .remove_option_here(alpha.id, &nsync_store::testing::audit(fx.company))
        .await
        .unwrap();
    let asked = [
        acme,
        key(UpstreamKind::Project, 10),
        key(UpstreamKind::Customer, 2),
        key(UpstreamKind::Project, 1),
    ];
    let mut found = store.upstream_options(fx.field, &asked).await.unwrap();
    found.sort();
    assert_eq!(
        found,
        vec![(acme, false), (key(UpstreamKind::Project, 10), true)]
    );
    assert!(store
        .upstream_options(fx.field, &[])
        .await
        .unwrap()
        .is_empty());
}
