//! # Solvent runtime
//!
//! FRAME runtime of the Solvent appchain: Aura + GRANDPA consensus, SLV native token
//! (12 decimals), collateral assets in `pallet-assets`, and Solvent's derivatives pallets.
//! Configuration lives in [`configs`], genesis presets in [`genesis_config_presets`], runtime
//! APIs in [`apis`]. Risk logic never lives here.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` can get deep.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

extern crate alloc;
use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_assets::Call as AssetsCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_margin::Call as MarginCall;
pub use pallet_options::Call as OptionsCall;
pub use pallet_price_oracle::Call as PriceOracleCall;
pub use pallet_safe_mode::Call as SafeModeCall;
pub use pallet_sudo::Call as SudoCall;
pub use pallet_timestamp::Call as TimestampCall;
pub use pallet_tx_pause::Call as TxPauseCall;
pub use pallet_validator_set::Call as ValidatorSetCall;
pub use solvent_primitives::{assets as collateral, AssetId};
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types for the node, which must not depend on the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	use sp_runtime::traits::Hash as HashT;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// The runtime's version. `spec_version` is bumped for every runtime meant to replace a live
/// one (`system.setCode` refuses a runtime whose `spec_version` is not higher).
///
/// A `fast-runtime` build (referenda in minutes, 10-block sessions: dev, local and test
/// networks) is named `solvent-fast`, a production build `solvent`: `system.setCode` refuses a
/// runtime whose `spec_name` differs, so a referendum cannot put a fast runtime on a production
/// chain by mistake (red-team review), nor the reverse.
///
/// The `upgrade-test` build is the same runtime with `spec_version` + 1, the wasm that the
/// runtime-upgrade test enacts by referendum (`scripts/build-upgrade-wasm.sh`). The macro
/// embeds literal values in the wasm's `runtime_version` section, hence one constant per
/// build rather than an expression: keep the four equal except `spec_name` and `spec_version`.
#[cfg(all(not(feature = "fast-runtime"), not(feature = "upgrade-test")))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("solvent"),
	impl_name: alloc::borrow::Cow::Borrowed("solvent"),
	authoring_version: 1,
	spec_version: 100,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

#[cfg(all(feature = "fast-runtime", not(feature = "upgrade-test")))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("solvent-fast"),
	impl_name: alloc::borrow::Cow::Borrowed("solvent"),
	authoring_version: 1,
	spec_version: 100,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

/// The `upgrade-test` builds (see above).
#[cfg(all(not(feature = "fast-runtime"), feature = "upgrade-test"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("solvent"),
	impl_name: alloc::borrow::Cow::Borrowed("solvent"),
	authoring_version: 1,
	spec_version: 101,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

#[cfg(all(feature = "fast-runtime", feature = "upgrade-test"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("solvent-fast"),
	impl_name: alloc::borrow::Cow::Borrowed("solvent"),
	authoring_version: 1,
	spec_version: 101,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

mod block_times {
	/// Target block time in milliseconds: the one constant that sets the block time. Aura's slot
	/// duration is derived from it (`pallet_timestamp::MinimumPeriod` = half of it).
	///
	/// It cannot change after genesis without halting block production.
	pub const MILLI_SECS_PER_BLOCK: u64 = 3000;
	/// Aura slot duration.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
}
pub use block_times::*;

/// Blocks per minute, hour and day.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// Number of recent block hashes kept.
pub const BLOCK_HASH_COUNT: BlockNumber = 2400;

/// One SLV (12 decimals).
pub const UNIT: Balance = 1_000_000_000_000;
/// 0.001 SLV.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// 0.000001 SLV.
pub const MICRO_UNIT: Balance = 1_000_000;
/// Token symbol of the native token.
pub const TOKEN_SYMBOL: &str = "SLV";
/// Decimals of the native token.
pub const TOKEN_DECIMALS: u8 = 12;

/// Existential deposit of SLV.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;
/// An account id: the public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account (SLV and every asset).
pub type Balance = u128;
/// Index of a transaction in the chain.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;
/// An index to a block.
pub type BlockNumber = u32;
/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A Block signed with a Justification.
pub type SignedBlock = generic::SignedBlock<Block>;
/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The `TransactionExtension` to the basic transaction logic.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
	pallet_price_oracle::CheckFeeder<Runtime>,
);

/// The transaction extension of a signed transaction by an account with `nonce`, valid for
/// `era`, paying `tip`. Clients (the node's feeder and load generator) sign with it, together
/// with [`tx_extension_implicit`].
pub fn tx_extension(nonce: Nonce, era: generic::Era, tip: Balance) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(era),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		frame_system::WeightReclaim::<Runtime>::new(),
		pallet_price_oracle::CheckFeeder::<Runtime>::new(),
	)
}

/// The implicit (signed but not transmitted) data of [`tx_extension`]: spec and transaction
/// versions, the genesis hash, and the hash of the era's birth block (the genesis hash for an
/// immortal era).
pub fn tx_extension_implicit(
	spec_version: u32,
	transaction_version: u32,
	genesis_hash: Hash,
	era_block_hash: Hash,
) -> <TxExtension as sp_runtime::traits::TransactionExtension<RuntimeCall>>::Implicit {
	((), spec_version, transaction_version, genesis_hash, era_block_hash, (), (), (), None, (), ())
}

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations of the runtime, aside from the ones declared in the pallets.
#[allow(unused_parens)]
type Migrations = (
	pallet_margin::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_margin::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_margin::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_options::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_options::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_options::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_options::migrations::v4::MigrateV3ToV4<Runtime>,
	pallet_insurance_fund::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_insurance_fund::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_price_oracle::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_solvent_origins::migrations::v1::MigrateV0ToV1<Runtime>,
);

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	// Validators (`configs::validators`): declared before Aura and GRANDPA, as in
	// polkadot-sdk's templates, so that the session's genesis (which sets their authorities)
	// and its rotation in `on_initialize` come first.
	#[runtime::pallet_index(8)]
	pub type ValidatorSet = pallet_validator_set;
	#[runtime::pallet_index(9)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;
	#[runtime::pallet_index(7)]
	pub type Assets = pallet_assets;

	// Governance (OpenGov).
	#[runtime::pallet_index(10)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(11)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(12)]
	pub type ConvictionVoting = pallet_conviction_voting;
	#[runtime::pallet_index(13)]
	pub type Referenda = pallet_referenda;
	#[runtime::pallet_index(14)]
	pub type Origins = pallet_solvent_origins;

	// Emergency brake (`configs::emergency`).
	#[runtime::pallet_index(15)]
	pub type SafeMode = pallet_safe_mode;
	#[runtime::pallet_index(16)]
	pub type TxPause = pallet_tx_pause;

	// Solvent.
	#[runtime::pallet_index(20)]
	pub type PriceOracle = pallet_price_oracle;
	#[runtime::pallet_index(21)]
	pub type Margin = pallet_margin;
	#[runtime::pallet_index(22)]
	pub type Options = pallet_options;
	#[runtime::pallet_index(23)]
	pub type InsuranceFund = pallet_insurance_fund;
}
