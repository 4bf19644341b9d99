//! Tests of the insurance fund's inventory unwinding (`unwind.rs`). BTC spot 60,000 USD and
//! implied volatility 80% unless a test changes them; unwind spread 1% (the default); fees
//! 0.03% of the underlying (18 USD per one-BTC contract at 60,000) with 10% to the fund; the
//! mock visits at most 2 of the fund's series per block and allows 5 orders per book side and
//! 4 resting orders per account.

use crate::{mock::*, pallet::*, types::*, Event};
use frame_support::{assert_ok, traits::Hooks};
use solvent_primitives::{
	OptionKind::{Call, Put},
	PositionProvider, SeriesId,
	Side::{self, Buy, Sell},
};
use sp_arithmetic::{FixedU128, Permill, Rounding};

use TimeInForce::{GoodTilCancelled as Gtc, ImmediateOrCancel as Ioc};

fn place(who: AccountId, series: SeriesId, side: Side, price: u128, qty: u64, tif: TimeInForce) {
	assert_ok!(Options::place_order(RuntimeOrigin::signed(who), series, side, price, qty, tif));
}

fn pos(series: SeriesId, who: AccountId) -> i64 {
	Positions::<Test>::get(series, who).unwrap_or(0)
}

/// The fund holds `qty` contracts of `series` (`> 0` long, `< 0` short) against `other`, as
/// after a liquidation (positions only).
fn fund_holds(series: SeriesId, other: AccountId, qty: i64) {
	let terms = Series::<Test>::get(series).unwrap().terms;
	let mut d = Options::change_position(series, &terms, &FUND, qty).unwrap();
	d += Options::change_position(series, &terms, &other, -qty).unwrap();
	Options::apply_open_interest(series, d).unwrap();
}

/// The per-unit mark price of `series` now.
fn unit_price(series: SeriesId) -> FixedU128 {
	let info = Series::<Test>::get(series).unwrap();
	Options::unit_mark(series, &info, Now::get(), false).unwrap().greeks.price
}

/// The fund's ask for a long in `series` now: `ceil_tick(up + ceil(spread x up))`, `up` the
/// mark per contract rounded up; tick 0.01 USD.
fn expected_ask(series: SeriesId, spread: Permill) -> u128 {
	let up = crate::contracts_value(1, fixed(1), unit_price(series), Rounding::Up);
	(up + spread.mul_ceil(up)).div_ceil(10_000) * 10_000
}

/// The fund's bid for a short: `floor_tick(down - ceil(spread x down))`.
fn expected_bid(series: SeriesId, spread: Permill) -> u128 {
	let down = crate::contracts_value(1, fixed(1), unit_price(series), Rounding::Down);
	(down - spread.mul_ceil(down)) / 10_000 * 10_000
}

fn quoted() -> Vec<(SeriesId, Side, u128, u64, u64)> {
	options_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::InventoryQuoted { series, side, price, quantity, resting, .. } => {
				Some((series, side, price, quantity, resting))
			}
			_ => None,
		})
		.collect()
}

fn quote_cancelled() -> Vec<(SeriesId, u64)> {
	options_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::InventoryQuoteCancelled { series, remaining, .. } => Some((series, remaining)),
			_ => None,
		})
		.collect()
}

/// The fund's resting quote in `series`: (side, price, remaining).
fn fund_quote(series: SeriesId) -> Option<(Side, u128, u64)> {
	let id = FundQuotes::<Test>::get(series)?;
	let o = Orders::<Test>::get(id).unwrap();
	assert_eq!(o.owner, FUND);
	Some((o.side, o.price, o.remaining))
}

/// The at-the-money call: BTC 60,000 expiring E2 (32 hours ahead), one BTC per contract.
fn call_60k() -> SeriesId {
	list(btc(Call, 60_000, E2))
}

/// The fund's longs are offered at mark x 1.01 rounded up to the tick; a buyer at the ask
/// takes all of them: the fund's position goes to zero and it receives ask x quantity, with no
/// fee of its own (protocol accounts trade fee-free), plus its 10% share of the buyer's fee.
#[test]
fn inventory_shrinks_to_zero_when_a_counterparty_buys_at_the_funds_ask() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 3);
		let ask = expected_ask(id, Permill::from_percent(1));
		// The mark per contract (1,157.262645 USD) and the ask 1% above it rounded up to the
		// tick: 1,168.835271... -> 1,168.84 USD.
		assert_eq!(Options::mark_per_contract(id).unwrap(), 1_157_262_645);
		assert_eq!(ask, 1_168_840_000);
		System::reset_events();
		next_block();
		assert_eq!(quoted(), vec![(id, Sell, ask, 3, 3)]);
		assert_eq!(fund_quote(id), Some((Sell, ask, 3)));
		// One tick below the ask: nothing.
		place(CHARLIE, id, Buy, ask - 10_000, 3, Ioc);
		assert_eq!(pos(id, FUND), 3);
		let (fund0, charlie0) = (cash(FUND), cash(CHARLIE));
		place(CHARLIE, id, Buy, ask, 3, Ioc);
		assert_eq!((pos(id, FUND), pos(id, CHARLIE), pos(id, BOB)), (0, 3, -3));
		assert!(!AccountSeries::<Test>::contains_key(FUND));
		assert_eq!(FundQuotes::<Test>::get(id), None);
		// Fees: 18 USD a contract each side (below 12.5% of the premium).
		let premium = 3 * ask as i128;
		assert_eq!(cash(CHARLIE), charlie0 - premium - 54 * USD as i128);
		// The fund: + premium + 10% of Charlie's fee; it pays none itself.
		assert_eq!(cash(FUND), fund0 + premium + 5_400_000);
		// Nothing left to quote.
		System::reset_events();
		next_block();
		assert!(options_events().is_empty());
	});
}

/// Bids already at or above the fund's ask take the inventory when it quotes, at their own
/// (higher) prices; a bid below the ask gets nothing and the rest of the inventory rests.
#[test]
fn resting_bids_crossing_the_quote_fill_at_once() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 3);
		let ask = expected_ask(id, Permill::from_percent(1));
		place(DAVE, id, Buy, ask + USD, 2, Gtc);
		place(EVE, id, Buy, ask - 10_000, 5, Gtc);
		let fund0 = cash(FUND);
		System::reset_events();
		next_block();
		assert_eq!(quoted(), vec![(id, Sell, ask, 3, 1)]);
		assert_eq!((pos(id, FUND), pos(id, DAVE), pos(id, EVE)), (1, 2, 0));
		assert_eq!(fund_quote(id), Some((Sell, ask, 1)));
		// Filled at Dave's price; the fund as taker pays no fee and receives 10% of Dave's
		// 36 USD.
		assert_eq!(cash(FUND), fund0 + 2 * (ask + USD) as i128 + 3_600_000);
		assert!(options_events().iter().any(|e| matches!(
			e,
			Event::OrderFilled { maker: DAVE, taker: FUND, quantity: 2, price, .. }
				if *price == ask + USD
		)));
	});
}

/// The fund's shorts are bid for at mark x 0.99 rounded down to the tick; a seller there closes
/// them.
#[test]
fn a_fund_short_is_bought_back_at_its_bid() {
	ExtBuilder::default().build_and_execute(|| {
		let id = list(btc(Put, 55_000, E2));
		fund_holds(id, ALICE, -2);
		let bid = expected_bid(id, Permill::from_percent(1));
		assert!(bid > 0);
		next_block();
		assert_eq!(fund_quote(id), Some((Buy, bid, 2)));
		let fund0 = cash(FUND);
		place(ALICE, id, Sell, bid, 2, Ioc);
		assert_eq!((pos(id, FUND), pos(id, ALICE)), (0, 0));
		assert_eq!(Series::<Test>::get(id).unwrap().open_interest, 0);
		// The fund paid 2 x bid and no fee (fee-free as a protocol account); it receives 10% of
		// Alice's fee, min(18 USD, 12.5% x premium) a contract.
		let premium = 2 * bid;
		let fee = Options::fee(Permill::from_parts(300), fixed(60_000), fixed(1), premium, 2);
		let alice_fee_share = Permill::from_percent(10).mul_floor(fee);
		assert_eq!(cash(FUND), fund0 - premium as i128 + alice_fee_share as i128);
	});
}

/// Latency arbitrage against the fund (red-team review): the mark rises above the fund's ask
/// after it quoted and before the unwind visits the series again (a feed earlier in the same
/// block). A buyer at the old ask gets nothing: the quote, now below the mark, is withdrawn at
/// fill time, the fund keeps its position, and the next visit quotes at the new mark.
#[test]
fn a_stale_quote_never_fills_below_the_current_mark() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 3);
		next_block();
		let ask0 = expected_ask(id, Permill::from_percent(1));
		assert_eq!(fund_quote(id), Some((Sell, ask0, 3)));
		// The underlying rises 2,000 USD within the block: the mark is above the old ask.
		set_spot(BTC, fixed(62_000));
		assert!(Options::mark_per_contract(id).unwrap() > ask0);
		let (fund0, charlie0) = (cash(FUND), cash(CHARLIE));
		System::reset_events();
		place(CHARLIE, id, Buy, ask0, 3, Ioc);
		assert_eq!((pos(id, FUND), pos(id, CHARLIE)), (3, 0));
		assert_eq!((cash(FUND), cash(CHARLIE)), (fund0, charlie0));
		assert_eq!(FundQuotes::<Test>::get(id), None);
		assert!(options_events().iter().any(|e| matches!(
			e,
			Event::OrderCancelled { reason: CancelReason::InventoryRequote, .. }
		)));
		// The next visit quotes at the new mark; a buyer there takes the inventory.
		next_block();
		let ask1 = expected_ask(id, Permill::from_percent(1));
		assert!(ask1 > ask0);
		assert_eq!(fund_quote(id), Some((Sell, ask1, 3)));
		place(CHARLIE, id, Buy, ask1, 3, Ioc);
		assert_eq!((pos(id, FUND), pos(id, CHARLIE)), (0, 3));
	});
}

/// The quote follows the mark: when the mark moves by a tick or more the quote is replaced
/// (cancelled and placed again at the new price); when nothing changes it is left alone and
/// keeps its time priority.
#[test]
fn the_quote_is_replaced_when_the_mark_moves() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 2);
		next_block();
		let first = FundQuotes::<Test>::get(id).unwrap();
		let ask0 = expected_ask(id, Permill::from_percent(1));
		assert_eq!(fund_quote(id), Some((Sell, ask0, 2)));
		// Nothing moved: no event, same order.
		System::reset_events();
		next_block();
		assert!(options_events().is_empty());
		assert_eq!(FundQuotes::<Test>::get(id), Some(first));
		// The underlying rises 2,000 USD: the mark and the ask rise.
		set_spot(BTC, fixed(62_000));
		let ask1 = expected_ask(id, Permill::from_percent(1));
		assert!(ask1 > ask0);
		System::reset_events();
		next_block();
		assert_eq!(quote_cancelled(), vec![(id, 2)]);
		assert_eq!(quoted(), vec![(id, Sell, ask1, 2, 2)]);
		assert!(Orders::<Test>::get(first).is_none());
		assert_eq!(fund_quote(id), Some((Sell, ask1, 2)));
		assert_ne!(FundQuotes::<Test>::get(id), Some(first));
		// The risk admin narrows the spread to zero: re-quoted at the mark (rounded up).
		let p = Params::<Test>::get();
		assert_ok!(Options::set_params(
			RuntimeOrigin::root(),
			OptionsParams { unwind_spread: Permill::zero(), ..p }
		));
		next_block();
		assert_eq!(fund_quote(id), Some((Sell, expected_ask(id, Permill::zero()), 2)));
	});
}

/// Reduce-only: the fund's quote never increases or flips its position. A liquidation that
/// moves the opposite side to the fund cuts the quote to what still closes; a position change
/// the quote was not cut for is caught at fill time; a quote with nothing left to close is
/// cancelled instead of filled.
#[test]
fn the_quote_never_increases_or_flips_the_funds_position() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 3);
		next_block();
		let ask = expected_ask(id, Permill::from_percent(1));
		let order = FundQuotes::<Test>::get(id).unwrap();
		// Charlie, short 2, is liquidated: his short moves to the fund (long 3 - 2 = 1).
		place(CHARLIE, id, Sell, ask - 10 * USD, 2, Gtc);
		place(DAVE, id, Buy, ask - 10 * USD, 2, Ioc);
		assert_eq!(pos(id, CHARLIE), -2);
		let risk = <Options as PositionProvider<AccountId>>::portfolio(&CHARLIE)
			.unwrap()
			.positions
			.into_iter()
			.find(|p| p.id == id)
			.unwrap();
		System::reset_events();
		assert_ok!(<Options as PositionProvider<AccountId>>::transfer_position(
			&CHARLIE, &FUND, &risk, 2
		));
		assert_eq!(pos(id, FUND), 1);
		assert!(options_events().contains(&Event::InventoryQuoteReduced {
			series: id,
			order_id: order,
			remaining: 1,
		}));
		assert_eq!(fund_quote(id), Some((Sell, ask, 1)));
		// A buyer of 3 at the ask gets 1: the fund ends flat, not short.
		place(EVE, id, Buy, ask, 3, Ioc);
		assert_eq!((pos(id, FUND), pos(id, EVE)), (0, 1));
		assert_eq!(FundQuotes::<Test>::get(id), None);

		// At fill time: the fund long 3 again and quoted; its position shrinks to 1 by a path
		// that does not cut the quote (here, directly): a buyer of 3 still gets only 1.
		fund_holds(id, BOB, 3);
		next_block();
		assert_eq!(fund_quote(id), Some((Sell, ask, 3)));
		fund_holds(id, BOB, -2);
		place(FERDIE, id, Buy, ask, 3, Ioc);
		assert_eq!((pos(id, FUND), pos(id, FERDIE)), (0, 1));
		// And with nothing left to close (flat under a quote of 2), the quote is cancelled, not
		// filled: the fund never goes short.
		fund_holds(id, BOB, 2);
		next_block();
		let order = FundQuotes::<Test>::get(id).unwrap();
		assert_eq!(fund_quote(id), Some((Sell, ask, 2)));
		fund_holds(id, BOB, -2);
		System::reset_events();
		place(FERDIE, id, Buy, ask, 2, Ioc);
		assert_eq!((pos(id, FUND), pos(id, FERDIE)), (0, 1));
		assert!(options_events().contains(&Event::OrderCancelled {
			order_id: order,
			who: FUND,
			series: id,
			remaining: 2,
			reason: CancelReason::ReduceOnly,
		}));
		assert_eq!(FundQuotes::<Test>::get(id), None);
	});
}

/// Price manipulation: the quote's price comes from the oracle's mark, not from the book. A
/// trader who fills the bid side with low bids, or offers below the mark, does not move it; a
/// colluding buyer gets nothing below the ask, and the fund's sale price is at least
/// mark x (1 + spread).
#[test]
fn the_book_cannot_move_the_quote_price() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 2);
		let mark = Options::mark_per_contract(id).unwrap();
		let ask = expected_ask(id, Permill::from_percent(1));
		// The ask is at least mark x 1.01.
		assert!(ask >= mark + mark / 100);
		// A full bid side of low bids (the band's lowest premium is 1 tick... at 800 USD) and a
		// cheap ask from the colluder.
		for (i, who) in [ALICE, CHARLIE, DAVE, EVE, FERDIE].into_iter().enumerate() {
			place(who, id, Buy, 900 * USD + i as u128 * USD, 1, Gtc);
		}
		place(CHARLIE, id, Sell, 1_000 * USD, 1, Gtc);
		next_block();
		assert_eq!(fund_quote(id), Some((Sell, ask, 2)));
		assert_eq!(pos(id, FUND), 2);
		// The colluder bids one tick below the fund's ask: nothing from the fund.
		place(DAVE, id, Buy, ask - 10_000, 2, Ioc);
		assert_eq!(pos(id, FUND), 2);
		// The fund's ask stays where the mark puts it.
		next_block();
		assert_eq!(fund_quote(id), Some((Sell, ask, 2)));
	});
}

/// A full book side of better-priced orders: the quote cannot rest and nothing crosses it, so
/// the series is skipped without an event or an error; once a place frees up it is quoted. A
/// worse-priced order is evicted by the quote, as by any better order.
#[test]
fn a_full_book_side_skips_the_quote_without_error() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 2);
		let ask = expected_ask(id, Permill::from_percent(1));
		// Five asks below the fund's ask (no bid crosses them).
		for (i, who) in [ALICE, CHARLIE, DAVE, EVE, FERDIE].into_iter().enumerate() {
			place(who, id, Sell, ask - 10_000 * (i as u128 + 1), 1, Gtc);
		}
		System::reset_events();
		next_block();
		assert!(options_events().is_empty());
		assert_eq!(FundQuotes::<Test>::get(id), None);
		assert_eq!(pos(id, FUND), 2);
		// Ferdie's ask (the lowest) is replaced by one above the fund's ask: the quote now
		// evicts it.
		let ferdie = AccountOrders::<Test>::get(FERDIE).ids[0];
		assert_ok!(Options::cancel_order(RuntimeOrigin::signed(FERDIE), ferdie));
		place(FERDIE, id, Sell, ask + 10_000, 1, Gtc);
		next_block();
		assert_eq!(fund_quote(id), Some((Sell, ask, 2)));
		assert!(AccountOrders::<Test>::get(FERDIE).is_empty());
	});
}

/// The fund at `MaxOpenOrdersPerAccount` (4) resting quotes: a fifth series gets no resting
/// quote, but a bid crossing its price still takes the inventory (immediate-or-cancel); the
/// visits go round-robin, at most 2 series per block.
#[test]
fn round_robin_and_the_open_order_limit() {
	ExtBuilder::default().build_and_execute(|| {
		let ids: Vec<SeriesId> =
			(0..5u128).map(|i| list(btc(Call, 62_000 + 1_000 * i, E2))).collect();
		for (i, id) in ids.iter().enumerate() {
			// Series 0..2 against Alice, 3..4 against Bob (a trader holds at most 3).
			fund_holds(*id, if i < 3 { ALICE } else { BOB }, 1);
		}
		System::reset_events();
		next_block();
		assert_eq!(quoted().iter().map(|q| q.0).collect::<Vec<_>>(), vec![ids[0], ids[1]]);
		assert_eq!(UnwindCursor::<Test>::get(), Some(ids[1]));
		System::reset_events();
		next_block();
		assert_eq!(quoted().iter().map(|q| q.0).collect::<Vec<_>>(), vec![ids[2], ids[3]]);
		// The fifth: the fund has 4 resting orders, nothing crosses: skipped.
		System::reset_events();
		next_block();
		assert!(quoted().is_empty());
		assert_eq!(AccountOrders::<Test>::get(FUND).ids.len(), 4);
		assert_eq!(FundQuotes::<Test>::get(ids[4]), None);
		// A bid at the fifth's ask: the next visit sells into it immediate-or-cancel.
		let ask4 = expected_ask(ids[4], Permill::from_percent(1));
		place(CHARLIE, ids[4], Buy, ask4, 1, Gtc);
		// Wraps around: series 1 and 2 unchanged, then 3 and 4.
		next_block();
		System::reset_events();
		next_block();
		assert_eq!(quoted(), vec![(ids[4], Sell, ask4, 1, 0)]);
		assert_eq!((pos(ids[4], FUND), pos(ids[4], CHARLIE)), (0, 1));
	});
}

/// No mark (the oracle halted): the quote is withdrawn and none is placed; when the price is
/// back, the fund quotes again.
#[test]
fn an_unavailable_price_withdraws_the_quote() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 2);
		next_block();
		let ask = expected_ask(id, Permill::from_percent(1));
		assert_eq!(fund_quote(id), Some((Sell, ask, 2)));
		halt(BTC, true);
		System::reset_events();
		next_block();
		assert_eq!(quote_cancelled(), vec![(id, 2)]);
		assert!(quoted().is_empty());
		assert_eq!(FundQuotes::<Test>::get(id), None);
		assert!(Book::<Test>::get(id, Sell).is_empty());
		// Still nothing while halted.
		System::reset_events();
		next_block();
		assert!(options_events().is_empty());
		halt(BTC, false);
		next_block();
		assert_eq!(fund_quote(id), Some((Sell, ask, 2)));
	});
}

/// Past the expiry the series takes no orders: the settlement cancels the quote with the
/// other resting orders, and the fund does not quote again; its position is settled.
#[test]
fn an_expired_series_is_not_quoted() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 2);
		next_block();
		let order = FundQuotes::<Test>::get(id).unwrap();
		set_twap(BTC, fixed(66_000));
		set_now(E2);
		System::reset_events();
		next_block();
		assert!(options_events().contains(&Event::OrderCancelled {
			order_id: order,
			who: FUND,
			series: id,
			remaining: 2,
			reason: CancelReason::Expired,
		}));
		assert!(quoted().is_empty());
		assert_eq!(FundQuotes::<Test>::get(id), None);
		for _ in 0..5 {
			next_block();
		}
		assert_eq!(Series::<Test>::get(id).unwrap().status, SeriesStatus::Settled);
		assert!(quoted().is_empty());
		assert_eq!(pos(id, FUND), 0);
	});
}

/// A position below `min_order_quantity` is not quoted.
#[test]
fn a_position_below_the_minimum_quantity_is_not_quoted() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		let info = Series::<Test>::get(id).unwrap();
		let p = OptionsParams { min_order_quantity: 3, ..Params::<Test>::get() };
		assert_eq!(Options::unwind_quote(id, &info, 2, &p), None);
		assert!(Options::unwind_quote(id, &info, 3, &p).is_some());
		assert_eq!(Options::unwind_quote(id, &info, 0, &p), None);
	});
}

/// The hook's weight: the benchmarked visits, plus nothing for a quote that rests without
/// fills; the idle case costs `unwind_inventory(0)`.
#[test]
fn the_hook_charges_the_benchmarked_visits() {
	use crate::weights::WeightInfo;
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(Options::do_unwind_inventory(2), <() as WeightInfo>::unwind_inventory(0));
		let a = call_60k();
		let b = list(btc(Call, 66_000, E2));
		let c = list(btc(Call, 67_000, E2));
		for id in [a, b, c] {
			fund_holds(id, ALICE, 1);
		}
		assert_eq!(Options::do_unwind_inventory(2), <() as WeightInfo>::unwind_inventory(2));
		assert!(Options::max_unwind_weight().all_gte(<() as WeightInfo>::unwind_inventory(2)));
		// The whole hook: the settlement's idle weight plus the unwinding.
		let w = Options::on_initialize(System::block_number());
		assert_eq!(
			w,
			<() as WeightInfo>::on_initialize_idle()
				.saturating_add(<() as WeightInfo>::unwind_inventory(2))
		);
	});
}

/// Version 3 -> 4: the parameters gain `unwind_spread` at its default (1%); the version becomes
/// 4 and a second run does nothing.
#[test]
fn migration_v4_adds_the_unwind_spread() {
	use crate::migrations::v4;
	use frame_support::{
		assert_storage_noop,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	ExtBuilder::default().build_and_execute(|| {
		let p = OptionsParams { tick_size: 20_000, ..default_params() };
		let old = v4::v3::OptionsParams {
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
			min_twap_coverage: p.min_twap_coverage,
			settlement_lookback: p.settlement_lookback,
			settlement_price_band: p.settlement_price_band,
		};
		v4::v3::Params::<Test>::put(old);
		StorageVersion::new(3).put::<Options>();

		#[cfg(feature = "try-runtime")]
		assert_ok!(v4::MigrateV3ToV4::<Test>::try_on_runtime_upgrade(true));
		#[cfg(not(feature = "try-runtime"))]
		v4::MigrateV3ToV4::<Test>::on_runtime_upgrade();

		assert_eq!(Options::on_chain_storage_version(), StorageVersion::new(4));
		assert_eq!(Options::in_code_storage_version(), StorageVersion::new(4));
		assert_eq!(
			Params::<Test>::get(),
			OptionsParams { unwind_spread: Permill::from_percent(1), ..p }
		);
		assert_storage_noop!(v4::MigrateV3ToV4::<Test>::on_runtime_upgrade());
	});
}

/// While trading is paused (the runtime's safe mode) the unwind places no order: makers whose
/// resting bids it would take cannot place orders to hedge. It quotes again once trading
/// resumes.
#[test]
fn no_unwind_while_trading_is_paused() {
	ExtBuilder::default().build_and_execute(|| {
		let id = call_60k();
		fund_holds(id, BOB, 3);
		let ask = expected_ask(id, Permill::from_percent(1));
		place(DAVE, id, Buy, ask + USD, 2, Gtc);
		crate::mock::TradingPaused::set(true);
		System::reset_events();
		next_block();
		assert!(options_events().is_empty());
		assert_eq!((pos(id, FUND), pos(id, DAVE)), (3, 0));
		assert_eq!(FundQuotes::<Test>::get(id), None);
		crate::mock::TradingPaused::set(false);
		next_block();
		assert_eq!((pos(id, FUND), pos(id, DAVE)), (1, 2));
		assert_eq!(fund_quote(id), Some((Sell, ask, 1)));
	});
}
