//! An administrative write and its audit entry commit together or not at all: each audited
//! write is tried with an entry the database refuses (its actor is no user: the foreign key
//! fails), and must leave nothing of itself behind; then with a good entry, and must leave
//! itself and exactly that entry.

use nsync_core::{Credentials, Email, OptionName, Role, RunKind, RunStatus, RunTrigger, UserId};
use nsync_store::{Audit, Store};
use secrecy::ExposeSecret;

use crate::contract;
use crate::harness::{customer, fixture, plan, plan_for_run, Fixture};

contract!(
    an_audited_write_whose_entry_is_refused_leaves_nothing,
    a_run_and_a_confirmed_plan_commit_with_their_entries_or_not_at_all,
);

/// An entry the database refuses: its actor does not exist.
fn refused(fx: &Fixture, action: &'static str) -> Audit {
    Audit::new(fx.company, Some(UserId::new(999_999).unwrap()), action, 5)
}

fn good(fx: &Fixture, action: &'static str) -> Audit {
    Audit::new(fx.company, None, action, 5)
}

/// The company's audit entries, oldest first, as `action target`.
async fn log(store: &Store, fx: &Fixture) -> Vec<String> {
    let mut entries = store.audit_log(fx.company, None, 100).await.unwrap();
    entries.reverse();
    entries
        .into_iter()
        .map(|e| format!("{} {}", e.entry.action, e.entry.target.unwrap_or_default()))
        .collect()
}

async fn an_audited_write_whose_entry_is_refused_leaves_nothing(store: Store) {
    let fx = fixture(&store).await;
    let mut expected = log(&store, &fx).await;
    let integration = fx.integration;

    // Settings.
    let mut settings = store.integration(integration).await.unwrap().settings;
    settings.auto_update.enabled = !settings.auto_update.enabled;
    let before = store.integration(integration).await.unwrap().settings;
    let audit = refused(&fx, "update_settings");
    assert!(store
        .update_settings(integration, &settings, &audit)
        .await
        .is_err());
    assert_eq!(
        store.integration(integration).await.unwrap().settings,
        before
    );
    let audit = good(&fx, "update_settings");
    store
        .update_settings(integration, &settings, &audit)
        .await
        .unwrap();
    assert_eq!(
        store.integration(integration).await.unwrap().settings,
        settings
    );
    expected.push(format!("update_settings integration {integration}"));

    // Credentials.
    let new = Credentials::Tba {
        consumer_key: "ck-new".into(),
        consumer_secret: "cs-new".to_owned().into(),
        token_id: "tid-new".into(),
        token_secret: "ts-new".to_owned().into(),
    };
    let consumer_key = async || match store.credentials(&fx.key, integration).await.unwrap() {
        Credentials::Tba { consumer_key, .. } => consumer_key,
        Credentials::OAuth2 { client_id, .. } => client_id,
    };
    let audit = refused(&fx, "set_credentials");
    assert!(store
        .set_credentials(&fx.key, integration, &new, &audit)
        .await
        .is_err());
    assert_eq!(consumer_key().await, "ck-123");
    let audit = good(&fx, "set_credentials");
    store
        .set_credentials(&fx.key, integration, &new, &audit)
        .await
        .unwrap();
    assert_eq!(consumer_key().await, "ck-new");
    expected.push(format!("set_credentials integration {integration}"));

    // The notification secret.
    let audit = refused(&fx, "create_notification_secret");
    assert!(store
        .set_hook_secret(&fx.key, integration, b"s1", &audit)
        .await
        .is_err());
    assert!(store
        .hook_secret(&fx.key, integration)
        .await
        .unwrap()
        .is_none());
    let audit = good(&fx, "create_notification_secret");
    store
        .set_hook_secret(&fx.key, integration, b"s1", &audit)
        .await
        .unwrap();
    let secret = store
        .hook_secret(&fx.key, integration)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secret.expose_secret(), b"s1");
    expected.push(format!(
        "create_notification_secret integration {integration}"
    ));

    // API tokens: the refused one never authenticates, because it was never made.
    let audit = refused(&fx, "create_api_token");
    assert!(store
        .create_api_token(fx.company, None, "ci", &audit)
        .await
        .is_err());
    let audit = good(&fx, "create_api_token");
    let token = store
        .create_api_token(fx.company, None, "ci", &audit)
        .await
        .unwrap();
    assert!(store
        .authenticate_token(&token.secret)
        .await
        .unwrap()
        .is_some());
    expected.push(format!("create_api_token token {}", token.id));
    let audit = refused(&fx, "revoke_api_token");
    assert!(store.revoke_api_token(token.id, &audit).await.is_err());
    assert!(store
        .authenticate_token(&token.secret)
        .await
        .unwrap()
        .is_some());
    let audit = good(&fx, "revoke_api_token");
    store.revoke_api_token(token.id, &audit).await.unwrap();
    assert!(store
        .authenticate_token(&token.secret)
        .await
        .unwrap()
        .is_none());
    expected.push(format!("revoke_api_token token {}", token.id));

    // Passwords and sessions.
    let email = Email::parse("admin@acme.test").unwrap();
    let old = "correct horse battery".to_owned().into();
    let user = store
        .create_user(fx.company, &email, &old, Role::Admin, 1)
        .await
        .unwrap();
    let generation = async || store.user(user).await.unwrap().session_generation;
    let new = "another horse battery".to_owned().into();
    let audit = refused(&fx, "change_password");
    assert!(store.set_password(user, &new, &audit).await.is_err());
    assert!(store.verify_password(&email, &old).await.unwrap().is_some());
    assert_eq!(generation().await, 0);
    let audit = refused(&fx, "revoke_sessions");
    assert!(store
        .end_company_sessions(fx.company, &audit)
        .await
        .is_err());
    assert_eq!(generation().await, 0);
    let audit = good(&fx, "change_password");
    store.set_password(user, &new, &audit).await.unwrap();
    assert!(store.verify_password(&email, &new).await.unwrap().is_some());
    expected.push(format!("change_password user {user}"));

    // Manual options: add, rename, deactivate.
    let manual = store
        .create_manual_field(fx.company, "Cost centre")
        .await
        .unwrap();
    let name = |n: &str| OptionName::parse_manual(n).unwrap();
    let audit = refused(&fx, "create_option");
    assert!(store
        .add_manual_option(manual, None, &name("Fleet"), &audit)
        .await
        .is_err());
    assert!(store.search(manual, "fleet", 10).await.unwrap().is_empty());
    let audit = good(&fx, "create_option");
    let fleet = store
        .add_manual_option(manual, None, &name("Fleet"), &audit)
        .await
        .unwrap();
    expected.push(format!("create_option option {fleet}"));
    let audit = refused(&fx, "rename_option");
    assert!(store
        .rename_option(fleet, &name("Vehicles"), &audit)
        .await
        .is_err());
    assert_eq!(store.option(fleet).await.unwrap().name.as_str(), "Fleet");
    let audit = refused(&fx, "deactivate_option");
    assert!(store.set_option_active(fleet, false, &audit).await.is_err());
    assert!(store.option(fleet).await.unwrap().state.is_active());

    // Removing an integrated option here, and bringing it back.
    let plan = plan(&store, &fx, vec![customer(1, "Acme")]).await;
    store.apply_plan(&plan).await.unwrap();
    let acme = store.integrated_options(fx.field).await.unwrap()[0].id;
    let audit = refused(&fx, "remove_option");
    assert!(store.remove_option_here(acme, &audit).await.is_err());
    assert!(!store.option(acme).await.unwrap().removed_here);
    let audit = good(&fx, "remove_option");
    assert_eq!(store.remove_option_here(acme, &audit).await.unwrap(), 1);
    expected.push(format!("remove_option option {acme}"));
    let audit = refused(&fx, "restore_option");
    assert!(store.restore_option_here(acme, &audit).await.is_err());
    assert!(store.option(acme).await.unwrap().removed_here);

    assert_eq!(log(&store, &fx).await, expected);
}

async fn a_run_and_a_confirmed_plan_commit_with_their_entries_or_not_at_all(store: Store) {
    let fx = fixture(&store).await;
    let mut expected = log(&store, &fx).await;
    let lock = store.lock_integration(fx.integration).await.unwrap();
    let audit = refused(&fx, "start_update");
    let started = store
        .start_run(
            &lock,
            RunKind::Update,
            RunTrigger::Manual,
            None,
            1_000,
            Some(&audit),
        )
        .await;
    assert!(started.is_err());
    assert!(store
        .runs(fx.integration, None, 10)
        .await
        .unwrap()
        .is_empty());
    let audit = good(&fx, "start_update");
    let run = store
        .start_run(
            &lock,
            RunKind::Update,
            RunTrigger::Manual,
            None,
            1_000,
            Some(&audit),
        )
        .await
        .unwrap();
    lock.release().await.unwrap();
    expected.push(format!("start_update run {run}"));

    let plan = plan_for_run(&fx, run, vec![customer(1, "Acme")]);
    let audit = refused(&fx, "confirm_update");
    assert!(store.apply_plan_audited(&plan, &audit).await.is_err());
    assert!(store.integrated_options(fx.field).await.unwrap().is_empty());
    assert_eq!(store.run(run).await.unwrap().status, RunStatus::Running);
    let audit = good(&fx, "confirm_update");
    store.apply_plan_audited(&plan, &audit).await.unwrap();
    assert_eq!(store.integrated_options(fx.field).await.unwrap().len(), 1);
    assert_eq!(store.run(run).await.unwrap().status, RunStatus::Succeeded);
    expected.push(format!("confirm_update run {run}"));

    assert_eq!(log(&store, &fx).await, expected);
}
