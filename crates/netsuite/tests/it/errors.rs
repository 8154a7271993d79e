//! Classification of NetSuite's error bodies into the typed error, and what is retried.

use netsuite::error::classify;
use netsuite::Error;

const LOGIN: &str = r#"{"type":"https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2","title":"Unauthorized","status":401,"o:errorDetails":[{"detail":"Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.","o:errorCode":"INVALID_LOGIN"}]}"#;
const CONCURRENCY: &str = r#"{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html","title":"Bad Request","status":429,"o:errorCode":"USER_ERROR","o:errorDetails":[{"detail":"Concurrent request limit exceeded. Request blocked.","o:errorCode":"CONCURRENCY_LIMIT_EXCEEDED"}]}"#;
const QUERY: &str = r#"{"type":"https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1","title":"Bad Request","status":400,"o:errorDetails":[{"detail":"Invalid search query. Detailed unprocessed description follows. Search error occurred: Unknown identifier 'subsidiary'. Available identifiers are: {transaction=transaction}.","o:errorQueryParam":"q","o:errorCode":"INVALID_PARAMETER"}]}"#;
const SERVER: &str = r#"{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html","title":"Internal Server Error","status":500,"o:errorDetails":[{"detail":"An unexpected error occurred. Error ID: jrgbpyylphhishmmlxyt","o:errorCode":"UNEXPECTED_ERROR"}]}"#;
const NOT_FOUND: &str = r#"{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html","title":"Not Found","status":404,"o:errorDetails":[{"detail":"Record does not exist.","o:errorCode":"NONEXISTENT_ID"}]}"#;

#[test]
fn invalid_login_points_at_the_login_audit_trail_and_names_the_reason() {
    let www = r#"OAuth realm="9910981_SB1", error="token_rejected", error_description="Invalid login attempt.""#;
    let err = classify(401, LOGIN, Some(www));
    assert!(matches!(err, Error::InvalidLogin { .. }));
    let text = err.to_string();
    assert!(text.contains("INVALID_LOGIN, token_rejected"), "{text}");
    assert!(
        text.contains("Setup > Users/Roles > User Management > View Login Audit Trail"),
        "{text}"
    );
    assert!(!err.is_retryable());
}

#[test]
fn concurrency_limit_is_rate_limited_and_retried() {
    let err = classify(429, CONCURRENCY, None);
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("Integration Governance"));
}

#[test]
fn a_bad_query_keeps_netsuites_own_detail_and_is_not_retried() {
    let err = classify(400, QUERY, None);
    assert!(
        matches!(&err, Error::InvalidQuery { detail } if detail.contains("Unknown identifier 'subsidiary'"))
    );
    assert!(!err.is_retryable());
}

#[test]
fn server_errors_are_retried() {
    let err = classify(500, SERVER, None);
    assert!(matches!(err, Error::Server { status: 500, .. }));
    assert!(err.is_retryable());
    assert!(classify(503, "<html>down</html>", None).is_retryable());
}

#[test]
fn other_client_errors_are_never_retried() {
    assert!(matches!(
        classify(404, NOT_FOUND, None),
        Error::NotFound { .. }
    ));
    let forbidden = classify(
        403,
        r#"{"o:errorDetails":[{"detail":"no","o:errorCode":"INSUFFICIENT_PERMISSION"}]}"#,
        None,
    );
    assert!(matches!(forbidden, Error::InsufficientPermission { .. }));
    let other = classify(400, r#"{"error":"invalid_grant"}"#, None);
    assert!(
        matches!(other, Error::Rejected { status: 400, .. }),
        "{other:?}"
    );
    for e in [classify(404, NOT_FOUND, None), forbidden, other] {
        assert!(!e.is_retryable(), "{e:?}");
    }
}

#[test]
fn an_unreadable_error_body_is_bounded_in_the_message() {
    let body = "x".repeat(100_000);
    let err = classify(502, &body, None);
    assert!(err.to_string().len() < 3_000);
}
