//! Runtime-level test of the oracle's bounded pause (issue 15): with the breaker at 10% (as on
//! `--chain local`), a real 20% BTC crash halts the key, so nobody is liquidated on it; the
//! feeds keep agreeing on the new level, and after the cool-off (60 s on the dev preset) the
//! key resumes at their median by itself, without a referendum, and the writers the crash made
//! liquidatable are liquidated in the next blocks. The insurance fund's stakers cannot
//! withdraw while the key is halted, nor in the 20 blocks after it resumes (the window in which
//! the bankruptcies that waited for the price run).

mod common;

use common::*;
use frame_support::BoundedVec;
use solvent_primitives::OracleGuard;
use solvent_primitives::{assets, OptionKind, OracleKey, PriceError, PriceProvider};
use solvent_runtime::{
	configs::solvent::MarginOracleGuard, Margin, PriceOracle, Runtime, RuntimeEvent, RuntimeOrigin,
	System,
};
use sp_runtime::Permill;

const WRITERS: u32 = 20;

fn oracle_events() -> Vec<pallet_price_oracle::Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::PriceOracle(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// One automatic liquidation batch, as the offchain worker and the next block do it.
fn liquidate_round() -> usize {
	let (accounts, witness) = Margin::liquidation_candidates(1_000);
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
fn a_real_twenty_percent_move_halts_then_resumes_by_itself_and_liquidations_follow() {
	dev_ext().execute_with(|| {
		next_block();
		feed(50_000);
		// The breaker from the dev preset's 50% to 10%, within the 50% step per change.
		for deviation in [25, 13, 10] {
			let p = pallet_price_oracle::Params::<Runtime>::get();
			PriceOracle::set_params(
				RuntimeOrigin::root(),
				pallet_price_oracle::OracleParams {
					max_deviation: Permill::from_percent(deviation),
					..p
				},
			)
			.unwrap();
		}
		let cooloff = pallet_price_oracle::Params::<Runtime>::get().breaker_cooloff;
		// Expiry about 6 minutes ahead: after the halt, the resume and the guard window.
		let series = list(OptionKind::Put, 50_000, 2, sp_runtime::FixedU128::from_u32(1));
		let buyer = trader(u32::MAX);
		fund_margin(&buyer, 1_000_000 * USD);
		for i in 0..WRITERS {
			fund_margin(&trader(i), 8_000 * USD);
			write_put(trader(i), &buyer, series);
		}
		// Twenty-one blocks at 50,000: the breaker's reference TWAP has history, and the key
		// has been available for the stakers' guard window (60 s).
		for _ in 0..21 {
			next_block();
			feed(50_000);
		}
		assert_eq!(MarginOracleGuard::unavailable_key(), None);

		// The crash: 50,000 -> 40,000 trips the 10% breaker.
		next_block();
		feed(40_000);
		let spot = OracleKey::Spot(assets::BTC);
		assert!(oracle_events().iter().any(
			|e| matches!(e, pallet_price_oracle::Event::BreakerTripped { key, .. } if *key == spot)
		));
		assert_eq!(PriceOracle::get(&spot).map(|v| v.value), Err(PriceError::Halted));
		let halted_at = pallet_timestamp::Now::<Runtime>::get();

		// Halted: the feeds keep agreeing on 40,000; nobody is liquidated on a halted price.
		let mut resumed_at = None;
		for _ in 0..40 {
			assert_eq!(liquidate_round(), 0, "no liquidation while the key is halted");
			assert_eq!(MarginOracleGuard::unavailable_key(), Some(spot), "stakers paused");
			next_block();
			feed(40_000);
			if oracle_events().iter().any(
				|e| matches!(e, pallet_price_oracle::Event::BreakerCooledOff { key, .. } if *key == spot),
			) {
				resumed_at = Some(pallet_timestamp::Now::<Runtime>::get());
				break;
			}
		}
		let resumed_at = resumed_at.expect("the key resumed by itself");
		assert!(resumed_at - halted_at >= cooloff, "not before the cool-off");
		assert!(resumed_at - halted_at <= cooloff + 2 * BLOCK_MS, "at the first feed after it");
		assert_eq!(
			PriceOracle::get(&spot).map(|v| v.value),
			Ok(sp_runtime::FixedU128::from_u32(40_000))
		);

		// Resumed, but the stakers' guard holds until the key has been available for 60 s:
		// the liquidations (and bankruptcies) the halt held back run first.
		assert_eq!(
			MarginOracleGuard::unavailable_key(),
			Some(spot),
			"guard window not yet covered"
		);

		// The writers the crash made liquidatable are liquidated now.
		let mut liquidated = 0;
		let mut guard_lifted_after = None;
		for block in 1..=25u64 {
			liquidated += liquidate_round();
			next_block();
			feed(40_000);
			if guard_lifted_after.is_none() && MarginOracleGuard::unavailable_key().is_none() {
				guard_lifted_after = Some(block);
			}
		}
		// The key resumed at the first feed of its block (one block's time in the window is
		// before it): the guard lifts 20 or 21 blocks later.
		let guard_lifted_after =
			guard_lifted_after.expect("the guard lifts once the window is covered");
		assert!(
			(20..=21).contains(&guard_lifted_after),
			"lifted after {guard_lifted_after} blocks"
		);
		assert_eq!(liquidated, WRITERS as usize);
		for i in 0..WRITERS {
			assert_eq!(pallet_options::Positions::<Runtime>::get(series, trader(i)), None);
		}
		// A later feed near the new level does not trip again: the reference moved.
		next_block();
		feed(39_000);
		assert!(PriceOracle::get(&spot).is_ok());
		Margin::do_try_state().unwrap();
		println!(
			"halted at {halted_at} ms, resumed after {} ms (cool-off {cooloff} ms), {liquidated} \
			 writers liquidated, stakers' guard lifted {guard_lifted_after} blocks after the resume",
			resumed_at - halted_at
		);
	});
}
