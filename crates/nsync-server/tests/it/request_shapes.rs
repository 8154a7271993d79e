//! Requests of the wrong shape: a JSON array where an object is expected, a body over the limit
//! or not JSON, an unknown route, a method a route does not serve, a path that is not UTF-8,
//! ids written other than the one way ids are written. Each answers the API's JSON error
//! format with its own status and code, and changes nothing.

use nsync_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::api_harness::{api, Api};
use crate::api_web::{get_with_cookie, sign_in};
use crate::both_backends;

both_backends!(
    bodies_of_the_wrong_shape_are_refused_with_their_own_status_in_json,
    unknown_routes_other_methods_and_malformed_paths_answer_json_errors,
    ids_written_with_a_sign_a_leading_zero_or_a_space_name_nothing,
    nested_objects_and_page_query_strings_refuse_names_they_do_not_know,
);

/// Sends a raw request to the API as company A's admin; status, headers and the JSON body.
async fn raw(
    api: &Api,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = api
        .http
        .request(method, format!("{}{path}", api.url))
        .bearer_auth(&api.admin)
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let reply = request.send().await.unwrap();
    let (status, headers) = (reply.status(), reply.headers().clone());
    let text = reply.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{path}: {status} answered no JSON: {text:?}"));
    (status, headers, body)
}

fn assert_error(body: &Value, code: &str, what: &str) {
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{what}: {body}");
}

async fn bodies_of_the_wrong_shape_are_refused_with_their_own_status_in_json(store: Store) {
    let api = api(store).await;
    let json = Some("application/json");
    let update = format!("/api/v1/integrations/{}/update", api.integration);
    for body in ["[true,true]", "[]", "true", "\"preview\"", "null", " 1"] {
        let (status, _, reply) = raw(&api, Method::POST, &update, json, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply}");
        assert_error(&reply, "invalid_request", body);
        assert!(reply.to_string().contains("JSON object"), "{reply}");
    }
    let runs = api
        .get(
            &api.admin,
            &format!("/integrations/{}/runs", api.integration),
        )
        .await;
    assert_eq!(
        runs.body["runs"],
        serde_json::json!([]),
        "nothing ran: {}",
        runs.text
    );
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let (status, _, reply) = raw(&api, Method::POST, "/api/v1/tokens", json, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{reply}");
    assert_error(&reply, "too_large", "a body over the limit");
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let body = "{\"name\": \"ci\"}";
        let (status, _, reply) =
            raw(&api, Method::POST, "/api/v1/tokens", content_type, body).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_error(&reply, "unsupported_media_type", "not JSON");
    }
    let (status, _, reply) = raw(
        &api,
        Method::POST,
        "/api/v1/tokens",
        Some("application/json; charset=utf-8"),
        "{\"name\": \"ci\"}",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
}

async fn unknown_routes_other_methods_and_malformed_paths_answer_json_errors(store: Store) {
    let api = api(store).await;
    for path in [
        "/api/v1/nothing",
        "/api/v1/runs/1/nothing",
        "/nothing",
        "/api/v2",
    ] {
        let (status, _, reply) = raw(&api, Method::GET, path, None, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_error(&reply, "not_found", path);
    }
    for (method, path) in [
        (Method::DELETE, "/api/v1/fields"),
        (Method::PUT, "/api/v1/tokens"),
        (Method::GET, "/api/v1/runs/1/confirm"),
        (Method::POST, "/healthz"),
    ] {
        let (status, headers, reply) = raw(&api, method.clone(), path, None, "").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_error(&reply, "method_not_allowed", path);
        assert!(headers.contains_key("allow"), "{method} {path}: no Allow");
    }
    for path in [
        "/api/v1/runs/%FF",
        "/api/v1/integrations/%C3%28",
        "/runs/%FF",
    ] {
        let (status, _, reply) = raw(&api, Method::GET, path, None, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {reply}");
        assert_error(&reply, "malformed_request", path);
    }
}

async fn ids_written_with_a_sign_a_leading_zero_or_a_space_name_nothing(store: Store) {
    let api = api(store).await;
    let id = api.integration.get();
    let (status, _, _) = raw(
        &api,
        Method::GET,
        &format!("/api/v1/integrations/{id}"),
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let written = [
        format!("0{id}"),
        format!("+{id}"),
        format!("%2B{id}"),
        format!("{id}%20"),
        format!("%20{id}"),
        format!("{id}.0"),
        format!("{id}%00"),
    ];
    for text in &written {
        for path in [
            format!("/api/v1/integrations/{text}"),
            format!("/api/v1/integrations/{text}/runs"),
        ] {
            let (status, _, reply) = raw(&api, Method::GET, &path, None, "").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {reply}");
            assert_error(&reply, "not_found", &path);
        }
    }
    let field = api.field.get();
    let (status, _, reply) = raw(
        &api,
        Method::GET,
        &format!("/api/v1/fields/0{field}/options"),
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{reply}");
}

async fn nested_objects_and_page_query_strings_refuse_names_they_do_not_know(store: Store) {
    let api = api(store).await;
    let json = Some("application/json");
    let path = format!("/api/v1/integrations/{}", api.integration);
    let (_, _, before) = raw(&api, Method::GET, &path, None, "").await;
    let patches = [
        (
            r#"{"settings": {"auto_update": {"enabeld": true}}}"#,
            "enabeld",
        ),
        (
            r#"{"settings": {"deactivation_guard": {"min_count": 3, "percnt": 5}}}"#,
            "percnt",
        ),
        (
            r#"{"settings": {"show_project_number": true, "extra": 1}}"#,
            "extra",
        ),
    ];
    for (body, name) in patches {
        let (status, _, reply) = raw(&api, Method::PATCH, &path, json, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply}");
        assert_error(&reply, "invalid_request", body);
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("unknown field `{name}`")),
            "{message}"
        );
    }
    let (_, _, after) = raw(&api, Method::GET, &path, None, "").await;
    assert_eq!(before, after, "nothing changed");
    let create = r#"{"account_id": "1234567", "credentials": {"kind": "tba", "consumer_key": "a",
        "consumer_secret": "b", "token_id": "c", "token_secret": "d", "realm": "x"}}"#;
    let (status, _, reply) = raw(&api, Method::POST, "/api/v1/integrations", json, create).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert!(
        reply.to_string().contains("unknown field `realm`"),
        "{reply}"
    );
    let admin = sign_in(&api, "admin@a.test").await;
    let field = api.field.get();
    let pages = [
        (format!("/field?field={field}&sort=name"), "sort"),
        (format!("/field/children?field={field}&parnet=1"), "parnet"),
        (format!("/field/search?field={field}&q=a&limit=5"), "limit"),
        (
            "/integration/candidates?parent=top&verbose=1".to_owned(),
            "verbose",
        ),
        ("/runs/1?from=0&to=9".to_owned(), "to"),
        ("/audit?before=5&after=1".to_owned(), "after"),
    ];
    for (page, name) in pages {
        let reply = get_with_cookie(&api, &admin.cookie, &page).await;
        let status = reply.status();
        let text = reply.text().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}: {text}");
        assert!(
            text.contains(&format!("unknown field `{name}`")),
            "{page}: {text}"
        );
    }
    let known = get_with_cookie(&api, &admin.cookie, &format!("/field?field={field}")).await;
    assert_eq!(known.status(), StatusCode::OK, "known names still work");
}
