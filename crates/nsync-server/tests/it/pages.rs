//! The admin pages as a person uses them: a held update confirmed or discarded from its page,
//! runs that say who started them and what they did in words, the tree's numbers and counts,
//! and a search that offers only what can be picked.

use netsuite_emulator::RecordKind;
use nsync_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_harness::{api, Api};
use crate::api_web::{get_with_cookie, page, sign_in, Session};
use crate::both_backends;
use crate::harness::ACCOUNT;

both_backends!(
    a_held_update_shows_what_it_would_do_and_is_confirmed_or_discarded_from_its_page,
    runs_say_who_started_them_and_what_they_did_in_words,
    the_tree_shows_levels_and_counts_and_numbers_only_when_asked,
    the_search_does_not_offer_what_sits_under_an_inactive_option,
    ticking_a_customer_imports_its_projects_and_says_so_before_import,
    opening_import_customers_leaves_no_run_noise_and_unknown_pages_are_pages,
    a_long_import_says_where_it_is_while_it_runs,
    records_deeper_than_the_field_are_not_offered_as_new,
    restores_and_deletions_have_their_own_counts,
    the_tree_filters_by_state_and_a_search_hit_opens_its_option,
    the_runs_list_pages_back_a_hundred_at_a_time,
);

/// Posts a form as htmx does from a page (the session cookie and its CSRF header).
async fn post_form(
    api: &Api,
    session: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let reply = api
        .http
        .post(format!("{}{path}", api.url))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .form(form)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.text().await.unwrap())
}

/// Clicks a button that posts nothing.
async fn click(api: &Api, session: &Session, path: &str) -> (StatusCode, String) {
    post_form(api, session, path, &[]).await
}

/// Top-level options of the field: (option id, NetSuite id).
async fn customers(api: &Api) -> Vec<(i64, i64)> {
    let top = api
        .get(
            &api.admin,
            &format!("/fields/{}/options?limit=500", api.field),
        )
        .await;
    top.body["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            let upstream = o["upstream"].as_str()?.strip_prefix("customer:")?;
            Some((o["id"].as_i64()?, upstream.parse().ok()?))
        })
        .collect()
}

/// Deactivates two customers in NetSuite behind a guard of one, and starts an Update: it is held.
async fn held_update(api: &Api) -> (i64, Vec<i64>) {
    let path = format!("/integrations/{}", api.integration);
    let settings = json!({"settings": {"deactivation_guard": {"min_count": 1, "percent": 0}}});
    let saved = api
        .call(Some(&api.admin), Method::PATCH, &path, Some(settings))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let control = api.emulator.control();
    control.advance_clock(chrono::Duration::minutes(1));
    let victims: Vec<(i64, i64)> = customers(api).await.into_iter().take(2).collect();
    for (_, id) in &victims {
        control
            .set_inactive(ACCOUNT, RecordKind::Customer, *id, true)
            .unwrap();
    }
    control.advance_clock(chrono::Duration::minutes(1));
    let started = api
        .post(&api.admin, &format!("{path}/update"), json!({}))
        .await;
    let run = started.body["run_id"].as_i64().expect("a run");
    assert_eq!(api.wait_for_run(run).await["status"], "needs_confirmation");
    (run, victims.into_iter().map(|(o, _)| o).collect())
}

/// Starts an Update through the API and waits for it; its run.
async fn update(api: &Api) -> serde_json::Value {
    let path = format!("/integrations/{}/update", api.integration);
    let started = api.post(&api.admin, &path, json!({})).await;
    let run = started.body["run_id"].as_i64().expect("a run");
    api.wait_for_run(run).await
}

async fn active(api: &Api, option: i64) -> bool {
    let o = api.get(&api.admin, &format!("/options/{option}")).await;
    o.body["active"].as_bool().expect("an option")
}

async fn a_held_update_shows_what_it_would_do_and_is_confirmed_or_discarded_from_its_page(
    store: Store,
) {
    let api = api(store).await;
    api.import_all().await;
    let (run, victims) = held_update(&api).await;
    let admin = sign_in(&api, "admin@a.test").await;

    // The integration page says it at the top; the run says what it would do, with both buttons.
    let integration = page(&api, &admin.cookie, "/integration").await;
    assert!(
        integration.contains("An update waits for your confirmation")
            && integration.contains("would deactivate 2 options"),
        "{integration}"
    );
    let held = page(&api, &admin.cookie, &format!("/runs/{run}")).await;
    assert!(held.contains("Waiting for your confirmation"), "{held}");
    assert!(
        held.contains(&format!("/runs/{run}/confirm"))
            && held.contains(&format!("/runs/{run}/discard"))
    );
    assert_eq!(held.matches("<td>Deactivated</td>").count(), 2, "{held}");
    assert!(
        held.contains("Inactive in NetSuite"),
        "reasons in words: {held}"
    );
    assert!(held.contains(".app.netsuite.com/app/common/entity/custjob.nl?id="));
    // The API's change list of the held run is the same two changes.
    let listed = api.get(&api.admin, &format!("/runs/{run}/changes")).await;
    assert_eq!(
        listed.body["changes"].as_array().unwrap().len(),
        2,
        "{}",
        listed.text
    );
    let counted = api.get(&api.admin, &format!("/runs/{run}")).await;
    assert_eq!(counted.body["counts"]["deactivated"], 2, "{}", counted.text);

    // Discard: nothing applied, and the run says so; it cannot be confirmed after.
    let (status, text) = click(&api, &admin, &format!("/runs/{run}/discard")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("Discarded"), "{text}");
    for option in &victims {
        assert!(
            active(&api, *option).await,
            "a discarded update applied nothing"
        );
    }
    let (status, text) = click(&api, &admin, &format!("/runs/{run}/confirm")).await;
    assert!(status.is_client_error(), "{status} {text}");
    assert!(text.contains("not waiting for a confirmation"), "{text}");
    let audit = page(&api, &admin.cookie, "/audit").await;
    assert!(
        audit.contains("Discard update") && audit.contains("admin@a.test"),
        "{audit}"
    );

    // The next Update is held again; confirmed from the run's page, it applies.
    api.emulator
        .control()
        .advance_clock(chrono::Duration::minutes(1));
    let again = update(&api).await;
    assert_eq!(again["status"], "needs_confirmation");
    let again = again["id"].as_i64().unwrap();
    let (status, text) = click(&api, &admin, &format!("/runs/{again}/confirm")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("Succeeded"), "{text}");
    for option in &victims {
        assert!(!active(&api, *option).await, "the confirmed update applied");
    }
    // Only deactivations of the kind asked for are listed when the run is filtered.
    let filtered = page(&api, &admin.cookie, &format!("/runs/{again}?kind=renamed")).await;
    assert!(filtered.contains("No changes of this kind"), "{filtered}");
    let bad = get_with_cookie(&api, &admin.cookie, &format!("/runs/{again}?kind=exploded")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn runs_say_who_started_them_and_what_they_did_in_words(store: Store) {
    let api = api(store).await;
    let admin = sign_in(&api, "admin@a.test").await;
    let (status, text) = click(&api, &admin, "/integration/import").await;
    // No record ticked: the form says what to do, where it was clicked.
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("Tick the records"), "{text}");
    let run = api.import_all().await;
    let runs = page(&api, &admin.cookie, "/runs").await;
    // The harness's import went through the API with the admin's token: the admin started it.
    assert!(runs.contains("admin@a.test"), "{runs}");
    assert!(
        runs.contains("Succeeded") && !runs.contains(">succeeded<"),
        "{runs}"
    );
    let one = page(&api, &admin.cookie, &format!("/runs/{run}")).await;
    assert!(
        one.contains("Started by") && one.contains("admin@a.test"),
        "{one}"
    );
    assert!(
        one.contains("NetSuite requests") && one.contains("Took"),
        "{one}"
    );
    assert!(
        one.contains("<th scope=\"row\">Added</th>"),
        "a count by kind: {one}"
    );
    // Option paths, not raw keys, name the changes.
    assert!(!one.contains("<td>customer:"), "{one}");
}

async fn the_tree_shows_levels_and_counts_and_numbers_only_when_asked(store: Store) {
    let api = api(store).await;
    api.import_all().await;
    let admin = sign_in(&api, "admin@a.test").await;
    let field = page(&api, &admin.cookie, "/field").await;
    assert!(
        field.contains(" active ·") && field.contains("customers "),
        "totals: {field}"
    );
    assert!(field.contains("level 1"), "{field}");
    assert!(
        field.contains(" below") && field.contains("aria-expanded=\"false\""),
        "{field}"
    );
    // Find a customer with projects and open it.
    let mut with_projects = None;
    for (option, _) in customers(&api).await {
        let below = api
            .get(
                &api.admin,
                &format!("/fields/{}/options?parent={option}", api.field),
            )
            .await;
        let has_number = below.body["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["number"].is_string());
        if let Some(project) = has_number {
            with_projects = Some((option, project["number"].as_str().unwrap().to_owned()));
            break;
        }
    }
    let (option, number) = with_projects.expect("a customer with numbered projects");
    let path = format!("/field/children?field={}&parent={option}", api.field);
    let children = page(&api, &admin.cookie, &path).await;
    assert!(children.contains("level 2"), "{children}");
    assert!(
        !children.contains(&number),
        "numbers are off by default: {children}"
    );
    let saved = api
        .call(
            Some(&api.admin),
            Method::PATCH,
            &format!("/integrations/{}", api.integration),
            Some(json!({"settings": {"show_project_number": true}})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let children = page(&api, &admin.cookie, &path).await;
    assert!(
        children.contains(&number),
        "numbers shown when asked: {children}"
    );
}

async fn the_search_does_not_offer_what_sits_under_an_inactive_option(store: Store) {
    let api = api(store).await;
    api.import_all().await;
    // A project with an active child, found by its name.
    let mut found = None;
    'top: for (customer, _) in customers(&api).await {
        let below = api
            .get(
                &api.admin,
                &format!("/fields/{}/options?parent={customer}", api.field),
            )
            .await;
        for project in below.body["options"].as_array().unwrap() {
            let id = project["id"].as_i64().unwrap();
            let kids = api
                .get(
                    &api.admin,
                    &format!("/fields/{}/options?parent={id}", api.field),
                )
                .await;
            if let Some(kid) = kids.body["options"].as_array().unwrap().first() {
                found = Some((project.clone(), kid.clone()));
                break 'top;
            }
        }
    }
    let (project, kid) = found.expect("a project with a sub-project");
    let name = kid["name"].as_str().unwrap().to_owned();
    let search = format!(
        "/fields/{}/options/search?q={}",
        api.field,
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    );
    let offered = |reply: &crate::api_harness::Reply| {
        reply.body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == kid["id"])
    };
    assert!(
        offered(&api.get(&api.member, &search).await),
        "offered while all is active"
    );
    let upstream: i64 = project["upstream"]
        .as_str()
        .unwrap()
        .strip_prefix("project:")
        .unwrap()
        .parse()
        .unwrap();
    let control = api.emulator.control();
    control.advance_clock(chrono::Duration::minutes(1));
    control
        .set_inactive(ACCOUNT, RecordKind::Project, upstream, true)
        .unwrap();
    control.advance_clock(chrono::Duration::minutes(1));
    update(&api).await;
    let hits = api.get(&api.member, &search).await;
    assert!(
        !offered(&hits),
        "a sub-project under an inactive project: {}",
        hits.text
    );
}

/// Submits the Import Customers form; the answer must be a 200.
async fn submit(api: &Api, session: &Session, path: &str, form: &[(&str, &str)]) -> String {
    let (status, text) = post_form(api, session, path, form).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    text
}

async fn ticking_a_customer_imports_its_projects_and_says_so_before_import(store: Store) {
    let api = api(store).await;
    let admin = sign_in(&api, "admin@a.test").await;
    crate::api_web::refresh_candidates(&api, &admin).await;
    // A customer with projects, from the list the page shows.
    let base = format!("/integrations/{}/candidates", api.integration);
    let top = api
        .get(&api.admin, &format!("{base}?parent=top&limit=200"))
        .await;
    let mut picked = None;
    for c in top.body["candidates"].as_array().unwrap() {
        let key = c["key"].as_str().unwrap();
        let below = api.get(&api.admin, &format!("{base}?parent={key}")).await;
        let n = below.body["candidates"].as_array().unwrap().len();
        if n > 0 {
            picked = Some((key.to_owned(), n));
            break;
        }
    }
    let (customer, projects) = picked.expect("a customer with projects");
    let summary = submit(
        &api,
        &admin,
        "/integration/import/summary",
        &[("records", &customer)],
    )
    .await;
    assert!(
        summary.contains("Import will add 1 customer and"),
        "{summary}"
    );
    let only = submit(
        &api,
        &admin,
        "/integration/import/summary",
        &[("records", &customer), ("only_ticked", "true")],
    )
    .await;
    assert!(only.contains("1 customer and 0 projects"), "{only}");
    let requests = api.emulator.control().requests().len();
    submit(
        &api,
        &admin,
        "/integration/import/summary",
        &[("records", &customer)],
    )
    .await;
    assert_eq!(
        api.emulator.control().requests().len(),
        requests,
        "a tick costs no NetSuite request"
    );

    let started = submit(
        &api,
        &admin,
        "/integration/import",
        &[("records", &customer)],
    )
    .await;
    let run: i64 = started
        .split("id=\"run-")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("the started run");
    let done = api.wait_for_run(run).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(
        done["counts"]["added"].as_u64().unwrap() > projects as u64,
        "the customer and its projects (and any sub-projects): {done}"
    );
}

async fn opening_import_customers_leaves_no_run_noise_and_unknown_pages_are_pages(store: Store) {
    let api = api(store).await;
    let admin = sign_in(&api, "admin@a.test").await;
    let run = api.import_all().await;
    for _ in 0..3 {
        crate::api_web::refresh_candidates(&api, &admin).await;
    }
    let runs = page(&api, &admin.cookie, "/runs").await;
    assert!(!runs.contains("<td>Refresh</td>"), "{runs}");
    assert!(runs.contains(&format!("/runs/{run}")));
    assert!(runs.contains("svg class=\"chart\""), "the chart: {runs}");
    let all = page(&api, &admin.cookie, "/runs?refreshes=true").await;
    assert!(all.contains("<td>Refresh</td>"), "{all}");
    let integration = page(&api, &admin.cookie, "/integration").await;
    assert!(
        !integration.contains("<td>Refresh</td>") && integration.contains("Last import"),
        "{integration}"
    );
    let missing = api
        .http
        .get(format!("{}/no/such/page", api.url))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    let api_missing = api
        .http
        .get(format!("{}/api/v1/no/such", api.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(api_missing.status(), StatusCode::NOT_FOUND);
    assert!(
        api_missing.text().await.unwrap().starts_with('{'),
        "the API answers JSON"
    );
}

async fn a_long_import_says_where_it_is_while_it_runs(store: Store) {
    let api = api(store).await;
    let admin = sign_in(&api, "admin@a.test").await;
    // A slow NetSuite: every request takes a second, so the import reads for seconds.
    api.emulator
        .control()
        .set_latency(netsuite_emulator::LatencyConfig {
            fixed: std::time::Duration::from_millis(1000),
            ..Default::default()
        });
    let path = format!("/integrations/{}/import", api.integration);
    let started = api.post(&api.admin, &path, json!({"all": true})).await;
    let run = started.body["run_id"].as_i64().expect("a run");
    let mut seen = None;
    let mut saw = Vec::new();
    for _ in 0..200 {
        let now = api.get(&api.admin, &format!("/runs/{run}")).await.body;
        saw.push(now.to_string());
        if now["status"] != "running" {
            break;
        }
        // The plan is known once the reads are sized (after the credentials check).
        if now["progress"]["phase"] == "reading"
            && now["progress"]["pages_planned"].as_u64() > Some(0)
        {
            seen = Some(now["progress"].clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let progress =
        seen.unwrap_or_else(|| panic!("the run never said it was reading NetSuite: {saw:?}"));
    let (read, planned) = (
        progress["pages_read"].as_u64().unwrap(),
        progress["pages_planned"].as_u64().unwrap(),
    );
    assert!(planned >= read && planned > 0, "{progress}");
    let fragment = page(&api, &admin.cookie, &format!("/runs/{run}/status")).await;
    assert!(
        fragment.contains("<progress")
            || fragment.contains("Planning")
            || fragment.contains("Writing"),
        "{fragment}"
    );
    let done = api.wait_for_run(run).await;
    assert_eq!(done["status"], "succeeded");
    assert!(
        done.get("progress").is_none(),
        "no progress once it ended: {done}"
    );
}

async fn records_deeper_than_the_field_are_not_offered_as_new(store: Store) {
    let api = api(store).await;
    let saved = api
        .call(
            Some(&api.admin),
            Method::PATCH,
            &format!("/integrations/{}", api.integration),
            Some(json!({"settings": {"deepest_level": 2}})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let admin = sign_in(&api, "admin@a.test").await;
    crate::api_web::refresh_candidates(&api, &admin).await;
    // A project with sub-projects: they sit at level 3, below a field of two levels.
    let base = format!("/integrations/{}/candidates", api.integration);
    let top = api
        .get(&api.admin, &format!("{base}?parent=top&limit=200"))
        .await;
    let mut found = None;
    'top: for c in top.body["candidates"].as_array().unwrap() {
        let key = c["key"].as_str().unwrap();
        let projects = api.get(&api.admin, &format!("{base}?parent={key}")).await;
        for p in projects.body["candidates"].as_array().unwrap() {
            assert!(p["problem"].is_null(), "level 2 fits: {p}");
            let key = p["key"].as_str().unwrap().to_owned();
            let below = api.get(&api.admin, &format!("{base}?parent={key}")).await;
            if let Some(sub) = below.body["candidates"].as_array().unwrap().first() {
                found = Some((key, sub.clone()));
                break 'top;
            }
        }
    }
    let (project, sub) = found.expect("a project with a sub-project");
    assert!(
        sub["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("deeper than this field's deepest level (2)"),
        "{sub}"
    );
    let html = page(
        &api,
        &admin.cookie,
        &format!("/integration/candidates?parent={project}"),
    )
    .await;
    assert!(
        html.contains("Cannot be imported as it is") && html.contains("fix it in NetSuite"),
        "{html}"
    );
    // A finished import tells the list to reload its rows, so they no longer read "new".
    let run = api.import_all().await;
    let status = get_with_cookie(&api, &admin.cookie, &format!("/runs/{run}/status")).await;
    assert_eq!(status.headers()["hx-trigger"], "nsync-imported");
}

async fn restores_and_deletions_have_their_own_counts(store: Store) {
    let api = api(store).await;
    api.import_all().await;
    let (option, _) = customers(&api).await[0];
    let removed = api
        .post(&api.admin, &format!("/options/{option}/remove"), json!({}))
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    let marked = removed.body["marked"].as_u64().expect("options marked");
    let again = api.import_all().await;
    let run = api.get(&api.admin, &format!("/runs/{again}")).await.body;
    assert_eq!(run["counts"]["restored"], marked, "{run}");
    assert_eq!(run["counts"]["added"], 0, "{run}");
    let control = api.emulator.control();
    control.advance_clock(chrono::Duration::minutes(1));
    // NetSuite refuses to delete a customer that has projects: delete the first one it takes.
    let mut deleted = false;
    for (_, id) in customers(&api).await.into_iter().rev() {
        if control.delete(ACCOUNT, RecordKind::Customer, id).is_ok() {
            deleted = true;
            break;
        }
    }
    assert!(deleted, "a customer NetSuite lets go");
    control.advance_clock(chrono::Duration::minutes(1));
    let updated = update(&api).await;
    assert!(
        updated["counts"]["deleted"].as_u64() >= Some(1),
        "{updated}"
    );
    assert_eq!(
        updated["counts"]["deactivated"], 0,
        "a deletion is not counted twice: {updated}"
    );
    let admin = sign_in(&api, "admin@a.test").await;
    let runs = page(&api, &admin.cookie, "/runs").await;
    assert!(
        runs.contains("<th scope=\"col\">Restored</th>")
            && runs.contains("<th scope=\"col\">Deleted</th>")
    );
}

async fn the_tree_filters_by_state_and_a_search_hit_opens_its_option(store: Store) {
    let api = api(store).await;
    api.import_all().await;
    let (option, _) = customers(&api).await[0];
    let removed = api
        .post(&api.admin, &format!("/options/{option}/remove"), json!({}))
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    let marked = removed.body["marked"].as_u64().unwrap() as usize;
    let admin = sign_in(&api, "admin@a.test").await;
    let field = api.field;
    let list = page(
        &api,
        &admin.cookie,
        &format!("/field?field={field}&state=removed_here"),
    )
    .await;
    assert_eq!(
        list.matches("<span class=\"badge removed\">Removed here</span>")
            .count(),
        marked,
        "{list}"
    );
    let api_list = api
        .get(
            &api.admin,
            &format!("/fields/{field}/options?state=removed_here"),
        )
        .await;
    assert!(api_list.body["options"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["removed_here"] == true));
    let bad = api
        .get(&api.admin, &format!("/fields/{field}/options?state=gone"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A member may not list by state on the page.
    let member = sign_in(&api, "member@a.test").await;
    let refused = get_with_cookie(&api, &member.cookie, "/field?state=inactive").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // A search hit links to its option, shown by its full path.
    let (other, _) = customers(&api).await[1];
    let name = api.get(&api.admin, &format!("/options/{other}")).await.body["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let q: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let hits = page(
        &api,
        &admin.cookie,
        &format!("/field/search?field={field}&q={q}"),
    )
    .await;
    let link = format!("/field?field={field}&amp;focus={other}");
    assert!(hits.contains(&link), "{hits}");
    let focused = page(
        &api,
        &admin.cookie,
        &format!("/field?field={field}&focus={other}"),
    )
    .await;
    assert!(
        focused.contains("Back to the whole tree")
            && focused.contains(&format!("id=\"option-{other}\"")),
        "{focused}"
    );
}

async fn the_runs_list_pages_back_a_hundred_at_a_time(store: Store) {
    let api = api(store).await;
    let admin = sign_in(&api, "admin@a.test").await;
    let first = api.import_all().await;
    for _ in 0..100 {
        crate::api_web::refresh_candidates(&api, &admin).await;
    }
    let latest = page(&api, &admin.cookie, "/runs?refreshes=true").await;
    assert_eq!(
        latest.matches("<td>Refresh</td>").count(),
        100,
        "the newest hundred"
    );
    assert!(
        !latest.contains(&format!("href=\"/runs/{first}\"")),
        "{latest}"
    );
    let older = latest
        .split("href=\"/runs?before=")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("an Older runs link")
        .replace("&amp;", "&");
    let back = page(&api, &admin.cookie, &format!("/runs?before={older}")).await;
    assert!(back.contains(&format!("href=\"/runs/{first}\"")), "{back}");
    assert!(
        !back.contains("Older runs"),
        "nothing before the first run: {back}"
    );
    assert!(
        back.contains("svg class=\"chart\""),
        "the chart still shows the latest runs"
    );
    let refused = get_with_cookie(&api, &admin.cookie, "/runs?before=-3").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
