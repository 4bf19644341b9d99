//! Configuration of Solvent's own pallets: the oracle, margin, options and insurance fund.
//! Values only; the risk rules live in the pallets, and every risk parameter is in their
//! storage, changed by [`RiskAdminOrigin`](super::governance::RiskAdminOrigin).

use frame_support::{parameter_types, traits::Contains};
use frame_system::EnsureRoot;
use solvent_primitives::{assets, OracleKey};

use super::governance::RiskAdminOrigin;
use crate::{AccountId, Runtime, Timestamp};

/// The oracle keys this chain tracks: spot and implied vol of BTC and ETH.
pub struct SupportedOracleKeys;
impl Contains<OracleKey> for SupportedOracleKeys {
	fn contains(key: &OracleKey) -> bool {
		matches!(
			key,
			OracleKey::Spot(assets::BTC | assets::ETH)
				| OracleKey::ImpliedVol(assets::BTC | assets::ETH)
		)
	}
}

parameter_types! {
	pub const OracleMaxFeeders: u32 = 16;
	pub const OracleMaxKeys: u32 = 8;
	pub const OracleMaxFeedValues: u32 = 4;
	/// 600 one-block steps: 30 minutes of history at 3-second blocks (the Deribit settlement
	/// window) per key.
	pub const OracleHistoryLength: u32 = 600;
}

impl pallet_price_oracle::Config for Runtime {
	type Time = Timestamp;
	type FeederOrigin = EnsureRoot<AccountId>;
	type RiskAdminOrigin = RiskAdminOrigin;
	type SupportedKeys = SupportedOracleKeys;
	type MaxFeeders = OracleMaxFeeders;
	type MaxKeys = OracleMaxKeys;
	type MaxFeedValues = OracleMaxFeedValues;
	type HistoryLength = OracleHistoryLength;
	type WeightInfo = pallet_price_oracle::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helpers::Oracle;
}

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmark_helpers {
	use super::*;

	/// Oracle benchmark keys (the supported ones first) and clock.
	pub struct Oracle;
	impl pallet_price_oracle::BenchmarkHelper for Oracle {
		fn key(i: u32) -> OracleKey {
			match i {
				0 => OracleKey::Spot(assets::BTC),
				1 => OracleKey::ImpliedVol(assets::BTC),
				2 => OracleKey::Spot(assets::ETH),
				3 => OracleKey::ImpliedVol(assets::ETH),
				n => OracleKey::Spot(1_000 + n),
			}
		}
		fn set_time(now: solvent_primitives::Moment) {
			pallet_timestamp::Now::<Runtime>::put(now);
		}
	}
}
