//! Benchmarks of the price oracle (frame-benchmarking v2). Every path is the worst case:
//! `MaxFeeders` feeders with a value for every key involved, full history rings and full coarse
//! histories (the circuit breaker integrates over both with the longest breaker window, and a
//! new step rotates the ring and folds the dropped step into the coarse history), medians that
//! change.

#![cfg(feature = "runtime-benchmarks")]

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get, Hooks},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use solvent_primitives::Moment;
use sp_arithmetic::{traits::Saturating, FixedU128};

/// Time of the benchmark setups (ms).
const T0: Moment = 1_700_000_000_000;

/// Value `j` of a key: `1 + j / 100` (a valid spot price and a valid implied vol).
fn val(j: u32) -> FixedU128 {
	FixedU128::from_rational(u128::from(j) + 100, 100)
}

/// `MaxFeeders` feeders, `first` among them, sorted; stored as the feeder set.
fn setup_feeders<T: Config>(first: &T::AccountId) -> Vec<T::AccountId> {
	let mut feeders: Vec<T::AccountId> =
		(1..T::MaxFeeders::get()).map(|i| account("feeder", i, 0)).collect();
	feeders.push(first.clone());
	feeders.sort();
	feeders.dedup();
	Feeders::<T>::put(BoundedVec::truncate_from(feeders.clone()));
	feeders
}

/// The first `k` benchmark keys, tracked.
fn track_keys<T: Config>(k: u32) -> Vec<OracleKey> {
	let mut keys: Vec<OracleKey> = (0..k).map(T::BenchmarkHelper::key).collect();
	keys.sort();
	keys.dedup();
	TrackedKeys::<T>::put(BoundedVec::truncate_from(keys.clone()));
	keys
}

/// Give `key` a value from each of `feeders` (value `j` for the `j`-th), fed at `ts`, except
/// the one of `oldest` fed at `oldest_ts`; a full history ring of older alternating steps, and
/// before it a full coarse history (`HISTORY_BUCKETS` buckets); the breaker window at its upper
/// bound, so that the breaker integrates over both; and the state computed at `ts`.
fn fill_key<T: Config>(
	key: OracleKey,
	feeders: &[T::AccountId],
	oldest: Option<&T::AccountId>,
	oldest_ts: Moment,
	ts: Moment,
) {
	let raw: Vec<FeederValue<T::AccountId>> = feeders
		.iter()
		.enumerate()
		.map(|(j, f)| FeederValue {
			feeder: f.clone(),
			value: val(j as u32),
			timestamp: if Some(f) == oldest { oldest_ts } else { ts },
		})
		.collect();
	let raw = BoundedVec::truncate_from(raw);
	RawValues::<T>::insert(key, &raw);
	let len = T::HistoryLength::get();
	let middle = val(T::MaxFeeders::get() / 2);
	let history: Vec<HistoryEntry> = (0..len)
		.map(|i| HistoryEntry {
			timestamp: ts.saturating_sub(u64::from(len - i) * 1_000),
			value: Some(middle + FixedU128::from_inner(u128::from(i % 2))),
		})
		.collect();
	let ring_start = history.first().map_or(ts, |e| e.timestamp);
	History::<T>::insert(key, BoundedVec::truncate_from(history));
	// One full bucket per slot, up to the slot before the ring's first step.
	let last_slot = (ring_start / HISTORY_BUCKET).saturating_sub(1);
	let buckets: Vec<HistoryBucket> = (0..HISTORY_BUCKETS)
		.map(|i| {
			let slot = last_slot.saturating_sub(u64::from(HISTORY_BUCKETS - 1 - i));
			let start = slot * HISTORY_BUCKET;
			let end = start + HISTORY_BUCKET;
			HistoryBucket {
				start,
				end,
				available: HISTORY_BUCKET,
				average: middle,
				last: Some((end, middle)),
			}
		})
		.collect();
	CoarseHistory::<T>::insert(key, BoundedVec::truncate_from(buckets));
	Params::<T>::mutate(|p| p.breaker_window = MAX_BREAKER_WINDOW);
	KeyStates::<T>::insert(key, KeyState::default());
	Pallet::<T>::recompute(&key, &raw, &Params::<T>::get(), ts);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `n` values, each for a tracked key with `MaxFeeders - 1` other values and a full
	/// history; the caller's value is new (inserted) and moves the median.
	#[benchmark]
	fn feed_values(n: Linear<1, { T::MaxFeedValues::get() }>) -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		let feeders = setup_feeders::<T>(&caller);
		let others: Vec<T::AccountId> = feeders.iter().filter(|f| **f != caller).cloned().collect();
		let keys = track_keys::<T>(n);
		T::BenchmarkHelper::set_time(T0);
		for key in keys.iter() {
			fill_key::<T>(*key, &others, None, T0, T0);
		}
		frame_system::Pallet::<T>::set_block_number(2u32.into());
		LastFeedBlock::<T>::insert(&caller, BlockNumberFor::<T>::from(1u32));
		T::BenchmarkHelper::set_time(T0 + 3_000);
		let values: Vec<(OracleKey, FixedU128)> = keys.iter().map(|k| (*k, val(0))).collect();
		let values: FeedOf<T> =
			values.try_into().map_err(|_| BenchmarkError::Stop("too many values"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), values);

		for key in keys.iter() {
			let raw = RawValues::<T>::get(key);
			assert!(raw.iter().any(|r| r.feeder == caller && r.timestamp == T0 + 3_000));
		}
		Ok(())
	}

	#[benchmark]
	fn add_feeder() -> Result<(), BenchmarkError> {
		let origin =
			T::FeederOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let new: T::AccountId = account("new", 0, 0);
		let mut feeders = setup_feeders::<T>(&account("feeder", 0, 0));
		// Room for one more.
		feeders.pop();
		Feeders::<T>::put(BoundedVec::truncate_from(feeders));

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, new.clone());

		assert!(Feeders::<T>::get().contains(&new));
		Ok(())
	}

	/// The removed feeder has a value for each of `MaxKeys` keys (the lowest, so every median
	/// moves), each with `MaxFeeders` values and a full history.
	#[benchmark]
	fn remove_feeder() -> Result<(), BenchmarkError> {
		let origin =
			T::FeederOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let victim: T::AccountId = account("feeder", 0, 0);
		let feeders = setup_feeders::<T>(&victim);
		let keys = track_keys::<T>(T::MaxKeys::get());
		T::BenchmarkHelper::set_time(T0);
		for key in keys.iter() {
			fill_key::<T>(*key, &feeders, None, T0, T0);
		}
		LastFeedBlock::<T>::insert(&victim, BlockNumberFor::<T>::from(1u32));
		T::BenchmarkHelper::set_time(T0 + 3_000);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, victim.clone());

		assert!(!Feeders::<T>::get().contains(&victim));
		for key in keys.iter() {
			assert!(RawValues::<T>::get(key).iter().all(|r| r.feeder != victim));
		}
		Ok(())
	}

	/// Every one of `MaxKeys` keys (with `MaxFeeders` values and a full history) is
	/// recomputed.
	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::RiskAdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let feeders = setup_feeders::<T>(&account("feeder", 0, 0));
		let keys = track_keys::<T>(T::MaxKeys::get());
		T::BenchmarkHelper::set_time(T0);
		for key in keys.iter() {
			fill_key::<T>(*key, &feeders, None, T0, T0);
		}
		T::BenchmarkHelper::set_time(T0 + 3_000);
		let old = Params::<T>::get();
		// Every field moves by a tenth of its value, within bounds and steps.
		let new = OracleParams {
			max_age: old.max_age.saturating_add(old.max_age / 10).min(MAX_MAX_AGE),
			min_quorum: old.min_quorum,
			max_deviation: old
				.max_deviation
				.saturating_add(sp_arithmetic::Permill::from_parts(
					old.max_deviation.deconstruct() / 10,
				))
				.min(MAX_MAX_DEVIATION),
			max_vol_deviation: old
				.max_vol_deviation
				.saturating_add(FixedU128::from_inner(old.max_vol_deviation.into_inner() / 10))
				.min(MAX_MAX_VOL_DEVIATION),
			breaker_window: old
				.breaker_window
				.saturating_add(old.breaker_window / 10)
				.min(MAX_BREAKER_WINDOW),
			breaker_cooloff: old
				.breaker_cooloff
				.saturating_add(old.breaker_cooloff / 10)
				.min(MAX_BREAKER_COOLOFF),
			max_dispersion: old
				.max_dispersion
				.saturating_add(sp_arithmetic::Permill::from_parts(
					old.max_dispersion.deconstruct() / 10,
				))
				.min(MAX_MAX_DISPERSION),
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, new);

		assert_eq!(Params::<T>::get(), new);
		Ok(())
	}

	/// A halted key with `MaxFeeders` values and a full history.
	#[benchmark]
	fn reset_breaker() -> Result<(), BenchmarkError> {
		let origin =
			T::RiskAdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let feeders = setup_feeders::<T>(&account("feeder", 0, 0));
		let keys = track_keys::<T>(1);
		let key = *keys.first().ok_or(BenchmarkError::Stop("no key"))?;
		T::BenchmarkHelper::set_time(T0);
		fill_key::<T>(key, &feeders, None, T0, T0);
		KeyStates::<T>::mutate(key, |s| {
			if let Some(s) = s {
				s.halt = Some(Halt { reference: val(0), since: T0, agreed_since: None });
			}
		});
		T::BenchmarkHelper::set_time(T0 + 3_000);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, key);

		assert!(KeyStates::<T>::get(key).is_some_and(|s| s.halt.is_none()));
		Ok(())
	}

	/// `MaxKeys` tracked keys with `MaxFeeders` values and full histories, of which `k` expire:
	/// their oldest value ages out, which moves the median (breaker check, new step).
	#[benchmark]
	fn on_initialize(k: Linear<0, { T::MaxKeys::get() }>) -> Result<(), BenchmarkError> {
		let feeders = setup_feeders::<T>(&account("feeder", 0, 0));
		let oldest = feeders.first().cloned();
		let keys = track_keys::<T>(T::MaxKeys::get());
		let max_age = Params::<T>::get().max_age;
		T::BenchmarkHelper::set_time(T0 + 1_000);
		for (i, key) in keys.iter().enumerate() {
			if (i as u32) < k {
				fill_key::<T>(*key, &feeders, oldest.as_ref(), T0, T0 + 1_000);
			} else {
				fill_key::<T>(*key, &feeders, None, T0 + 1_000, T0 + 1_000);
			}
		}
		let now = T0 + max_age + 1;
		T::BenchmarkHelper::set_time(now);
		let block: BlockNumberFor<T> = 2u32.into();

		#[block]
		{
			Pallet::<T>::on_initialize(block);
		}

		let refreshed = keys
			.iter()
			.filter(|key| KeyStates::<T>::get(*key).is_some_and(|s| s.computed_at == now))
			.count();
		assert_eq!(refreshed, k as usize);
		Ok(())
	}

	/// The extension's validation of a feed of `MaxFeedValues` new keys by one of `MaxFeeders`
	/// feeders.
	#[benchmark]
	fn check_feeder() -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		setup_feeders::<T>(&caller);
		frame_system::Pallet::<T>::set_block_number(2u32.into());
		LastFeedBlock::<T>::insert(&caller, BlockNumberFor::<T>::from(1u32));
		let values: Vec<(OracleKey, FixedU128)> =
			(0..T::MaxFeedValues::get()).map(|i| (T::BenchmarkHelper::key(i), val(i))).collect();
		let result;

		#[block]
		{
			result = Pallet::<T>::check_feed(&caller, &values);
		}

		assert!(result.is_ok());
		Ok(())
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
