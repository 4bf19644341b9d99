//! Test runtime: `frame_system`, `pallet_timestamp` (the clock) and the oracle, with five
//! feeders at genesis, 3-second blocks and small bounds so that every limit is reachable.

use crate::{self as pallet_price_oracle, FeedOf, OracleParams};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Contains, Hooks},
};
use frame_system::EnsureRoot;
use solvent_primitives::{Moment, OracleKey};
use sp_arithmetic::{FixedU128, Permill};
use sp_runtime::BuildStorage;

pub type AccountId = u64;
type Block = frame_system::mocking::MockBlock<Test>;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const EVE: AccountId = 5;
pub const FERDIE: AccountId = 6;
pub const GEORGE: AccountId = 7;
pub const MALLORY: AccountId = 66;

/// The genesis feeders.
pub const FEEDERS: [AccountId; 5] = [ALICE, BOB, CHARLIE, DAVE, EVE];

/// Most feeders, keys, values per feed and history steps in the mock.
pub const MAX_FEEDERS: u32 = 7;
pub const MAX_KEYS: u32 = 4;
pub const MAX_FEED_VALUES: u32 = 3;
pub const HISTORY_LENGTH: u32 = 6;

/// Block time (ms) and the genesis time of the mock chain.
pub const BLOCK_TIME: Moment = 3_000;
pub const GENESIS_TIME: Moment = 1_700_000_000_000;

pub const BTC: u32 = 2;
pub const ETH: u32 = 3;
pub const SOL: u32 = 4;
pub const BTC_SPOT: OracleKey = OracleKey::Spot(BTC);
pub const BTC_VOL: OracleKey = OracleKey::ImpliedVol(BTC);
pub const ETH_SPOT: OracleKey = OracleKey::Spot(ETH);
pub const ETH_VOL: OracleKey = OracleKey::ImpliedVol(ETH);
pub const SOL_SPOT: OracleKey = OracleKey::Spot(SOL);
/// Not supported by the mock.
pub const DOGE_SPOT: OracleKey = OracleKey::Spot(99);

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		PriceOracle: pallet_price_oracle,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	pub const MinimumPeriod: Moment = BLOCK_TIME / 2;
}

impl pallet_timestamp::Config for Test {
	type Moment = Moment;
	type OnTimestampSet = ();
	type MinimumPeriod = MinimumPeriod;
	type WeightInfo = ();
}

/// Spot and implied vol of assets 2 (BTC), 3 (ETH) and 4 (SOL): six keys for four slots.
pub struct MockKeys;
impl Contains<OracleKey> for MockKeys {
	fn contains(key: &OracleKey) -> bool {
		matches!(key, OracleKey::Spot(2..=4) | OracleKey::ImpliedVol(2..=4))
	}
}

impl pallet_price_oracle::Config for Test {
	type Time = Timestamp;
	type FeederOrigin = EnsureRoot<AccountId>;
	type RiskAdminOrigin = EnsureRoot<AccountId>;
	type SupportedKeys = MockKeys;
	type MaxFeeders = ConstU32<MAX_FEEDERS>;
	type MaxKeys = ConstU32<MAX_KEYS>;
	type MaxFeedValues = ConstU32<MAX_FEED_VALUES>;
	type HistoryLength = ConstU32<HISTORY_LENGTH>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper for MockBenchmarkHelper {
	fn key(i: u32) -> OracleKey {
		// Spot(2), ImpliedVol(2), Spot(3), ImpliedVol(3), ...
		if i.is_multiple_of(2) {
			OracleKey::Spot(2 + i / 2)
		} else {
			OracleKey::ImpliedVol(2 + i / 2)
		}
	}
	fn set_time(now: Moment) {
		pallet_timestamp::Now::<Test>::put(now);
	}
}

/// Parameters of the mock: 30 s max age (10 blocks), quorum 3, 10% band, 60 s breaker window,
/// 60 s breaker cool-off (20 blocks), 2% max dispersion.
pub fn default_params() -> OracleParams {
	OracleParams {
		max_age: 30_000,
		min_quorum: 3,
		max_deviation: Permill::from_percent(10),
		max_vol_deviation: FixedU128::from_u32(2),
		breaker_window: 60_000,
		breaker_cooloff: 60_000,
		max_dispersion: Permill::from_percent(2),
	}
}

pub struct ExtBuilder {
	params: OracleParams,
	feeders: Vec<AccountId>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { params: default_params(), feeders: FEEDERS.to_vec() }
	}
}

impl ExtBuilder {
	pub fn params(mut self, params: OracleParams) -> Self {
		self.params = params;
		self
	}

	pub fn feeders(mut self, feeders: Vec<AccountId>) -> Self {
		self.feeders = feeders;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let storage = RuntimeGenesisConfig {
			system: Default::default(),
			price_oracle: pallet_price_oracle::GenesisConfig {
				params: self.params,
				feeders: self.feeders,
			},
		}
		.build_storage()
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			pallet_timestamp::Now::<Test>::put(GENESIS_TIME);
		});
		ext
	}

	/// Build, run `test`, then check the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			PriceOracle::do_try_state().expect("try_state holds after the test");
		});
	}
}

/// The current time (ms).
pub fn now() -> Moment {
	pallet_timestamp::Now::<Test>::get()
}

/// Go to the next block as a real chain does: `on_initialize` runs at the parent block's time,
/// then the timestamp inherent advances the clock by `BLOCK_TIME`.
pub fn next_block() {
	let n = System::block_number() + 1;
	System::set_block_number(n);
	PriceOracle::on_initialize(n);
	pallet_timestamp::Now::<Test>::put(now() + BLOCK_TIME);
}

/// `x / y` as a fixed-point value.
pub fn fx(x: u128, y: u128) -> FixedU128 {
	FixedU128::from_rational(x, y)
}

/// A whole number as a fixed-point value.
pub fn int(x: u128) -> FixedU128 {
	FixedU128::from_inner(x * 1_000_000_000_000_000_000)
}

/// A feed of `values`.
pub fn feed_of(values: &[(OracleKey, FixedU128)]) -> FeedOf<Test> {
	values.to_vec().try_into().expect("feed within MaxFeedValues")
}

/// The pallet's events so far, oldest first.
pub fn oracle_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::PriceOracle(e) => Some(e),
			_ => None,
		})
		.collect()
}
