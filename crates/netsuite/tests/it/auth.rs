//! Credentials against the emulator: wrong secrets, expired and revoked tokens.

use chrono::Duration;
use netsuite::{Auth, Client, Error, Scope, TbaCredentials};

use crate::support::{self, collect};

#[tokio::test]
async fn wrong_tba_secrets_say_invalid_login_and_where_to_look() {
    let emulator = support::start(support::demo()).await;
    let bad = Auth::Tba(TbaCredentials {
        consumer_key: "ck".to_owned().into(),
        consumer_secret: "cs".to_owned().into(),
        token_id: "t".to_owned().into(),
        token_secret: "ts".to_owned().into(),
    });
    let err = Client::new(support::config(&emulator, bad))
        .unwrap()
        .probe()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidLogin { .. }), "{err:?}");
    assert!(err.to_string().contains("View Login Audit Trail"), "{err}");
    // The probe's four queries go out together (one round trip); each is refused once.
    let requests = emulator.control().requests();
    assert_eq!(requests.len(), 4, "a refused login is not retried");
    assert!(requests.iter().all(|r| r.status == 401), "{requests:?}");
}

#[tokio::test]
async fn a_wrong_oauth2_key_is_refused() {
    let emulator = support::start(support::demo()).await;
    let Auth::OAuth2(mut creds) = support::oauth2(&emulator, false) else {
        unreachable!()
    };
    creds.certificate_id = "not-a-certificate".into();
    let err = Client::new(support::config(&emulator, Auth::OAuth2(creds)))
        .unwrap()
        .probe()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidLogin { .. }), "{err:?}");
}

#[tokio::test]
async fn an_expired_token_is_replaced_before_it_is_used() {
    let emulator = support::start(support::demo()).await;
    let client = Client::new(support::config(
        &emulator,
        support::oauth2(&emulator, false),
    ))
    .unwrap();
    client.probe().await.unwrap();
    emulator
        .control()
        .set_clock(emulator.control().now() + Duration::hours(2));
    let (rows, _) = collect(client.customers(Scope::Account).await.unwrap()).await;
    assert!(!rows.is_empty());
    let log = emulator.control().requests();
    assert_eq!(log.iter().filter(|r| r.path.ends_with("/token")).count(), 2);
    assert!(
        log.iter().all(|r| r.status != 401),
        "no request left with an expired token"
    );
}

#[tokio::test]
async fn a_revoked_token_is_fetched_again_once_after_a_401() {
    let emulator = support::start(support::demo()).await;
    let client = Client::new(support::config(&emulator, support::oauth2(&emulator, true))).unwrap();
    client.probe().await.unwrap();
    emulator.control().revoke_tokens();
    let (rows, _) = collect(client.customers(Scope::Account).await.unwrap()).await;
    assert!(!rows.is_empty());
    let log = emulator.control().requests();
    assert_eq!(
        log.iter().filter(|r| r.path.ends_with("/token")).count(),
        2,
        "the requests refused together fetch one new token between them"
    );
    // The read's first page and its histogram go out together, so both meet the revoked token;
    // nothing sent with the new one is refused.
    let new_token = log
        .iter()
        .rposition(|r| r.path.ends_with("/token"))
        .unwrap();
    let refused: Vec<usize> = (0..log.len()).filter(|i| log[*i].status == 401).collect();
    assert!(
        (1..=2).contains(&refused.len()) && refused.iter().all(|i| *i < new_token),
        "401s at {refused:?}, new token at {new_token}"
    );
}
