//! NetSuite request slots shared by processes: never more held than the limit, freed by
//! release or when the hold runs out, a late release never frees another holder's slot.

use nsync_store::Store;

use crate::contract;

contract!(
    no_more_slots_are_held_than_the_limit_and_a_released_one_is_taken_again,
    a_slot_whose_hold_ran_out_is_taken_over_and_its_old_holder_cannot_free_it,
    accounts_have_their_own_slots_and_a_raised_limit_adds_slots,
);

async fn no_more_slots_are_held_than_the_limit_and_a_released_one_is_taken_again(store: Store) {
    store.add_request_slots("123", 3).await.unwrap();
    let mut held = Vec::new();
    for i in 0..3 {
        let slot = store
            .take_request_slot("123", 3, &format!("h{i}"), 1_000, 31_000)
            .await
            .unwrap()
            .expect("a free slot");
        held.push(slot);
    }
    let mut numbers: Vec<i32> = held.iter().map(|s| s.slot).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [0, 1, 2]);
    assert_eq!(
        store
            .take_request_slot("123", 3, "h3", 2_000, 32_000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.held_request_slots("123", 2_000).await.unwrap(), 3);
    store.release_request_slot(&held[1]).await.unwrap();
    let again = store
        .take_request_slot("123", 3, "h3", 2_000, 32_000)
        .await
        .unwrap()
        .expect("the released slot");
    assert_eq!(again.slot, held[1].slot);
    // Renewal keeps a slot past its first hold.
    assert!(store.renew_request_slot(&held[0], 90_000).await.unwrap());
    assert_eq!(store.held_request_slots("123", 60_000).await.unwrap(), 1);
}

async fn a_slot_whose_hold_ran_out_is_taken_over_and_its_old_holder_cannot_free_it(store: Store) {
    store.add_request_slots("123", 1).await.unwrap();
    let dead = store
        .take_request_slot("123", 1, "dead", 1_000, 5_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .take_request_slot("123", 1, "live", 4_999, 9_000)
            .await
            .unwrap(),
        None
    );
    let live = store
        .take_request_slot("123", 1, "live", 5_000, 9_000)
        .await
        .unwrap()
        .expect("the slot whose hold ran out");
    // The old holder wakes up: its renewal and release do nothing to the new holder's slot.
    assert!(!store.renew_request_slot(&dead, 20_000).await.unwrap());
    store.release_request_slot(&dead).await.unwrap();
    assert_eq!(store.held_request_slots("123", 6_000).await.unwrap(), 1);
    store.release_request_slot(&live).await.unwrap();
    assert_eq!(store.held_request_slots("123", 6_000).await.unwrap(), 0);
}

async fn accounts_have_their_own_slots_and_a_raised_limit_adds_slots(store: Store) {
    store.add_request_slots("123", 1).await.unwrap();
    store.add_request_slots("456", 1).await.unwrap();
    assert!(store
        .take_request_slot("123", 1, "a", 0, 10_000)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .take_request_slot("456", 1, "b", 0, 10_000)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .take_request_slot("123", 1, "c", 0, 10_000)
        .await
        .unwrap()
        .is_none());
    // Asked for twice, the rows are made once.
    store.add_request_slots("123", 2).await.unwrap();
    store.add_request_slots("123", 2).await.unwrap();
    assert!(store
        .take_request_slot("123", 2, "c", 0, 10_000)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .take_request_slot("123", 2, "d", 0, 10_000)
        .await
        .unwrap()
        .is_none());
    // A lower limit leaves the slots above it unused.
    assert!(store
        .take_request_slot("123", 1, "e", 0, 10_000)
        .await
        .unwrap()
        .is_none());
}
