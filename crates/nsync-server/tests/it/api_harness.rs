//! The whole server on 127.0.0.1:0 over an emulated account, with two companies: A (admin,
//! member, an integration) and B (admin, its own integration), each with API tokens.

use std::sync::Arc;
use std::time::Duration;

use nsync_core::{
    AccountId, CompanyId, CustomFieldId, Email, IntegrationId, IntegrationSettings, Role,
    SubsidiaryId, TimeZone,
};
use nsync_server::http::{AppState, HttpConfig, SessionKey};
use nsync_server::webhooks::WebhookPolicy;
use nsync_store::{NewIntegration, Store};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::harness::{app_with, small_account, ACCOUNT};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Api {
    pub url: String,
    /// The engine the server runs on (for a webhook deliverer over the same store).
    pub engine: Arc<nsync_server::Engine>,
    /// Company A's admin user.
    pub admin_id: nsync_core::UserId,
    pub http: reqwest::Client,
    pub store: Store,
    pub emulator: netsuite_emulator::Emulator,
    pub company: CompanyId,
    pub integration: IntegrationId,
    pub field: CustomFieldId,
    pub admin: String,
    pub member: String,
    pub other_admin: String,
    pub other_integration: IntegrationId,
    pub other_field: CustomFieldId,
    /// The key this server signs sessions with (a deployment's processes share theirs).
    session_key: SessionKey,
    /// An engine of its own over the same store, for [`Api::second_server`].
    peer_engine: Arc<nsync_server::Engine>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A response: status and JSON body (`Null` when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub async fn api(store: Store) -> Api {
    api_with(store, small_account(11)).await
}

/// [`api`] over an emulated account of the caller's choosing.
pub async fn api_with(store: Store, account: netsuite_emulator::AccountConfig) -> Api {
    api_full(store, account, WebhookPolicy::default()).await
}

/// [`api`] whose webhooks may (or may not) go to loopback, where the tests' receivers are.
pub async fn api_for_webhooks(store: Store, allow_private: bool) -> Api {
    api_full(store, small_account(11), WebhookPolicy { allow_private }).await
}

async fn api_full(
    store: Store,
    account: netsuite_emulator::AccountConfig,
    policy: WebhookPolicy,
) -> Api {
    let app = app_with(store, account).await;
    let peer_engine = Arc::new(app.new_engine().with_webhook_policy(policy));
    let engine = Arc::new(app.engine.with_webhook_policy(policy));
    let store = app.store;
    let key = engine.master_key();
    let member_id = store
        .create_user(
            app.company,
            &Email::parse("member@a.test").unwrap(),
            &PASSWORD.to_owned().into(),
            Role::Member,
            1,
        )
        .await
        .unwrap();
    let admin_id = store
        .create_user(
            app.company,
            &Email::parse("admin@a.test").unwrap(),
            &PASSWORD.to_owned().into(),
            Role::Admin,
            1,
        )
        .await
        .unwrap();
    let admin = store
        .create_api_token(
            app.company,
            Some(admin_id),
            "admin",
            &nsync_store::testing::audit(app.company),
        )
        .await
        .unwrap();
    let member = store
        .create_api_token(
            app.company,
            Some(member_id),
            "member",
            &nsync_store::testing::audit(app.company),
        )
        .await
        .unwrap();
    let other = store
        .create_company("Other Co", &TimeZone::parse("UTC").unwrap(), 1)
        .await
        .unwrap();
    let other_admin_id = store
        .create_user(
            other,
            &Email::parse("admin@b.test").unwrap(),
            &PASSWORD.to_owned().into(),
            Role::Admin,
            1,
        )
        .await
        .unwrap();
    let other_admin = store
        .create_api_token(
            other,
            Some(other_admin_id),
            "b",
            &nsync_store::testing::audit(other),
        )
        .await
        .unwrap();
    let other_integration = store
        .create_integration(
            key,
            &NewIntegration {
                company: other,
                account: AccountId::parse(ACCOUNT).unwrap(),
                subsidiary: Some(SubsidiaryId::new(app.sub).unwrap()),
                credentials: nsync_server::testing::credentials(&app.emulator, ACCOUNT),
                settings: IntegrationSettings::default(),
                field_name: "B field".into(),
            },
            &nsync_store::testing::audit(other),
        )
        .await
        .unwrap();
    let other_field = store.integration(other_integration).await.unwrap().field;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let session_key = SessionKey::random();
    let state = AppState::new(
        Arc::clone(&engine),
        HttpConfig {
            session_key: session_key.clone(),
            secure_cookies: false,
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(nsync_server::http::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Api {
        url,
        engine,
        admin_id,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        emulator: app.emulator,
        company: app.company,
        integration: app.integration,
        field: app.field,
        admin: admin.secret.expose_secret().to_owned(),
        member: member.secret.expose_secret().to_owned(),
        other_admin: other_admin.secret.expose_secret().to_owned(),
        other_integration,
        other_field,
        session_key,
        peer_engine,
        _stop: stop,
    }
}

impl Api {
    /// A second server on its own port, as a second process of the deployment would run: its
    /// own engine, HTTP state and sign-in limiter, the same session key, and the same
    /// database (the same connection pool: both run in this test's process). It serves until
    /// the test ends. Its URL.
    pub async fn second_server(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(
            self.peer_engine.clone(),
            HttpConfig {
                session_key: self.session_key.clone(),
                secure_cookies: false,
            },
        );
        tokio::spawn(nsync_server::http::serve(
            listener,
            state,
            std::future::pending(),
        ));
        url
    }

    /// Calls the API with a Bearer token (`None`: no credentials at all).
    pub async fn call(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.call(Some(token), Method::GET, path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.call(Some(token), Method::POST, path, Some(body)).await
    }

    /// Imports every candidate of company A and waits for the run.
    pub async fn import_all(&self) -> i64 {
        let reply = self
            .post(
                &self.admin,
                &format!("/integrations/{}/import", self.integration),
                serde_json::json!({"all": true}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
        let run = reply.body["run_id"].as_i64().unwrap();
        self.wait_for_run(run).await;
        run
    }

    /// Polls getRun until the run is no longer running; returns it.
    pub async fn wait_for_run(&self, run: i64) -> Value {
        for _ in 0..200 {
            let reply = self.get(&self.admin, &format!("/runs/{run}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            if reply.body["status"] != "running" {
                return reply.body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("run {run} did not finish");
    }

    /// The first top-level option of company A's field.
    pub async fn first_option(&self) -> Value {
        let reply = self
            .get(&self.admin, &format!("/fields/{}/options", self.field))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["options"][0].clone()
    }
}
