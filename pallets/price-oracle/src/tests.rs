//! Tests of the price oracle. Values are `FixedU128`: USD per whole unit for spot keys,
//! annualized fractions for implied vols. Times are ms; `G` is the genesis time and every
//! block lasts `BLOCK_TIME` = 3 s.

use crate::{
	extension::{
		INVALID_DUPLICATE_KEY, INVALID_EMPTY_FEED, INVALID_IMPLIED_VOL_TOO_HIGH,
		INVALID_TOO_MANY_KEYS, INVALID_UNKNOWN_KEY, INVALID_ZERO_VALUE,
	},
	math,
	mock::*,
	CheckFeeder, CoarseHistory, Error, Event, FeederValue, Feeders, Halt, History, HistoryBucket,
	HistoryEntry, KeyInfo, KeyState, KeyStates, LastFeedBlock, OracleParams, Params, RawValues,
	TrackedKeys, HISTORY_BUCKET, HISTORY_BUCKETS, HISTORY_SPAN, MAX_BREAKER_WINDOW,
	MAX_IMPLIED_VOL, MAX_MAX_AGE,
};
use codec::{Decode, Encode};
use frame_support::{
	assert_noop, assert_ok, assert_storage_noop,
	dispatch::{GetDispatchInfo, Pays},
	traits::Hooks,
	weights::Weight,
};
use solvent_primitives::{PriceError, PriceProvider, PriceStatus, TimestampedValue};
use sp_arithmetic::{FixedU128, Permill};
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	DispatchError,
};

const G: u64 = GENESIS_TIME;

/// A list of `(key, value)` pairs.
type Feed = Vec<(solvent_primitives::OracleKey, FixedU128)>;

fn feed(who: AccountId, values: &[(solvent_primitives::OracleKey, FixedU128)]) {
	assert_ok!(PriceOracle::feed_values(RuntimeOrigin::signed(who), feed_of(values)));
}

/// Each of `feeders` feeds `key` with the matching value, in one block.
fn feed_all(key: solvent_primitives::OracleKey, feeders: &[AccountId], values: &[u128]) {
	for (who, v) in feeders.iter().zip(values) {
		feed(*who, &[(key, int(*v))]);
	}
}

fn get(key: solvent_primitives::OracleKey) -> Result<TimestampedValue, PriceError> {
	<PriceOracle as PriceProvider>::get(&key)
}

fn value(key: solvent_primitives::OracleKey) -> Result<FixedU128, PriceError> {
	get(key).map(|v| v.value)
}

fn status(key: solvent_primitives::OracleKey) -> PriceStatus {
	<PriceOracle as PriceProvider>::status(&key)
}

fn twap(
	key: solvent_primitives::OracleKey,
	window: u64,
	end: u64,
) -> Result<FixedU128, PriceError> {
	<PriceOracle as PriceProvider>::twap(&key, window, end)
}

fn history(key: solvent_primitives::OracleKey) -> Vec<(u64, Option<FixedU128>)> {
	History::<Test>::get(key).iter().map(|e| (e.timestamp, e.value)).collect()
}

fn set_now(t: u64) {
	pallet_timestamp::Now::<Test>::put(t);
}

fn state(key: solvent_primitives::OracleKey) -> KeyState {
	KeyStates::<Test>::get(key).expect("tracked key")
}

/// Quorum of one and a 100% band: the history follows every feed (TWAP tests).
fn loose_params() -> OracleParams {
	OracleParams {
		max_age: 30_000,
		min_quorum: 1,
		max_deviation: Permill::from_percent(100),
		max_vol_deviation: FixedU128::from_u32(10),
		breaker_window: 60_000,
		breaker_cooloff: 60_000,
		max_dispersion: Permill::from_percent(2),
	}
}

fn feed_call(values: &[(solvent_primitives::OracleKey, FixedU128)]) -> RuntimeCall {
	RuntimeCall::PriceOracle(crate::Call::feed_values { values: feed_of(values) })
}

fn validate_ext(who: AccountId, call: &RuntimeCall) -> Result<(), TransactionValidityError> {
	CheckFeeder::<Test>::new()
		.validate_only(
			RuntimeOrigin::signed(who),
			call,
			&call.get_dispatch_info(),
			0,
			TransactionSource::External,
			0,
		)
		.map(|_| ())
}

// ------------------------------------------------------------------ genesis and hooks

#[test]
fn genesis_sets_params_and_sorted_feeders() {
	ExtBuilder::default().feeders(vec![EVE, ALICE, CHARLIE]).build_and_execute(|| {
		assert_eq!(Params::<Test>::get(), default_params());
		assert_eq!(Feeders::<Test>::get().into_inner(), vec![ALICE, CHARLIE, EVE]);
		assert!(TrackedKeys::<Test>::get().is_empty());
	});
}

#[test]
#[should_panic(expected = "price oracle genesis: duplicate feeder")]
fn genesis_rejects_duplicate_feeders() {
	let _ = ExtBuilder::default().feeders(vec![ALICE, BOB, ALICE]).build();
}

#[test]
#[should_panic(expected = "price oracle genesis: more feeders than MaxFeeders")]
fn genesis_rejects_too_many_feeders() {
	let _ = ExtBuilder::default().feeders((1..=8).collect()).build();
}

#[test]
#[should_panic(expected = "price oracle genesis params out of bounds")]
fn genesis_rejects_params_out_of_bounds() {
	let _ = ExtBuilder::default()
		.params(OracleParams { min_quorum: MAX_FEEDERS + 1, ..default_params() })
		.build();
}

#[test]
fn integrity_test_passes() {
	ExtBuilder::default().build_and_execute(|| {
		<PriceOracle as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn try_state_detects_corruption() {
	ExtBuilder::default().build().execute_with(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		assert_ok!(PriceOracle::do_try_state());
		// A raw value of an account that is not a feeder.
		RawValues::<Test>::mutate(BTC_SPOT, |raw| {
			raw.try_push(FeederValue { feeder: MALLORY, value: int(1), timestamp: G }).unwrap()
		});
		assert!(PriceOracle::do_try_state().is_err());
		RawValues::<Test>::mutate(BTC_SPOT, |raw| {
			raw.pop();
		});
		assert_ok!(PriceOracle::do_try_state());
		// Unsorted feeders.
		Feeders::<Test>::put(frame_support::BoundedVec::truncate_from(vec![BOB, ALICE]));
		assert!(PriceOracle::do_try_state().is_err());
		Feeders::<Test>::put(frame_support::BoundedVec::truncate_from(FEEDERS.to_vec()));
		// An available aggregate that is not the last history step.
		KeyStates::<Test>::mutate(BTC_SPOT, |s| s.as_mut().unwrap().aggregate = Some(int(7)));
		assert!(PriceOracle::do_try_state().is_err());
	});
}

// ------------------------------------------------------------------ aggregation

#[test]
fn median_of_odd_feeder_counts() {
	ExtBuilder::default().build_and_execute(|| {
		feed(ALICE, &[(BTC_SPOT, int(100))]);
		feed(BOB, &[(BTC_SPOT, int(300))]);
		// Two of a quorum of three: nothing yet.
		assert_eq!(get(BTC_SPOT), Err(PriceError::NoQuorum));
		assert_eq!(status(BTC_SPOT), PriceStatus::NoQuorum);
		feed(CHARLIE, &[(BTC_SPOT, int(200))]);
		assert_eq!(get(BTC_SPOT), Ok(TimestampedValue { value: int(200), timestamp: G }));
		System::assert_has_event(
			Event::AggregateUpdated { key: BTC_SPOT, value: Some(int(200)), fresh: 3 }.into(),
		);
		System::assert_has_event(
			Event::StatusChanged {
				key: BTC_SPOT,
				old: PriceStatus::NoQuorum,
				new: PriceStatus::Available,
			}
			.into(),
		);
		// Five values: 50, 100, 200, 300, 400.
		feed(DAVE, &[(BTC_SPOT, int(50))]);
		feed(EVE, &[(BTC_SPOT, int(400))]);
		assert_eq!(value(BTC_SPOT), Ok(int(200)));
		assert_eq!(state(BTC_SPOT).fresh, 5);
		assert_eq!(state(BTC_SPOT).valid_until, G + 30_000);
		assert_eq!(<PriceOracle as PriceProvider>::spot(BTC), Ok(int(200)));
	});
}

#[test]
fn median_of_even_feeder_counts_averages_the_middle_two() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE, DAVE], &[100, 200, 300, 401]);
		assert_eq!(value(BTC_SPOT), Ok(int(250)));
		next_block();
		// (201 + 202) / 2 = 201.5 exactly.
		feed_all(ETH_SPOT, &[ALICE, BOB, CHARLIE, DAVE], &[300, 201, 202, 100]);
		assert_eq!(value(ETH_SPOT), Ok(fx(4_030, 20)));
		// Six feeders: 100..600 -> (300 + 400) / 2.
		assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), FERDIE));
		next_block();
		feed_all(BTC_VOL, &[ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE], &[1, 2, 3, 4, 5, 6]);
		assert_eq!(value(BTC_VOL), Ok(fx(35, 10)));
	});
}

#[test]
fn even_median_rounds_down_at_the_last_decimal() {
	let raw = |x: u128| FixedU128::from_inner(x);
	assert_eq!(math::median(&mut [raw(2), raw(1)]), Some(raw(1)));
	assert_eq!(math::median(&mut [raw(3), raw(6)]), Some(raw(4)));
	assert_eq!(math::median(&mut [raw(u128::MAX), raw(u128::MAX - 1)]), Some(raw(u128::MAX - 1)));
	assert_eq!(math::median(&mut [raw(5)]), Some(raw(5)));
	assert_eq!(math::median(&mut []), None);
}

#[test]
fn one_outlier_among_five_stays_within_the_honest_range() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE, DAVE], &[100, 101, 102, 103]);
		// An absurdly high outlier: the median is an honest value.
		feed(EVE, &[(BTC_SPOT, int(1_000_000))]);
		assert_eq!(value(BTC_SPOT), Ok(int(102)));
		next_block();
		// An absurdly low outlier: still within [100, 103], and no breaker trip.
		feed(EVE, &[(BTC_SPOT, fx(1, 1_000_000))]);
		assert_eq!(value(BTC_SPOT), Ok(int(101)));
		assert_eq!(status(BTC_SPOT), PriceStatus::Available);
	});
}

#[test]
fn quorum_lost_makes_the_key_unavailable() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		assert_eq!(state(BTC_SPOT).valid_until, G + 30_000);
		// Age exactly max_age: still fresh.
		set_now(G + 30_000);
		assert_eq!(value(BTC_SPOT), Ok(int(100)));
		// One millisecond later: no quorum, even before any refresh wrote it, and reading
		// writes nothing.
		set_now(G + 30_001);
		assert_storage_noop!(assert_eq!(get(BTC_SPOT), Err(PriceError::NoQuorum)));
		assert_eq!(status(BTC_SPOT), PriceStatus::NoQuorum);
		assert_eq!(state(BTC_SPOT).aggregate, Some(int(100)));
		// The refresh writes it, records the gap and emits the status change.
		System::reset_events();
		PriceOracle::on_initialize(2);
		assert_eq!(state(BTC_SPOT).aggregate, None);
		assert_eq!(state(BTC_SPOT).valid_until, u64::MAX);
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(100))), (G + 30_001, None)]);
		assert_eq!(
			oracle_events(),
			vec![
				Event::AggregateUpdated { key: BTC_SPOT, value: None, fresh: 0 },
				Event::StatusChanged {
					key: BTC_SPOT,
					old: PriceStatus::Available,
					new: PriceStatus::NoQuorum
				},
			]
		);
		// A new quorum restores it.
		System::set_block_number(2);
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[101, 101, 101]);
		assert_eq!(value(BTC_SPOT), Ok(int(101)));
	});
}

#[test]
fn stale_values_drop_out_by_age() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE, DAVE, EVE], &[100, 101, 102, 103, 104]);
		assert_eq!(value(BTC_SPOT), Ok(int(102)));
		// 15 s later three feeders update: 103, 104 (old) and 105, 106, 107.
		set_now(G + 15_000);
		System::set_block_number(6);
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[105, 106, 107]);
		assert_eq!(value(BTC_SPOT), Ok(int(105)));
		// The aggregate is valid until DAVE's and EVE's values age out.
		assert_eq!(state(BTC_SPOT).valid_until, G + 30_000);
		// Then only the three fresh values count.
		set_now(G + 30_001);
		assert_eq!(value(BTC_SPOT), Ok(int(106)));
		assert_eq!(get(BTC_SPOT).map(|v| v.timestamp), Ok(G + 30_001));
		PriceOracle::on_initialize(7);
		assert_eq!(state(BTC_SPOT).aggregate, Some(int(106)));
		assert_eq!(state(BTC_SPOT).fresh, 3);
		assert_eq!(state(BTC_SPOT).valid_until, G + 45_000);
		System::assert_has_event(
			Event::AggregateUpdated { key: BTC_SPOT, value: Some(int(106)), fresh: 3 }.into(),
		);
		// And when they age out too, nothing is left.
		set_now(G + 45_001);
		assert_eq!(get(BTC_SPOT), Err(PriceError::NoQuorum));
	});
}

#[test]
fn on_initialize_refreshes_only_expired_keys() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		set_now(G + 20_000);
		System::set_block_number(2);
		feed_all(ETH_SPOT, &[ALICE, BOB, CHARLIE], &[10, 10, 10]);
		// Nothing expired yet.
		assert_storage_noop!(assert_eq!(
			PriceOracle::on_initialize(2),
			<() as crate::WeightInfo>::on_initialize(0)
		));
		set_now(G + 35_000);
		assert_eq!(PriceOracle::on_initialize(3), <() as crate::WeightInfo>::on_initialize(1));
		assert_eq!(state(BTC_SPOT).aggregate, None);
		assert_eq!(state(ETH_SPOT).aggregate, Some(int(10)));
	});
}

#[test]
fn implied_vol_keys_aggregate_like_prices() {
	ExtBuilder::default().build_and_execute(|| {
		for (who, v) in [(ALICE, fx(8, 10)), (BOB, fx(75, 100)), (CHARLIE, fx(9, 10))] {
			feed(who, &[(BTC_VOL, v)]);
		}
		assert_eq!(<PriceOracle as PriceProvider>::implied_vol(BTC), Ok(fx(8, 10)));
	});
}

#[test]
fn expired_aggregate_that_would_trip_reads_as_halted() {
	let params = OracleParams { min_quorum: 2, ..default_params() };
	ExtBuilder::default().params(params).build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		next_block();
		// 100, 100, 100, 130, 130: median still 100.
		feed_all(BTC_SPOT, &[DAVE, EVE], &[130, 130]);
		assert_eq!(value(BTC_SPOT), Ok(int(100)));
		// The three 100s age out: the median of the rest (130) deviates 30% from the TWAP.
		set_now(G + 30_001);
		assert_storage_noop!(assert_eq!(get(BTC_SPOT), Err(PriceError::Halted)));
		PriceOracle::on_initialize(3);
		assert_eq!(
			state(BTC_SPOT).halt,
			Some(Halt { reference: int(100), since: G + 30_001, agreed_since: Some(G + 30_001) })
		);
		System::assert_has_event(
			Event::BreakerTripped { key: BTC_SPOT, value: int(130), reference: int(100) }.into(),
		);
	});
}

// ------------------------------------------------------------------ circuit breaker

#[test]
fn breaker_trips_and_resumes_when_back_in_band() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		next_block();
		// 20% above the TWAP (100): halted.
		feed_all(BTC_SPOT, &[ALICE, BOB], &[120, 120]);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		System::assert_has_event(
			Event::BreakerTripped { key: BTC_SPOT, value: int(120), reference: int(100) }.into(),
		);
		System::assert_has_event(
			Event::StatusChanged {
				key: BTC_SPOT,
				old: PriceStatus::Available,
				new: PriceStatus::Halted,
			}
			.into(),
		);
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(100))), (G + 3_000, None)]);
		// Still out of band: still halted, nothing recorded.
		feed(CHARLIE, &[(BTC_SPOT, int(120))]);
		assert_eq!(state(BTC_SPOT).aggregate, Some(int(120)));
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		next_block();
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[115, 115, 115]);
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(100))), (G + 3_000, None)]);
		next_block();
		// Back within 10% of the pre-halt reference: resumes.
		feed_all(BTC_SPOT, &[ALICE, BOB], &[109, 109]);
		assert_eq!(value(BTC_SPOT), Ok(int(109)));
		System::assert_has_event(
			Event::BreakerResumed { key: BTC_SPOT, value: int(109), reference: int(100) }.into(),
		);
		assert_eq!(
			history(BTC_SPOT),
			vec![(G, Some(int(100))), (G + 3_000, None), (G + 9_000, Some(int(109)))]
		);
	});
}

#[test]
fn breaker_band_edge_is_exact() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		next_block();
		// Exactly 10% above: allowed.
		feed_all(BTC_SPOT, &[ALICE, BOB], &[110, 110]);
		assert_eq!(value(BTC_SPOT), Ok(int(110)));
		// The TWAP over [G+6000-60000, G+6000] is (100 x 3000 + 110 x 3000) / 6000 = 105;
		// 105 x 1.1 = 115.5 is exactly at the edge: allowed.
		next_block();
		for who in [ALICE, BOB] {
			feed(who, &[(BTC_SPOT, fx(1_155, 10))]);
		}
		assert_eq!(value(BTC_SPOT), Ok(fx(1_155, 10)));
	});
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		next_block();
		// One 10^-18 above 10%: halted.
		let above = int(110) + FixedU128::from_inner(1);
		for who in [ALICE, BOB] {
			feed(who, &[(BTC_SPOT, above)]);
		}
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
	});
	assert!(math::deviates(
		int(110) + FixedU128::from_inner(1),
		int(100),
		Permill::from_percent(10)
	));
	assert!(!math::deviates(int(110), int(100), Permill::from_percent(10)));
	assert!(!math::deviates(int(90), int(100), Permill::from_percent(10)));
	assert!(math::deviates(
		int(90) - FixedU128::from_inner(1),
		int(100),
		Permill::from_percent(10)
	));
}

/// Implied vol uses its own band, which may exceed 100%: a crash that triples vol (0.57 ->
/// 1.68, BTC on 2020-03-12) passes a 200% band, where spot's 10% band would halt it.
#[test]
fn implied_vol_has_its_own_wider_band() {
	let vol = |x: u128| FixedU128::from_rational(x, 100);
	let band = FixedU128::from_u32(2);
	assert!(!math::deviates_by(vol(168), vol(57), band));
	assert!(!math::deviates_by(vol(171), vol(57), band));
	assert!(math::deviates_by(vol(171) + FixedU128::from_inner(1), vol(57), band));
	let p = default_params();
	assert_eq!(
		PriceOracle::breaker_band(&solvent_primitives::OracleKey::ImpliedVol(2), &p),
		FixedU128::from_u32(2)
	);
	assert_eq!(
		PriceOracle::breaker_band(&solvent_primitives::OracleKey::Spot(2), &p),
		FixedU128::from_rational(1, 10)
	);
}

#[test]
fn breaker_does_not_trip_without_history() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		// Same block: the only history step starts now, so there is no reference yet.
		feed_all(BTC_SPOT, &[DAVE, EVE], &[1_000, 1_000]);
		assert_eq!(value(BTC_SPOT), Ok(int(100)));
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(100)))]);
	});
}

#[test]
fn reset_breaker_accepts_the_current_aggregate() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		next_block();
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[150, 150, 150]);
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		// Only the risk admin, only on a halted key.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::signed(ALICE), BTC_SPOT),
			DispatchError::BadOrigin
		);
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), ETH_SPOT),
			Error::<Test>::NotHalted
		);
		System::reset_events();
		assert_ok!(PriceOracle::reset_breaker(RuntimeOrigin::root(), BTC_SPOT));
		assert_eq!(
			oracle_events(),
			vec![
				Event::BreakerReset { key: BTC_SPOT, value: Some(int(150)) },
				Event::StatusChanged {
					key: BTC_SPOT,
					old: PriceStatus::Halted,
					new: PriceStatus::Available
				},
			]
		);
		assert_eq!(value(BTC_SPOT), Ok(int(150)));
		assert_eq!(state(BTC_SPOT).reference_from, G + 3_000);
		// The halt step of this block became the accepted value.
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(100))), (G + 3_000, Some(int(150)))]);
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), BTC_SPOT),
			Error::<Test>::NotHalted
		);
		// The new reference is 150: 160 is within 10% (against the whole window,
		// (100 + 150) / 2 = 125, it would trip).
		next_block();
		feed_all(BTC_SPOT, &[ALICE, BOB], &[160, 160]);
		assert_eq!(value(BTC_SPOT), Ok(int(160)));
	});
}

// ------------------------------------------------------------------ breaker cool-off

/// Go to the next block and have `feeders` feed `key` with the matching `values`, until the
/// block at `until` (ms) included.
fn feed_blocks_until(
	key: solvent_primitives::OracleKey,
	feeders: &[AccountId],
	values: &[FixedU128],
	until: u64,
) {
	while now() < until {
		next_block();
		for (who, v) in feeders.iter().zip(values) {
			feed(*who, &[(key, *v)]);
		}
	}
}

/// Since when the feeds of a halted key have agreed.
fn agreed_since(key: solvent_primitives::OracleKey) -> Option<u64> {
	state(key).halt.and_then(|h| h.agreed_since)
}

const ABC: [AccountId; 3] = [ALICE, BOB, CHARLIE];

/// A real 20% crash (mock: 10% band, 60 s cool-off, 2% dispersion): the breaker halts BTC,
/// the feeds agree on the new level, and 60 s later the key resumes there by itself; the new
/// level is the breaker's reference from then on.
#[test]
fn real_crash_halts_then_resumes_by_itself_after_the_cooloff() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		next_block();
		// G + 3 s: BTC falls 20%. The first feed leaves the median at 100.
		feed(ALICE, &[(BTC_SPOT, int(80))]);
		assert_eq!(value(BTC_SPOT), Ok(int(100)));
		// The second moves it to 80: halted. With 100 still fresh the dispersion is
		// (100 - 80) / 80 = 25%: the feeds do not agree yet.
		feed(BOB, &[(BTC_SPOT, int(80))]);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		System::assert_has_event(
			Event::BreakerTripped { key: BTC_SPOT, value: int(80), reference: int(100) }.into(),
		);
		assert_eq!(
			state(BTC_SPOT).halt,
			Some(Halt { reference: int(100), since: G + 3_000, agreed_since: None })
		);
		// The third: 80, 80, 80 agree from now on.
		feed(CHARLIE, &[(BTC_SPOT, int(80))]);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 3_000));
		// They agree in every block; at G + 60 s (57 s of agreement) still halted.
		feed_blocks_until(BTC_SPOT, &ABC, &[int(80); 3], G + 60_000);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		assert_eq!(<PriceOracle as PriceProvider>::spot(BTC), Err(PriceError::Halted));
		assert_eq!(state(BTC_SPOT).aggregate, Some(int(80)));
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 3_000));
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(100))), (G + 3_000, None)]);
		// G + 63 s: 60 s of agreement. The block's first feed resumes the key at the median.
		next_block();
		System::reset_events();
		feed(ALICE, &[(BTC_SPOT, int(80))]);
		assert_eq!(get(BTC_SPOT), Ok(TimestampedValue { value: int(80), timestamp: G + 63_000 }));
		assert_eq!(<PriceOracle as PriceProvider>::spot(BTC), Ok(int(80)));
		assert_eq!(
			oracle_events(),
			vec![
				Event::Fed { feeder: ALICE, values: feed_of(&[(BTC_SPOT, int(80))]) },
				Event::BreakerCooledOff { key: BTC_SPOT, value: int(80), halted_since: G + 3_000 },
				Event::StatusChanged {
					key: BTC_SPOT,
					old: PriceStatus::Halted,
					new: PriceStatus::Available
				},
			]
		);
		let s = state(BTC_SPOT);
		assert_eq!((s.halt, s.reference_from), (None, G + 63_000));
		assert_eq!(
			history(BTC_SPOT),
			vec![(G, Some(int(100))), (G + 3_000, None), (G + 63_000, Some(int(80)))]
		);
		assert_eq!(PriceOracle::key_info(BTC_SPOT).unwrap().halt_reference, None);
		feed_all(BTC_SPOT, &[BOB, CHARLIE], &[80, 80]);
		// The reference moved to 80: 75 (6.25% below it, 25% below the old 100) is accepted.
		next_block();
		feed_all(BTC_SPOT, &ABC, &[75, 75, 75]);
		assert_eq!(value(BTC_SPOT), Ok(int(75)));
		assert_eq!(
			history(BTC_SPOT),
			vec![
				(G, Some(int(100))),
				(G + 3_000, None),
				(G + 63_000, Some(int(80))),
				(G + 66_000, Some(int(75))),
			]
		);
	});
}

/// One feeder off the others (a fault, or an attacker keeping the key halted) does not stop
/// the cool-off: a quorum of feeds that agree is agreement (the tightest `min_quorum` values).
#[test]
fn one_feeder_off_the_others_cannot_hold_a_halted_key() {
	ExtBuilder::default().build_and_execute(|| {
		let abcd = [ALICE, BOB, CHARLIE, DAVE];
		feed_all(BTC_SPOT, &abcd, &[100, 100, 100, 100]);
		next_block();
		// Three feeders move to 80; Dave stays at 100 (25% off): the tightest three agree.
		feed_all(BTC_SPOT, &abcd, &[80, 80, 80, 100]);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		assert!(agreed_since(BTC_SPOT).is_some());
		feed_blocks_until(BTC_SPOT, &abcd, &[int(80), int(80), int(80), int(100)], G + 66_000);
		// Resumed at the median of all four (80) after the cool-off, Dave notwithstanding.
		assert_eq!(value(BTC_SPOT), Ok(int(80)));
		assert_eq!(status(BTC_SPOT), PriceStatus::Available);
	});
}

/// Feeds that disagree by more than `max_dispersion` (one at the old level, two at the new)
/// keep the key halted past the cool-off; a disagreement restarts it, and the key resumes a
/// full cool-off after the feeds agree again (a dispersion exactly at the bound agrees).
#[test]
fn disagreeing_feeds_keep_the_key_halted_and_restart_the_cooloff() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		next_block();
		// Median 80, dispersion (100 - 80) / 80 = 25%.
		feed_all(BTC_SPOT, &ABC, &[100, 80, 80]);
		assert_eq!(
			state(BTC_SPOT).halt,
			Some(Halt { reference: int(100), since: G + 3_000, agreed_since: None })
		);
		// G + 6 s to G + 30 s: they agree.
		feed_blocks_until(BTC_SPOT, &ABC, &[int(80); 3], G + 30_000);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 6_000));
		// G + 33 s to G + 90 s: ALICE is back at 100; past G + 66 s (the end of the first
		// cool-off) and 87 s after the trip, still halted.
		feed_blocks_until(BTC_SPOT, &ABC, &[int(100), int(80), int(80)], G + 90_000);
		assert_eq!(agreed_since(BTC_SPOT), None);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		assert!(!oracle_events().iter().any(|e| matches!(e, Event::BreakerCooledOff { .. })));
		// G + 93 s: ALICE at 81.6, exactly 2% of the median 80 above the others: they agree.
		let at_bound = fx(816, 10);
		feed_blocks_until(BTC_SPOT, &ABC, &[at_bound, int(80), int(80)], G + 150_000);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 93_000));
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		// G + 153 s: a full cool-off after G + 93 s.
		next_block();
		feed(ALICE, &[(BTC_SPOT, at_bound)]);
		assert_eq!(value(BTC_SPOT), Ok(int(80)));
		System::assert_has_event(
			Event::BreakerCooledOff { key: BTC_SPOT, value: int(80), halted_since: G + 3_000 }
				.into(),
		);
		assert_eq!(state(BTC_SPOT).reference_from, G + 153_000);
	});
}

/// A halt whose feeds lose the quorum restarts its cool-off when the quorum is back.
#[test]
fn losing_the_quorum_during_a_halt_resets_the_cooloff() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		next_block();
		feed_all(BTC_SPOT, &ABC, &[80, 80, 80]);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 3_000));
		// Only ALICE keeps feeding: BOB's and CHARLIE's values (fed at G + 3 s) are fresh up to
		// G + 33 s.
		feed_blocks_until(BTC_SPOT, &[ALICE], &[int(80)], G + 33_000);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 3_000));
		// G + 36 s: one fresh value, no quorum.
		next_block();
		feed(ALICE, &[(BTC_SPOT, int(80))]);
		let s = state(BTC_SPOT);
		assert_eq!((s.aggregate, s.fresh), (None, 1));
		assert_eq!(
			s.halt,
			Some(Halt { reference: int(100), since: G + 3_000, agreed_since: None })
		);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		// G + 45 s: BOB and CHARLIE are back; the cool-off starts again.
		feed_blocks_until(BTC_SPOT, &[ALICE], &[int(80)], G + 42_000);
		next_block();
		feed_all(BTC_SPOT, &ABC, &[80, 80, 80]);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 45_000));
		// Not at G + 63 s (60 s after the trip), nor at G + 102 s.
		feed_blocks_until(BTC_SPOT, &ABC, &[int(80); 3], G + 102_000);
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		// G + 105 s: 60 s after G + 45 s.
		next_block();
		feed(ALICE, &[(BTC_SPOT, int(80))]);
		assert_eq!(value(BTC_SPOT), Ok(int(80)));
		System::assert_has_event(
			Event::BreakerCooledOff { key: BTC_SPOT, value: int(80), halted_since: G + 3_000 }
				.into(),
		);
	});
}

/// The risk admin can still lift a halt before its cool-off.
#[test]
fn reset_breaker_lifts_a_halt_before_the_cooloff() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		next_block();
		feed_all(BTC_SPOT, &ABC, &[80, 80, 80]);
		feed_blocks_until(BTC_SPOT, &ABC, &[int(80); 3], G + 30_000);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 3_000));
		assert_ok!(PriceOracle::reset_breaker(RuntimeOrigin::root(), BTC_SPOT));
		System::assert_has_event(
			Event::BreakerReset { key: BTC_SPOT, value: Some(int(80)) }.into(),
		);
		let s = state(BTC_SPOT);
		assert_eq!((s.halt, s.reference_from), (None, G + 30_000));
		assert_eq!(value(BTC_SPOT), Ok(int(80)));
		// Past the would-be end of the cool-off: available all along, no cool-off event.
		feed_blocks_until(BTC_SPOT, &ABC, &[int(80); 3], G + 66_000);
		assert_eq!(value(BTC_SPOT), Ok(int(80)));
		assert!(!oracle_events().iter().any(|e| matches!(e, Event::BreakerCooledOff { .. })));
	});
}

/// The cool-off also ends at a refresh (a value aging out) and in the view of an expired
/// state, which applies it without writing; a refresh without a quorum resets it.
#[test]
fn cooloff_applies_to_refreshes_and_the_view() {
	let params = OracleParams { min_quorum: 2, ..default_params() };
	ExtBuilder::default().params(params).build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		next_block();
		feed_all(BTC_SPOT, &ABC, &[80, 80, 80]);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 3_000));
		// CHARLIE's last feed is at G + 33 s, ALICE's and BOB's at G + 60 s; then nobody feeds.
		feed_blocks_until(BTC_SPOT, &ABC, &[int(80); 3], G + 33_000);
		feed_blocks_until(BTC_SPOT, &[ALICE, BOB], &[int(80); 2], G + 60_000);
		assert_eq!(state(BTC_SPOT).valid_until, G + 63_000);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		// G + 63.001 s: CHARLIE's value aged out; ALICE's and BOB's still agree, 60.001 s after
		// G + 3 s. The view resumes the key without writing.
		set_now(G + 63_001);
		assert_storage_noop!(assert_eq!(
			get(BTC_SPOT),
			Ok(TimestampedValue { value: int(80), timestamp: G + 63_001 })
		));
		assert_eq!(status(BTC_SPOT), PriceStatus::Available);
		// The refresh writes it.
		System::reset_events();
		PriceOracle::on_initialize(22);
		let s = state(BTC_SPOT);
		assert_eq!((s.halt, s.reference_from, s.fresh), (None, G + 63_001, 2));
		assert_eq!(
			oracle_events(),
			vec![
				Event::AggregateUpdated { key: BTC_SPOT, value: Some(int(80)), fresh: 2 },
				Event::BreakerCooledOff { key: BTC_SPOT, value: int(80), halted_since: G + 3_000 },
				Event::StatusChanged {
					key: BTC_SPOT,
					old: PriceStatus::Halted,
					new: PriceStatus::Available
				},
			]
		);
		assert_eq!(
			history(BTC_SPOT),
			vec![(G, Some(int(100))), (G + 3_000, None), (G + 63_001, Some(int(80)))]
		);
	});
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		next_block();
		feed_all(BTC_SPOT, &ABC, &[80, 80, 80]);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 3_000));
		// Nobody feeds: after G + 33 s no quorum; the refresh resets the cool-off.
		set_now(G + 33_001);
		assert_eq!(
			PriceOracle::current_state(&BTC_SPOT, G + 33_001).and_then(|s| s.halt),
			Some(Halt { reference: int(100), since: G + 3_000, agreed_since: None })
		);
		PriceOracle::on_initialize(12);
		assert_eq!(state(BTC_SPOT).aggregate, None);
		assert_eq!(agreed_since(BTC_SPOT), None);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
	});
}

/// The dispersion `(max - min) / median` is rounded up, so its bound is exact.
#[test]
fn dispersion_is_rounded_up_and_its_bound_is_exact() {
	let two_percent = Permill::from_percent(2);
	// (100 - 98) / 100 = 2% exactly: within a 2% bound.
	let d = math::dispersion(int(98), int(100), int(100)).unwrap();
	assert_eq!(d, fx(2, 100));
	assert!(math::within_dispersion(d, two_percent));
	// One 10^-18 wider: above.
	let d = math::dispersion(int(98) - FixedU128::from_inner(1), int(100), int(100)).unwrap();
	assert_eq!(d, fx(2, 100) + FixedU128::from_inner(1));
	assert!(!math::within_dispersion(d, two_percent));
	// 1 / 3 rounds up at the last decimal.
	assert_eq!(
		math::dispersion(int(1), int(2), int(3)),
		Some(FixedU128::from_inner(333_333_333_333_333_334))
	);
	// Equal values: zero. A zero median: none. A ratio beyond FixedU128: saturated.
	assert_eq!(math::dispersion(int(5), int(5), int(5)), Some(FixedU128::from_inner(0)));
	assert_eq!(math::dispersion(int(0), int(1), int(0)), None);
	let (tiny, huge) = (FixedU128::from_inner(1), FixedU128::from_inner(u128::MAX));
	assert_eq!(math::dispersion(tiny, huge, tiny), Some(huge));
	// In an aggregate: of the fresh values only, none below the quorum.
	let raw = |values: &[(AccountId, u128, u64)]| -> Vec<FeederValue<AccountId>> {
		values
			.iter()
			.map(|(feeder, v, timestamp)| FeederValue {
				feeder: *feeder,
				value: int(*v),
				timestamp: *timestamp,
			})
			.collect()
	};
	let p = default_params();
	let agg = PriceOracle::aggregate(
		&raw(&[(ALICE, 100, G), (BOB, 80, G), (CHARLIE, 80, G), (DAVE, 1, G - 30_001)]),
		&p,
		G,
	);
	assert_eq!((agg.value, agg.dispersion, agg.fresh), (Some(int(80)), Some(fx(1, 4)), 3));
	assert!(!PriceOracle::feeds_agree(&agg, &p));
	let agg =
		PriceOracle::aggregate(&raw(&[(ALICE, 81, G), (BOB, 80, G), (CHARLIE, 80, G)]), &p, G);
	assert_eq!((agg.value, agg.dispersion), (Some(int(80)), Some(fx(1, 80))));
	assert!(PriceOracle::feeds_agree(&agg, &p));
	let agg = PriceOracle::aggregate(&raw(&[(ALICE, 80, G), (BOB, 80, G)]), &p, G);
	assert_eq!((agg.value, agg.dispersion, agg.fresh), (None, None, 2));
	assert!(!PriceOracle::feeds_agree(&agg, &p));
}

/// Version 0 -> 1: the parameters gain the cool-off fields at their defaults, every key
/// state's halt gains `agreed_since = None`; the version becomes 1 and a second run does
/// nothing.
#[test]
fn v1_migration_adds_the_cooloff_params_and_agreed_since() {
	use crate::{
		migrations::v1::{v0, MigrateV0ToV1},
		DEFAULT_BREAKER_COOLOFF, DEFAULT_MAX_DISPERSION,
	};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder::default().build_and_execute(|| {
		// BTC halted (its feeds agree), ETH available.
		for who in ABC {
			feed(who, &[(BTC_SPOT, int(100)), (ETH_SPOT, int(10))]);
		}
		next_block();
		for who in ABC {
			feed(who, &[(BTC_SPOT, int(80)), (ETH_SPOT, int(10))]);
		}
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 3_000));
		let (btc, eth) = (state(BTC_SPOT), state(ETH_SPOT));
		// Rewrite them in version 0's layout.
		let old = |s: KeyState| v0::KeyState {
			aggregate: s.aggregate,
			fresh: s.fresh,
			computed_at: s.computed_at,
			valid_until: s.valid_until,
			halt: s.halt.map(|h| v0::Halt { reference: h.reference, since: h.since }),
			reference_from: s.reference_from,
		};
		let p = default_params();
		let _ = KeyStates::<Test>::clear(u32::MAX, None);
		v0::KeyStates::<Test>::insert(BTC_SPOT, old(btc));
		v0::KeyStates::<Test>::insert(ETH_SPOT, old(eth));
		v0::Params::<Test>::put(v0::OracleParams {
			max_age: p.max_age,
			min_quorum: p.min_quorum,
			max_deviation: p.max_deviation,
			max_vol_deviation: p.max_vol_deviation,
			breaker_window: p.breaker_window,
		});
		StorageVersion::new(0).put::<PriceOracle>();
		assert_eq!(PriceOracle::on_chain_storage_version(), 0);

		#[cfg(feature = "try-runtime")]
		assert_ok!(MigrateV0ToV1::<Test>::try_on_runtime_upgrade(true));
		#[cfg(not(feature = "try-runtime"))]
		MigrateV0ToV1::<Test>::on_runtime_upgrade();

		assert_eq!(PriceOracle::on_chain_storage_version(), 1);
		assert_eq!(
			Params::<Test>::get(),
			OracleParams {
				breaker_cooloff: DEFAULT_BREAKER_COOLOFF,
				max_dispersion: DEFAULT_MAX_DISPERSION,
				..p
			}
		);
		assert_eq!(
			(DEFAULT_BREAKER_COOLOFF, DEFAULT_MAX_DISPERSION),
			(300_000, Permill::from_percent(2))
		);
		assert_eq!(
			state(BTC_SPOT),
			KeyState {
				halt: Some(Halt { reference: int(100), since: G + 3_000, agreed_since: None }),
				..btc
			}
		);
		assert_eq!(state(ETH_SPOT), eth);
		assert_eq!(KeyStates::<Test>::iter().count(), 2);
		// The version guards it: a second run writes nothing.
		assert_storage_noop!(MigrateV0ToV1::<Test>::on_runtime_upgrade());
		// The halted key's cool-off starts at its next agreeing recompute.
		next_block();
		feed(ALICE, &[(BTC_SPOT, int(80))]);
		assert_eq!(agreed_since(BTC_SPOT), Some(G + 6_000));
	});
}

// ------------------------------------------------------------------ feed checks

#[test]
fn non_feeder_is_rejected_without_state_change() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		assert_noop!(
			PriceOracle::feed_values(
				RuntimeOrigin::signed(MALLORY),
				feed_of(&[(BTC_SPOT, int(1))])
			),
			Error::<Test>::NotFeeder
		);
		// The error pays (only a valid feed is free).
		let err = PriceOracle::feed_values(
			RuntimeOrigin::signed(MALLORY),
			feed_of(&[(BTC_SPOT, int(1))]),
		)
		.unwrap_err();
		assert_eq!(err.post_info.pays_fee, Pays::Yes);
		// The extension keeps it out of the pool, and writes nothing.
		let call = feed_call(&[(BTC_SPOT, int(1))]);
		assert_storage_noop!(assert_eq!(
			validate_ext(MALLORY, &call),
			Err(InvalidTransaction::BadSigner.into())
		));
		// Through the whole pipeline: invalid before dispatch.
		assert_storage_noop!(assert_eq!(
			CheckFeeder::<Test>::new()
				.dispatch_transaction(
					RuntimeOrigin::signed(MALLORY),
					call.clone(),
					&call.get_dispatch_info(),
					0,
					0
				)
				.unwrap_err(),
			TransactionValidityError::Invalid(InvalidTransaction::BadSigner)
		));
		// Unsigned: rejected too.
		assert_eq!(
			CheckFeeder::<Test>::new()
				.validate_only(
					RuntimeOrigin::none(),
					&call,
					&call.get_dispatch_info(),
					0,
					TransactionSource::External,
					0
				)
				.map(|_| ()),
			Err(InvalidTransaction::BadSigner.into())
		);
	});
}

#[test]
fn valid_feed_is_free_and_passes_the_extension() {
	ExtBuilder::default().build_and_execute(|| {
		let call = feed_call(&[(BTC_SPOT, int(100)), (BTC_VOL, fx(8, 10))]);
		assert_storage_noop!(assert_ok!(validate_ext(ALICE, &call)));
		let post = PriceOracle::feed_values(
			RuntimeOrigin::signed(ALICE),
			feed_of(&[(BTC_SPOT, int(100)), (BTC_VOL, fx(8, 10))]),
		)
		.unwrap();
		assert_eq!(post.pays_fee, Pays::No);
		assert_eq!(LastFeedBlock::<Test>::get(ALICE), Some(1));
		assert_eq!(
			RawValues::<Test>::get(BTC_VOL).into_inner(),
			vec![FeederValue { feeder: ALICE, value: fx(8, 10), timestamp: G }]
		);
		System::assert_has_event(
			Event::Fed {
				feeder: ALICE,
				values: feed_of(&[(BTC_SPOT, int(100)), (BTC_VOL, fx(8, 10))]),
			}
			.into(),
		);
		// Through the whole pipeline, the dispatch reports no fee.
		let call = feed_call(&[(BTC_SPOT, int(101))]);
		let result = CheckFeeder::<Test>::new()
			.dispatch_transaction(
				RuntimeOrigin::signed(BOB),
				call.clone(),
				&call.get_dispatch_info(),
				0,
				0,
			)
			.unwrap()
			.unwrap();
		assert_eq!(result.pays_fee, Pays::No);
	});
}

#[test]
fn extension_ignores_other_calls_and_carries_no_data() {
	ExtBuilder::default().build_and_execute(|| {
		let call = RuntimeCall::PriceOracle(crate::Call::add_feeder { who: FERDIE });
		assert_ok!(validate_ext(MALLORY, &call));
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		assert_ok!(validate_ext(MALLORY, &remark));
		use sp_runtime::traits::TransactionExtension;
		assert_eq!(CheckFeeder::<Test>::new().weight(&remark), Weight::zero());
		assert_eq!(
			CheckFeeder::<Test>::new().weight(&feed_call(&[(BTC_SPOT, int(1))])),
			<() as crate::WeightInfo>::check_feeder()
		);
		// Explicit payload and implicit data are both empty.
		assert!(CheckFeeder::<Test>::new().encode().is_empty());
		assert_eq!(CheckFeeder::<Test>::new().implicit(), Ok(()));
		assert_eq!(CheckFeeder::<Test>::decode(&mut &[][..]), Ok(CheckFeeder::<Test>::new()));
	});
}

#[test]
fn second_feed_in_a_block_is_rejected() {
	ExtBuilder::default().build_and_execute(|| {
		feed(ALICE, &[(BTC_SPOT, int(100))]);
		assert_noop!(
			PriceOracle::feed_values(RuntimeOrigin::signed(ALICE), feed_of(&[(ETH_SPOT, int(5))])),
			Error::<Test>::AlreadyFed
		);
		let call = feed_call(&[(ETH_SPOT, int(5))]);
		assert_storage_noop!(assert_eq!(
			validate_ext(ALICE, &call),
			Err(InvalidTransaction::Stale.into())
		));
		// Others may still feed in this block; ALICE again in the next one.
		assert_ok!(validate_ext(BOB, &call));
		next_block();
		assert_ok!(validate_ext(ALICE, &call));
		feed(ALICE, &[(ETH_SPOT, int(5))]);
		assert_eq!(LastFeedBlock::<Test>::get(ALICE), Some(2));
	});
}

#[test]
fn malformed_feeds_are_rejected_by_call_and_extension() {
	ExtBuilder::default().build_and_execute(|| {
		let cases: Vec<(Feed, Error<Test>, u8)> = vec![
			(vec![], Error::<Test>::EmptyFeed, INVALID_EMPTY_FEED),
			(
				vec![(BTC_SPOT, int(1)), (ETH_SPOT, int(2)), (BTC_SPOT, int(3))],
				Error::<Test>::DuplicateKey,
				INVALID_DUPLICATE_KEY,
			),
			(
				vec![(BTC_SPOT, int(1)), (ETH_SPOT, int(0))],
				Error::<Test>::ZeroValue,
				INVALID_ZERO_VALUE,
			),
			(
				vec![(BTC_VOL, MAX_IMPLIED_VOL + FixedU128::from_inner(1))],
				Error::<Test>::ImpliedVolTooHigh,
				INVALID_IMPLIED_VOL_TOO_HIGH,
			),
			(vec![(DOGE_SPOT, int(1))], Error::<Test>::UnknownKey, INVALID_UNKNOWN_KEY),
		];
		for (values, error, code) in cases {
			assert_noop!(
				PriceOracle::feed_values(RuntimeOrigin::signed(ALICE), feed_of(&values)),
				error
			);
			assert_eq!(
				validate_ext(ALICE, &feed_call(&values)),
				Err(InvalidTransaction::Custom(code).into())
			);
		}
		// An implied vol of exactly 10.0 (1000%) is accepted.
		feed(ALICE, &[(BTC_VOL, MAX_IMPLIED_VOL)]);
	});
}

#[test]
fn list_and_key_bounds() {
	ExtBuilder::default().build_and_execute(|| {
		// More than MaxFeedValues pairs cannot be built nor decoded into a call.
		let four =
			vec![(BTC_SPOT, int(1)), (ETH_SPOT, int(1)), (BTC_VOL, int(1)), (ETH_VOL, int(1))];
		assert!(crate::FeedOf::<Test>::try_from(four.clone()).is_err());
		let mut encoded = vec![0u8]; // call index of feed_values
		encoded.extend(four.encode());
		assert!(crate::Call::<Test>::decode(&mut &encoded[..]).is_err());
		let mut encoded = vec![0u8];
		encoded.extend(four[..3].to_vec().encode());
		assert!(crate::Call::<Test>::decode(&mut &encoded[..]).is_ok());
		// MaxKeys = 4 tracked keys: the fifth is rejected, known ones still accepted.
		feed(ALICE, &[(BTC_SPOT, int(1)), (ETH_SPOT, int(1)), (BTC_VOL, fx(1, 2))]);
		feed(BOB, &[(ETH_VOL, fx(1, 2))]);
		assert_eq!(
			TrackedKeys::<Test>::get().into_inner(),
			vec![BTC_SPOT, ETH_SPOT, BTC_VOL, ETH_VOL]
		);
		assert_noop!(
			PriceOracle::feed_values(
				RuntimeOrigin::signed(CHARLIE),
				feed_of(&[(BTC_SPOT, int(1)), (SOL_SPOT, int(1))])
			),
			Error::<Test>::TooManyKeys
		);
		assert_eq!(
			validate_ext(CHARLIE, &feed_call(&[(SOL_SPOT, int(1))])),
			Err(InvalidTransaction::Custom(INVALID_TOO_MANY_KEYS).into())
		);
		feed(CHARLIE, &[(BTC_SPOT, int(1)), (ETH_VOL, fx(1, 2))]);
	});
}

#[test]
fn untracked_keys_are_unavailable() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(get(BTC_SPOT), Err(PriceError::NoQuorum));
		assert_eq!(status(BTC_SPOT), PriceStatus::NoQuorum);
		assert_eq!(twap(BTC_SPOT, 60_000, G), Err(PriceError::NoHistory));
		assert_eq!(PriceOracle::key_info(BTC_SPOT), None);
	});
}

// ------------------------------------------------------------------ TWAP

fn step(timestamp: u64, value: Option<u128>) -> HistoryEntry {
	HistoryEntry { timestamp, value: value.map(int) }
}

#[test]
fn twap_of_a_step_function_with_gaps_and_edges() {
	// 100 on [1000, 2000), gap on [2000, 3000), 200 on [3000, 4000), 400 from 4000.
	let h = [step(1000, Some(100)), step(2000, None), step(3000, Some(200)), step(4000, Some(400))];
	let twap = |s, e| math::time_weighted_average(&h, s, e);
	// (100 x 1000 + 200 x 1000 + 400 x 500) / 2500 = 200.
	assert_eq!(twap(0, 4500), Some(int(200)));
	// Window edges inside steps: (100 x 500 + 200 x 500) / 1000 = 150.
	assert_eq!(twap(1500, 3500), Some(int(150)));
	// Steps after the end are ignored; a step starting at the end has no length.
	assert_eq!(twap(1000, 4000), Some(int(150)));
	assert_eq!(twap(1000, 3000), Some(int(100)));
	// Time before the first step is unknown and skipped.
	assert_eq!(twap(0, 2000), Some(int(100)));
	// Only the gap, or nothing: no history.
	assert_eq!(twap(2000, 3000), None);
	assert_eq!(twap(0, 1000), None);
	assert_eq!(twap(3000, 3000), None);
	// Rounding down at the last decimal:
	// (100 x 1000 + 200 x 1000 + 400 x 1000) / 3000 = 233.333...
	assert_eq!(twap(1000, 5000), Some(FixedU128::from_inner(233_333_333_333_333_333_333)));
	// Point values.
	assert_eq!(math::value_at(&h, 3999), Some(int(200)));
	assert_eq!(math::value_at(&h, 2500), None);
	assert_eq!(math::value_at(&h, 999), None);
	// Huge values: the numerator overflows u128, each step is divided separately.
	let big = FixedU128::from_inner(u128::MAX / 2);
	let h = [HistoryEntry { timestamp: 0, value: Some(big) }];
	let v = math::time_weighted_average(&h, 0, 3_000).unwrap();
	assert!(big.into_inner() - v.into_inner() <= 1);
}

#[test]
fn twap_from_feeds_with_an_unavailable_gap() {
	ExtBuilder::default().params(loose_params()).build_and_execute(|| {
		feed(ALICE, &[(BTC_SPOT, int(100))]);
		next_block();
		feed(ALICE, &[(BTC_SPOT, int(200))]);
		// ALICE's 200 (fed at G+3000) ages out after G+33000; the refresh of the block whose
		// parent time is G+36000 records the gap then.
		set_now(G + 36_000);
		PriceOracle::on_initialize(13);
		set_now(G + 45_000);
		System::set_block_number(16);
		feed(ALICE, &[(BTC_SPOT, int(150))]);
		set_now(G + 48_000);
		assert_eq!(
			history(BTC_SPOT),
			vec![
				(G, Some(int(100))),
				(G + 3_000, Some(int(200))),
				(G + 36_000, None),
				(G + 45_000, Some(int(150))),
			]
		);
		// (100 x 3000 + 200 x 3000) / 6000.
		assert_eq!(twap(BTC_SPOT, 6_000, G + 6_000), Ok(int(150)));
		assert_eq!(twap(BTC_SPOT, 3_000, G + 48_000), Ok(int(150)));
		// The gap is skipped: (200 x 3000 + 150 x 3000) / 6000.
		assert_eq!(twap(BTC_SPOT, 15_000, G + 48_000), Ok(int(175)));
		assert_eq!(twap(BTC_SPOT, 12_000, G + 48_000), Ok(int(150)));
		assert_eq!(twap(BTC_SPOT, 9_000, G + 45_000), Err(PriceError::NoHistory));
		// Before the first step: skipped; the step at the end has no length.
		assert_eq!(twap(BTC_SPOT, 4_500, G + 3_000), Ok(int(100)));
		// A zero window is the value in force at the end.
		assert_eq!(twap(BTC_SPOT, 0, G + 4_000), Ok(int(200)));
		assert_eq!(twap(BTC_SPOT, 0, G + 40_000), Err(PriceError::NoHistory));
		// An end in the future is capped at now.
		assert_eq!(twap(BTC_SPOT, 6_000, G + 51_000), Ok(int(150)));
	});
}

#[test]
fn history_keeps_one_step_per_block_and_no_repeats() {
	ExtBuilder::default().params(loose_params()).build_and_execute(|| {
		feed(ALICE, &[(BTC_SPOT, int(100))]);
		// A second feeder in the same block overwrites the block's step: median 150.
		feed(BOB, &[(BTC_SPOT, int(200))]);
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(150)))]);
		next_block();
		// The same median again: no new step.
		feed(ALICE, &[(BTC_SPOT, int(100))]);
		feed(BOB, &[(BTC_SPOT, int(200))]);
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(150)))]);
		next_block();
		// A change and back within the block: the block's step disappears.
		feed(ALICE, &[(BTC_SPOT, int(300))]);
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(150))), (G + 6_000, Some(int(250)))]);
		feed(BOB, &[(BTC_SPOT, FixedU128::from_inner(1))]);
		// median(300, 1e-18) = 150 (rounded down): the same as the previous step.
		assert_eq!(value(BTC_SPOT), Ok(int(150)));
		assert_eq!(history(BTC_SPOT), vec![(G, Some(int(150)))]);
	});
}

#[test]
fn history_ring_drops_the_oldest_steps() {
	ExtBuilder::default().params(loose_params()).build_and_execute(|| {
		for i in 0..8u128 {
			feed(ALICE, &[(BTC_SPOT, int(100 + i))]);
			next_block();
		}
		let h = history(BTC_SPOT);
		assert_eq!(h.len(), HISTORY_LENGTH as usize);
		assert_eq!(h[0], (G + 6_000, Some(int(102))));
		assert_eq!(h[5], (G + 21_000, Some(int(107))));
		// The two dropped steps (100 on [G, G+3000), 101 on [G+3000, G+6000)) are in one
		// 5-minute slot of the coarse history (G is 200 s into its slot).
		assert_eq!(G % HISTORY_BUCKET, 200_000);
		assert_eq!(
			CoarseHistory::<Test>::get(BTC_SPOT).into_inner(),
			vec![HistoryBucket {
				start: G,
				end: G + 6_000,
				available: 6_000,
				average: fx(201, 2),
				last: Some((G + 6_000, int(101))),
			}]
		);
		// The exact steps only: (102 + 103 + 104 + 105 + 106 + 107) / 6 over 6 blocks.
		assert_eq!(twap(BTC_SPOT, 18_000, G + 24_000), Ok(fx(627, 6)));
		// With the dropped ones: (100 + 101 + ... + 107) / 8 over 8 blocks.
		assert_eq!(twap(BTC_SPOT, 30_000, G + 24_000), Ok(fx(207, 2)));
		assert_eq!(
			PriceOracle::twap_with_coverage_at(&BTC_SPOT, 30_000, G + 24_000, now()),
			Ok((fx(207, 2), 24_000))
		);
	});
}

// ------------------------------------------------------------------ coarse history

/// A bucket of the coarse history.
fn bucket(
	start: u64,
	end: u64,
	available: u64,
	average: FixedU128,
	last: (u64, u128),
) -> HistoryBucket {
	HistoryBucket { start, end, available, average, last: Some((last.0, int(last.1))) }
}

/// Slot `n` of the coarse history starts at `n x 5 min`.
const B: u64 = HISTORY_BUCKET;

#[test]
fn history_span_covers_the_longest_breaker_window() {
	// 299 full 5-minute buckets behind the newest: 24 h 55 min, at least the 1-day bound of
	// `breaker_window`, whatever `HistoryLength` and the block time are (the mock's ring has 6
	// steps; the runtime's 600).
	assert_eq!(HISTORY_SPAN, 89_700_000);
	assert!(HISTORY_SPAN >= MAX_BREAKER_WINDOW);
	assert_eq!(PriceOracle::history_span(), HISTORY_SPAN);
	assert_eq!(<PriceOracle as sp_runtime::traits::Convert<(), u64>>::convert(()), HISTORY_SPAN);
}

#[test]
fn fold_fills_one_bucket_per_slot() {
	let mut b = Vec::new();
	// 100 on [2.5 slots, 4.25 slots): three slots.
	math::fold_into_buckets(&mut b, 5 * B / 2, 17 * B / 4, Some(int(100)));
	assert_eq!(
		b,
		vec![
			bucket(5 * B / 2, 3 * B, B / 2, int(100), (3 * B, 100)),
			bucket(3 * B, 4 * B, B, int(100), (4 * B, 100)),
			bucket(4 * B, 17 * B / 4, B / 4, int(100), (17 * B / 4, 100)),
		]
	);
	// 200 for the rest of slot 4 but a quarter: the average is time-weighted, (100 x 1 + 200
	// x 2) / 3 quarters = 166.66..., each part rounded down.
	math::fold_into_buckets(&mut b, 17 * B / 4, 19 * B / 4, Some(int(200)));
	let avg = FixedU128::from_inner(166_666_666_666_666_666_666);
	assert_eq!(b[2], bucket(4 * B, 19 * B / 4, 3 * B / 4, avg, (19 * B / 4, 200)));
	// Unavailable until slot 7: extends slot 4's bucket, creates none.
	math::fold_into_buckets(&mut b, 19 * B / 4, 7 * B, None);
	assert_eq!(b.len(), 3);
	assert_eq!(b[2], bucket(4 * B, 5 * B, 3 * B / 4, avg, (19 * B / 4, 200)));
	// A two-day step: only the last HISTORY_BUCKETS slots are visited and kept.
	let days = 2 * 86_400_000;
	math::fold_into_buckets(&mut b, 7 * B, 7 * B + days, Some(int(300)));
	assert_eq!(b.len(), HISTORY_BUCKETS as usize);
	let last_slot = (7 * B + days - 1) / B;
	assert_eq!(b[0].slot(), last_slot - u64::from(HISTORY_BUCKETS) + 1);
	assert_eq!(b[HISTORY_BUCKETS as usize - 1].end, 7 * B + days);
	assert!(b.iter().all(|x| x.available == B && x.average == int(300)));
	// A zero or negative step folds nothing.
	let before = b.clone();
	math::fold_into_buckets(&mut b, 10, 10, Some(int(1)));
	assert_eq!(b, before);
}

#[test]
fn twap_with_coverage_joins_buckets_and_steps() {
	// Buckets: 100 over all of slot 10, 200 over half of slot 11 (its interval is the whole
	// slot); steps from 12 slots: 300, then unavailable from 12.5 slots.
	let buckets = [
		bucket(10 * B, 11 * B, B, int(100), (11 * B, 100)),
		bucket(11 * B, 12 * B, B / 2, int(200), (23 * B / 2, 200)),
	];
	let h = [step(12 * B, Some(300)), step(25 * B / 2, None)];
	let twap = |s, e| math::twap_with_coverage(&h, &buckets, s, e);
	// Everything: (100 x B + 200 x B/2 + 300 x B/2) / (2 B).
	assert_eq!(twap(10 * B, 13 * B), Some((int(175), 2 * B)));
	// The window cuts slot 10's bucket in half: half its available time counts,
	// (100 x 1/2 + 200 x 1/2 + 300 x 1/2) / (3/2).
	assert_eq!(twap(21 * B / 2, 13 * B), Some((int(200), 3 * B / 2)));
	// And slot 11's bucket in half (pro rata of its interval: a quarter slot available),
	// (200 x 1/4 + 300 x 1/2) / (3/4) = 266.66... (rounded down)
	assert_eq!(
		twap(23 * B / 2, 13 * B),
		Some((FixedU128::from_inner(266_666_666_666_666_666_666), 3 * B / 4))
	);
	// Only the steps.
	assert_eq!(twap(12 * B, 13 * B), Some((int(300), B / 2)));
	// Only the unavailable part, or nothing.
	assert_eq!(twap(25 * B / 2, 13 * B), None);
	assert_eq!(twap(0, 10 * B), None);
	assert_eq!(twap(13 * B, 13 * B), None);
	// Without buckets the coverage counts the steps only.
	assert_eq!(math::twap_with_coverage(&h, &[], 10 * B, 13 * B), Some((int(300), B / 2)));
}

#[test]
fn last_available_value_from_steps_then_buckets() {
	let buckets = [
		bucket(10 * B, 11 * B, B, int(100), (11 * B, 100)),
		bucket(11 * B, 12 * B, B / 2, int(200), (23 * B / 2, 200)),
	];
	let h = [step(12 * B, Some(300)), step(25 * B / 2, None), step(13 * B, Some(400))];
	let last = |end| math::last_available(&h, &buckets, end);
	// The step in force, until `end`.
	assert_eq!(last(14 * B), Some((14 * B, int(400))));
	// In the gap: the step before it, until the gap started.
	assert_eq!(last(51 * B / 4), Some((25 * B / 2, int(300))));
	// A step starting at `end` does not count.
	assert_eq!(last(13 * B), Some((25 * B / 2, int(300))));
	// Before the ring: the newest bucket whose last value ends by then.
	assert_eq!(last(12 * B), Some((23 * B / 2, int(200))));
	// Slot 11's last value runs past the end: skipped, slot 10's is taken.
	assert_eq!(last(45 * B / 4), Some((11 * B, int(100))));
	assert_eq!(last(10 * B), None);
	// A ring whose steps before `end` are all unavailable looks in the buckets.
	let h = [step(12 * B, None), step(13 * B, Some(400))];
	assert_eq!(math::last_available(&h, &buckets, 25 * B / 2), Some((23 * B / 2, int(200))));
}

#[test]
fn coverage_and_last_value_through_feeds() {
	ExtBuilder::default().params(loose_params()).build_and_execute(|| {
		feed(ALICE, &[(BTC_SPOT, int(100))]);
		next_block();
		feed(ALICE, &[(BTC_SPOT, int(200))]);
		// 200 (fed at G+3000) ages out after G+33000; the refresh at G+36000 records the gap.
		set_now(G + 36_000);
		PriceOracle::on_initialize(13);
		set_now(G + 45_000);
		System::set_block_number(16);
		feed(ALICE, &[(BTC_SPOT, int(150))]);
		set_now(G + 48_000);
		let cov = |w, e| PriceOracle::twap_with_coverage_at(&BTC_SPOT, w, e, now());
		// [G, G+48000]: 100 for 3 s, 200 for 33 s, the gap for 9 s, 150 for 3 s.
		// (100 x 3 + 200 x 33 + 150 x 3) / 39 = 188.46...
		assert_eq!(cov(48_000, G + 48_000), Ok((FixedU128::from_rational(7_350, 39), 39_000)));
		// [G+30000, G+48000]: 200 for 6 s and 150 for 3 s cover half of the 18 s window.
		assert_eq!(cov(18_000, G + 48_000), Ok((FixedU128::from_rational(550, 3), 9_000)));
		assert_eq!(cov(9_000, G + 45_000), Err(PriceError::NoHistory));
		// A zero window: the value in force, coverage 0.
		assert_eq!(cov(0, G + 4_000), Ok((int(200), 0)));
		let last = |e| PriceOracle::last_available_at(&BTC_SPOT, e, now());
		// In the gap: 200, available until G+36000.
		assert_eq!(
			last(G + 40_000),
			Ok(TimestampedValue { value: int(200), timestamp: G + 36_000 })
		);
		// Now (the end is capped at now): 150, available until now.
		assert_eq!(
			last(G + 60_000),
			Ok(TimestampedValue { value: int(150), timestamp: G + 48_000 })
		);
		assert_eq!(last(G), Err(PriceError::NoHistory));
		// The same through the `Convert` queries the options pallet uses.
		use sp_runtime::traits::Convert;
		type Twap = Result<(FixedU128, u64), PriceError>;
		type Last = Result<TimestampedValue, PriceError>;
		assert_eq!(
			<PriceOracle as Convert<_, Twap>>::convert((BTC_SPOT, 18_000u64, G + 48_000)),
			cov(18_000, G + 48_000)
		);
		assert_eq!(
			<PriceOracle as Convert<_, Last>>::convert((BTC_SPOT, G + 40_000)),
			last(G + 40_000)
		);
	});
}

/// Feed `value` as ALICE at time `t`, in a new block.
fn feed_at(t: u64, value: FixedU128) {
	set_now(t);
	System::set_block_number(System::block_number() + 1);
	feed(ALICE, &[(BTC_SPOT, value)]);
}

#[test]
fn a_short_ring_still_keeps_a_day_of_history() {
	// Quorum 1, values fresh for a day: a change every minute for 26 hours, far more steps than
	// the ring's 6.
	let params = OracleParams { max_age: 86_400_000, ..loose_params() };
	ExtBuilder::default().params(params).build_and_execute(|| {
		let minutes = 26 * 60u64;
		for k in 0..=minutes {
			feed_at(G + k * 60_000, if k % 2 == 0 { int(100) } else { int(101) });
		}
		let end = now();
		assert_eq!(history(BTC_SPOT).len(), HISTORY_LENGTH as usize);
		let buckets = CoarseHistory::<Test>::get(BTC_SPOT);
		assert_eq!(buckets.len(), HISTORY_BUCKETS as usize);
		// The oldest kept instant is at least HISTORY_SPAN old.
		assert!(buckets[0].start <= end - HISTORY_SPAN);
		// A full day is covered, every millisecond of it.
		let (twap, covered) =
			PriceOracle::twap_with_coverage_at(&BTC_SPOT, 86_400_000, end, end).unwrap();
		assert_eq!(covered, 86_400_000);
		// Alternating 100 and 101 by the minute: 100.5 give or take the buckets cut by the
		// window's start (pro rata of their average).
		assert!(twap.into_inner().abs_diff(fx(201, 2).into_inner()) < fx(1, 1_000).into_inner());
		// Beyond the span the history may stop.
		let (_, longer) =
			PriceOracle::twap_with_coverage_at(&BTC_SPOT, 2 * 86_400_000, end, end).unwrap();
		assert!(longer >= HISTORY_SPAN && longer < 2 * 86_400_000);
	});
}

#[test]
fn the_breaker_compares_with_the_coarse_history() {
	// A 1-hour breaker window, a 10% band, values fresh for an hour.
	let params = OracleParams {
		max_age: 3_600_000,
		max_deviation: Permill::from_percent(10),
		breaker_window: 3_600_000,
		..loose_params()
	};
	ExtBuilder::default().params(params).build_and_execute(|| {
		// 50 minutes alternating 100 and 101 (in the coarse history by the end), then 6
		// minutes alternating 108 and 109 (the ring).
		for k in 0..50u64 {
			feed_at(G + k * 60_000, if k % 2 == 0 { int(100) } else { int(101) });
		}
		for k in 50..56u64 {
			feed_at(G + k * 60_000, if k % 2 == 0 { int(108) } else { int(109) });
		}
		assert_eq!(history(BTC_SPOT)[0], (G + 50 * 60_000, Some(int(108))));
		assert_eq!(status(BTC_SPOT), PriceStatus::Available);
		// 112 is 3.2% above the ring's 108.5 but 10.5% above the hour's TWAP,
		// (25 x 100 + 25 x 101 + 3 x 108 + 3 x 109) / 56 = 101.357...: halted.
		System::reset_events();
		feed_at(G + 56 * 60_000, int(112));
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		let reference = oracle_events()
			.into_iter()
			.find_map(|e| match e {
				Event::BreakerTripped { value, reference, .. } if value == int(112) => {
					Some(reference)
				}
				_ => None,
			})
			.expect("tripped");
		let exact = FixedU128::from_rational(5_676, 56);
		assert!(reference.into_inner().abs_diff(exact.into_inner()) <= 10);
	});
}

// ------------------------------------------------------------------ parameters

#[test]
fn params_bounds_and_steps() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		let set = |params: OracleParams| PriceOracle::set_params(RuntimeOrigin::root(), params);
		assert_noop!(
			PriceOracle::set_params(RuntimeOrigin::signed(ALICE), p),
			DispatchError::BadOrigin
		);
		// Hard bounds (checked before steps).
		assert_noop!(set(OracleParams { max_age: 999, ..p }), Error::<Test>::MaxAgeOutOfBounds);
		assert_noop!(
			set(OracleParams { max_age: MAX_MAX_AGE + 1, ..p }),
			Error::<Test>::MaxAgeOutOfBounds
		);
		assert_noop!(set(OracleParams { min_quorum: 0, ..p }), Error::<Test>::MinQuorumOutOfBounds);
		assert_noop!(
			set(OracleParams { min_quorum: MAX_FEEDERS + 1, ..p }),
			Error::<Test>::MinQuorumOutOfBounds
		);
		assert_noop!(
			set(OracleParams { max_deviation: Permill::from_parts(9_999), ..p }),
			Error::<Test>::MaxDeviationOutOfBounds
		);
		assert_noop!(
			set(OracleParams { breaker_window: 999, ..p }),
			Error::<Test>::BreakerWindowOutOfBounds
		);
		assert_noop!(
			set(OracleParams { breaker_window: 86_400_001, ..p }),
			Error::<Test>::BreakerWindowOutOfBounds
		);
		assert_noop!(
			set(OracleParams { breaker_cooloff: 59_999, ..p }),
			Error::<Test>::BreakerCooloffOutOfBounds
		);
		assert_noop!(
			set(OracleParams { breaker_cooloff: 21_600_001, ..p }),
			Error::<Test>::BreakerCooloffOutOfBounds
		);
		assert_noop!(
			set(OracleParams { max_dispersion: Permill::from_parts(999), ..p }),
			Error::<Test>::MaxDispersionOutOfBounds
		);
		assert_noop!(
			set(OracleParams { max_dispersion: Permill::from_parts(100_001), ..p }),
			Error::<Test>::MaxDispersionOutOfBounds
		);
		// Steps of at most 50% of the current value.
		assert_noop!(set(OracleParams { max_age: 45_001, ..p }), Error::<Test>::MaxAgeStepTooLarge);
		assert_noop!(set(OracleParams { max_age: 14_999, ..p }), Error::<Test>::MaxAgeStepTooLarge);
		assert_noop!(
			set(OracleParams { min_quorum: 6, ..p }),
			Error::<Test>::MinQuorumStepTooLarge
		);
		assert_noop!(
			set(OracleParams { max_deviation: Permill::from_parts(150_001), ..p }),
			Error::<Test>::MaxDeviationStepTooLarge
		);
		assert_noop!(
			set(OracleParams { breaker_window: 90_001, ..p }),
			Error::<Test>::BreakerWindowStepTooLarge
		);
		// 60 s -> 90.001 s (the mock's cool-off is the hard minimum: no step down).
		assert_noop!(
			set(OracleParams { breaker_cooloff: 90_001, ..p }),
			Error::<Test>::BreakerCooloffStepTooLarge
		);
		// 2% -> 3.0001% and 0.9999%.
		assert_noop!(
			set(OracleParams { max_dispersion: Permill::from_parts(30_001), ..p }),
			Error::<Test>::MaxDispersionStepTooLarge
		);
		assert_noop!(
			set(OracleParams { max_dispersion: Permill::from_parts(9_999), ..p }),
			Error::<Test>::MaxDispersionStepTooLarge
		);
		// At the step limits: accepted.
		let new = OracleParams {
			max_age: 45_000,
			min_quorum: 5,
			max_deviation: Permill::from_percent(15),
			max_vol_deviation: FixedU128::from_u32(3),
			breaker_window: 90_000,
			breaker_cooloff: 90_000,
			max_dispersion: Permill::from_percent(3),
		};
		assert_ok!(set(new));
		assert_eq!(Params::<Test>::get(), new);
		System::assert_last_event(Event::ParamsSet { old: p, new }.into());
	});
}

#[test]
fn params_change_recomputes_every_key() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		System::reset_events();
		// A quorum of 4 removes the aggregate at once.
		assert_ok!(PriceOracle::set_params(
			RuntimeOrigin::root(),
			OracleParams { min_quorum: 4, ..default_params() }
		));
		assert_eq!(get(BTC_SPOT), Err(PriceError::NoQuorum));
		System::assert_has_event(
			Event::StatusChanged {
				key: BTC_SPOT,
				old: PriceStatus::Available,
				new: PriceStatus::NoQuorum,
			}
			.into(),
		);
		// Back to 3: restored.
		assert_ok!(PriceOracle::set_params(RuntimeOrigin::root(), default_params()));
		assert_eq!(value(BTC_SPOT), Ok(int(100)));
	});
}

// ------------------------------------------------------------------ feeders

#[test]
fn add_and_remove_feeders() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::signed(ALICE), FERDIE),
			DispatchError::BadOrigin
		);
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), ALICE),
			Error::<Test>::AlreadyFeeder
		);
		assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), GEORGE));
		assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), FERDIE));
		System::assert_last_event(Event::FeederAdded { who: FERDIE }.into());
		assert_eq!(
			Feeders::<Test>::get().into_inner(),
			vec![ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE, GEORGE]
		);
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), MALLORY),
			Error::<Test>::TooManyFeeders
		);
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::root(), MALLORY),
			Error::<Test>::FeederNotFound
		);
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::signed(ALICE), BOB),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn removing_a_feeder_removes_its_values_and_recomputes() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE, DAVE], &[100, 101, 102, 103]);
		feed(EVE, &[(BTC_SPOT, int(104)), (ETH_SPOT, int(10))]);
		next_block();
		feed_all(ETH_SPOT, &[ALICE, BOB], &[10, 10]);
		assert_eq!(value(BTC_SPOT), Ok(int(102)));
		assert_eq!(value(ETH_SPOT), Ok(int(10)));
		System::reset_events();
		assert_ok!(PriceOracle::remove_feeder(RuntimeOrigin::root(), EVE));
		assert_eq!(oracle_events()[0], Event::FeederRemoved { who: EVE, values_removed: 2 });
		assert!(RawValues::<Test>::get(BTC_SPOT).iter().all(|r| r.feeder != EVE));
		assert_eq!(RawValues::<Test>::get(ETH_SPOT).len(), 2);
		assert_eq!(LastFeedBlock::<Test>::get(EVE), None);
		// BTC: 100, 101, 102, 103 -> 101.5; ETH: two values, below the quorum.
		assert_eq!(value(BTC_SPOT), Ok(fx(1_015, 10)));
		assert_eq!(get(ETH_SPOT), Err(PriceError::NoQuorum));
		System::assert_has_event(
			Event::AggregateUpdated { key: BTC_SPOT, value: Some(fx(1_015, 10)), fresh: 4 }.into(),
		);
		System::assert_has_event(
			Event::StatusChanged {
				key: ETH_SPOT,
				old: PriceStatus::Available,
				new: PriceStatus::NoQuorum,
			}
			.into(),
		);
		// EVE can no longer feed.
		assert_noop!(
			PriceOracle::feed_values(RuntimeOrigin::signed(EVE), feed_of(&[(BTC_SPOT, int(1))])),
			Error::<Test>::NotFeeder
		);
		// Removing the last feeder of a key removes the entry.
		assert_ok!(PriceOracle::remove_feeder(RuntimeOrigin::root(), ALICE));
		assert_ok!(PriceOracle::remove_feeder(RuntimeOrigin::root(), BOB));
		assert!(!RawValues::<Test>::contains_key(ETH_SPOT));
	});
}

// ------------------------------------------------------------------ runtime API views

#[test]
fn runtime_api_helpers_report_keys() {
	ExtBuilder::default().build_and_execute(|| {
		feed(ALICE, &[(BTC_SPOT, int(100)), (BTC_VOL, fx(8, 10))]);
		feed(BOB, &[(BTC_SPOT, int(102))]);
		feed(CHARLIE, &[(BTC_SPOT, int(101))]);
		set_now(G + 2_000);
		let btc = KeyInfo {
			key: BTC_SPOT,
			value: Some(int(101)),
			status: PriceStatus::Available,
			age: Some(2_000),
			fresh: 3,
			halt_reference: None,
			feeders: vec![
				FeederValue { feeder: ALICE, value: int(100), timestamp: G },
				FeederValue { feeder: BOB, value: int(102), timestamp: G },
				FeederValue { feeder: CHARLIE, value: int(101), timestamp: G },
			],
		};
		let vol = KeyInfo {
			key: BTC_VOL,
			value: None,
			status: PriceStatus::NoQuorum,
			age: None,
			fresh: 1,
			halt_reference: None,
			feeders: vec![FeederValue { feeder: ALICE, value: fx(8, 10), timestamp: G }],
		};
		assert_eq!(PriceOracle::key_info(BTC_SPOT), Some(btc.clone()));
		assert_eq!(PriceOracle::all_key_info(), vec![btc, vol]);
		assert_eq!(PriceOracle::key_info(ETH_SPOT), None);
		// After the values age out, the view shows no value, no fresh feeder, but the values.
		set_now(G + 31_000);
		let info = PriceOracle::key_info(BTC_SPOT).unwrap();
		assert_eq!(
			(info.value, info.status, info.age, info.fresh),
			(None, PriceStatus::NoQuorum, None, 0)
		);
		assert_eq!(info.feeders.len(), 3);
	});
}

#[test]
fn runtime_api_shows_the_halt_reference() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		next_block();
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[130, 130, 130]);
		let info = PriceOracle::key_info(BTC_SPOT).unwrap();
		assert_eq!(info.status, PriceStatus::Halted);
		assert_eq!(info.value, Some(int(130)));
		assert_eq!(info.halt_reference, Some(int(100)));
	});
}

#[test]
fn dispatch_info_of_feed_scales_with_values() {
	let one = feed_call(&[(BTC_SPOT, int(1))]).get_dispatch_info();
	let three =
		feed_call(&[(BTC_SPOT, int(1)), (ETH_SPOT, int(1)), (BTC_VOL, int(1))]).get_dispatch_info();
	assert!(three.call_weight.ref_time() > one.call_weight.ref_time());
	assert_eq!(one.pays_fee, Pays::Yes);
}

#[test]
fn halt_outlasts_a_lost_quorum_and_reset_without_quorum_accepts_the_next_value() {
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		next_block();
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[200, 200, 200]);
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		// Every value ages out: still halted (the halt needs an in-band value or a reset).
		set_now(G + 40_000);
		PriceOracle::on_initialize(3);
		assert_eq!(state(BTC_SPOT).aggregate, None);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		// Reset without a quorum: no value now, the next aggregate is accepted as it is.
		assert_ok!(PriceOracle::reset_breaker(RuntimeOrigin::root(), BTC_SPOT));
		System::assert_last_event(
			Event::StatusChanged {
				key: BTC_SPOT,
				old: PriceStatus::Halted,
				new: PriceStatus::NoQuorum,
			}
			.into(),
		);
		System::assert_has_event(Event::BreakerReset { key: BTC_SPOT, value: None }.into());
		System::set_block_number(14);
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[300, 300, 300]);
		assert_eq!(value(BTC_SPOT), Ok(int(300)));
		assert_eq!(
			history(BTC_SPOT),
			vec![(G, Some(int(100))), (G + 3_000, None), (G + 40_000, Some(int(300)))]
		);
	});
}

// ---- malformed input: one test per extrinsic (issue 7) ----

#[test]
fn malformed_feed_values() {
	use solvent_primitives::OracleKey;
	ExtBuilder::default().build_and_execute(|| {
		// State to keep unchanged: BTC_SPOT available, MAX_KEYS (4) keys tracked, BOB has fed
		// in this block.
		feed(BOB, &[(BTC_SPOT, int(100)), (ETH_SPOT, int(10)), (BTC_VOL, fx(8, 10))]);
		feed(CHARLIE, &[(BTC_SPOT, int(100)), (ETH_VOL, fx(5, 10))]);
		feed(DAVE, &[(BTC_SPOT, int(100))]);
		assert_eq!(TrackedKeys::<Test>::get().len(), MAX_KEYS as usize);
		fn feed_as(
			origin: RuntimeOrigin,
			values: &[(OracleKey, FixedU128)],
		) -> frame_support::dispatch::DispatchResultWithPostInfo {
			PriceOracle::feed_values(origin, feed_of(values))
		}
		// Wrong origin: Root instead of a signed feeder.
		assert_noop!(
			feed_as(RuntimeOrigin::root(), &[(BTC_SPOT, int(100))]),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(
			feed_as(RuntimeOrigin::none(), &[(BTC_SPOT, int(100))]),
			DispatchError::BadOrigin
		);
		// Unknown account: signed by a non-feeder.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(MALLORY), &[(BTC_SPOT, int(100))]),
			Error::<Test>::NotFeeder
		);
		// Unknown account: the largest account id.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(AccountId::MAX), &[(BTC_SPOT, int(100))]),
			Error::<Test>::NotFeeder
		);
		// Replay: a second feed by the same feeder in the same block.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(BOB), &[(BTC_SPOT, int(101))]),
			Error::<Test>::AlreadyFed
		);
		// Zero length: an empty feed.
		assert_noop!(feed_as(RuntimeOrigin::signed(ALICE), &[]), Error::<Test>::EmptyFeed);
		// Zero value: a spot price of zero.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(ALICE), &[(BTC_SPOT, FixedU128::from_inner(0))]),
			Error::<Test>::ZeroValue
		);
		// Zero value: an implied vol of zero.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(ALICE), &[(BTC_VOL, FixedU128::from_inner(0))]),
			Error::<Test>::ZeroValue
		);
		// Zero value after a valid pair: nothing of the feed is written.
		assert_noop!(
			feed_as(
				RuntimeOrigin::signed(ALICE),
				&[(BTC_SPOT, int(100)), (ETH_SPOT, FixedU128::from_inner(0))]
			),
			Error::<Test>::ZeroValue
		);
		// Maximum value: an implied vol of FixedU128::MAX (u128::MAX inner).
		assert_noop!(
			feed_as(RuntimeOrigin::signed(ALICE), &[(BTC_VOL, FixedU128::from_inner(u128::MAX))]),
			Error::<Test>::ImpliedVolTooHigh
		);
		// Out of range: an implied vol one unit (10^-18) above MAX_IMPLIED_VOL.
		assert_noop!(
			feed_as(
				RuntimeOrigin::signed(ALICE),
				&[(ETH_VOL, MAX_IMPLIED_VOL + FixedU128::from_inner(1))]
			),
			Error::<Test>::ImpliedVolTooHigh
		);
		// Duplicate key in one feed.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(ALICE), &[(BTC_SPOT, int(100)), (BTC_SPOT, int(100))]),
			Error::<Test>::DuplicateKey
		);
		// Unknown key: an unsupported asset.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(ALICE), &[(DOGE_SPOT, int(1))]),
			Error::<Test>::UnknownKey
		);
		// Unknown key: asset id zero.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(ALICE), &[(OracleKey::Spot(0), int(1))]),
			Error::<Test>::UnknownKey
		);
		// Unknown key: asset id u32::MAX (implied vol).
		assert_noop!(
			feed_as(RuntimeOrigin::signed(ALICE), &[(OracleKey::ImpliedVol(u32::MAX), fx(1, 2))]),
			Error::<Test>::UnknownKey
		);
		// Out of bounds: a supported fifth key while MAX_KEYS keys are tracked.
		assert_noop!(
			feed_as(RuntimeOrigin::signed(ALICE), &[(BTC_SPOT, int(100)), (SOL_SPOT, int(20))]),
			Error::<Test>::TooManyKeys
		);
		// Too long: MAX_FEED_VALUES + 1 pairs cannot even be built into the call's argument.
		let too_long: Feed = (0..=MAX_FEED_VALUES).map(|i| (OracleKey::Spot(i), int(1))).collect();
		assert!(crate::FeedOf::<Test>::try_from(too_long).is_err());
	});
}

#[test]
fn malformed_add_feeder() {
	ExtBuilder::default().build_and_execute(|| {
		// Wrong origin: a signed feeder instead of the feeder origin (Root).
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::signed(ALICE), FERDIE),
			DispatchError::BadOrigin
		);
		// Wrong origin: an account adding itself.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::signed(MALLORY), MALLORY),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::none(), FERDIE),
			DispatchError::BadOrigin
		);
		// Duplicate: an existing feeder.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), ALICE),
			Error::<Test>::AlreadyFeeder
		);
		// Fill the list up to MaxFeeders.
		assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), FERDIE));
		assert_ok!(PriceOracle::add_feeder(RuntimeOrigin::root(), GEORGE));
		assert_eq!(Feeders::<Test>::get().len(), MAX_FEEDERS as usize);
		// Duplicate on a full list: still reported as a duplicate.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), GEORGE),
			Error::<Test>::AlreadyFeeder
		);
		// Out of bounds: one feeder more than MaxFeeders.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), MALLORY),
			Error::<Test>::TooManyFeeders
		);
		// Out of bounds: account id zero on a full list.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), 0),
			Error::<Test>::TooManyFeeders
		);
		// Out of bounds: the largest account id on a full list.
		assert_noop!(
			PriceOracle::add_feeder(RuntimeOrigin::root(), AccountId::MAX),
			Error::<Test>::TooManyFeeders
		);
	});
}

#[test]
fn malformed_remove_feeder() {
	ExtBuilder::default().build_and_execute(|| {
		// State to keep unchanged: values of every feeder for BTC_SPOT.
		feed_all(BTC_SPOT, &FEEDERS, &[100, 100, 100, 100, 100]);
		// Wrong origin: a signed feeder removing another one.
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::signed(ALICE), BOB),
			DispatchError::BadOrigin
		);
		// Wrong origin: a signed feeder removing itself.
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::signed(ALICE), ALICE),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::none(), BOB),
			DispatchError::BadOrigin
		);
		// Unknown account.
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::root(), MALLORY),
			Error::<Test>::FeederNotFound
		);
		// Unknown account: id zero.
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::root(), 0),
			Error::<Test>::FeederNotFound
		);
		// Unknown account: the largest account id.
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::root(), AccountId::MAX),
			Error::<Test>::FeederNotFound
		);
		// Removed twice: the second removal finds nothing.
		assert_ok!(PriceOracle::remove_feeder(RuntimeOrigin::root(), EVE));
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::root(), EVE),
			Error::<Test>::FeederNotFound
		);
	});
	ExtBuilder::default().feeders(vec![]).build_and_execute(|| {
		// Empty feeder set: nothing to remove.
		assert_noop!(
			PriceOracle::remove_feeder(RuntimeOrigin::root(), ALICE),
			Error::<Test>::FeederNotFound
		);
	});
}

#[test]
fn malformed_set_params() {
	use crate::{
		MAX_BREAKER_COOLOFF, MAX_BREAKER_WINDOW, MAX_MAX_DISPERSION, MAX_MAX_VOL_DEVIATION,
		MIN_BREAKER_WINDOW, MIN_MAX_AGE, MIN_MAX_DISPERSION, MIN_MAX_VOL_DEVIATION,
	};
	ExtBuilder::default().build_and_execute(|| {
		// State to keep unchanged: a tracked key that a parameter change would recompute.
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		let p = default_params();
		let set = |params: OracleParams| PriceOracle::set_params(RuntimeOrigin::root(), params);
		// Wrong origin: a signed account instead of the risk admin (Root).
		assert_noop!(
			PriceOracle::set_params(RuntimeOrigin::signed(ALICE), p),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(PriceOracle::set_params(RuntimeOrigin::none(), p), DispatchError::BadOrigin);
		// Zero max_age.
		assert_noop!(set(OracleParams { max_age: 0, ..p }), Error::<Test>::MaxAgeOutOfBounds);
		// Maximum max_age (u64::MAX).
		assert_noop!(
			set(OracleParams { max_age: u64::MAX, ..p }),
			Error::<Test>::MaxAgeOutOfBounds
		);
		// Zero min_quorum.
		assert_noop!(set(OracleParams { min_quorum: 0, ..p }), Error::<Test>::MinQuorumOutOfBounds);
		// Maximum min_quorum (u32::MAX), far above MaxFeeders.
		assert_noop!(
			set(OracleParams { min_quorum: u32::MAX, ..p }),
			Error::<Test>::MinQuorumOutOfBounds
		);
		// Zero max_deviation.
		assert_noop!(
			set(OracleParams { max_deviation: Permill::from_parts(0), ..p }),
			Error::<Test>::MaxDeviationOutOfBounds
		);
		// Zero max_vol_deviation.
		assert_noop!(
			set(OracleParams { max_vol_deviation: FixedU128::from_inner(0), ..p }),
			Error::<Test>::MaxVolDeviationOutOfBounds
		);
		// Maximum max_vol_deviation (u128::MAX inner).
		assert_noop!(
			set(OracleParams { max_vol_deviation: FixedU128::from_inner(u128::MAX), ..p }),
			Error::<Test>::MaxVolDeviationOutOfBounds
		);
		// max_vol_deviation one unit above its hard bound.
		assert_noop!(
			set(OracleParams {
				max_vol_deviation: MAX_MAX_VOL_DEVIATION + FixedU128::from_inner(1),
				..p
			}),
			Error::<Test>::MaxVolDeviationOutOfBounds
		);
		// Zero breaker_window.
		assert_noop!(
			set(OracleParams { breaker_window: 0, ..p }),
			Error::<Test>::BreakerWindowOutOfBounds
		);
		// Maximum breaker_window (u64::MAX).
		assert_noop!(
			set(OracleParams { breaker_window: u64::MAX, ..p }),
			Error::<Test>::BreakerWindowOutOfBounds
		);
		// Zero breaker_cooloff.
		assert_noop!(
			set(OracleParams { breaker_cooloff: 0, ..p }),
			Error::<Test>::BreakerCooloffOutOfBounds
		);
		// Maximum breaker_cooloff (u64::MAX).
		assert_noop!(
			set(OracleParams { breaker_cooloff: u64::MAX, ..p }),
			Error::<Test>::BreakerCooloffOutOfBounds
		);
		// Zero max_dispersion.
		assert_noop!(
			set(OracleParams { max_dispersion: Permill::from_parts(0), ..p }),
			Error::<Test>::MaxDispersionOutOfBounds
		);
		// Maximum max_dispersion (Permill's 100%).
		assert_noop!(
			set(OracleParams { max_dispersion: Permill::from_percent(100), ..p }),
			Error::<Test>::MaxDispersionOutOfBounds
		);
		// Every field at its type's maximum: the first field's bound is reported.
		assert_noop!(
			set(OracleParams {
				max_age: u64::MAX,
				min_quorum: u32::MAX,
				max_deviation: Permill::from_percent(100),
				max_vol_deviation: FixedU128::from_inner(u128::MAX),
				breaker_window: u64::MAX,
				breaker_cooloff: u64::MAX,
				max_dispersion: Permill::from_percent(100),
			}),
			Error::<Test>::MaxAgeOutOfBounds
		);
		// Too large a step: max_age to its hard maximum.
		assert_noop!(
			set(OracleParams { max_age: MAX_MAX_AGE, ..p }),
			Error::<Test>::MaxAgeStepTooLarge
		);
		// Too large a step: max_age to its hard minimum.
		assert_noop!(
			set(OracleParams { max_age: MIN_MAX_AGE, ..p }),
			Error::<Test>::MaxAgeStepTooLarge
		);
		// Too large a step: min_quorum to MaxFeeders.
		assert_noop!(
			set(OracleParams { min_quorum: MAX_FEEDERS, ..p }),
			Error::<Test>::MinQuorumStepTooLarge
		);
		// Too large a step: max_deviation to Permill's maximum (100%, within the hard bound).
		assert_noop!(
			set(OracleParams { max_deviation: Permill::from_percent(100), ..p }),
			Error::<Test>::MaxDeviationStepTooLarge
		);
		// Too large a step: max_vol_deviation to its hard maximum.
		assert_noop!(
			set(OracleParams { max_vol_deviation: MAX_MAX_VOL_DEVIATION, ..p }),
			Error::<Test>::MaxVolDeviationStepTooLarge
		);
		// Too large a step: max_vol_deviation to its hard minimum.
		assert_noop!(
			set(OracleParams { max_vol_deviation: MIN_MAX_VOL_DEVIATION, ..p }),
			Error::<Test>::MaxVolDeviationStepTooLarge
		);
		// Too large a step: breaker_window to its hard maximum.
		assert_noop!(
			set(OracleParams { breaker_window: MAX_BREAKER_WINDOW, ..p }),
			Error::<Test>::BreakerWindowStepTooLarge
		);
		// Too large a step: breaker_window to its hard minimum.
		assert_noop!(
			set(OracleParams { breaker_window: MIN_BREAKER_WINDOW, ..p }),
			Error::<Test>::BreakerWindowStepTooLarge
		);
		// Too large a step: breaker_cooloff to its hard maximum.
		assert_noop!(
			set(OracleParams { breaker_cooloff: MAX_BREAKER_COOLOFF, ..p }),
			Error::<Test>::BreakerCooloffStepTooLarge
		);
		// Too large a step: max_dispersion to its hard maximum and minimum.
		assert_noop!(
			set(OracleParams { max_dispersion: MAX_MAX_DISPERSION, ..p }),
			Error::<Test>::MaxDispersionStepTooLarge
		);
		assert_noop!(
			set(OracleParams { max_dispersion: MIN_MAX_DISPERSION, ..p }),
			Error::<Test>::MaxDispersionStepTooLarge
		);
	});
}

#[test]
fn malformed_reset_breaker() {
	use solvent_primitives::OracleKey;
	ExtBuilder::default().build_and_execute(|| {
		// State: BTC_SPOT halted, ETH_SPOT available, BTC_VOL tracked without a quorum.
		feed_all(BTC_SPOT, &[ALICE, BOB, CHARLIE], &[100, 100, 100]);
		next_block();
		feed(ALICE, &[(BTC_SPOT, int(150)), (ETH_SPOT, int(10)), (BTC_VOL, fx(8, 10))]);
		feed(BOB, &[(BTC_SPOT, int(150)), (ETH_SPOT, int(10))]);
		feed(CHARLIE, &[(BTC_SPOT, int(150)), (ETH_SPOT, int(10))]);
		assert_eq!(status(BTC_SPOT), PriceStatus::Halted);
		assert_eq!(status(ETH_SPOT), PriceStatus::Available);
		assert_eq!(status(BTC_VOL), PriceStatus::NoQuorum);
		// Wrong origin: a signed feeder instead of the risk admin (Root), on a halted key.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::signed(ALICE), BTC_SPOT),
			DispatchError::BadOrigin
		);
		// Wrong origin: a signed non-feeder.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::signed(MALLORY), BTC_SPOT),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::none(), BTC_SPOT),
			DispatchError::BadOrigin
		);
		// Not halted: a tracked, available key.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), ETH_SPOT),
			Error::<Test>::NotHalted
		);
		// Not halted: a tracked key without a quorum.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), BTC_VOL),
			Error::<Test>::NotHalted
		);
		// Unknown key: supported but never fed.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), SOL_SPOT),
			Error::<Test>::NotHalted
		);
		// Unknown key: not supported.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), DOGE_SPOT),
			Error::<Test>::NotHalted
		);
		// Unknown key: asset id zero.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), OracleKey::Spot(0)),
			Error::<Test>::NotHalted
		);
		// Unknown key: asset id u32::MAX.
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), OracleKey::ImpliedVol(u32::MAX)),
			Error::<Test>::NotHalted
		);
		// Reset twice: the second one finds the key no longer halted.
		assert_ok!(PriceOracle::reset_breaker(RuntimeOrigin::root(), BTC_SPOT));
		assert_noop!(
			PriceOracle::reset_breaker(RuntimeOrigin::root(), BTC_SPOT),
			Error::<Test>::NotHalted
		);
	});
}

// ------------------------------------------------------------------ upper bound (issue 15)

fn upper_bound(asset: u32) -> Result<FixedU128, PriceError> {
	<PriceOracle as PriceProvider>::spot_upper_bound(asset)
}

/// The upper bound of an unavailable spot price: the highest of the last accepted aggregate,
/// the breaker's reference, the held-back median and the median of the feeders' latest
/// values; never a minority feeder's value.
#[test]
fn upper_bound_is_the_highest_price_half_of_the_feeders_stand_behind() {
	ExtBuilder::default().build_and_execute(|| {
		// Never fed: no bound.
		assert_eq!(upper_bound(BTC), Err(PriceError::NoHistory));
		// Available: the price itself.
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		assert_eq!(upper_bound(BTC), Ok(int(100)));
		next_block();
		// A crash halts the key: the median 50 is held back; the bound is the pre-halt 100.
		feed_all(BTC_SPOT, &[ALICE, BOB], &[50, 50]);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		assert_eq!(upper_bound(BTC), Ok(int(100)));
		// One feeder (of five) submits an absurd price: the medians move to
		// (50 + 100) / 2 = 75 at most (still halted), the bound stays 100.
		feed(DAVE, &[(BTC_SPOT, int(1_000_000))]);
		assert_eq!(state(BTC_SPOT).aggregate, Some(int(75)));
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		assert_eq!(upper_bound(BTC), Ok(int(100)));
	});
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		next_block();
		// A jump halts the key: the held-back median 150 is the bound.
		feed_all(BTC_SPOT, &ABC, &[150, 150, 150]);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		assert_eq!(upper_bound(BTC), Ok(int(150)));
	});
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 102]);
		next_block();
		feed_all(BTC_SPOT, &ABC, &[104, 104, 104]);
		// The feeds stop: 33 s later (max age 30 s) no quorum; the bound is the last accepted
		// aggregate (104), kept in the history, also the median of the stale values.
		for _ in 0..11 {
			next_block();
		}
		assert_eq!(status(BTC_SPOT), PriceStatus::NoQuorum);
		assert_eq!(upper_bound(BTC), Ok(int(104)));
		// One feeder comes back lower: no quorum yet, the bound does not fall.
		feed(ALICE, &[(BTC_SPOT, int(90))]);
		assert_eq!(upper_bound(BTC), Ok(int(104)));
	});
	// Half of the feeders quote an absurd price (red-team review): two of four at 10^9 after
	// a crash to 50. The held-back aggregate averages the two middle values (about 5 x 10^8);
	// the bound takes the lower median of the feeders' values (50) and the pre-halt price:
	// 100, not 5 x 10^8.
	ExtBuilder::default().build_and_execute(|| {
		feed_all(BTC_SPOT, &ABC, &[100, 100, 100]);
		next_block();
		feed_all(BTC_SPOT, &[ALICE, BOB], &[50, 50]);
		feed_all(BTC_SPOT, &[CHARLIE, DAVE], &[1_000_000_000, 1_000_000_000]);
		assert_eq!(get(BTC_SPOT), Err(PriceError::Halted));
		assert!(state(BTC_SPOT).aggregate.unwrap() > int(400_000_000));
		assert_eq!(upper_bound(BTC), Ok(int(100)));
	});
}
