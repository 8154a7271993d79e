//! The OpenAPI document describes what the API really reads and answers: every `$ref` resolves,
//! every operation that reads a body documents its schema, and the answers of a whole flow
//! (connect, import, update, read the tree, the account) validate against the schemas the
//! document gives for their status.

use nsync_server::http::OPERATIONS;
use nsync_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::api_harness::{api, Api};
use crate::both_backends;

both_backends!(
    every_reference_resolves_and_every_body_is_described,
    the_answers_of_a_whole_flow_match_their_documented_schemas,
);

async fn document(api: &Api) -> Value {
    let doc = api.call(None, Method::GET, "/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    doc.body
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.push(target);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

async fn every_reference_resolves_and_every_body_is_described(store: Store) {
    let api = api(store).await;
    let doc = document(&api).await;
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(
        found.len() > 20,
        "the document names its schemas ({found:?})"
    );
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target} is not a component"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{target} does not resolve"
        );
    }
    for op in OPERATIONS {
        let entry = &doc["paths"][format!("/api/v1{}", op.path)][op.method];
        if op.body.is_some() {
            assert_eq!(entry["requestBody"]["required"], true, "{}", op.id);
            let schema = &entry["requestBody"]["content"]["application/json"]["schema"];
            assert!(schema.is_object(), "{}: {schema}", op.id);
        }
        for (status, _) in op.answers {
            let schema = &entry["responses"][status.to_string()]["content"]["application/json"];
            assert!(schema["schema"].is_object(), "{} {status}", op.id);
        }
    }
}

/// Checks `value` against `schema` (the subset of JSON Schema 2020-12 the generated schemas
/// use); returns where and why it does not fit.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        return; // `true`: anything.
    };
    if let Some(Value::String(target)) = schema.get("$ref") {
        let name = target.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], value, at, errors);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = schema.get(key) {
            let fits = options.iter().any(|option| {
                let mut inner = Vec::new();
                check(doc, option, value, at, &mut inner);
                inner.is_empty()
            });
            if !fits {
                errors.push(format!("{at}: {value} fits none of {key}"));
            }
        }
    }
    if let Some(Value::Array(all)) = schema.get("allOf") {
        all.iter().for_each(|s| check(doc, s, value, at, errors));
    }
    if let Some(expected) = schema.get("const") {
        if expected != value {
            errors.push(format!("{at}: {value} is not {expected}"));
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let fits = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !fits {
            errors.push(format!("{at}: {value} is not of type {types:?}"));
            return;
        }
    }
    if let Value::Object(fields) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        let empty = Map::new();
        let properties = properties.unwrap_or(&empty);
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = required.as_str().unwrap_or_default();
            if !fields.contains_key(name) {
                errors.push(format!("{at}: {name} is required but missing"));
            }
        }
        for (name, field) in fields {
            match properties.get(name) {
                Some(property) => check(doc, property, field, &format!("{at}.{name}"), errors),
                None if schema.get("properties").is_some()
                    && schema.get("additionalProperties") != Some(&Value::Bool(true)) =>
                {
                    errors.push(format!("{at}.{name} is answered but not documented"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, element) in items.iter().enumerate() {
            check(doc, item, element, &format!("{at}[{i}]"), errors);
        }
    }
}

async fn the_answers_of_a_whole_flow_match_their_documented_schemas(store: Store) {
    let api = api(store).await;
    let doc = document(&api).await;
    let integration = format!("/integrations/{}", api.integration);
    let field = format!("/fields/{}", api.field);
    let mut checked = Vec::new();
    let mut answer = async |method: Method, path: String, body: Option<Value>| -> Value {
        let reply = api
            .call(Some(&api.admin), method.clone(), &path, body)
            .await;
        let op = OPERATIONS
            .iter()
            .find(|op| {
                op.method.eq_ignore_ascii_case(method.as_str())
                    && matches_path(op.path, path.split('?').next().unwrap())
            })
            .unwrap_or_else(|| panic!("{method} {path} is not in the table"));
        assert!(
            reply.status.is_success(),
            "{} {path}: {}",
            op.id,
            reply.text
        );
        let entry = &doc["paths"][format!("/api/v1{}", op.path)][op.method];
        let schema =
            &entry["responses"][reply.status.as_str()]["content"]["application/json"]["schema"];
        if reply.status != StatusCode::NO_CONTENT {
            assert!(
                schema.is_object(),
                "{} answers {} undocumented",
                op.id,
                reply.status
            );
            let mut errors = Vec::new();
            check(&doc, schema, &reply.body, op.id, &mut errors);
            assert!(errors.is_empty(), "{}: {errors:#?}\n{}", op.id, reply.text);
        }
        checked.push(op.id);
        reply.body
    };
    answer(Method::GET, integration.clone(), None).await;
    answer(
        Method::PATCH,
        integration.clone(),
        Some(json!({"settings": {"show_project_number": true}})),
    )
    .await;
    answer(Method::POST, format!("{integration}/test"), None).await;
    answer(Method::GET, format!("{integration}/subsidiaries"), None).await;
    answer(
        Method::POST,
        format!("{integration}/candidates/refresh"),
        None,
    )
    .await;
    answer(Method::GET, format!("{integration}/candidates"), None).await;
    let body = json!({"all": true, "preview": true});
    answer(Method::POST, format!("{integration}/import"), Some(body)).await;
    let started = answer(
        Method::POST,
        format!("{integration}/import"),
        Some(json!({"all": true})),
    )
    .await;
    let run = started["run_id"].as_i64().unwrap();
    api.wait_for_run(run).await;
    answer(Method::GET, format!("/runs/{run}"), None).await;
    answer(Method::GET, format!("/runs/{run}/changes"), None).await;
    answer(Method::GET, format!("{integration}/runs"), None).await;
    answer(
        Method::POST,
        format!("{integration}/update"),
        Some(json!({"preview": true})),
    )
    .await;
    answer(Method::GET, "/fields".to_owned(), None).await;
    let page = answer(Method::GET, format!("{field}/options?limit=2"), None).await;
    let option = page["options"][0]["id"].as_i64().unwrap();
    answer(Method::GET, format!("{field}/options/search?q=a"), None).await;
    answer(Method::GET, format!("/options/{option}"), None).await;
    answer(Method::POST, format!("/options/{option}/remove"), None).await;
    answer(Method::POST, format!("/options/{option}/restore"), None).await;
    answer(
        Method::POST,
        format!("{integration}/notification-secret"),
        None,
    )
    .await;
    let token = answer(
        Method::POST,
        "/tokens".to_owned(),
        Some(json!({"name": "ci"})),
    )
    .await;
    answer(Method::DELETE, format!("/tokens/{}", token["id"]), None).await;
    answer(Method::GET, field.clone(), None).await;
    answer(Method::GET, format!("{field}/changes?limit=5"), None).await;
    let hook = answer(
        Method::POST,
        "/webhooks".to_owned(),
        Some(json!({"url": "https://hooks.example.com/nsync", "events": ["field.changed"]})),
    )
    .await;
    let hook = format!("/webhooks/{}", hook["webhook"]["id"]);
    answer(Method::POST, format!("/options/{option}/remove"), None).await;
    answer(Method::GET, "/webhooks".to_owned(), None).await;
    answer(Method::GET, hook.clone(), None).await;
    let log = answer(Method::GET, format!("{hook}/deliveries"), None).await;
    let delivery = log["deliveries"][0]["id"].clone();
    answer(
        Method::POST,
        format!("{hook}/resend"),
        Some(json!({"delivery_id": delivery})),
    )
    .await;
    answer(Method::POST, format!("{hook}/rotate-secret"), None).await;
    answer(Method::POST, format!("{hook}/enable"), None).await;
    answer(Method::DELETE, hook, None).await;
    answer(Method::GET, "/audit".to_owned(), None).await;
    assert!(checked.len() >= 32, "{checked:?}");
}

/// Whether `path` is an instance of the table's `pattern` (`{id}` standing for an id).
fn matches_path(pattern: &str, path: &str) -> bool {
    let (a, b): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(p, s)| p == s || *p == "{id}")
}
