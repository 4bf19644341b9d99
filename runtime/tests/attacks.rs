//! Issue 14's attacks on the real runtime (dev genesis: oracle, margin, options and insurance
//! fund as configured for the chain): each is tried by colluding accounts, fails with its
//! specific error (or cancels the maker with its reason), and every signed call is checked
//! against the invariant that only price moves make a trader liquidatable ([`checked`]); at the
//! end the pool still holds every positive claim. The same attacks run on a live node in
//! `e2e/tests/05-attacks.test.js`.

mod common;

use common::*;
use frame_support::assert_noop;
use pallet_options::CancelReason;
use solvent_primitives::{OptionKind, Side};
use solvent_runtime::{Margin, Options, Runtime, RuntimeEvent, RuntimeOrigin, System};
use sp_runtime::FixedU128;

type MarginError = pallet_margin::Error<Runtime>;
type OptionsError = pallet_options::Error<Runtime>;

fn one() -> FixedU128 {
	FixedU128::from_u32(1)
}

fn options_events() -> Vec<pallet_options::Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Options(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// Withdraw all the USD `who`'s margin allows (it ends exactly fully margined).
fn withdraw_max(who: &solvent_runtime::AccountId) {
	let s = Margin::risk(who).unwrap();
	let free = (s.equity - s.requirement.initial_with_orders() as i128).min(s.cash);
	if free > 0 {
		Margin::withdraw(RuntimeOrigin::signed(who.clone()), 1, free as u128).unwrap();
	}
}

/// BTC at 50,000 with a fresh block and feeds.
fn market() {
	next_block();
	feed(50_000);
}

#[test]
fn closing_trade_at_an_absurd_premium_cannot_drain_the_pool() {
	dev_ext().execute_with(|| {
		market();
		let put = list_put(50_000);
		let (writer, colluder) = (trader(1), trader(2));
		fund_margin(&writer, 10_000 * USD);
		fund_margin(&colluder, 100 * USD);
		checked(|| trade(&colluder, &writer, put, 40 * USD, 1));
		// The writer buys its short back from the colluder at 1,000,000 USD: neither side may
		// even place the order.
		for (who, side) in [(&colluder, Side::Sell), (&writer, Side::Buy)] {
			assert_noop!(
				order(who, put, side, 1_000_000 * USD, 1, TimeInForce::ImmediateOrCancel),
				OptionsError::PriceOutsideBand
			);
		}
		// At the most the band allows, from the initial-margin edge: the writer pays its own
		// money and stays above maintenance (the short's maintenance margin it releases is
		// larger than the band); the colluder gains no more than that.
		withdraw_max(&writer);
		let (_, highest) = band_edges(put);
		checked(|| trade(&writer, &colluder, put, highest, 1));
		assert_eq!(pallet_options::Positions::<Runtime>::get(put, &writer), None);
		assert!(surplus(&writer) >= 0);
		// The colluder withdraws what it was paid; the pool still covers every claim.
		let cash = Margin::risk(&colluder).unwrap().cash;
		checked(|| {
			Margin::withdraw(RuntimeOrigin::signed(colluder.clone()), 1, cash as u128).unwrap()
		});
		assert_custody_covers_claims();
		assert!(Margin::liquidation_candidates(100).0.is_empty());
	});
}

#[test]
fn a_long_that_backs_a_short_cannot_be_sold_below_maintenance() {
	dev_ext().execute_with(|| {
		market();
		let call = list(OptionKind::Call, 45_000, 0, one()); // in the money: about 5,000 USD
		let put = list(OptionKind::Put, 50_000, 0, one());
		let (a, b) = (trader(1), trader(2));
		fund_margin(&a, 20_000 * USD);
		fund_margin(&b, 100_000 * USD);
		let call_mark = Options::mark_per_contract(call).unwrap();
		checked(|| trade(&a, &b, call, call_mark / 10_000 * 10_000, 1)); // a long the call
		checked(|| trade(&b, &a, put, 40 * USD, 1)); // a short the put
		withdraw_max(&a);
		// BTC to 47,000: a is above maintenance, below initial margin.
		next_block();
		feed(47_000);
		let before = surplus(&a);
		assert!(before > 0 && before < 1_000 * USD as i128, "surplus {before}");
		let (lowest, _) = band_edges(call);
		// As taker: selling the long at the band's lowest premium would leave a below
		// maintenance: refused.
		order(&b, call, Side::Buy, lowest, 1, TimeInForce::GoodTilCancelled).unwrap();
		assert_noop!(
			order(&a, call, Side::Sell, lowest, 1, TimeInForce::ImmediateOrCancel),
			OptionsError::InsufficientMargin
		);
		let bid = pallet_options::AccountOrders::<Runtime>::get(&b).ids[0];
		Options::cancel_order(RuntimeOrigin::signed(b.clone()), bid).unwrap();
		// As maker: the closing ask may rest (no margin added, surplus unchanged), but its fill
		// is refused and the order cancelled; the taker's call goes on.
		checked(|| order(&a, call, Side::Sell, lowest, 1, TimeInForce::GoodTilCancelled).unwrap());
		let ask = pallet_options::AccountOrders::<Runtime>::get(&a).ids[0];
		checked(|| order(&b, call, Side::Buy, lowest, 1, TimeInForce::ImmediateOrCancel).unwrap());
		assert!(options_events().iter().any(|e| matches!(
			e,
			pallet_options::Event::OrderCancelled {
				order_id,
				reason: CancelReason::MakerMarginCheckFailed,
				..
			} if *order_id == ask
		)));
		assert_eq!(pallet_options::Positions::<Runtime>::get(call, &a), Some(1));
		assert_eq!(surplus(&a), before);
		// Buying back the short instead releases its maintenance margin: allowed.
		let (_, highest) = band_edges(put);
		checked(|| trade(&a, &b, put, highest, 1));
		assert!(surplus(&a) > before);
		assert_custody_covers_claims();
	});
}

/// Found by a red-team review: an account a price move has put below maintenance (before the
/// offchain workers act) buys its shorts back at the top of the band from a colluder. Each
/// contract releases more maintenance margin than the band lets the premium exceed the mark,
/// so the surplus rises, while the equity falls by the band's width per contract, past zero:
/// the colluder would withdraw the account's bad debt. The trade margin rule refuses any trade
/// that creates or deepens negative equity; closing at the mark's side of the band stays open.
#[test]
fn an_account_below_maintenance_cannot_pay_its_way_into_bad_debt() {
	dev_ext().execute_with(|| {
		market();
		// Ten expiries out (20 minutes on dev): it does not expire during the walk below.
		let put = list(OptionKind::Put, 50_000, 10, one());
		let (writer, buyer, colluder) = (trader(1), trader(2), trader(3));
		fund_margin(&writer, 200_000 * USD);
		fund_margin(&buyer, 200_000 * USD);
		fund_margin(&colluder, 1_000_000 * USD);
		let (lowest, _) = band_edges(put);
		checked(|| trade(&buyer, &writer, put, lowest, 10));
		withdraw_max(&writer);
		// BTC walks down until the writer is below maintenance with a little equity left, less
		// than buying its 10 shorts back at the top of the band would cost above the mark.
		let mut spot = 50_000;
		loop {
			spot -= 250;
			assert!(spot > 30_000, "no such price");
			next_block();
			feed(spot);
			let (_, highest) = band_edges(put);
			let excess = (highest - Options::mark_per_contract(put).unwrap()) as i128;
			let r = Margin::risk(&writer).unwrap().margin();
			if r.maintenance_surplus() < 0 && r.equity > 0 && r.equity < 10 * excess / 2 {
				break;
			}
		}
		let equity = Margin::risk(&writer).unwrap().margin().equity;
		let (lowest, highest) = band_edges(put);
		checked(|| {
			order(&colluder, put, Side::Sell, highest, 10, TimeInForce::GoodTilCancelled).unwrap()
		});
		assert_noop!(
			order(&writer, put, Side::Buy, highest, 10, TimeInForce::ImmediateOrCancel),
			OptionsError::InsufficientMargin
		);
		let ask = pallet_options::AccountOrders::<Runtime>::get(&colluder).ids[0];
		Options::cancel_order(RuntimeOrigin::signed(colluder.clone()), ask).unwrap();
		// At the bottom of the band (below the mark) the buy-back is allowed and leaves the
		// writer with more equity than before.
		checked(|| trade(&writer, &colluder, put, lowest, 10));
		assert_eq!(pallet_options::Positions::<Runtime>::get(put, &writer), None);
		assert!(Margin::risk(&writer).unwrap().margin().equity > equity);
		assert_custody_covers_claims();
	});
}

#[test]
fn opening_trades_and_wash_trades_stay_in_the_band_and_cost_the_traders() {
	dev_ext().execute_with(|| {
		market();
		let put = list_put(50_000);
		let (a, b) = (trader(1), trader(2));
		fund_margin(&a, 50_000 * USD);
		fund_margin(&b, 50_000 * USD);
		let mark = Options::mark_per_contract(put).unwrap();
		// Opening at a thousand times the mark: refused.
		assert_noop!(
			order(
				&a,
				put,
				Side::Sell,
				mark / 10_000 * 10_000 * 1_000,
				1,
				TimeInForce::GoodTilCancelled
			),
			OptionsError::PriceOutsideBand
		);
		// Wash trades at the band's edges, back and forth: every trade pays two fees, nobody
		// ends liquidatable, the pool covers every claim.
		let equity = |who| Margin::risk(who).unwrap().equity;
		let start = equity(&a) + equity(&b);
		for i in 0..20 {
			let (lowest, highest) = band_edges(put);
			let price = if i % 2 == 0 { highest } else { lowest };
			let (buyer, seller) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
			checked(|| trade(buyer, seller, put, price, 1));
		}
		assert!(equity(&a) + equity(&b) < start, "fees were paid");
		assert!(Margin::liquidation_candidates(100).0.is_empty());
		assert_custody_covers_claims();
	});
}

#[test]
fn unbacked_orders_cannot_fill_a_book_side() {
	dev_ext().execute_with(|| {
		market();
		let put = list_put(50_000);
		// Without a margin account: no order rests.
		let empty = trader(1);
		assert_noop!(
			order(&empty, put, Side::Buy, 10 * USD, 1, TimeInForce::GoodTilCancelled),
			OptionsError::InsufficientMargin
		);
		// With the minimum deposit (10 USD): bids of 1 USD each rest while the premium and fees
		// they would pay are backed, then no more.
		let small = trader(2);
		fund_margin(&small, 10 * USD);
		let mut rested = 0;
		for _ in 0..20 {
			match order(&small, put, Side::Buy, USD, 1, TimeInForce::GoodTilCancelled) {
				Ok(()) => rested += 1,
				Err(e) => {
					assert_eq!(e, OptionsError::InsufficientMargin.into());
					break;
				}
			}
		}
		// Each bid needs 1 USD + its fee (12.5% of it): 8 of them fit 10 USD.
		assert_eq!(rested, 8);
		let req = Margin::risk(&small).unwrap().requirement;
		assert_eq!(req.open_orders, 9 * USD);
		// Selling without margin: refused, however many tries.
		assert_noop!(
			order(&small, put, Side::Sell, 100 * USD, 10, TimeInForce::GoodTilCancelled),
			OptionsError::InsufficientMargin
		);
	});
}

#[test]
fn dust_positions_across_more_series_than_a_trader_may_hold_all_reach_the_fund() {
	dev_ext().execute_with(|| {
		market();
		let max = <Runtime as pallet_options::Config>::MaxPositionsPerAccount::get();
		let series: Vec<u32> = (0..max + 4)
			.map(|i| list(OptionKind::Put, 50_000 + 100 * i, 0, FixedU128::from_rational(1, 100)))
			.collect();
		// Buyers hold at most `max` series each too: one per 10 series.
		let buyers: Vec<_> =
			(0..series.len().div_ceil(10)).map(|i| trader(1_000 + i as u32)).collect();
		for b in &buyers {
			fund_margin(b, 10_000 * USD);
		}
		// One dust writer per series: 0.01 BTC short, a little above its initial margin.
		for (i, id) in series.iter().enumerate() {
			let buyer = &buyers[i / 10];
			let w = trader(i as u32);
			fund_margin(&w, 150 * USD);
			let (lowest, _) = band_edges(*id);
			checked(|| trade(buyer, &w, *id, lowest, 1));
		}
		next_block();
		feed(40_000);
		let (batch, witness) = Margin::liquidation_candidates(1_000);
		assert_eq!(batch.len(), series.len());
		Margin::liquidate_batch(
			RuntimeOrigin::none(),
			frame_support::BoundedVec::try_from(batch).unwrap(),
			witness,
		)
		.unwrap();
		let fund = pallet_insurance_fund::Pallet::<Runtime>::fund_account();
		assert_eq!(pallet_options::AccountSeries::<Runtime>::get(&fund).len(), series.len());
		assert!(series.len() as u32 > max);
		assert!(Margin::liquidation_candidates(1_000).0.is_empty());
		Margin::do_try_state().unwrap();
		Options::do_try_state().unwrap();
	});
}

#[test]
fn a_keeper_cannot_liquidate_itself_and_its_reward_is_what_it_was_paid() {
	dev_ext().execute_with(|| {
		market();
		let put = list_put(50_000);
		let (writer, buyer, keeper) = (trader(1), trader(2), trader(3));
		fund_margin(&writer, 8_000 * USD);
		fund_margin(&buyer, 1_000 * USD);
		fund_margin(&keeper, 10 * USD);
		trade(&buyer, &writer, put, 40 * USD, 1);
		next_block();
		feed(46_000);
		assert!(Margin::account_view(&writer).liquidatable);
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(writer.clone()), writer.clone()),
			MarginError::SelfLiquidation
		);
		let before = Margin::risk(&keeper).unwrap().cash;
		Margin::liquidate(RuntimeOrigin::signed(keeper.clone()), writer.clone()).unwrap();
		let paid = Margin::risk(&keeper).unwrap().cash - before;
		let emitted = System::events().into_iter().find_map(|r| match r.event {
			RuntimeEvent::Margin(pallet_margin::Event::Liquidated { keeper_reward, .. }) => {
				Some(keeper_reward)
			}
			_ => None,
		});
		assert_eq!(emitted, Some(paid as u128));
		assert!(paid > 0);
	});
}
