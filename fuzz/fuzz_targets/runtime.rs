//! libFuzzer entry point: `cargo fuzz run runtime --features libfuzzer` (see `scripts/fuzz.sh`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
	let _ = solvent_fuzz::run(data);
});
