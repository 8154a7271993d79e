use nsync_core::{
    AccountId, DeactivationGuard, Email, IntegrationSettings, Level, LocalTime, RecordId, Role,
    TimeZone,
};

#[test]
fn record_ids_are_positive_integers() {
    assert_eq!("42".parse::<RecordId>().unwrap().get(), 42);
    assert!("0".parse::<RecordId>().is_err());
    assert!("-3".parse::<RecordId>().is_err());
    assert!("4x".parse::<RecordId>().is_err());
    assert!(serde_json::from_str::<RecordId>("0").is_err());
}

#[test]
fn account_ids_are_canonicalised_to_upper_case_with_underscore() {
    assert_eq!(
        AccountId::parse("1234567_sb1").unwrap().as_str(),
        "1234567_SB1"
    );
    assert_eq!(
        AccountId::parse("1234567-sb1").unwrap().as_str(),
        "1234567_SB1"
    );
    assert!(AccountId::parse("").is_err());
    assert!(AccountId::parse("evil.com/x").is_err());
    assert!(AccountId::parse("_123").is_err());
}

#[test]
fn local_times_are_hh_mm() {
    assert_eq!(LocalTime::parse("6:05").unwrap().to_string(), "06:05");
    assert!(LocalTime::parse("24:00").is_err());
    assert!(LocalTime::parse("12:60").is_err());
    assert!(LocalTime::parse("noon").is_err());
}

#[test]
fn time_zones_must_be_known_iana_names() {
    assert_eq!(
        TimeZone::parse("Europe/Paris").unwrap().as_str(),
        "Europe/Paris"
    );
    assert!(TimeZone::parse("Mars/Olympus").is_err());
}

#[test]
fn settings_default_to_the_products_choices() {
    let s = IntegrationSettings::default();
    assert!(!s.show_project_number);
    assert!(!s.auto_update.enabled);
    assert_eq!(s.auto_update.weekdays, nsync_core::Weekdays::MONDAY);
    assert_eq!(s.deepest_level, Level::new(3).unwrap());
    assert!(!s.import_new_projects);
    let parsed: IntegrationSettings = serde_json::from_str("{}").unwrap();
    assert_eq!(parsed, s);
}

#[test]
fn levels_go_from_one_to_five() {
    assert!(Level::new(0).is_err());
    assert!(Level::new(6).is_err());
    assert_eq!(Level::new(5).unwrap().child(), None);
}

#[test]
fn the_guard_allows_the_larger_of_25_and_ten_percent() {
    let guard = DeactivationGuard::default();
    assert_eq!(guard.threshold(100), 25);
    assert_eq!(guard.threshold(1000), 100);
    // Only an update past the threshold waits for a confirmation.
    assert!(!guard.holds(nsync_core::RunKind::Update, 100, 1000));
    assert!(guard.holds(nsync_core::RunKind::Update, 101, 1000));
    assert!(!guard.holds(nsync_core::RunKind::Import, 5000, 1000));
}

#[test]
fn emails_are_lower_cased_and_roles_parse() {
    assert_eq!(
        Email::parse(" Ada@Example.COM ").unwrap().as_str(),
        "ada@example.com"
    );
    assert!(Email::parse("not-an-email").is_err());
    assert_eq!(Role::parse("admin").unwrap(), Role::Admin);
    assert!(Role::parse("root").is_err());
}
