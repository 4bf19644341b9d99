//! Unit tests of the margin pallet. Amounts in the comments are whole USD; the assertions use
//! the smallest units (10^-6 USD).
#![allow(deprecated)] // ValidateUnsigned, see lib.rs

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	pallet_prelude::{InvalidTransaction, TransactionSource, ValidateUnsigned},
	traits::fungibles::Mutate,
	BoundedVec,
};
use solvent_primitives::{MarginLedger, MarginRequirement, MarginSnapshot, SignedBalance};
use sp_arithmetic::{FixedI128, FixedU128, Permill};
use sp_runtime::{DispatchError, TokenError};

fn usd(x: i128) -> SignedBalance {
	x * USD as i128
}

fn batch(accounts: Vec<AccountId>) -> BoundedVec<AccountId, ConstU32Max> {
	BoundedVec::try_from(accounts).unwrap()
}
type ConstU32Max = frame_support::traits::ConstU32<100>;

/// Alice: `cash_usd` USD of cash and `contracts` short BTC puts struck at 50,000.
fn short_puts(who: AccountId, cash_usd: u128, contracts: i64) {
	assert_ok!(Margin::deposit(RuntimeOrigin::signed(who), USD_ID, cash_usd * USD));
	open_put(who, 1, -contracts, 50_000 * USD);
}

fn validate(accounts: Vec<AccountId>, witness: u32, source: TransactionSource) -> bool {
	let call =
		Call::<Test>::liquidate_batch { accounts: batch(accounts), position_witness: witness };
	#[allow(deprecated)]
	let r = <Margin as ValidateUnsigned>::validate_unsigned(source, &call);
	r.is_ok()
}

// ------------------------------------------------------------------------- deposit / withdraw

#[test]
fn deposit_usd_credits_cash_and_moves_tokens() {
	ExtBuilder::default().build_and_execute(|| {
		let pallet = Margin::account_id();
		let before = Assets::balance(USD_ID, pallet);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 1_000 * USD));
		assert_eq!(cash(ALICE), usd(1_000));
		assert_eq!(Assets::balance(USD_ID, ALICE), 10_000_000 * USD - 1_000 * USD);
		assert_eq!(Assets::balance(USD_ID, pallet), before + 1_000 * USD);
		assert_eq!(
			margin_events().last(),
			Some(&Event::Deposited { who: ALICE, asset: USD_ID, amount: 1_000 * USD })
		);
	});
}

#[test]
fn deposit_collateral_is_recorded_per_asset() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, 3 * BTC / 2));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, BTC / 2));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, 5 * ETH / 2));
		let account = Accounts::<Test>::get(ALICE).unwrap();
		assert_eq!(account.cash, 0);
		assert_eq!(account.collateral.get(&BTC_ID), Some(&(2 * BTC)));
		assert_eq!(account.collateral.get(&ETH_ID), Some(&(5 * ETH / 2)));
		assert_eq!(Assets::balance(BTC_ID, Margin::account_id()), 2 * BTC);
	});
}

#[test]
fn deposit_rejections_change_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Margin::deposit(RuntimeOrigin::signed(ALICE), DOGE_ID, 10),
			Error::<Test>::UnknownCollateral
		);
		assert_noop!(Margin::deposit(RuntimeOrigin::none(), USD_ID, 10), DispatchError::BadOrigin);
		assert_noop!(
			Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 10_000_001 * USD),
			TokenError::FundsUnavailable
		);
		assert_ok!(Margin::set_collateral_params(
			RuntimeOrigin::root(),
			ETH_ID,
			CollateralParams { haircut: Permill::from_percent(15), enabled: false }
		));
		assert_noop!(
			Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, ETH),
			Error::<Test>::CollateralDisabled
		);
	});
}

#[test]
fn disabled_collateral_still_counts_and_can_be_withdrawn() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, 2 * ETH));
		assert_ok!(Margin::set_collateral_params(
			RuntimeOrigin::root(),
			ETH_ID,
			CollateralParams { haircut: Permill::from_percent(15), enabled: false }
		));
		// 2 ETH x 3,000 x 0.85 = 5,100 USD.
		assert_eq!(Margin::risk(&ALICE).unwrap().equity, usd(5_100));
		assert_ok!(Margin::withdraw(RuntimeOrigin::signed(ALICE), ETH_ID, 2 * ETH));
		assert_eq!(Accounts::<Test>::get(ALICE), None, "an emptied account is removed");
	});
}

#[test]
fn haircut_math_is_exact_and_rounds_down() {
	ExtBuilder::default().build_and_execute(|| {
		// 1.5 BTC x 50,000 x 0.90 = 67,500; 2.5 ETH x 3,000 x 0.85 = 6,375.
		assert_eq!(Margin::collateral_value(BTC_ID, 3 * BTC / 2), Ok(67_500 * USD));
		assert_eq!(Margin::collateral_value(ETH_ID, 5 * ETH / 2), Ok(6_375 * USD));
		// 1 satoshi at 12,345.678901 USD = 123.45678901 units -> 123 -> x 0.9 = 110.7 -> 110.
		Spot::insert(BTC_ID, FixedU128::from_rational(12_345_678_901, 1_000_000));
		assert_eq!(Margin::collateral_value(BTC_ID, 1), Ok(110));
		set_price(BTC_ID, 50_000);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, 3 * BTC / 2));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, 5 * ETH / 2));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 125 * USD));
		let view = Margin::account_view(&ALICE);
		assert_eq!(view.equity, Some(usd(67_500 + 6_375 + 125)));
		assert_eq!(view.collateral.len(), 2);
		assert_eq!(view.collateral[0].value, 67_500 * USD);
		assert_eq!(view.collateral[0].haircut, Permill::from_percent(10));
		assert_eq!(view.health, None, "no maintenance margin: no health ratio");
		assert!(!view.liquidatable);
	});
}

#[test]
fn withdraw_is_blocked_below_initial_margin() {
	ExtBuilder::default().build_and_execute(|| {
		// 10,000 cash, one short ATM put: IM = 0.15 x 50,000 = 7,500.
		short_puts(ALICE, 10_000, 1);
		assert_eq!(Margin::risk(&ALICE).unwrap().requirement.initial, 7_500 * USD);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 2_500 * USD + 1),
			Error::<Test>::InsufficientMargin
		);
		assert_ok!(Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 2_500 * USD));
		assert_eq!(cash(ALICE), usd(7_500));
		assert_eq!(Assets::balance(USD_ID, ALICE), 10_000_000 * USD - 7_500 * USD);
		assert_eq!(
			margin_events().last(),
			Some(&Event::Withdrawn { who: ALICE, asset: USD_ID, amount: 2_500 * USD })
		);
	});
}

#[test]
fn withdraw_rejections_change_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 100 * USD));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, BTC));
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 100 * USD + 1),
			Error::<Test>::InsufficientCash
		);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), BTC_ID, BTC + 1),
			Error::<Test>::InsufficientCollateral
		);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), ETH_ID, 1),
			Error::<Test>::InsufficientCollateral
		);
	});
}

/// Rule 2 of `risk.rs`: positions whose underlying's price is unavailable block every
/// initial-margin check of their account (the mock's puts are on BTC).
#[test]
fn unpriceable_positions_block_withdraw_but_not_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 10_000 * USD));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, BTC));
		open_put(ALICE, 1, -1, 50_000 * USD);
		remove_price(BTC_ID);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, USD),
			Error::<Test>::PriceUnavailable
		);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, USD));
		let view = Margin::account_view(&ALICE);
		assert_eq!(view.equity, None);
		assert_eq!(view.price_error, Some(solvent_primitives::PriceError::NoQuorum));
		assert_eq!(
			<Margin as MarginLedger<AccountId>>::ensure_trade_margin(&ALICE, None),
			Err(Error::<Test>::PriceUnavailable.into())
		);
	});
}

// ------------------------------------------------------------------------- liquidation

#[test]
fn healthy_account_is_not_liquidatable() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE),
			Error::<Test>::NotLiquidatable
		);
		assert!(!validate(vec![ALICE], 1, TransactionSource::InBlock));
		assert_eq!(Margin::liquidation_candidates(10), (vec![], 0));
	});
}

#[test]
fn no_liquidation_on_unavailable_price() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 100_000, 10);
		set_price(BTC_ID, 45_000);
		assert!(Margin::account_view(&ALICE).liquidatable);
		remove_price(BTC_ID);
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE),
			Error::<Test>::PriceUnavailable
		);
		assert!(!validate(vec![ALICE], 1, TransactionSource::InBlock));
		assert_eq!(Margin::liquidation_candidates(10), (vec![], 0));
		assert!(!Margin::account_view(&ALICE).liquidatable);
	});
}

#[test]
fn automatic_batch_stops_at_the_operational_weight_limit() {
	ExtBuilder::default().build_and_execute(|| {
		// Both liquidatable at 45,000 (MM 83,750); ALICE (equity 40,000) before BOB (50,000).
		short_puts(ALICE, 90_000, 10);
		short_puts(BOB, 100_000, 10);
		set_price(BTC_ID, 45_000);
		assert_eq!(Margin::liquidation_candidates(10), (vec![ALICE, BOB], 2));
		// BOB also holds `k` worthless longs, just enough that a batch of both would declare
		// more than one operational extrinsic may: ALICE goes alone, BOB waits.
		let max = Margin::max_batch_weight();
		let fits = |n: u32, p: u32| Margin::liquidate_batch_weight(n, p).all_lte(max);
		let k = (0..200_000u32).find(|k| !fits(2, 2 + k)).expect("the limit binds");
		assert!(fits(1, 1) && fits(1, 1 + k));
		for id in 0..k {
			open_put(BOB, 100 + id, 1, 0);
		}
		assert_eq!(Margin::liquidation_candidates(10), (vec![ALICE], 1));
		// Within the limit again (one long fewer), both go, largest deficit first.
		Book::mutate(BOB, |b| {
			b.pop();
		});
		assert_eq!(Margin::liquidation_candidates(10), (vec![ALICE, BOB], 1 + k));
	});
}

#[test]
fn partial_automatic_liquidation_restores_initial_margin() {
	ExtBuilder::default().build_and_execute(|| {
		// 100,000 cash, 10 short puts K = 50,000. At S = 45,000: mark 5,000, IM per contract
		// 0.15 x 45,000 + 5,000 = 11,750, MM per contract 3,375 + 5,000 = 8,375.
		short_puts(ALICE, 100_000, 10);
		set_price(BTC_ID, 45_000);
		let before = Margin::risk(&ALICE).unwrap();
		assert_eq!(before.equity, usd(50_000));
		assert_eq!(before.requirement.maintenance, 83_750 * USD);
		assert_eq!(before.health(), Some(FixedI128::from_rational(50_000, 83_750)));
		assert_eq!(Margin::liquidation_candidates(10), (vec![ALICE], 1));
		assert!(validate(vec![ALICE], 1, TransactionSource::Local));

		// Deficit 117,500 - 50,000 = 67,500; relief per contract 11,750 - 1% x 45,000 = 11,300;
		// k = ceil(67,500 / 11,300) = 6 contracts.
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		assert_eq!(quantity_of(ALICE, 1), -4);
		assert_eq!(quantity_of(fund(), 1), -6);
		// Cash: 100,000 - 6 x 5,000 (mark paid to the fund) - 1% x 270,000 (penalty) = 67,300.
		assert_eq!(cash(ALICE), usd(67_300));
		assert_eq!(cash(fund()), FUND_SEED as i128 + usd(30_000 + 2_700));
		assert_eq!(Cancels::get(ALICE), 1, "resting orders cancelled first");
		let after = Margin::risk(&ALICE).unwrap();
		assert_eq!(after.equity, usd(47_300));
		assert_eq!(after.requirement.initial, 47_000 * USD);
		assert!(after.equity >= after.initial(), "back above initial margin");
		let events = margin_events();
		assert_eq!(
			events[events.len() - 2],
			Event::PositionLiquidated {
				who: ALICE,
				position_id: 1,
				quantity: 6,
				value: -usd(30_000),
				notional: 270_000 * USD
			}
		);
		assert_eq!(
			events[events.len() - 1],
			Event::Liquidated {
				who: ALICE,
				keeper: None,
				equity_before: usd(50_000),
				maintenance_margin_before: 83_750 * USD,
				equity_after: usd(47_300),
				initial_margin_after: 47_000 * USD,
				notional: 270_000 * USD,
				penalty: 2_700 * USD,
				keeper_reward: 0,
				positions_closed: 1,
			}
		);
		// Liquidated once: no longer a candidate.
		assert_eq!(Margin::liquidation_candidates(10), (vec![], 0));
	});
}

#[test]
fn keeper_liquidation_pays_reward_and_penalty_exactly() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 100_000, 10);
		set_price(BTC_ID, 45_000);
		// Fee rate 1% + 0.5%: relief 11,750 - 675 = 11,075; k = ceil(67,500 / 11,075) = 7.
		assert_ok!(Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE));
		assert_eq!(quantity_of(ALICE, 1), -3);
		// 7 x 45,000 = 315,000 notional: penalty 3,150, reward 1,575.
		assert_eq!(cash(ALICE), usd(100_000 - 35_000 - 3_150 - 1_575));
		assert_eq!(cash(KEEPER), usd(1_575));
		assert_eq!(cash(fund()), FUND_SEED as i128 + usd(35_000 + 3_150));
		assert_eq!(
			margin_events().last(),
			Some(&Event::Liquidated {
				who: ALICE,
				keeper: Some(KEEPER),
				equity_before: usd(50_000),
				maintenance_margin_before: 83_750 * USD,
				equity_after: usd(60_275 - 15_000),
				initial_margin_after: 35_250 * USD,
				notional: 315_000 * USD,
				penalty: 3_150 * USD,
				keeper_reward: 1_575 * USD,
				positions_closed: 1,
			})
		);
	});
}

#[test]
fn penalty_rounds_up_to_the_smallest_unit() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		// S = 45,000.000001: notional 45,000,000,001 units; 1% = 450,000,000.01 -> 450,000,001.
		Spot::insert(BTC_ID, FixedU128::from_rational(45_000_000_001, 1_000_000));
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		match margin_events().last() {
			Some(Event::Liquidated { penalty, notional, .. }) => {
				assert_eq!(*notional, 45_000_000_001);
				assert_eq!(*penalty, 450_000_001);
			}
			other => panic!("unexpected {other:?}"),
		}
	});
}

#[test]
fn small_position_is_closed_in_full() {
	ExtBuilder::default().build_and_execute(|| {
		// 10,000 cash, 1 short put; at 45,000: equity 5,000 < MM 8,375.
		short_puts(ALICE, 10_000, 1);
		set_price(BTC_ID, 45_000);
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		assert_eq!(quantity_of(ALICE, 1), 0);
		assert_eq!(cash(ALICE), usd(10_000 - 5_000 - 450));
		assert_eq!(UncoveredBadDebt::<Test>::get(), 0);
	});
}

#[test]
fn largest_maintenance_margin_is_closed_first() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 60_000 * USD));
		open_put(ALICE, 1, -2, 50_000 * USD); // MM at 45,000: 2 x 8,375
		open_put(ALICE, 2, -2, 60_000 * USD); // MM at 45,000: 2 x 18,375
		set_price(BTC_ID, 45_000);
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 2));
		let moved: Vec<u32> = margin_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::PositionLiquidated { position_id, .. } => Some(position_id),
				_ => None,
			})
			.collect();
		assert_eq!(moved.first(), Some(&2));
	});
}

/// Alice: 10,000 cash + 0.1 BTC, one short put K = 50,000; BTC falls to 20,000: the put's mark
/// is 30,000 and equity = 10,000 + 0.1 x 20,000 x 0.9 - 30,000 = -18,200.
fn bankrupt_alice() {
	short_puts(ALICE, 10_000, 1);
	assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, BTC / 10));
	set_price(BTC_ID, 20_000);
	assert_eq!(Margin::risk(&ALICE).unwrap().equity, usd(-18_200));
}

#[test]
fn bad_debt_is_covered_by_the_insurance_fund() {
	ExtBuilder::default().build_and_execute(|| {
		bankrupt_alice();
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		// Position to the fund (Alice pays 30,000 mark), no penalty out of negative equity,
		// 0.1 BTC seized at 1,800, bad debt 18,200 covered in full.
		assert_eq!(quantity_of(fund(), 1), -1);
		assert_eq!(cash(ALICE), 0);
		assert_eq!(Accounts::<Test>::get(ALICE), None);
		let fund_account = Accounts::<Test>::get(fund()).unwrap();
		assert_eq!(fund_account.collateral.get(&BTC_ID), Some(&(BTC / 10)));
		assert_eq!(fund_account.cash, FUND_SEED as i128 + usd(30_000 - 1_800 - 18_200));
		// The fund's equity fell by exactly the bad debt.
		assert_eq!(Margin::risk(&fund()).unwrap().equity, FUND_SEED as i128 - usd(18_200));
		let events = margin_events();
		assert!(events.contains(&Event::CollateralSeized {
			who: ALICE,
			asset: BTC_ID,
			amount: BTC / 10,
			value: 1_800 * USD
		}));
		assert!(events.contains(&Event::BadDebt {
			who: ALICE,
			amount: 18_200 * USD,
			to_fund: 18_200 * USD,
			paid: 18_200 * USD,
			socialized: 0
		}));
		match events.last() {
			Some(Event::Liquidated { penalty, equity_after, .. }) => {
				assert_eq!(*penalty, 0);
				assert_eq!(*equity_after, 0);
			}
			other => panic!("unexpected {other:?}"),
		}
	});
}

/// Sum of the cash of the accounts the tests deposit for (USD units).
fn traders_cash() -> SignedBalance {
	[ALICE, BOB, CHARLIE, KEEPER].iter().map(|who| cash(*who)).sum()
}

#[test]
fn the_payout_cap_limits_the_rate_not_the_loss() {
	ExtBuilder::default().payout_cap(5_000 * USD).build_and_execute(|| {
		bankrupt_alice();
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		// Alice's debt left her account: the fund took all 18,200 over and paid 5,000 now.
		assert_eq!(Accounts::<Test>::get(ALICE), None);
		assert!(margin_events().contains(&Event::BadDebt {
			who: ALICE,
			amount: 18_200 * USD,
			to_fund: 18_200 * USD,
			paid: 5_000 * USD,
			socialized: 0
		}));
		assert_eq!(UncoveredBadDebt::<Test>::get(), 13_200 * USD);
		let after_liquidation = FUND_SEED as i128 + usd(30_000 - 1_800);
		assert_eq!(cash(fund()), after_liquidation - usd(5_000));
		assert_eq!(Margin::liquidation_candidates(10), (vec![], 0));
		Margin::do_try_state().unwrap();
		// The fund pays 5,000 a block, first thing, until the debt is paid; nothing is
		// socialized.
		for (block, left) in [(2, 8_200), (3, 3_200), (4, 0)] {
			run_to_block(block);
			assert_eq!(UncoveredBadDebt::<Test>::get(), left * USD);
			Margin::do_try_state().unwrap();
		}
		assert_eq!(cash(fund()), after_liquidation - usd(18_200));
		assert_eq!(CurrentCashIndex::<Test>::get(), CashIndex::default());
		assert!(!margin_events().iter().any(|e| matches!(e, Event::LossSocialized { .. })));
	});
}

#[test]
fn what_the_fund_cannot_pay_is_socialized_pro_rata_at_once() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(BOB), USD_ID, 30_000 * USD));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(CHARLIE), USD_ID, 10_000 * USD));
		// The fund is down to -20,000 cash: after taking Alice's put (it receives the 30,000
		// mark) and her BTC (it pays 1,800), it can pay 8,200 of her 18,200.
		assert_ok!(Margin::move_cash(&fund(), &TREASURY, FUND_SEED + 20_000 * USD));
		bankrupt_alice();
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		let events = margin_events();
		assert!(events.contains(&Event::BadDebt {
			who: ALICE,
			amount: 18_200 * USD,
			to_fund: 8_200 * USD,
			paid: 8_200 * USD,
			socialized: 10_000 * USD
		}));
		let index = CurrentCashIndex::<Test>::get();
		assert!(events.contains(&Event::LossSocialized {
			amount: 10_000 * USD,
			requested: 10_000 * USD,
			cash_index: index
		}));
		// Bob and Charlie (the only positive cash outside the protocol: Alice paid 30,000 for
		// her put) lose 10,000 in the ratio of their cash, 3:1, in this block.
		let (bob, charlie) = (cash(BOB), cash(CHARLIE));
		assert!(bob <= usd(22_500) && bob >= usd(22_500) - 10, "Bob: {bob}");
		assert!(charlie <= usd(7_500) && charlie >= usd(7_500) - 10, "Charlie: {charlie}");
		assert_eq!(UncoveredBadDebt::<Test>::get(), 0);
		assert_eq!(cash(fund()), usd(-20_000 + 30_000 - 1_800 - 8_200));
		Margin::do_try_state().unwrap();
		// Bob withdraws everything he has left: custody covers it, and his account records
		// the haircut as it is written.
		assert_ok!(Margin::withdraw(RuntimeOrigin::signed(BOB), USD_ID, bob.unsigned_abs()));
		assert!(margin_events()
			.contains(&Event::CashHaircut { who: BOB, amount: 30_000 * USD - bob.unsigned_abs() }));
		assert_ok!(Margin::withdraw(
			RuntimeOrigin::signed(CHARLIE),
			USD_ID,
			charlie.unsigned_abs()
		));
		Margin::do_try_state().unwrap();
	});
}

#[test]
fn uncovered_debt_the_funds_cash_no_longer_backs_is_socialized_at_the_end_of_the_block() {
	ExtBuilder::default().payout_cap(5_000 * USD).build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(BOB), USD_ID, 40_000 * USD));
		assert_ok!(Margin::move_cash(&fund(), &TREASURY, FUND_SEED));
		bankrupt_alice();
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		// Cash 28,200 (Alice's 30,000 for the put, less her BTC) backs all 18,200; 5,000 paid.
		assert_eq!(UncoveredBadDebt::<Test>::get(), 13_200 * USD);
		assert_eq!(cash(fund()), usd(23_200));
		// The fund pays 20,000 for something else in the block (a position it takes over):
		// its cash (3,200) and the BTC it holds (1,800) back 5,000 of the 13,200; it pays
		// those at once (its cash goes to -1,800 against the BTC), the 8,200 beyond them are
		// socialized. Its short put's loss is not counted: it is realized at settlement.
		assert_ok!(Margin::move_cash(&fund(), &TREASURY, 20_000 * USD));
		run_to_block(2);
		assert!(margin_events().contains(&Event::LossSocialized {
			amount: 8_200 * USD,
			requested: 8_200 * USD,
			cash_index: CurrentCashIndex::<Test>::get()
		}));
		assert_eq!(UncoveredBadDebt::<Test>::get(), 0);
		assert_eq!(cash(fund()), usd(-1_800));
		let bob = cash(BOB);
		assert!(bob <= usd(31_800) && bob >= usd(31_800) - 10, "Bob: {bob}");
		Margin::do_try_state().unwrap();
	});
}

#[test]
fn the_funds_realized_deficit_is_socialized() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(BOB), USD_ID, 40_000 * USD));
		// The fund owes 5,000 and holds nothing: equity -5,000.
		assert_ok!(Margin::move_cash(&fund(), &TREASURY, FUND_SEED + 5_000 * USD));
		run_to_block(2);
		assert!(margin_events().contains(&Event::FundDeficitSocialized { amount: 5_000 * USD }));
		assert_eq!(cash(fund()), 0);
		let bob = cash(BOB);
		assert!(bob <= usd(35_000) && bob >= usd(35_000) - 10, "Bob: {bob}");
		Margin::do_try_state().unwrap();
	});
}

#[test]
fn a_loss_above_all_positive_cash_starts_a_new_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(BOB), USD_ID, 1_000 * USD));
		let charged = Margin::socialize(5_000 * USD);
		// Bob's 1,000 (less the rounding allowance of 2 units per account) is all there is.
		assert_eq!(charged, 1_000 * USD - 2);
		assert_eq!(CurrentCashIndex::<Test>::get().epoch, 1);
		assert_eq!(cash(BOB), 0);
		assert_eq!(PositiveCashTotal::<Test>::get(), PositiveCash::default());
		// A new deposit starts at the new epoch's index, whole.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(CHARLIE), USD_ID, 500 * USD));
		assert_eq!(cash(CHARLIE), usd(500));
	});
}

#[test]
fn socialization_charges_at_least_the_loss_whatever_the_rounding() {
	ExtBuilder::default().build_and_execute(|| {
		// Odd amounts, several successive losses: the custody covers the cash left each time.
		for (who, amount) in [(BOB, 12_345_679), (CHARLIE, 7_654_321_001), (KEEPER, 10_000_003)] {
			assert_ok!(Margin::deposit(RuntimeOrigin::signed(who), USD_ID, amount));
		}
		for loss in [1, 3, 999_999, 12_345_678, 333] {
			let before = traders_cash();
			assert_eq!(Margin::socialize(loss), loss);
			let taken = before - traders_cash();
			assert!(taken >= loss as i128 && taken <= loss as i128 + 9, "took {taken} for {loss}");
		}
	});
}

#[test]
fn v2_migration_moves_queued_losses_to_the_fund_and_adds_the_cash_index() {
	use crate::migrations::v2::{v1 as old, MigrateV1ToV2};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder::default().build_and_execute(|| {
		StorageVersion::new(1).put::<Margin>();
		let accounts: Vec<_> = Accounts::<Test>::iter().collect();
		let _ = Accounts::<Test>::clear(u32::MAX, None);
		for (who, a) in &accounts {
			old::Accounts::<Test>::insert(
				who,
				old::MarginAccount { cash: a.cash, collateral: a.collateral.clone() },
			);
		}
		// Alice: closed out with 13,200 queued; the 13,200 she lost is in the treasury's cash.
		old::Accounts::<Test>::insert(
			ALICE,
			old::MarginAccount { cash: usd(-13_200), collateral: Default::default() },
		);
		old::Accounts::<Test>::insert(
			TREASURY,
			old::MarginAccount { cash: usd(13_200), collateral: Default::default() },
		);
		Debtors::<Test>::insert(ALICE, ());
		old::PendingLosses::<Test>::insert(ALICE, 13_200 * USD);
		old::PendingLossTotal::<Test>::put(13_200 * USD);
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Margin::on_chain_storage_version(), 2);
		assert_eq!(Accounts::<Test>::get(ALICE), None);
		assert!(!Debtors::<Test>::contains_key(ALICE));
		assert_eq!(UncoveredBadDebt::<Test>::get(), 13_200 * USD);
		assert_eq!(old::PendingLosses::<Test>::count(), 0);
		assert_eq!(cash(fund()), FUND_SEED as i128);
		// The next block: the fund pays it.
		run_to_block(2);
		assert_eq!(UncoveredBadDebt::<Test>::get(), 0);
		assert_eq!(cash(fund()), FUND_SEED as i128 - usd(13_200));
	});
}

#[test]
fn fund_account_is_never_liquidatable() {
	ExtBuilder::default().build_and_execute(|| {
		open_put(fund(), 1, -1_000, 50_000 * USD);
		set_price(BTC_ID, 10_000);
		assert!(Margin::risk(&fund()).unwrap().equity < 0);
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(KEEPER), fund()),
			Error::<Test>::NotLiquidatable
		);
	});
}

// ------------------------------------------------------------------------- automatic batch

#[test]
fn unsigned_batch_is_validated() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		short_puts(BOB, 100_000, 1);
		set_price(BTC_ID, 45_000);
		assert!(validate(vec![ALICE], 1, TransactionSource::Local));
		assert!(validate(vec![ALICE], 1, TransactionSource::InBlock));
		assert!(!validate(vec![ALICE], 1, TransactionSource::External), "only local or in block");
		assert!(
			validate(vec![ALICE, BOB], 2, TransactionSource::InBlock),
			"one liquidatable is enough"
		);
		assert!(!validate(vec![BOB], 1, TransactionSource::InBlock), "Bob alone is healthy");
		assert!(!validate(vec![ALICE], 0, TransactionSource::InBlock), "witness too low");
		// The offchain worker's own submission may be validated at the parent state (before
		// the price that made the accounts liquidatable): only its shape is checked.
		assert!(validate(vec![BOB], 1, TransactionSource::Local), "local: shape only");
		assert!(validate(vec![ALICE], 0, TransactionSource::Local), "local: shape only");
		for source in [TransactionSource::Local, TransactionSource::InBlock] {
			assert!(!validate(vec![ALICE, ALICE], 2, source), "duplicate");
			assert!(!validate(vec![], 0, source), "empty");
		}
		let call = Call::<Test>::set_params { params: default_params() };
		#[allow(deprecated)]
		let r = <Margin as ValidateUnsigned>::validate_unsigned(TransactionSource::Local, &call);
		assert_eq!(r, Err(InvalidTransaction::Call.into()));
		assert_eq!(Margin::check_batch(&[ALICE], 0), Err(Error::<Test>::WitnessTooLow.into()));
		assert_eq!(Margin::check_batch(&[BOB], 1), Err(Error::<Test>::NotLiquidatable.into()));
		assert_ok!(Margin::check_batch(&[ALICE, BOB], 2));
	});
}

#[test]
fn batch_rejections_change_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		set_price(BTC_ID, 45_000);
		assert_noop!(
			Margin::liquidate_batch(RuntimeOrigin::signed(KEEPER), batch(vec![ALICE]), 1),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![]), 1),
			Error::<Test>::InvalidBatch
		);
		assert_noop!(
			Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE, ALICE]), 2),
			Error::<Test>::InvalidBatch
		);
		let too_many: Vec<AccountId> = (100..111).collect();
		assert_noop!(
			Margin::liquidate_batch(RuntimeOrigin::none(), batch(too_many), 11),
			Error::<Test>::InvalidBatch
		);
	});
}

#[test]
fn batch_skips_accounts_that_recovered() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		short_puts(BOB, 100_000, 1);
		set_price(BTC_ID, 45_000);
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![BOB, ALICE]), 2));
		assert_eq!(quantity_of(BOB, 1), -1);
		assert_eq!(quantity_of(ALICE, 1), 0);
		assert!(margin_events().contains(&Event::LiquidationSkipped { who: BOB }));
	});
}

#[test]
fn candidates_come_worst_health_first_up_to_the_limit() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 7_000, 1); // equity 2,000 / MM 8,375
		short_puts(BOB, 6_000, 1); // 1,000 / 8,375
		short_puts(CHARLIE, 8_000, 1); // 3,000 / 8,375
		short_puts(KEEPER, 100_000, 1); // healthy
		set_price(BTC_ID, 45_000);
		assert_eq!(Margin::liquidation_candidates(10), (vec![BOB, ALICE, CHARLIE], 3));
		assert_eq!(Margin::liquidation_candidates(2), (vec![BOB, ALICE], 2));
	});
}

#[test]
fn thousand_accounts_are_liquidated_within_the_cap_implied_blocks() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::set_params(
			RuntimeOrigin::root(),
			MarginParams { max_liquidations_per_block: 100, ..default_params() }
		));
		let traders: Vec<AccountId> = (1_000..2_000).collect();
		for who in &traders {
			assert_ok!(<Assets as Mutate<AccountId>>::mint_into(USD_ID, who, 10_000 * USD));
			short_puts(*who, 10_000, 1);
		}
		set_price(BTC_ID, 45_000);
		// A stale price first: nothing may be liquidated.
		remove_price(BTC_ID);
		assert_eq!(Margin::liquidation_candidates(100).0.len(), 0);
		set_price(BTC_ID, 45_000);
		let mut blocks = 0;
		loop {
			let (accounts, witness) = Margin::liquidation_candidates(100);
			if accounts.is_empty() {
				break;
			}
			assert!(accounts.len() <= 100);
			blocks += 1;
			run_to_block(System::block_number() + 1);
			assert_ok!(Margin::liquidate_batch(
				RuntimeOrigin::none(),
				BoundedVec::try_from(accounts).unwrap(),
				witness
			));
		}
		assert_eq!(blocks, 10, "1,000 accounts at 100 per block");
		assert!(traders.iter().all(|who| quantity_of(*who, 1) == 0));
		assert_eq!(quantity_of(fund(), 1), -1_000);
	});
}

// ------------------------------------------------------------------------- parameters

#[test]
fn params_are_bounded_and_stepped() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		assert_noop!(Margin::set_params(RuntimeOrigin::signed(ALICE), p), DispatchError::BadOrigin);
		for bad in [
			MarginParams { liquidation_penalty: Permill::from_percent(6), ..p },
			MarginParams { keeper_reward: Permill::from_percent(2), ..p },
			MarginParams { max_liquidations_per_block: 0, ..p },
			MarginParams { max_liquidations_per_block: 101, ..p },
		] {
			assert_noop!(
				Margin::set_params(RuntimeOrigin::root(), bad),
				Error::<Test>::ParamOutOfBounds
			);
		}
		assert_noop!(
			Margin::set_params(
				RuntimeOrigin::root(),
				MarginParams { liquidation_penalty: Permill::from_rational(25u32, 1000u32), ..p }
			),
			Error::<Test>::ParamStepTooLarge
		);
		let new = MarginParams { liquidation_penalty: Permill::from_percent(2), ..p };
		assert_ok!(Margin::set_params(RuntimeOrigin::root(), new));
		assert_eq!(Params::<Test>::get(), new);
		assert_eq!(margin_events().last(), Some(&Event::ParamsSet { params: new }));
	});
}

#[test]
fn collateral_params_are_bounded_and_stepped() {
	ExtBuilder::default().build_and_execute(|| {
		let p = |h: u32| CollateralParams { haircut: Permill::from_percent(h), enabled: true };
		assert_noop!(
			Margin::set_collateral_params(RuntimeOrigin::signed(ALICE), BTC_ID, p(10)),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Margin::set_collateral_params(RuntimeOrigin::root(), USD_ID, p(0)),
			Error::<Test>::SettlementAssetNotCollateral
		);
		assert_noop!(
			Margin::set_collateral_params(RuntimeOrigin::root(), DOGE_ID, p(51)),
			Error::<Test>::ParamOutOfBounds
		);
		assert_noop!(
			Margin::set_collateral_params(RuntimeOrigin::root(), BTC_ID, p(21)),
			Error::<Test>::ParamStepTooLarge
		);
		assert_ok!(Margin::set_collateral_params(RuntimeOrigin::root(), BTC_ID, p(20)));
		assert_eq!(Collateral::<Test>::get(BTC_ID), Some(p(20)));
		assert_eq!(
			margin_events().last(),
			Some(&Event::CollateralParamsSet { asset: BTC_ID, params: p(20) })
		);
		// A new asset may start anywhere within bounds; at most MaxCollateralAssets (4).
		assert_ok!(Margin::set_collateral_params(RuntimeOrigin::root(), DOGE_ID, p(40)));
		assert_ok!(Margin::set_collateral_params(RuntimeOrigin::root(), SOL_ID, p(40)));
		assert_noop!(
			Margin::set_collateral_params(RuntimeOrigin::root(), 11, p(40)),
			Error::<Test>::TooManyCollateralAssets
		);
	});
}

// ------------------------------------------------------------------------- ledger

#[test]
fn ledger_moves_cash_and_checks_margin() {
	ExtBuilder::default().build_and_execute(|| {
		type L = Margin;
		assert_ok!(<L as MarginLedger<AccountId>>::transfer_cash(&ALICE, &BOB, 5 * USD));
		assert_eq!(cash(ALICE), usd(-5));
		assert_eq!(cash(BOB), usd(5));
		assert_eq!(<L as MarginLedger<AccountId>>::equity(&ALICE), Ok(usd(-5)));
		assert_ok!(<L as MarginLedger<AccountId>>::deposit_cash(&CHARLIE, &BOB, 10 * USD));
		assert_eq!(cash(BOB), usd(15));
		assert_eq!(Assets::balance(USD_ID, CHARLIE), 10_000_000 * USD - 10 * USD);
		assert_noop!(
			<L as MarginLedger<AccountId>>::withdraw_cash(&BOB, &CHARLIE, 16 * USD),
			Error::<Test>::InsufficientCash
		);
		assert_ok!(<L as MarginLedger<AccountId>>::withdraw_cash(&BOB, &CHARLIE, 15 * USD));
		assert_eq!(cash(BOB), 0);
		assert_eq!(Assets::balance(USD_ID, CHARLIE), 10_000_000 * USD + 5 * USD);
		// Alice's -5 is settled by a deposit.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 5 * USD));
		assert_eq!(Accounts::<Test>::get(ALICE), None);
	});
}

#[test]
fn ledger_withdraw_respects_initial_margin() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		assert_noop!(
			<Margin as MarginLedger<AccountId>>::withdraw_cash(&ALICE, &ALICE, 2_501 * USD),
			Error::<Test>::InsufficientMargin
		);
	});
}

#[test]
fn contracts_to_close_formula() {
	let p = solvent_primitives::PositionRisk {
		id: 1,
		quantity: -10,
		mark_value: -50_000,
		initial_margin: 117_500,
		maintenance_margin: 83_750,
		notional: 450_000,
		mark_price: solvent_primitives::usd_to_fixed(5_000),
		index_price: solvent_primitives::usd_to_fixed(45_000),
	};
	assert_eq!(Margin::contracts_to_close(&p, 67_500, Permill::from_percent(1)), 6);
	assert_eq!(Margin::contracts_to_close(&p, 1, Permill::from_percent(1)), 1);
	assert_eq!(Margin::contracts_to_close(&p, 1_000_000, Permill::from_percent(1)), 10);
	let long = solvent_primitives::PositionRisk { quantity: 5, initial_margin: 0, ..p };
	assert_eq!(Margin::contracts_to_close(&long, 1, Permill::from_percent(1)), 5);
	let empty = solvent_primitives::PositionRisk { quantity: 0, ..p };
	assert_eq!(Margin::contracts_to_close(&empty, 1, Permill::from_percent(1)), 0);
}

#[test]
fn genesis_seeds_the_fund_and_matches_custody() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(cash(fund()), FUND_SEED as i128);
		assert_eq!(Assets::balance(USD_ID, Margin::account_id()), FUND_SEED);
		assert_eq!(Params::<Test>::get(), default_params());
		assert_eq!(
			Collateral::<Test>::get(BTC_ID).map(|c| c.haircut),
			Some(Permill::from_percent(10))
		);
	});
}

#[test]
fn try_state_detects_custody_mismatch() {
	ExtBuilder::default().build().execute_with(|| {
		assert_ok!(Margin::do_try_state());
		assert_ok!(<Assets as Mutate<AccountId>>::mint_into(USD_ID, &Margin::account_id(), 1));
		assert!(Margin::do_try_state().is_err());
	});
}

// ---- malformed input: one test per extrinsic (issue 7) ----

use sp_runtime::ArithmeticError;

/// An account id that never appears in the mock (no tokens, no margin account).
const NOBODY: AccountId = AccountId::MAX;
/// An asset id that exists neither in pallet-assets nor as collateral.
const NO_ASSET: solvent_primitives::AssetId = u32::MAX;

#[test]
// Finding (fixed): a deposit above i128::MAX settlement-asset units saturated the cash while
// every token moved to custody, breaking custody == sum of cash.
fn malformed_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 100 * USD));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, BTC));
		let dep = |who, asset, amount| Margin::deposit(RuntimeOrigin::signed(who), asset, amount);
		// Wrong origin: Root is not an account.
		assert_noop!(Margin::deposit(RuntimeOrigin::root(), USD_ID, USD), DispatchError::BadOrigin);
		// Wrong origin: no origin at all.
		assert_noop!(Margin::deposit(RuntimeOrigin::none(), USD_ID, USD), DispatchError::BadOrigin);
		// Zero amount of the settlement asset.
		assert_noop!(dep(ALICE, USD_ID, 0), Error::<Test>::ZeroAmount);
		// Zero amount of a collateral asset.
		assert_noop!(dep(ALICE, BTC_ID, 0), Error::<Test>::ZeroAmount);
		// Zero amount of an unknown asset: the amount is checked first.
		assert_noop!(dep(ALICE, NO_ASSET, 0), Error::<Test>::ZeroAmount);
		// Unknown asset id (u32::MAX).
		assert_noop!(dep(ALICE, NO_ASSET, 1), Error::<Test>::UnknownCollateral);
		// Unknown asset id with the maximum amount.
		assert_noop!(dep(ALICE, NO_ASSET, u128::MAX), Error::<Test>::UnknownCollateral);
		// An existing token that is not accepted as collateral.
		assert_noop!(dep(ALICE, DOGE_ID, 1), Error::<Test>::UnknownCollateral);
		// u128::MAX of the settlement asset on top of existing cash: cash would overflow.
		assert_noop!(dep(ALICE, USD_ID, u128::MAX), Error::<Test>::Overflow);
		// u128::MAX of BTC on top of 1 BTC held: the holding would overflow.
		assert_noop!(dep(ALICE, BTC_ID, u128::MAX), Error::<Test>::Overflow);
		// u128::MAX of a collateral asset not held yet: more than the token's total supply.
		assert_noop!(dep(ALICE, ETH_ID, u128::MAX), ArithmeticError::Underflow);
		// u128::MAX of the settlement asset: more than the signed cash can hold.
		assert_noop!(dep(BOB, USD_ID, u128::MAX), Error::<Test>::Overflow);
		// One unit more than the signer's token balance.
		let balance = Assets::balance(USD_ID, ALICE);
		assert_noop!(dep(ALICE, USD_ID, balance + 1), TokenError::FundsUnavailable);
		// Unknown account (no tokens at all): one unit cannot open a margin account, the minimum
		// can, but the tokens are missing.
		assert_noop!(dep(NOBODY, USD_ID, 1), Error::<Test>::DepositBelowMinimum);
		assert_noop!(dep(NOBODY, USD_ID, 10 * USD), TokenError::FundsUnavailable);
		// A collateral asset that is disabled.
		assert_ok!(Margin::set_collateral_params(
			RuntimeOrigin::root(),
			ETH_ID,
			CollateralParams { haircut: Permill::from_percent(15), enabled: false }
		));
		assert_noop!(dep(ALICE, ETH_ID, ETH), Error::<Test>::CollateralDisabled);
		// More settlement-asset units than fit the signed cash (i128::MAX + 1), by a signer
		// that holds them: cash must not saturate while every token moves.
		let huge = i128::MAX as u128 + 1;
		assert_ok!(<Assets as Mutate<AccountId>>::mint_into(USD_ID, &BOB, huge));
		assert_noop!(dep(BOB, USD_ID, huge), Error::<Test>::Overflow);
	});
}

#[test]
fn malformed_withdraw() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 100 * USD));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, BTC));
		let wd = |who, asset, amount| Margin::withdraw(RuntimeOrigin::signed(who), asset, amount);
		// Wrong origin: Root is not an account.
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::root(), USD_ID, USD),
			DispatchError::BadOrigin
		);
		// Wrong origin: no origin at all.
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::none(), USD_ID, USD),
			DispatchError::BadOrigin
		);
		// Zero amount of the settlement asset.
		assert_noop!(wd(ALICE, USD_ID, 0), Error::<Test>::ZeroAmount);
		// Zero amount of a collateral asset.
		assert_noop!(wd(ALICE, BTC_ID, 0), Error::<Test>::ZeroAmount);
		// Zero amount of an unknown asset: the amount is checked first.
		assert_noop!(wd(ALICE, NO_ASSET, 0), Error::<Test>::ZeroAmount);
		// u128::MAX of the settlement asset.
		assert_noop!(wd(ALICE, USD_ID, u128::MAX), Error::<Test>::InsufficientCash);
		// One unit more than the cash.
		assert_noop!(wd(ALICE, USD_ID, 100 * USD + 1), Error::<Test>::InsufficientCash);
		// u128::MAX of a collateral asset held.
		assert_noop!(wd(ALICE, BTC_ID, u128::MAX), Error::<Test>::InsufficientCollateral);
		// A collateral asset not held.
		assert_noop!(wd(ALICE, ETH_ID, 1), Error::<Test>::InsufficientCollateral);
		// Unknown asset id (u32::MAX).
		assert_noop!(wd(ALICE, NO_ASSET, 1), Error::<Test>::InsufficientCollateral);
		// An existing token that is not collateral.
		assert_noop!(wd(ALICE, DOGE_ID, 1), Error::<Test>::InsufficientCollateral);
		// Unknown account (no margin account): no cash.
		assert_noop!(wd(NOBODY, USD_ID, 1), Error::<Test>::InsufficientCash);
		// Unknown account, maximum amount of a collateral asset.
		assert_noop!(wd(NOBODY, BTC_ID, u128::MAX), Error::<Test>::InsufficientCollateral);
		// The custody account itself has no margin account: it cannot withdraw the custody.
		assert_noop!(wd(Margin::account_id(), USD_ID, 1), Error::<Test>::InsufficientCash);
	});
}

#[test]
fn malformed_liquidate() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		let liq = |keeper, who| Margin::liquidate(RuntimeOrigin::signed(keeper), who);
		// Unknown account (no margin account, no positions).
		assert_noop!(liq(KEEPER, NOBODY), Error::<Test>::NotLiquidatable);
		// Account id zero.
		assert_noop!(liq(KEEPER, 0), Error::<Test>::NotLiquidatable);
		// A healthy account.
		assert_noop!(liq(KEEPER, ALICE), Error::<Test>::NotLiquidatable);
		// The keeper itself.
		assert_noop!(liq(KEEPER, KEEPER), Error::<Test>::SelfLiquidation);
		// The insurance fund (the backstop liquidator).
		assert_noop!(liq(KEEPER, fund()), Error::<Test>::NotLiquidatable);
		// The custody account.
		assert_noop!(liq(KEEPER, Margin::account_id()), Error::<Test>::NotLiquidatable);
		set_price(BTC_ID, 45_000);
		assert!(Margin::account_view(&ALICE).liquidatable);
		// Wrong origin: Root, although Alice is liquidatable.
		assert_noop!(Margin::liquidate(RuntimeOrigin::root(), ALICE), DispatchError::BadOrigin);
		// Wrong origin: none (only `liquidate_batch` is unsigned).
		assert_noop!(Margin::liquidate(RuntimeOrigin::none(), ALICE), DispatchError::BadOrigin);
		// The price the account's risk needs is unavailable.
		remove_price(BTC_ID);
		assert_noop!(liq(KEEPER, ALICE), Error::<Test>::PriceUnavailable);
	});
}

#[test]
fn malformed_liquidate_batch() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		set_price(BTC_ID, 45_000);
		assert!(Margin::account_view(&ALICE).liquidatable);
		let run = |accounts: Vec<AccountId>, witness| {
			Margin::liquidate_batch(RuntimeOrigin::none(), batch(accounts), witness)
		};
		// Wrong origin: signed (the batch is unsigned only).
		assert_noop!(
			Margin::liquidate_batch(RuntimeOrigin::signed(KEEPER), batch(vec![ALICE]), 1),
			DispatchError::BadOrigin
		);
		// Wrong origin: Root.
		assert_noop!(
			Margin::liquidate_batch(RuntimeOrigin::root(), batch(vec![ALICE]), 1),
			DispatchError::BadOrigin
		);
		// Empty batch.
		assert_noop!(run(vec![], 0), Error::<Test>::InvalidBatch);
		// Empty batch with the maximum witness.
		assert_noop!(run(vec![], u32::MAX), Error::<Test>::InvalidBatch);
		// The same account twice.
		assert_noop!(run(vec![ALICE, ALICE], 2), Error::<Test>::InvalidBatch);
		// An unknown account twice.
		assert_noop!(run(vec![NOBODY, NOBODY], u32::MAX), Error::<Test>::InvalidBatch);
		// One account more than `max_liquidations_per_block` (10).
		let eleven: Vec<AccountId> = core::iter::once(ALICE).chain(100..110).collect();
		assert_noop!(run(eleven, u32::MAX), Error::<Test>::InvalidBatch);
		// The largest batch the call's type allows (MaxLiquidationsPerBlock = 100).
		let hundred: Vec<AccountId> = (NOBODY - 99..=NOBODY).collect();
		assert_noop!(run(hundred, u32::MAX), Error::<Test>::InvalidBatch);
		// In a block, a batch of unknown accounts is rejected (nobody to liquidate) ...
		assert_eq!(
			Margin::check_batch(&[NOBODY], u32::MAX),
			Err(Error::<Test>::NotLiquidatable.into())
		);
		// ... and so is a witness below the batch's positions (zero).
		assert_eq!(Margin::check_batch(&[ALICE], 0), Err(Error::<Test>::WitnessTooLow.into()));
		// Dispatched anyway, an unknown account is skipped without creating anything.
		assert_ok!(run(vec![NOBODY], 0));
		assert_eq!(margin_events().last(), Some(&Event::LiquidationSkipped { who: NOBODY }));
		assert_eq!(Accounts::<Test>::get(NOBODY), None);
		assert_eq!(quantity_of(ALICE, 1), -1);
	});
}

#[test]
fn malformed_set_collateral_params() {
	ExtBuilder::default().build_and_execute(|| {
		let p = |haircut| CollateralParams { haircut, enabled: true };
		let pct = Permill::from_percent;
		let set =
			|asset, params| Margin::set_collateral_params(RuntimeOrigin::root(), asset, params);
		// Wrong origin: a signed account.
		assert_noop!(
			Margin::set_collateral_params(RuntimeOrigin::signed(ALICE), BTC_ID, p(pct(10))),
			DispatchError::BadOrigin
		);
		// Wrong origin: none.
		assert_noop!(
			Margin::set_collateral_params(RuntimeOrigin::none(), BTC_ID, p(pct(10))),
			DispatchError::BadOrigin
		);
		// The settlement asset (cash has no haircut).
		assert_noop!(set(USD_ID, p(pct(0))), Error::<Test>::SettlementAssetNotCollateral);
		// The settlement asset with a maximum haircut: the asset is checked first.
		assert_noop!(set(USD_ID, p(Permill::one())), Error::<Test>::SettlementAssetNotCollateral);
		// Maximum haircut (100%) on an existing asset.
		assert_noop!(set(BTC_ID, p(Permill::one())), Error::<Test>::ParamOutOfBounds);
		// Maximum haircut on an unknown asset id (u32::MAX).
		assert_noop!(set(NO_ASSET, p(Permill::one())), Error::<Test>::ParamOutOfBounds);
		// One part per million above MAX_HAIRCUT (50%) on a new asset.
		assert_noop!(
			set(DOGE_ID, p(MAX_HAIRCUT + Permill::from_parts(1))),
			Error::<Test>::ParamOutOfBounds
		);
		// Zero haircut on ETH (15%): a step of 15 points.
		assert_noop!(set(ETH_ID, p(pct(0))), Error::<Test>::ParamStepTooLarge);
		// BTC from 10% to MAX_HAIRCUT (50%) in one call.
		assert_noop!(set(BTC_ID, p(MAX_HAIRCUT)), Error::<Test>::ParamStepTooLarge);
		// BTC one part per million beyond MAX_HAIRCUT_STEP (10 points).
		assert_noop!(
			set(BTC_ID, p(pct(20) + Permill::from_parts(1))),
			Error::<Test>::ParamStepTooLarge
		);
		// Disabling does not allow a larger step.
		assert_noop!(
			set(BTC_ID, CollateralParams { haircut: pct(30), enabled: false }),
			Error::<Test>::ParamStepTooLarge
		);
		// A new asset id that does not exist (u32::MAX).
		assert_noop!(set(NO_ASSET, p(pct(10))), Error::<Test>::UnsupportedCollateral);
		// A new asset that exists but that the oracle does not price.
		assert_noop!(set(UNPRICED_ID, p(pct(10))), Error::<Test>::UnsupportedCollateral);
		// A new asset once the registry holds MaxCollateralAssets (4) assets.
		assert_ok!(set(DOGE_ID, p(pct(10))));
		assert_ok!(set(SOL_ID, p(pct(10))));
		assert_noop!(set(NO_ASSET, p(pct(0))), Error::<Test>::TooManyCollateralAssets);
	});
}

#[test]
fn malformed_set_params() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		let set = |params| Margin::set_params(RuntimeOrigin::root(), params);
		let ppm = Permill::from_parts;
		// Wrong origin: a signed account.
		assert_noop!(Margin::set_params(RuntimeOrigin::signed(ALICE), p), DispatchError::BadOrigin);
		// Wrong origin: none.
		assert_noop!(Margin::set_params(RuntimeOrigin::none(), p), DispatchError::BadOrigin);
		// Every field zero (no liquidations per block).
		assert_noop!(
			set(MarginParams {
				liquidation_penalty: Permill::zero(),
				keeper_reward: Permill::zero(),
				max_liquidations_per_block: 0,
				min_deposit: 0,
				coverage_target: Permill::zero(),
				max_im_addon: Permill::zero(),
			}),
			Error::<Test>::ParamOutOfBounds
		);
		// Every field at its type's maximum.
		assert_noop!(
			set(MarginParams {
				liquidation_penalty: Permill::one(),
				keeper_reward: Permill::one(),
				max_liquidations_per_block: u32::MAX,
				min_deposit: u128::MAX,
				coverage_target: Permill::one(),
				max_im_addon: Permill::one(),
			}),
			Error::<Test>::ParamOutOfBounds
		);
		// Penalty 100%.
		assert_noop!(
			set(MarginParams { liquidation_penalty: Permill::one(), ..p }),
			Error::<Test>::ParamOutOfBounds
		);
		// Penalty one part per million above MAX_LIQUIDATION_PENALTY (5%).
		assert_noop!(
			set(MarginParams { liquidation_penalty: MAX_LIQUIDATION_PENALTY + ppm(1), ..p }),
			Error::<Test>::ParamOutOfBounds
		);
		// Keeper reward 100%.
		assert_noop!(
			set(MarginParams { keeper_reward: Permill::one(), ..p }),
			Error::<Test>::ParamOutOfBounds
		);
		// Keeper reward one part per million above MAX_KEEPER_REWARD (1%).
		assert_noop!(
			set(MarginParams { keeper_reward: MAX_KEEPER_REWARD + ppm(1), ..p }),
			Error::<Test>::ParamOutOfBounds
		);
		// Zero liquidations per block.
		assert_noop!(
			set(MarginParams { max_liquidations_per_block: 0, ..p }),
			Error::<Test>::ParamOutOfBounds
		);
		// u32::MAX liquidations per block.
		assert_noop!(
			set(MarginParams { max_liquidations_per_block: u32::MAX, ..p }),
			Error::<Test>::ParamOutOfBounds
		);
		// One above MaxLiquidationsPerBlock (100).
		assert_noop!(
			set(MarginParams { max_liquidations_per_block: 101, ..p }),
			Error::<Test>::ParamOutOfBounds
		);
		// Penalty from 1% to its bound (5%) in one call.
		assert_noop!(
			set(MarginParams { liquidation_penalty: MAX_LIQUIDATION_PENALTY, ..p }),
			Error::<Test>::ParamStepTooLarge
		);
		// Penalty one part per million beyond MAX_RATE_STEP (1 point).
		assert_noop!(
			set(MarginParams { liquidation_penalty: ppm(20_001), ..p }),
			Error::<Test>::ParamStepTooLarge
		);
	});
}

// ------------------------------------------------------------------------- issue 14 rules

#[test]
fn liquidation_fees_are_capped_by_the_value_and_the_margin_moved() {
	let p = default_params(); // penalty 1%, keeper reward 0.5%
	let fees = |notional, value, released, room, keeper| {
		let f = Margin::liquidation_fees(&p, keeper, notional, value, released, room);
		(f.penalty, f.keeper_reward)
	};
	// A short put at 45,000 (mark 5,000, MM 8,375): the rates apply in full.
	assert_eq!(
		fees(45_000 * USD, -5_000 * USD as i128, 8_375 * USD, 100_000 * USD, true),
		(450 * USD, 225 * USD)
	);
	// A deep out-of-the-money short marked at 10 USD: the fees never exceed its value.
	assert_eq!(
		fees(45_000 * USD, -10 * USD as i128, 3_385 * USD, 100_000 * USD, true),
		(10 * USD, 0)
	);
	// A long (no maintenance margin released): nothing, whatever its notional.
	assert_eq!(fees(45_000 * USD, 7_000 * USD as i128, 0, 100_000 * USD, true), (0, 0));
	// The account's remaining equity bounds both, the penalty first.
	assert_eq!(
		fees(45_000 * USD, -5_000 * USD as i128, 8_375 * USD, 300 * USD, true),
		(300 * USD, 0)
	);
	// No keeper, no reward.
	assert_eq!(
		fees(45_000 * USD, -5_000 * USD as i128, 8_375 * USD, 100_000 * USD, false),
		(450 * USD, 0)
	);
}

#[test]
fn a_keeper_cannot_liquidate_itself() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		set_price(BTC_ID, 45_000);
		assert!(Margin::account_view(&ALICE).liquidatable);
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(ALICE), ALICE),
			Error::<Test>::SelfLiquidation
		);
		// Anyone else may, and the reward in the event is what the keeper received.
		assert_ok!(Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE));
		let paid = cash(KEEPER);
		match margin_events().last() {
			Some(Event::Liquidated { keeper_reward, .. }) => {
				assert_eq!(*keeper_reward as i128, paid)
			}
			other => panic!("unexpected {other:?}"),
		}
	});
}

#[test]
fn a_deposit_that_opens_an_account_needs_the_minimum() {
	ExtBuilder::default().build_and_execute(|| {
		let dep = |who, asset, amount| Margin::deposit(RuntimeOrigin::signed(who), asset, amount);
		// 10 USD minimum: one unit less is refused, the minimum opens the account.
		assert_noop!(dep(ALICE, USD_ID, 10 * USD - 1), Error::<Test>::DepositBelowMinimum);
		assert_ok!(dep(ALICE, USD_ID, 10 * USD));
		// Later deposits may be any size.
		assert_ok!(dep(ALICE, USD_ID, 1));
		// Another asset counts at its haircut value: 1 satoshi of BTC at 50,000 is 0.0005 USD.
		assert_noop!(dep(BOB, BTC_ID, 1), Error::<Test>::DepositBelowMinimum);
		// 22,222 satoshi: 11.111 USD x 0.9 = 9.9999 USD; 22,223: 10.00035 USD.
		assert_noop!(dep(BOB, BTC_ID, 22_222), Error::<Test>::DepositBelowMinimum);
		assert_ok!(dep(BOB, BTC_ID, 22_223));
		// Without its price, another asset cannot open an account.
		remove_price(BTC_ID);
		assert_noop!(dep(CHARLIE, BTC_ID, BTC), Error::<Test>::PriceUnavailable);
	});
}

#[test]
fn debtors_are_indexed_and_scanned_without_every_account() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), BTC_ID, BTC));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(BOB), USD_ID, 1_000 * USD));
		assert!(Debtors::<Test>::iter_keys().next().is_none());
		// ALICE owes 44,000 USD against 1 BTC (45,000 at 50,000 with the 10% haircut).
		assert_ok!(<Margin as MarginLedger<AccountId>>::transfer_cash(&ALICE, &BOB, 44_000 * USD));
		assert!(Debtors::<Test>::contains_key(ALICE));
		assert_eq!(Debtors::<Test>::count(), 1);
		assert_eq!(Margin::liquidation_candidates(10).0, Vec::<AccountId>::new());
		// BTC falls: the debt is no longer covered and the scan finds her.
		set_price(BTC_ID, 40_000);
		assert_eq!(Margin::liquidation_candidates(10).0, vec![ALICE]);
		// Paid back: out of the index.
		assert_ok!(<Margin as MarginLedger<AccountId>>::transfer_cash(&BOB, &ALICE, 44_000 * USD));
		assert!(!Debtors::<Test>::contains_key(ALICE));
	});
}

#[test]
fn the_trade_margin_rule() {
	ExtBuilder::default().build_and_execute(|| {
		// 10,000 cash, one short put K = 50,000 at 50,000: IM 7,500, MM 3,750.
		short_puts(ALICE, 10_000, 1);
		let rule = |before: Option<&MarginSnapshot>| Margin::check_trade_margin(&ALICE, before);
		assert_ok!(rule(None)); // fully margined
						  // At 48,000: mark 2,000, IM 9,200, MM 5,600, equity 8,000: not fully margined.
		set_price(BTC_ID, 48_000);
		let now = <Margin as MarginLedger<AccountId>>::margin_snapshot(&ALICE).unwrap();
		assert_eq!((now.equity, now.maintenance_surplus()), (usd(8_000), usd(2_400)));
		assert_noop!(rule(None), Error::<Test>::InsufficientMargin);
		// A closing trade from a state that needed more margin and had less surplus: allowed.
		let before = MarginSnapshot {
			equity: usd(8_000),
			requirement: MarginRequirement {
				initial: 20_000 * USD,
				maintenance: 12_000 * USD,
				..now.requirement
			},
		};
		assert_ok!(rule(Some(&before)));
		// From above maintenance to below it: refused, however much margin it released.
		set_price(BTC_ID, 44_000); // equity 4,000 < MM 9,300
		assert!(
			<Margin as MarginLedger<AccountId>>::margin_snapshot(&ALICE)
				.unwrap()
				.maintenance_surplus()
				< 0
		);
		let above = MarginSnapshot {
			equity: usd(20_000),
			requirement: MarginRequirement {
				initial: 30_000 * USD,
				maintenance: 10_000 * USD,
				..now.requirement
			},
		};
		assert_noop!(rule(Some(&above)), Error::<Test>::InsufficientMargin);
		// From further below: allowed (no worse).
		let below = MarginSnapshot {
			equity: usd(1_000),
			requirement: MarginRequirement {
				initial: 30_000 * USD,
				maintenance: 10_000 * USD,
				..now.requirement
			},
		};
		assert_ok!(rule(Some(&below)));
		// A trade that added margin needs full margin, whatever the surplus.
		let smaller = MarginSnapshot {
			equity: usd(1_000),
			requirement: MarginRequirement {
				initial: USD,
				maintenance: 10_000 * USD,
				..now.requirement
			},
		};
		assert_noop!(rule(Some(&smaller)), Error::<Test>::InsufficientMargin);
		// Protocol accounts are exempt.
		assert_ok!(Margin::check_trade_margin(&fund(), None));
	});
}

// ------------------------------------------------------------------------- issue 15: unavailable prices

/// ETH balance of `who`'s margin account (wei).
fn eth_held(who: AccountId) -> solvent_primitives::Balance {
	Accounts::<Test>::get(who).and_then(|a| a.collateral.get(&ETH_ID).copied()).unwrap_or(0)
}

/// Rule 3 of `risk.rs`: one wei of ETH does not tie a BTC account's liquidation to ETH's
/// halted key. Counted at the upper bound (3,000 USD per ETH, no haircut) it is worth one
/// unit (10^-6 USD, rounded up), and the account is liquidated as without it.
#[test]
fn dust_of_a_halted_collateral_does_not_save_an_account_below_maintenance() {
	ExtBuilder::default().build_and_execute(|| {
		short_puts(ALICE, 10_000, 1);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, 1));
		halt_price(ETH_ID, 3_000);
		set_price(BTC_ID, 45_000);
		// Strictly priced, the account cannot be valued at all (as before this rule).
		assert_eq!(Margin::risk(&ALICE), Err(solvent_primitives::PriceError::Halted));
		// At the upper bound: equity 10,000 - 5,000 + 0.000001 < MM 8,375.
		let s = Margin::liquidation_risk(&ALICE).unwrap();
		assert_eq!(s.equity, usd(5_000) + 1);
		assert_eq!(s.requirement.maintenance, 8_375 * USD);
		assert_eq!(s.unpriced, vec![ETH_ID]);
		assert!(Margin::account_view(&ALICE).liquidatable);
		assert_eq!(Margin::liquidation_candidates(10), (vec![ALICE], 1));
		assert!(validate(vec![ALICE], 1, TransactionSource::InBlock));
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		// The put is closed in full as for a BTC-only account: mark 5,000 to the fund, penalty
		// 1% x 45,000 = 450. The wei stays: the account is solvent, nothing is seized.
		assert_eq!(quantity_of(ALICE, 1), 0);
		assert_eq!(quantity_of(fund(), 1), -1);
		assert_eq!(cash(ALICE), usd(10_000 - 5_000 - 450));
		assert_eq!(eth_held(ALICE), 1);
		assert_eq!(
			margin_events().last(),
			Some(&Event::Liquidated {
				who: ALICE,
				keeper: None,
				equity_before: usd(5_000) + 1,
				maintenance_margin_before: 8_375 * USD,
				equity_after: usd(4_550) + 1,
				initial_margin_after: 0,
				notional: 45_000 * USD,
				penalty: 450 * USD,
				keeper_reward: 0,
				positions_closed: 1,
			})
		);
		assert_eq!(Margin::liquidation_candidates(10), (vec![], 0));
	});
}

/// Rule 3 of `risk.rs`: a holding of a halted asset that covers the account at the upper
/// bound keeps it from liquidation; the same holding under a lower bound does not.
#[test]
fn a_halted_holding_that_covers_the_account_at_the_upper_bound_is_not_liquidated() {
	ExtBuilder::default().build_and_execute(|| {
		// 10,000 cash, 2 ETH, 1 short put K = 50,000.
		short_puts(ALICE, 10_000, 1);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, 2 * ETH));
		set_price(BTC_ID, 45_000);
		// ETH halts after a crash; the oracle's bound is the pre-halt 3,000.
		halt_price(ETH_ID, 3_000);
		// At zero the account would be far below MM (5,000 < 8,375); at the bound, with the
		// 15% haircut, it is not: 5,000 + 2 x 3,000 x 0.85 = 10,100.
		assert_eq!(Margin::initial_margin_risk(&ALICE).unwrap().equity, usd(5_000));
		assert_eq!(Margin::liquidation_risk(&ALICE).unwrap().equity, usd(10_100));
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE),
			Error::<Test>::NotLiquidatable
		);
		assert_eq!(Margin::liquidation_candidates(10), (vec![], 0));
		assert!(!validate(vec![ALICE], 1, TransactionSource::InBlock));
		assert!(!Margin::account_view(&ALICE).liquidatable);
		// Below maintenance even at a bound of 1,500 (5,000 + 2,550 = 7,550 < 8,375): the
		// keeper liquidates, closing until equity covers IM at that bound. Deficit 11,750 -
		// 7,550 = 4,200, relief 11,750 - 1.5% x 45,000 = 11,075: the one put. Fees on 45,000:
		// penalty 450, reward 225 (room 5,000, the confirmed equity).
		halt_price(ETH_ID, 1_500);
		assert_ok!(Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE));
		assert_eq!(quantity_of(ALICE, 1), 0);
		assert_eq!(cash(ALICE), usd(10_000 - 5_000 - 450 - 225));
		assert_eq!(cash(KEEPER), usd(225));
		assert_eq!(eth_held(ALICE), 2 * ETH);
	});
}

/// Rule 1 of `risk.rs`: initial-margin checks count a halted collateral asset at zero. Fully
/// margined without it, the account withdraws USD and the halted asset itself, and trades.
#[test]
fn an_account_margined_without_its_halted_collateral_can_withdraw() {
	ExtBuilder::default().build_and_execute(|| {
		// 20,000 cash, 1 ETH, 1 short put K = 50,000 at 50,000: IM 7,500, MM 3,750.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 20_000 * USD));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, ETH));
		open_put(ALICE, 1, -1, 50_000 * USD);
		halt_price(ETH_ID, 3_000);
		let tokens = <Assets as frame_support::traits::fungibles::Inspect<AccountId>>::balance;
		let usd_before = tokens(USD_ID, &ALICE);
		// 20,000 - 12,000 = 8,000 >= 7,500.
		assert_ok!(Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 12_000 * USD));
		assert_eq!(cash(ALICE), usd(8_000));
		assert_eq!(tokens(USD_ID, &ALICE), usd_before + 12_000 * USD);
		// The trade margin rule and the snapshot a trade compares with: ETH at zero.
		let ledger_snapshot = <Margin as MarginLedger<AccountId>>::margin_snapshot(&ALICE).unwrap();
		assert_eq!(ledger_snapshot.equity, usd(8_000));
		assert_eq!(ledger_snapshot.requirement.initial, 7_500 * USD);
		assert_ok!(<Margin as MarginLedger<AccountId>>::ensure_trade_margin(&ALICE, None));
		// A value must not be understated: the ledger's equity (the insurance fund's share
		// price) still fails while ETH is halted.
		assert_eq!(
			<Margin as MarginLedger<AccountId>>::equity(&ALICE),
			Err(Error::<Test>::PriceUnavailable.into())
		);
		// The halted asset itself: counted at zero, removing it changes no measured equity.
		let eth_before = tokens(ETH_ID, &ALICE);
		assert_ok!(Margin::withdraw(RuntimeOrigin::signed(ALICE), ETH_ID, ETH));
		assert_eq!(eth_held(ALICE), 0);
		assert_eq!(tokens(ETH_ID, &ALICE), eth_before + ETH);
		// Beyond the margin: 7,400 < 7,500.
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 600 * USD),
			Error::<Test>::InsufficientMargin
		);
	});
}

/// Rule 1 of `risk.rs`, the attack: an account margined only thanks to its ETH cannot take
/// anything out (USD or the ETH) while ETH is halted; nothing changes.
#[test]
fn an_account_not_margined_without_its_halted_collateral_cannot_withdraw() {
	ExtBuilder::default().build_and_execute(|| {
		// 5,000 cash + 1 ETH (3,000 x 0.85 = 2,550): equity 7,550 >= IM 7,500.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 5_000 * USD));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, ETH));
		open_put(ALICE, 1, -1, 50_000 * USD);
		assert_ok!(Margin::ensure_initial_margin_of(&ALICE));
		halt_price(ETH_ID, 3_000);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, USD),
			Error::<Test>::InsufficientMargin
		);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), ETH_ID, ETH),
			Error::<Test>::InsufficientMargin
		);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), ETH_ID, 1),
			Error::<Test>::InsufficientMargin
		);
		assert_eq!(
			<Margin as MarginLedger<AccountId>>::ensure_trade_margin(&ALICE, None),
			Err(Error::<Test>::InsufficientMargin.into())
		);
		assert_eq!(cash(ALICE), usd(5_000));
		assert_eq!(eth_held(ALICE), ETH);
		// Not liquidatable either: at the bound, 5,000 + 3,000 >= MM 3,750.
		assert_eq!(Margin::liquidation_candidates(10), (vec![], 0));
		// Back: withdrawals within the margin work again (7,550 - 50 >= 7,500).
		set_price(ETH_ID, 3_000);
		assert_ok!(Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 50 * USD));
	});
}

/// Alice: 10,000 cash, 0.1 ETH, one short put K = 80,000 at BTC 50,000 (mark 30,000). ETH
/// halts with an upper bound of 3,000: at the bound, with the 15% haircut, equity = 10,000 -
/// 30,000 + 255 = -19,745.
fn bankrupt_alice_with_halted_eth() {
	assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 10_000 * USD));
	assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, ETH / 10));
	open_put(ALICE, 1, -1, 80_000 * USD);
	halt_price(ETH_ID, 3_000);
	assert_eq!(Margin::liquidation_risk(&ALICE).unwrap().equity, usd(-19_745));
}

/// Rule 3 of `risk.rs`: a bankruptcy waits while a collateral price is unavailable, and the
/// automatic batch runs it once the price is back. The custody invariant holds throughout.
#[test]
fn bankruptcy_waits_for_the_collateral_price_and_runs_when_it_returns() {
	ExtBuilder::default().build_and_execute(|| {
		bankrupt_alice_with_halted_eth();
		assert_eq!(Margin::liquidation_candidates(10), (vec![ALICE], 1));
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		// The put went to the fund (Alice paid its 30,000 mark; no penalty from negative
		// equity); no seizure, no bad debt.
		assert_eq!(quantity_of(ALICE, 1), 0);
		assert_eq!(quantity_of(fund(), 1), -1);
		assert_eq!(cash(ALICE), usd(-20_000));
		assert_eq!(eth_held(ALICE), ETH / 10);
		assert!(Debtors::<Test>::contains_key(ALICE));
		assert_eq!(eth_held(fund()), 0);
		assert_eq!(cash(fund()), FUND_SEED as i128 + usd(30_000));
		assert_eq!(UncoveredBadDebt::<Test>::get(), 0);
		let events = margin_events();
		assert_eq!(
			events[events.len() - 2],
			Event::BankruptcyDeferred { who: ALICE, equity: usd(-19_745), assets: vec![ETH_ID] }
		);
		assert!(!events
			.iter()
			.any(|e| matches!(e, Event::BadDebt { .. } | Event::CollateralSeized { .. })));
		Margin::do_try_state().unwrap();

		// While ETH is halted: not a candidate (it would head every batch), a keeper gets a
		// specific error, a batch naming it is invalid, and Alice cannot take her ETH out.
		assert_eq!(Margin::liquidation_candidates(10), (vec![], 0));
		assert!(!Margin::account_view(&ALICE).liquidatable);
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE),
			Error::<Test>::BankruptcyAwaitsPrice
		);
		assert!(!validate(vec![ALICE], 0, TransactionSource::InBlock));
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), ETH_ID, ETH / 10),
			Error::<Test>::InsufficientMargin
		);
		run_to_block(5);
		Margin::do_try_state().unwrap();
		assert_eq!(cash(ALICE), usd(-20_000));

		// ETH resumes at 2,000: the scan finds Alice through the debtors, the batch runs the
		// bankruptcy. 0.1 ETH seized at 2,000 x 0.85 = 170; bad debt 20,000 - 170 = 19,830,
		// covered by the fund.
		set_price(ETH_ID, 2_000);
		assert_eq!(Margin::liquidation_candidates(10), (vec![ALICE], 0));
		assert!(validate(vec![ALICE], 0, TransactionSource::InBlock));
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 0));
		assert_eq!(Accounts::<Test>::get(ALICE), None);
		assert!(!Debtors::<Test>::contains_key(ALICE));
		assert_eq!(eth_held(fund()), ETH / 10);
		assert_eq!(cash(fund()), FUND_SEED as i128 + usd(30_000 - 170 - 19_830));
		let events = margin_events();
		assert!(events.contains(&Event::CollateralSeized {
			who: ALICE,
			asset: ETH_ID,
			amount: ETH / 10,
			value: 170 * USD
		}));
		assert!(events.contains(&Event::BadDebt {
			who: ALICE,
			amount: 19_830 * USD,
			to_fund: 19_830 * USD,
			paid: 19_830 * USD,
			socialized: 0
		}));
		Margin::do_try_state().unwrap();
		run_to_block(6);
	});
}

/// Rule 4 of `risk.rs`: with ETH halted, accounts the batch cannot price or act on (a
/// bankruptcy that waits, dust of an asset the oracle knows no bound of) neither head the
/// candidates nor stop a batch: a BTC-only account below maintenance is liquidated in the
/// same block.
#[test]
fn accounts_waiting_for_a_price_do_not_hold_up_the_batch() {
	ExtBuilder::default().build_and_execute(|| {
		// Charlie: BTC put + one wei of ETH; Bob: BTC put only. Healthy at 50,000.
		short_puts(CHARLIE, 10_000, 1);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(CHARLIE), ETH_ID, 1));
		short_puts(BOB, 10_000, 1);
		bankrupt_alice_with_halted_eth();
		assert_ok!(Margin::liquidate_batch(RuntimeOrigin::none(), batch(vec![ALICE]), 1));
		assert_eq!(cash(ALICE), usd(-20_000));

		// BTC falls to 45,000: Bob and Charlie are below MM (5,000 < 8,375). Alice's deficit
		// (19,745 + 0) is the largest, but her bankruptcy waits: not a candidate.
		set_price(BTC_ID, 45_000);
		assert_eq!(Margin::liquidation_candidates(10), (vec![BOB, CHARLIE], 2));
		// The oracle loses every trace of ETH's price (no bound): Charlie cannot be judged
		// either; Bob can.
		remove_price(ETH_ID);
		assert_eq!(Margin::liquidation_candidates(10), (vec![BOB], 1));
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(KEEPER), CHARLIE),
			Error::<Test>::PriceUnavailable
		);
		// A batch that names them first: they are skipped, Bob is liquidated in this block.
		assert!(validate(vec![ALICE, CHARLIE, BOB], 2, TransactionSource::InBlock));
		System::reset_events();
		assert_ok!(Margin::liquidate_batch(
			RuntimeOrigin::none(),
			batch(vec![ALICE, CHARLIE, BOB]),
			2
		));
		assert_eq!(quantity_of(BOB, 1), 0);
		assert_eq!(cash(BOB), usd(10_000 - 5_000 - 450));
		assert_eq!(quantity_of(CHARLIE, 1), -1);
		assert_eq!(cash(ALICE), usd(-20_000));
		let events = margin_events();
		assert_eq!(events[0], Event::LiquidationSkipped { who: ALICE });
		assert_eq!(events[1], Event::LiquidationSkipped { who: CHARLIE });
		assert!(matches!(events.last(), Some(Event::Liquidated { who: BOB, .. })));
	});
}

/// Rule 3 of `risk.rs`, the fee attack: a keeper's reward is not paid out of the upper-bound
/// value of a halted holding (the owner may be bankrupt once the price is back, and the pool
/// would have paid the keeper).
#[test]
fn liquidation_fees_come_only_out_of_confirmed_equity() {
	ExtBuilder::default().build_and_execute(|| {
		// 5,500 cash, 2 ETH, 1 short put K = 50,000; BTC 45,000, ETH halted with a bound of
		// 1,500: equity 500 + 2,550 (15% haircut) = 3,050 < MM 8,375, of which 500 is
		// confirmed.
		short_puts(ALICE, 5_500, 1);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), ETH_ID, 2 * ETH));
		set_price(BTC_ID, 45_000);
		halt_price(ETH_ID, 1_500);
		assert_eq!(Margin::liquidation_risk(&ALICE).unwrap().unpriced_value(), 2_550 * USD);
		assert_ok!(Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE));
		// Fees on 45,000 notional within room 500: penalty 450, reward 50 (not 225).
		assert_eq!(quantity_of(ALICE, 1), 0);
		assert_eq!(cash(KEEPER), usd(50));
		assert_eq!(cash(ALICE), 0);
		assert_eq!(eth_held(ALICE), 2 * ETH);
		match margin_events().last() {
			Some(Event::Liquidated { penalty, keeper_reward, equity_after, .. }) => {
				assert_eq!((*penalty, *keeper_reward), (450 * USD, 50 * USD));
				assert_eq!(*equity_after, usd(2_550));
			}
			other => panic!("unexpected {other:?}"),
		}
	});
}

// ------------------------------------------------------------------------- hook weights

#[test]
fn on_initialize_charges_on_finalize_for_the_most_fund_positions() {
	use frame_support::traits::Hooks;
	use solvent_primitives::BadDebtCover;
	ExtBuilder::default().build_and_execute(|| {
		// The fund holds 2 positions now; liquidations in the block may move up to
		// `max_fund_positions` (8 in the mock, 256 in the runtime) to it before on_finalize
		// prices it.
		open_put(fund(), 1, -1, 50_000 * USD);
		open_put(fund(), 2, -1, 50_000 * USD);
		assert_eq!(<InsuranceFund as BadDebtCover<AccountId>>::max_fund_positions(), 8);
		let weight = <Margin as Hooks<u64>>::on_initialize(2);
		assert_eq!(
			weight,
			<() as WeightInfo>::process_bad_debt(2)
				+ <() as WeightInfo>::process_bad_debt(8)
				+ Margin::update_im_addon_weight()
		);
		// Strictly more than the old charge (twice the positions held at the start).
		assert!(weight.ref_time() > 2 * <() as WeightInfo>::process_bad_debt(2).ref_time());
	});
}

// ------------------------------------------------------------------------- positive cash total

#[test]
fn positive_cash_total_is_recomputed_when_the_protocol_accounts_change() {
	use frame_support::traits::OnRuntimeUpgrade;
	ExtBuilder::default().build_and_execute(|| {
		for (who, amount) in [(ALICE, 500 * USD), (BOB, 1_000 * USD), (CHARLIE, 250 * USD)] {
			assert_ok!(Margin::deposit(RuntimeOrigin::signed(who), USD_ID, amount));
		}
		let all = PositiveCash { scaled: 1_750 * USD, accounts: 3 };
		assert_eq!(PositiveCashTotal::<Test>::get(), all);
		assert_eq!(Margin::recompute_positive_cash().0, all);
		// An upgrade makes Bob a protocol account: his 1,000 USD are no longer charged by a
		// socialized loss, but the running sum still counts them (a loss would be divided by
		// 1,750 USD and charge 750 USD of cash at 1,750's rate: too little).
		ExtraProtocolAccount::put(BOB);
		assert!(Margin::do_try_state().is_err());
		let without_bob = PositiveCash { scaled: 750 * USD, accounts: 2 };
		// The bounded helper, one account per step, gives the same sum as the full pass.
		let (mut sum, mut cursor, mut steps) = (PositiveCash::default(), None, 0);
		loop {
			let (next_sum, next) = Margin::positive_cash_step(cursor, 1, sum);
			sum = next_sum;
			steps += 1;
			match next {
				Some(who) => cursor = Some(who),
				None => break,
			}
		}
		assert_eq!(sum, without_bob);
		// Every account once (Alice, Bob, Charlie and the fund), the last step seeing the end.
		assert_eq!(steps, Accounts::<Test>::iter().count());
		assert_eq!(Margin::positive_cash_step(None, 100, PositiveCash::default()), (sum, None));
		// The migration puts it.
		crate::RecomputePositiveCashTotal::<Test>::on_runtime_upgrade();
		assert_eq!(PositiveCashTotal::<Test>::get(), without_bob);
		assert_ok!(Margin::do_try_state());
		// A loss of 75 USD is now charged to Alice and Charlie only, 10% each (less rounding).
		assert_eq!(Margin::socialize(75 * USD), 75 * USD);
		assert_eq!(cash(BOB), usd(1_000));
		assert!((usd(450) - 2..=usd(450)).contains(&cash(ALICE)), "{}", cash(ALICE));
		assert!((usd(225) - 2..=usd(225)).contains(&cash(CHARLIE)), "{}", cash(CHARLIE));
	});
}

// ------------------------------------------------------------------------- rescaled cash index

#[test]
fn a_loss_that_takes_the_index_below_its_floor_rescales_instead_of_wiping() {
	use crate::losses::{rescales, wipe_epoch, RESCALE_STEP};
	use frame_support::traits::OnRuntimeUpgrade;
	ExtBuilder::default().build_and_execute(|| {
		// Earlier losses brought the index to 2 x 10^-9 (set before anyone holds positive
		// cash, so the custody is unchanged).
		CurrentCashIndex::<Test>::put(CashIndex {
			epoch: 0,
			value: FixedU128::from_inner(2_000_000_000),
		});
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(BOB), USD_ID, 1_000 * USD));
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(CHARLIE), USD_ID, 3_000 * USD));
		let before = traders_cash();
		// A loss of half the positive cash: the index would be 10^-9 x (1 - 3 units / 4,000
		// USD), below MIN_CASH_INDEX. Before, that wiped all 4,000 USD for a 2,000 USD loss.
		assert_eq!(Margin::socialize(2_000 * USD), 2_000 * USD);
		let index = CurrentCashIndex::<Test>::get();
		assert_eq!((wipe_epoch(index.epoch), rescales(index.epoch)), (0, 1));
		assert_eq!(index.epoch, RESCALE_STEP);
		// The same real index, 10^9 larger: 2 x 10^-9 x (2 x 10^9 - 6) / (4 x 10^9 - 4) x 10^9
		// (P = 4 x 10^9 units, n = 2), rounded down.
		assert_eq!(index.value, FixedU128::from_inner(999_999_997_999_999_997));
		let taken = before - traders_cash();
		// Each account's share of the loss plus its share of the rounding allowance (3 units
		// per account) and one unit of rounding.
		assert!((usd(2_000)..=usd(2_000) + 6).contains(&taken), "took {taken}");
		assert!((usd(500) - 6..=usd(500)).contains(&cash(BOB)), "{}", cash(BOB));
		assert!((usd(1_500) - 6..=usd(1_500)).contains(&cash(CHARLIE)), "{}", cash(CHARLIE));
		// A deposit after the rescale is whole; the next loss (10%) is shared by all three.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(KEEPER), USD_ID, 500 * USD));
		assert_eq!(cash(KEEPER), usd(500));
		let before = traders_cash();
		assert_eq!(Margin::socialize(250 * USD), 250 * USD);
		let taken = before - traders_cash();
		assert!((usd(250)..=usd(250) + 9).contains(&taken), "took {taken}");
		assert!((usd(450) - 6..=usd(450)).contains(&cash(BOB)), "{}", cash(BOB));
		assert!((usd(450) - 6..=usd(450)).contains(&cash(KEEPER)), "{}", cash(KEEPER));
		// Bob's record (stored before the rescale) is rewritten; the total stays within its
		// bounds (try_state after the test) and the recomputed total is a valid one.
		assert_ok!(Margin::withdraw(RuntimeOrigin::signed(BOB), USD_ID, 100 * USD));
		assert!((usd(350) - 6..=usd(350)).contains(&cash(BOB)), "{}", cash(BOB));
		assert_ok!(Margin::do_try_state());
		crate::RecomputePositiveCashTotal::<Test>::on_runtime_upgrade();
		assert_ok!(Margin::do_try_state());
		// A loss of everything wipes: a new wipe epoch without rescales.
		Margin::socialize(10_000 * USD);
		assert_eq!(CurrentCashIndex::<Test>::get().epoch, 1);
		assert_eq!(traders_cash(), 0);
	});
}

#[test]
fn a_loss_of_nearly_all_positive_cash_charges_at_most_the_loss_plus_rounding() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(BOB), USD_ID, 1_000 * USD));
		// 10 units short of everything: the index goes to 7 x 10^-9 (at or above the floor),
		// Bob keeps 7 units; nothing is wiped.
		assert_eq!(Margin::socialize(1_000 * USD - 10), 1_000 * USD - 10);
		assert_eq!(CurrentCashIndex::<Test>::get().epoch, 0);
		assert_eq!(cash(BOB), 7);
		// A loss at or above what is left (less the rounding allowance) wipes: zeroing takes 7
		// units for a loss of 5, the 3 units of allowance of its one account.
		assert_eq!(Margin::socialize(5), 5);
		assert_eq!(CurrentCashIndex::<Test>::get().epoch, 1);
		assert_eq!(cash(BOB), 0);
	});
}

#[test]
fn rescaled_cash_is_exact_across_rescales() {
	use crate::losses::{rescaled, RESCALE_STEP};
	use sp_arithmetic::Rounding;
	let at = |epoch, inner| CashIndex { epoch, value: FixedU128::from_inner(inner) };
	// Same epoch: cash x now / at.
	assert_eq!(
		rescaled(1_000, at(0, 10u128.pow(18)), at(0, 5 * 10u128.pow(17)), Rounding::Down),
		Some(500)
	);
	// One rescale: 10^9 x (0.5 x 10^9 in the new units) / (1 x 10^9) = 0.5 of it.
	assert_eq!(
		rescaled(
			10u128.pow(9),
			at(0, 10u128.pow(9)),
			at(RESCALE_STEP, 5 * 10u128.pow(17)),
			Rounding::Down
		),
		Some(5 * 10u128.pow(8))
	);
	// Three rescales: divided by 10^27 beyond the index ratio.
	assert_eq!(
		rescaled(
			10u128.pow(30),
			at(0, 10u128.pow(18)),
			at(3 * RESCALE_STEP, 10u128.pow(18)),
			Rounding::Down
		),
		Some(1_000)
	);
	// Across a wipe (or from a later index): nothing.
	assert_eq!(
		rescaled(10u128.pow(30), at(0, 10u128.pow(18)), at(1, 10u128.pow(18)), Rounding::Down),
		Some(0)
	);
	assert_eq!(
		rescaled(1_000, at(RESCALE_STEP, 10u128.pow(18)), at(0, 10u128.pow(18)), Rounding::Down),
		Some(0)
	);
}
