//! A new client's read of a subsidiary does not wait for the account probe: its credentials
//! check, its first page and its sizing query go out together. Whichever answers first, and
//! under faults on any of them, every row is read exactly once; a refusal is still explained.

use std::collections::BTreeSet;

use netsuite::{Client, Error, Scope, SubsidiaryId};
use netsuite_emulator::{FaultKind, FaultRule};

use crate::support::{self, collect, collect_error, ground_truth};

/// What a keyset page of customers holds in its query text and the sizing query does not.
const FIRST_PAGE: &str = "ORDER BY c.id";
const SIZING: &str = "GROUP BY";
const CHECK: &str = "MIN(c.id)";

async fn subsidiary_customers(emulator: &netsuite_emulator::Emulator) -> (i64, BTreeSet<i64>) {
    let sub: i64 = ground_truth(emulator, "SELECT id FROM subsidiary ORDER BY id")[0]
        .parse()
        .unwrap();
    let ids = ground_truth(
        emulator,
        &format!(
            "SELECT DISTINCT TO_CHAR(r.entity) FROM customersubsidiaryrelationship r JOIN customer c \
             ON c.id = r.entity WHERE r.subsidiary = {sub} AND c.searchstage = 'Customer'"
        ),
    );
    (sub, ids.iter().map(|id| id.parse().unwrap()).collect())
}

fn fresh_client(emulator: &netsuite_emulator::Emulator) -> Client {
    let mut config = support::config(emulator, support::tba(emulator));
    // Small pages, so the read has a first page, a plan and a rest.
    config.page_size = 5;
    config.retry.max_attempts = 12;
    Client::new(config).unwrap()
}

/// Drains `stream` and checks that it held each of the `expected` customers once, and no other.
async fn each_row_once(stream: netsuite::RowStream<netsuite::Customer>, expected: &BTreeSet<i64>) {
    let (rows, bad) = collect(stream).await;
    assert!(bad.is_empty(), "{bad:?}");
    let ids: Vec<i64> = rows.iter().map(|c| c.id.0).collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no row twice");
    assert_eq!(&unique, expected, "every row");
}

/// Reads the subsidiary's customers with a fresh client under `rules` and checks each row came
/// once and every row came.
async fn reads_each_row_once(rules: Vec<FaultRule>) {
    let emulator = support::start(support::demo()).await;
    let (sub, expected) = subsidiary_customers(&emulator).await;
    assert!(expected.len() > 15, "several pages: {}", expected.len());
    for rule in rules.iter().cloned() {
        emulator.control().add_fault(rule);
    }
    emulator.control().clear_requests();
    let client = fresh_client(&emulator);
    let stream = client
        .customers(Scope::Subsidiary(SubsidiaryId(sub)))
        .await
        .unwrap();
    each_row_once(stream, &expected).await;
    let log = emulator.control().requests();
    if !rules.is_empty() {
        assert!(log.iter().any(|r| r.fault.is_some()), "a fault fired");
    }
}

#[tokio::test]
async fn the_check_the_first_page_and_the_sizing_go_out_together() {
    let emulator = support::start(support::demo()).await;
    let (sub, expected) = subsidiary_customers(&emulator).await;
    emulator.control().clear_requests();
    let client = fresh_client(&emulator);
    let (rows, _) = collect(
        client
            .customers(Scope::Subsidiary(SubsidiaryId(sub)))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(rows.len(), expected.len());
    // The probe's other questions (subsidiaries, projects, deleted records) are not asked: this
    // read needs none of their answers.
    let pages = expected.len().div_ceil(5) as u64;
    let made = client.requests_made();
    assert!(
        made <= pages + 2 + 1,
        "{made} requests for {pages} pages: the check and the sizing beside them, at most one \
         range spilling into a second page"
    );
    let first_three: Vec<u16> = emulator.control().requests()[..3]
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(first_three, [200, 200, 200]);
    let (pages, planned) = client.pages();
    assert!(pages >= 3 && planned >= pages, "{pages} of {planned}");
}

#[tokio::test]
async fn the_first_page_answers_long_before_the_sizing() {
    reads_each_row_once(vec![
        FaultRule::next(FaultKind::Slow { millis: 400 }, 1).when_body_has(SIZING)
    ])
    .await;
}

#[tokio::test]
async fn the_sizing_answers_long_before_the_first_page() {
    reads_each_row_once(vec![
        FaultRule::next(FaultKind::Slow { millis: 400 }, 1).when_body_has(FIRST_PAGE)
    ])
    .await;
}

#[tokio::test]
async fn a_failed_sizing_or_first_page_is_asked_again() {
    reads_each_row_once(vec![
        FaultRule::next(FaultKind::ServerError, 1).when_body_has(SIZING),
        FaultRule::next(FaultKind::TooManyRequests, 2).when_body_has(FIRST_PAGE),
        FaultRule::next(FaultKind::MalformedJson, 1).when_body_has(CHECK),
    ])
    .await;
}

#[tokio::test]
async fn seeded_faults_on_every_request_lose_no_row() {
    for kind in [FaultKind::TooManyRequests, FaultKind::ServerError] {
        reads_each_row_once(vec![FaultRule::probability(kind, 0.3)]).await;
    }
}

#[tokio::test]
async fn refused_credentials_are_the_checks_answer() {
    let emulator = support::start(support::demo()).await;
    let (sub, _) = subsidiary_customers(&emulator).await;
    let mut config = support::config(&emulator, support::tba(&emulator));
    if let netsuite::Auth::Tba(tba) = &mut config.auth {
        tba.token_secret = "not-the-secret".to_owned().into();
    }
    let client = Client::new(config).unwrap();
    let err = collect_error(
        client
            .customers(Scope::Subsidiary(SubsidiaryId(sub)))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(err, Error::InvalidLogin { .. }), "{err:?}");
}

#[tokio::test]
async fn a_subsidiary_of_an_account_without_subsidiaries_is_explained() {
    let mut account = support::demo();
    account.one_world = false;
    let emulator = support::start(account).await;
    let client = fresh_client(&emulator);
    let err = collect_error(
        client
            .customers(Scope::Subsidiary(SubsidiaryId(1)))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(err, Error::NotOneWorld(_)), "{err:?}");
}

#[tokio::test]
async fn projects_of_an_account_without_projects_are_explained() {
    let mut account = support::demo();
    account.projects_enabled = false;
    let emulator = support::start(account).await;
    let client = fresh_client(&emulator);
    let err = collect_error(
        client
            .projects(Scope::Subsidiary(SubsidiaryId(1)))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(err, Error::ProjectsDisabled), "{err:?}");
}

#[tokio::test]
async fn the_whole_accounts_read_is_sized_beside_the_probe() {
    let emulator = support::start(support::demo()).await;
    let expected: BTreeSet<i64> = ground_truth(
        &emulator,
        "SELECT TO_CHAR(id) FROM customer WHERE searchstage = 'Customer'",
    )
    .iter()
    .map(|id| id.parse().unwrap())
    .collect();
    for rules in [
        vec![FaultRule::next(FaultKind::Slow { millis: 400 }, 1).when_body_has(SIZING)],
        vec![FaultRule::next(FaultKind::Slow { millis: 400 }, 1).when_body_has(CHECK)],
        vec![FaultRule::probability(FaultKind::ServerError, 0.3)],
    ] {
        emulator.control().clear_faults();
        for rule in rules {
            emulator.control().add_fault(rule);
        }
        let client = fresh_client(&emulator);
        each_row_once(client.customers(Scope::Account).await.unwrap(), &expected).await;
    }
}
