//! Arbitrary bytes as the body of an answer to a SuiteQL page request: the client refuses the page
//! or reads it, each row decoded or reported on its own, and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = netsuite::fuzzing::suiteql_response(body);
});
