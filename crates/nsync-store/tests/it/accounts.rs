//! Users, passwords, API tokens and the audit log.

use nsync_core::{Email, Role};
use nsync_store::{Audit, Store};
use secrecy::{ExposeSecret, SecretString};

use crate::contract;
use crate::harness::fixture;

contract!(
    a_password_verifies_only_when_it_is_the_users,
    an_api_token_authenticates_until_it_is_revoked,
    the_audit_log_pages_newest_first,
    ending_sessions_moves_the_generation_of_one_user_or_of_a_whole_company,
);

async fn a_password_verifies_only_when_it_is_the_users(store: Store) {
    let fx = fixture(&store).await;
    let email = Email::parse("Admin@Acme.test").unwrap();
    let password: SecretString = "correct horse battery".to_owned().into();
    let id = store
        .create_user(fx.company, &email, &password, Role::Admin, 1)
        .await
        .unwrap();
    let user = store
        .verify_password(&Email::parse("admin@acme.test").unwrap(), &password)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (user.id, user.role, user.company),
        (id, Role::Admin, fx.company)
    );
    let wrong: SecretString = "correct horse".to_owned().into();
    assert_eq!(store.verify_password(&email, &wrong).await.unwrap(), None);
    assert_eq!(
        store
            .verify_password(&Email::parse("nobody@acme.test").unwrap(), &password)
            .await
            .unwrap(),
        None
    );
}

async fn an_api_token_authenticates_until_it_is_revoked(store: Store) {
    let fx = fixture(&store).await;
    let token = store
        .create_api_token(
            fx.company,
            None,
            "ci",
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
    assert!(!format!("{token:?}").contains(token.secret.expose_secret()));
    let owner = store
        .authenticate_token(&token.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (owner.token, owner.company, owner.user),
        (token.id, fx.company, None)
    );
    let forged: SecretString = format!("{}x", token.secret.expose_secret()).into();
    assert_eq!(store.authenticate_token(&forged).await.unwrap(), None);
    store
        .revoke_api_token(token.id, &nsync_store::testing::audit(fx.company))
        .await
        .unwrap();
    assert_eq!(store.authenticate_token(&token.secret).await.unwrap(), None);
}

async fn the_audit_log_pages_newest_first(store: Store) {
    let fx = fixture(&store).await;
    let settings = store.integration(fx.integration).await.unwrap().settings;
    let actions = ["action_0", "action_1", "action_2", "action_3", "action_4"];
    for (i, action) in (0i64..).zip(actions) {
        let audit = Audit::new(fx.company, None, action, 1_000 + i).with("i", i);
        store
            .update_settings(fx.integration, &settings, &audit)
            .await
            .unwrap();
    }
    let first = store.audit_log(fx.company, None, 3).await.unwrap();
    let rest = store
        .audit_log(fx.company, Some(first[2].id), 3)
        .await
        .unwrap();
    let actions: Vec<_> = first
        .iter()
        .chain(&rest)
        .map(|e| e.entry.action.clone())
        .collect();
    // Then the fixture's own set-up entry.
    assert_eq!(
        actions[..5],
        ["action_4", "action_3", "action_2", "action_1", "action_0"]
    );
    assert_eq!(rest[1].entry.detail, serde_json::json!({"i": 0}));
}

async fn ending_sessions_moves_the_generation_of_one_user_or_of_a_whole_company(store: Store) {
    let fx = fixture(&store).await;
    let other = fixture(&store).await;
    let password: SecretString = "correct horse battery".to_owned().into();
    let user = |email: &str| Email::parse(email).unwrap();
    let alice = store
        .create_user(fx.company, &user("alice@a.test"), &password, Role::Admin, 1)
        .await
        .unwrap();
    let bob = store
        .create_user(fx.company, &user("bob@a.test"), &password, Role::Member, 1)
        .await
        .unwrap();
    let carol = store
        .create_user(
            other.company,
            &user("carol@b.test"),
            &password,
            Role::Admin,
            1,
        )
        .await
        .unwrap();
    let generation = |id| {
        let store = store.clone();
        async move { store.user(id).await.unwrap().session_generation }
    };
    assert_eq!(generation(alice).await, 0);
    store.end_sessions(alice).await.unwrap();
    assert_eq!((generation(alice).await, generation(bob).await), (1, 0));
    let new: SecretString = "another horse battery".to_owned().into();
    store
        .set_password(bob, &new, &nsync_store::testing::audit(fx.company))
        .await
        .unwrap();
    assert_eq!(generation(bob).await, 1, "a new password ends the sessions");
    assert!(store
        .verify_password(&user("bob@a.test"), &new)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .verify_password(&user("bob@a.test"), &password)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .end_company_sessions(fx.company, &nsync_store::testing::audit(fx.company))
            .await
            .unwrap(),
        2
    );
    assert_eq!((generation(alice).await, generation(bob).await), (2, 2));
    assert_eq!(
        generation(carol).await,
        0,
        "another company's sessions go on"
    );
}
