//! Account ids: what parses, what is refused, and the realm/host forms.

use netsuite::AccountId;

#[test]
fn production_sandbox_and_test_drive_ids_parse() {
    for (input, realm, host) in [
        ("1234567", "1234567", "1234567"),
        ("1234567_SB1", "1234567_SB1", "1234567-sb1"),
        ("1234567_sb1", "1234567_SB1", "1234567-sb1"),
        ("1234567-sb2", "1234567_SB2", "1234567-sb2"),
        ("TSTDRV1234567", "TSTDRV1234567", "tstdrv1234567"),
        ("1234567_RP", "1234567_RP", "1234567-rp"),
    ] {
        let id = AccountId::parse(input).unwrap();
        assert_eq!(id.realm(), realm, "{input}");
        assert_eq!(id.host(), host, "{input}");
    }
}

#[test]
fn the_production_url_is_built_only_from_the_account() {
    let id = AccountId::parse("1234567_SB1").unwrap();
    assert_eq!(
        id.base_url().as_str(),
        "https://1234567-sb1.suitetalk.api.netsuite.com/"
    );
}

#[test]
fn anything_that_could_reach_another_host_is_refused() {
    for input in [
        "",
        "evil.com",
        "1234567.evil.com",
        "1234567/../x",
        "user@1234567",
        "1234567:443",
        "1234 567",
        " 1234567",
        "1234567\n",
        "１２３４５６７",
        "1234567_ЅB1",
        "abc",
        "1234567_",
        "1234567_SB1_SB2",
        "12a34",
        "1234567_SANDBOX9",
        "%31234567",
        "1234567#x",
        "1234567?x",
        // Another host, a path, credentials or a port, as the issue lists them.
        "1234567.evil.example",
        "1234567.",
        "../",
        "../1234567",
        "1234567/..",
        "1234567\\..\\x",
        "@",
        "1234567@evil.example",
        ":",
        "evil.example:1234567",
        "1234567 ",
        "1234567\t",
        "1234567 SB1",
        // Look-alikes and invisible characters: dots that IDNA maps to `.`, other digits,
        // zero-width and bidi controls.
        "1234567\u{3002}evil",
        "1234567\u{FF0E}evil",
        "1234567\u{FF61}evil",
        "\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}",
        "1234567_SB\u{00B9}",
        "1234567\u{200B}",
        "\u{202E}1234567",
        "1234567\u{2215}x",
    ] {
        let err = AccountId::parse(input).unwrap_err();
        assert!(
            err.to_string().contains("not a NetSuite account id"),
            "{input}: {err}"
        );
        // The refused input is echoed escaped: no control, bidi or zero-width character
        // reaches a log line or a page through the message.
        assert!(
            err.input.chars().all(|c| c.is_ascii_graphic() || c == ' '),
            "{:?}",
            err.input
        );
    }
}

#[test]
fn an_overlong_id_is_refused() {
    assert!(AccountId::parse(&"1".repeat(41)).is_err());
}

#[test]
fn account_ids_round_trip_through_serde() {
    let id = AccountId::parse("1234567_sb1").unwrap();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"1234567_SB1\"");
    assert_eq!(serde_json::from_str::<AccountId>(&json).unwrap(), id);
    assert!(serde_json::from_str::<AccountId>("\"a.b\"").is_err());
}
