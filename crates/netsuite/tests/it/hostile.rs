//! Hostile upstream input: names with HTML, bidi and zero-width characters, NUL, CR/LF, very long
//! text, ids that are not ids, and pages of the wrong shape. Each comes through as its exact text
//! or as a `RowError` for its row alone, the other rows are still read, and nothing panics.
//!
//! The emulator stores what NetSuite would refuse through its raw writes; what no NetSuite can
//! send at all (ids that are not numbers, pages of another shape) comes from a canned upstream.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use netsuite::{
    AccountId, Auth, Client, ClientConfig, Customer, Error, RetryPolicy, RowError, Scope,
    TbaCredentials,
};
use netsuite_emulator::{Mutation, NewCustomer, NewProject, PersonName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{self, collect, collect_error, ACCOUNT};

/// Names NetSuite might hand over, each to arrive exactly as written.
fn hostile_names() -> Vec<String> {
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=\"alert('x')\">",
        "\"><b>bold</b> &amp; &lt;tag&gt; {{ template }} ${expr}",
        "evil\u{202E}txt.exe\u{202C}",
        "\u{2067}isolated\u{2069} \u{200F}rtl\u{200E} \u{061C}mark",
        "zero\u{200B}width\u{200C}non\u{200D}joiner\u{2060}word\u{FEFF}",
        "nul\0byte",
        "line\r\nbreak\rcarriage\nfeed",
        "tab\tbell\u{7}escape\u{1B}[31m",
        "'; DROP TABLE customer; --",
        "e\u{301}\u{301}\u{301} 🚀 𝕬 ﷽",
        "   padded   ",
        &"x".repeat(netsuite::decode::MAX_TEXT_CHARS),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn create_customer(emulator: &netsuite_emulator::Emulator, c: NewCustomer) -> i64 {
    emulator
        .control()
        .apply_raw(ACCOUNT, Mutation::CreateCustomer(c))
        .expect("raw write")
        .id
}

async fn all_customers(client: &Client) -> (BTreeMap<i64, Customer>, Vec<RowError>) {
    let (rows, bad) = collect(client.customers(Scope::Account).await.unwrap()).await;
    let by_id: BTreeMap<i64, Customer> = rows.into_iter().map(|c| (c.id.0, c)).collect();
    (by_id, bad)
}

#[tokio::test]
async fn hostile_names_come_through_as_their_exact_text() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let (before, _) = all_customers(&client).await;
    let names = hostile_names();
    let mut companies = Vec::new();
    let mut people = Vec::new();
    let mut projects = Vec::new();
    for name in &names {
        let company = create_customer(
            &emulator,
            NewCustomer {
                entity_id: Some(name.clone()),
                company_name: Some(name.clone()),
                ..NewCustomer::default()
            },
        );
        companies.push(company);
        people.push(create_customer(
            &emulator,
            NewCustomer {
                person: Some(PersonName {
                    first: name.clone(),
                    middle: Some(name.clone()),
                    last: name.clone(),
                }),
                ..NewCustomer::default()
            },
        ));
        let project = NewProject {
            entity_id: Some(name.clone()),
            name: name.clone(),
            parent: company,
            ..NewProject::default()
        };
        projects.push(
            emulator
                .control()
                .apply_raw(ACCOUNT, Mutation::CreateProject(project))
                .expect("raw write")
                .id,
        );
    }

    let (customers, bad) = all_customers(&client).await;
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(customers.len(), before.len() + 2 * names.len());
    for (i, name) in names.iter().enumerate() {
        let company = &customers[&companies[i]];
        assert_eq!(company.company_name.as_deref(), Some(name.as_str()));
        assert_eq!(&company.entity_id, name);
        let person = &customers[&people[i]];
        assert!(person.is_person);
        for part in [&person.first_name, &person.middle_name, &person.last_name] {
            assert_eq!(part.as_deref(), Some(name.as_str()));
        }
    }
    let (all_projects, bad) = collect(client.projects(Scope::Account).await.unwrap()).await;
    assert!(bad.is_empty(), "{bad:?}");
    for (i, name) in names.iter().enumerate() {
        let project = all_projects
            .iter()
            .find(|p| p.id.0 == projects[i])
            .expect("the project is read");
        assert_eq!(project.name.as_deref(), Some(name.as_str()));
        assert_eq!(&project.entity_id, name);
        assert_eq!(project.parent.map(|p| p.0), Some(companies[i]));
    }
}

#[tokio::test]
async fn overlong_names_are_row_errors_and_every_other_row_is_read() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let (before, _) = all_customers(&client).await;
    let mut long = Vec::new();
    for chars in [netsuite::decode::MAX_TEXT_CHARS + 1, 10_000, 1_000_000] {
        long.push(create_customer(
            &emulator,
            NewCustomer {
                company_name: Some("é".repeat(chars)),
                ..NewCustomer::default()
            },
        ));
    }
    let (after, bad) = all_customers(&client).await;
    assert_eq!(after, before, "every other customer, unchanged");
    let mut rejected: Vec<i64> = bad.iter().map(|e| e.row_id.parse().unwrap()).collect();
    rejected.sort();
    assert_eq!(rejected, long);
    for e in &bad {
        assert_eq!(e.table, "customer");
        assert!(e.reason.contains("longer than 4000 characters"), "{e}");
        assert!(
            e.to_string().len() < 200,
            "the error does not carry the name"
        );
    }
}

#[tokio::test]
async fn ids_that_are_not_positive_reach_no_caller_and_every_other_row_is_read() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    let (before, _) = all_customers(&client).await;
    // NetSuite's internal ids are positive. Every read pages by id from 0 up, so a record with
    // another id is outside every page; one that points at such a parent is a row error.
    for id in [-5, 0] {
        create_customer(
            &emulator,
            NewCustomer {
                id: Some(id),
                company_name: Some(format!("id {id}")),
                ..NewCustomer::default()
            },
        );
    }
    let orphan = create_customer(
        &emulator,
        NewCustomer {
            company_name: Some("child of -5".into()),
            parent: Some(-5),
            ..NewCustomer::default()
        },
    );
    let (after, bad) = all_customers(&client).await;
    assert_eq!(after, before);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].row_id, orphan.to_string());
    assert!(
        bad[0].reason.contains("`parent` is not an id"),
        "{}",
        bad[0]
    );
}

// A canned upstream, for answers that no NetSuite (and so no emulator) sends.

/// Answers every SuiteQL request with `answer(query)`: a status and a body. Each connection
/// carries one request.
async fn canned(answer: impl Fn(&str) -> (u16, String) + Send + Sync + 'static) -> String {
    let answer = Arc::new(answer);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let Some(body) = read_request(&mut socket).await else {
                    return;
                };
                let q = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["q"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                let (status, text) = answer(&q);
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    text.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(text.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// The body of one HTTP/1.1 request (headers up to the blank line, then `Content-Length` bytes).
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf[end..end + length].to_vec())
}

/// The probe sees a non-OneWorld account with Projects; the read's statistics are empty, so the
/// page query is sent once; `page` answers it.
fn upstream(q: &str, page: &str) -> (u16, String) {
    if q.contains("FROM subsidiary") {
        let refusal = r#"{"title":"Bad Request","status":400,"o:errorDetails":[{"detail":"Invalid search query. Detailed unprocessed description follows. Invalid search type: subsidiary.","o:errorCode":"INVALID_PARAMETER"}]}"#;
        return (400, refusal.to_owned());
    }
    if q.contains("ORDER BY") {
        return (200, page.to_owned());
    }
    if q.starts_with("SELECT MIN(") {
        return (200, r#"{"items":[],"hasMore":false}"#.to_owned());
    }
    (200, r#"{"items":[{"id":"1"}],"hasMore":false}"#.to_owned())
}

fn canned_config(base_url: &str) -> ClientConfig {
    let auth = Auth::Tba(TbaCredentials {
        consumer_key: "ck".into(),
        consumer_secret: "cs".into(),
        token_id: "t".into(),
        token_secret: "ts".into(),
    });
    let mut config = ClientConfig::new(AccountId::parse("1234567").unwrap(), auth);
    config.base_url_override = Some(base_url.parse().unwrap());
    config.retry = RetryPolicy::fast(3);
    config.request_timeout = Duration::from_secs(10);
    config
}

fn canned_client(base_url: &str) -> Client {
    Client::new(canned_config(base_url)).unwrap()
}

/// Good rows around bad ones: every shape a row can take inside a well-formed page.
const MIXED_PAGE: &str = r#"{"links":[],"count":16,"hasMore":false,"items":[
 {"links":[],"id":"11","entityid":"C11","companyname":"<script>alert(1)</script>","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"abc","entityid":"C?","companyname":"not numeric","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"-3","entityid":"C-3","companyname":"negative","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"0","entityid":"C0","companyname":"zero","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"1.5","entityid":"C1.5","companyname":"fraction","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"99999999999999999999","entityid":"Cbig","companyname":"too big","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":{"nested":1},"entityid":"Cobj","companyname":"object id","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"entityid":"Cnone","companyname":"no id","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"12","entityid":["C12"],"companyname":"array entity id","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"13","entityid":"C13","companyname":"maybe inactive","isperson":"F","isinactive":"maybe","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"14","entityid":"C14","companyname":"when","isperson":"F","isinactive":"F","lastmodified":"yesterday"},
 {"links":[],"id":"15","entityid":"C15","companyname":"bad parent","isperson":"F","isinactive":"F","parent":"../16","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":16,"entityid":"C16","companyname":"\u202Eevil\u0000\r\n","isperson":false,"isinactive":true,"parent":"11","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"ID":"17","EntityId":"C17","COMPANYNAME":"upper-case keys","IsPerson":"F","IsInactive":"F","LastModified":"2024-03-10 02:30:00"},
 {"links":[],"id":" 18 ","entityid":"C18","companyname":1234,"isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"},
 {"links":[],"id":"19","entityid":"C19","companyname":null,"isperson":"F","isinactive":"F","lastmodified":"9999-12-31 23:59:59"}
]}"#;

#[tokio::test]
async fn rows_of_every_wrong_shape_are_row_errors_and_the_good_rows_are_read() {
    let url = canned(|q| upstream(q, MIXED_PAGE)).await;
    let client = canned_client(&url);
    let (good, bad) = collect(client.customers(Scope::Account).await.unwrap()).await;

    let names: BTreeMap<i64, Option<String>> = good
        .iter()
        .map(|c| (c.id.0, c.company_name.clone()))
        .collect();
    let expected: BTreeMap<i64, Option<String>> = [
        (11, Some("<script>alert(1)</script>")),
        (16, Some("\u{202E}evil\0\r\n")),
        (17, Some("upper-case keys")),
        (19, None),
    ]
    .into_iter()
    .map(|(id, name)| (id, name.map(str::to_owned)))
    .collect();
    assert_eq!(names, expected);
    let c16 = good.iter().find(|c| c.id.0 == 16).unwrap();
    assert!(c16.is_inactive && !c16.is_person && c16.parent.map(|p| p.0) == Some(11));

    let reasons: Vec<(String, String)> = bad
        .iter()
        .map(|e| (e.row_id.clone(), e.reason.clone()))
        .collect();
    let expect_bad = [
        ("abc", "`id` is not an id"),
        ("-3", "`id` is not an id"),
        ("0", "`id` is not an id"),
        ("1.5", "`id` is not an id"),
        ("99999999999999999999", "`id` is not an id"),
        ("?", "`id` is missing"),
        ("?", "`id` is missing"),
        ("12", "`entityid` is missing"),
        ("13", "`isinactive` is not T or F"),
        ("14", "`lastmodified` is not a datetime"),
        ("15", "`parent` is not an id"),
        (" 18 ", "`id` is not an id"),
    ];
    assert_eq!(reasons.len(), expect_bad.len(), "{reasons:#?}");
    for ((id, reason), (want_id, want_reason)) in reasons.iter().zip(expect_bad) {
        assert_eq!(id, want_id);
        assert!(reason.starts_with(want_reason), "{id}: {reason}");
    }
}

/// A customer row of id `id` (as written) for a canned page.
fn customer_row(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","entityid":"C{id}","companyname":"n","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"}}"#
    )
}

fn page_of(ids: &[&str], has_more: bool) -> String {
    let rows: Vec<String> = ids.iter().map(|id| customer_row(id)).collect();
    format!(r#"{{"items":[{}],"hasMore":{has_more}}}"#, rows.join(","))
}

#[tokio::test]
async fn ids_not_written_the_way_netsuite_writes_them_are_row_errors() {
    // Read leniently, each of these would be taken for record 12 (or another record).
    let odd = [
        " 12", "12 ", "+12", "012", "0012", "1_2", "0x0C", "١٢", "12.0", "1e1",
    ];
    let mut ids: Vec<&str> = odd.to_vec();
    ids.push("13");
    let page: &'static str = Box::leak(page_of(&ids, false).into_boxed_str());
    let url = canned(move |q| upstream(q, page)).await;
    let (good, bad) = collect(canned_client(&url).customers(Scope::Account).await.unwrap()).await;
    let good: Vec<i64> = good.iter().map(|c| c.id.0).collect();
    assert_eq!(good, vec![13]);
    let named: Vec<&str> = bad.iter().map(|e| e.row_id.as_str()).collect();
    assert_eq!(
        named,
        odd.to_vec(),
        "each odd id is a row error naming the row"
    );
    assert!(bad
        .iter()
        .all(|e| e.reason.starts_with("`id` is not an id")));
}

/// A canned customer table whose second page (after id 3) repeats row 3 the first `broken`
/// times it is asked for; the other answers are ids 1-3, then 4-5.
async fn repeating_upstream(broken: usize) -> String {
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    canned(move |q| {
        if q.contains("ORDER BY") && q.contains("c.id > 3") {
            let n = asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let ids: &[&str] = if n < broken { &["3", "4"] } else { &["4", "5"] };
            return (200, page_of(ids, false));
        }
        if q.contains("ORDER BY") {
            return (200, page_of(&["1", "2", "3"], true));
        }
        upstream(q, "")
    })
    .await
}

#[tokio::test]
async fn a_page_that_repeats_a_row_is_asked_for_again_and_no_row_comes_twice() {
    let url = repeating_upstream(1).await;
    let (good, bad) = collect(canned_client(&url).customers(Scope::Account).await.unwrap()).await;
    assert!(bad.is_empty());
    let ids: Vec<i64> = good.iter().map(|c| c.id.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_page_broken_twice_stops_the_read_with_a_clear_error() {
    let url = repeating_upstream(2).await;
    let mut stream = canned_client(&url).customers(Scope::Account).await.unwrap();
    let mut ids = Vec::new();
    let err = loop {
        match stream.next().await.expect("the read ends with an error") {
            Ok(row) => ids.push(row.expect("good rows").id.0),
            Err(err) => break err,
        }
    };
    assert_eq!(
        ids,
        vec![1, 2, 3],
        "the broken page's rows are not passed on"
    );
    assert!(
        err.to_string().contains("broken page of `customer` twice"),
        "{err}"
    );
    // The same check guards a page's order within itself.
    let page: &'static str = Box::leak(page_of(&["5", "4"], false).into_boxed_str());
    let url = canned(move |q| upstream(q, page)).await;
    let stream = canned_client(&url).customers(Scope::Account).await.unwrap();
    let err = collect_error(stream).await;
    assert!(err.to_string().contains("id 4 after 5"), "{err}");
}

/// Pages no row can be read from: each ends the read with a clean error.
const WRONG_PAGES: &[&str] = &[
    "",
    "null",
    "[]",
    "<html><body>Service Unavailable</body></html>",
    r#"{"items":[{"id":"1"}]}"#,
    r#"{"items":"oops","hasMore":false}"#,
    r#"{"items":{"id":"1"},"hasMore":false}"#,
    r#"{"items":[{"id":"1"},"row",2,null,[]],"hasMore":false}"#,
    r#"{"items":[],"hasMore":"false"}"#,
    r#"{"items":[{"id":"1","n":1e999}],"hasMore":false}"#,
    r#"{"items":[{"id":"1"}],"hasMore":false"#,
];

#[tokio::test]
async fn pages_of_the_wrong_shape_end_the_read_with_a_clean_error() {
    for page in WRONG_PAGES {
        let url = canned(move |q| upstream(q, page)).await;
        let client = canned_client(&url);
        let stream = client.customers(Scope::Account).await.unwrap();
        let err = collect_error(stream).await;
        assert!(matches!(err, Error::Decode(_)), "{page:?}: {err:?}");
        assert!(err.to_string().len() < 500, "{page:?}: {err}");
    }
}

#[tokio::test]
async fn a_page_larger_than_asked_for_ends_the_read_with_a_clean_error() {
    let rows: Vec<String> = (1..=1_001)
        .map(|i| format!(r#"{{"id":"{i}","entityid":"C{i}","companyname":"n","isperson":"F","isinactive":"F","lastmodified":"2024-03-10 02:30:00"}}"#))
        .collect();
    let page: &'static str =
        Box::leak(format!(r#"{{"items":[{}],"hasMore":false}}"#, rows.join(",")).into_boxed_str());
    let url = canned(move |q| upstream(q, page)).await;
    let stream = canned_client(&url).customers(Scope::Account).await.unwrap();
    let err = collect_error(stream).await;
    assert!(
        matches!(&err, Error::Decode(m) if m.contains("1001 rows")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_full_page_without_a_readable_id_ends_the_read_instead_of_looping() {
    let url = canned(|q| {
        upstream(
            q,
            r#"{"items":[{"id":"x","entityid":"C","lastmodified":"2024-01-01 00:00:00"}],"hasMore":true}"#,
        )
    })
    .await;
    let client = canned_client(&url);
    let mut stream = client.customers(Scope::Account).await.unwrap();
    let first = stream.next().await.expect("the row").expect("a row result");
    assert!(first.is_err(), "the row is a row error");
    let err = stream.next().await.expect("then the error").unwrap_err();
    assert!(
        err.to_string().contains("no readable id to continue"),
        "{err}"
    );
    assert!(stream.next().await.is_none());
}

/// Datetimes at the ends of chrono's calendar, which no time zone but UTC can place.
const CALENDAR_LIMITS: &str = r#"{"items":[
 {"id":"21","entityid":"C21","companyname":"before","lastmodified":"2024-03-10 02:30:00"},
 {"id":"22","entityid":"C22","companyname":"last second","lastmodified":"+262142-12-31 23:59:59"},
 {"id":"23","entityid":"C23","companyname":"first second","lastmodified":"-262143-01-01 00:00:00"},
 {"id":"24","entityid":"C24","companyname":"after","lastmodified":"2024-11-03 01:30:00"}
],"hasMore":false}"#;

#[tokio::test]
async fn datetimes_at_the_ends_of_the_calendar_neither_panic_nor_cut_the_read_short() {
    // A panic here once ended the reading task, and with it the stream, without an error: the
    // caller saw a complete read that was missing every row from this one on.
    let url = canned(|q| upstream(q, CALENDAR_LIMITS)).await;
    for tz in [
        chrono_tz::America::Los_Angeles,
        chrono_tz::Pacific::Pago_Pago,
        chrono_tz::Pacific::Kiritimati,
    ] {
        let mut config = canned_config(&url);
        config.time_zone = tz;
        let client = Client::new(config).unwrap();
        let (good, bad) = collect(client.customers(Scope::Account).await.unwrap()).await;
        let mut ids: Vec<i64> = good.iter().map(|c| c.id.0).collect();
        ids.extend(bad.iter().map(|e| e.row_id.parse::<i64>().unwrap()));
        ids.sort();
        assert_eq!(ids, [21, 22, 23, 24], "{tz}");
    }
}

#[test]
fn local_to_utc_is_total_at_the_ends_of_the_calendar() {
    use chrono::NaiveDateTime;
    for tz in [
        chrono_tz::UTC,
        chrono_tz::America::Los_Angeles,
        chrono_tz::Pacific::Pago_Pago,
        chrono_tz::Pacific::Kiritimati,
    ] {
        for local in [NaiveDateTime::MIN, NaiveDateTime::MAX] {
            let at = netsuite::decode::local_to_utc(local, tz);
            if tz == chrono_tz::UTC {
                assert_eq!(at.naive_utc(), local);
            }
        }
    }
}
