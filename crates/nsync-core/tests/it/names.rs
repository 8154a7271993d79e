use nsync_core::{fold_for_search, person_display_name, Error, NameRule, OptionName, UpstreamKind};

#[test]
fn customer_names_allow_83_characters_counted_as_characters() {
    let name = "é".repeat(83);
    assert!(OptionName::parse(UpstreamKind::Customer, &name, "customer 1").is_ok());
    let err = OptionName::parse(UpstreamKind::Customer, &"é".repeat(84), "customer 7").unwrap_err();
    assert_eq!(
        err,
        Error::InvalidName {
            record: "customer 7".into(),
            rule: NameRule::TooLong { max: 83, len: 84 }
        }
    );
    assert_eq!(
        err.to_string(),
        "customer 7: the name is 84 characters long; at most 83 are allowed"
    );
}

#[test]
fn project_names_allow_256_characters() {
    assert!(OptionName::parse(UpstreamKind::Project, &"x".repeat(256), "project 1").is_ok());
    assert!(OptionName::parse(UpstreamKind::Project, &"x".repeat(257), "project 1").is_err());
}

#[test]
fn empty_and_control_character_names_say_which_rule_broke() {
    let empty = OptionName::parse(UpstreamKind::Project, "   ", "project 9").unwrap_err();
    assert_eq!(empty.to_string(), "project 9: the name is empty");
    let tab = OptionName::parse(UpstreamKind::Customer, "Acme\tCorp", "customer 3").unwrap_err();
    assert_eq!(
        tab.to_string(),
        "customer 3: the name contains a control character"
    );
}

#[test]
fn a_person_is_named_by_first_middle_and_last_name() {
    assert_eq!(
        person_display_name(Some("Ada"), Some("King"), Some("Lovelace")),
        "Ada King Lovelace"
    );
    assert_eq!(
        person_display_name(Some("Ada"), None, Some(" Lovelace ")),
        "Ada Lovelace"
    );
    assert_eq!(
        person_display_name(None, Some(""), Some("Lovelace")),
        "Lovelace"
    );
}

#[test]
fn search_keys_fold_case_and_accents() {
    assert_eq!(fold_for_search("Café ÜNÏON Straße"), "cafe union straße");
    assert_eq!(fold_for_search("ÅNGSTRÖM"), "angstrom");
    assert_eq!(
        fold_for_search("ACME Corp. (West) #42"),
        "acme corp. (west) #42"
    );
}
