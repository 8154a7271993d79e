//! Every answer, page or API, success or error, carries the security headers; the pages need
//! no inline script or style, so the Content-Security-Policy allows neither; one-time secrets
//! and new tokens are never stored by a cache.

use nsync_server::http::openapi::OPERATIONS;
use nsync_store::Store;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_harness::{api, Api};
use crate::api_web::sign_in;
use crate::both_backends;

both_backends!(
    every_api_operation_and_page_answers_with_the_security_headers,
    one_time_secrets_and_new_tokens_are_never_cached,
);

/// Checks the headers of one answer; `cacheable` for the static assets.
fn assert_hardened(headers: &HeaderMap, what: &str, cacheable: bool) {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_owned()
    };
    let csp = get("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    let cache = get("cache-control");
    if cacheable {
        assert!(cache.starts_with("public"), "{what}: {cache}");
    } else {
        assert_eq!(cache, "no-store", "{what}");
    }
}

async fn send(api: &Api, method: Method, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = api.http.request(method, format!("{}{path}", api.url));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

async fn every_api_operation_and_page_answers_with_the_security_headers(store: Store) {
    let api = api(store).await;
    let run = api.import_all().await;
    for op in OPERATIONS {
        let path = format!("/api/v1{}", op.path.replace("{id}", "1"));
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        let reply = send(&api, method, &path, None).await;
        assert_hardened(reply.headers(), &format!("{} {path}", op.method), false);
        let reply = api
            .http
            .get(format!("{}{path}", api.url))
            .bearer_auth(&api.admin)
            .send()
            .await
            .unwrap();
        assert_hardened(reply.headers(), &format!("GET {path} as admin"), false);
    }
    let admin = sign_in(&api, "admin@a.test").await;
    let pages = [
        "/",
        "/integration",
        "/integration/candidates?parent=top&view=form",
        "/field",
        "/runs",
        &format!("/runs/{run}"),
        &format!("/runs/{run}/status"),
        "/audit",
        "/healthz",
        "/readyz",
        "/metrics",
        "/no/such/page",
    ];
    for path in pages {
        let reply = send(&api, Method::GET, path, Some(&admin.cookie)).await;
        assert_hardened(reply.headers(), path, false);
        let html = reply.text().await.unwrap();
        for inline in ["<style", "style=\"", "<script>", " onclick=", " onchange="] {
            assert!(!html.contains(inline), "{path} has inline {inline}");
        }
    }
    let signin = send(&api, Method::GET, "/signin", None).await;
    assert_hardened(signin.headers(), "/signin", false);
    assert!(!signin.text().await.unwrap().contains("<style"));
    for asset in [
        "/assets/htmx.min.js",
        "/assets/nsync.css",
        "/assets/nsync.js",
    ] {
        let reply = send(&api, Method::GET, asset, None).await;
        assert_eq!(reply.status(), StatusCode::OK, "{asset}");
        assert_hardened(reply.headers(), asset, true);
    }
}

async fn one_time_secrets_and_new_tokens_are_never_cached(store: Store) {
    let api = api(store).await;
    let token = api
        .http
        .post(format!("{}/api/v1/tokens", api.url))
        .bearer_auth(&api.admin)
        .json(&json!({"name": "ci"}))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::CREATED);
    assert_hardened(token.headers(), "createApiToken", false);
    let secret = api
        .http
        .post(format!(
            "{}/api/v1/integrations/{}/notification-secret",
            api.url, api.integration
        ))
        .bearer_auth(&api.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(secret.status(), StatusCode::CREATED);
    assert_hardened(secret.headers(), "createNotificationSecret", false);
    let admin = sign_in(&api, "admin@a.test").await;
    let page = api
        .http
        .post(format!("{}/integration/notification-secret", api.url))
        .header("cookie", &admin.cookie)
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_hardened(page.headers(), "the notification secret on the page", false);
    assert!(page.text().await.unwrap().contains("nsh_"));
}
