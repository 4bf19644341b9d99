//! `solvent-loadgen`: a load generator for Solvent that measures what traders feel.
//!
//! It pre-funds N accounts, pre-signs M extrinsics of one workload, submits them to one or
//! more nodes at a target rate, and reports: transactions included per second (from block
//! contents and block timestamps), p50/p95/p99 latency from submission to inclusion (first
//! best block containing it) and to finality, and block fullness (share of the normal-class
//! weight limit used).
//!
//! Built on `subxt` with static types generated from the runtime metadata checked in at
//! `tools/metadata/solvent.scale` (`scripts/update-metadata.sh` regenerates it): calls,
//! storage reads, constants and events are typed, and a call, storage entry or event whose
//! shape differs from the node's metadata is an error. Signing is native (sr25519 in Rust):
//! 10,000+ extrinsics sign in about a second, so the offered load is not capped by the client.

mod chain;
mod config;
mod events;
mod liquidation;
mod workload;

use clap::Parser;

/// Static interface generated from the runtime metadata.
#[subxt::subxt(runtime_metadata_path = "../metadata/solvent.scale")]
pub mod solvent {}

/// Errors, each a one-line message.
pub type Error = String;

fn main() {
	let cmd = workload::LoadGenCmd::parse();
	if let Err(e) = cmd.run() {
		eprintln!("Error: {e}");
		std::process::exit(1);
	}
}
