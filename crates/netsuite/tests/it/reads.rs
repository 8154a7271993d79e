//! Reads against the demo account: probe, subsidiaries, customers and projects of a subsidiary,
//! both authentication methods.

use std::collections::BTreeSet;

use netsuite::{Client, Scope, Stage, Stages, SubsidiaryId};

use crate::support::{self, collect, ground_truth};

#[tokio::test]
async fn probe_reports_a_oneworld_account_with_projects() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let facts = client.probe().await.unwrap();
    assert!(
        facts.one_world && facts.projects_enabled && facts.permissions_ok,
        "{facts:?}"
    );
    assert_eq!(facts.account, support::ACCOUNT);
    assert_eq!(facts.time_zone, "America/Los_Angeles");
    assert!(facts.warnings.is_empty());
    let requests = client.requests_made();
    client.probe().await.unwrap();
    assert_eq!(client.requests_made(), requests, "the probe is cached");
}

#[tokio::test]
async fn subsidiaries_leave_out_elimination_subsidiaries() {
    let emulator = support::start(support::demo()).await;
    let subsidiaries = support::client(&emulator).subsidiaries().await.unwrap();
    let expected = ground_truth(
        &emulator,
        "SELECT id FROM subsidiary WHERE iselimination = 'F' ORDER BY id",
    );
    let ids: Vec<String> = subsidiaries.iter().map(|s| s.id.to_string()).collect();
    assert_eq!(ids, expected);
    let all = ground_truth(&emulator, "SELECT id FROM subsidiary");
    assert!(
        all.len() > ids.len(),
        "the demo account has an elimination subsidiary"
    );
}

async fn customer_ids(client: &Client, scope: Scope) -> BTreeSet<String> {
    let (rows, bad) = collect(client.customers(scope).await.unwrap()).await;
    assert!(bad.is_empty(), "{bad:?}");
    let ids: BTreeSet<String> = rows.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids.len(), rows.len(), "every customer is read once");
    ids
}

#[tokio::test]
async fn customers_of_a_subsidiary_include_secondary_links() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let sub = client.subsidiaries().await.unwrap()[0].id;
    let expected: BTreeSet<String> = ground_truth(
        &emulator,
        &format!(
            "SELECT DISTINCT r.entity FROM customersubsidiaryrelationship r JOIN customer c ON \
             c.id = r.entity WHERE r.subsidiary = {sub} AND c.searchstage = 'Customer'"
        ),
    )
    .into_iter()
    .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        customer_ids(&client, Scope::Subsidiary(sub)).await,
        expected
    );
}

#[tokio::test]
async fn projects_of_a_subsidiary_carry_their_parents() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let sub = client.subsidiaries().await.unwrap()[0].id;
    let (projects, bad) = collect(client.projects(Scope::Subsidiary(sub)).await.unwrap()).await;
    assert!(bad.is_empty(), "{bad:?}");
    let expected = ground_truth(
        &emulator,
        &format!("SELECT id FROM job WHERE subsidiary = {sub} ORDER BY id"),
    );
    let mut ids: Vec<String> = projects.iter().map(|p| p.id.to_string()).collect();
    ids.sort_by_key(|id| id.parse::<i64>().unwrap());
    assert_eq!(ids, expected);
    assert!(projects
        .iter()
        .all(|p| p.parent.is_some() && p.subsidiary == Some(sub)));
    assert!(projects.iter().any(|p| p.name.is_some()));
}

#[tokio::test]
async fn oauth2_with_an_rsa_or_an_ec_key_reads_like_tba() {
    let emulator = support::start(support::demo()).await;
    let tba = customer_ids(&support::client(&emulator), Scope::Account).await;
    for ec in [false, true] {
        let client =
            Client::new(support::config(&emulator, support::oauth2(&emulator, ec))).unwrap();
        assert_eq!(
            customer_ids(&client, Scope::Account).await,
            tba,
            "ec = {ec}"
        );
    }
    let tokens = emulator
        .control()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v1/token"))
        .count();
    assert_eq!(tokens, 2, "one token per client, reused by every request");
}

#[tokio::test]
async fn a_subsidiary_that_does_not_exist_reads_nothing() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let (rows, _) = collect(
        client
            .customers(Scope::Subsidiary(SubsidiaryId(999_999)))
            .await
            .unwrap(),
    )
    .await;
    assert!(rows.is_empty());
}

#[tokio::test]
async fn subsidiary_links_of_given_customers_are_only_theirs_and_only_the_scopes() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let (sub, linked, unlinked) = support::linked_companies(&emulator);
    let asked = vec![netsuite::RecordId(linked[0]), netsuite::RecordId(unlinked)];
    let (links, bad) = collect(
        client
            .subsidiary_links_of(Scope::Subsidiary(SubsidiaryId(sub)), &asked)
            .await
            .unwrap(),
    )
    .await;
    assert!(bad.is_empty(), "{bad:?}");
    let customers: BTreeSet<i64> = links.iter().map(|l| l.customer.0).collect();
    assert_eq!(customers, BTreeSet::from([linked[0]]));
    assert!(links.iter().all(|l| l.subsidiary == SubsidiaryId(sub)));
}

#[tokio::test]
async fn a_customer_read_takes_only_the_stages_asked_for_in_its_query() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let stage_ids = |stage: &str| -> BTreeSet<String> {
        ground_truth(
            &emulator,
            &format!("SELECT id FROM customer WHERE searchstage = '{stage}'"),
        )
        .into_iter()
        .collect()
    };
    let (customers, leads, prospects) = (
        stage_ids("Customer"),
        stage_ids("Lead"),
        stage_ids("Prospect"),
    );
    assert!(
        !leads.is_empty() && !prospects.is_empty(),
        "the demo has both"
    );
    assert_eq!(customer_ids(&client, Scope::Account).await, customers);
    let with_prospects = Stages {
        prospects: true,
        leads: false,
    };
    let (rows, _) = collect(
        client
            .customers_in(Scope::Account, with_prospects)
            .await
            .unwrap(),
    )
    .await;
    let ids: BTreeSet<String> = rows.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, &customers | &prospects);
    assert!(rows
        .iter()
        .all(|c| c.stage.as_deref().and_then(Stage::parse).is_some() && c.status.is_some()));
    // The filter is in the query: no lead left the emulator.
    let sent = emulator.control().requests();
    assert!(sent
        .iter()
        .filter(|r| r
            .query
            .as_deref()
            .is_some_and(|q| q.contains("FROM customer c")))
        .all(|r| r
            .query
            .as_deref()
            .is_some_and(|q| q.contains("UPPER(c.searchstage) IN"))));
}

#[tokio::test]
async fn project_statuses_are_the_accounts_list_and_a_role_without_access_gets_a_clear_error() {
    let emulator = support::start(support::demo()).await;
    let statuses = support::client(&emulator).project_statuses().await.unwrap();
    let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["Closed", "In Progress", "Not Awarded", "Pending", "Awarded"]
    );
    let mut account = support::demo();
    account.status_lists_readable = false;
    let emulator = support::start(account).await;
    let err = support::client(&emulator)
        .project_statuses()
        .await
        .unwrap_err();
    assert!(
        matches!(err, netsuite::Error::InsufficientPermission { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("project statuses"), "{err}");
}
