//! Accounts without OneWorld or without the Projects feature.

use netsuite::{Error, Scope, SubsidiaryId};

use crate::support::{self, collect, ground_truth};

#[tokio::test]
async fn a_non_oneworld_account_is_read_without_a_subsidiary_filter() {
    let mut account = support::demo();
    account.one_world = false;
    let emulator = support::start(account).await;
    let client = support::client(&emulator);
    let facts = client.probe().await.unwrap();
    assert!(!facts.one_world && facts.projects_enabled, "{facts:?}");
    assert!(client.subsidiaries().await.unwrap().is_empty());
    let (customers, bad) = collect(client.customers(Scope::Account).await.unwrap()).await;
    assert!(bad.is_empty());
    assert_eq!(
        customers.len(),
        ground_truth(
            &emulator,
            "SELECT id FROM customer WHERE searchstage = 'Customer'"
        )
        .len()
    );
    assert!(customers.iter().all(|c| c.primary_subsidiary.is_none()));
    let err = client
        .customers(Scope::Subsidiary(SubsidiaryId(1)))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::NotOneWorld(_)) && err.to_string().contains("not OneWorld"),
        "{err}"
    );
    let (projects, _) = collect(client.projects(Scope::Account).await.unwrap()).await;
    assert!(!projects.is_empty());
}

#[tokio::test]
async fn an_account_without_projects_yields_customers_only_and_says_why() {
    let mut account = support::demo();
    account.projects_enabled = false;
    let emulator = support::start(account).await;
    let client = support::client(&emulator);
    let facts = client.probe().await.unwrap();
    assert!(facts.one_world && !facts.projects_enabled);
    assert!(
        facts
            .warnings
            .iter()
            .any(|w| w.contains("Setup > Company > Enable Features")),
        "{facts:?}"
    );
    let err = client.projects(Scope::Account).await.err().unwrap();
    assert!(matches!(err, Error::ProjectsDisabled));
    let (customers, _) = collect(client.customers(Scope::Account).await.unwrap()).await;
    assert!(!customers.is_empty());
    let (changes, _) = collect(
        client
            .changes_since(&netsuite::Cursor::default())
            .await
            .unwrap(),
    )
    .await;
    assert!(changes
        .iter()
        .all(|c| !matches!(c, netsuite::Change::Project(_))));
}
