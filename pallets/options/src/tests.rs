//! Tests of the options pallet. USD amounts in 6-decimal units (`USD` = 1 USD); BTC spot
//! 60,000 USD and implied volatility 80% unless a test changes them; fees 0.03% (18 USD per
//! one-BTC contract at 60,000, capped at 12.5% of the premium) with 10% to the insurance fund.

use crate::weights::WeightInfo;
use crate::{
	mock::*, AccountOrders, AccountSeries, ActiveSeries, Book, BookEntry, CancelReason, Error,
	Event, KindSet, OptionsParams, Order, OrderBookView, Orders, Params, PlaceOrderOutcome,
	Positions, PriceLevel, Series, SeriesIndex, SeriesInfo, SeriesStatus, SettlementSource,
	Settlements, ShortMargin, TimeInForce, DAY, HOUR, MINUTE,
};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use solvent_option_pricing::{black_scholes, present_value, year_fraction, BlackScholesInput};
use solvent_primitives::{
	Balance, MarginLedger, MarginRequirement, OptionKind, OracleKey, PositionProvider,
	PositionRisk, PriceError, SeriesId, Side, SignedBalance, TransferOutcome,
};
use sp_arithmetic::{FixedI128, FixedU128, Permill};
use sp_runtime::DispatchError;

use OptionKind::{Call, Put};
use Side::{Buy, Sell};
use TimeInForce::{FillOrKill, GoodTilCancelled as Gtc, ImmediateOrCancel as Ioc, PostOnly};

fn s(x: Balance) -> SignedBalance {
	x as SignedBalance
}

fn place(who: AccountId, series: SeriesId, side: Side, price: Balance, qty: u64, tif: TimeInForce) {
	assert_ok!(Options::place_order(RuntimeOrigin::signed(who), series, side, price, qty, tif));
}

/// `seller` rests an ask of `qty` at 100 USD, `buyer` takes it (fee 12.5 USD per contract each).
fn trade(buyer: AccountId, seller: AccountId, series: SeriesId, qty: u64) {
	place(seller, series, Sell, 100 * USD, qty, Gtc);
	place(buyer, series, Buy, 100 * USD, qty, Ioc);
}

/// The insurance fund short `qty` contracts of `series` and `long` long them, as after a
/// liquidation (positions only: every order of the fund is reduce-only, so it cannot sell).
fn fund_position(series: SeriesId, long: AccountId, qty: i64) {
	let terms = Series::<Test>::get(series).unwrap().terms;
	let mut d = Options::change_position(series, &terms, &long, qty).unwrap();
	d += Options::change_position(series, &terms, &FUND, -qty).unwrap();
	Options::apply_open_interest(series, d).unwrap();
}

fn pos(series: SeriesId, who: AccountId) -> i64 {
	Positions::<Test>::get(series, who).unwrap_or(0)
}

fn oi(series: SeriesId) -> u64 {
	Series::<Test>::get(series).unwrap().open_interest
}

fn status(series: SeriesId) -> SeriesStatus {
	Series::<Test>::get(series).unwrap().status
}

fn asks(series: SeriesId) -> Vec<(u64, Balance)> {
	Book::<Test>::get(series, Sell).iter().map(|e| (e.order_id, e.price)).collect()
}

fn bids(series: SeriesId) -> Vec<(u64, Balance)> {
	Book::<Test>::get(series, Buy).iter().map(|e| (e.order_id, e.price)).collect()
}

fn last_event() -> Event<Test> {
	options_events().pop().expect("an event")
}

/// The default call: BTC 65,000 expiring E2, one BTC per contract.
fn call_65k() -> SeriesId {
	list(btc(Call, 65_000, E2))
}

fn cancelled(
	order_id: u64,
	who: AccountId,
	series: SeriesId,
	remaining: u64,
	reason: CancelReason,
) -> Event<Test> {
	Event::OrderCancelled { order_id, who, series, remaining, reason }
}

// ================================================================== listing

#[test]
fn list_series_records_terms_index_and_active_list() {
	ExtBuilder::default().build_and_execute(|| {
		let terms = btc(Call, 65_000, E2);
		let id = list(terms);
		assert_eq!(id, 0);
		assert_eq!(
			Series::<Test>::get(0),
			Some(SeriesInfo { terms, status: SeriesStatus::Trading, open_interest: 0 })
		);
		assert_eq!(SeriesIndex::<Test>::get(terms), Some(0));
		assert_eq!(ActiveSeries::<Test>::get().to_vec(), vec![(E2, 0)]);
		assert_eq!(last_event(), Event::SeriesListed { series: 0, terms });
		// An earlier expiry goes first in the active list.
		let id1 = list(btc(Put, 65_000, E1));
		assert_eq!(ActiveSeries::<Test>::get().to_vec(), vec![(E1, id1), (E2, 0)]);
	});
}

#[test]
fn list_rejects_past_or_too_soon_expiry() {
	ExtBuilder::default().build_and_execute(|| {
		let past = E1 - DAY; // on the schedule, but in the past
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), BTC, Call, fixed(65_000), past, fixed(1)),
			Error::<Test>::ExpiryTooSoon
		);
		// 30 minutes before E1, with at least one hour required.
		set_now(E1 - 30 * MINUTE);
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), BTC, Call, fixed(65_000), E1, fixed(1)),
			Error::<Test>::ExpiryTooSoon
		);
		// Exactly one hour ahead is fine.
		set_now(E1 - HOUR);
		list(btc(Call, 65_000, E1));
	});
}

#[test]
fn list_rejects_off_schedule_expiry_and_zero_terms() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), BTC, Call, fixed(65_000), E2 + 1, fixed(1)),
			Error::<Test>::ExpiryOffSchedule
		);
		assert_noop!(
			Options::list_series(
				RuntimeOrigin::root(),
				BTC,
				Call,
				fixed(65_000),
				E2 + HOUR,
				fixed(1)
			),
			Error::<Test>::ExpiryOffSchedule
		);
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), BTC, Call, fixed(0), E2, fixed(1)),
			Error::<Test>::ZeroStrike
		);
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), BTC, Call, fixed(65_000), E2, fixed(0)),
			Error::<Test>::ZeroContractSize
		);
	});
}

#[test]
fn list_rejects_duplicates_and_bad_origin() {
	ExtBuilder::default().build_and_execute(|| {
		call_65k();
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), BTC, Call, fixed(65_000), E2, fixed(1)),
			Error::<Test>::SeriesExists
		);
		assert_noop!(
			Options::list_series(
				RuntimeOrigin::signed(ALICE),
				BTC,
				Put,
				fixed(65_000),
				E2,
				fixed(1)
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Options::list_grid(
				RuntimeOrigin::signed(ALICE),
				BTC,
				KindSet::Both,
				BoundedVec::truncate_from(vec![fixed(60_000)]),
				BoundedVec::truncate_from(vec![E2]),
				fixed(1)
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn list_grid_lists_every_kind_expiry_and_strike_in_order() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Options::list_grid(
			RuntimeOrigin::root(),
			BTC,
			KindSet::Both,
			BoundedVec::truncate_from(vec![fixed(60_000), fixed(65_000), fixed(70_000)]),
			BoundedVec::truncate_from(vec![E1, E2]),
			fixed_rational(1, 10)
		));
		assert_eq!(crate::NextSeriesId::<Test>::get(), 12);
		let listed: Vec<_> = (0..12).map(|id| Series::<Test>::get(id).unwrap().terms).collect();
		let mut expected = Vec::new();
		for kind in [Call, Put] {
			for expiry in [E1, E2] {
				for strike in [60_000, 65_000, 70_000] {
					expected.push(crate::SeriesTerms {
						underlying: BTC,
						kind,
						strike: fixed(strike),
						expiry,
						contract_size: fixed_rational(1, 10),
					});
				}
			}
		}
		assert_eq!(listed, expected);
		// Active list sorted by expiry, then id.
		let active: Vec<_> = ActiveSeries::<Test>::get().to_vec();
		assert_eq!(
			active,
			vec![
				(E1, 0),
				(E1, 1),
				(E1, 2),
				(E1, 6),
				(E1, 7),
				(E1, 8),
				(E2, 3),
				(E2, 4),
				(E2, 5),
				(E2, 9),
				(E2, 10),
				(E2, 11)
			]
		);
		assert_eq!(options_events().len(), 12);
	});
}

#[test]
fn list_grid_rejections() {
	ExtBuilder::default().build_and_execute(|| {
		let grid = |kinds, strikes: Vec<u128>, expiries: Vec<u64>| {
			Options::list_grid(
				RuntimeOrigin::root(),
				BTC,
				kinds,
				BoundedVec::truncate_from(strikes.into_iter().map(fixed).collect()),
				BoundedVec::truncate_from(expiries),
				fixed(1),
			)
		};
		assert_noop!(grid(KindSet::Calls, vec![], vec![E2]), Error::<Test>::EmptyGrid);
		assert_noop!(grid(KindSet::Calls, vec![60_000], vec![]), Error::<Test>::EmptyGrid);
		// A repeated strike or expiry.
		assert_noop!(
			grid(KindSet::Calls, vec![60_000, 60_000], vec![E2]),
			Error::<Test>::SeriesExists
		);
		assert_noop!(grid(KindSet::Puts, vec![60_000], vec![E2, E2]), Error::<Test>::SeriesExists);
		// One of the grid's series exists already: nothing is listed.
		list(btc(Put, 65_000, E2));
		assert_noop!(
			grid(KindSet::Both, vec![60_000, 65_000], vec![E1, E2]),
			Error::<Test>::SeriesExists
		);
		// One bad expiry rejects the whole grid.
		assert_noop!(
			grid(KindSet::Calls, vec![60_000], vec![E1, E2 + 1]),
			Error::<Test>::ExpiryOffSchedule
		);
		// The grid's dimensions are bounded by the call's types (4 strikes, 3 expiries).
		assert!(BoundedVec::<FixedU128, <Test as crate::Config>::MaxGridStrikes>::try_from(
			vec![fixed(1); 5]
		)
		.is_err());
		assert!(BoundedVec::<u64, <Test as crate::Config>::MaxGridExpiries>::try_from(vec![E1; 4])
			.is_err());
		// A full-size grid: 2 kinds x 4 strikes x 3 expiries = 24, plus 1 listed = 25 of 30.
		let e3 = E2 + DAY;
		assert_ok!(grid(KindSet::Both, vec![50_000, 55_000, 60_000, 70_000], vec![E1, E2, e3]));
		assert_eq!(ActiveSeries::<Test>::get().len(), 25);
		// 6 more would exceed MaxActiveSeries = 30.
		assert_noop!(
			grid(KindSet::Both, vec![80_000, 85_000, 90_000], vec![E1]),
			Error::<Test>::TooManySeries
		);
		assert_ok!(grid(KindSet::Calls, vec![80_000, 85_000, 90_000, 95_000], vec![E1]));
		assert_eq!(ActiveSeries::<Test>::get().len(), 29);
		list(btc(Call, 100_000, E1));
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), BTC, Call, fixed(101_000), E1, fixed(1)),
			Error::<Test>::TooManySeries
		);
	});
}

// ================================================================== matching

#[test]
fn matching_is_best_price_then_earliest_with_partial_fills() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 2, Gtc); // order 0
		place(BOB, id, Sell, 990 * USD, 1, Gtc); // order 1: better price
		place(CHARLIE, id, Sell, 1_000 * USD, 3, Gtc); // order 2: same price as 0, later
		assert_eq!(asks(id), vec![(1, 990 * USD), (0, 1_000 * USD), (2, 1_000 * USD)]);
		let before: Vec<_> = [ALICE, BOB, CHARLIE, DAVE, FUND, COLLECTOR].map(cash).to_vec();
		System::reset_events();

		place(DAVE, id, Buy, 1_000 * USD, 5, Gtc); // order 3

		let fill = |maker_order, maker, price, quantity: u64| Event::OrderFilled {
			series: id,
			maker_order,
			taker_order: 3,
			maker,
			taker: DAVE,
			taker_side: Buy,
			price,
			quantity,
			premium: price * quantity as u128,
			maker_fee: 18 * USD * quantity as u128,
			taker_fee: 18 * USD * quantity as u128,
		};
		assert_eq!(
			options_events(),
			vec![
				Event::OrderPlaced {
					order_id: 3,
					who: DAVE,
					series: id,
					side: Buy,
					price: 1_000 * USD,
					quantity: 5,
					time_in_force: Gtc
				},
				fill(1, BOB, 990 * USD, 1),
				fill(0, ALICE, 1_000 * USD, 2),
				fill(2, CHARLIE, 1_000 * USD, 2),
			]
		);
		// CHARLIE's order keeps 1 contract at the front; DAVE's order is filled, nothing rests.
		assert_eq!(asks(id), vec![(2, 1_000 * USD)]);
		assert_eq!(Orders::<Test>::get(2).unwrap().remaining, 1);
		assert!(Orders::<Test>::get(0).is_none() && Orders::<Test>::get(1).is_none());
		assert!(bids(id).is_empty());
		assert_eq!(AccountOrders::<Test>::get(ALICE).ids.len(), 0);
		assert_eq!(AccountOrders::<Test>::get(CHARLIE).ids.to_vec(), vec![2]);
		// Positions and open interest.
		assert_eq!(
			(pos(id, DAVE), pos(id, ALICE), pos(id, BOB), pos(id, CHARLIE)),
			(5, -2, -1, -2)
		);
		assert_eq!(oi(id), 5);
		// Cash: DAVE pays 4,990 premium + 90 taker fees; makers receive premium - 18/contract;
		// fees 180 USD: 10% (18 USD) to the fund, 162 USD to the collector.
		let after: Vec<_> = [ALICE, BOB, CHARLIE, DAVE, FUND, COLLECTOR].map(cash).to_vec();
		let delta: Vec<_> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
		assert_eq!(
			delta,
			vec![
				s(1_964 * USD),
				s(972 * USD),
				s(1_964 * USD),
				-s(5_080 * USD),
				s(18 * USD),
				s(162 * USD)
			]
		);
	});
}

#[test]
fn good_til_cancelled_remainder_rests_at_its_limit() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 2, Gtc);
		place(BOB, id, Buy, 1_000 * USD, 5, Gtc); // order 1
		assert_eq!(pos(id, BOB), 2);
		assert!(asks(id).is_empty());
		assert_eq!(bids(id), vec![(1, 1_000 * USD)]);
		assert_eq!(
			Orders::<Test>::get(1),
			Some(Order {
				series: id,
				owner: BOB,
				side: Buy,
				price: 1_000 * USD,
				remaining: 3,
				quantity: 5
			})
		);
		// Later bids at the same price queue behind; a better bid goes in front.
		place(CHARLIE, id, Buy, 1_000 * USD, 1, Gtc); // 2
		place(DAVE, id, Buy, 1_001 * USD, 1, Gtc); // 3
		place(EVE, id, Buy, 999 * USD, 1, Gtc); // 4
		assert_eq!(
			bids(id),
			vec![(3, 1_001 * USD), (1, 1_000 * USD), (2, 1_000 * USD), (4, 999 * USD)]
		);
	});
}

#[test]
fn immediate_or_cancel_cancels_the_remainder() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 2, Gtc);
		place(BOB, id, Buy, 1_000 * USD, 5, Ioc); // order 1
		assert_eq!(pos(id, BOB), 2);
		assert!(bids(id).is_empty() && asks(id).is_empty());
		assert!(Orders::<Test>::get(1).is_none());
		assert_eq!(last_event(), cancelled(1, BOB, id, 3, CancelReason::Unfilled));
		// Nothing crosses: everything is cancelled, nothing moves.
		place(ALICE, id, Sell, 1_200 * USD, 1, Gtc); // 2
		place(BOB, id, Buy, 1_100 * USD, 1, Ioc); // 3
		assert_eq!(last_event(), cancelled(3, BOB, id, 1, CancelReason::Unfilled));
		assert_eq!(pos(id, BOB), 2);
	});
}

#[test]
fn fill_or_kill_fills_all_or_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 2, Gtc);
		place(CHARLIE, id, Sell, 1_010 * USD, 1, Gtc);
		// 4 wanted, 3 available (and 1 beyond the limit price).
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(BOB), id, Buy, 1_010 * USD, 4, FillOrKill),
			Error::<Test>::FillOrKillNotFilled
		);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(BOB), id, Buy, 1_000 * USD, 3, FillOrKill),
			Error::<Test>::FillOrKillNotFilled
		);
		place(BOB, id, Buy, 1_010 * USD, 3, FillOrKill);
		assert_eq!(pos(id, BOB), 3);
		assert!(asks(id).is_empty());
	});
}

#[test]
fn post_only_rests_or_is_rejected() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 2, PostOnly); // 0
		assert_eq!(asks(id), vec![(0, 1_000 * USD)]);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(BOB), id, Buy, 1_000 * USD, 1, PostOnly),
			Error::<Test>::PostOnlyWouldCross
		);
		place(BOB, id, Buy, 999 * USD, 1, PostOnly); // 1
		assert_eq!(bids(id), vec![(1, 999 * USD)]);
		assert_eq!(pos(id, BOB), 0);
	});
}

#[test]
fn fills_per_call_are_bounded_and_a_crossing_remainder_is_cancelled() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		for who in [ALICE, BOB, CHARLIE, DAVE] {
			place(who, id, Sell, 1_000 * USD, 1, Gtc); // 0..=3
		}
		place(EVE, id, Buy, 1_000 * USD, 5, Gtc); // 4: MaxFillsPerCall = 3
		assert_eq!(pos(id, EVE), 3);
		assert_eq!(asks(id), vec![(3, 1_000 * USD)]);
		// The remainder would cross DAVE's ask: cancelled, not rested.
		assert!(bids(id).is_empty());
		assert_eq!(last_event(), cancelled(4, EVE, id, 2, CancelReason::MatchingStopped));
		// Below the remaining ask, a remainder rests normally.
		place(FERDIE, id, Sell, 900 * USD, 1, Gtc); // 5
		place(EVE, id, Buy, 950 * USD, 3, Gtc); // 6
		assert_eq!(pos(id, EVE), 4);
		assert_eq!(bids(id), vec![(6, 950 * USD)]);
		assert_eq!(Orders::<Test>::get(6).unwrap().remaining, 2);
	});
}

#[test]
fn order_rejections() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		let po = |series, price, qty| {
			Options::place_order(RuntimeOrigin::signed(ALICE), series, Buy, price, qty, Gtc)
		};
		assert_noop!(po(id, USD, 0), Error::<Test>::ZeroQuantity);
		assert_noop!(po(id, 0, 1), Error::<Test>::ZeroPrice);
		assert_noop!(po(7, USD, 1), Error::<Test>::UnknownSeries);
		assert_noop!(po(id, u128::MAX, 2), Error::<Test>::Overflow);
		assert_noop!(po(id, USD, u64::MAX), Error::<Test>::Overflow);
		assert_noop!(
			Options::place_order(RuntimeOrigin::none(), id, Buy, USD, 1, Gtc),
			DispatchError::BadOrigin
		);
		// At the expiry the series takes no orders, even before on_initialize marks it.
		set_now(E2);
		assert_noop!(po(id, USD, 1), Error::<Test>::SeriesExpired);
	});
}

#[test]
fn cancel_order_by_owner_only() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 2, Gtc); // 0
		place(ALICE, id, Sell, 1_100 * USD, 1, Gtc); // 1
		assert_noop!(
			Options::cancel_order(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::NotOrderOwner
		);
		assert_noop!(
			Options::cancel_order(RuntimeOrigin::signed(ALICE), 9),
			Error::<Test>::UnknownOrder
		);
		assert_ok!(Options::cancel_order(RuntimeOrigin::signed(ALICE), 0));
		assert_eq!(last_event(), cancelled(0, ALICE, id, 2, CancelReason::ByOwner));
		assert_eq!(asks(id), vec![(1, 1_100 * USD)]);
		assert_eq!(AccountOrders::<Test>::get(ALICE).ids.to_vec(), vec![1]);
		assert!(Orders::<Test>::get(0).is_none());
		assert_noop!(
			Options::cancel_order(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::UnknownOrder
		);
		assert_ok!(Options::cancel_order(RuntimeOrigin::signed(ALICE), 1));
		assert!(!Book::<Test>::contains_key(id, Sell));
		assert!(!AccountOrders::<Test>::contains_key(ALICE));
	});
}

#[test]
fn self_trade_cancels_the_resting_order() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 2, Gtc); // 0
		place(BOB, id, Sell, 1_010 * USD, 1, Gtc); // 1
		place(ALICE, id, Buy, 1_010 * USD, 2, Gtc); // 2
		let events = options_events();
		assert!(events.contains(&cancelled(0, ALICE, id, 2, CancelReason::SelfTrade)));
		// Then BOB's ask fills; the remaining 1 rests at 1,010 (nothing crosses anymore).
		assert_eq!(pos(id, ALICE), 1);
		assert_eq!(pos(id, BOB), -1);
		assert!(asks(id).is_empty());
		assert_eq!(bids(id), vec![(2, 1_010 * USD)]);
	});
}

// ================================================================== fees

#[test]
fn fees_are_exact_and_split_between_fund_and_collector() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 1, Gtc);
		place(BOB, id, Buy, 1_000 * USD, 1, Gtc);
		// Index fee 0.03% x 60,000 = 18 USD < 12.5% x 1,000 = 125 USD.
		assert_eq!(cash(ALICE), s(1_000_000 * USD + 1_000 * USD - 18 * USD));
		assert_eq!(cash(BOB), s(1_000_000 * USD - 1_000 * USD - 18 * USD));
		assert_eq!(cash(FUND), s(3_600_000)); // 1.8 + 1.8 USD
		assert_eq!(cash(COLLECTOR), s(32_400_000));
		// Premium 100 USD: the 12.5% cap (12.5 USD) applies.
		place(ALICE, id, Sell, 100 * USD, 2, Gtc);
		place(BOB, id, Buy, 100 * USD, 2, Gtc);
		match last_event() {
			Event::OrderFilled { maker_fee, taker_fee, premium, .. } => {
				assert_eq!((premium, maker_fee, taker_fee), (200 * USD, 25 * USD, 25 * USD));
			}
			e => panic!("unexpected {e:?}"),
		}
		assert_eq!(cash(FUND), s(3_600_000 + 5_000_000));
		assert_eq!(cash(COLLECTOR), s(32_400_000 + 45_000_000));
	});
}

#[test]
fn fee_rule_rounds_up_and_fund_share_rounds_down() {
	ExtBuilder::default().build_and_execute(|| {
		let rate = Permill::from_parts(300);
		// 0.0003 x 60,000.123457 = 18.0000370371 USD -> 18,000,038 units (rounded up).
		let spot = fixed_rational(60_000_123_457, 1_000_000);
		assert_eq!(Options::fee(rate, spot, fixed(1), 1_000 * USD, 1), 18_000_038);
		// 3 contracts: 54.0001111113 USD -> 54,000,112 (one rounding for the fill).
		assert_eq!(Options::fee(rate, spot, fixed(1), 3_000 * USD, 3), 54_000_112);
		// Contract size 0.1: 1.80000370371 -> 1,800,004.
		assert_eq!(Options::fee(rate, spot, fixed_rational(1, 10), 1_000 * USD, 1), 1_800_004);
		// The cap: 12.5% of a 100.000001 USD premium = 12.500000125 -> 12,500,001.
		assert_eq!(Options::fee(rate, spot, fixed(1), 100_000_001, 1), 12_500_001);
		// Zero rate, zero fee.
		assert_eq!(Options::fee(Permill::zero(), spot, fixed(1), 2_000 * USD, 2), 0);
		// Split: 10% of 18,000,038 = 1,800,003.8 -> 1,800,003 to the fund.
		assert_ok!(Options::pay_fee(&ALICE, 18_000_038));
		assert_eq!(cash(FUND), 1_800_003);
		assert_eq!(cash(COLLECTOR), 16_200_035);
		assert_eq!(cash(ALICE), s(1_000_000 * USD) - 18_000_038);
	});
}

// ================================================================== margin on fills

#[test]
fn writer_without_margin_is_rejected_with_state_unchanged() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(BOB, id, Buy, 1_000 * USD, 1, Gtc);
		Mode::insert(ALICE, MarginMode::Fail);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), id, Sell, 1_000 * USD, 1, Ioc),
			Error::<Test>::InsufficientMargin
		);
		// With the real check: 100 USD of cash cannot back a short call (IM ~ 6,000 USD).
		Cash::insert(EVE, 100 * s(USD));
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(EVE), id, Sell, 1_000 * USD, 1, Ioc),
			Error::<Test>::InsufficientMargin
		);
		// With 7,000 USD more in collateral it can.
		Collateral::insert(EVE, 7_000 * s(USD));
		place(EVE, id, Sell, 1_000 * USD, 1, Ioc);
		assert_eq!(pos(id, EVE), -1);
	});
}

#[test]
fn buyer_pays_premium_and_fee_from_collateral_not_on_credit() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		// The ask is far below the mark (~ thousands of USD): counting the long's mark value
		// without an initial margin would let an empty account buy on credit.
		place(ALICE, id, Sell, 100 * USD, 2, Gtc);
		Cash::insert(EVE, 0);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(EVE), id, Buy, 100 * USD, 1, Ioc),
			Error::<Test>::InsufficientMargin
		);
		// Premium 100 USD + taker fee 12.5 USD: one unit short of it is rejected...
		Cash::insert(EVE, 112_500_000 - 1);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(EVE), id, Buy, 100 * USD, 1, Ioc),
			Error::<Test>::InsufficientMargin
		);
		// ... exactly enough is accepted, leaving no cash and the long's mark as equity.
		Cash::insert(EVE, 112_500_000);
		place(EVE, id, Buy, 100 * USD, 1, Ioc);
		assert_eq!(pos(id, EVE), 1);
		assert_eq!(cash(EVE), 0);
		let req = <Options as PositionProvider<AccountId>>::margin_requirement(&EVE).unwrap();
		assert_eq!((req.initial, req.maintenance), (req.unrealized_pnl as Balance, 0));
	});
}

#[test]
fn maker_failing_margin_is_cancelled_and_matching_goes_on() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 990 * USD, 1, Gtc); // 0
		place(BOB, id, Sell, 1_000 * USD, 1, Gtc); // 1
		Mode::insert(ALICE, MarginMode::Fail);
		let alice_cash = cash(ALICE);
		place(CHARLIE, id, Buy, 1_000 * USD, 1, Gtc); // 2
		let events = options_events();
		assert!(events.contains(&cancelled(0, ALICE, id, 1, CancelReason::MakerMarginCheckFailed)));
		// ALICE's fill was rolled back; BOB filled instead.
		assert_eq!(cash(ALICE), alice_cash);
		assert_eq!(pos(id, ALICE), 0);
		assert_eq!(pos(id, BOB), -1);
		assert_eq!(pos(id, CHARLIE), 1);
		assert_eq!(oi(id), 1);
		assert!(asks(id).is_empty() && bids(id).is_empty());
		assert!(!AccountSeries::<Test>::contains_key(ALICE));
		assert!(!events.iter().any(|e| matches!(e, Event::OrderFilled { maker: ALICE, .. })));
	});
}

/// `who`'s maintenance surplus (equity - MM) now, USD units.
fn surplus(who: AccountId) -> SignedBalance {
	MockLedger::margin_snapshot(&who).unwrap().maintenance_surplus()
}

/// Set `who`'s cash so that its maintenance surplus is `target` USD units.
fn set_surplus(who: AccountId, target: SignedBalance) {
	let now = surplus(who);
	Cash::mutate(who, |c| *c += target - now);
	assert_eq!(surplus(who), target);
}

#[test]
fn closing_fills_are_held_to_the_maintenance_rule() {
	ExtBuilder::default().build_and_execute(|| {
		let call = call_65k();
		let put = list(btc(Put, 55_000, E2));
		trade(ALICE, BOB, call, 1); // ALICE long 1 call
		trade(CHARLIE, ALICE, put, 1); // ALICE short 1 put
		let mark = Options::mark_per_contract(call).unwrap();
		let band = Options::price_band(
			fixed(1),
			bs_price(Call, 65_000, E2),
			fixed(60_000),
			&Params::<Test>::get(),
		);
		assert_eq!(band.lower, 10_000); // one tick: the mark is below the band's width
								  // ALICE is 50 USD above her maintenance margin (and below her initial margin).
		set_surplus(ALICE, 50 * s(USD));
		assert!(!MockLedger::margin_snapshot(&ALICE).unwrap().is_fully_margined());
		// Selling the long at the band's lowest price would cost her its mark (< 100 USD) and
		// leave her below maintenance: rejected, as taker...
		place(DAVE, call, Buy, band.lower, 1, Gtc);
		assert!(mark > 50 * USD);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), call, Sell, band.lower, 1, Ioc),
			Error::<Test>::InsufficientMargin
		);
		assert_ok!(Options::cancel_order(RuntimeOrigin::signed(DAVE), 4));
		// ... and as maker: her closing ask may rest (it adds no margin and leaves her surplus
		// as it is), but its fill is refused and the order cancelled.
		place(ALICE, call, Sell, band.lower, 1, Gtc);
		let ask = AccountOrders::<Test>::get(ALICE).ids[0];
		place(EVE, call, Buy, band.lower, 1, Ioc);
		assert!(options_events().contains(&cancelled(
			ask,
			ALICE,
			call,
			1,
			CancelReason::MakerMarginCheckFailed
		)));
		assert_eq!((pos(call, ALICE), pos(call, EVE)), (1, 0));
		// At the mark, the fee is all it costs (12.5% of the premium): allowed.
		let fair = mark - mark % 10_000; // on the tick
		place(FERDIE, call, Buy, fair, 1, Gtc);
		let before = surplus(ALICE);
		place(ALICE, call, Sell, fair, 1, Ioc);
		assert_eq!(pos(call, ALICE), 0);
		let fee = Options::fee(Permill::from_parts(300), fixed(60_000), fixed(1), fair, 1);
		assert_eq!(surplus(ALICE), before - s(mark - fair) - s(fee));
		// Below maintenance, buying back the short put releases more maintenance margin than
		// it costs: allowed even so.
		set_surplus(ALICE, -100 * s(USD));
		let put_mark = Options::mark_per_contract(put).unwrap();
		let price = put_mark - put_mark % 10_000 + 10_000;
		place(BOB, put, Sell, price, 1, Gtc);
		place(ALICE, put, Buy, price, 1, Ioc);
		assert_eq!(pos(put, ALICE), 0);
		assert!(surplus(ALICE) > -100 * s(USD));
	});
}

#[test]
fn flipping_through_zero_is_checked() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		trade(BOB, ALICE, id, 1); // ALICE -1
		Mode::insert(ALICE, MarginMode::Fail);
		place(CHARLIE, id, Sell, 100 * USD, 2, Gtc);
		// -1 -> +1 is not reduce-only, so the failing check rejects the call.
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), id, Buy, 100 * USD, 2, Ioc),
			Error::<Test>::InsufficientMargin
		);
		assert!(!Options::is_reduce_only(-1, 1));
		assert!(Options::is_reduce_only(-3, -1));
		assert!(Options::is_reduce_only(5, 0));
		assert!(!Options::is_reduce_only(0, 1));
		assert!(!Options::is_reduce_only(2, 3));
	});
}

#[test]
fn no_order_is_accepted_while_the_mark_is_unavailable() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		trade(BOB, ALICE, id, 2); // BOB long 2, ALICE short 2
		place(CHARLIE, id, Buy, 100 * USD, 3, Gtc); // order 2 (the trade used 0 and 1)
		halt(BTC, true);
		// Without a mark there is no band and no margin check: every order is refused, an
		// opening one and a closing one alike, resting or not.
		for (who, side, tif) in [(DAVE, Sell, Ioc), (BOB, Sell, Gtc), (ALICE, Buy, Ioc)] {
			assert_noop!(
				Options::place_order(RuntimeOrigin::signed(who), id, side, 100 * USD, 1, tif),
				Error::<Test>::PriceUnavailable
			);
		}
		// Resting orders stay and can be cancelled.
		assert_eq!(bids(id), vec![(2, 100 * USD)]);
		assert_ok!(Options::cancel_order(RuntimeOrigin::signed(CHARLIE), 2));
		// Risk figures are unavailable too.
		assert_eq!(
			<Options as PositionProvider<AccountId>>::margin_requirement(&ALICE),
			Err(PriceError::Halted)
		);
		// Back in quorum, trading resumes.
		halt(BTC, false);
		trade(ALICE, BOB, id, 1);
		assert_eq!((pos(id, ALICE), pos(id, BOB)), (-1, 1));
	});
}

// ================================================================== bounds

#[test]
fn open_orders_per_account_are_bounded() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		for i in 0..4 {
			place(ALICE, id, Sell, (1_000 + i) * USD, 1, Gtc);
		}
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), id, Sell, 1_100 * USD, 1, Gtc),
			Error::<Test>::TooManyOpenOrders
		);
		// IOC orders never rest: still allowed.
		place(ALICE, id, Buy, 10 * USD, 1, Ioc);
	});
}

#[test]
fn orders_per_book_side_are_bounded() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
			place(who, id, Sell, 1_000 * USD, 1, Gtc);
		}
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(FERDIE), id, Sell, 1_000 * USD, 1, Gtc),
			Error::<Test>::BookSideFull
		);
		// The other side is independent.
		place(FERDIE, id, Buy, 900 * USD, 1, Gtc);
	});
}

#[test]
fn a_traders_footprint_is_bounded() {
	ExtBuilder::default().build_and_execute(|| {
		let ids: Vec<_> =
			[60_000, 65_000, 70_000, 75_000].into_iter().map(|k| list(btc(Call, k, E2))).collect();
		for id in &ids[..3] {
			trade(ALICE, BOB, *id, 1);
		}
		assert_eq!(AccountSeries::<Test>::get(ALICE).to_vec(), ids[..3].to_vec());
		assert_eq!(Options::footprint(&ALICE), 3);
		// Taker opening a 4th series: the call fails.
		place(CHARLIE, ids[3], Sell, 100 * USD, 1, Gtc); // resting ask
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), ids[3], Buy, 100 * USD, 1, Ioc),
			Error::<Test>::TooManyPositions
		);
		// Resting an order in a 4th series: rejected at placement.
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), ids[3], Buy, 50 * USD, 1, Gtc),
			Error::<Test>::TooManyPositions
		);
		// A resting order takes a place in the footprint: DAVE, with a bid in ids[3], can
		// open positions in two more series only.
		place(DAVE, ids[3], Buy, 90 * USD, 1, Gtc);
		trade(DAVE, EVE, ids[0], 1);
		trade(DAVE, EVE, ids[1], 1);
		assert_eq!(Options::footprint(&DAVE), 3);
		place(EVE, ids[2], Sell, 100 * USD, 1, Gtc);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(DAVE), ids[2], Buy, 100 * USD, 1, Ioc),
			Error::<Test>::TooManyPositions
		);
		// ... and so its resting bid can always fill: the series is in its footprint.
		place(FERDIE, ids[3], Sell, 90 * USD, 1, Ioc);
		assert_eq!((pos(ids[3], DAVE), pos(ids[3], FERDIE)), (1, -1));
		// Closing a position frees a place.
		trade(BOB, ALICE, ids[0], 1);
		assert_eq!(pos(ids[0], ALICE), 0);
		place(ALICE, ids[3], Buy, 100 * USD, 1, Ioc);
		assert_eq!(pos(ids[3], ALICE), 1);
	});
}

// ================================================================== trading rules (issue 14)

#[test]
fn price_band_is_exact_to_the_unit() {
	let params = OptionsParams::default(); // band: 50% of the mark, floor 1% of the underlying
										// An in-the-money mark of 20,000.123456789 USD: the rate part (50%) is the wider one.
	let band = Options::price_band(
		fixed(1),
		fixed_rational(20_000_123_456_789, 1_000_000_000),
		fixed(60_000),
		&params,
	);
	assert_eq!(band.mark, 20_000_123_456);
	assert_eq!((band.lower, band.upper), (10_000_061_728, 30_000_185_184));
	// A cheap option (mark 3.5 USD): the floor (1% of 60,000 = 600 USD) is wider, and the
	// lower edge stops at one tick.
	let band = Options::price_band(fixed(1), fixed_rational(35, 10), fixed(60_000), &params);
	assert_eq!((band.mark, band.lower, band.upper), (3_500_000, 10_000, 603_500_000));
	// Contract size 0.1: everything per contract scales (mark 0.35 USD, floor 60 USD, tick
	// 0.001 USD).
	let band =
		Options::price_band(fixed_rational(1, 10), fixed_rational(35, 10), fixed(60_000), &params);
	assert_eq!((band.mark, band.lower, band.upper), (350_000, 1_000, 60_350_000));
	assert!(band.contains(60_350_000) && !band.contains(60_350_001) && !band.contains(999));
}

#[test]
fn orders_outside_the_band_or_off_tick_are_rejected_at_the_edges() {
	ExtBuilder::default().params(OptionsParams::default()).build_and_execute(|| {
		// Deep in the money: a 80,000 put at 60,000, mark about 20,000 USD.
		let put = list(btc(Put, 80_000, E2));
		let mark = bs_price(Put, 80_000, E2);
		let band = Options::price_band(fixed(1), mark, fixed(60_000), &Params::<Test>::get());
		let tick = 10_000;
		let lowest = band.lower.div_ceil(tick) * tick;
		let highest = band.upper / tick * tick;
		let try_place = |side, price| {
			Options::place_order(RuntimeOrigin::signed(ALICE), put, side, price, 1, PostOnly)
		};
		assert_noop!(try_place(Buy, lowest - tick), Error::<Test>::PriceOutsideBand);
		assert_noop!(try_place(Sell, highest + tick), Error::<Test>::PriceOutsideBand);
		assert_noop!(try_place(Buy, lowest + 1), Error::<Test>::PriceNotOnTick);
		assert_ok!(try_place(Buy, lowest));
		assert_ok!(try_place(Sell, highest));
		// An order 1,000 times the mark of a cheap option: rejected.
		let call = call_65k();
		let m = Options::mark_per_contract(call).unwrap();
		assert_noop!(
			Options::place_order(
				RuntimeOrigin::signed(ALICE),
				call,
				Buy,
				m / tick * tick * 1_000,
				1,
				Ioc
			),
			Error::<Test>::PriceOutsideBand
		);
	});
}

#[test]
fn tick_and_minimum_quantity() {
	let params = OptionsParams { min_order_quantity: 5, ..default_params() };
	ExtBuilder::default().params(params).build_and_execute(|| {
		// 0.01 USD per unit: 10,000 units for a contract of 1 BTC, 1,000 for 0.1 BTC, and at
		// least one unit however small the contract.
		assert_eq!(Options::tick(fixed(1), &params), 10_000);
		assert_eq!(Options::tick(fixed_rational(1, 10), &params), 1_000);
		assert_eq!(Options::tick(fixed_rational(1, 100_000_000), &params), 1);
		let id = call_65k();
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), id, Sell, 100 * USD, 4, Gtc),
			Error::<Test>::QuantityBelowMinimum
		);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), id, Sell, 100 * USD + 5_000, 5, Gtc),
			Error::<Test>::PriceNotOnTick
		);
		place(ALICE, id, Sell, 100 * USD + 10_000, 5, Gtc);
		// BOB buys 7 at that price: 5 fill, the remaining 2 are below the minimum and do not
		// rest.
		let order_id = crate::NextOrderId::<Test>::get();
		place(BOB, id, Buy, 100 * USD + 10_000, 7, Gtc);
		assert_eq!(Positions::<Test>::get(id, BOB), Some(5));
		assert!(options_events().contains(&cancelled(
			order_id,
			BOB,
			id,
			2,
			CancelReason::BelowMinimumQuantity
		)));
		assert!(Book::<Test>::get(id, Buy).is_empty());
		assert!(AccountOrders::<Test>::get(BOB).ids.is_empty());
	});
}

#[test]
fn a_full_book_side_evicts_its_worst_order_for_a_better_one() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		// MaxOrdersPerSide = 5: asks at 100, 101, 101, 102, 102 (orders 0..4).
		for (who, price) in [(ALICE, 100), (BOB, 101), (CHARLIE, 101), (DAVE, 102), (EVE, 102)] {
			place(who, id, Sell, price * USD, 1, Gtc);
		}
		// Not better than the worst (102): refused, nothing changes.
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(FERDIE), id, Sell, 102 * USD, 1, Gtc),
			Error::<Test>::BookSideFull
		);
		// Better: the worst order goes (the highest ask, the latest at that price: EVE's).
		place(FERDIE, id, Sell, 101 * USD, 1, Gtc);
		assert!(options_events().contains(&cancelled(4, EVE, id, 1, CancelReason::Evicted)));
		assert_eq!(
			asks(id),
			vec![(0, 100 * USD), (1, 101 * USD), (2, 101 * USD), (5, 101 * USD), (3, 102 * USD)]
		);
		assert!(AccountOrders::<Test>::get(EVE).is_empty());
		// Bids: the worst is the lowest.
		for (who, price) in [(ALICE, 90), (BOB, 80), (CHARLIE, 85), (DAVE, 80), (EVE, 95)] {
			place(who, id, Buy, price * USD, 1, Gtc);
		}
		place(FERDIE, id, Buy, 81 * USD, 1, Gtc);
		assert!(options_events().contains(&cancelled(9, DAVE, id, 1, CancelReason::Evicted)));
		assert_eq!(bids(id).last(), Some(&(7, 80 * USD)));
	});
}

#[test]
fn open_orders_reserve_margin_as_if_filled_at_their_limit() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		let c = bs_price(Call, 65_000, E2);
		let oom = |who| {
			<Options as PositionProvider<AccountId>>::margin_requirement(&who).unwrap().open_orders
		};
		// A bid of 2 at 100 USD: premium 200 USD + maker fee min(2 x 18, 12.5% x 200) = 25 USD.
		place(ALICE, id, Buy, 100 * USD, 2, Gtc);
		assert_eq!(oom(ALICE), 225 * USD);
		// An ask of 3 at 150 USD opening a short: the short's initial margin, less the premium
		// above the mark it would receive, plus the fee (min(3 x 18, 12.5% x 450) = 54 USD).
		// The worse side counts.
		place(ALICE, id, Sell, 150 * USD, 3, Gtc);
		let short = Options::short_margin(
			Call,
			fixed(60_000),
			fixed(65_000),
			c,
			fixed(1),
			3,
			&default_params(),
		);
		let asks_need = short.initial + units_up(c, 3) - 450 * USD + 54 * USD;
		assert_eq!(oom(ALICE), asks_need);
		// Closing orders need nothing: BOB long 2 puts asks 2 at 100 USD.
		let put = list(btc(Put, 55_000, E2));
		trade(BOB, CHARLIE, put, 2);
		place(BOB, put, Sell, 100 * USD, 2, Gtc);
		assert_eq!(oom(BOB), 0);
		// An account without collateral cannot rest an order.
		let other = list(btc(Put, 50_000, E2));
		Cash::insert(EVE, 0);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(EVE), other, Buy, 10 * USD, 1, Gtc),
			Error::<Test>::InsufficientMargin
		);
		// Exactly enough for a bid of one at 10 USD: 10 USD + fee 1.25 USD.
		Cash::insert(EVE, 11_250_000);
		place(EVE, other, Buy, 10 * USD, 1, Gtc);
		assert_eq!(oom(EVE), 11_250_000);
		// A resting order of an account whose margin fell short is cancelled when it meets a
		// taker, and the taker's call goes on.
		Cash::insert(EVE, 0);
		place(FERDIE, other, Sell, 10 * USD, 1, Ioc);
		assert_eq!(pos(other, EVE), 0);
		assert!(AccountOrders::<Test>::get(EVE).is_empty());
	});
}

// ================================================================== pricing and margin

/// `who`'s position in series `id` as the portfolio prices it now.
fn priced(who: AccountId, id: SeriesId) -> PositionRisk {
	<Options as PositionProvider<AccountId>>::portfolio(&who)
		.unwrap()
		.positions
		.into_iter()
		.find(|p| p.id == id)
		.expect("a position")
}

fn bs_price(kind: OptionKind, strike: u128, expiry: u64) -> FixedU128 {
	black_scholes(
		kind,
		&BlackScholesInput {
			spot: fixed(60_000),
			strike: fixed(strike),
			time_to_expiry: year_fraction(Now::get(), expiry),
			volatility: fixed_rational(8, 10),
			rate: Params::<Test>::get().rate,
		},
	)
	.unwrap()
	.price
}

/// USD units of `n x price` (price at 18 decimals), rounded down / up.
fn units_down(price: FixedU128, n: u128) -> u128 {
	price.into_inner() * n / 1_000_000_000_000
}
fn units_up(price: FixedU128, n: u128) -> u128 {
	(price.into_inner() * n).div_ceil(1_000_000_000_000)
}

#[test]
fn mark_is_black_scholes_per_contract() {
	ExtBuilder::default().build_and_execute(|| {
		let call = call_65k();
		let size = fixed_rational(1, 10);
		let put = list(crate::SeriesTerms { contract_size: size, ..btc(Put, 65_000, E2) });
		let c = bs_price(Call, 65_000, E2);
		let p = bs_price(Put, 65_000, E2);
		assert_eq!(Options::mark_per_contract(call), Ok(units_down(c, 1)));
		// 0.1 BTC per contract.
		assert_eq!(Options::mark_per_contract(put), Ok(p.into_inner() / 10 / 1_000_000_000_000));
		// After expiry (before settlement): intrinsic at the current spot.
		set_now(E2);
		set_spot(BTC, fixed(70_000));
		assert_eq!(Options::mark_per_contract(call), Ok(5_000 * USD));
		assert_eq!(Options::mark_per_contract(put), Ok(0));
		set_spot(BTC, fixed(61_000));
		assert_eq!(Options::mark_per_contract(put), Ok(400 * USD)); // 4,000 x 0.1
	});
}

#[test]
fn put_call_parity_holds_on_chain() {
	let params = OptionsParams { rate: rate(5, 100), ..default_params() };
	ExtBuilder::default().params(params).build_and_execute(|| {
		for (strike, expiry) in [(65_000u128, E2), (55_000, E2 + 6 * DAY), (60_000, E1)] {
			let call = list(btc(Call, strike, expiry));
			let put = list(btc(Put, strike, expiry));
			let c = Options::mark_per_contract(call).unwrap() as i128;
			let p = Options::mark_per_contract(put).unwrap() as i128;
			let pv = present_value(fixed(strike), rate(5, 100), year_fraction(T0, expiry)).unwrap();
			// S - K e^{-rT} at 18 decimals.
			let expected = fixed(60_000).into_inner() as i128 - pv.into_inner() as i128;
			let diff = (c - p) * 1_000_000_000_000;
			assert!(
				(diff - expected).abs() <= 1_000_000_000_000,
				"parity off by more than 1 unit: {diff} vs {expected}"
			);
		}
	});
}

#[test]
fn short_margin_follows_the_deribit_rule() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		let m = |kind, spot: FixedU128, strike: u128, mark: FixedU128, size, n| {
			Options::short_margin(kind, spot, fixed(strike), mark, size, n, &p)
		};
		let spot = fixed(60_000);
		let one = fixed(1);
		let margin = |im: u128, mm: u128| ShortMargin { initial: im * USD, maintenance: mm * USD };
		// OTM call K 65,000: max(9,000 - 5,000, 6,000) + 500 = 6,500; MM 4,500 + 500.
		assert_eq!(m(Call, spot, 65_000, fixed(500), one, 1), margin(6_500, 5_000));
		// Slightly OTM call K 62,000: 9,000 - 2,000 = 7,000 > 6,000 -> 8,200; MM 5,700.
		assert_eq!(m(Call, spot, 62_000, fixed(1_200), one, 1), margin(8_200, 5_700));
		// ITM call K 55,000 (OTM amount 0): 9,000 + 6,000 = 15,000; MM 10,500. Two contracts.
		assert_eq!(m(Call, spot, 55_000, fixed(6_000), one, 2), margin(30_000, 21_000));
		// OTM put K 55,000: max(9,000 - 5,000, 6,000) + 400 = 6,400; MM 4,900.
		assert_eq!(m(Put, spot, 55_000, fixed(400), one, 1), margin(6_400, 4_900));
		// ITM put K 65,000: 9,000 + 6,000 = 15,000; MM 10,500; below the cap of 65,000.
		assert_eq!(m(Put, spot, 65_000, fixed(6_000), one, 1), margin(15_000, 10_500));
		// Put cap K x size: K 5,000: IM 6,000 + 1 capped at 5,000, MM 4,501 not capped.
		assert_eq!(m(Put, spot, 5_000, fixed(1), one, 1), margin(5_000, 4_501));
		// K 4,000: both capped at 4,000 x 3 contracts.
		assert_eq!(m(Put, spot, 4_000, fixed(1), one, 3), margin(12_000, 12_000));
		// Contract size 0.1: a tenth.
		assert_eq!(m(Call, spot, 65_000, fixed(500), fixed_rational(1, 10), 1), margin(650, 500));
		// Rounding up: S 60,000.000001, mark 500.0000001: IM 6,500.0000002 -> 6,500,000,001
		// units; MM 5,000.000000175 -> 5,000,000,001.
		let spot = fixed_rational(60_000_000_001, 1_000_000);
		let mark = fixed_rational(5_000_000_001, 10_000_000);
		assert_eq!(
			m(Call, spot, 65_000, mark, one, 1),
			ShortMargin { initial: 6_500_000_001, maintenance: 5_000_000_001 }
		);
		// The fractions are parameters: with im_base 0.18 the slightly OTM call needs
		// 10,800 - 2,000 + 1,200 = 10,000.
		let p2 = OptionsParams { im_base: Permill::from_percent(18), ..p };
		assert_eq!(
			Options::short_margin(Call, fixed(60_000), fixed(62_000), fixed(1_200), one, 1, &p2),
			margin(10_000, 5_700)
		);
	});
}

#[test]
fn position_provider_reports_risk_at_mark() {
	ExtBuilder::default().build_and_execute(|| {
		let call = call_65k();
		let put = list(btc(Put, 55_000, E2));
		trade(ALICE, BOB, call, 2); // ALICE +2 call, BOB -2 call
		trade(BOB, ALICE, put, 3); // BOB +3 put, ALICE -3 put
		let c = bs_price(Call, 65_000, E2);
		let p = bs_price(Put, 55_000, E2);
		let params = default_params();
		let short_put =
			Options::short_margin(Put, fixed(60_000), fixed(55_000), p, fixed(1), 3, &params);
		let short_call =
			Options::short_margin(Call, fixed(60_000), fixed(65_000), c, fixed(1), 2, &params);
		let alice = <Options as PositionProvider<AccountId>>::portfolio(&ALICE).unwrap();
		assert_eq!(
			alice.positions,
			vec![
				PositionRisk {
					id: call,
					quantity: 2,
					mark_value: units_down(c, 2) as i128,
					// A long's initial margin is its mark value (paid in full), no maintenance.
					initial_margin: units_down(c, 2),
					maintenance_margin: 0,
					notional: 120_000 * USD,
					mark_price: c,
					index_price: fixed(60_000),
				},
				PositionRisk {
					id: put,
					quantity: -3,
					mark_value: -(units_up(p, 3) as i128),
					initial_margin: short_put.initial,
					maintenance_margin: short_put.maintenance,
					notional: 180_000 * USD,
					mark_price: p,
					index_price: fixed(60_000),
				},
			]
		);
		assert_eq!(
			<Options as PositionProvider<AccountId>>::margin_requirement(&BOB),
			Ok(MarginRequirement {
				initial: short_call.initial + units_down(p, 3),
				open_orders: 0,
				maintenance: short_call.maintenance,
				unrealized_pnl: units_down(p, 3) as i128 - units_up(c, 2) as i128,
			})
		);
		assert!(<Options as PositionProvider<AccountId>>::has_positions(&ALICE));
		assert!(!<Options as PositionProvider<AccountId>>::has_positions(&CHARLIE));
		// Open interest notional: (2 + 3) x 60,000.
		assert_eq!(
			<Options as PositionProvider<AccountId>>::open_interest_notional(),
			Ok(300_000 * USD)
		);
		halt(BTC, true);
		assert_eq!(
			<Options as PositionProvider<AccountId>>::open_interest_notional(),
			Err(PriceError::Halted)
		);
	});
}

#[test]
fn transfer_position_moves_contracts_at_mark() {
	ExtBuilder::default().build_and_execute(|| {
		let call = call_65k();
		trade(ALICE, BOB, call, 3); // ALICE +3, BOB -3
		let c = bs_price(Call, 65_000, E2);
		let (a, b, f) = (cash(ALICE), cash(BOB), cash(FUND));
		// A long moved: the fund pays ALICE floor(2 x mark).
		let long = priced(ALICE, call);
		let out =
			<Options as PositionProvider<AccountId>>::transfer_position(&ALICE, &FUND, &long, 2)
				.unwrap();
		let v = units_down(c, 2);
		let remaining = PositionRisk {
			quantity: 1,
			mark_value: units_down(c, 1) as i128,
			initial_margin: units_down(c, 1),
			notional: 60_000 * USD,
			..long.clone()
		};
		assert_eq!(
			out,
			TransferOutcome { quantity: 2, value: v as i128, notional: 120_000 * USD, remaining }
		);
		assert_eq!((pos(call, ALICE), pos(call, FUND), oi(call)), (1, 2, 3));
		assert_eq!((cash(ALICE) - a, cash(FUND) - f), (v as i128, -(v as i128)));
		assert_eq!(
			last_event(),
			Event::PositionTransferred {
				series: call,
				from: ALICE,
				to: FUND,
				quantity: 2,
				value: v as i128
			}
		);
		// A short moved onto the fund's long: BOB pays ceil(2 x mark); the fund nets to zero
		// and the open interest falls by 2.
		let f = cash(FUND);
		let short = priced(BOB, call);
		let out =
			<Options as PositionProvider<AccountId>>::transfer_position(&BOB, &FUND, &short, 2)
				.unwrap();
		let v = units_up(c, 2);
		assert_eq!(out.value, -(v as i128));
		assert_eq!((pos(call, BOB), pos(call, FUND), oi(call)), (-1, 0, 1));
		assert_eq!((cash(BOB) - b, cash(FUND) - f), (-(v as i128), v as i128));
		assert!(!AccountSeries::<Test>::contains_key(FUND));
	});
}

#[test]
fn transfer_position_rejections() {
	ExtBuilder::default().build_and_execute(|| {
		let ids: Vec<_> =
			[60_000, 65_000, 70_000, 75_000].into_iter().map(|k| list(btc(Call, k, E2))).collect();
		trade(ALICE, BOB, ids[0], 2);
		let long = priced(ALICE, ids[0]);
		let tp = |from, to, p: &PositionRisk, q| {
			<Options as PositionProvider<AccountId>>::transfer_position(&from, &to, p, q)
		};
		assert_noop!(tp(ALICE, FUND, &long, 0), Error::<Test>::ZeroQuantity);
		assert_noop!(tp(ALICE, ALICE, &long, 1), Error::<Test>::SelfTransfer);
		assert_noop!(
			tp(ALICE, FUND, &PositionRisk { id: 99, ..long.clone() }, 1),
			Error::<Test>::UnknownSeries
		);
		assert_noop!(tp(ALICE, FUND, &long, 3), Error::<Test>::InsufficientPosition);
		// Not the position that was priced (CHARLIE has none; ALICE's changed since).
		assert_noop!(tp(CHARLIE, FUND, &long, 1), Error::<Test>::InsufficientPosition);
		assert_noop!(
			tp(ALICE, FUND, &PositionRisk { quantity: 3, ..long.clone() }, 1),
			Error::<Test>::InsufficientPosition
		);
		// A trader receiver whose footprint is full (MaxPositionsPerAccount other series).
		for id in &ids[1..] {
			trade(CHARLIE, DAVE, *id, 1);
		}
		assert_noop!(tp(ALICE, CHARLIE, &long, 1), Error::<Test>::TooManyPositions);
		// The fund, a protocol account, is not bound by the limit: it takes all four.
		for id in &ids[1..] {
			let p = priced(CHARLIE, *id);
			assert_ok!(tp(CHARLIE, FUND, &p, 1));
		}
		assert_ok!(tp(ALICE, FUND, &long, 1));
		assert_eq!(AccountSeries::<Test>::get(FUND).len(), 4);
		// The transfer uses the mark it was given: no oracle read, so a halt does not block it.
		halt(BTC, true);
		let long = PositionRisk { quantity: 1, ..long };
		assert_ok!(tp(ALICE, FUND, &long, 1));
	});
}

#[test]
fn cancel_orders_for_liquidation() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 1, Gtc); // 0
		place(ALICE, id, Buy, 500 * USD, 2, Gtc); // 1
		place(BOB, id, Buy, 400 * USD, 1, Gtc); // 2
		assert!(<Options as PositionProvider<AccountId>>::has_positions(&ALICE));
		assert_eq!(<Options as PositionProvider<AccountId>>::cancel_orders(&ALICE), 2);
		assert_eq!(
			options_events()[options_events().len() - 2..].to_vec(),
			vec![
				cancelled(0, ALICE, id, 1, CancelReason::Liquidation),
				cancelled(1, ALICE, id, 2, CancelReason::Liquidation),
			]
		);
		assert!(asks(id).is_empty());
		assert_eq!(bids(id), vec![(2, 400 * USD)]);
		assert!(!<Options as PositionProvider<AccountId>>::has_positions(&ALICE));
	});
}

// ================================================================== expiry and settlement

#[test]
fn expiry_stops_trading_and_cancels_resting_orders_within_the_budget() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 1, Gtc); // 0
		place(BOB, id, Sell, 1_001 * USD, 1, Gtc); // 1
		place(CHARLIE, id, Sell, 1_002 * USD, 1, Gtc); // 2
		place(DAVE, id, Buy, 500 * USD, 1, Gtc); // 3
		place(EVE, id, Buy, 499 * USD, 1, Gtc); // 4
		set_twap(BTC, fixed(60_000));
		next_block(); // before expiry: nothing happens
		assert_eq!(status(id), SeriesStatus::Trading);
		set_now(E2);
		System::reset_events();
		next_block();
		// Budget 5 units: the expiry, both bids, the two best asks.
		assert_eq!(
			options_events(),
			vec![
				Event::SeriesExpired { series: id },
				cancelled(3, DAVE, id, 1, CancelReason::Expired),
				cancelled(4, EVE, id, 1, CancelReason::Expired),
				cancelled(0, ALICE, id, 1, CancelReason::Expired),
				cancelled(1, BOB, id, 1, CancelReason::Expired),
			]
		);
		assert_eq!(status(id), SeriesStatus::Expired { price_wait_reported: false });
		assert_eq!(asks(id), vec![(2, 1_002 * USD)]);
		assert_noop!(
			Options::place_order(RuntimeOrigin::signed(ALICE), id, Sell, USD, 1, Gtc),
			Error::<Test>::SeriesExpired
		);
		System::reset_events();
		next_block();
		assert_eq!(
			options_events(),
			vec![
				cancelled(2, CHARLIE, id, 1, CancelReason::Expired),
				Event::SettlementStarted {
					series: id,
					price: fixed(60_000),
					payout_per_contract: 0,
					total_payout: 0,
					source: SettlementSource::Twap,
					fund_shortfall: 0,
				},
				Event::SeriesSettled { series: id, collected: 0, paid: 0, dust: 0 },
			]
		);
		assert_eq!(status(id), SeriesStatus::Settled);
		assert!(ActiveSeries::<Test>::get().is_empty());
		assert!(AccountOrders::<Test>::iter().next().is_none());
	});
}

#[test]
fn without_an_oracle_price_the_series_waits_for_the_risk_admin_once() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		trade(ALICE, BOB, id, 1);
		set_now(E2 + 6_000);
		next_block();
		// No TWAP and no last price: looked up once, reported once.
		assert_eq!(status(id), SeriesStatus::Expired { price_wait_reported: true });
		// The window asked for: [E2 - 30 min, E2].
		assert_eq!(LastTwapRequest::get(), Some((OracleKey::Spot(BTC), 30 * MINUTE, E2)));
		LastTwapRequest::kill();
		// A TWAP appearing later is not asked for: the history before the expiry is final.
		set_twap(BTC, fixed(67_000));
		next_block();
		next_block();
		assert_eq!(LastTwapRequest::get(), None);
		assert_eq!(status(id), SeriesStatus::Expired { price_wait_reported: true });
		let waits = options_events()
			.into_iter()
			.filter(|e| matches!(e, Event::SettlementPriceUnavailable { .. }))
			.count();
		assert_eq!(waits, 1);
		// Marked at intrinsic on the current spot meanwhile.
		set_spot(BTC, fixed(66_000));
		assert_eq!(Options::mark_per_contract(id), Ok(1_000 * USD));
		// The risk admin settles it (reference: the current spot, the oracle kept no price).
		assert_ok!(Options::set_settlement_price(RuntimeOrigin::root(), id, fixed(67_000)));
		next_block();
		assert_eq!(status(id), SeriesStatus::Settled);
		assert_eq!(Settlements::<Test>::get(id).unwrap().paid, 2_000 * USD);
	});
}

/// Settle series `id` with the TWAP at `price`: expire it and run blocks until settled.
fn settle(id: SeriesId, price: FixedU128) {
	let expiry = Series::<Test>::get(id).unwrap().terms.expiry;
	set_twap(BTC, price);
	set_now(expiry.max(Now::get()));
	for _ in 0..10 {
		next_block();
		if status(id) == SeriesStatus::Settled {
			return;
		}
	}
	panic!("series {id} did not settle");
}

fn settled_amount(id: SeriesId, who: AccountId) -> Option<(i64, Balance)> {
	options_events().into_iter().find_map(|e| match e {
		Event::SettledPosition { series, who: w, quantity, amount, .. }
			if series == id && w == who =>
		{
			Some((quantity, amount))
		}
		_ => None,
	})
}

#[test]
fn itm_call_settles_exactly() {
	ExtBuilder::default().build_and_execute(|| {
		let id = list(btc(Call, 60_000, E2));
		trade(ALICE, CHARLIE, id, 2);
		trade(BOB, CHARLIE, id, 1);
		let before = [ALICE, BOB, CHARLIE, FUND].map(cash);
		System::reset_events();
		settle(id, fixed_rational(630_005, 10)); // 63,000.5
										   // 3,000.5 USD per contract.
		assert_eq!(
			options_events()[0..2].to_vec(),
			vec![
				Event::SeriesExpired { series: id },
				Event::SettlementStarted {
					series: id,
					price: fixed_rational(630_005, 10),
					payout_per_contract: 3_000_500_000,
					total_payout: 9_001_500_000,
					source: SettlementSource::Twap,
					fund_shortfall: 0,
				},
			]
		);
		let after = [ALICE, BOB, CHARLIE, FUND].map(cash);
		let delta: Vec<_> = after.iter().zip(before.iter()).map(|(a, b)| a - b).collect();
		assert_eq!(delta, vec![6_001_000_000, 3_000_500_000, -9_001_500_000, 0]);
		assert_eq!(settled_amount(id, ALICE), Some((2, 6_001_000_000)));
		assert_eq!(settled_amount(id, CHARLIE), Some((-3, 9_001_500_000)));
		assert_eq!(cash(Options::settlement_account(id)), 0);
		let st = Settlements::<Test>::get(id).unwrap();
		assert_eq!((st.collected, st.paid, st.dust), (9_001_500_000, 9_001_500_000, 0));
		// Everything is cleaned up.
		assert!(Positions::<Test>::iter_prefix(id).next().is_none());
		assert!(!AccountSeries::<Test>::contains_key(ALICE));
		assert!(!<Options as PositionProvider<AccountId>>::has_positions(&CHARLIE));
		assert_eq!(
			last_event(),
			Event::SeriesSettled {
				series: id,
				collected: 9_001_500_000,
				paid: 9_001_500_000,
				dust: 0
			}
		);
	});
}

/// The insurance fund, short in a series it took over from liquidated writers, can pay only
/// part of its payout: the rest is cut from the longs' payouts, pro rata, when the settlement
/// starts (before anyone is paid), so the loss falls on the opposing positions' profit and no
/// long can withdraw a payout the fund could not make.
#[test]
fn a_fund_short_it_cannot_pay_is_cut_from_the_longs_payouts() {
	ExtBuilder::default().build_and_execute(|| {
		let id = list(btc(Call, 60_000, E2));
		Cash::insert(FUND, 1_000_000 * USD as i128);
		fund_position(id, ALICE, 2); // the fund is short 2
		trade(BOB, CHARLIE, id, 1); // Charlie, short 1, pays in full
							  // The fund can pay 1,000 USD of its 2 x 3,000 = 6,000.
		Cash::insert(FUND, 1_000 * USD as i128);
		let before = [ALICE, BOB, CHARLIE, FUND].map(cash);
		System::reset_events();
		settle(id, fixed(63_000));
		assert_eq!(
			options_events()[1],
			Event::SettlementStarted {
				series: id,
				price: fixed(63_000),
				payout_per_contract: 3_000 * USD,
				total_payout: 9_000 * USD,
				source: SettlementSource::Twap,
				fund_shortfall: 5_000 * USD,
			}
		);
		// Longs: 3,000 x (9,000 - 5,000) / 9,000 = 1,333.33 USD a contract.
		let after = [ALICE, BOB, CHARLIE, FUND].map(cash);
		let delta: Vec<_> = after.iter().zip(before.iter()).map(|(a, b)| a - b).collect();
		assert_eq!(
			delta,
			// The fund: paid 1,000 USD, received the unit of rounding dust.
			vec![2_666_666_666, 1_333_333_333, -3_000 * USD as i128, -(1_000 * USD as i128) + 1]
		);
		let st = Settlements::<Test>::get(id).unwrap();
		assert_eq!((st.collected, st.paid), (4_000 * USD, 3_999_999_999));
		// One unit of rounding dust to the fund; the settlement account ends at zero.
		assert_eq!(st.dust, 1);
		assert_eq!(cash(Options::settlement_account(id)), 0);
	});
}

/// Two series of one expiry in which the fund is short start settling in the same block: the
/// second counts what the first already takes of the fund's cash (found on a live node: each
/// compared its own payout with all of the fund's cash, so neither cut the longs and the
/// fund's deficit was socialized over every cash holder instead).
#[test]
fn two_fund_shorts_settling_together_share_what_the_fund_can_pay() {
	ExtBuilder::default().build_and_execute(|| {
		let a = list(btc(Call, 60_000, E2));
		let b = list(btc(Call, 61_000, E2));
		Cash::insert(FUND, 1_000_000 * USD as i128);
		fund_position(a, ALICE, 1); // the fund owes 3,000 at 63,000
		fund_position(b, BOB, 1); // and 2,000
		Cash::insert(FUND, 4_000 * USD as i128);
		System::reset_events();
		set_twap(BTC, fixed(63_000));
		set_now(E2);
		for _ in 0..10 {
			next_block();
		}
		let shortfalls: Vec<_> = options_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::SettlementStarted { series, fund_shortfall, .. } => {
					Some((series, fund_shortfall))
				}
				_ => None,
			})
			.collect();
		// 4,000 for 5,000: the first series gets its 3,000, the second 1,000 of its 2,000.
		assert_eq!(shortfalls, vec![(a, 0), (b, 1_000 * USD)]);
		assert_eq!(status(b), SeriesStatus::Settled);
		assert_eq!(crate::FundSettlementCommitted::<Test>::get(), 0);
		assert_eq!(cash(FUND), 0);
	});
}

#[test]
fn otm_options_settle_at_zero_and_puts_pay_strike_minus_price() {
	ExtBuilder::default().build_and_execute(|| {
		let otm_call = list(btc(Call, 60_000, E2));
		let itm_put = list(btc(Put, 60_000, E2));
		let otm_put = list(btc(Put, 55_000, E2));
		trade(ALICE, BOB, otm_call, 2);
		trade(ALICE, BOB, itm_put, 2);
		trade(ALICE, BOB, otm_put, 1);
		let (a, b) = (cash(ALICE), cash(BOB));
		set_twap(BTC, fixed(58_000));
		set_now(E2);
		// 5 units per block, every series to its start first (2 units each): the first two
		// start, the third expires.
		next_block();
		assert_eq!(status(otm_call), SeriesStatus::Settling);
		assert_eq!(status(itm_put), SeriesStatus::Settling);
		assert_eq!(status(otm_put), SeriesStatus::Expired { price_wait_reported: false });
		// The third starts (1 unit), the rest is shared: a position each, then one more.
		next_block();
		assert_eq!(status(otm_put), SeriesStatus::Settling);
		let settled = Positions::<Test>::iter().count();
		assert_eq!(settled, 6 - 4);
		next_block();
		for id in [otm_call, itm_put, otm_put] {
			assert_eq!(status(id), SeriesStatus::Settled);
		}
		assert_eq!(settled_amount(otm_call, ALICE), Some((2, 0)));
		assert_eq!(settled_amount(otm_call, BOB), Some((-2, 0)));
		assert_eq!(settled_amount(otm_put, ALICE), Some((1, 0)));
		// Put K 60,000 at 58,000: 2,000 USD per contract.
		assert_eq!(settled_amount(itm_put, ALICE), Some((2, 4_000 * USD)));
		assert_eq!(settled_amount(itm_put, BOB), Some((-2, 4_000 * USD)));
		assert_eq!((cash(ALICE) - a, cash(BOB) - b), (s(4_000 * USD), -s(4_000 * USD)));
	});
}

#[test]
fn payout_per_contract_rounds_down() {
	ExtBuilder::default().build_and_execute(|| {
		let id = list(crate::SeriesTerms {
			contract_size: fixed_rational(1, 10),
			..btc(Call, 60_000, E2)
		});
		trade(ALICE, BOB, id, 3);
		// (60,000.123457 - 60,000) x 0.1 = 0.0123457 USD -> 12,345 units per contract.
		settle(id, fixed_rational(60_000_123_457, 1_000_000));
		let st = Settlements::<Test>::get(id).unwrap();
		assert_eq!((st.payout_per_contract, st.total_payout), (12_345, 37_035));
		assert_eq!(settled_amount(id, ALICE), Some((3, 37_035)));
		assert_eq!(settled_amount(id, BOB), Some((-3, 37_035)));
	});
}

#[test]
fn settlement_spans_blocks_with_a_cursor() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		trade(ALICE, DAVE, id, 1);
		trade(BOB, EVE, id, 1);
		trade(CHARLIE, FERDIE, id, 1);
		assert_eq!(Positions::<Test>::iter_prefix(id).count(), 6);
		set_twap(BTC, fixed(70_000));
		set_now(E2);
		System::reset_events();
		next_block();
		let settled = |events: &[Event<Test>]| {
			events.iter().filter(|e| matches!(e, Event::SettledPosition { .. })).count()
		};
		// MaxSettlementsPerBlock = 5 units: the expiry, the start, 3 positions.
		assert_eq!(settled(&options_events()), 3);
		assert_eq!(status(id), SeriesStatus::Settling);
		assert_eq!(Positions::<Test>::iter_prefix(id).count(), 3);
		let st = Settlements::<Test>::get(id).unwrap();
		assert!(st.cursor.is_some());
		assert_eq!(st.longs_settled + st.shorts_settled, 3);
		Options::do_try_state().unwrap(); // open interest = remaining + settled
		next_block();
		assert_eq!(settled(&options_events()), 6);
		assert_eq!(status(id), SeriesStatus::Settled);
		let st = Settlements::<Test>::get(id).unwrap();
		assert_eq!((st.collected, st.paid, st.dust), (15_000 * USD, 15_000 * USD, 0));
		assert_eq!(st.cursor, None);
		for who in [ALICE, BOB, CHARLIE] {
			assert_eq!(settled_amount(id, who), Some((1, 5_000 * USD)));
		}
		for who in [DAVE, EVE, FERDIE] {
			assert_eq!(settled_amount(id, who), Some((-1, 5_000 * USD)));
		}
		assert_eq!(cash(Options::settlement_account(id)), 0);
		// Liquidation cannot move positions once settlement started: covered below.
	});
}

#[test]
fn liquidating_in_a_settling_series_settles_the_contracts_early() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		for (b, sl) in [(ALICE, DAVE), (BOB, EVE), (CHARLIE, FERDIE)] {
			trade(b, sl, id, 1);
		}
		set_twap(BTC, fixed(70_000));
		set_now(E2);
		next_block();
		assert_eq!(status(id), SeriesStatus::Settling);
		// The remaining positions are marked at the settlement intrinsic, no oracle needed.
		halt(BTC, true);
		assert_eq!(Options::mark_per_contract(id), Ok(5_000 * USD));
		let left: Vec<(AccountId, i64)> = Positions::<Test>::iter_prefix(id).collect();
		assert!(!left.is_empty());
		let account = Options::settlement_account(id);
		for (holder, q) in left {
			let p = priced(holder, id);
			let before = (cash(holder), cash(FUND));
			let out =
				<Options as PositionProvider<AccountId>>::transfer_position(&holder, &FUND, &p, 1)
					.unwrap();
			// Settled at the settlement price, not moved to the fund: a long receives its
			// payout from the settlement account, a short pays it in.
			let value = if q > 0 { s(5_000 * USD) } else { -s(5_000 * USD) };
			assert_eq!((out.quantity, out.value, out.remaining.quantity), (1, value, 0));
			assert_eq!((cash(holder) - before.0, cash(FUND) - before.1), (value, 0));
			assert_eq!(pos(id, holder), 0);
			assert!(!AccountSeries::<Test>::contains_key(holder));
			assert_eq!(
				last_event(),
				Event::SettledPosition {
					series: id,
					who: holder,
					quantity: q,
					amount: 5_000 * USD,
				}
			);
		}
		// The settlement finishes with every contract counted and the account at zero.
		next_block();
		assert_eq!(status(id), SeriesStatus::Settled);
		let st = Settlements::<Test>::get(id).unwrap();
		assert_eq!(
			(st.collected, st.paid, st.longs_settled, st.shorts_settled),
			(15_000 * USD, 15_000 * USD, 3, 3)
		);
		assert_eq!(cash(account), 0);
	});
}

#[test]
fn funds_are_conserved_over_many_settlements() {
	ExtBuilder::default().build_and_execute(|| {
		let ids: Vec<_> = [60_000u128, 61_000, 62_000]
			.into_iter()
			.map(|k| {
				list(crate::SeriesTerms { contract_size: fixed_rational(3, 7), ..btc(Call, k, E2) })
			})
			.collect();
		let who = [ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE];
		// The tick of a 3/7 contract: floor(3/7 x 10,000) = 4,285 units.
		let price = Options::tick(fixed_rational(3, 7), &default_params()) * 20_000;
		assert_eq!(price, 85_700_000);
		for (i, id) in ids.iter().enumerate() {
			let trade = |buyer, seller, qty| {
				place(seller, *id, Sell, price, qty, Gtc);
				place(buyer, *id, Buy, price, qty, Ioc);
			};
			trade(who[i], who[i + 3], 3 + i as u64);
			trade(who[(i + 1) % 3], who[3 + (i + 2) % 3], 2);
		}
		let total_before: i128 = who.iter().chain(&[FUND, COLLECTOR]).map(|a| cash(*a)).sum();
		set_twap(BTC, fixed_rational(63_456_789_123, 1_000_000));
		set_now(E2);
		run_to_block(10);
		for id in &ids {
			assert_eq!(status(*id), SeriesStatus::Settled);
			let st = Settlements::<Test>::get(id).unwrap();
			assert_eq!(st.paid as i128 + st.dust, st.collected as i128);
			assert_eq!(st.collected, st.total_payout);
			assert_eq!(cash(Options::settlement_account(*id)), 0);
		}
		// Cash only moved between these accounts.
		let total_after: i128 = who.iter().chain(&[FUND, COLLECTOR]).map(|a| cash(*a)).sum();
		assert_eq!(total_after, total_before);
	});
}

// ================================================================== settlement fallbacks

/// Move to series `id`'s expiry and run blocks until it settles or waits for the risk admin.
fn run_settlement(id: SeriesId) {
	let expiry = Series::<Test>::get(id).unwrap().terms.expiry;
	set_now(expiry.max(Now::get()));
	for _ in 0..10 {
		next_block();
		if matches!(
			status(id),
			SeriesStatus::Settled | SeriesStatus::Expired { price_wait_reported: true }
		) {
			return;
		}
	}
	panic!("series {id} neither settled nor waits for the risk admin");
}

/// The price and source series `id` started settling at.
fn started(id: SeriesId) -> Option<(FixedU128, SettlementSource)> {
	options_events().into_iter().find_map(|e| match e {
		Event::SettlementStarted { series, price, source, .. } if series == id => {
			Some((price, source))
		}
		_ => None,
	})
}

fn set_price(id: SeriesId, price: FixedU128) -> sp_runtime::DispatchResult {
	Options::set_settlement_price(RuntimeOrigin::root(), id, price)
}

#[test]
fn twap_short_of_coverage_falls_back_to_the_last_price() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		trade(ALICE, BOB, id, 2);
		// The TWAP (70,000) covers 12 of the window's 30 minutes: 40%, below the 50% minimum.
		set_twap(BTC, fixed(70_000));
		set_twap_coverage(BTC, 12 * MINUTE);
		// The last price, 68,000, was available until 10 minutes before the expiry: within the
		// 1-hour lookback.
		set_last_price(BTC, fixed(68_000), E2 - 10 * MINUTE);
		run_settlement(id);
		assert_eq!(status(id), SeriesStatus::Settled);
		assert_eq!(started(id), Some((fixed(68_000), SettlementSource::LastPrice)));
		let st = Settlements::<Test>::get(id).unwrap();
		assert_eq!(
			(st.price, st.source, st.payout_per_contract, st.total_payout),
			(fixed(68_000), SettlementSource::LastPrice, 3_000 * USD, 6_000 * USD)
		);
		assert_eq!(settled_amount(id, ALICE), Some((2, 6_000 * USD)));
		assert_eq!(settled_amount(id, BOB), Some((-2, 6_000 * USD)));
	});
}

#[test]
fn twap_coverage_of_exactly_the_minimum_is_enough() {
	for (covered, expected) in [
		// 50% of 30 minutes.
		(15 * MINUTE, (fixed(70_000), SettlementSource::Twap)),
		(15 * MINUTE - 1, (fixed(68_000), SettlementSource::LastPrice)),
	] {
		ExtBuilder::default().build_and_execute(|| {
			let id = call_65k();
			set_twap(BTC, fixed(70_000));
			set_twap_coverage(BTC, covered);
			set_last_price(BTC, fixed(68_000), E2);
			run_settlement(id);
			assert_eq!(started(id), Some(expected));
		});
	}
	// The last price at the lookback's edge: available until exactly 1 hour before the expiry.
	for (until, waits) in [(E2 - HOUR, false), (E2 - HOUR - 1, true)] {
		ExtBuilder::default().build_and_execute(|| {
			let id = call_65k();
			set_last_price(BTC, fixed(68_000), until);
			run_settlement(id);
			assert_eq!(status(id) == SeriesStatus::Expired { price_wait_reported: true }, waits);
		});
	}
}

#[test]
fn no_price_in_the_lookback_waits_and_the_risk_admin_settles_within_the_band() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		let other = list(btc(Put, 60_000, E2));
		trade(ALICE, BOB, id, 2);
		// No TWAP; the last price, 60,000, was available until 1 hour and 1 ms before the
		// expiry: beyond the 1-hour lookback.
		set_last_price(BTC, fixed(60_000), E2 - HOUR - 1);
		run_settlement(id);
		assert_eq!(status(id), SeriesStatus::Expired { price_wait_reported: true });
		assert_eq!(status(other), SeriesStatus::Expired { price_wait_reported: true });
		assert!(options_events().contains(&Event::SettlementPriceUnavailable { series: id }));
		assert_eq!(started(id), None);
		// The following blocks do nothing: no lookup, no unit.
		System::reset_events();
		next_block();
		assert!(options_events().is_empty());
		// Only the risk admin.
		assert_noop!(
			Options::set_settlement_price(RuntimeOrigin::signed(ALICE), id, fixed(60_000)),
			DispatchError::BadOrigin
		);
		// The band: 20% of the reference 60,000 (the last price, however old), [48,000,
		// 72,000].
		let above = FixedU128::from_inner(fixed(72_000).into_inner() + 1);
		let below = FixedU128::from_inner(fixed(48_000).into_inner() - 1);
		for price in [above, below, FixedU128::from_inner(0)] {
			assert_noop!(set_price(id, price), Error::<Test>::SettlementPriceOutsideBand);
		}
		// At the band's edge: set, and the settlement starts.
		System::reset_events();
		assert_ok!(set_price(id, fixed(72_000)));
		assert_eq!(
			options_events(),
			vec![
				Event::SettlementPriceSet {
					series: id,
					price: fixed(72_000),
					reference: fixed(60_000)
				},
				Event::SettlementStarted {
					series: id,
					price: fixed(72_000),
					payout_per_contract: 7_000 * USD,
					total_payout: 14_000 * USD,
					source: SettlementSource::Governance,
					fund_shortfall: 0,
				},
			]
		);
		assert_eq!(status(id), SeriesStatus::Settling);
		assert_noop!(set_price(id, fixed(72_000)), Error::<Test>::SeriesSettling);
		next_block();
		assert_eq!(status(id), SeriesStatus::Settled);
		assert_eq!(Settlements::<Test>::get(id).unwrap().source, SettlementSource::Governance);
		assert_eq!(settled_amount(id, ALICE), Some((2, 14_000 * USD)));
		assert_eq!(settled_amount(id, BOB), Some((-2, 14_000 * USD)));
		assert_noop!(set_price(id, fixed(72_000)), Error::<Test>::SeriesSettling);
		// The lower edge is in the band too.
		assert_ok!(set_price(other, fixed(48_000)));
	});
}

#[test]
fn the_band_is_around_the_current_spot_when_the_oracle_kept_no_price() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		run_settlement(id);
		assert_eq!(status(id), SeriesStatus::Expired { price_wait_reported: true });
		// Nothing before the expiry and nothing now: no reference.
		halt(BTC, true);
		assert_noop!(set_price(id, fixed(60_000)), Error::<Test>::NoReferencePrice);
		// The current spot, 50,000: [40,000, 60,000].
		halt(BTC, false);
		set_spot(BTC, fixed(50_000));
		assert_noop!(set_price(id, fixed(60_001)), Error::<Test>::SettlementPriceOutsideBand);
		assert_ok!(set_price(id, fixed(60_000)));
		assert!(options_events().contains(&Event::SettlementPriceSet {
			series: id,
			price: fixed(60_000),
			reference: fixed(50_000)
		}));
	});
}

#[test]
fn set_settlement_price_only_for_a_series_waiting_for_it() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(set_price(99, fixed(60_000)), Error::<Test>::UnknownSeries);
		let id = call_65k();
		set_last_price(BTC, fixed(60_000), T0);
		// Trading.
		assert_noop!(set_price(id, fixed(60_000)), Error::<Test>::SettlementPriceNotAwaited);
		// Past the expiry, still trading (no block yet).
		set_now(E2);
		assert_noop!(set_price(id, fixed(60_000)), Error::<Test>::SettlementPriceNotAwaited);
		// Expired with resting orders left (5 units: the expiry and 4 of 6 orders): the oracle
		// was not asked yet.
		set_now(T0);
		for (i, who) in [ALICE, BOB, CHARLIE, DAVE, EVE].into_iter().enumerate() {
			place(who, id, Sell, (1_000 + i as u128) * USD, 1, Gtc);
		}
		place(FERDIE, id, Buy, 500 * USD, 1, Gtc);
		set_now(E2);
		next_block();
		assert_eq!(status(id), SeriesStatus::Expired { price_wait_reported: false });
		assert_noop!(set_price(id, fixed(60_000)), Error::<Test>::SettlementPriceNotAwaited);
		// Then: the last orders, the lookup (the last price is too old), the wait.
		next_block();
		assert_eq!(status(id), SeriesStatus::Expired { price_wait_reported: true });
		assert_ok!(set_price(id, fixed(60_000)));
	});
}

#[test]
fn every_series_of_an_expiry_starts_settling_before_positions_are_settled() {
	ExtBuilder::default().build_and_execute(|| {
		// Two large series of one expiry, 6 positions each; the first also has 3 resting
		// orders. 5 units per block.
		let a = call_65k();
		let b = list(btc(Put, 55_000, E2));
		for id in [a, b] {
			trade(ALICE, DAVE, id, 1);
			trade(BOB, EVE, id, 1);
			trade(CHARLIE, FERDIE, id, 1);
		}
		for (i, who) in [ALICE, BOB, CHARLIE].into_iter().enumerate() {
			place(who, a, Sell, (1_000 + i as u128) * USD, 1, Gtc);
		}
		set_twap(BTC, fixed(70_000));
		set_now(E2);
		let left = |id| Positions::<Test>::iter_prefix(id).count();
		// Block 1: a's expiry, 3 cancellations and start take the budget.
		next_block();
		assert_eq!((status(a), status(b)), (SeriesStatus::Settling, SeriesStatus::Trading));
		assert_eq!((left(a), left(b)), (6, 6));
		// Block 2: b's expiry and start come before any position (2 units); the other 3 are
		// shared, a position each, then one more to a.
		next_block();
		assert_eq!((status(a), status(b)), (SeriesStatus::Settling, SeriesStatus::Settling));
		assert_eq!((left(a), left(b)), (4, 5));
		assert_eq!(started(b), Some((fixed(70_000), SettlementSource::Twap)));
		// Block 3: shares of 2, then 1 to a.
		next_block();
		assert_eq!((left(a), left(b)), (1, 3));
		// Block 4: a's last position and its end; b's positions.
		next_block();
		assert_eq!((status(a), left(b)), (SeriesStatus::Settled, 0));
		assert_eq!(status(b), SeriesStatus::Settling);
		// Block 5: b's end.
		next_block();
		assert_eq!(status(b), SeriesStatus::Settled);
		assert!(ActiveSeries::<Test>::get().is_empty());
		// The put is out of the money at 70,000; the call pays 5,000 USD per contract.
		assert_eq!(settled_amount(a, ALICE), Some((1, 5_000 * USD)));
		assert_eq!(settled_amount(b, ALICE), Some((1, 0)));
	});
}

#[test]
fn a_waiting_series_takes_no_budget_from_the_others() {
	ExtBuilder::default().build_and_execute(|| {
		// Five series of one expiry waiting for the risk admin (no oracle price), then one
		// with 6 positions.
		let waiting: Vec<SeriesId> =
			(0..5u128).map(|i| list(btc(Put, 40_000 + i * 1_000, E2))).collect();
		let id = call_65k();
		trade(ALICE, DAVE, id, 1);
		trade(BOB, EVE, id, 1);
		trade(CHARLIE, FERDIE, id, 1);
		set_now(E2);
		next_block(); // 5 expiries
		next_block(); // 5 lookups: all wait
		for w in &waiting {
			assert_eq!(status(*w), SeriesStatus::Expired { price_wait_reported: true });
		}
		set_twap(BTC, fixed(70_000));
		// The call: expiry, lookup (it has a price), 3 positions; then 3 positions and its end.
		next_block();
		assert_eq!(status(id), SeriesStatus::Settling);
		next_block();
		assert_eq!(status(id), SeriesStatus::Settled);
		// The waiting ones are still active.
		assert_eq!(ActiveSeries::<Test>::get().len(), 5);
	});
}

#[test]
fn integrity_test_checks_the_oracle_history_span() {
	ExtBuilder::default().build_and_execute(|| {
		// The runtime's oracle keeps 24 h 55 min: the longest window and lookback (4 h each)
		// looked up within an hour of the expiry fit.
		assert_eq!(Options::oracle_history_span(), 89_700_000);
		<Options as frame_support::traits::Hooks<u64>>::integrity_test();
	});
}

#[test]
#[should_panic(expected = "the oracle's history is shorter")]
fn integrity_test_fails_with_a_short_oracle_history() {
	ExtBuilder::default().build().execute_with(|| {
		HistorySpan::set(5 * HOUR - 1);
		<Options as frame_support::traits::Hooks<u64>>::integrity_test();
	});
}

// ================================================================== parameters

#[test]
fn set_params_within_bounds_and_steps() {
	ExtBuilder::default().build_and_execute(|| {
		let old = default_params();
		let new = OptionsParams {
			maker_fee_rate: Permill::from_parts(450),
			taker_fee_rate: Permill::from_parts(150),
			im_base: Permill::from_percent(18),
			im_min: Permill::from_percent(12),
			mm_rate: Permill::from_parts(90_000),
			rate: rate(1, 100),
			settlement_window: 45 * MINUTE,
			expiry_interval: DAY / 2,
			expiry_offset: 4 * HOUR,
			min_time_to_expiry: 30 * MINUTE,
			price_band_rate: Permill::from_percent(60),
			price_band_floor: Permill::from_percent(1),
			tick_size: 15_000,
			min_order_quantity: 1,
			min_twap_coverage: Permill::from_percent(70),
			settlement_lookback: 90 * MINUTE,
			settlement_price_band: Permill::from_percent(10),
			unwind_spread: Permill::from_percent(3),
		};
		assert_ok!(Options::set_params(RuntimeOrigin::root(), new));
		assert_eq!(Params::<Test>::get(), new);
		assert_eq!(last_event(), Event::ParamsSet { old, new });
		assert_noop!(
			Options::set_params(RuntimeOrigin::signed(ALICE), old),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn set_params_rejects_out_of_bounds() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		let cases: Vec<(OptionsParams, Error<Test>)> = vec![
			(
				OptionsParams { maker_fee_rate: Permill::from_parts(2_001), ..p },
				Error::MakerFeeOutOfBounds,
			),
			(
				OptionsParams { taker_fee_rate: Permill::from_parts(2_001), ..p },
				Error::TakerFeeOutOfBounds,
			),
			(OptionsParams { im_base: Permill::from_percent(4), ..p }, Error::ImBaseOutOfBounds),
			(OptionsParams { im_base: Permill::from_percent(51), ..p }, Error::ImBaseOutOfBounds),
			(OptionsParams { im_min: Permill::from_percent(1), ..p }, Error::ImMinOutOfBounds),
			(OptionsParams { mm_rate: Permill::from_parts(9_999), ..p }, Error::MmRateOutOfBounds),
			(
				OptionsParams { mm_rate: Permill::from_percent(11), ..p },
				Error::MarginFractionsInconsistent,
			),
			(
				OptionsParams { im_min: Permill::from_percent(16), ..p },
				Error::MarginFractionsInconsistent,
			),
			(OptionsParams { rate: rate(21, 100), ..p }, Error::RateOutOfBounds),
			(OptionsParams { rate: rate(-6, 100), ..p }, Error::RateOutOfBounds),
			(
				OptionsParams { settlement_window: MINUTE - 1, ..p },
				Error::SettlementWindowOutOfBounds,
			),
			(
				OptionsParams { settlement_window: 4 * HOUR + 1, ..p },
				Error::SettlementWindowOutOfBounds,
			),
			(
				OptionsParams { expiry_interval: MINUTE - 1, expiry_offset: 0, ..p },
				Error::ExpiryIntervalOutOfBounds,
			),
			(OptionsParams { expiry_interval: 8 * DAY, ..p }, Error::ExpiryIntervalOutOfBounds),
			(OptionsParams { expiry_offset: DAY, ..p }, Error::ExpiryOffsetOutOfBounds),
			(
				OptionsParams { min_time_to_expiry: MINUTE - 1, ..p },
				Error::MinTimeToExpiryOutOfBounds,
			),
			(
				OptionsParams { min_time_to_expiry: 7 * DAY + 1, ..p },
				Error::MinTimeToExpiryOutOfBounds,
			),
			(
				OptionsParams { price_band_rate: Permill::from_parts(99_999), ..p },
				Error::PriceBandRateOutOfBounds,
			),
			(
				OptionsParams { price_band_floor: Permill::from_parts(20_001), ..p },
				Error::PriceBandFloorOutOfBounds,
			),
			(
				OptionsParams { price_band_floor: Permill::from_parts(999), ..p },
				Error::PriceBandFloorOutOfBounds,
			),
			(OptionsParams { tick_size: 0, ..p }, Error::TickSizeOutOfBounds),
			(OptionsParams { tick_size: 100_000_001, ..p }, Error::TickSizeOutOfBounds),
			(OptionsParams { min_order_quantity: 0, ..p }, Error::MinOrderQuantityOutOfBounds),
			(OptionsParams { min_order_quantity: 1_001, ..p }, Error::MinOrderQuantityOutOfBounds),
			(
				OptionsParams { min_twap_coverage: Permill::from_parts(99_999), ..p },
				Error::MinTwapCoverageOutOfBounds,
			),
			(
				OptionsParams { settlement_lookback: MINUTE - 1, ..p },
				Error::SettlementLookbackOutOfBounds,
			),
			(
				OptionsParams { settlement_lookback: 4 * HOUR + 1, ..p },
				Error::SettlementLookbackOutOfBounds,
			),
			(
				OptionsParams { settlement_price_band: Permill::from_parts(9_999), ..p },
				Error::SettlementPriceBandOutOfBounds,
			),
			(
				OptionsParams { settlement_price_band: Permill::from_parts(500_001), ..p },
				Error::SettlementPriceBandOutOfBounds,
			),
			(
				OptionsParams { unwind_spread: Permill::from_parts(100_001), ..p },
				Error::UnwindSpreadOutOfBounds,
			),
		];
		for (params, error) in cases {
			assert_noop!(Options::set_params(RuntimeOrigin::root(), params), error);
		}
	});
}

#[test]
fn set_params_rejects_large_steps() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		let cases: Vec<(OptionsParams, Error<Test>)> = vec![
			// 50% of 300 ppm is 150 ppm.
			(
				OptionsParams { maker_fee_rate: Permill::from_parts(451), ..p },
				Error::MakerFeeStepTooLarge,
			),
			(
				OptionsParams { taker_fee_rate: Permill::from_parts(149), ..p },
				Error::TakerFeeStepTooLarge,
			),
			// 20% of 0.15 is 0.03.
			(
				OptionsParams { im_base: Permill::from_parts(180_001), ..p },
				Error::ImBaseStepTooLarge,
			),
			(
				OptionsParams {
					im_min: Permill::from_parts(79_999),
					mm_rate: Permill::from_parts(70_000),
					..p
				},
				Error::ImMinStepTooLarge,
			),
			(
				OptionsParams { mm_rate: Permill::from_parts(59_999), ..p },
				Error::MmRateStepTooLarge,
			),
			// One percentage point.
			(
				OptionsParams { rate: FixedI128::from_inner(10_000_000_000_000_001), ..p },
				Error::RateStepTooLarge,
			),
			(
				OptionsParams { settlement_window: 45 * MINUTE + 1, ..p },
				Error::SettlementWindowStepTooLarge,
			),
			(
				OptionsParams { expiry_interval: DAY * 3 / 2 + 1, ..p },
				Error::ExpiryIntervalStepTooLarge,
			),
			(OptionsParams { expiry_offset: 12 * HOUR + 1, ..p }, Error::ExpiryOffsetStepTooLarge),
			(
				OptionsParams { min_time_to_expiry: 90 * MINUTE + 1, ..p },
				Error::MinTimeToExpiryStepTooLarge,
			),
			// 50% of 100% is 50%; of 2%, 1%; of 10,000 units, 5,000; of 1 contract, 1.
			(
				OptionsParams { price_band_rate: Permill::from_parts(499_999), ..p },
				Error::PriceBandRateStepTooLarge,
			),
			(
				OptionsParams { price_band_floor: Permill::from_parts(9_999), ..p },
				Error::PriceBandFloorStepTooLarge,
			),
			(OptionsParams { tick_size: 15_001, ..p }, Error::TickSizeStepTooLarge),
			(OptionsParams { min_order_quantity: 3, ..p }, Error::MinOrderQuantityStepTooLarge),
			// 50% of 50% is 25%; of 1 hour, 30 minutes; of 20%, 10%.
			(
				OptionsParams { min_twap_coverage: Permill::from_parts(750_001), ..p },
				Error::MinTwapCoverageStepTooLarge,
			),
			(
				OptionsParams { settlement_lookback: 30 * MINUTE - 1, ..p },
				Error::SettlementLookbackStepTooLarge,
			),
			(
				OptionsParams { settlement_price_band: Permill::from_parts(300_001), ..p },
				Error::SettlementPriceBandStepTooLarge,
			),
			// 1% -> 3.0001%: more than 2 percentage points (absolute step).
			(
				OptionsParams { unwind_spread: Permill::from_parts(30_001), ..p },
				Error::UnwindSpreadStepTooLarge,
			),
		];
		for (params, error) in cases {
			assert_noop!(Options::set_params(RuntimeOrigin::root(), params), error);
		}
		// The largest steps are accepted.
		assert_ok!(Options::set_params(
			RuntimeOrigin::root(),
			OptionsParams {
				maker_fee_rate: Permill::from_parts(450),
				im_base: Permill::from_parts(180_000),
				rate: rate(1, 100),
				settlement_window: 45 * MINUTE,
				min_twap_coverage: Permill::from_percent(75),
				settlement_lookback: 30 * MINUTE,
				settlement_price_band: Permill::from_percent(30),
				unwind_spread: Permill::from_percent(3),
				..p
			}
		));
		// From 3% to zero in two steps of 2 points: an absolute step reaches the lower bound.
		let q = Params::<Test>::get();
		assert_ok!(Options::set_params(
			RuntimeOrigin::root(),
			OptionsParams { unwind_spread: Permill::from_percent(1), ..q }
		));
		assert_ok!(Options::set_params(
			RuntimeOrigin::root(),
			OptionsParams { unwind_spread: Permill::zero(), ..q }
		));
	});
}

#[test]
fn new_schedule_applies_to_later_listings() {
	ExtBuilder::default().build_and_execute(|| {
		let p = OptionsParams { expiry_offset: 12 * HOUR, ..default_params() };
		assert_ok!(Options::set_params(RuntimeOrigin::root(), p));
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), BTC, Call, fixed(65_000), E2, fixed(1)),
			Error::<Test>::ExpiryOffSchedule
		);
		list(btc(Call, 65_000, E2 + 4 * HOUR));
	});
}

#[test]
#[should_panic(expected = "options genesis params out of bounds")]
fn genesis_rejects_params_out_of_bounds() {
	let params = OptionsParams { mm_rate: Permill::from_percent(12), ..default_params() };
	let _ = ExtBuilder::default().params(params).build();
}

// ================================================================== views

#[test]
fn runtime_api_views() {
	ExtBuilder::default().build_and_execute(|| {
		let call = call_65k();
		let size = fixed_rational(1, 10);
		let put = list(crate::SeriesTerms { contract_size: size, ..btc(Put, 55_000, E2) });
		trade(ALICE, BOB, call, 2);
		trade(BOB, ALICE, put, 5);
		place(CHARLIE, call, Buy, 90 * USD, 2, Gtc);
		place(DAVE, call, Buy, 90 * USD, 1, Gtc);
		place(EVE, call, Buy, 80 * USD, 4, Gtc);
		place(FERDIE, call, Sell, 150 * USD, 1, Gtc);

		// Series list.
		let list = Options::series_list();
		assert_eq!(
			list.iter().map(|v| (v.id, v.open_interest)).collect::<Vec<_>>(),
			vec![(0, 2), (1, 5)]
		);

		// Mark and Greeks of the put: per contract = per unit x 0.1.
		let m = Options::mark_view(put).unwrap();
		let g = black_scholes(
			Put,
			&BlackScholesInput {
				spot: fixed(60_000),
				strike: fixed(55_000),
				time_to_expiry: year_fraction(T0, E2),
				volatility: fixed_rational(8, 10),
				rate: FixedI128::from_inner(0),
			},
		)
		.unwrap();
		assert_eq!(m.per_unit, g);
		assert_eq!(m.per_contract.delta, FixedI128::from_inner(g.delta.into_inner() / 10));
		assert_eq!(m.per_contract.vega, FixedI128::from_inner(g.vega.into_inner() / 10));
		assert_eq!(m.mark_per_contract, g.price.into_inner() / 10 / 1_000_000_000_000);
		assert_eq!(m.theta_per_contract, g.theta.into_inner() / 10 / 1_000_000_000_000);
		assert_eq!(m.volatility, Some(fixed_rational(8, 10)));
		assert_eq!(m.spot, fixed(60_000));

		// Account view: ALICE +2 calls, -5 puts (0.1 BTC each).
		let v = Options::account_view(&ALICE);
		assert_eq!(v.positions.len(), 2);
		let call_g = Options::mark_view(call).unwrap().per_contract;
		let expected_delta = call_g.delta.into_inner() * 2 - m.per_contract.delta.into_inner() * 5;
		assert_eq!(v.totals.delta.into_inner(), expected_delta);
		assert_eq!(v.totals_by_underlying, vec![(BTC, v.totals)]);
		assert_eq!(
			v.margin,
			<Options as PositionProvider<AccountId>>::margin_requirement(&ALICE).ok()
		);

		// Order book, aggregated by level, depth-bounded.
		assert_eq!(
			Options::order_book_view(call, 10),
			Some(OrderBookView {
				series: call,
				bids: vec![
					PriceLevel { price: 90 * USD, quantity: 3, orders: 2 },
					PriceLevel { price: 80 * USD, quantity: 4, orders: 1 },
				],
				asks: vec![PriceLevel { price: 150 * USD, quantity: 1, orders: 1 }],
			})
		);
		assert_eq!(Options::order_book_view(call, 1).unwrap().bids.len(), 1);
		assert_eq!(Options::order_book_view(99, 1), None);

		// Open orders.
		let open = Options::open_orders(&CHARLIE);
		assert_eq!(open.len(), 1);
		assert_eq!(open[0].order.remaining, 2);

		// Unavailable prices: no mark, risk None per position.
		halt(BTC, true);
		assert_eq!(Options::mark_view(call), None);
		let v = Options::account_view(&ALICE);
		assert!(v.positions.iter().all(|p| p.risk.is_none() && p.greeks.is_none()));
		assert_eq!(v.margin, None);
	});
}

#[test]
fn book_entries_and_orders_stay_consistent() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 3, Gtc);
		place(BOB, id, Buy, 1_000 * USD, 1, Gtc);
		assert_eq!(
			Book::<Test>::get(id, Sell).to_vec(),
			vec![BookEntry { order_id: 0, price: 1_000 * USD }]
		);
	});
}

#[test]
fn a_series_waiting_for_its_price_does_not_block_others() {
	ExtBuilder::default().build_and_execute(|| {
		let btc_call = list(btc(Call, 65_000, E1));
		let eth_call = list(crate::SeriesTerms {
			underlying: ETH,
			kind: Call,
			strike: fixed(2_900),
			expiry: E1,
			contract_size: fixed(1),
		});
		trade(ALICE, BOB, btc_call, 1);
		trade(ALICE, BOB, eth_call, 1);
		set_twap(ETH, fixed(3_000));
		set_now(E1);
		next_block(); // BTC: expiry, lookup (2 units); ETH: expiry, start, a position
		next_block(); // BTC waits for the risk admin (no unit); ETH: a position, end
		assert_eq!(status(btc_call), SeriesStatus::Expired { price_wait_reported: true });
		assert_eq!(status(eth_call), SeriesStatus::Settled);
		assert_eq!(settled_amount(eth_call, ALICE), Some((1, 100 * USD)));
		assert_eq!(ActiveSeries::<Test>::get().to_vec(), vec![(E1, btc_call)]);
	});
}

/// Weight of a `place_order` that visited `visited` orders, priced `pricings` accounts of
/// `series` series in total, rested or not, in the held case or not.
fn actual_weight(
	visited: u32,
	pricings: u32,
	series: u32,
	rested: bool,
	held: bool,
	tif: TimeInForce,
) -> frame_support::weights::Weight {
	let outcome = PlaceOrderOutcome { visited, pricings, priced_series: series, rested, held };
	Options::place_order_actual_weight(&outcome, tif)
}

#[test]
fn place_order_refunds_weight_to_the_orders_visited() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		// A resting ask: the taker priced once, for one series.
		let info =
			Options::place_order(RuntimeOrigin::signed(ALICE), id, Sell, 1_000 * USD, 1, Gtc)
				.unwrap();
		assert_eq!(info.actual_weight, Some(actual_weight(0, 1, 1, true, false, Gtc)));
		// A fill: neither side held a position before (no snapshot from before); the maker and
		// the taker are priced once each after it, one series each.
		let info =
			Options::place_order(RuntimeOrigin::signed(BOB), id, Buy, 1_000 * USD, 1, Ioc).unwrap();
		assert_eq!(info.actual_weight, Some(actual_weight(1, 2, 2, false, false, Ioc)));
		// That is exactly the benchmarked case: no weight beyond the benchmark.
		assert_eq!(
			actual_weight(1, 2, 2, false, false, Ioc),
			<() as WeightInfo>::place_order_immediate(1)
		);
		assert!(
			actual_weight(1, 2, 2, false, false, Ioc).all_lte(Options::place_order_weight(1, Ioc))
		);
		assert!(Options::place_order_weight(1, Gtc).all_lt(Options::place_order_weight(3, Gtc)));
		// An order that cannot rest is charged less than one that can.
		let rt = |w: frame_support::weights::Weight| w.ref_time();
		assert!(rt(Options::place_order_weight(1, Ioc)) < rt(Options::place_order_weight(1, Gtc)));
		// Series priced beyond the benchmark's one per account are charged at the slope of
		// `margin_requirement(p)`, each extra pricing at `margin_requirement(0)`.
		let slope = <() as WeightInfo>::margin_requirement(5)
			.saturating_sub(<() as WeightInfo>::margin_requirement(0));
		assert_eq!(
			actual_weight(1, 2, 7, true, false, Gtc),
			actual_weight(1, 2, 2, true, false, Gtc).saturating_add(slope)
		);
		assert_eq!(
			actual_weight(1, 3, 2, true, false, Gtc),
			actual_weight(1, 2, 2, true, false, Gtc)
				.saturating_add(<() as WeightInfo>::margin_requirement(0))
		);
		// The worst case bounds every outcome.
		assert_eq!(
			actual_weight(16, 100, 10_000, true, false, Gtc),
			Options::place_order_weight(16, Gtc)
		);
	});
}

#[test]
fn fill_of_positions_already_held_is_charged_the_held_weight() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		let actual = |visited, pricings, series, held| {
			actual_weight(visited, pricings, series, false, held, Ioc)
		};
		// The held case costs less: no position index, book or order index written.
		assert!(actual(1, 2, 2, true).all_lte(actual(1, 2, 2, false)));
		assert!(actual(1, 2, 2, true).ref_time() < actual(1, 2, 2, false).ref_time());
		place(ALICE, id, Sell, 1_000 * USD, 3, Gtc);
		let ask = Book::<Test>::get(id, Sell);
		// First fill opens both positions: the worst-case weight.
		let info =
			Options::place_order(RuntimeOrigin::signed(BOB), id, Buy, 1_000 * USD, 1, Ioc).unwrap();
		assert_eq!(info.actual_weight, Some(actual(1, 2, 2, false)));
		// Second fill: both already hold the series, Alice's order stays partly filled.
		let info =
			Options::place_order(RuntimeOrigin::signed(BOB), id, Buy, 1_000 * USD, 1, Ioc).unwrap();
		assert_eq!(info.actual_weight, Some(actual(1, 2, 2, true)));
		assert_eq!(Book::<Test>::get(id, Sell), ask);
		assert_eq!(Orders::<Test>::get(ask[0].order_id).map(|o| o.remaining), Some(1));
		// Last fill removes Alice's order: not the held case.
		let info =
			Options::place_order(RuntimeOrigin::signed(BOB), id, Buy, 1_000 * USD, 1, Ioc).unwrap();
		assert_eq!(info.actual_weight, Some(actual(1, 2, 2, false)));
		assert!(Book::<Test>::get(id, Sell).is_empty());
		// Bob sells back his 3: his long closes, so not the held case either. Closing, he is
		// priced before (one series) and after (none left); Charlie after his fill.
		place(CHARLIE, id, Buy, 1_000 * USD, 5, Gtc);
		let info = Options::place_order(RuntimeOrigin::signed(BOB), id, Sell, 1_000 * USD, 3, Ioc)
			.unwrap();
		assert_eq!(info.actual_weight, Some(actual(1, 3, 2, false)));
		assert_eq!(Positions::<Test>::get(id, BOB), None);
	});
}

#[test]
fn params_genesis_json_round_trips() {
	let p = OptionsParams { rate: rate(5, 100), ..default_params() };
	let json = serde_json::to_string(&p).unwrap();
	assert_eq!(
		json,
		"{\"makerFeeRate\":300,\"takerFeeRate\":300,\"imBase\":150000,\"imMin\":100000,\
		 \"mmRate\":75000,\"rate\":\"50000000000000000\",\"settlementWindow\":1800000,\
		 \"expiryInterval\":86400000,\"expiryOffset\":28800000,\"minTimeToExpiry\":3600000,\
		 \"priceBandRate\":1000000,\"priceBandFloor\":20000,\"tickSize\":10000,\
		 \"minOrderQuantity\":1,\"minTwapCoverage\":500000,\"settlementLookback\":3600000,\
		 \"settlementPriceBand\":200000,\"unwindSpread\":10000}"
	);
	assert_eq!(serde_json::from_str::<OptionsParams>(&json).unwrap(), p);
	// A genesis JSON written before `unwindSpread` existed gets its default (1%).
	let old_json = json.replace(",\"unwindSpread\":10000", "");
	assert_eq!(serde_json::from_str::<OptionsParams>(&old_json).unwrap(), p);
}

// ---- malformed input: one test per extrinsic (issue 7) ----

/// A series id that is never listed in these tests.
const NO_SERIES: SeriesId = SeriesId::MAX;
/// An account id that never appears in the mock (no cash, no orders).
const NOBODY: AccountId = AccountId::MAX;

/// The largest `FixedU128` (strikes and contract sizes).
fn max_fixed() -> FixedU128 {
	FixedU128::from_inner(u128::MAX)
}

/// `list_grid` as `origin` on BTC with contract size `size`.
fn grid_as(
	origin: RuntimeOrigin,
	kinds: KindSet,
	strikes: Vec<FixedU128>,
	expiries: Vec<u64>,
	size: FixedU128,
) -> sp_runtime::DispatchResult {
	Options::list_grid(
		origin,
		BTC,
		kinds,
		BoundedVec::truncate_from(strikes),
		BoundedVec::truncate_from(expiries),
		size,
	)
}

#[test]
fn malformed_list_series() {
	ExtBuilder::default().build_and_execute(|| {
		let max = max_fixed();
		let ls = |strike, expiry, size| {
			Options::list_series(RuntimeOrigin::root(), BTC, Call, strike, expiry, size)
		};
		// Wrong origin: a signed account.
		assert_noop!(
			Options::list_series(
				RuntimeOrigin::signed(ALICE),
				BTC,
				Call,
				fixed(65_000),
				E2,
				fixed(1)
			),
			DispatchError::BadOrigin
		);
		// Wrong origin: none.
		assert_noop!(
			Options::list_series(RuntimeOrigin::none(), BTC, Call, fixed(65_000), E2, fixed(1)),
			DispatchError::BadOrigin
		);
		// Zero strike.
		assert_noop!(ls(fixed(0), E2, fixed(1)), Error::<Test>::ZeroStrike);
		// Zero strike, expiry and contract size: the strike is checked first.
		assert_noop!(ls(fixed(0), 0, fixed(0)), Error::<Test>::ZeroStrike);
		// The maximum strike (above MAX_STRIKE).
		assert_noop!(ls(max, E2, fixed(1)), Error::<Test>::StrikeTooHigh);
		// One unit of 10^-18 USD above MAX_STRIKE.
		assert_noop!(
			ls(crate::MAX_STRIKE + FixedU128::from_inner(1), E2, fixed(1)),
			Error::<Test>::StrikeTooHigh
		);
		// Zero contract size.
		assert_noop!(ls(fixed(65_000), E2, fixed(0)), Error::<Test>::ZeroContractSize);
		// Expiry zero (the epoch): off the schedule.
		assert_noop!(
			ls(FixedU128::from_inner(1), 0, FixedU128::from_inner(1)),
			Error::<Test>::ExpiryOffSchedule
		);
		// Expiry u64::MAX with the maximum contract size: off the schedule.
		assert_noop!(ls(fixed(65_000), u64::MAX, max), Error::<Test>::ExpiryOffSchedule);
		// An expiry on the schedule more than MAX_TIME_TO_EXPIRY (730 days) ahead.
		assert_noop!(ls(fixed(65_000), E2 + 800 * DAY, fixed(1)), Error::<Test>::ExpiryTooFar);
		// One ms after an expiry on the schedule.
		assert_noop!(ls(fixed(65_000), E2 + 1, fixed(1)), Error::<Test>::ExpiryOffSchedule);
		// The first expiry on the schedule (1970-01-01 08:00): long past.
		assert_noop!(ls(fixed(65_000), 8 * HOUR, fixed(1)), Error::<Test>::ExpiryTooSoon);
		// Unknown underlying (u32::MAX): the oracle does not price it.
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), u32::MAX, Put, fixed(65_000), E2, fixed(1)),
			Error::<Test>::UnsupportedUnderlying
		);
		// Unknown underlying with a zero strike: the underlying is checked first.
		assert_noop!(
			Options::list_series(RuntimeOrigin::root(), u32::MAX, Put, fixed(0), E2, fixed(1)),
			Error::<Test>::UnsupportedUnderlying
		);
		// The same terms twice.
		list(btc(Call, 65_000, E2));
		assert_noop!(ls(fixed(65_000), E2, fixed(1)), Error::<Test>::SeriesExists);
		// One series more than MaxActiveSeries (30).
		for k in 1..30 {
			list(btc(Call, 65_000 + k, E2));
		}
		assert_eq!(ActiveSeries::<Test>::get().len(), 30);
		assert_noop!(ls(fixed(70_000), E2, fixed(1)), Error::<Test>::TooManySeries);
	});
}

#[test]
fn malformed_list_grid() {
	ExtBuilder::default().build_and_execute(|| {
		let max = max_fixed();
		let grid = |kinds, strikes: Vec<FixedU128>, expiries: Vec<u64>, size| {
			grid_as(RuntimeOrigin::root(), kinds, strikes, expiries, size)
		};
		// Wrong origin: a signed account.
		assert_noop!(
			grid_as(
				RuntimeOrigin::signed(ALICE),
				KindSet::Both,
				vec![fixed(60_000)],
				vec![E2],
				fixed(1)
			),
			DispatchError::BadOrigin
		);
		// Wrong origin: none.
		assert_noop!(
			grid_as(RuntimeOrigin::none(), KindSet::Both, vec![fixed(60_000)], vec![E2], fixed(1)),
			DispatchError::BadOrigin
		);
		// No strike.
		assert_noop!(grid(KindSet::Both, vec![], vec![E2], fixed(1)), Error::<Test>::EmptyGrid);
		// No expiry.
		assert_noop!(
			grid(KindSet::Both, vec![fixed(60_000)], vec![], fixed(1)),
			Error::<Test>::EmptyGrid
		);
		// Neither, with a zero contract size: emptiness is checked first.
		assert_noop!(grid(KindSet::Calls, vec![], vec![], fixed(0)), Error::<Test>::EmptyGrid);
		// The maximum strike twice.
		assert_noop!(
			grid(KindSet::Calls, vec![max, max], vec![E2], fixed(1)),
			Error::<Test>::SeriesExists
		);
		// Expiry u64::MAX twice: duplicates are checked before the schedule.
		assert_noop!(
			grid(KindSet::Puts, vec![fixed(60_000)], vec![u64::MAX, u64::MAX], fixed(1)),
			Error::<Test>::SeriesExists
		);
		// A zero strike among valid ones.
		assert_noop!(
			grid(KindSet::Both, vec![fixed(60_000), fixed(0)], vec![E1, E2], fixed(1)),
			Error::<Test>::ZeroStrike
		);
		// Zero contract size.
		assert_noop!(
			grid(KindSet::Both, vec![fixed(60_000)], vec![E2], fixed(0)),
			Error::<Test>::ZeroContractSize
		);
		// Expiry u64::MAX among valid ones: off the schedule.
		assert_noop!(
			grid(KindSet::Calls, vec![fixed(60_000)], vec![E1, u64::MAX], fixed(1)),
			Error::<Test>::ExpiryOffSchedule
		);
		// Expiry zero (the epoch): off the schedule.
		assert_noop!(
			grid(KindSet::Calls, vec![fixed(60_000)], vec![0], fixed(1)),
			Error::<Test>::ExpiryOffSchedule
		);
		// An expiry on the schedule but in the past.
		assert_noop!(
			grid(KindSet::Puts, vec![fixed(60_000)], vec![E1 - DAY, E2], fixed(1)),
			Error::<Test>::ExpiryTooSoon
		);
		// One series of the grid exists already.
		list(btc(Put, 65_000, E2));
		assert_noop!(
			grid(KindSet::Both, vec![fixed(60_000), fixed(65_000)], vec![E2], fixed(1)),
			Error::<Test>::SeriesExists
		);
		// The largest grid (2 kinds x 4 strikes x 3 expiries = 24) with 7 series listed:
		// one more than MaxActiveSeries (30).
		for k in 1..7 {
			list(btc(Call, 65_000 + k, E2));
		}
		let strikes = vec![fixed(50_000), fixed(55_000), fixed(60_000), fixed(70_000)];
		assert_noop!(
			grid(KindSet::Both, strikes, vec![E1, E2, E2 + DAY], fixed(1)),
			Error::<Test>::TooManySeries
		);
	});
}

#[test]
// Finding (fixed): a bid whose premium did not fit the ledger's signed cash (above i128::MAX)
// was accepted and rested; every sell crossing it then failed.
fn malformed_place_order() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(BOB, id, Sell, 1_000 * USD, 1, Gtc); // order 0, the best ask
		let po = |series, side, price, qty, tif| {
			Options::place_order(RuntimeOrigin::signed(ALICE), series, side, price, qty, tif)
		};
		// Wrong origin: Root is not a trader.
		assert_noop!(
			Options::place_order(RuntimeOrigin::root(), id, Buy, USD, 1, Gtc),
			DispatchError::BadOrigin
		);
		// Wrong origin: none.
		assert_noop!(
			Options::place_order(RuntimeOrigin::none(), id, Buy, USD, 1, Gtc),
			DispatchError::BadOrigin
		);
		// Zero quantity.
		assert_noop!(po(id, Buy, USD, 0, Gtc), Error::<Test>::ZeroQuantity);
		// Zero limit premium.
		assert_noop!(po(id, Sell, 0, 1, Gtc), Error::<Test>::ZeroPrice);
		// Zero premium and quantity: the quantity is checked first.
		assert_noop!(po(id, Buy, 0, 0, Ioc), Error::<Test>::ZeroQuantity);
		// Zero quantity in an unknown series: the inputs are checked before the series.
		assert_noop!(po(NO_SERIES, Buy, USD, 0, Gtc), Error::<Test>::ZeroQuantity);
		// Unknown series (u32::MAX).
		assert_noop!(po(NO_SERIES, Buy, USD, 1, Gtc), Error::<Test>::UnknownSeries);
		// The next series id, not listed yet.
		let next = crate::NextSeriesId::<Test>::get();
		assert_noop!(po(next, Sell, USD, 1, Gtc), Error::<Test>::UnknownSeries);
		// Quantity u64::MAX (does not fit a position).
		assert_noop!(po(id, Buy, USD, u64::MAX, Gtc), Error::<Test>::Overflow);
		// Quantity i64::MAX + 1, the smallest that does not fit a position.
		assert_noop!(po(id, Sell, USD, i64::MAX as u64 + 1, Gtc), Error::<Test>::Overflow);
		// Maximum premium and quantity.
		assert_noop!(po(id, Buy, u128::MAX, u64::MAX, Ioc), Error::<Test>::Overflow);
		// Maximum premium for two contracts: the premium overflows.
		assert_noop!(po(id, Buy, u128::MAX, 2, Gtc), Error::<Test>::Overflow);
		// Post-only bid at the best ask: it would cross.
		assert_noop!(po(id, Buy, 1_000 * USD, 1, PostOnly), Error::<Test>::PostOnlyWouldCross);
		// Fill-or-kill for more than the book holds.
		assert_noop!(po(id, Buy, 1_000 * USD, 2, FillOrKill), Error::<Test>::FillOrKillNotFilled);
		// Fill-or-kill below the best ask.
		assert_noop!(po(id, Buy, 999 * USD, 1, FillOrKill), Error::<Test>::FillOrKillNotFilled);
		// At the expiry (before on_initialize marks the series).
		set_now(E2);
		assert_noop!(po(id, Buy, USD, 1, Gtc), Error::<Test>::SeriesExpired);
		set_now(T0);
		// A premium that does not fit the ledger's signed cash (i128::MAX + 1 for one
		// contract): a bid resting at it would make every crossing sell fail.
		assert_noop!(po(id, Buy, i128::MAX as u128 + 1, 1, Gtc), Error::<Test>::Overflow);
		// The maximum premium for one contract, likewise.
		assert_noop!(po(id, Buy, u128::MAX, 1, Gtc), Error::<Test>::Overflow);
	});
}

#[test]
fn malformed_cancel_order() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_65k();
		place(ALICE, id, Sell, 1_000 * USD, 2, Gtc); // order 0, rests
		place(BOB, id, Sell, 900 * USD, 1, Gtc); // order 1
		place(CHARLIE, id, Buy, 900 * USD, 1, Ioc); // order 2 fills order 1 in full
		place(DAVE, id, Buy, 100 * USD, 1, Ioc); // order 3, nothing crosses: cancelled
		place(EVE, id, Buy, 100 * USD, 1, Gtc); // order 4, rests
		assert_ok!(Options::cancel_order(RuntimeOrigin::signed(EVE), 4));
		let cancel = |who, order| Options::cancel_order(RuntimeOrigin::signed(who), order);
		// Wrong origin: Root (even an admin cannot cancel others' orders).
		assert_noop!(Options::cancel_order(RuntimeOrigin::root(), 0), DispatchError::BadOrigin);
		// Wrong origin: none.
		assert_noop!(Options::cancel_order(RuntimeOrigin::none(), 0), DispatchError::BadOrigin);
		// Unknown order id (u64::MAX).
		assert_noop!(cancel(ALICE, u64::MAX), Error::<Test>::UnknownOrder);
		// The next order id, not assigned yet.
		let next = crate::NextOrderId::<Test>::get();
		assert_noop!(cancel(ALICE, next), Error::<Test>::UnknownOrder);
		// An order filled in full.
		assert_noop!(cancel(BOB, 1), Error::<Test>::UnknownOrder);
		// The taker order that filled it (never rested).
		assert_noop!(cancel(CHARLIE, 2), Error::<Test>::UnknownOrder);
		// An immediate-or-cancel order that was cancelled unfilled.
		assert_noop!(cancel(DAVE, 3), Error::<Test>::UnknownOrder);
		// An order already cancelled by its owner.
		assert_noop!(cancel(EVE, 4), Error::<Test>::UnknownOrder);
		// Another account's order.
		assert_noop!(cancel(BOB, 0), Error::<Test>::NotOrderOwner);
		// An unknown account.
		assert_noop!(cancel(NOBODY, 0), Error::<Test>::NotOrderOwner);
		// The series' settlement account.
		assert_noop!(cancel(Options::settlement_account(id), 0), Error::<Test>::NotOrderOwner);
		assert_eq!(asks(id), vec![(0, 1_000 * USD)]);
	});
}

#[test]
fn malformed_set_params() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		let set = |params| Options::set_params(RuntimeOrigin::root(), params);
		let (zero, one, pct) = (Permill::zero(), Permill::one(), Permill::from_percent);
		// Wrong origin: a signed account.
		assert_noop!(
			Options::set_params(RuntimeOrigin::signed(ALICE), p),
			DispatchError::BadOrigin
		);
		// Wrong origin: none.
		assert_noop!(Options::set_params(RuntimeOrigin::none(), p), DispatchError::BadOrigin);
		// Every field zero (fees may be zero: the first failure is im_base).
		let zeros = OptionsParams {
			maker_fee_rate: zero,
			taker_fee_rate: zero,
			im_base: zero,
			im_min: zero,
			mm_rate: zero,
			rate: FixedI128::from_inner(0),
			settlement_window: 0,
			expiry_interval: 0,
			expiry_offset: 0,
			min_time_to_expiry: 0,
			price_band_rate: zero,
			price_band_floor: zero,
			tick_size: 0,
			min_order_quantity: 0,
			min_twap_coverage: zero,
			settlement_lookback: 0,
			settlement_price_band: zero,
			unwind_spread: zero,
		};
		assert_noop!(set(zeros), Error::<Test>::ImBaseOutOfBounds);
		// Every field at its type's maximum.
		let maxes = OptionsParams {
			maker_fee_rate: one,
			taker_fee_rate: one,
			im_base: one,
			im_min: one,
			mm_rate: one,
			rate: FixedI128::from_inner(i128::MAX),
			settlement_window: u64::MAX,
			expiry_interval: u64::MAX,
			expiry_offset: u64::MAX,
			min_time_to_expiry: u64::MAX,
			price_band_rate: one,
			price_band_floor: one,
			tick_size: u128::MAX,
			min_order_quantity: u64::MAX,
			min_twap_coverage: one,
			settlement_lookback: u64::MAX,
			settlement_price_band: one,
			unwind_spread: one,
		};
		assert_noop!(set(maxes), Error::<Test>::MakerFeeOutOfBounds);
		// Maker fee 100%.
		assert_noop!(
			set(OptionsParams { maker_fee_rate: one, ..p }),
			Error::<Test>::MakerFeeOutOfBounds
		);
		// Taker fee 100%.
		assert_noop!(
			set(OptionsParams { taker_fee_rate: one, ..p }),
			Error::<Test>::TakerFeeOutOfBounds
		);
		// im_base 100%.
		assert_noop!(set(OptionsParams { im_base: one, ..p }), Error::<Test>::ImBaseOutOfBounds);
		// im_base zero.
		assert_noop!(set(OptionsParams { im_base: zero, ..p }), Error::<Test>::ImBaseOutOfBounds);
		// im_min 100%.
		assert_noop!(set(OptionsParams { im_min: one, ..p }), Error::<Test>::ImMinOutOfBounds);
		// im_min zero.
		assert_noop!(set(OptionsParams { im_min: zero, ..p }), Error::<Test>::ImMinOutOfBounds);
		// mm_rate 100%.
		assert_noop!(set(OptionsParams { mm_rate: one, ..p }), Error::<Test>::MmRateOutOfBounds);
		// mm_rate zero.
		assert_noop!(set(OptionsParams { mm_rate: zero, ..p }), Error::<Test>::MmRateOutOfBounds);
		// Every margin fraction 50%: mm_rate above its 25% bound.
		assert_noop!(
			set(OptionsParams { im_base: pct(50), im_min: pct(50), mm_rate: pct(50), ..p }),
			Error::<Test>::MmRateOutOfBounds
		);
		// Rate i128::MAX.
		assert_noop!(
			set(OptionsParams { rate: FixedI128::from_inner(i128::MAX), ..p }),
			Error::<Test>::RateOutOfBounds
		);
		// Rate i128::MIN.
		assert_noop!(
			set(OptionsParams { rate: FixedI128::from_inner(i128::MIN), ..p }),
			Error::<Test>::RateOutOfBounds
		);
		// Settlement window zero.
		assert_noop!(
			set(OptionsParams { settlement_window: 0, ..p }),
			Error::<Test>::SettlementWindowOutOfBounds
		);
		// Settlement window u64::MAX.
		assert_noop!(
			set(OptionsParams { settlement_window: u64::MAX, ..p }),
			Error::<Test>::SettlementWindowOutOfBounds
		);
		// Expiry interval zero (no schedule; `expiry % 0` must never be evaluated).
		assert_noop!(
			set(OptionsParams { expiry_interval: 0, expiry_offset: 0, ..p }),
			Error::<Test>::ExpiryIntervalOutOfBounds
		);
		// Expiry interval u64::MAX.
		assert_noop!(
			set(OptionsParams { expiry_interval: u64::MAX, ..p }),
			Error::<Test>::ExpiryIntervalOutOfBounds
		);
		// Expiry offset u64::MAX.
		assert_noop!(
			set(OptionsParams { expiry_offset: u64::MAX, ..p }),
			Error::<Test>::ExpiryOffsetOutOfBounds
		);
		// Expiry offset equal to the interval.
		assert_noop!(
			set(OptionsParams { expiry_offset: DAY, ..p }),
			Error::<Test>::ExpiryOffsetOutOfBounds
		);
		// Minimum time to expiry zero.
		assert_noop!(
			set(OptionsParams { min_time_to_expiry: 0, ..p }),
			Error::<Test>::MinTimeToExpiryOutOfBounds
		);
		// Minimum time to expiry u64::MAX.
		assert_noop!(
			set(OptionsParams { min_time_to_expiry: u64::MAX, ..p }),
			Error::<Test>::MinTimeToExpiryOutOfBounds
		);
		// Maker fee from 0.03% to its bound (0.2%) in one call.
		assert_noop!(
			set(OptionsParams { maker_fee_rate: crate::MAX_FEE_RATE, ..p }),
			Error::<Test>::MakerFeeStepTooLarge
		);
		// Taker fee from 0.03% to zero in one call.
		assert_noop!(
			set(OptionsParams { taker_fee_rate: zero, ..p }),
			Error::<Test>::TakerFeeStepTooLarge
		);
		// im_base from 15% to its bound (50%) in one call.
		assert_noop!(
			set(OptionsParams { im_base: pct(50), ..p }),
			Error::<Test>::ImBaseStepTooLarge
		);
		// Rate from 0 to its bound (20%) in one call.
		assert_noop!(
			set(OptionsParams { rate: crate::RATE_BOUNDS.1, ..p }),
			Error::<Test>::RateStepTooLarge
		);
		// Settlement window from 30 minutes to its bound (4 hours) in one call.
		assert_noop!(
			set(OptionsParams { settlement_window: 4 * HOUR, ..p }),
			Error::<Test>::SettlementWindowStepTooLarge
		);
		// Expiry interval from a day to its bound (7 days) in one call.
		assert_noop!(
			set(OptionsParams { expiry_interval: 7 * DAY, ..p }),
			Error::<Test>::ExpiryIntervalStepTooLarge
		);
		// Minimum time to expiry from an hour to its bound (7 days) in one call.
		assert_noop!(
			set(OptionsParams { min_time_to_expiry: 7 * DAY, ..p }),
			Error::<Test>::MinTimeToExpiryStepTooLarge
		);
		assert_eq!(Params::<Test>::get(), p);
	});
}

// ================================================================== migrations

#[test]
fn migration_v2_folds_socialized_into_paid() {
	use crate::migrations::{v2, v3};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	ExtBuilder::default().build_and_execute(|| {
		// A finished settlement: P = 3,000 USD, 100.000001 USD socialized, dust 1 unit.
		let done = call_65k();
		trade(ALICE, CHARLIE, done, 1);
		trade(BOB, CHARLIE, done, 2);
		settle(done, fixed(66_000));
		let st = Settlements::<Test>::get(done).unwrap();
		let old_done = v2::v1::Settlement {
			price: st.price,
			payout_per_contract: st.payout_per_contract,
			total_payout: st.total_payout,
			socialized: 100_000_001,
			collected: 3_000 * USD,
			paid: 2_899_999_998,
			dust: 1,
			longs_settled: 3,
			shorts_settled: 3,
			cursor: None,
		};
		v2::v1::Settlements::<Test>::insert(done, &old_done);

		// A settlement in flight: 3 of 6 positions settled, 1,000 USD socialized at its start
		// (paid out of the settlement account).
		let flight = list(btc(Call, 65_000, E2 + DAY));
		trade(ALICE, DAVE, flight, 1);
		trade(BOB, EVE, flight, 1);
		trade(CHARLIE, FERDIE, flight, 1);
		set_twap(BTC, fixed(70_000));
		set_now(E2 + DAY);
		next_block();
		assert_eq!(status(flight), SeriesStatus::Settling);
		let st = Settlements::<Test>::get(flight).unwrap();
		assert!(st.cursor.is_some());
		let old_flight = v2::v1::Settlement {
			price: st.price,
			payout_per_contract: st.payout_per_contract,
			total_payout: st.total_payout,
			socialized: 1_000 * USD,
			collected: st.collected,
			paid: st.paid,
			dust: 0,
			longs_settled: st.longs_settled,
			shorts_settled: st.shorts_settled,
			cursor: st.cursor.clone(),
		};
		v2::v1::Settlements::<Test>::insert(flight, &old_flight);
		let account = Options::settlement_account(flight);
		Cash::mutate(account, |c| *c -= s(1_000 * USD));
		StorageVersion::new(1).put::<Options>();

		// With `try-runtime`, its `pre_upgrade` and `post_upgrade` checks run too.
		#[cfg(feature = "try-runtime")]
		assert_ok!(v2::MigrateV1ToV2::<Test>::try_on_runtime_upgrade(true));
		#[cfg(not(feature = "try-runtime"))]
		v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Options::on_chain_storage_version(), StorageVersion::new(2));
		assert_eq!(v3::v2::Settlements::<Test>::iter().count(), 2);
		// Version 2's layout.
		let expect = |old: &v2::v1::Settlement| v3::v2::Settlement {
			price: old.price,
			payout_per_contract: old.payout_per_contract,
			total_payout: old.total_payout,
			collected: old.collected,
			paid: old.paid + old.socialized,
			dust: old.dust,
			longs_settled: old.longs_settled,
			shorts_settled: old.shorts_settled,
			cursor: old.cursor.clone(),
		};
		let migrated = v3::v2::Settlements::<Test>::get(done).unwrap();
		assert_eq!(migrated, expect(&old_done));
		assert_eq!(
			(migrated.paid, migrated.dust, migrated.collected),
			(2_999_999_999, 1, 3_000 * USD)
		);
		assert_eq!(v3::v2::Settlements::<Test>::get(flight).unwrap(), expect(&old_flight));

		// Run again: the storage version guards it, nothing changes.
		v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(v3::v2::Settlements::<Test>::get(done).unwrap(), expect(&old_done));

		// Then version 3: the records gain their source (the TWAP).
		v3::v2::Params::<Test>::put(v2_params(&Params::<Test>::get()));
		v3::MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Options::on_chain_storage_version(), StorageVersion::new(3));
		assert_eq!(
			Settlements::<Test>::get(done).unwrap(),
			v3::migrate_settlement(expect(&old_done))
		);
		assert_eq!(Settlements::<Test>::get(done).unwrap().source, SettlementSource::Twap);
		Options::do_try_state().unwrap();

		// The settlement in flight finishes: the remaining longs receive their full payout
		// (5,000 USD), and the fund pays in the socialized part they no longer bear.
		let fund = cash(FUND);
		next_block();
		assert_eq!(status(flight), SeriesStatus::Settled);
		let st = Settlements::<Test>::get(flight).unwrap();
		assert_eq!((st.collected, st.paid, st.dust), (15_000 * USD, 16_000 * USD, -s(1_000 * USD)));
		assert_eq!(cash(FUND) - fund, -s(1_000 * USD));
		assert_eq!(cash(account), 0);
		for who in [ALICE, BOB, CHARLIE] {
			assert_eq!(settled_amount(flight, who), Some((1, 5_000 * USD)));
		}
	});
}

/// `p` in version 2's layout.
fn v2_params(p: &OptionsParams) -> crate::migrations::v3::v2::OptionsParams {
	crate::migrations::v3::v2::OptionsParams {
		maker_fee_rate: p.maker_fee_rate,
		taker_fee_rate: p.taker_fee_rate,
		im_base: p.im_base,
		im_min: p.im_min,
		mm_rate: p.mm_rate,
		rate: p.rate,
		settlement_window: p.settlement_window,
		expiry_interval: p.expiry_interval,
		expiry_offset: p.expiry_offset,
		min_time_to_expiry: p.min_time_to_expiry,
		price_band_rate: p.price_band_rate,
		price_band_floor: p.price_band_floor,
		tick_size: p.tick_size,
		min_order_quantity: p.min_order_quantity,
	}
}

/// Version 2 -> 3: the parameters gain the fallbacks' parameters at their defaults, every
/// settlement record the TWAP as its source, and a series waiting for its price is looked up
/// again (with the last-price fallback); the version becomes 3 and a second run does nothing.
#[test]
fn migration_v3_adds_the_fallbacks_and_looks_up_waiting_series_again() {
	use crate::migrations::v3;
	use frame_support::{
		assert_storage_noop,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};

	ExtBuilder::default().build_and_execute(|| {
		// A settled series, its record rewritten in version 2's layout.
		let done = call_65k();
		trade(ALICE, BOB, done, 1);
		settle(done, fixed(66_000));
		let st = Settlements::<Test>::get(done).unwrap();
		let old = v3::v2::Settlement {
			price: st.price,
			payout_per_contract: st.payout_per_contract,
			total_payout: st.total_payout,
			collected: st.collected,
			paid: st.paid,
			dust: st.dust,
			longs_settled: st.longs_settled,
			shorts_settled: st.shorts_settled,
			cursor: st.cursor.clone(),
		};
		v3::v2::Settlements::<Test>::insert(done, &old);
		// A series that waited for its price (no TWAP) before the upgrade.
		let waiting = list(btc(Put, 60_000, E2 + DAY));
		trade(ALICE, BOB, waiting, 1);
		Twap::remove(BTC);
		set_now(E2 + DAY);
		next_block();
		assert_eq!(status(waiting), SeriesStatus::Expired { price_wait_reported: true });
		// Version 2's parameters (a tick of 0.02 USD).
		let p = OptionsParams { tick_size: 20_000, ..default_params() };
		v3::v2::Params::<Test>::put(v2_params(&p));
		StorageVersion::new(2).put::<Options>();

		#[cfg(feature = "try-runtime")]
		assert_ok!(v3::MigrateV2ToV3::<Test>::try_on_runtime_upgrade(true));
		#[cfg(not(feature = "try-runtime"))]
		v3::MigrateV2ToV3::<Test>::on_runtime_upgrade();

		assert_eq!(Options::on_chain_storage_version(), StorageVersion::new(3));
		// Written in version 3's layout; version 4 adds the unwind spread (its own test).
		assert_eq!(
			crate::migrations::v4::v3::Params::<Test>::get()
				.map(crate::migrations::v4::migrate_params),
			Some(OptionsParams {
				min_twap_coverage: Permill::from_percent(50),
				settlement_lookback: HOUR,
				settlement_price_band: Permill::from_percent(20),
				unwind_spread: Permill::from_percent(1),
				..p
			})
		);
		crate::migrations::v4::MigrateV3ToV4::<Test>::on_runtime_upgrade();
		assert_eq!(
			Settlements::<Test>::get(done).unwrap(),
			crate::Settlement {
				price: old.price,
				source: SettlementSource::Twap,
				payout_per_contract: old.payout_per_contract,
				total_payout: old.total_payout,
				fund_shortfall: 0,
				collected: old.collected,
				paid: old.paid,
				dust: old.dust,
				longs_settled: old.longs_settled,
				shorts_settled: old.shorts_settled,
				cursor: old.cursor.clone(),
			}
		);
		assert_eq!(status(waiting), SeriesStatus::Expired { price_wait_reported: false });
		// A second run: the version guards it.
		assert_storage_noop!(v3::MigrateV2ToV3::<Test>::on_runtime_upgrade());
		// Looked up again, now with the last-price fallback: settles at 58,000.
		set_last_price(BTC, fixed(58_000), E2 + DAY);
		next_block();
		next_block();
		assert_eq!(status(waiting), SeriesStatus::Settled);
		assert_eq!(started(waiting), Some((fixed(58_000), SettlementSource::LastPrice)));
		assert_eq!(settled_amount(waiting, ALICE), Some((1, 2_000 * USD)));
	});
}
