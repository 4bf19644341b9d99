//! `solvent-node staging-spec --config <file.json>`: the chain spec of a staging (or
//! production) network with no dev key: validators' session keys, feeders and initial balances
//! from a JSON config; collateral assets owned by the keyless governance account (only a
//! referendum can mint or freeze); no Sudo; SS58 prefix [`STAGING_SS58_PREFIX`]; realistic
//! governance tracks. The config's format is `docs/staging.example.json`.

use crate::chain_spec::ChainSpec;
use sc_service::{ChainType, Properties};
use serde::Deserialize;
use solvent_runtime::{
	genesis_config_presets::{staging_genesis, StagingGenesis},
	AccountId, Balance, SessionKeys, UNIT,
};
use sp_core::{
	crypto::{Ss58Codec, UncheckedFrom},
	ed25519, sr25519,
};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use std::{collections::BTreeSet, path::PathBuf};

/// SS58 address prefix of staging/production chains (7006: unassigned in the
/// `ss58-registry` 1.51 list; to be registered before a public launch). Dev and local chains
/// keep the generic 42.
pub const STAGING_SS58_PREFIX: u16 = 7006;

/// Fewest feeders: the oracle's quorum on these chains (3).
const MIN_FEEDERS: usize = 3;

/// Write the chain spec of a staging network, from a JSON config, to stdout.
#[derive(Debug, clap::Parser)]
pub struct StagingSpecCmd {
	/// The config (JSON): name, id, boot nodes, validators with session keys, feeders and
	/// balances. See `docs/staging.example.json`.
	#[arg(long)]
	pub config: PathBuf,

	/// Write the raw form (genesis storage) instead of the runtime's genesis patch.
	#[arg(long)]
	pub raw: bool,

	/// A test network: allow a node built with the `fast-runtime` feature (its runtime, which
	/// the spec embeds, passes referenda in minutes), fewer than `MinValidators` (4)
	/// validators and as few feeders as the quorum (3). A real network's spec must come from
	/// a production build (`cargo build --release -p solvent-node`) without this flag.
	#[arg(long)]
	pub test_network: bool,
}

/// The config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StagingConfig {
	/// Chain name, e.g. "Solvent Staging".
	pub name: String,
	/// Chain id, e.g. "solvent_staging" (the database directory's name).
	pub id: String,
	/// libp2p protocol id (default: none, the chain id's).
	#[serde(default)]
	pub protocol_id: Option<String>,
	/// Boot nodes' multiaddresses with `/p2p/<peer id>`.
	#[serde(default)]
	pub boot_nodes: Vec<String>,
	/// The genesis validators.
	pub validators: Vec<ValidatorConfig>,
	/// The oracle's genesis feeders (SS58 accounts), at least 3.
	pub feeders: Vec<String>,
	/// Initial SLV balances (the voters of the first referenda, the validators' fees).
	pub balances: Vec<BalanceConfig>,
}

/// A genesis validator: its account and its session keys (as `author_rotateKeys` prints them
/// split, or as SS58 addresses).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidatorConfig {
	/// The validator's account (SS58).
	pub account: String,
	/// Its Aura key: sr25519 public key, `0x` + 64 hex digits or SS58.
	pub aura: String,
	/// Its GRANDPA key: ed25519 public key, `0x` + 64 hex digits or SS58.
	pub grandpa: String,
}

/// An initial balance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BalanceConfig {
	/// The account (SS58).
	pub account: String,
	/// Whole SLV (1 SLV = 10^12 planck).
	pub slv: u64,
}

fn public32(what: &str, s: &str) -> Result<[u8; 32], String> {
	if let Some(hex) = s.strip_prefix("0x") {
		let bytes = hex::decode(hex).map_err(|e| format!("{what}: invalid hex '{s}': {e}"))?;
		return bytes
			.try_into()
			.map_err(|_| format!("{what}: '{s}' is not 32 bytes (64 hex digits)"));
	}
	sr25519::Public::from_ss58check_with_version(s)
		.map(|(p, _)| p.0)
		.map_err(|e| format!("{what}: invalid SS58 address '{s}': {e:?}"))
}

/// Every public key of the dev keyrings (sr25519 and ed25519: Alice..Ferdie, One, Two and
/// their stash keys).
pub fn dev_public_keys() -> BTreeSet<[u8; 32]> {
	Sr25519Keyring::iter()
		.map(|k| k.public().0)
		.chain(Ed25519Keyring::iter().map(|k| k.public().0))
		.collect()
}

impl StagingConfig {
	/// What a real network needs beyond a valid genesis: at least `MinValidators` (4)
	/// validators, so that one can be down (GRANDPA finalizes with more than two thirds) and
	/// governance can remove one; and two feeders more than the quorum, so that one feeder
	/// down does not make every price unavailable.
	fn check_real_network(&self) -> Result<(), String> {
		let min_validators = solvent_runtime::configs::validators::MinValidators::get() as usize;
		if self.validators.len() < min_validators {
			return Err(format!(
				"validators: {} given, at least {min_validators} are needed on a real network \
				 (--test-network allows fewer)",
				self.validators.len()
			));
		}
		if self.feeders.len() < MIN_FEEDERS + 2 {
			return Err(format!(
				"feeders: {} given, at least {} (the quorum, {MIN_FEEDERS}, plus two) are needed \
				 on a real network (--test-network allows {MIN_FEEDERS})",
				self.feeders.len(),
				MIN_FEEDERS + 2
			));
		}
		Ok(())
	}

	/// The runtime's genesis input, refusing dev keys, duplicates and too few feeders.
	pub fn genesis(&self) -> Result<StagingGenesis, String> {
		let dev = dev_public_keys();
		let no_dev = |what: &str, key: &[u8; 32]| {
			if dev.contains(key) {
				Err(format!("{what} is a dev key (//Alice..//Ferdie): refused on a staging chain"))
			} else {
				Ok(())
			}
		};
		if self.validators.is_empty() {
			return Err("validators: at least one is needed".into());
		}
		let mut validators = Vec::new();
		let mut seen = BTreeSet::new();
		for (i, v) in self.validators.iter().enumerate() {
			let who = public32(&format!("validators[{i}].account"), &v.account)?;
			let aura = public32(&format!("validators[{i}].aura"), &v.aura)?;
			let grandpa = public32(&format!("validators[{i}].grandpa"), &v.grandpa)?;
			no_dev(&format!("validators[{i}].account"), &who)?;
			no_dev(&format!("validators[{i}].aura"), &aura)?;
			no_dev(&format!("validators[{i}].grandpa"), &grandpa)?;
			for (what, k) in [("account", who), ("aura", aura), ("grandpa", grandpa)] {
				if !seen.insert((what, k)) {
					return Err(format!("validators[{i}].{what}: duplicate"));
				}
			}
			let keys = SessionKeys {
				aura: sr25519::Public::unchecked_from(aura).into(),
				grandpa: ed25519::Public::unchecked_from(grandpa).into(),
			};
			validators.push((AccountId::new(who), keys));
		}
		let mut feeders = Vec::new();
		for (i, f) in self.feeders.iter().enumerate() {
			let who = public32(&format!("feeders[{i}]"), f)?;
			no_dev(&format!("feeders[{i}]"), &who)?;
			let who = AccountId::new(who);
			if feeders.contains(&who) {
				return Err(format!("feeders[{i}]: duplicate"));
			}
			feeders.push(who);
		}
		if feeders.len() < MIN_FEEDERS {
			return Err(format!(
				"feeders: {} given, at least {MIN_FEEDERS} (the oracle's quorum) are needed",
				feeders.len()
			));
		}
		let mut balances: Vec<(AccountId, Balance)> = Vec::new();
		for (i, b) in self.balances.iter().enumerate() {
			let raw = public32(&format!("balances[{i}].account"), &b.account)?;
			no_dev(&format!("balances[{i}].account"), &raw)?;
			let who = AccountId::new(raw);
			if balances.iter().any(|(a, _)| *a == who) {
				return Err(format!("balances[{i}]: duplicate account"));
			}
			if b.slv == 0 {
				return Err(format!("balances[{i}].slv: must be at least 1 SLV"));
			}
			let amount = (b.slv as Balance)
				.checked_mul(UNIT)
				.ok_or_else(|| format!("balances[{i}].slv: too large"))?;
			balances.push((who, amount));
		}
		Ok(StagingGenesis { validators, feeders, balances })
	}

	/// The chain spec.
	pub fn chain_spec(&self, test_network: bool) -> Result<ChainSpec, String> {
		if !test_network {
			self.check_real_network()?;
		}
		let genesis = self.genesis()?;
		let wasm = solvent_runtime::WASM_BINARY
			.ok_or_else(|| "the runtime wasm was not built (SKIP_WASM_BUILD set?)".to_string())?;
		let mut boot_nodes = Vec::new();
		for (i, b) in self.boot_nodes.iter().enumerate() {
			boot_nodes.push(
				b.parse::<sc_network::config::MultiaddrWithPeerId>()
					.map_err(|e| format!("bootNodes[{i}]: '{b}': {e}"))?,
			);
		}
		let mut props = Properties::new();
		props.insert("tokenSymbol".into(), solvent_runtime::TOKEN_SYMBOL.into());
		props.insert("tokenDecimals".into(), solvent_runtime::TOKEN_DECIMALS.into());
		props.insert("ss58Format".into(), STAGING_SS58_PREFIX.into());
		let mut builder = ChainSpec::builder(wasm, None)
			.with_name(&self.name)
			.with_id(&self.id)
			.with_chain_type(ChainType::Live)
			.with_properties(props)
			.with_boot_nodes(boot_nodes)
			.with_genesis_config_patch(staging_genesis(genesis));
		if let Some(p) = &self.protocol_id {
			builder = builder.with_protocol_id(p);
		}
		let spec = builder.build();
		sp_runtime::BuildStorage::build_storage(&spec)
			.map_err(|e| format!("the genesis does not build: {e}"))?;
		Ok(spec)
	}
}

impl StagingSpecCmd {
	/// Read the config, build the spec, print it.
	pub fn run(&self) -> Result<(), String> {
		if solvent_runtime::configs::governance::FAST_TRACKS && !self.test_network {
			return Err(
				"this solvent-node is built with the `fast-runtime` feature: its runtime's \
				referenda pass in minutes, not fit for a real network; build without it, or pass \
				--test-network for a test"
					.into(),
			);
		}
		let text = std::fs::read_to_string(&self.config)
			.map_err(|e| format!("cannot read {}: {e}", self.config.display()))?;
		let config: StagingConfig = serde_json::from_str(&text)
			.map_err(|e| format!("invalid config {}: {e}", self.config.display()))?;
		let spec = config.chain_spec(self.test_network)?;
		let json = sc_service::ChainSpec::as_json(&spec, self.raw)?;
		println!("{json}");
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn example() -> StagingConfig {
		let text = include_str!("../../docs/staging.example.json");
		serde_json::from_str(text).expect("the example config parses")
	}

	#[test]
	fn a_real_network_needs_four_validators_and_two_spare_feeders() {
		let config = example();
		assert_eq!((config.validators.len(), config.feeders.len()), (4, 5));
		assert_eq!(config.check_real_network(), Ok(()));
		let mut three = example();
		three.validators.pop();
		let err = three.check_real_network().unwrap_err();
		assert!(err.contains("validators: 3 given, at least 4"), "{err}");
		let mut quorum_only = example();
		quorum_only.feeders.truncate(4);
		let err = quorum_only.check_real_network().unwrap_err();
		assert!(err.contains("feeders: 4 given, at least 5"), "{err}");
		// A test network may have them (the genesis itself builds).
		assert!(three.genesis().is_ok());
	}
}
