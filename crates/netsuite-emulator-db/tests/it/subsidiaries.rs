//! Subsidiary writes: made inactive, deleted when unused (strict) or anyway (raw), so a test
//! can show an integration whose subsidiary is gone.

use crate::{at, rows, text};
use netsuite_emulator_db::{Mode, Mutation, MutationError};

#[test]
fn a_subsidiary_can_be_made_inactive_and_an_unused_one_deleted() {
    let db = crate::demo();
    let when = at(2026, 1, 2, 3, 4, 5);
    db.apply(
        Mutation::SetSubsidiaryInactive {
            subsidiary: 2,
            inactive: true,
        },
        when,
        Mode::Strict,
    )
    .expect("inactive");
    let row = &rows(
        &db,
        "SELECT isinactive, TO_CHAR(lastmodifieddate, 'YYYY') AS y FROM subsidiary WHERE id = 2",
    )[0];
    assert_eq!((text(row, "isinactive"), text(row, "y")), ("T", "2026"));
    // The demo's last subsidiary is an elimination subsidiary: nothing points at it.
    db.apply(
        Mutation::DeleteSubsidiary { subsidiary: 5 },
        when,
        Mode::Strict,
    )
    .expect("delete unused");
    assert!(rows(&db, "SELECT id FROM subsidiary WHERE id = 5").is_empty());
}

#[test]
fn deleting_a_subsidiary_in_use_is_refused_in_strict_mode_and_done_in_raw_mode() {
    let db = crate::demo();
    let when = at(2026, 1, 2, 3, 4, 5);
    let delete = Mutation::DeleteSubsidiary { subsidiary: 2 };
    assert_eq!(
        db.apply(delete.clone(), when, Mode::Strict),
        Err(MutationError::HasDependents)
    );
    db.apply(delete.clone(), when, Mode::Raw)
        .expect("raw delete");
    assert!(rows(&db, "SELECT id FROM subsidiary WHERE id = 2").is_empty());
    assert_eq!(
        db.apply(delete, when, Mode::Raw),
        Err(MutationError::NotFound)
    );
}
