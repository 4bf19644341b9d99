//! The fuzz harness in the test suite: every input in `fuzz/regressions/` (one per finding,
//! named after it) and 200 seeded random inputs must run without breaking an invariant.

#[test]
fn regressions_and_seeded_inputs_keep_every_invariant() {
	let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
	let mut files: Vec<_> = std::fs::read_dir(&dir)
		.map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
		.unwrap_or_default();
	files.retain(|p| p.extension().map_or(true, |e| e != "md"));
	files.sort();
	for path in &files {
		let data = std::fs::read(path).expect("regression input readable");
		let stats = solvent_fuzz::run(&data);
		println!("{}: {} ops, {} blocks", path.display(), stats.ops, stats.blocks);
	}

	let mut state = 0x5EED_u64;
	let mut total = solvent_fuzz::Stats::default();
	for _ in 0..200 {
		let mut next = || {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			state
		};
		let len = 1 + next() as usize % 2_048;
		let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
		total.absorb(solvent_fuzz::run(&data));
	}
	let ok: u64 = total.calls.values().map(|c| c.0).sum();
	println!(
		"200 seeded inputs: {} ops, {} blocks, {ok} successful calls",
		total.ops, total.blocks
	);
	// The generator reaches the product: orders rest and trade, deposits land.
	assert!(total.calls.keys().any(|k| k.contains("place_order")), "orders are placed");
	assert!(ok > 0, "some calls succeed");
	assert!(total.blocks >= 200, "every input finalizes at least one block");
}
