//! Seeded random inputs through the harness, without coverage instrumentation: a quick way to
//! exercise the runtime on any stable toolchain and to count executions.
//!
//! `fuzz-random [--runs N] [--seed S] [--len BYTES] [--out DIR]`: runs N inputs of up to BYTES
//! bytes (default 10,000 inputs of 2,048 bytes, seed 1). A panicking input is written to
//! `DIR/crash-<seed>-<run>` (default `fuzz/artifacts/random`) and the program exits with 1
//! after the remaining runs. Prints executions per second and dispatch outcomes per call.

use std::{panic, time::Instant};

fn arg(args: &[String], name: &str, default: u64) -> u64 {
	match args.iter().position(|a| a == name) {
		None => default,
		Some(i) => match args.get(i + 1).and_then(|v| v.parse().ok()) {
			Some(v) => v,
			None => {
				eprintln!("fuzz-random: {name} needs a number");
				std::process::exit(2);
			}
		},
	}
}

/// xorshift64*: deterministic bytes from a seed.
struct Rng(u64);
impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
	}
}

fn main() {
	let args: Vec<String> = std::env::args().collect();
	if args.iter().any(|a| a == "--help" || a == "-h") {
		println!("usage: fuzz-random [--runs N] [--seed S] [--len BYTES] [--out DIR]");
		return;
	}
	let runs = arg(&args, "--runs", 10_000);
	let seed = arg(&args, "--seed", 1).max(1);
	let len = arg(&args, "--len", 2_048).max(1) as usize;
	let out = args
		.iter()
		.position(|a| a == "--out")
		.and_then(|i| args.get(i + 1).cloned())
		.unwrap_or_else(|| "fuzz/artifacts/random".into());

	let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
	let mut total = solvent_fuzz::Stats::default();
	let mut crashes = 0u64;
	panic::set_hook(Box::new(|info| eprintln!("panic: {info}")));
	let started = Instant::now();
	for run in 0..runs {
		let n = 1 + (rng.next() as usize) % len;
		let data: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
		match panic::catch_unwind(|| solvent_fuzz::run(&data)) {
			Ok(stats) => total.absorb(stats),
			Err(_) => {
				crashes += 1;
				let _ = std::fs::create_dir_all(&out);
				let path = format!("{out}/crash-{seed}-{run}");
				let _ = std::fs::write(&path, &data);
				eprintln!("fuzz-random: run {run} panicked; input written to {path}");
			}
		}
	}
	let secs = started.elapsed().as_secs_f64();
	println!(
		"fuzz-random: {runs} executions in {secs:.1} s ({:.0}/s), seed {seed}, up to {len} bytes",
		runs as f64 / secs
	);
	println!(
		"  {} operations, {} blocks checked, {} calls skipped (block full), {} unsigned batches rejected, {crashes} crashes",
		total.ops, total.blocks, total.skipped_full, total.rejected_unsigned
	);
	println!("  {:<58} {:>9} {:>9}", "call", "ok", "failed");
	for (call, (ok, failed)) in &total.calls {
		println!("  {call:<58} {ok:>9} {failed:>9}");
	}
	println!("  {:<58} {:>9}", "error", "count");
	for (error, n) in &total.errors {
		println!("  {error:<58} {n:>9}");
	}
	if crashes > 0 {
		std::process::exit(1);
	}
}
