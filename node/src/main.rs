//! Solvent node: Aura block production, GRANDPA finality, ParityDB storage.
#![warn(missing_docs)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;
mod staging;

fn main() {
	// Errors end the process with a one-line reason and exit code 1 (no backtrace).
	if let Err(e) = command::run() {
		eprintln!("Error: {e}");
		std::process::exit(1);
	}
}
