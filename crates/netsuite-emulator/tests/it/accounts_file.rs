//! The accounts file of `netsuite-emulator --accounts-file`: defaults, and errors that name
//! the problem (and, from the binary, the file).

use netsuite_emulator::{parse_accounts_file, DatasetChoice, GeneratorSpec};

#[test]
fn an_accounts_file_gives_each_account_its_data_seed_and_limit_with_defaults_for_the_rest() {
    let text = r#"[
        {"account": "1000001", "customers": 300, "projects": 700, "subsidiaries": 2, "seed": 7, "concurrency": 4},
        {"account": "1000002_sb1"}
    ]"#;
    let accounts = parse_accounts_file(text, 99).expect("parses");
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0].account_id.as_str(), "1000001");
    assert_eq!(accounts[0].concurrency_limit, 4);
    assert_eq!(
        accounts[0].dataset,
        DatasetChoice::Generated(GeneratorSpec {
            customers: 300,
            leads_and_prospects: 0,
            projects: 700,
            subsidiaries: 2,
            seed: 7,
        })
    );
    assert_eq!(accounts[1].account_id.as_str(), "1000002_SB1");
    assert_eq!(accounts[1].concurrency_limit, 5);
    assert_eq!(
        accounts[1].dataset,
        DatasetChoice::Generated(GeneratorSpec {
            customers: 0,
            leads_and_prospects: 0,
            projects: 0,
            subsidiaries: 3,
            seed: 99,
        })
    );
    assert_ne!(
        accounts[0].tba, accounts[1].tba,
        "each account has its own secrets"
    );
}

#[test]
fn a_bad_accounts_file_is_refused_with_an_error_naming_the_problem() {
    let cases = [
        ("not json", "expected"),
        (r#"{"account": "1000001"}"#, "expected a sequence"),
        ("[]", "no accounts"),
        (r#"[{"customers": 3}]"#, "missing field `account`"),
        (
            r#"[{"account": "1000001", "custmers": 3}]"#,
            "unknown field `custmers`",
        ),
        (
            r#"[{"account": "1000001", "customers": "300"}]"#,
            "invalid type: string \"300\"",
        ),
        (
            r#"[{"account": "1000001"}, {"account": "bad id!"}]"#,
            "entry 2: account id \"bad id!\"",
        ),
        (
            r#"[{"account": "1000001_SB1"}, {"account": "1000001-sb1"}]"#,
            "entry 2: account 1000001_SB1 is already entry 1",
        ),
        (
            r#"[{"account": "1000001", "concurrency": 0}]"#,
            "entry 1: account 1000001 has concurrency 0",
        ),
    ];
    for (text, expected) in cases {
        let error = parse_accounts_file(text, 1).expect_err(text).to_string();
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn the_binary_names_the_accounts_file_it_refuses_and_refuses_single_account_flags_beside_it() {
    let file = std::env::temp_dir().join(format!("accounts-{}.json", std::process::id()));
    std::fs::write(&file, r#"[{"account": "1000001", "custmers": 3}]"#).expect("write");
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_netsuite-emulator"))
            .arg("--accounts-file")
            .arg(&file)
            .args(extra)
            .output()
            .expect("runs")
    };
    let refused = run(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("unknown field `custmers`"), "{stderr}");
    let conflict = run(&["--customers", "5"]);
    let stderr = String::from_utf8_lossy(&conflict.stderr);
    assert!(!conflict.status.success());
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    let _ = std::fs::remove_file(&file);
}
