//! Any bytes as the records of a Fetch response (being written with the record module).
#![no_main]
use libfuzzer_sys::fuzz_target;
fuzz_target!(|_data: &[u8]| {});
