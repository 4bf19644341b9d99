//! Validators: `pallet-session` (session keys Aura + GRANDPA, [`crate::SessionKeys`]) managed by
//! `pallet-validator-set`, whose set only Root (a referendum on the root track) changes.
//!
//! Aura's and GRANDPA's authorities come from the session: a validator registers its keys with
//! `session.setKeys` (generated on its node by `author_rotateKeysWithOwner`), governance adds it
//! with `validatorSet.addValidator`, and it authors from the session after the next one. Key
//! rotation is another `session.setKeys`, also applied from the session after the next one.
//!
//! GRANDPA equivocation reports are not wired: they need `pallet-session`'s historical
//! sessions, `pallet-offences` and an offence handler that punishes (there is no stake to slash
//! here); `pallet_grandpa::Config::EquivocationReportSystem` stays `()`.

use frame_support::parameter_types;
use frame_system::EnsureRoot;
use sp_runtime::traits::ConvertInto;

use crate::{
	AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeEvent, Session, SessionKeys,
	ValidatorSet, HOURS, UNIT,
};

/// Blocks per session. With the `fast-runtime` feature (dev and local chains, zombienet and e2e
/// tests): 10 blocks, 30 seconds at 3-second blocks, so a validator set change or a key
/// rotation takes effect within two sessions (60 s). Without it (production builds): one hour
/// (`HOURS`, 1,200 blocks), so a change takes effect within two hours. A session rotation costs
/// one `on_initialize` of the session pallet; the length only sets how long a change is pending.
pub const SESSION_PERIOD: BlockNumber = if cfg!(feature = "fast-runtime") { 10 } else { HOURS };

parameter_types! {
	pub const SessionPeriod: BlockNumber = SESSION_PERIOD;
	/// Sessions start at block 0.
	pub const SessionOffset: BlockNumber = 0;
	/// SLV held from an account that registers session keys (`session.setKeys`), returned by
	/// `session.purgeKeys`: prices the storage of keys by accounts that are not validators.
	pub const SessionKeyDeposit: Balance = 10 * UNIT;
	/// Most validators: Aura's and GRANDPA's `MaxAuthorities`.
	pub const MaxValidators: u32 = 32;
	/// Fewest validators a removal may leave: 4, the smallest set that keeps finalizing with
	/// one validator down (GRANDPA needs more than 2/3 of the votes). The one-validator dev
	/// chain can grow but not shrink.
	pub const MinValidators: u32 = 4;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// A validator is its account.
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type SessionManager = ValidatorSet;
	type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	/// Nothing disables validators (no offences are reported).
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = SessionKeyDeposit;
}

impl pallet_validator_set::Config for Runtime {
	/// Root only: a referendum on the root track (or Sudo on the dev chain).
	type ManagerOrigin = EnsureRoot<AccountId>;
	type KeysRegistered = Session;
	type MaxValidators = MaxValidators;
	type MinValidators = MinValidators;
	type WeightInfo = pallet_validator_set::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = KeysHelper;
}

/// Benchmarks: session keys written directly for an account (the benchmark has no keystore to
/// sign an ownership proof with).
#[cfg(feature = "runtime-benchmarks")]
pub struct KeysHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_validator_set::BenchmarkHelper<AccountId> for KeysHelper {
	fn register_keys(who: &AccountId) {
		let raw: [u8; 32] = *AsRef::<[u8; 32]>::as_ref(who);
		let keys = SessionKeys {
			aura: sp_consensus_aura::sr25519::AuthorityId::from(
				sp_core::sr25519::Public::from_raw(raw),
			),
			grandpa: sp_consensus_grandpa::AuthorityId::from(sp_core::ed25519::Public::from_raw(
				raw,
			)),
		};
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}
