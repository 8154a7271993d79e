//! Arbitrary query text through the emulator's SuiteQL: a page or a clean `SuiteQlError`, never a
//! panic. Queries run on two small accounts, OneWorld with Projects and with data, and neither
//! and empty, so that translation (which depends on the schema) and running are both reached.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use netsuite_emulator_db::{AccountData, Dataset, GeneratorSpec, SchemaOptions, SuiteQlError};
use serde_json::Value;

static ACCOUNTS: LazyLock<[AccountData; 2]> = LazyLock::new(|| {
    let full = AccountData::new(SchemaOptions::default()).expect("account opens");
    // Small enough that a cross join of every table stays quick.
    let spec = GeneratorSpec {
        customers: 6,
        leads_and_prospects: 3,
        projects: 10,
        subsidiaries: 4,
        seed: 3,
    };
    full.load(&Dataset::generate(&spec)).expect("data loads");
    let bare = AccountData::new(SchemaOptions {
        one_world: false,
        projects_enabled: false,
        ..SchemaOptions::default()
    })
    .expect("account opens");
    [full, bare]
});

/// More placeholders than this are not worth binding.
const MAX_PARAMS: usize = 64;

fuzz_target!(|data: &[u8]| {
    // Queries arrive as a JSON string, so they are always UTF-8.
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    for account in ACCOUNTS.iter() {
        // Small pages, so that the count query runs too.
        match account.suiteql(q, &[], 0, 2) {
            Err(SuiteQlError::ParamCount { expected, .. }) if expected <= MAX_PARAMS => {
                let params = vec![Value::from("1"); expected];
                let _ = account.suiteql(q, &params, 2, 2);
            }
            _ => {}
        }
    }
});
