//! The oracle's logic: feed checks, aggregation, circuit breaker, history, feeders,
//! parameters, the views behind the runtime API, and the [`PriceProvider`] implementation. The
//! dispatchables in `lib.rs` only check the origin and call here.

use crate::{math, pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{Contains, Get, Time},
};
use solvent_primitives::{
	within_step, AssetId, Moment, OracleKey, PriceError, PriceProvider, PriceStatus,
	TimestampedValue,
};
use sp_arithmetic::{traits::Zero, FixedU128};
use sp_runtime::{traits::Convert, SaturatedConversion};

/// The aggregate of one key's raw values at one instant.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Aggregate {
	/// Median of the fresh values, `None` below the quorum.
	pub value: Option<FixedU128>,
	/// Dispersion of the tightest quorum of fresh values, `(max - min) / median` as a fraction
	/// of the median of all of them ([`math::dispersion`], rounded up); `None` below the quorum
	/// or with a zero median.
	pub dispersion: Option<FixedU128>,
	/// Number of fresh values.
	pub fresh: u32,
	/// Earliest instant one of the values used ages out (`Moment::MAX` without a value).
	pub valid_until: Moment,
}

/// What the circuit breaker did in a transition.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BreakerChange {
	None,
	Tripped {
		value: FixedU128,
		reference: FixedU128,
	},
	Resumed {
		value: FixedU128,
		reference: FixedU128,
	},
	/// The halt since `halted_since` lifted after the cool-off, at the quorum median `value`.
	CooledOff {
		value: FixedU128,
		halted_since: Moment,
	},
}

/// What [`Pallet::record`] did to a history ring.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Recorded {
	/// Nothing changed.
	Unchanged,
	/// The ring changed and dropped nothing.
	Changed,
	/// The ring was full: the new step pushed out its oldest step, which ran until the new
	/// oldest step's timestamp and goes to the coarse history.
	Dropped(HistoryEntry),
}

/// The new state of a key, the history step to record (`None`: record nothing), and what the
/// breaker did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Transition {
	pub state: KeyState,
	pub record: Option<Option<FixedU128>>,
	pub breaker: BreakerChange,
}

impl<T: Config> Pallet<T> {
	// ------------------------------------------------------------------ feeds

	/// Every check of a feed by `who`, without writing: `who` is a feeder that has not fed in
	/// this block, and `values` is non-empty, without duplicate keys, zero values or implied
	/// vols above [`MAX_IMPLIED_VOL`], with supported keys that fit in `MaxKeys` tracked keys.
	/// Used by `feed_values` and by the [`crate::CheckFeeder`] extension.
	///
	/// Returns the new tracked-keys list if the feed adds keys.
	pub fn check_feed(
		who: &T::AccountId,
		values: &[(OracleKey, FixedU128)],
	) -> Result<Option<BoundedVec<OracleKey, T::MaxKeys>>, Error<T>> {
		ensure!(Feeders::<T>::get().binary_search(who).is_ok(), Error::<T>::NotFeeder);
		ensure!(
			LastFeedBlock::<T>::get(who) != Some(frame_system::Pallet::<T>::block_number()),
			Error::<T>::AlreadyFed
		);
		ensure!(!values.is_empty(), Error::<T>::EmptyFeed);
		let mut tracked = TrackedKeys::<T>::get();
		let mut added = false;
		for (i, (key, value)) in values.iter().enumerate() {
			ensure!(
				!values.iter().take(i).any(|(earlier, _)| earlier == key),
				Error::<T>::DuplicateKey
			);
			ensure!(!value.is_zero(), Error::<T>::ZeroValue);
			if matches!(key, OracleKey::ImpliedVol(_)) {
				ensure!(*value <= MAX_IMPLIED_VOL, Error::<T>::ImpliedVolTooHigh);
			}
			ensure!(T::SupportedKeys::contains(key), Error::<T>::UnknownKey);
			if let Err(pos) = tracked.binary_search(key) {
				tracked.try_insert(pos, *key).map_err(|_| Error::<T>::TooManyKeys)?;
				added = true;
			}
		}
		Ok(added.then_some(tracked))
	}

	/// `feed_values` after the origin check: store each value with the block's timestamp and
	/// recompute its key.
	pub(crate) fn do_feed_values(who: T::AccountId, values: FeedOf<T>) -> DispatchResult {
		let new_tracked = Self::check_feed(&who, &values)?;
		let now = T::Time::now();
		let params = Params::<T>::get();
		LastFeedBlock::<T>::insert(&who, frame_system::Pallet::<T>::block_number());
		if let Some(tracked) = new_tracked {
			for key in tracked.iter() {
				if !KeyStates::<T>::contains_key(key) {
					KeyStates::<T>::insert(key, KeyState::default());
				}
			}
			TrackedKeys::<T>::put(tracked);
		}
		Self::deposit_event(Event::Fed { feeder: who.clone(), values: values.clone() });
		for (key, value) in values.iter() {
			let mut raw = RawValues::<T>::get(key);
			let entry = FeederValue { feeder: who.clone(), value: *value, timestamp: now };
			match raw.binary_search_by(|r| r.feeder.cmp(&who)) {
				Ok(pos) => {
					if let Some(slot) = raw.get_mut(pos) {
						*slot = entry;
					}
				}
				// Cannot fail: only current feeders (at most `MaxFeeders`) have entries.
				Err(pos) => raw.try_insert(pos, entry).map_err(|_| Error::<T>::TooManyFeeders)?,
			}
			RawValues::<T>::insert(key, &raw);
			Self::recompute(key, &raw, &params, now);
		}
		Ok(())
	}

	// ------------------------------------------------------------------ aggregation

	/// The circuit breaker's band for `key`: `max_deviation` for spot prices,
	/// `max_vol_deviation` for implied volatilities.
	pub fn breaker_band(key: &OracleKey, params: &OracleParams) -> FixedU128 {
		match key {
			OracleKey::Spot(_) => FixedU128::from(params.max_deviation),
			OracleKey::ImpliedVol(_) => params.max_vol_deviation,
		}
	}

	/// The aggregate of `raw` at `now`: the median of the values with
	/// `now - timestamp <= max_age` and the dispersion of the tightest `min_quorum` of them
	/// (`(max - min) / median` over consecutive sorted values) if there are at least
	/// `min_quorum` of them.
	pub(crate) fn aggregate(
		raw: &[FeederValue<T::AccountId>],
		params: &OracleParams,
		now: Moment,
	) -> Aggregate {
		let mut fresh = Vec::with_capacity(raw.len());
		let mut valid_until = Moment::MAX;
		for r in raw.iter().filter(|r| now.saturating_sub(r.timestamp) <= params.max_age) {
			fresh.push(r.value);
			valid_until = valid_until.min(r.timestamp.saturating_add(params.max_age));
		}
		let count: u32 = fresh.len().saturated_into();
		if count < params.min_quorum.max(1) {
			return Aggregate {
				value: None,
				dispersion: None,
				fresh: count,
				valid_until: Moment::MAX,
			};
		}
		// `median` sorts `fresh`. The dispersion is that of the tightest quorum of values
		// (consecutive once sorted): a quorum that agrees is agreement, so one feeder off the
		// others (a fault or an attack) cannot hold a halted key forever.
		let value = math::median(&mut fresh);
		let quorum = (params.min_quorum.max(1) as usize).min(fresh.len()).max(1);
		let dispersion = value.and_then(|median| {
			fresh
				.windows(quorum)
				.filter_map(|w| math::dispersion(*w.first()?, *w.last()?, median))
				.min()
		});
		Aggregate { value, dispersion, fresh: count, valid_until }
	}

	/// Whether the feeds *agree* in `agg`: it has a quorum and a dispersion of at most
	/// `max_dispersion` (the condition under which a halt cools off).
	pub(crate) fn feeds_agree(agg: &Aggregate, params: &OracleParams) -> bool {
		agg.value.is_some()
			&& agg.dispersion.is_some_and(|d| math::within_dispersion(d, params.max_dispersion))
	}

	/// The transition of a key from `prev` given its new aggregate `agg` at `now`, with the
	/// circuit breaker applied against `reference(start)`, the TWAP of the key's history (before
	/// this step) over `[start, now]`, asked for only when an available aggregate is compared.
	/// Pure apart from what `reference` reads.
	///
	/// Available: a value deviating from the reference TWAP by more than the band trips the
	/// breaker (with `agreed_since = now` if the feeds already agree). Halted, in this order:
	/// a value back within the band of the pre-halt reference resumes; else a value on which
	/// the feeds agree, and have agreed at every recompute for at least `breaker_cooloff` ms,
	/// resumes after the cool-off and becomes the new reference (`reference_from = now`, as
	/// `reset_breaker`); else the key stays halted, `agreed_since` kept while the feeds agree,
	/// set to `now` when they start to, cleared when they do not.
	pub(crate) fn transition(
		key: &OracleKey,
		prev: &KeyState,
		agg: Aggregate,
		params: &OracleParams,
		now: Moment,
		reference: impl FnOnce(Moment) -> Option<FixedU128>,
	) -> Transition {
		let band = Self::breaker_band(key, params);
		let mut state = KeyState {
			aggregate: agg.value,
			fresh: agg.fresh,
			computed_at: now,
			valid_until: agg.valid_until,
			halt: prev.halt,
			reference_from: prev.reference_from,
		};
		let (record, breaker) = match (prev.halt, agg.value) {
			(None, Some(value)) => {
				let start = now.saturating_sub(params.breaker_window).max(prev.reference_from);
				match reference(start) {
					Some(reference) if math::deviates_by(value, reference, band) => {
						let agreed_since = Self::feeds_agree(&agg, params).then_some(now);
						state.halt = Some(Halt { reference, since: now, agreed_since });
						(Some(None), BreakerChange::Tripped { value, reference })
					}
					_ => (Some(Some(value)), BreakerChange::None),
				}
			}
			(None, None) => (Some(None), BreakerChange::None),
			(Some(halt), Some(value)) if !math::deviates_by(value, halt.reference, band) => {
				state.halt = None;
				(Some(Some(value)), BreakerChange::Resumed { value, reference: halt.reference })
			}
			(Some(halt), _) => {
				let agreed_since =
					Self::feeds_agree(&agg, params).then(|| halt.agreed_since.unwrap_or(now));
				let cooled = agreed_since
					.is_some_and(|since| now.saturating_sub(since) >= params.breaker_cooloff);
				match agg.value {
					Some(value) if cooled => {
						state.halt = None;
						state.reference_from = now;
						(
							Some(Some(value)),
							BreakerChange::CooledOff { value, halted_since: halt.since },
						)
					}
					// Still halted: the halt step is already recorded.
					_ => {
						state.halt = Some(Halt { agreed_since, ..halt });
						(None, BreakerChange::None)
					}
				}
			}
		};
		Transition { state, record, breaker }
	}

	/// Recompute `key` from `raw` at `now` and write the result.
	pub(crate) fn recompute(
		key: &OracleKey,
		raw: &[FeederValue<T::AccountId>],
		params: &OracleParams,
		now: Moment,
	) {
		let prev = KeyStates::<T>::get(key).unwrap_or_default();
		let agg = Self::aggregate(raw, params, now);
		let mut history = History::<T>::get(key);
		let transition = Self::transition(key, &prev, agg, params, now, |start| {
			Self::reference_twap(key, &history, start, now)
		});
		Self::apply(key, &prev, transition, &mut history, now);
	}

	/// The breaker's reference: the TWAP of `key` over `[start, end]` from its exact ring
	/// `history`, and from its coarse history if the window starts before the ring's oldest
	/// step (only then is the coarse history read).
	pub(crate) fn reference_twap(
		key: &OracleKey,
		history: &[HistoryEntry],
		start: Moment,
		end: Moment,
	) -> Option<FixedU128> {
		if history.first().is_some_and(|first| first.timestamp <= start) {
			math::time_weighted_average(history, start, end)
		} else {
			let buckets = CoarseHistory::<T>::get(key);
			math::twap_with_coverage(history, &buckets, start, end).map(|(value, _)| value)
		}
	}

	/// Fold the step `dropped` the ring of `key` dropped, which ran on
	/// `[dropped.timestamp, end)`, into its coarse history.
	fn fold_dropped(key: &OracleKey, dropped: HistoryEntry, end: Moment) {
		CoarseHistory::<T>::mutate(key, |buckets| {
			let mut all = buckets.to_vec();
			math::fold_into_buckets(&mut all, dropped.timestamp, end, dropped.value);
			// At most `HISTORY_BUCKETS` remain after the fold; keep the newest regardless.
			let excess = all.len().saturating_sub(HISTORY_BUCKETS as usize);
			all.drain(..excess);
			*buckets = BoundedVec::truncate_from(all);
		});
	}

	/// Write a transition: the state, the history step, and the events.
	fn apply(
		key: &OracleKey,
		prev: &KeyState,
		transition: Transition,
		history: &mut BoundedVec<HistoryEntry, T::HistoryLength>,
		now: Moment,
	) {
		let Transition { state, record, breaker } = transition;
		KeyStates::<T>::insert(key, state);
		if let Some(value) = record {
			match Self::record(history, now, value) {
				Recorded::Unchanged => {}
				Recorded::Changed => History::<T>::insert(key, &*history),
				Recorded::Dropped(dropped) => {
					History::<T>::insert(key, &*history);
					let end = history.first().map_or(now, |first| first.timestamp);
					Self::fold_dropped(key, dropped, end);
				}
			}
		}
		if (prev.aggregate, prev.fresh) != (state.aggregate, state.fresh) {
			Self::deposit_event(Event::AggregateUpdated {
				key: *key,
				value: state.aggregate,
				fresh: state.fresh,
			});
		}
		match breaker {
			BreakerChange::Tripped { value, reference } => {
				Self::deposit_event(Event::BreakerTripped { key: *key, value, reference })
			}
			BreakerChange::Resumed { value, reference } => {
				Self::deposit_event(Event::BreakerResumed { key: *key, value, reference })
			}
			BreakerChange::CooledOff { value, halted_since } => {
				Self::deposit_event(Event::BreakerCooledOff { key: *key, value, halted_since })
			}
			BreakerChange::None => {}
		}
		let (old, new) = (prev.status(), state.status());
		if old != new {
			Self::deposit_event(Event::StatusChanged { key: *key, old, new });
		}
	}

	/// Record the step `value` from `now` in `history`: overwrite the last step if it starts at
	/// `now` (the same block), skip a step equal to the last one, drop the oldest step when the
	/// ring is full. Returns what changed (the dropped step goes to the coarse history).
	pub(crate) fn record(
		history: &mut BoundedVec<HistoryEntry, T::HistoryLength>,
		now: Moment,
		value: Option<FixedU128>,
	) -> Recorded {
		let len = history.len();
		match history.last_mut() {
			Some(last) if last.timestamp >= now => {
				if last.value == value {
					return Recorded::Unchanged;
				}
				last.value = value;
				// The overwritten step may now repeat its predecessor (or be a leading gap).
				let redundant = match len.checked_sub(2).and_then(|i| history.get(i)) {
					Some(previous) => previous.value == value,
					None => value.is_none(),
				};
				if redundant {
					history.pop();
				}
				Recorded::Changed
			}
			Some(last) if last.value == value => Recorded::Unchanged,
			// Nothing is known before the first step: a leading gap needs no step.
			None if value.is_none() => Recorded::Unchanged,
			_ => {
				let entry = HistoryEntry { timestamp: now, value };
				// Cannot fail: `HistoryLength >= 2` (integrity test) and we append at `len`.
				match history.force_insert_keep_right(len, entry) {
					Ok(Some(dropped)) => Recorded::Dropped(dropped),
					_ => Recorded::Changed,
				}
			}
		}
	}

	/// `on_initialize`: rewrite the state of every tracked key whose `valid_until` is before
	/// `now`. Returns how many keys were rewritten.
	pub(crate) fn refresh_expired(now: Moment) -> u32 {
		let params = Params::<T>::get();
		let mut refreshed = 0u32;
		for key in TrackedKeys::<T>::get().iter() {
			let expired = KeyStates::<T>::get(key).is_some_and(|s| now > s.valid_until);
			if expired {
				Self::recompute(key, &RawValues::<T>::get(key), &params, now);
				refreshed = refreshed.saturating_add(1);
			}
		}
		refreshed
	}

	// ------------------------------------------------------------------ feeders

	/// `add_feeder` after the origin check.
	pub(crate) fn do_add_feeder(who: T::AccountId) -> DispatchResult {
		let mut feeders = Feeders::<T>::get();
		let Err(pos) = feeders.binary_search(&who) else {
			return Err(Error::<T>::AlreadyFeeder.into());
		};
		feeders.try_insert(pos, who.clone()).map_err(|_| Error::<T>::TooManyFeeders)?;
		Feeders::<T>::put(feeders);
		Self::deposit_event(Event::FeederAdded { who });
		Ok(())
	}

	/// `remove_feeder` after the origin check: remove `who`, its last-feed block and its raw
	/// values (at most `MaxKeys`), and recompute the keys it had values for.
	pub(crate) fn do_remove_feeder(who: T::AccountId) -> DispatchResult {
		let mut feeders = Feeders::<T>::get();
		let pos = feeders.binary_search(&who).map_err(|_| Error::<T>::FeederNotFound)?;
		feeders.remove(pos);
		Feeders::<T>::put(feeders);
		LastFeedBlock::<T>::remove(&who);
		let mut affected = Vec::new();
		for key in TrackedKeys::<T>::get().iter() {
			let mut raw = RawValues::<T>::get(key);
			if let Ok(i) = raw.binary_search_by(|r| r.feeder.cmp(&who)) {
				raw.remove(i);
				if raw.is_empty() {
					RawValues::<T>::remove(key);
				} else {
					RawValues::<T>::insert(key, &raw);
				}
				affected.push((*key, raw));
			}
		}
		Self::deposit_event(Event::FeederRemoved {
			who,
			values_removed: affected.len().saturated_into(),
		});
		let (params, now) = (Params::<T>::get(), T::Time::now());
		for (key, raw) in affected {
			Self::recompute(&key, &raw, &params, now);
		}
		Ok(())
	}

	// ------------------------------------------------------------------ parameters

	/// Check every field of `params` against its hard bounds.
	pub fn check_bounds(params: &OracleParams) -> Result<(), Error<T>> {
		ensure!(
			(MIN_MAX_AGE..=MAX_MAX_AGE).contains(&params.max_age),
			Error::<T>::MaxAgeOutOfBounds
		);
		ensure!(
			(1..=T::MaxFeeders::get()).contains(&params.min_quorum),
			Error::<T>::MinQuorumOutOfBounds
		);
		ensure!(
			params.max_deviation >= MIN_MAX_DEVIATION && params.max_deviation <= MAX_MAX_DEVIATION,
			Error::<T>::MaxDeviationOutOfBounds
		);
		ensure!(
			params.max_vol_deviation >= MIN_MAX_VOL_DEVIATION
				&& params.max_vol_deviation <= MAX_MAX_VOL_DEVIATION,
			Error::<T>::MaxVolDeviationOutOfBounds
		);
		ensure!(
			(MIN_BREAKER_WINDOW..=MAX_BREAKER_WINDOW).contains(&params.breaker_window),
			Error::<T>::BreakerWindowOutOfBounds
		);
		ensure!(
			(MIN_BREAKER_COOLOFF..=MAX_BREAKER_COOLOFF).contains(&params.breaker_cooloff),
			Error::<T>::BreakerCooloffOutOfBounds
		);
		ensure!(
			params.max_dispersion >= MIN_MAX_DISPERSION
				&& params.max_dispersion <= MAX_MAX_DISPERSION,
			Error::<T>::MaxDispersionOutOfBounds
		);
		Ok(())
	}

	/// Check that every field moves by at most [`MAX_PARAM_STEP`] of its current value.
	pub fn check_steps(old: &OracleParams, new: &OracleParams) -> Result<(), Error<T>> {
		let step = |a: u128, b: u128| within_step(a, b, MAX_PARAM_STEP);
		ensure!(step(old.max_age.into(), new.max_age.into()), Error::<T>::MaxAgeStepTooLarge);
		ensure!(
			step(old.min_quorum.into(), new.min_quorum.into()),
			Error::<T>::MinQuorumStepTooLarge
		);
		ensure!(
			step(old.max_deviation.deconstruct().into(), new.max_deviation.deconstruct().into()),
			Error::<T>::MaxDeviationStepTooLarge
		);
		ensure!(
			step(old.max_vol_deviation.into_inner(), new.max_vol_deviation.into_inner()),
			Error::<T>::MaxVolDeviationStepTooLarge
		);
		ensure!(
			step(old.breaker_window.into(), new.breaker_window.into()),
			Error::<T>::BreakerWindowStepTooLarge
		);
		ensure!(
			step(old.breaker_cooloff.into(), new.breaker_cooloff.into()),
			Error::<T>::BreakerCooloffStepTooLarge
		);
		ensure!(
			step(old.max_dispersion.deconstruct().into(), new.max_dispersion.deconstruct().into()),
			Error::<T>::MaxDispersionStepTooLarge
		);
		Ok(())
	}

	/// `set_params` after the origin check: bounds, steps, then recompute every key.
	pub(crate) fn do_set_params(params: OracleParams) -> DispatchResult {
		Self::check_bounds(&params)?;
		let old = Params::<T>::get();
		Self::check_steps(&old, &params)?;
		Params::<T>::put(params);
		Self::deposit_event(Event::ParamsSet { old, new: params });
		let now = T::Time::now();
		for key in TrackedKeys::<T>::get().iter() {
			Self::recompute(key, &RawValues::<T>::get(key), &params, now);
		}
		Ok(())
	}

	/// `reset_breaker` after the origin check: lift the halt of `key`, accept its current
	/// aggregate (recorded in the history) and make the breaker ignore the history before now.
	pub(crate) fn do_reset_breaker(key: OracleKey) -> DispatchResult {
		let prev = KeyStates::<T>::get(key).ok_or(Error::<T>::NotHalted)?;
		ensure!(prev.halt.is_some(), Error::<T>::NotHalted);
		let (params, now) = (Params::<T>::get(), T::Time::now());
		let agg = Self::aggregate(&RawValues::<T>::get(key), &params, now);
		let state = KeyState {
			aggregate: agg.value,
			fresh: agg.fresh,
			computed_at: now,
			valid_until: agg.valid_until,
			halt: None,
			reference_from: now,
		};
		Self::deposit_event(Event::BreakerReset { key, value: agg.value });
		let transition =
			Transition { state, record: Some(agg.value), breaker: BreakerChange::None };
		let mut history = History::<T>::get(key);
		Self::apply(&key, &prev, transition, &mut history, now);
		Ok(())
	}

	// ------------------------------------------------------------------ views

	/// The state of `key` as consumers see it at `now`: the stored state while
	/// `now <= valid_until`, else recomputed from the raw values (breaker included) without
	/// writing. `None` for an untracked key.
	pub fn current_state(key: &OracleKey, now: Moment) -> Option<KeyState> {
		let state = KeyStates::<T>::get(key)?;
		if now <= state.valid_until {
			return Some(state);
		}
		let params = Params::<T>::get();
		let agg = Self::aggregate(&RawValues::<T>::get(key), &params, now);
		// The breaker only reads the history when it compares a new value.
		let transition = Self::transition(key, &state, agg, &params, now, |start| {
			Self::reference_twap(key, &History::<T>::get(key), start, now)
		});
		Some(transition.state)
	}

	/// Time-weighted average of `key` over `[end - window, end]` (ms) at time `now`: `end` is
	/// capped at `now`, a zero window gives the value in force at `end`. See the module docs.
	pub fn twap_at(
		key: &OracleKey,
		window: Moment,
		end: Moment,
		now: Moment,
	) -> Result<FixedU128, PriceError> {
		Self::twap_with_coverage_at(key, window, end, now).map(|(value, _)| value)
	}

	/// [`Self::twap_at`] and its *coverage*: the ms of `[end - window, min(end, now)]` in which
	/// `key` had an available value (the exact ring's steps, and the coarse history's buckets
	/// pro rata for the part of the window before the ring's oldest step). A consumer compares
	/// it with `window` to refuse a TWAP of a window mostly without prices. A zero window gives
	/// the value in force at `end` with coverage 0. `NoHistory` without any available time.
	///
	/// Reads the coarse history only if the window starts before the ring's oldest step. The
	/// options pallet reads it through `Convert<(key, window, end), Result<(twap, coverage),
	/// PriceError>>` until `PriceProvider` has such a method.
	pub fn twap_with_coverage_at(
		key: &OracleKey,
		window: Moment,
		end: Moment,
		now: Moment,
	) -> Result<(FixedU128, Moment), PriceError> {
		let history = History::<T>::get(key);
		let capped = end.min(now);
		if window.is_zero() {
			return math::value_at(&history, capped).map(|v| (v, 0)).ok_or(PriceError::NoHistory);
		}
		let start = end.saturating_sub(window);
		let buckets = if history.first().is_none_or(|first| start < first.timestamp) {
			CoarseHistory::<T>::get(key).into_inner()
		} else {
			Vec::new()
		};
		math::twap_with_coverage(&history, &buckets, start, capped).ok_or(PriceError::NoHistory)
	}

	/// The last value of `key` available at or before `end` (capped at `now`), with the end
	/// (ms, exclusive) of the time it was available as its `timestamp`: from the exact ring, or
	/// from the coarse history if the ring has no available step before `end`
	/// ([`math::last_available`]). `NoHistory` if none is kept. Reads the coarse history only
	/// when needed.
	///
	/// The options pallet reads it through `Convert<(key, end), Result<TimestampedValue,
	/// PriceError>>` until `PriceProvider` has such a method.
	pub fn last_available_at(
		key: &OracleKey,
		end: Moment,
		now: Moment,
	) -> Result<TimestampedValue, PriceError> {
		let history = History::<T>::get(key);
		let capped = end.min(now);
		let found = math::last_available(&history, &[], capped).or_else(|| {
			let buckets = CoarseHistory::<T>::get(key);
			math::last_available(&history, &buckets, capped)
		});
		found
			.map(|(until, value)| TimestampedValue { value, timestamp: until })
			.ok_or(PriceError::NoHistory)
	}

	/// A credible upper bound of `key`'s value at `now`
	/// ([`PriceProvider::spot_upper_bound`]): the available aggregate if the key is available;
	/// otherwise the highest of
	///
	/// 1. the last accepted aggregate: the last value available to consumers at or before
	///    `now` ([`Self::last_available_at`], the exact ring, else the coarse history: up to
	///    [`HISTORY_SPAN`] back);
	/// 2. while halted, the circuit breaker's reference (the TWAP of accepted aggregates the
	///    halting one deviated from, [`Halt::reference`]);
	/// 3. while halted, the quorum median the breaker holds back ([`KeyState::aggregate`]);
	/// 4. the median of every current feeder's latest value, fresh or stale ([`RawValues`]).
	///
	/// Each is a price a majority of the feeders stands behind (an accepted aggregate, a TWAP
	/// of them, or a median), so no minority of feeders can raise the bound: the maximum of the
	/// raw values is deliberately not a candidate (one feeder submitting `10^9` would
	/// otherwise let a dust holding cover any loss). The highest of them covers both ways a key
	/// becomes unavailable: a halt on a crash (the pre-halt price, 1 and 2, is the higher), a
	/// halt on a jump (the held-back median, 3 and 4), and staleness (the last accepted price
	/// and the feeders' last values).
	///
	/// Reads at most the key's state, raw values (`MaxFeeders`), exact ring (`HistoryLength`)
	/// and, if the ring holds no available step, its coarse history ([`HISTORY_BUCKETS`]).
	/// Errors: [`PriceError::NoHistory`] if none of them exists (never fed, or every value
	/// aged out of the history and every feeder removed).
	pub fn upper_bound_at(key: &OracleKey, now: Moment) -> Result<FixedU128, PriceError> {
		let state = Self::current_state(key, now).unwrap_or_default();
		if let (PriceStatus::Available, Some(value)) = (state.status(), state.aggregate) {
			return Ok(value);
		}
		let mut latest: Vec<FixedU128> = RawValues::<T>::get(key).iter().map(|r| r.value).collect();
		// The lower median of the feeders' latest values (with an even count, the lower of the
		// two middle values, not their average): half of the feeders quoting an absurd price
		// cannot lift the bound (red-team review; the held-back aggregate, an average of the
		// two middle values, is left out for the same reason: the raw values it came from are
		// here).
		latest.sort_unstable();
		let lower_median =
			latest.len().checked_sub(1).and_then(|last| latest.get(last / 2)).copied();
		let candidates = [
			Self::last_available_at(key, now, now).ok().map(|v| v.value),
			state.halt.map(|h| h.reference),
			lower_median,
		];
		candidates.into_iter().flatten().max().ok_or(PriceError::NoHistory)
	}

	/// How far behind now every key's history reaches at least (ms): [`HISTORY_SPAN`]. The
	/// options pallet checks its longest settlement window and lookback against it (its
	/// integrity test), through `Convert<(), Moment>`.
	pub fn history_span() -> Moment {
		HISTORY_SPAN
	}

	/// Everything about `key` now (runtime API `OracleApi::value`); `None` if never fed.
	pub fn key_info(key: OracleKey) -> Option<KeyInfo<T::AccountId>> {
		let now = T::Time::now();
		let state = Self::current_state(&key, now)?;
		let params = Params::<T>::get();
		let raw = RawValues::<T>::get(key);
		let fresh = raw
			.iter()
			.filter(|r| now.saturating_sub(r.timestamp) <= params.max_age)
			.count()
			.saturated_into();
		Some(KeyInfo {
			key,
			value: state.aggregate,
			status: state.status(),
			age: state.aggregate.map(|_| now.saturating_sub(state.computed_at)),
			fresh,
			halt_reference: state.halt.map(|h| h.reference),
			feeders: raw.into_inner(),
		})
	}

	/// [`Self::key_info`] of every tracked key (runtime API `OracleApi::values`).
	pub fn all_key_info() -> Vec<KeyInfo<T::AccountId>> {
		TrackedKeys::<T>::get().iter().filter_map(|key| Self::key_info(*key)).collect()
	}

	// ------------------------------------------------------------------ invariants

	/// The pallet's invariants (run by `try_state` and after every test).
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let params = Params::<T>::get();
		Self::check_bounds(&params).map_err(|_| "params out of bounds")?;

		let feeders = Feeders::<T>::get();
		ensure!(feeders.windows(2).all(|w| w[0] < w[1]), "feeders not sorted and unique");
		for (who, _) in LastFeedBlock::<T>::iter() {
			ensure!(feeders.binary_search(&who).is_ok(), "last-feed block of a non-feeder");
		}

		let tracked = TrackedKeys::<T>::get();
		ensure!(tracked.windows(2).all(|w| w[0] < w[1]), "tracked keys not sorted and unique");
		ensure!(
			KeyStates::<T>::iter_keys().count() == tracked.len(),
			"key states do not match tracked keys"
		);
		for (key, raw) in RawValues::<T>::iter() {
			ensure!(tracked.binary_search(&key).is_ok(), "raw values of an untracked key");
			ensure!(!raw.is_empty(), "empty raw values entry");
			ensure!(raw.windows(2).all(|w| w[0].feeder < w[1].feeder), "raw values not sorted");
			for r in raw.iter() {
				ensure!(feeders.binary_search(&r.feeder).is_ok(), "raw value of a non-feeder");
				ensure!(!r.value.is_zero(), "zero raw value");
			}
		}
		for (key, history) in History::<T>::iter() {
			ensure!(tracked.binary_search(&key).is_ok(), "history of an untracked key");
			ensure!(
				history.len() <= T::HistoryLength::get().saturated_into::<usize>(),
				"history longer than HistoryLength"
			);
			ensure!(
				history.windows(2).all(|w| w[0].timestamp < w[1].timestamp),
				"history not strictly increasing in time"
			);
			ensure!(history.windows(2).all(|w| w[0].value != w[1].value), "history repeats a step");
		}
		for (key, buckets) in CoarseHistory::<T>::iter() {
			ensure!(tracked.binary_search(&key).is_ok(), "coarse history of an untracked key");
			for b in buckets.iter() {
				ensure!(b.start < b.end, "empty coarse bucket");
				ensure!((b.end - 1) / HISTORY_BUCKET == b.slot(), "coarse bucket across slots");
				ensure!(b.available <= b.end - b.start, "coarse bucket more available than long");
				ensure!(
					b.last.is_some_and(|(until, _)| b.start < until && until <= b.end),
					"coarse bucket without a last value in it"
				);
			}
			ensure!(
				buckets.windows(2).all(|w| w[0].slot() < w[1].slot() && w[0].end <= w[1].start),
				"coarse buckets not in slot order"
			);
			if let (Some(newest), Some(oldest)) = (buckets.last(), buckets.first()) {
				ensure!(
					newest.slot() - oldest.slot() < Moment::from(HISTORY_BUCKETS),
					"coarse buckets beyond HISTORY_BUCKETS slots"
				);
				let ring_start = History::<T>::get(key).first().map(|e| e.timestamp);
				ensure!(
					ring_start.is_some_and(|start| newest.end <= start),
					"coarse history overlaps the exact ring"
				);
			}
		}
		for key in tracked.iter() {
			let state = KeyStates::<T>::get(key).ok_or("tracked key without state")?;
			let raw_len = RawValues::<T>::decode_len(key).unwrap_or(0);
			ensure!(state.fresh.saturated_into::<usize>() <= raw_len, "more fresh than raw values");
			match state.aggregate {
				Some(_) => {
					ensure!(state.fresh >= params.min_quorum, "aggregate below the quorum");
					ensure!(
						state.computed_at <= state.valid_until,
						"aggregate valid before computed"
					);
				}
				None => ensure!(state.valid_until == Moment::MAX, "no quorum with a deadline"),
			}
			let last = History::<T>::get(key).last().map(|e| e.value);
			if let Some(halt) = state.halt {
				ensure!(last.flatten().is_none(), "halted key with an available last step");
				if let Some(agreed_since) = halt.agreed_since {
					ensure!(
						halt.since <= agreed_since && agreed_since <= state.computed_at,
						"cool-off started outside the halt"
					);
					ensure!(state.aggregate.is_some(), "feeds agree without a quorum");
				}
			}
			if state.status() == PriceStatus::Available {
				ensure!(last == Some(state.aggregate), "available aggregate not the last step");
			}
		}
		Ok(())
	}
}

impl<T: Config> PriceProvider for Pallet<T> {
	fn supports(key: &OracleKey) -> bool {
		T::SupportedKeys::contains(key)
	}

	fn get(key: &OracleKey) -> Result<TimestampedValue, PriceError> {
		let state = Self::current_state(key, T::Time::now()).unwrap_or_default();
		match (state.status(), state.aggregate) {
			(PriceStatus::Available, Some(value)) => {
				Ok(TimestampedValue { value, timestamp: state.computed_at })
			}
			(PriceStatus::Halted, _) => Err(PriceError::Halted),
			_ => Err(PriceError::NoQuorum),
		}
	}

	fn status(key: &OracleKey) -> PriceStatus {
		Self::current_state(key, T::Time::now()).unwrap_or_default().status()
	}

	fn twap(key: &OracleKey, window: Moment, end: Moment) -> Result<FixedU128, PriceError> {
		Self::twap_at(key, window, end, T::Time::now())
	}

	fn spot_upper_bound(asset: AssetId) -> Result<FixedU128, PriceError> {
		Self::upper_bound_at(&OracleKey::Spot(asset), T::Time::now())
	}
}

/// The TWAP of `(key, window, end)` with its coverage (ms): [`Pallet::twap_with_coverage_at`]
/// now. A query `PriceProvider` lacks, for the options pallet's settlement.
impl<T: Config> Convert<(OracleKey, Moment, Moment), Result<(FixedU128, Moment), PriceError>>
	for Pallet<T>
{
	fn convert(
		(key, window, end): (OracleKey, Moment, Moment),
	) -> Result<(FixedU128, Moment), PriceError> {
		Self::twap_with_coverage_at(&key, window, end, T::Time::now())
	}
}

/// The last value of `(key, end)` available at or before `end`, with the end of the time it
/// was available: [`Pallet::last_available_at`] now. For the options pallet's settlement.
impl<T: Config> Convert<(OracleKey, Moment), Result<TimestampedValue, PriceError>> for Pallet<T> {
	fn convert((key, end): (OracleKey, Moment)) -> Result<TimestampedValue, PriceError> {
		Self::last_available_at(&key, end, T::Time::now())
	}
}

/// The history every key keeps behind now (ms): [`Pallet::history_span`]. For the options
/// pallet's integrity test.
impl<T: Config> Convert<(), Moment> for Pallet<T> {
	fn convert(_: ()) -> Moment {
		Self::history_span()
	}
}
