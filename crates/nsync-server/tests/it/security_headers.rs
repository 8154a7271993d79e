//! Every answer, page or API, success or error, carries the security headers; the pages need
//! no inline script or style, so the Content-Security-Policy allows neither; one-time secrets
//! and new tokens are never stored by a cache.
//!
//! The routes are not listed here by hand: the API's come from the OpenAPI document the server
//! serves, and the pages' from following every link, `hx-get` and `hx-post` of every page from
//! the top ones, so a new route is checked as soon as it is documented or linked.

use nsync_server::http::OPERATIONS;
use nsync_store::Store;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::json;

use std::collections::{BTreeSet, VecDeque};

use crate::api_harness::{api, Api};
use crate::api_web::sign_in;
use crate::both_backends;

both_backends!(
    every_api_operation_and_page_answers_with_the_security_headers,
    one_time_secrets_and_new_tokens_are_never_cached,
    every_route_of_the_served_openapi_document_answers_hardened_on_every_status,
    every_page_reachable_from_the_pages_answers_hardened_signed_in_or_not,
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

/// Sends a request to the API; the answer's status, headers and text.
async fn api_call(
    api: &Api,
    method: &Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut request = api
        .http
        .request(method.clone(), format!("{}{path}", api.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let reply = request.send().await.unwrap();
    let (status, headers) = (reply.status(), reply.headers().clone());
    (status, headers, reply.text().await.unwrap())
}

/// An answer that is not a success is the API's JSON error format.
fn assert_error_format(status: StatusCode, text: &str, what: &str) {
    if status.is_success() {
        return;
    }
    let body: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|_| panic!("{what}: {status} {text:?}"));
    assert!(body["error"]["code"].is_string(), "{what}: {body}");
    assert!(body["error"]["message"].is_string(), "{what}: {body}");
}

async fn every_route_of_the_served_openapi_document_answers_hardened_on_every_status(store: Store) {
    let api = api(store).await;
    let (status, headers, text) =
        api_call(&api, &Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_hardened(&headers, "openapi.json", false);
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    let paths = document["paths"].as_object().expect("paths");
    assert_eq!(
        paths
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        OPERATIONS.len(),
        "the served document lists every operation"
    );
    let all = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    let mut seen = BTreeSet::new();
    for (template, operations) in paths {
        let methods: Vec<Method> = operations
            .as_object()
            .unwrap()
            .keys()
            .map(|m| Method::from_bytes(m.to_uppercase().as_bytes()).unwrap())
            .collect();
        // An id nothing has: the extractors answer before any handler changes anything.
        let path = template.replace("{id}", "987654321");
        for method in &methods {
            let what = format!("{method} {template}");
            let with_body = matches!(*method, Method::POST | Method::PUT | Method::PATCH);
            let cases = [
                (None, None, Some(StatusCode::UNAUTHORIZED)),
                (Some(api.admin.as_str()), None, None),
                (Some(api.admin.as_str()), with_body.then_some("[]"), None),
            ];
            for (token, body, expected) in cases {
                let (status, headers, text) = api_call(&api, method, &path, token, body).await;
                if let Some(expected) = expected {
                    assert_eq!(status, expected, "{what}: {text}");
                }
                assert!(!status.is_server_error(), "{what}: {status} {text}");
                assert_hardened(&headers, &format!("{what} answering {status}"), false);
                assert_error_format(status, &text, &what);
                seen.insert(status.as_u16());
            }
        }
        if let Some(other) = all.iter().find(|m| !methods.contains(m)) {
            let (status, headers, text) =
                api_call(&api, other, &path, Some(&api.admin), None).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{other} {template}");
            assert_hardened(&headers, &format!("{other} {template}"), false);
            assert_error_format(status, &text, template);
            seen.insert(status.as_u16());
        }
    }
    for status in [401, 404, 405, 422] {
        assert!(seen.contains(&status), "no answer was {status}: {seen:?}");
    }
}

/// The same-origin targets of a page's links, `hx-get`s and `hx-post`s, as (method, path).
fn targets(html: &str) -> Vec<(Method, String)> {
    let mut found = Vec::new();
    for (attribute, method) in [
        ("href=\"", Method::GET),
        ("hx-get=\"", Method::GET),
        ("hx-post=\"", Method::POST),
    ] {
        for rest in html.split(attribute).skip(1) {
            let target = rest.split('"').next().unwrap_or("").replace("&amp;", "&");
            if target.starts_with('/') && !target.starts_with("//") {
                found.push((method.clone(), target));
            }
        }
    }
    found
}

async fn every_page_reachable_from_the_pages_answers_hardened_signed_in_or_not(store: Store) {
    let api = api(store).await;
    let run = api.import_all().await;
    let admin = sign_in(&api, "admin@a.test").await;
    let start = [
        "/".to_owned(),
        "/signin".to_owned(),
        "/integration".to_owned(),
        format!("/runs/{run}"),
        "/no/such/page".to_owned(),
    ];
    let mut queue: VecDeque<(Method, String)> =
        start.into_iter().map(|p| (Method::GET, p)).collect();
    let mut done = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    while let Some((method, path)) = queue.pop_front() {
        if !done.insert((method.to_string(), path.clone())) || done.len() > 300 {
            continue;
        }
        let what = format!("{method} {path}");
        // Signed in; the POSTs without their CSRF token, so that none changes anything (and
        // signing out does not end the crawl).
        let reply = send(&api, method.clone(), &path, Some(&admin.cookie)).await;
        let status = reply.status();
        statuses.insert(status.as_u16());
        let cacheable = path.starts_with("/assets/");
        assert!(!status.is_server_error(), "{what}: {status}");
        assert_hardened(
            reply.headers(),
            &format!("{what} answering {status}"),
            cacheable,
        );
        if method == Method::POST {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{what} without its CSRF token"
            );
        }
        let html = reply.text().await.unwrap();
        if method == Method::GET && !cacheable {
            queue.extend(targets(&html));
        }
        // Signed out, and under the other method.
        let anonymous = send(&api, method.clone(), &path, None).await;
        statuses.insert(anonymous.status().as_u16());
        assert_hardened(
            anonymous.headers(),
            &format!("{what} signed out"),
            cacheable,
        );
        let other = if method == Method::GET {
            Method::DELETE
        } else {
            Method::PUT
        };
        let reply = send(&api, other.clone(), &path, Some(&admin.cookie)).await;
        statuses.insert(reply.status().as_u16());
        assert_hardened(reply.headers(), &format!("{other} {path}"), false);
    }
    assert!(
        done.len() >= 20,
        "only {} routes reached: {done:?}",
        done.len()
    );
    for route in [
        "/account/password",
        "/integration/scope",
        "/audit",
        "/field",
    ] {
        assert!(
            done.iter().any(|(_, p)| p.split('?').next() == Some(route)),
            "{route} was not reached: {done:?}"
        );
    }
    for status in [200, 303, 403, 404, 405] {
        assert!(
            statuses.contains(&status),
            "no answer was {status}: {statuses:?}"
        );
    }
}
