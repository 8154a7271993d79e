//! The web pages: sign-in, session cookies, CSRF on every change, pages that render, and text
//! from NetSuite shown as text.

use netsuite_emulator::RecordKind;
use nsync_store::Store;
use reqwest::StatusCode;

use crate::api_harness::{api, Api, PASSWORD};
use crate::both_backends;
use crate::harness::ACCOUNT;

both_backends!(
    signing_in_sets_an_http_only_same_site_session_and_wrong_passwords_are_refused,
    a_sign_in_form_without_its_token_or_cookie_is_refused,
    a_session_cannot_change_anything_without_its_csrf_token,
    failed_sign_ins_are_limited_per_account_and_per_address,
    an_admin_sets_the_schedule_on_the_page_and_makes_a_notification_secret,
    every_page_renders_for_an_admin_and_members_only_see_the_field,
    a_netsuite_name_full_of_html_shows_as_text,
    pages_without_a_session_send_people_to_sign_in,
);

const XSS: &str = "<img src=x onerror=alert(1)>";

pub(crate) struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// Loads the sign-in form as a browser would: its cookie and its hidden CSRF token.
async fn signin_form(api: &Api) -> (String, String) {
    let reply = api
        .http
        .get(format!("{}/signin", api.url))
        .send()
        .await
        .unwrap();
    let set = reply.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let page = reply.text().await.unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (cookie, csrf)
}

/// Posts the sign-in form loaded just before.
pub(crate) async fn post_signin(api: &Api, email: &str, password: &str) -> reqwest::Response {
    let (cookie, csrf) = signin_form(api).await;
    api.http
        .post(format!("{}/signin", api.url))
        .header("cookie", cookie)
        .form(&[("email", email), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap()
}

pub(crate) async fn sign_in(api: &Api, email: &str) -> Session {
    let reply = post_signin(api, email, PASSWORD).await;
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    let set = reply.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let page = page(api, &cookie, "/field").await;
    let csrf = page
        .split("x-csrf-token\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    Session { cookie, csrf }
}

/// Clicks "Import Customers": the POST that reads NetSuite and answers the whole form.
pub(crate) async fn refresh_candidates(api: &Api, session: &Session) -> String {
    let reply = api
        .http
        .post(format!("{}/integration/candidates/refresh", api.url))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    reply.text().await.unwrap()
}

/// GETs `path` as a browser holding `cookie` does, whatever the answer.
pub(crate) async fn get_with_cookie(api: &Api, cookie: &str, path: &str) -> reqwest::Response {
    api.http
        .get(format!("{}{path}", api.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn page(api: &Api, cookie: &str, path: &str) -> String {
    let reply = get_with_cookie(api, cookie, path).await;
    assert_eq!(reply.status(), StatusCode::OK, "{path}");
    reply.text().await.unwrap()
}

async fn signing_in_sets_an_http_only_same_site_session_and_wrong_passwords_are_refused(
    store: Store,
) {
    let api = api(store).await;
    let reply = post_signin(&api, "admin@a.test", PASSWORD).await;
    let set = reply.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let wrong = post_signin(&api, "admin@a.test", "nope").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap_or("").starts_with("nsync_session=")),
        "a refused sign-in opens no session"
    );
    let unknown = post_signin(&api, "nobody@a.test", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (unknown, wrong) = (unknown.text().await.unwrap(), wrong.text().await.unwrap());
    assert!(
        unknown.contains("the email or the password is wrong"),
        "{unknown}"
    );
    assert!(
        wrong.contains("the email or the password is wrong"),
        "unknown email and wrong password look alike"
    );
    let forged = get_with_cookie(
        &api,
        "nsync_session=1.99999999999.AAAA.AAAA",
        "/api/v1/fields",
    )
    .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

async fn a_session_cannot_change_anything_without_its_csrf_token(store: Store) {
    let api = api(store).await;
    let session = sign_in(&api, "admin@a.test").await;
    let without = api
        .http
        .post(format!("{}/integration/test", api.url))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let wrong = api
        .http
        .post(format!("{}/api/v1/tokens", api.url))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", "forged")
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let with = api
        .http
        .post(format!("{}/integration/test", api.url))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::OK);
    assert!(with
        .text()
        .await
        .unwrap()
        .contains("Connected to NetSuite account"));
    // The session also drives the JSON API, with the same CSRF rule.
    let api_call = api
        .http
        .post(format!("{}/api/v1/tokens", api.url))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api_call.status(), StatusCode::CREATED);
}

async fn every_page_renders_for_an_admin_and_members_only_see_the_field(store: Store) {
    let api = api(store).await;
    let run = api.import_all().await;
    let admin = sign_in(&api, "admin@a.test").await;
    let integration = page(&api, &admin.cookie, "/integration").await;
    assert!(integration.contains("Import Customers") && integration.contains("Test connection"));
    assert!(integration.contains("Save schedule"));
    let candidates = refresh_candidates(&api, &admin).await;
    assert!(candidates.contains("Select all") && candidates.contains("name=\"records\""));
    let field = page(&api, &admin.cookie, "/field").await;
    assert!(field.contains("option-name"));
    assert!(page(&api, &admin.cookie, "/runs")
        .await
        .contains(&format!("/runs/{run}")));
    assert!(page(&api, &admin.cookie, &format!("/runs/{run}"))
        .await
        .contains("added"));
    let member = sign_in(&api, "member@a.test").await;
    assert!(page(&api, &member.cookie, "/field")
        .await
        .contains("option-name"));
    let refused = get_with_cookie(&api, &member.cookie, "/integration").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn a_netsuite_name_full_of_html_shows_as_text(store: Store) {
    let api = api(store).await;
    let base = format!("/integrations/{}/candidates", api.integration);
    let refresh = format!("{base}/refresh");
    let refreshed = api
        .call(Some(&api.admin), reqwest::Method::POST, &refresh, None)
        .await;
    assert_eq!(
        refreshed.status,
        StatusCode::NO_CONTENT,
        "{}",
        refreshed.text
    );
    let top = api
        .get(&api.admin, &format!("{base}?parent=top&limit=1"))
        .await;
    let id: i64 = top.body["candidates"][0]["key"]
        .as_str()
        .unwrap()
        .split_once(':')
        .unwrap()
        .1
        .parse()
        .unwrap();
    let control = api.emulator.control();
    control.advance_clock(chrono::Duration::minutes(1));
    control
        .rename(ACCOUNT, RecordKind::Customer, id, XSS)
        .unwrap();
    control.advance_clock(chrono::Duration::minutes(1));
    api.import_all().await;
    let admin = sign_in(&api, "admin@a.test").await;
    assert!(!refresh_candidates(&api, &admin).await.contains(XSS));
    for path in ["/field", "/integration/candidates?parent=top&view=form"] {
        let html = page(&api, &admin.cookie, path).await;
        assert!(!html.contains(XSS), "{path} sends the name as markup");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;") || html.contains("&#60;img"),
            "{path} does not show the name"
        );
    }
}

async fn pages_without_a_session_send_people_to_sign_in(store: Store) {
    let api = api(store).await;
    for path in ["/", "/integration", "/field", "/runs"] {
        let reply = api
            .http
            .get(format!("{}{path}", api.url))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(reply.headers()["location"], "/signin");
    }
    let signin = api
        .http
        .get(format!("{}/signin", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(signin.status(), StatusCode::OK);
    let htmx = api
        .http
        .get(format!("{}/assets/htmx.min.js", api.url))
        .send()
        .await
        .unwrap();
    assert!(htmx.text().await.unwrap().starts_with("var htmx"));
    assert_eq!(
        api.http
            .get(format!("{}/healthz", api.url))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        api.http
            .get(format!("{}/readyz", api.url))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

/// Login CSRF: a form posted from elsewhere (no cookie, or a token of another form) signs nobody in.
async fn a_sign_in_form_without_its_token_or_cookie_is_refused(store: Store) {
    let api = api(store).await;
    let (cookie, csrf) = signin_form(&api).await;
    let (other_cookie, _) = signin_form(&api).await;
    for (cookie, token) in [
        (None, Some(csrf.as_str())),
        (Some(cookie.as_str()), None),
        (Some(other_cookie.as_str()), Some(csrf.as_str())),
    ] {
        let mut form = vec![("email", "admin@a.test"), ("password", PASSWORD)];
        form.extend(token.map(|t| ("csrf", t)));
        let mut request = api.http.post(format!("{}/signin", api.url)).form(&form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let reply = request.send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::FORBIDDEN);
        let sets: Vec<&str> = reply
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            sets.iter().all(|c| !c.starts_with("nsync_session=")),
            "{sets:?}"
        );
    }
}

async fn an_admin_sets_the_schedule_on_the_page_and_makes_a_notification_secret(store: Store) {
    let api = api(store).await;
    let session = sign_in(&api, "admin@a.test").await;
    let before = page(&api, &session.cookie, "/integration").await;
    assert!(before.contains("The automatic update is off."), "{before}");
    let post = |path: &'static str, form: Vec<(&'static str, &'static str)>| {
        api.http
            .post(format!("{}{path}", api.url))
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .form(&form)
            .send()
    };
    let saved = post(
        "/integration/schedule",
        vec![
            ("enabled", "on"),
            ("day", "Mon"),
            ("day", "Thu"),
            ("at", "07:30"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    let text = saved.text().await.unwrap();
    assert!(text.contains("The next automatic update starts"), "{text}");
    assert!(text.contains("07:30"), "{text}");
    let settings = api
        .store
        .integration(api.integration)
        .await
        .unwrap()
        .settings;
    assert!(settings.auto_update.enabled);
    assert_eq!(
        settings.auto_update.weekdays.to_string(),
        "Monday and Thursday"
    );
    let after = page(&api, &session.cookie, "/integration").await;
    assert!(after.contains("value=\"Thu\" checked"), "{after}");
    // No weekday, or a time that is not one: refused, nothing saved.
    for form in [
        vec![("enabled", "on"), ("at", "07:30")],
        vec![("enabled", "on"), ("day", "Mon"), ("at", "25:00")],
        vec![("enabled", "on"), ("day", "Someday"), ("at", "07:30")],
    ] {
        let refused = post("/integration/schedule", form).await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        api.store
            .integration(api.integration)
            .await
            .unwrap()
            .settings,
        settings
    );
    let secret = post("/integration/notification-secret", vec![])
        .await
        .unwrap();
    assert_eq!(secret.status(), StatusCode::OK);
    let text = secret.text().await.unwrap();
    assert!(text.contains("nsh_"), "{text}");
    assert!(text.contains(&format!("/hooks/netsuite/{}", api.integration)));
}

async fn failed_sign_ins_are_limited_per_account_and_per_address(store: Store) {
    let api = api(store).await;
    // Five wrong passwords lock the account, the right one included, with a clear message.
    for _ in 0..5 {
        let wrong = post_signin(&api, "admin@a.test", "guess").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = post_signin(&api, "admin@a.test", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked
        .headers()
        .get("set-cookie")
        .is_none_or(|c| !c.to_str().unwrap_or("").starts_with("nsync_session=")));
    let text = locked.text().await.unwrap();
    assert!(text.contains("Too many failed sign-ins"), "{text}");
    // An email that does not exist is limited the same way (no hint that it does not exist).
    for _ in 0..5 {
        post_signin(&api, "nobody@a.test", "guess").await;
    }
    assert_eq!(
        post_signin(&api, "nobody@a.test", "guess").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another account still signs in from this address...
    assert_eq!(
        post_signin(&api, "member@a.test", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // ...until the address has failed 20 times, whatever the emails.
    for i in 0..10 {
        post_signin(&api, &format!("spray{i}@a.test"), "guess").await;
    }
    assert_eq!(
        post_signin(&api, "member@a.test", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
