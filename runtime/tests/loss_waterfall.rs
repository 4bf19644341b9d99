//! Runtime-level test of the loss waterfall (issue 15), on the real runtime (dev genesis: the
//! insurance fund seeded with 1,000,000 USD, payout cap 100,000 USD per block).
//!
//! 1,000 writers of one BTC put K = 50,000 each hold 8,000 USD; BTC falls from 50,000 to
//! 35,000 in one feed (inside the dev breaker's 50%), so each writer's put is worth about
//! 15,000 and every writer is bankrupt by about 7,000 USD: some 7,000,000 USD of bad debt
//! against a fund of 1,000,000. The test checks, block by block, until the series has settled:
//! - the fund takes every bad debt over (its cash, swollen by the writers' mark payments for the
//!   puts it took, backs them) and pays exactly its cap per block, oldest first;
//! - nothing is socialized while the fund's cash backs what it owes;
//! - at settlement the fund's puts pay out: what it cannot pay of them (its cash less what it
//!   still owes) is cut from the longs' payouts when the settlement starts, before anyone is
//!   paid, so the loss falls on the buyer's profit (the opposing position) and nothing is
//!   socialized onto other cash holders; the fund goes on paying what it owes at its cap;
//! - after every block: USD held + uncovered bad debt >= sum of every account's cash
//!   (`try_state`), uncovered bad debt <= the fund's cash, and custody covers every claim;
//!   the USD supply and the USD held never change (nothing enters or leaves).

mod common;

use common::*;
use frame_support::{
	traits::{fungibles::Inspect, OnFinalize},
	BoundedVec,
};
use solvent_primitives::{assets, MarginLedger};
use solvent_runtime::{AccountId, Margin, Runtime, RuntimeEvent, RuntimeOrigin, System};

const WRITERS: u32 = 1_000;

fn margin_events() -> Vec<pallet_margin::Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Margin(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// The invariants that must hold at the end of every block: checked after the margin pallet's
/// `on_finalize` (run here; `next_block` runs it again, a no-op, before the next block).
fn check_block(held_at_start: i128, supply: u128) {
	<Margin as OnFinalize<u32>>::on_finalize(System::block_number());
	let (held, uncovered, cash, fund_cash) = usd_ledger();
	assert_eq!(held, held_at_start, "USD held by the margin pallet changed");
	assert_eq!(solvent_runtime::Assets::total_issuance(assets::USD), supply);
	assert!(held + uncovered >= cash, "custody {held} + uncovered {uncovered} < cash {cash}");
	assert!(uncovered <= fund_cash.max(0), "uncovered {uncovered} > fund cash {fund_cash}");
	assert_custody_covers_claims();
	Margin::do_try_state().unwrap();
}

/// One automatic liquidation batch, as the offchain worker and the next block do it.
fn liquidate_round() -> usize {
	let cap = pallet_margin::Params::<Runtime>::get().max_liquidations_per_block;
	let (accounts, witness) = Margin::liquidation_candidates(cap);
	let n = accounts.len();
	if n > 0 {
		Margin::liquidate_batch(
			RuntimeOrigin::none(),
			BoundedVec::try_from(accounts).unwrap(),
			witness,
		)
		.unwrap();
	}
	n
}

#[test]
fn a_crash_beyond_the_fund_is_paid_by_the_fund_then_cut_from_the_opposing_longs_at_settlement() {
	dev_ext().execute_with(|| {
		next_block();
		feed(50_000);
		let series = list_put(50_000);
		let buyer = trader(u32::MAX);
		fund_margin(&buyer, 1_000_000 * USD);
		for i in 0..WRITERS {
			fund_margin(&trader(i), 8_000 * USD);
			write_put(trader(i), &buyer, series);
		}
		let fund = pallet_insurance_fund::Pallet::<Runtime>::fund_account();
		let cap = pallet_insurance_fund::Params::<Runtime>::get().payout_cap_per_block as i128;
		let (held_at_start, _, _, fund_seed) = usd_ledger();
		let supply = solvent_runtime::Assets::total_issuance(assets::USD);
		check_block(held_at_start, supply);

		// The crash, then automatic liquidation rounds until nobody is left.
		next_block();
		feed(35_000);
		let mut bad_debt: i128 = 0;
		let mut to_fund: i128 = 0;
		let mut liquidation_blocks = 0;
		loop {
			let before = margin_events().len();
			let n = liquidate_round();
			for e in margin_events().into_iter().skip(before) {
				if let pallet_margin::Event::BadDebt { amount, to_fund: f, socialized, .. } = e {
					bad_debt += amount as i128;
					to_fund += f as i128;
					assert_eq!(socialized, 0, "the fund's cash backs every bad debt");
				}
			}
			check_block(held_at_start, supply);
			if n == 0 {
				break;
			}
			liquidation_blocks += 1;
			next_block();
			feed(35_000);
		}
		assert_eq!(to_fund, bad_debt);
		assert!(bad_debt > 6_000_000 * USD as i128, "bad debt {bad_debt}");
		let fund_position = pallet_options::Positions::<Runtime>::get(series, &fund);
		assert_eq!(fund_position, Some(-(WRITERS as i64)));
		println!(
			"{WRITERS} writers liquidated in {liquidation_blocks} blocks: bad debt {} USD, \
			 fund cash {} USD (seed {} USD)",
			bad_debt / USD as i128,
			usd_ledger().3 / USD as i128,
			fund_seed / USD as i128
		);

		// Until expiry: the fund pays its cap every block; nothing is socialized. At the
		// settlement the fund's puts pay out: what it cannot pay of them (its cash, less what
		// it still owes) is cut from the buyer's payout when the settlement starts, before
		// anyone is paid; after it, the fund goes on paying what it owes at its cap.
		let mut paid_blocks = 0;
		let mut socialized: i128 = 0;
		let mut shortfall: Option<u128> = None;
		let buyer_before = <Margin as MarginLedger<AccountId>>::cash(&buyer);
		for _ in 0..400 {
			let (_, uncovered_before, _, _) = usd_ledger();
			next_block();
			feed(35_000);
			check_block(held_at_start, supply);
			for e in System::events() {
				match e.event {
					RuntimeEvent::Margin(pallet_margin::Event::LossSocialized {
						amount, ..
					}) => socialized += amount as i128,
					RuntimeEvent::Options(pallet_options::Event::SettlementStarted {
						series: s,
						fund_shortfall,
						..
					}) if s == series => shortfall = Some(fund_shortfall),
					_ => {}
				}
			}
			let (_, uncovered, _, _) = usd_ledger();
			assert_eq!(uncovered, (uncovered_before - cap).max(0), "the cap, every block");
			if uncovered_before > 0 {
				paid_blocks += 1;
			}
			let done = pallet_options::Series::<Runtime>::get(series)
				.is_some_and(|s| s.status == pallet_options::SeriesStatus::Settled);
			if done && uncovered == 0 {
				break;
			}
		}
		let shortfall = shortfall.expect("the series settled") as i128;
		let (held, uncovered, cash, fund_cash) = usd_ledger();
		assert_eq!(uncovered, 0);
		assert_eq!(socialized, 0, "the loss fell on the opposing long, not on cash holders");
		assert!(shortfall > 0, "the fund could not pay all of its puts");
		assert!(fund_cash >= 0, "the fund paid what it could: cash {fund_cash}");
		// The buyer received its 1,000 puts' payout less the fund's shortfall.
		let payout = WRITERS as i128 * 15_000 * USD as i128;
		let buyer_now = <Margin as MarginLedger<AccountId>>::cash(&buyer);
		assert!(
			(buyer_now - buyer_before - (payout - shortfall)).abs() <= 1,
			"buyer {buyer_before} -> {buyer_now}, payout {payout}, shortfall {shortfall}"
		);
		assert_eq!(held, cash, "nothing socialized: custody equals the sum of cash exactly");
		println!(
			"fund paid its cap in {paid_blocks} blocks x {} USD; at settlement it could not pay {} \
			 USD of its puts' {} USD: cut from the buyer's payout; socialized 0; fund cash {} USD",
			cap / USD as i128,
			shortfall / USD as i128,
			payout / USD as i128,
			fund_cash / USD as i128,
		);
	});
}
