//! # Price oracle pallet
//!
//! Spot prices and implied volatilities for Solvent's risk engine, fed by a bounded set of
//! trusted feeders and aggregated on chain into a median that is only ever served while it is
//! fresh, backed by a quorum, and not halted by the deviation circuit breaker. Implements
//! [`solvent_primitives::PriceProvider`] for [`Pallet`].
//!
//! ## Keys and units
//! - [`OracleKey::Spot`]`(asset)`: price in **USD per one whole unit** of the asset,
//!   `FixedU128` (18 decimals).
//! - [`OracleKey::ImpliedVol`]`(asset)`: **annualized implied volatility as a fraction**
//!   (`0.8` = 80% per year), `FixedU128`; at most [`MAX_IMPLIED_VOL`] (10.0 = 1000%).
//! - Times: ms since the Unix epoch ([`Config::Time`], `pallet-timestamp`); durations in ms.
//!
//! A key is accepted if [`Config::SupportedKeys`] contains it; it is *tracked* from its first
//! feed on, up to [`Config::MaxKeys`] keys.
//!
//! ## Feeding
//! A feeder ([`Feeders`], at most [`Config::MaxFeeders`], managed by [`Config::FeederOrigin`])
//! submits [`Pallet::feed_values`] with up to [`Config::MaxFeedValues`] `(key, value)` pairs,
//! at most once per block. Each value replaces the feeder's previous one for that key in
//! [`RawValues`] with the block's timestamp, and the key's aggregate is recomputed at once.
//! Valid feeds pay no fee (`Pays::No`). The transaction extension [`CheckFeeder`] rejects
//! feeds from non-feeders, second feeds in a block and malformed feeds in the transaction pool,
//! so they never pay or bump a nonce; the call repeats every check at dispatch.
//!
//! ## Aggregation
//! A feeder's value is *fresh* while `now - timestamp <= max_age`. With `n` fresh values and
//! `n >= min_quorum` the aggregate is their median ([`math::median`]: the middle value, or for
//! even `n` the mean of the two middle values rounded down at 18 decimals); otherwise the key
//! has **no quorum** and no value at all: the oracle never keeps serving a last value.
//! The median of values of which fewer than half are outliers lies within the range of the
//! honest values (one bad feeder of five cannot move it), which is why the median and not the
//! mean is used (as in Chainlink's off-chain reporting and MakerDAO's medianizer).
//!
//! The aggregate is stored in [`KeyStates`] with `valid_until = min(timestamp) + max_age` over
//! the values it used: the instant the first of them ages out. [`PriceProvider::get`](solvent_primitives::PriceProvider::get) uses the
//! stored state while `now <= valid_until`, and otherwise recomputes from the raw values
//! without writing, so a consumer never sees a median of values that are no longer fresh.
//! `on_initialize` rewrites the states whose `valid_until` has passed (at most `MaxKeys` keys
//! of `MaxFeeders` values each), recording the change in the history and emitting the events.
//! Note that `on_initialize` runs before the block's timestamp inherent, so it works at the
//! parent block's time: such a refresh is recorded up to one block after the value aged out.
//!
//! ## Circuit breaker
//! Every new aggregate is compared with the reference: the TWAP of the key's history over the
//! last `breaker_window` ms (from `reference_from` on, see below), before the new value is
//! recorded. If `|value - reference| > max_deviation x reference` the key is **halted**
//! ([`Event::BreakerTripped`]): consumers see it as unavailable, an unavailable step is
//! recorded in the history, and further aggregates are not recorded. The halt is a bounded
//! pause and lifts in one of three ways:
//! - by itself when an aggregate is back within `max_deviation` of the pre-halt reference
//!   ([`Event::BreakerResumed`]);
//! - by itself after the **cool-off** ([`Event::BreakerCooledOff`]): when the feeds have
//!   *agreed* for `breaker_cooloff` ms (every aggregate recomputed in that time had a quorum
//!   and a dispersion `(max - min) / median` of its fresh values of at most
//!   `max_dispersion`), the next aggregate on which they agree is accepted and becomes the new
//!   reference, as after a reset. A real move (a 20% crash) thus halts the key for the
//!   cool-off only, after which accounts are valued and liquidated at the new level. This is
//!   the exchanges' limit-up/limit-down pause: the U.S. equity LULD plan's 5-minute trading
//!   pause, CME Rule 589's 2-minute halt at a price limit. Recomputes happen at each feed and
//!   when a value ages out (`on_initialize`), so a key fed every block resumes at the first
//!   feed after the cool-off; agreement is sampled at those recomputes, between which the
//!   fresh values do not change;
//! - by [`Pallet::reset_breaker`] ([`Config::RiskAdminOrigin`], [`Event::BreakerReset`]),
//!   which accepts the current aggregate: the breaker then ignores the history before the
//!   reset, so the accepted value becomes the new reference.
//!
//! Without history in the window the breaker does not trip. (Deviation limits against a
//! moving reference are the "price band" of exchange rulebooks, e.g. CME's dynamic circuit
//! breakers, and the "stale/deviation" guards of lending oracles such as Compound's
//! UniswapAnchoredView.)
//!
//! ## TWAP history
//! Two levels per key:
//! - [`History`], the *exact ring*: at most [`Config::HistoryLength`] steps
//!   `(timestamp, Option<value>)`: the aggregate holds from its timestamp to the next step's,
//!   `None` marks unavailability (no quorum or halted). At most one step per block timestamp is
//!   kept (a later write in the same block overwrites the block's step), and a step equal to
//!   the previous one is not repeated. With the runtime's 600 steps and 3-second blocks it
//!   holds at least 30 minutes; every feed reads and writes it, so it stays short.
//! - [`CoarseHistory`], the *coarse history*: each step the full ring drops (from its
//!   timestamp to the next step's) is folded into fixed 5-minute slots of the clock
//!   ([`HISTORY_BUCKET`]), one [`HistoryBucket`] per slot with its available ms, the
//!   time-weighted average of its available values and its last value
//!   ([`math::fold_into_buckets`]). The last [`HISTORY_BUCKETS`] (300) slots are kept, so every
//!   instant up to [`HISTORY_SPAN`] (24 h 55 min) old is in one level or the other, whatever
//!   the block time and the number of changes. It is written when the ring drops a step and
//!   read only for windows reaching before the ring's oldest step.
//!
//! Why two levels rather than a longer ring: the ring costs every feed its full size (600 steps
//! are 15 KB), and a day of 3-second steps would be 28,800 of them (720 KB); a day of 5-minute
//! buckets is 288 (19 KB), read only by long windows. Why not buckets only: the breaker window
//! and the settlement window can be as short as a second and a minute (30 s and 60 s on
//! `--dev`), which 5-minute buckets cannot resolve; the exact ring keeps the recent steps.
//!
//! [`PriceProvider::twap`](solvent_primitives::PriceProvider::twap)`(key, window, end)`
//! integrates the step function over `[end - window, end]` (`end` capped at now, steps after
//! `end` ignored) and divides by the available time, skipping unavailable steps and any time
//! before the oldest step or bucket kept; the part of the window before the ring's oldest step
//! comes from the buckets, a bucket cut by the window's start counted pro rata of its interval
//! inside the window ([`math::twap_with_coverage`]). `NoHistory` if no available time falls in
//! the window. A zero window returns the value in force at `end` (exact ring only).
//!
//! For the settlement of options, two queries beyond the trait (implemented as
//! `sp_runtime::traits::Convert` on [`Pallet`] until `PriceProvider` has them, see
//! [`Pallet::twap_with_coverage_at`]):
//! - the TWAP with its *coverage*, the ms of the window with an available value, so that a
//!   consumer can refuse a TWAP of a window mostly without prices;
//! - the last value available at or before an instant, with the end of the time it was
//!   available ([`math::last_available`]).
//!
//! ## Parameters
//! [`OracleParams`] (`max_age`, `min_quorum`, `max_deviation`, `max_vol_deviation`,
//! `breaker_window`, `breaker_cooloff`, `max_dispersion`) live in [`Params`], are set at
//! genesis and changed only by [`Config::RiskAdminOrigin`] through [`Pallet::set_params`]
//! within the hard bounds ([`MIN_MAX_AGE`]..=[`MAX_MAX_AGE`], `1..=MaxFeeders`,
//! [`MIN_MAX_DEVIATION`]..=[`MAX_MAX_DEVIATION`],
//! [`MIN_MAX_VOL_DEVIATION`]..=[`MAX_MAX_VOL_DEVIATION`],
//! [`MIN_BREAKER_WINDOW`]..=[`MAX_BREAKER_WINDOW`],
//! [`MIN_BREAKER_COOLOFF`]..=[`MAX_BREAKER_COOLOFF`],
//! [`MIN_MAX_DISPERSION`]..=[`MAX_MAX_DISPERSION`]) and at most [`MAX_PARAM_STEP`] (50%) of the
//! current value per change. Every key is recomputed with the new parameters.
//!
//! ## Storage versions
//! 1 added [`OracleParams::breaker_cooloff`], [`OracleParams::max_dispersion`] and
//! [`Halt::agreed_since`] ([`migrations::v1`]). [`CoarseHistory`] was added later without a
//! version: it is a new map that starts empty and fills as the rings drop steps (no existing
//! item changed layout).
//!
//! ## Relation to pallet-oracle
//! polkadot-sdk's `pallet-oracle` (0.7.0, the port of ORML's `orml-oracle`) was read before
//! this design (ORML source at open-web3-stack/open-runtime-module-library `oracle/`, and the
//! polkadot-sdk API docs; the crate is not in our `Cargo.lock`). It is **not** used underneath:
//! - its `DefaultCombineData` returns the *previous* combined value when fewer than the
//!   minimum count of values are fresh, i.e. it keeps the last value forever; ours must become
//!   unavailable (`NoQuorum`) instead, and must also hide an aggregate whose inputs aged out
//!   between writes, which its stored `Values` do not;
//! - it has no circuit breaker, no history for a TWAP, no bound on tracked keys, and its
//!   membership (`SortedMembers` / `ChangeMembers`) clears a removed member's values with an
//!   unbounded `clear_prefix` and does not recompute the aggregates they were part of;
//! - wrapping it would leave two storages (its raw values and our states) to keep consistent.
//!
//! Ideas taken from it: every feeder's latest value is kept separately with its timestamp and
//! aggregated on chain (its `RawValues`; here stored per key, `key -> [(feeder, value,
//! timestamp)]`, so one read aggregates a key); a feed from an authorized feeder is free
//! (`Pays::No`, errors still pay); one feed per feeder per block (its `HasDispatched` set,
//! here a per-feeder last-feed block that needs no `on_finalize` cleanup and that the
//! transaction extension can read, the role of ORML's `CheckOperator`); the call signature
//! `feed_values(BoundedVec<(key, value), MaxFeedValues>)`; the median as default combiner (ORML
//! takes the upper middle value for even counts; we average the two middle values). Not taken:
//! feeding by Root through a `RootOperatorAccountId`, and the `OnNewData` hook.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod extension;
pub mod math;
pub mod migrations;
pub mod runtime_api;
pub mod types;
pub mod weights;

mod oracle;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use extension::CheckFeeder;
pub use solvent_primitives::OracleKey;
use solvent_primitives::PriceStatus;
pub use types::*;
pub use weights::WeightInfo;

/// Sets up what the benchmarks need in the concrete runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
	/// The `i`-th of `MaxKeys` distinct keys. Keys with `i < MaxFeedValues` are fed through
	/// `feed_values` and must be in `SupportedKeys`; the others are only written to storage.
	fn key(i: u32) -> OracleKey;
	/// Set the time `Config::Time` returns to `now` (ms), e.g. `pallet_timestamp::Now::put`.
	fn set_time(now: solvent_primitives::Moment);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{Contains, Time},
	};
	use frame_system::pallet_prelude::*;
	use solvent_primitives::Moment;
	use sp_arithmetic::FixedU128;
	use sp_runtime::SaturatedConversion;

	/// A feed: `(key, value)` pairs, at most `MaxFeedValues`.
	pub type FeedOf<T> = BoundedVec<(OracleKey, FixedU128), <T as Config>::MaxFeedValues>;

	/// The in-code storage version: 1 added the cool-off parameters
	/// ([`OracleParams::breaker_cooloff`], [`OracleParams::max_dispersion`]) and
	/// [`Halt::agreed_since`] ([`crate::migrations::v1`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Current time in ms since the Unix epoch (`pallet_timestamp::Pallet<Runtime>`).
		type Time: Time<Moment = Moment>;

		/// Origin allowed to add and remove feeders (Root now, governance later).
		type FeederOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Origin allowed to change [`Params`] (within bounds and steps) and to reset the
		/// circuit breaker.
		type RiskAdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The keys that may be fed (e.g. spot and implied vol of BTC and ETH); others are
		/// rejected with [`Error::UnknownKey`].
		type SupportedKeys: Contains<OracleKey>;

		/// Most feeders (at least 1). Bounds every per-key aggregation.
		#[pallet::constant]
		type MaxFeeders: Get<u32>;

		/// Most tracked keys (at least 1). Bounds `on_initialize` and feeder removal.
		#[pallet::constant]
		type MaxKeys: Get<u32>;

		/// Most `(key, value)` pairs in one feed (at least 1).
		#[pallet::constant]
		type MaxFeedValues: Get<u32>;

		/// Steps kept in each key's exact TWAP history ring (at least 2). One step per block at
		/// most, so the ring covers at least `HistoryLength` blocks of changes; the steps it
		/// drops go to the coarse history ([`CoarseHistory`]), which keeps [`HISTORY_SPAN`]
		/// (24 h 55 min) whatever the block time. Each feed reads and writes the whole ring
		/// (`HistoryLength x 25` bytes), so it stays short.
		#[pallet::constant]
		type HistoryLength: Get<u32>;

		/// Weights of the calls, the refresh and the extension.
		type WeightInfo: WeightInfo;

		/// Benchmark setup in the concrete runtime.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::BenchmarkHelper;
	}

	/// Default parameters (before genesis sets them): 60 s max age, quorum of 3 (at most
	/// `MaxFeeders`), 10% max deviation, 200% max vol deviation, 10 min breaker window, 5 min
	/// breaker cool-off, 2% max dispersion.
	#[pallet::type_value]
	pub fn DefaultParams<T: Config>() -> OracleParams {
		OracleParams {
			max_age: DEFAULT_MAX_AGE,
			min_quorum: DEFAULT_MIN_QUORUM.min(T::MaxFeeders::get()).max(1),
			max_deviation: DEFAULT_MAX_DEVIATION,
			max_vol_deviation: DEFAULT_MAX_VOL_DEVIATION,
			breaker_window: DEFAULT_BREAKER_WINDOW,
			breaker_cooloff: DEFAULT_BREAKER_COOLOFF,
			max_dispersion: DEFAULT_MAX_DISPERSION,
		}
	}

	/// The oracle's risk parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, OracleParams, ValueQuery, DefaultParams<T>>;

	/// The feeders, sorted, without duplicates.
	#[pallet::storage]
	pub type Feeders<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxFeeders>, ValueQuery>;

	/// The block of each feeder's latest feed (one feed per feeder per block). Removed with
	/// the feeder.
	#[pallet::storage]
	pub type LastFeedBlock<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>>;

	/// The tracked keys, sorted: every key fed at least once. Each has a [`KeyStates`] entry.
	#[pallet::storage]
	pub type TrackedKeys<T: Config> =
		StorageValue<_, BoundedVec<OracleKey, T::MaxKeys>, ValueQuery>;

	/// Each current feeder's last value for a key, sorted by feeder (fresh or not). A removed
	/// feeder's values are removed with it. No empty entries.
	#[pallet::storage]
	pub type RawValues<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		OracleKey,
		BoundedVec<FeederValue<T::AccountId>, T::MaxFeeders>,
		ValueQuery,
	>;

	/// The aggregate state of each tracked key.
	#[pallet::storage]
	pub type KeyStates<T: Config> = StorageMap<_, Blake2_128Concat, OracleKey, KeyState>;

	/// The exact TWAP history ring of each key, oldest step first.
	#[pallet::storage]
	pub type History<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		OracleKey,
		BoundedVec<HistoryEntry, T::HistoryLength>,
		ValueQuery,
	>;

	/// The coarse history of each key, oldest bucket first: the steps [`History`] dropped,
	/// folded into one [`HistoryBucket`] per [`HISTORY_BUCKET`] (5-minute) slot, for the last
	/// [`HISTORY_BUCKETS`] slots. Ends where [`History`] starts.
	#[pallet::storage]
	pub type CoarseHistory<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		OracleKey,
		BoundedVec<HistoryBucket, ConstU32<HISTORY_BUCKETS>>,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Initial parameters (must be within the hard bounds).
		pub params: OracleParams,
		/// Initial feeders (at most `MaxFeeders`, no duplicates; any order).
		pub feeders: Vec<T::AccountId>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self { params: DefaultParams::<T>::get(), feeders: Vec::new() }
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Err(e) = Pallet::<T>::check_bounds(&self.params) {
				panic!("price oracle genesis params out of bounds: {e:?}");
			}
			Params::<T>::put(self.params);
			let mut feeders = self.feeders.clone();
			feeders.sort();
			let len = feeders.len();
			feeders.dedup();
			assert!(feeders.len() == len, "price oracle genesis: duplicate feeder");
			let Ok(feeders) = BoundedVec::<_, T::MaxFeeders>::try_from(feeders) else {
				panic!("price oracle genesis: more feeders than MaxFeeders");
			};
			Feeders::<T>::put(feeders);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `feeder` fed `values` (USD per whole unit for spot keys, annualized fraction for
		/// implied vol keys).
		Fed { feeder: T::AccountId, values: FeedOf<T> },
		/// The aggregate of `key` changed to `value` (`None`: no quorum), the median of `fresh`
		/// fresh values.
		AggregateUpdated { key: OracleKey, value: Option<FixedU128>, fresh: u32 },
		/// The status consumers see for `key` changed from `old` to `new`.
		StatusChanged { key: OracleKey, old: PriceStatus, new: PriceStatus },
		/// The circuit breaker halted `key`: the aggregate `value` deviates by more than
		/// `max_deviation` from the `reference` TWAP.
		BreakerTripped { key: OracleKey, value: FixedU128, reference: FixedU128 },
		/// The halt of `key` lifted: the aggregate `value` is back within `max_deviation` of the
		/// pre-halt `reference`.
		BreakerResumed { key: OracleKey, value: FixedU128, reference: FixedU128 },
		/// The halt of `key` (tripped at `halted_since`, ms) lifted after the cool-off: the feeds
		/// agreed within `max_dispersion` for `breaker_cooloff` ms, and their quorum median
		/// `value` is accepted as the new reference.
		BreakerCooledOff { key: OracleKey, value: FixedU128, halted_since: Moment },
		/// The risk admin reset the breaker of `key`, accepting the current aggregate `value`
		/// (`None`: no quorum now; the next aggregate is accepted) as the new reference.
		BreakerReset { key: OracleKey, value: Option<FixedU128> },
		/// `who` became a feeder.
		FeederAdded { who: T::AccountId },
		/// `who` is no longer a feeder; its values for `values_removed` keys were removed and
		/// those keys recomputed.
		FeederRemoved { who: T::AccountId, values_removed: u32 },
		/// The risk admin changed the parameters.
		ParamsSet { old: OracleParams, new: OracleParams },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The sender is not a feeder.
		NotFeeder,
		/// The feeder already fed in this block.
		AlreadyFed,
		/// The feed has no values.
		EmptyFeed,
		/// The feed has the same key twice.
		DuplicateKey,
		/// A value is zero.
		ZeroValue,
		/// An implied volatility is above [`MAX_IMPLIED_VOL`] (10.0 = 1000% per year).
		ImpliedVolTooHigh,
		/// The key is not in `SupportedKeys`.
		UnknownKey,
		/// The feed would track more than `MaxKeys` keys.
		TooManyKeys,
		/// The account is already a feeder.
		AlreadyFeeder,
		/// There are already `MaxFeeders` feeders.
		TooManyFeeders,
		/// The account is not a feeder.
		FeederNotFound,
		/// The key is not halted.
		NotHalted,
		/// `max_age` is outside its hard bounds.
		MaxAgeOutOfBounds,
		/// `max_age` moves by more than the maximum step.
		MaxAgeStepTooLarge,
		/// `min_quorum` is outside `1..=MaxFeeders`.
		MinQuorumOutOfBounds,
		/// `min_quorum` moves by more than the maximum step.
		MinQuorumStepTooLarge,
		/// `max_deviation` is outside its hard bounds.
		MaxDeviationOutOfBounds,
		/// `max_deviation` moves by more than the maximum step.
		MaxDeviationStepTooLarge,
		/// `max_vol_deviation` is outside its hard bounds.
		MaxVolDeviationOutOfBounds,
		/// `max_vol_deviation` moves by more than the maximum step.
		MaxVolDeviationStepTooLarge,
		/// `breaker_window` is outside its hard bounds.
		BreakerWindowOutOfBounds,
		/// `breaker_window` moves by more than the maximum step.
		BreakerWindowStepTooLarge,
		/// `breaker_cooloff` is outside its hard bounds.
		BreakerCooloffOutOfBounds,
		/// `breaker_cooloff` moves by more than the maximum step.
		BreakerCooloffStepTooLarge,
		/// `max_dispersion` is outside its hard bounds.
		MaxDispersionOutOfBounds,
		/// `max_dispersion` moves by more than the maximum step.
		MaxDispersionStepTooLarge,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Rewrite the aggregates whose `valid_until` has passed (at the parent block's time:
		/// the timestamp inherent has not run yet).
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			let refreshed = Self::refresh_expired(T::Time::now());
			T::WeightInfo::on_initialize(refreshed)
		}

		fn integrity_test() {
			assert!(T::MaxFeeders::get() >= 1, "MaxFeeders must be at least 1");
			assert!(T::MaxKeys::get() >= 1, "MaxKeys must be at least 1");
			assert!(T::MaxFeedValues::get() >= 1, "MaxFeedValues must be at least 1");
			assert!(T::HistoryLength::get() >= 2, "HistoryLength must be at least 2");
			// Every instant at most `HISTORY_SPAN` old is kept (exact ring or coarse buckets),
			// whatever the block time: the longest breaker window the bounds allow fits.
			assert!(
				HISTORY_SPAN >= MAX_BREAKER_WINDOW,
				"the history must cover the longest breaker window"
			);
			assert!(
				Self::history_span() == HISTORY_SPAN,
				"the history span consumers see is HISTORY_SPAN"
			);
			assert!(
				Self::check_bounds(&DefaultParams::<T>::get()).is_ok(),
				"default params must be within bounds"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Feed values.
		///
		/// Origin: signed by a feeder ([`Feeders`]), at most once per block. `values`: up to
		/// `MaxFeedValues` pairs `(key, value)`, each key at most once, every value non-zero;
		/// spot values in USD per whole unit of the asset, implied vols as annualized
		/// fractions at most [`MAX_IMPLIED_VOL`]; keys in `SupportedKeys`, within `MaxKeys`
		/// tracked keys. Each value replaces the feeder's previous one for its key with the
		/// block's timestamp, and the key's aggregate is recomputed (median, quorum, breaker).
		/// A valid feed pays no fee.
		///
		/// Emits [`Event::Fed`], and per key [`Event::AggregateUpdated`],
		/// [`Event::StatusChanged`], [`Event::BreakerTripped`], [`Event::BreakerResumed`],
		/// [`Event::BreakerCooledOff`] as they happen. Errors: [`Error::NotFeeder`],
		/// [`Error::AlreadyFed`], [`Error::EmptyFeed`], [`Error::DuplicateKey`],
		/// [`Error::ZeroValue`], [`Error::ImpliedVolTooHigh`], [`Error::UnknownKey`],
		/// [`Error::TooManyKeys`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::feed_values(values.len().saturated_into::<u32>()))]
		pub fn feed_values(origin: OriginFor<T>, values: FeedOf<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_feed_values(who, values)?;
			Ok(Pays::No.into())
		}

		/// Add a feeder.
		///
		/// Origin: [`Config::FeederOrigin`]. `who` may feed from the next extrinsic on.
		///
		/// Emits [`Event::FeederAdded`]. Errors: [`Error::AlreadyFeeder`],
		/// [`Error::TooManyFeeders`], `BadOrigin`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::add_feeder())]
		pub fn add_feeder(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::FeederOrigin::ensure_origin(origin)?;
			Self::do_add_feeder(who)
		}

		/// Remove a feeder.
		///
		/// Origin: [`Config::FeederOrigin`]. Removes `who`'s raw values for every key (at most
		/// `MaxKeys`) and recomputes those keys at once (which may lose their quorum).
		///
		/// Emits [`Event::FeederRemoved`] and the aggregate events of the recomputed keys.
		/// Errors: [`Error::FeederNotFound`], `BadOrigin`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_feeder())]
		pub fn remove_feeder(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::FeederOrigin::ensure_origin(origin)?;
			Self::do_remove_feeder(who)
		}

		/// Set the parameters.
		///
		/// Origin: [`Config::RiskAdminOrigin`]. Every field must be within its hard bounds
		/// (`max_age` in [`MIN_MAX_AGE`]..=[`MAX_MAX_AGE`] ms, `min_quorum` in
		/// `1..=MaxFeeders`, `max_deviation` in [`MIN_MAX_DEVIATION`]..=[`MAX_MAX_DEVIATION`],
		/// `max_vol_deviation` in [`MIN_MAX_VOL_DEVIATION`]..=[`MAX_MAX_VOL_DEVIATION`],
		/// `breaker_window` in [`MIN_BREAKER_WINDOW`]..=[`MAX_BREAKER_WINDOW`] ms,
		/// `breaker_cooloff` in [`MIN_BREAKER_COOLOFF`]..=[`MAX_BREAKER_COOLOFF`] ms,
		/// `max_dispersion` in [`MIN_MAX_DISPERSION`]..=[`MAX_MAX_DISPERSION`]) and differ from
		/// its current value by at most [`MAX_PARAM_STEP`] of it. Every tracked key is
		/// recomputed with the new parameters.
		///
		/// Emits [`Event::ParamsSet`] and the aggregate events of the recomputed keys. Errors:
		/// [`Error::MaxAgeOutOfBounds`], [`Error::MinQuorumOutOfBounds`],
		/// [`Error::MaxDeviationOutOfBounds`], [`Error::MaxVolDeviationOutOfBounds`],
		/// [`Error::BreakerWindowOutOfBounds`], [`Error::BreakerCooloffOutOfBounds`],
		/// [`Error::MaxDispersionOutOfBounds`], [`Error::MaxAgeStepTooLarge`],
		/// [`Error::MinQuorumStepTooLarge`], [`Error::MaxDeviationStepTooLarge`],
		/// [`Error::MaxVolDeviationStepTooLarge`], [`Error::BreakerWindowStepTooLarge`],
		/// [`Error::BreakerCooloffStepTooLarge`], [`Error::MaxDispersionStepTooLarge`],
		/// `BadOrigin`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: OracleParams) -> DispatchResult {
			T::RiskAdminOrigin::ensure_origin(origin)?;
			Self::do_set_params(params)
		}

		/// Reset the circuit breaker of a halted key.
		///
		/// Origin: [`Config::RiskAdminOrigin`]. Lifts the halt and accepts the current
		/// aggregate of `key` (recomputed now) as the new reference: the breaker ignores the
		/// history before now. Without a quorum now, the next aggregate is accepted. (A halt
		/// also lifts by itself after the cool-off, see the module docs; this call lifts it
		/// earlier or when the feeds do not agree.)
		///
		/// Emits [`Event::BreakerReset`], [`Event::StatusChanged`] and
		/// [`Event::AggregateUpdated`] if the aggregate changed. Errors: [`Error::NotHalted`],
		/// `BadOrigin`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::reset_breaker())]
		pub fn reset_breaker(origin: OriginFor<T>, key: OracleKey) -> DispatchResult {
			T::RiskAdminOrigin::ensure_origin(origin)?;
			Self::do_reset_breaker(key)
		}
	}
}
