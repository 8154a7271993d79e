use nsync_core::{rules, FieldKind, OptionName};

fn name(text: &str) -> OptionName {
    OptionName::parse_manual(text).unwrap()
}

#[test]
fn renaming_an_integrated_option_says_to_change_it_in_netsuite() {
    let err =
        rules::rename_by_hand(FieldKind::Integrated, &name("Acme"), &name("Acme Inc")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("renaming \"Acme\" to \"Acme Inc\""),
        "{message}"
    );
    assert!(
        message.contains("change it in NetSuite and click Update"),
        "{message}"
    );
}

#[test]
fn adding_or_deactivating_by_hand_is_refused_on_integrated_fields_only() {
    assert!(rules::add_by_hand(FieldKind::Integrated, &name("New")).is_err());
    assert!(rules::set_active_by_hand(FieldKind::Integrated, &name("Acme"), false).is_err());
    assert!(rules::add_by_hand(FieldKind::Manual, &name("New")).is_ok());
    assert!(rules::set_active_by_hand(FieldKind::Manual, &name("Acme"), false).is_ok());
    assert!(rules::rename_by_hand(FieldKind::Manual, &name("A"), &name("B")).is_ok());
}

#[test]
fn removing_here_is_allowed_on_every_field() {
    assert!(rules::remove_here(FieldKind::Integrated).is_ok());
    assert!(rules::remove_here(FieldKind::Manual).is_ok());
}
