//! Genesis presets: `development` (`--dev`, one validator: Alice) and `local_testnet`
//! (`--chain local`, four validators: Alice, Bob, Charlie, Dave). Validators are given as
//! session keys (`session.keys`) and the validator set (`validatorSet.initialValidators`);
//! Aura's and GRANDPA's authorities are derived from them by the session pallet.
//!
//! Both create the collateral assets (USD 6 decimals, BTC 8, ETH 18) and endow the dev accounts
//! Alice..Ferdie with SLV and test collateral. Only `development` has a Sudo key (Alice);
//! `local_testnet` is governed by OpenGov alone. The referendum periods do not depend on the
//! preset: a runtime built with the `fast-runtime` feature has fast tracks on every chain.

use crate::{
	AccountId, AssetsConfig, Balance, BalancesConfig, InsuranceFundConfig, MarginConfig,
	OptionsConfig, PriceOracleConfig, RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig,
	ValidatorSetConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use frame_support::PalletId;
use serde_json::Value;
use solvent_primitives::assets::{BTC, BTC_DECIMALS, ETH, ETH_DECIMALS, USD, USD_DECIMALS};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::traits::AccountIdConversion;
use sp_runtime::{FixedU128, Permill};

/// SLV given to each endowed account.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;
/// Test collateral given to each endowed account: 10,000,000 USD.
pub const USD_ENDOWMENT: Balance = 10_000_000 * 1_000_000;
/// 100 BTC.
pub const BTC_ENDOWMENT: Balance = 100 * 100_000_000;
/// 1,000 ETH.
pub const ETH_ENDOWMENT: Balance = 1_000 * 1_000_000_000_000_000_000;

/// The accounts endowed in every preset.
pub fn dev_accounts() -> Vec<AccountId> {
	vec![
		Sr25519Keyring::Alice.to_account_id(),
		Sr25519Keyring::Bob.to_account_id(),
		Sr25519Keyring::Charlie.to_account_id(),
		Sr25519Keyring::Dave.to_account_id(),
		Sr25519Keyring::Eve.to_account_id(),
		Sr25519Keyring::Ferdie.to_account_id(),
	]
}

/// [`ENDOWMENT`] SLV for each dev account.
fn dev_balances() -> Vec<(AccountId, Balance)> {
	dev_accounts().into_iter().map(|a| (a, ENDOWMENT)).collect()
}

/// Dev and local chains: the test collateral assets are owned (and can be minted) by Alice, the
/// dev faucet, and every dev account holds some.
fn dev_assets() -> AssetsGenesis {
	AssetsGenesis { owner: Sr25519Keyring::Alice.to_account_id(), holders: dev_accounts() }
}

/// Oracle genesis: parameters and feeders.
struct OracleGenesis {
	params: pallet_price_oracle::OracleParams,
	feeders: Vec<AccountId>,
}

/// Dev oracle: feeders Alice, Bob, Charlie, Dave and Eve with a quorum of 3 (run three or more
/// `solvent-node feeder` processes). Tuned for replays of one simulated day per 3-second block:
/// values stay fresh for 30 s (10 blocks), and the breaker trips on a move of more than 50%
/// from the 30-second TWAP (a daily close-to-close move of BTC has never exceeded 40%), or an
/// implied vol move of more than 300%; a halted key resumes by itself once the feeds have agreed
/// within 2% for 60 s (20 blocks, the shortest cool-off allowed).
fn dev_oracle() -> OracleGenesis {
	OracleGenesis {
		params: pallet_price_oracle::OracleParams {
			max_age: 30_000,
			min_quorum: 3,
			max_deviation: Permill::from_percent(50),
			max_vol_deviation: FixedU128::from_u32(3),
			breaker_window: 30_000,
			breaker_cooloff: 60_000,
			max_dispersion: Permill::from_percent(2),
		},
		feeders: [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
			Sr25519Keyring::Eve,
		]
		.iter()
		.map(|k| k.to_account_id())
		.collect(),
	}
}

/// Local/production oracle: the four validators feed in real time; values stay fresh for
/// 60 s, 3 of 4 make a quorum, and a move of more than 10% from the 10-minute TWAP halts until
/// the feeds have agreed within 2% for 5 minutes (the limit-up/limit-down trading pause) or a
/// risk-admin reset.
fn local_oracle() -> OracleGenesis {
	OracleGenesis {
		params: pallet_price_oracle::OracleParams {
			max_age: 60_000,
			min_quorum: 3,
			max_deviation: Permill::from_percent(10),
			max_vol_deviation: FixedU128::from_u32(2),
			breaker_window: 600_000,
			breaker_cooloff: 300_000,
			max_dispersion: Permill::from_percent(2),
		},
		feeders: [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.iter()
		.map(|k| k.to_account_id())
		.collect(),
	}
}

/// USD (6-decimal units) the insurance fund starts with, against shares held by the protocol
/// treasury: 1,000,000 USD.
pub const INSURANCE_SEED: Balance = 1_000_000 * 1_000_000;

/// The protocol treasury account (holds the insurance fund's genesis shares).
pub fn treasury_account() -> AccountId {
	PalletId(*b"sv/trsry").into_account_truncating()
}

/// Genesis of the products: options parameters and the insurance fund's unstake cooldown.
struct ProductsGenesis {
	options: pallet_options::OptionsParams,
	unstake_cooldown: u32,
}

/// Dev products: expiries every 2 minutes (on the minute grid), listable from 1 minute before
/// expiry, settling from a 1-minute TWAP, so an option's life fits in an end-to-end test; a
/// 10-block unstake cooldown. Margin fractions and fees are Deribit's.
fn dev_products() -> ProductsGenesis {
	ProductsGenesis {
		options: pallet_options::OptionsParams {
			settlement_window: 60_000,
			expiry_interval: 120_000,
			expiry_offset: 0,
			min_time_to_expiry: 60_000,
			..Default::default()
		},
		unstake_cooldown: 10,
	}
}

/// Local/production products: daily expiries at 08:00 UTC, 30-minute settlement TWAP (Deribit),
/// one-day unstake cooldown (28,800 blocks of 3 s).
fn local_products() -> ProductsGenesis {
	ProductsGenesis { options: Default::default(), unstake_cooldown: 28_800 }
}

/// A dev validator: its account (the sr25519 dev key) and session keys (Aura: the same sr25519
/// key; GRANDPA: the ed25519 dev key of the same name).
fn authority(k: Sr25519Keyring, e: Ed25519Keyring) -> (AccountId, SessionKeys) {
	let aura: AuraId = k.public().into();
	let grandpa: GrandpaId = e.public().into();
	(k.to_account_id(), SessionKeys { aura, grandpa })
}

/// The keyless account that owns, issues, administers and freezes the collateral assets on
/// staging/production chains. No key signs for it: only Root (a referendum) acts on the assets,
/// through the `ForceOrigin` calls (`assets.forceAssetStatus` hands a role to an account,
/// `forceSetMetadata`, ...).
pub fn governance_account() -> AccountId {
	PalletId(*b"sv/govrn").into_account_truncating()
}

/// The collateral assets: who owns them, and who holds test collateral at genesis.
struct AssetsGenesis {
	owner: AccountId,
	holders: Vec<AccountId>,
}

fn testnet_genesis(
	initial_authorities: Vec<(AccountId, SessionKeys)>,
	balances: Vec<(AccountId, Balance)>,
	assets_genesis: AssetsGenesis,
	root: Option<AccountId>,
	oracle: OracleGenesis,
	products: ProductsGenesis,
) -> Value {
	let fund = pallet_insurance_fund::Pallet::<crate::Runtime>::fund_account();
	let percent = Permill::from_percent;
	let owner = assets_genesis.owner;
	let asset = |id, dec: u8, name: &str, symbol: &str| {
		(
			(id, owner.clone(), true, 1u128),
			(id, name.as_bytes().to_vec(), symbol.as_bytes().to_vec(), dec),
		)
	};
	let (assets, metadata): (Vec<_>, Vec<_>) = vec![
		asset(USD, USD_DECIMALS, "USD Stablecoin", "USD"),
		asset(BTC, BTC_DECIMALS, "Wrapped Bitcoin", "BTC"),
		asset(ETH, ETH_DECIMALS, "Wrapped Ether", "ETH"),
	]
	.into_iter()
	.unzip();
	let accounts = assets_genesis
		.holders
		.iter()
		.flat_map(|a| {
			[
				(USD, a.clone(), USD_ENDOWMENT),
				(BTC, a.clone(), BTC_ENDOWMENT),
				(ETH, a.clone(), ETH_ENDOWMENT),
			]
		})
		.collect::<Vec<_>>();

	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		// Aura's and GRANDPA's authorities come from the session keys (`configs::validators`).
		validator_set: ValidatorSetConfig {
			initial_validators: initial_authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
		},
		session: SessionConfig {
			keys: initial_authorities
				.iter()
				.map(|(who, keys)| (who.clone(), who.clone(), keys.clone()))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: root },
		price_oracle: PriceOracleConfig { params: oracle.params, feeders: oracle.feeders },
		assets: AssetsConfig { assets, metadata, accounts },
		margin: MarginConfig {
			collateral: vec![
				(BTC, pallet_margin::CollateralParams { haircut: percent(10), enabled: true }),
				(ETH, pallet_margin::CollateralParams { haircut: percent(15), enabled: true }),
			],
			params: pallet_margin::MarginParams {
				liquidation_penalty: percent(1),
				keeper_reward: Permill::from_rational(5u32, 1000u32),
				max_liquidations_per_block: 1_000,
				min_deposit: pallet_margin::DEFAULT_MIN_DEPOSIT,
				coverage_target: pallet_margin::DEFAULT_COVERAGE_TARGET,
				max_im_addon: pallet_margin::DEFAULT_MAX_IM_ADDON,
			},
			cash: vec![(fund, INSURANCE_SEED)],
		},
		options: OptionsConfig { params: products.options },
		insurance_fund: InsuranceFundConfig {
			params: pallet_insurance_fund::FundParams {
				payout_cap_per_block: 100_000 * 1_000_000,
				unstake_cooldown: products.unstake_cooldown,
				// Half a day at 3-second blocks to withdraw after the cooldown.
				unstake_window: 14_400,
				fee_share: percent(10),
			},
			initial_shares: vec![(treasury_account(), INSURANCE_SEED)],
		},
	})
}

/// The development preset: one validator (Alice).
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_balances(),
		dev_assets(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		dev_oracle(),
		dev_products(),
	)
}

/// The local testnet preset: four validators (Alice, Bob, Charlie, Dave).
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			authority(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			authority(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		dev_balances(),
		dev_assets(),
		None,
		local_oracle(),
		local_products(),
	)
}

/// The input of a staging (or production) genesis, from the operator's config
/// (`solvent-node staging-spec`).
pub struct StagingGenesis {
	/// Validators: account and session keys.
	pub validators: Vec<(AccountId, SessionKeys)>,
	/// The oracle's feeders (the quorum stays 3).
	pub feeders: Vec<AccountId>,
	/// Initial SLV balances.
	pub balances: Vec<(AccountId, Balance)>,
}

/// A staging/production genesis: no dev key, no Sudo, realistic tracks, the local chain's
/// oracle parameters and products; the collateral assets owned by [`governance_account`]
/// (only a referendum can mint, freeze or hand a role to an account) and held by nobody; the
/// insurance fund seeded as on the other chains.
pub fn staging_genesis(g: StagingGenesis) -> Value {
	let mut oracle = local_oracle();
	oracle.feeders = g.feeders;
	testnet_genesis(
		g.validators,
		g.balances,
		AssetsGenesis { owner: governance_account(), holders: vec![] },
		None,
		oracle,
		local_products(),
	)
}

/// The JSON patch of preset `id`, if it exists.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(|s| s.into_bytes())
}

/// The presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
