//! Command-line interface.

use sc_cli::RunCmd;

/// The Solvent node.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options of the running node.
	#[clap(flatten)]
	pub run: RunCmd,

	/// GRANDPA votes for a block at least this many blocks behind the best block (and at most
	/// three quarters of the way into the unfinalized chain). polkadot-sdk's default is 2; with
	/// Aura's single author per 3-second slot forks are rare, and 1 finalizes a block sooner.
	/// Each validator sets its own; 0 votes for the best block itself.
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=16))]
	pub grandpa_vote_lag: u32,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management utilities.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (deprecated upstream; zombienet uses it).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export a chain specification (`--chain dev|local|<file>`), optionally `--raw`.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Sub-commands concerned with benchmarking (build with `--features runtime-benchmarks`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Write the chain spec of a staging/production network (no dev key) from a JSON config:
	/// `solvent-node staging-spec --config docs/staging.example.json [--raw] > spec.json`.
	StagingSpec(crate::staging::StagingSpecCmd),

	/// Db meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
}
