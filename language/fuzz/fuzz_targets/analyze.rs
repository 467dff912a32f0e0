//! Any bytes, as (lossy) UTF-8 source: parsing and checking never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let _ = gloam_language::analyze(&source);
});
