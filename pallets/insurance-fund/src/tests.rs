//! Tests of the insurance fund. Amounts are USD units (6 decimals) and share units (6 decimals).

use crate::{
	mock::*, BlockPayouts, CurrentShareEpoch, Error, Event, FundInfo, FundParams,
	InsuranceFeeShare, Params, PendingUnstake, PendingUnstakes, Shares, Stake, StakerInfo,
	TotalShares, MAX_FEE_SHARE, MAX_PAYOUT_CAP_PER_BLOCK, MIN_PAYOUT_CAP_PER_BLOCK,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{Get, Hooks},
};
use solvent_primitives::{BadDebtCover, PriceError};
use sp_arithmetic::{
	traits::{One, Saturating, Zero},
	FixedU128, Permill,
};
use sp_runtime::{traits::AccountIdConversion, DispatchError, TokenError};

fn stake(who: AccountId, amount: u128) {
	assert_ok!(InsuranceFund::stake(RuntimeOrigin::signed(who), amount));
}

/// What the margin pallet does with bad debt: ask the fund to cover it, then take what the
/// fund agreed to pay out of the fund's cash.
fn cover(amount: u128) -> u128 {
	let covered = <InsuranceFund as BadDebtCover<AccountId>>::cover(amount);
	Cash::mutate(fund(), |cash| *cash -= covered as i128);
	covered
}

fn share_value() -> FixedU128 {
	InsuranceFund::share_value().unwrap().unwrap()
}

fn usd(x: u128, y: u128) -> FixedU128 {
	FixedU128::from_rational(x, y)
}

// ------------------------------------------------------------------ genesis and accounts

#[test]
fn genesis_seeds_shares_and_params() {
	ExtBuilder::default().seeded(10_000 * USD).build_and_execute(|| {
		assert_eq!(Shares::<Test>::get(TREASURY).map(|s| s.shares), Some(10_000 * USD));
		assert_eq!(TotalShares::<Test>::get(), 10_000 * USD);
		assert_eq!(Params::<Test>::get(), default_params());
		assert_eq!(InsuranceFund::fund_cash(), 10_000 * USD as i128);
		assert_eq!(InsuranceFund::fund_value(), Ok(10_000 * USD as i128));
		assert_eq!(share_value(), FixedU128::one());
	});
}

#[test]
fn fund_account_is_the_pallet_id_account() {
	ExtBuilder::default().build_and_execute(|| {
		let expected: AccountId = FundPalletId::get().into_account_truncating();
		assert_eq!(<InsuranceFund as BadDebtCover<AccountId>>::fund_account(), expected);
		assert_ne!(expected, ALICE);
	});
}

#[test]
#[should_panic(expected = "insurance fund genesis params out of bounds")]
fn genesis_rejects_params_out_of_bounds() {
	let params =
		FundParams { payout_cap_per_block: MIN_PAYOUT_CAP_PER_BLOCK - 1, ..default_params() };
	let _ = ExtBuilder::default().params(params).build();
}

#[test]
#[should_panic(expected = "insurance fund genesis: duplicate")]
fn genesis_rejects_duplicate_shareholders() {
	use sp_runtime::BuildStorage;
	let _ = RuntimeGenesisConfig {
		system: Default::default(),
		insurance_fund: crate::GenesisConfig {
			params: default_params(),
			initial_shares: vec![(ALICE, 1), (ALICE, 2)],
		},
	}
	.build_storage();
}

#[test]
fn integrity_test_passes() {
	ExtBuilder::default().build_and_execute(|| {
		<InsuranceFund as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn try_state_detects_broken_share_sum() {
	ExtBuilder::default().seeded(1_000 * USD).build().execute_with(|| {
		assert_ok!(InsuranceFund::do_try_state());
		TotalShares::<Test>::put(1_000 * USD + 1);
		assert!(InsuranceFund::do_try_state().is_err());
		TotalShares::<Test>::put(1_000 * USD);
		Payouts::put(BlockPayouts { block: 1, paid: 2, cap: 1 });
		assert!(InsuranceFund::do_try_state().is_err());
	});
}

type Payouts = crate::Payouts<Test>;

// ------------------------------------------------------------------ staking share math

#[test]
fn staking_share_math_follows_fees_and_payouts() {
	ExtBuilder::default().build_and_execute(|| {
		// First staker into an empty fund: one share unit per USD unit.
		stake(ALICE, 1_000 * USD);
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), Some(1_000 * USD));
		assert_eq!(TotalShares::<Test>::get(), 1_000 * USD);
		assert_eq!(Tokens::get(ALICE), 99_000 * USD);
		assert_eq!(InsuranceFund::fund_cash(), 1_000 * USD as i128);
		assert_eq!(share_value(), FixedU128::one());
		System::assert_last_event(
			Event::Staked {
				who: ALICE,
				amount: 1_000 * USD,
				shares: 1_000 * USD,
				fund_value: 0,
				total_shares: 1_000 * USD,
			}
			.into(),
		);

		// A 100 USD fee share arrives: value 1,100 USD, 1.1 USD per share.
		pay_fee_to_fund(100 * USD);
		assert_eq!(share_value(), usd(11, 10));

		// Second staker pays the higher share value: 550 x 1,000 / 1,100 = 500 shares.
		stake(BOB, 550 * USD);
		assert_eq!(Shares::<Test>::get(BOB).map(|s| s.shares), Some(500 * USD));
		assert_eq!(TotalShares::<Test>::get(), 1_500 * USD);
		assert_eq!(InsuranceFund::fund_value(), Ok(1_650 * USD as i128));
		assert_eq!(share_value(), usd(11, 10));
		System::assert_last_event(
			Event::Staked {
				who: BOB,
				amount: 550 * USD,
				shares: 500 * USD,
				fund_value: 1_100 * USD as i128,
				total_shares: 1_500 * USD,
			}
			.into(),
		);

		// A 330 USD bad-debt payout: value 1,320 USD, 0.88 USD per share.
		assert_eq!(cover(330 * USD), 330 * USD);
		assert_eq!(share_value(), usd(88, 100));

		// Third staker after the payout: 88 x (1,500 + 1 unit) / (1,320 + 1 unit) = 100 shares
		// less one unit (the virtual unit on each side, rounded down).
		stake(CHARLIE, 88 * USD);
		assert_eq!(Shares::<Test>::get(CHARLIE).map(|s| s.shares), Some(100 * USD - 1));
		assert_eq!(TotalShares::<Test>::get(), 1_600 * USD - 1);
		assert_eq!(InsuranceFund::fund_value(), Ok(1_408 * USD as i128));

		// Rounding down: 100 units x 1,600 / 1,408 = 113.6 -> 113 share units.
		stake(ALICE, 100);
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), Some(1_000 * USD + 113));
		assert_eq!(TotalShares::<Test>::get(), 1_600 * USD + 112);

		// Values of the stakers now (rounded down): fund 1,408.0001 USD.
		assert_eq!(InsuranceFund::staker_info(&BOB).value, Some(440 * USD));
		assert_eq!(InsuranceFund::staker_info(&CHARLIE).value, Some(88 * USD - 1));
	});
}

#[test]
fn first_stake_into_fund_with_value_but_no_shares_is_one_to_one() {
	ExtBuilder::default().build_and_execute(|| {
		// Penalties arrived while nobody held shares: the first staker gets them.
		pay_fee_to_fund(50 * USD);
		stake(ALICE, 100 * USD);
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), Some(100 * USD));
		assert_eq!(share_value(), usd(15, 10));
	});
}

#[test]
fn stake_rejections() {
	ExtBuilder::default().seeded(1_000 * USD).build_and_execute(|| {
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::ZeroAmount
		);
		// No tokens: the ledger's error.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(DEBTOR), 10 * USD),
			DispatchError::Token(TokenError::FundsUnavailable)
		);
		// Prices unavailable: the value cannot be computed.
		PricesDown::put(true);
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 10 * USD),
			Error::<Test>::FundValueUnavailable
		);
		PricesDown::put(false);
		// Share value above one USD unit per share unit: 1 unit mints nothing.
		pay_fee_to_fund(100 * USD);
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::StakeTooSmall
		);
		// Negative value with shares outstanding: new money must not pay old losses.
		assert_eq!(cover(1_000 * USD), 1_000 * USD);
		OtherEquity::insert(fund(), -101 * USD as i128);
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 10 * USD),
			Error::<Test>::FundValueNotPositive
		);
	});
}

#[test]
fn stake_into_empty_fund_with_negative_value_is_rejected() {
	ExtBuilder::default().build_and_execute(|| {
		OtherEquity::insert(fund(), -1);
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 10 * USD),
			Error::<Test>::FundValueNotPositive
		);
		// Exactly zero without shares is fine (1:1).
		OtherEquity::insert(fund(), 0);
		stake(ALICE, 10 * USD);
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), Some(10 * USD));
	});
}

#[test]
fn stake_overflow_is_rejected() {
	ExtBuilder::default().seeded(1_000 * USD).build_and_execute(|| {
		// Value 1,000 units with 10^9 shares: at the wipe-out floor (10^-6 unit per share
		// unit), not below it, so no write-off; 10^36 x (10^9 + 1) / 1,001 does not fit in
		// u128.
		Cash::insert(fund(), 1_000);
		Tokens::insert(ALICE, 10u128.pow(36));
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 10u128.pow(36)),
			Error::<Test>::Overflow
		);
	});
}

// ------------------------------------------------------------------ unstake requests

#[test]
fn request_unstake_moves_shares_to_pending() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 400 * USD));
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), Some(600 * USD));
		assert_eq!(
			PendingUnstakes::<Test>::get(ALICE),
			Some(PendingUnstake { shares: 400 * USD, unlock_at: 101, epoch: 0 })
		);
		assert_eq!(TotalShares::<Test>::get(), 1_000 * USD);
		System::assert_last_event(
			Event::UnstakeRequested {
				who: ALICE,
				shares: 400 * USD,
				pending_shares: 400 * USD,
				unlock_at: 101,
			}
			.into(),
		);

		// A second request adds to the pending shares and restarts the cooldown.
		run_to_block(50);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 100 * USD));
		assert_eq!(
			PendingUnstakes::<Test>::get(ALICE),
			Some(PendingUnstake { shares: 500 * USD, unlock_at: 150, epoch: 0 })
		);
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), Some(500 * USD));

		// Requesting every active share removes the entry.
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 500 * USD));
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), None);
		assert_eq!(
			InsuranceFund::staker_info(&ALICE),
			StakerInfo {
				shares: 0,
				pending_unstake: Some(PendingUnstake {
					shares: 1_000 * USD,
					unlock_at: 150,
					epoch: 0
				}),
				value: Some(1_000 * USD),
			}
		);
	});
}

#[test]
fn request_unstake_rejections() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::ZeroShares
		);
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD + 1),
			Error::<Test>::InsufficientShares
		);
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(BOB), 1),
			Error::<Test>::InsufficientShares
		);
		// Pending shares are not active shares.
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 600 * USD));
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 401 * USD),
			Error::<Test>::InsufficientShares
		);
	});
}

#[test]
fn cancel_unstake_restores_shares() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD));
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), None);
		assert_ok!(InsuranceFund::cancel_unstake(RuntimeOrigin::signed(ALICE)));
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), Some(1_000 * USD));
		assert_eq!(PendingUnstakes::<Test>::get(ALICE), None);
		assert_eq!(TotalShares::<Test>::get(), 1_000 * USD);
		System::assert_last_event(
			Event::UnstakeCancelled { who: ALICE, shares: 1_000 * USD }.into(),
		);
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
		// After cancelling, withdrawing is impossible even after the old unlock block.
		run_to_block(200);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
	});
}

// ------------------------------------------------------------------ withdrawal

#[test]
fn withdraw_after_cooldown_is_valued_at_withdrawal() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		stake(BOB, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD));

		// One block before the unlock: rejected.
		run_to_block(100);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::CooldownNotOver
		);

		// During the cooldown the pending shares bear a 400 USD payout and earn a 100 USD fee:
		// value 2,000 - 400 + 100 = 1,700 USD.
		assert_eq!(cover(400 * USD), 400 * USD);
		pay_fee_to_fund(100 * USD);
		assert_eq!(InsuranceFund::staker_info(&ALICE).value, Some(850 * USD));

		// At the unlock block: 1,000 x 1,700 / 2,000 = 850 USD.
		run_to_block(101);
		assert_ok!(InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)));
		assert_eq!(Tokens::get(ALICE), 99_000 * USD + 850 * USD);
		assert_eq!(InsuranceFund::fund_cash(), 850 * USD as i128);
		assert_eq!(TotalShares::<Test>::get(), 1_000 * USD);
		assert_eq!(PendingUnstakes::<Test>::get(ALICE), None);
		assert_eq!(Shares::<Test>::get(ALICE).map(|s| s.shares), None);
		// BOB's share value is unchanged by the withdrawal: 0.85 USD.
		assert_eq!(share_value(), usd(85, 100));
		System::assert_last_event(
			Event::Unstaked {
				who: ALICE,
				shares: 1_000 * USD,
				amount: 850 * USD,
				fund_value: 1_700 * USD as i128,
				total_shares: 1_000 * USD,
			}
			.into(),
		);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
	});
}

#[test]
fn withdraw_rejections() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD));
		run_to_block(101);

		PricesDown::put(true);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::FundValueUnavailable
		);
		PricesDown::put(false);

		// Losses on positions taken over wipe out the value.
		OtherEquity::insert(fund(), -1_000 * USD as i128);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::FundValueNotPositive
		);

		// Value held in collateral taken over, not in cash: 900 USD paid out, 900 USD of
		// collateral came in, cash 100 USD < 1,000 USD owed.
		OtherEquity::insert(fund(), 900 * USD as i128);
		assert_eq!(cover(900 * USD), 900 * USD);
		assert_eq!(InsuranceFund::fund_value(), Ok(1_000 * USD as i128));
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::InsufficientFundCash
		);
	});
}

#[test]
fn withdraw_of_dust_burns_shares_for_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_eq!(cover(500 * USD), 500 * USD); // 0.5 USD per share
										   // 3 x (1,000,000,000 + 1) / (500,000,000 + 1) = 5.99... -> 5 share units.
		stake(BOB, 3);
		assert_eq!(Shares::<Test>::get(BOB).map(|s| s.shares), Some(5));
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(BOB), 1));
		run_to_block(101);
		let tokens = Tokens::get(BOB);
		assert_ok!(InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(BOB)));
		assert_eq!(Tokens::get(BOB), tokens);
		assert_eq!(TotalShares::<Test>::get(), 1_000 * USD + 4);
		System::assert_last_event(
			Event::Unstaked {
				who: BOB,
				shares: 1,
				amount: 0,
				fund_value: 500 * USD as i128 + 3,
				total_shares: 1_000 * USD + 4,
			}
			.into(),
		);
	});
}

#[test]
fn new_cooldown_applies_to_later_requests_only() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		stake(BOB, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 10 * USD));
		assert_ok!(InsuranceFund::set_params(
			RuntimeOrigin::root(),
			FundParams { unstake_cooldown: 150, ..default_params() }
		));
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(BOB), 10 * USD));
		assert_eq!(PendingUnstakes::<Test>::get(ALICE).map(|p| p.unlock_at), Some(101));
		assert_eq!(PendingUnstakes::<Test>::get(BOB).map(|p| p.unlock_at), Some(151));
	});
}

// ------------------------------------------------------------------ bad-debt cover

#[test]
fn cover_within_and_beyond_the_cap_and_reset_next_block() {
	ExtBuilder::default().seeded(10_000 * USD).build_and_execute(|| {
		// Within the 1,000 USD cap.
		assert_eq!(cover(200 * USD), 200 * USD);
		assert_eq!(InsuranceFund::fund_cash(), 9_800 * USD as i128);
		assert_eq!(InsuranceFund::payouts_in(1), (200 * USD, 1_000 * USD));
		System::assert_last_event(
			Event::BadDebtCovered { requested: 200 * USD, covered: 200 * USD }.into(),
		);

		// Beyond the cap: only the 800 USD left this block.
		assert_eq!(cover(1_000 * USD), 800 * USD);
		System::assert_last_event(
			Event::BadDebtCovered { requested: 1_000 * USD, covered: 800 * USD }.into(),
		);
		// Cap exhausted: nothing more this block, still reported.
		assert_eq!(cover(USD), 0);
		System::assert_last_event(Event::BadDebtCovered { requested: USD, covered: 0 }.into());
		assert_eq!(InsuranceFund::fund_info().paid_this_block, 1_000 * USD);

		// Next block: the cap is available again.
		run_to_block(2);
		assert_eq!(InsuranceFund::fund_info().paid_this_block, 0);
		assert_eq!(cover(1_500 * USD), 1_000 * USD);
		assert_eq!(InsuranceFund::fund_cash(), 8_000 * USD as i128);
		// Payouts lowered the share value: 8,000 / 10,000.
		assert_eq!(share_value(), usd(8, 10));
	});
}

#[test]
fn cover_beyond_fund_cash() {
	ExtBuilder::default().seeded(300 * USD).build_and_execute(|| {
		assert_eq!(cover(500 * USD), 300 * USD);
		assert_eq!(InsuranceFund::fund_cash(), 0);
		assert_eq!(cover(500 * USD), 0);
		// Negative fund cash (e.g. after paying for positions taken over): nothing.
		run_to_block(2);
		Cash::insert(fund(), -5 * USD as i128);
		assert_eq!(cover(500 * USD), 0);
		assert_eq!(InsuranceFund::fund_cash(), -5 * USD as i128);
		System::assert_last_event(
			Event::BadDebtCovered { requested: 500 * USD, covered: 0 }.into(),
		);
	});
}

#[test]
fn cover_of_nothing_does_nothing() {
	ExtBuilder::default().seeded(1_000 * USD).build_and_execute(|| {
		assert_eq!(cover(0), 0);
		assert_eq!(InsuranceFund::fund_cash(), 1_000 * USD as i128);
		assert!(fund_events().is_empty());
		assert_eq!(Payouts::get(), None);
	});
}

#[test]
fn cap_change_within_a_block_applies_from_the_next_block() {
	let params = FundParams { payout_cap_per_block: 2_000 * USD, ..default_params() };
	ExtBuilder::default().params(params).seeded(10_000 * USD).build_and_execute(|| {
		assert_eq!(cover(1_500 * USD), 1_500 * USD);
		// Lower the cap to 1,000 USD (a 50% step) after 1,500 USD were paid in this block.
		assert_ok!(InsuranceFund::set_params(RuntimeOrigin::root(), default_params()));
		// This block keeps the 2,000 USD cap it started paying under.
		assert_eq!(InsuranceFund::fund_info().payout_cap_per_block, 2_000 * USD);
		assert_eq!(cover(1_000 * USD), 500 * USD);
		run_to_block(2);
		assert_eq!(InsuranceFund::fund_info().payout_cap_per_block, 1_000 * USD);
		assert_eq!(cover(2_000 * USD), 1_000 * USD);
	});
}

// ------------------------------------------------------------------ views

#[test]
fn coverage_ratio_and_fund_info() {
	ExtBuilder::default().seeded(10_000 * USD).build_and_execute(|| {
		// No open interest: no ratio.
		assert_eq!(InsuranceFund::coverage_ratio(), Ok(None));

		// 10,000 USD against 200,000 USD of open interest: 5%.
		OpenInterest::set(Ok(200_000 * USD));
		assert_eq!(InsuranceFund::coverage_ratio(), Ok(Some(usd(5, 100))));
		assert_eq!(cover(400 * USD), 400 * USD);
		assert_eq!(
			InsuranceFund::fund_info(),
			FundInfo {
				cash: 9_600 * USD as i128,
				value: Some(9_600 * USD as i128),
				total_shares: 10_000 * USD,
				share_value: Some(usd(96, 100)),
				coverage_ratio: Some(usd(48, 1_000)),
				payout_cap_per_block: 1_000 * USD,
				paid_this_block: 400 * USD,
				fee_share: Permill::from_percent(10),
			}
		);

		// Collateral taken over counts in the value at haircut value.
		OtherEquity::insert(fund(), 400 * USD as i128);
		assert_eq!(InsuranceFund::coverage_ratio(), Ok(Some(usd(5, 100))));

		// Value not positive: ratio and share value zero.
		OtherEquity::insert(fund(), -10_000 * USD as i128);
		assert_eq!(InsuranceFund::coverage_ratio(), Ok(Some(FixedU128::zero())));
		assert_eq!(InsuranceFund::share_value(), Ok(Some(FixedU128::zero())));
		assert_eq!(InsuranceFund::staker_info(&TREASURY).value, Some(0));
		OtherEquity::insert(fund(), 0);

		// Open interest unavailable.
		OpenInterest::set(Err(PriceError::NoQuorum));
		assert_eq!(
			InsuranceFund::coverage_ratio(),
			Err(Error::<Test>::FundValueUnavailable.into())
		);
		assert_eq!(InsuranceFund::fund_info().coverage_ratio, None);

		// Prices unavailable: value-based fields are unknown, cash still shown.
		OpenInterest::set(Ok(200_000 * USD));
		PricesDown::put(true);
		let info = InsuranceFund::fund_info();
		assert_eq!(info.cash, 9_600 * USD as i128);
		assert_eq!((info.value, info.share_value, info.coverage_ratio), (None, None, None));
		assert_eq!(InsuranceFund::staker_info(&TREASURY).value, None);
	});
}

#[test]
fn share_value_without_shares_is_none() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(InsuranceFund::share_value(), Ok(None));
		assert_eq!(
			InsuranceFund::staker_info(&ALICE),
			StakerInfo { shares: 0, pending_unstake: None, value: Some(0) }
		);
	});
}

// ------------------------------------------------------------------ parameters

#[test]
fn set_params_within_bounds_and_steps() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(InsuranceFeeShare::<Test>::get(), Permill::from_percent(10));
		let new = FundParams {
			payout_cap_per_block: 1_500 * USD,
			unstake_cooldown: 150,
			unstake_window: 150,
			fee_share: Permill::from_percent(15),
		};
		assert_ok!(InsuranceFund::set_params(RuntimeOrigin::root(), new));
		assert_eq!(Params::<Test>::get(), new);
		assert_eq!(InsuranceFeeShare::<Test>::get(), Permill::from_percent(15));
		System::assert_last_event(Event::ParamsUpdated { old: default_params(), new }.into());
		// Downward steps of 50%.
		let down = FundParams {
			payout_cap_per_block: 1_000 * USD,
			unstake_cooldown: 75,
			unstake_window: 75,
			fee_share: Permill::from_rational(75u32, 1_000u32),
		};
		assert_ok!(InsuranceFund::set_params(RuntimeOrigin::root(), down));
		assert_eq!(Params::<Test>::get(), down);
	});
}

#[test]
fn set_params_rejects_out_of_bounds_even_for_root() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		assert_noop!(
			InsuranceFund::set_params(RuntimeOrigin::signed(ALICE), p),
			DispatchError::BadOrigin
		);
		for (params, error) in [
			(
				FundParams { payout_cap_per_block: MIN_PAYOUT_CAP_PER_BLOCK - 1, ..p },
				Error::<Test>::PayoutCapOutOfBounds,
			),
			(
				FundParams { payout_cap_per_block: MAX_PAYOUT_CAP_PER_BLOCK + 1, ..p },
				Error::<Test>::PayoutCapOutOfBounds,
			),
			(
				FundParams { unstake_cooldown: MIN_COOLDOWN - 1, ..p },
				Error::<Test>::CooldownOutOfBounds,
			),
			(
				FundParams { unstake_cooldown: MAX_COOLDOWN + 1, ..p },
				Error::<Test>::CooldownOutOfBounds,
			),
			(
				FundParams { fee_share: MAX_FEE_SHARE.saturating_add(Permill::from_parts(1)), ..p },
				Error::<Test>::FeeShareOutOfBounds,
			),
		] {
			assert_noop!(InsuranceFund::set_params(RuntimeOrigin::root(), params), error);
		}
	});
}

#[test]
fn set_params_rejects_steps_above_half() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		for (params, error) in [
			(
				FundParams { payout_cap_per_block: 1_500 * USD + 1, ..p },
				Error::<Test>::PayoutCapStepTooLarge,
			),
			(FundParams { unstake_cooldown: 151, ..p }, Error::<Test>::CooldownStepTooLarge),
			(FundParams { unstake_cooldown: 49, ..p }, Error::<Test>::CooldownStepTooLarge),
			(
				FundParams { fee_share: Permill::from_parts(150_001), ..p },
				Error::<Test>::FeeShareStepTooLarge,
			),
			(
				FundParams { fee_share: Permill::from_parts(49_999), ..p },
				Error::<Test>::FeeShareStepTooLarge,
			),
		] {
			assert_noop!(InsuranceFund::set_params(RuntimeOrigin::root(), params), error);
		}
	});
}

#[test]
fn fee_share_from_zero_may_take_any_value_in_bounds() {
	let params = FundParams { fee_share: Permill::zero(), ..default_params() };
	ExtBuilder::default().params(params).build_and_execute(|| {
		assert_eq!(InsuranceFeeShare::<Test>::get(), Permill::zero());
		assert_ok!(InsuranceFund::set_params(
			RuntimeOrigin::root(),
			FundParams { fee_share: MAX_FEE_SHARE, ..default_params() }
		));
		assert_eq!(InsuranceFeeShare::<Test>::get(), MAX_FEE_SHARE);
	});
}

// ---- malformed input: one test per extrinsic (issue 7) ----

#[test]
fn malformed_stake() {
	ExtBuilder::default().seeded(1_000 * USD).build_and_execute(|| {
		// State to keep unchanged: the treasury's seed and a stake of ALICE (share value 1).
		stake(ALICE, 100 * USD);
		// Wrong origin: Root instead of a signed staker.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::root(), 10 * USD),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::none(), 10 * USD),
			DispatchError::BadOrigin
		);
		// Zero amount.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::ZeroAmount
		);
		// Zero amount from an unknown account: the amount is checked first.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(DEBTOR), 0),
			Error::<Test>::ZeroAmount
		);
		// Maximum amount (u128::MAX) at a share value of 1: the minted shares overflow the total.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), u128::MAX),
			Error::<Test>::Overflow
		);
		// One unit more than the staker's tokens: the ledger's error.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), Tokens::get(ALICE) + 1),
			DispatchError::Token(TokenError::FundsUnavailable)
		);
		// Unknown account: no tokens at all.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(DEBTOR), 10 * USD),
			DispatchError::Token(TokenError::FundsUnavailable)
		);
		// Unknown account: the largest account id.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(AccountId::MAX), 1),
			DispatchError::Token(TokenError::FundsUnavailable)
		);
		// Share value above 1 USD unit per share unit (a fee arrived): one unit mints nothing.
		pay_fee_to_fund(100 * USD);
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::StakeTooSmall
		);
		// Maximum amount at a share value above 1: the shares fit, the staker cannot pay.
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), u128::MAX),
			DispatchError::Token(TokenError::FundsUnavailable)
		);
	});
}

#[test]
fn malformed_request_unstake() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		// Wrong origin: Root instead of a signed staker.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::root(), 1),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::none(), 1),
			DispatchError::BadOrigin
		);
		// Zero shares.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::ZeroShares
		);
		// Zero shares from an account without shares: zero is checked first.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::ZeroShares
		);
		// Maximum shares (u128::MAX).
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), u128::MAX),
			Error::<Test>::InsufficientShares
		);
		// One share unit more than the active shares.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD + 1),
			Error::<Test>::InsufficientShares
		);
		// Unknown account: no shares.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(BOB), 1),
			Error::<Test>::InsufficientShares
		);
		// Unknown account: the largest account id.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(AccountId::MAX), 1),
			Error::<Test>::InsufficientShares
		);
		// The fund's own account holds no shares.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(fund()), 1),
			Error::<Test>::InsufficientShares
		);
		// Every share already pending: pending shares are not active shares.
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD));
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::InsufficientShares
		);
	});
}

#[test]
fn malformed_cancel_unstake() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		stake(BOB, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(BOB), 500 * USD));
		// Wrong origin: Root, while a pending unstake exists.
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::root()),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::none()),
			DispatchError::BadOrigin
		);
		// A staker without a pending unstake.
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
		// Unknown account: never staked.
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::signed(CHARLIE)),
			Error::<Test>::NothingPending
		);
		// Unknown account: the largest account id.
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::signed(AccountId::MAX)),
			Error::<Test>::NothingPending
		);
		// Cancelled twice: the second cancel finds nothing.
		assert_ok!(InsuranceFund::cancel_unstake(RuntimeOrigin::signed(BOB)));
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::signed(BOB)),
			Error::<Test>::NothingPending
		);
		// Already withdrawn: nothing left to cancel.
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD));
		run_to_block(101);
		assert_ok!(InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)));
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
	});
}

#[test]
fn malformed_withdraw_unstaked() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		stake(BOB, 1_000 * USD);
		// ALICE's unstake unlocks at block 101.
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD));
		// Wrong origin: Root, while a pending unstake exists.
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::root()),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::none()),
			DispatchError::BadOrigin
		);
		// A staker without a pending unstake.
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(BOB)),
			Error::<Test>::NothingPending
		);
		// Unknown account: never staked.
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(CHARLIE)),
			Error::<Test>::NothingPending
		);
		// Unknown account: the largest account id.
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(AccountId::MAX)),
			Error::<Test>::NothingPending
		);
		// Too early: in the block of the request.
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::CooldownNotOver
		);
		// Too early: one block before the unlock.
		run_to_block(100);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::CooldownNotOver
		);
		// Too early: adding to a pending unstake restarts its cooldown (unlock 200 -> 250).
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(BOB), 10 * USD));
		run_to_block(150);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(BOB), 10 * USD));
		run_to_block(249);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(BOB)),
			Error::<Test>::CooldownNotOver
		);
		// Too late: Alice's window (blocks 101 to 201) has passed; she requests again.
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::WithdrawalWindowMissed
		);
		assert_ok!(InsuranceFund::cancel_unstake(RuntimeOrigin::signed(ALICE)));
		let shares = Shares::<Test>::get(ALICE).map(|s| s.shares).unwrap();
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), shares));
		// Cancelled: nothing to withdraw even after the unlock block.
		assert_ok!(InsuranceFund::cancel_unstake(RuntimeOrigin::signed(BOB)));
		run_to_block(349);
		// Withdrawn twice: the second withdrawal finds nothing.
		assert_ok!(InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)));
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(BOB)),
			Error::<Test>::NothingPending
		);
	});
	let longest = FundParams { unstake_cooldown: MAX_COOLDOWN, ..default_params() };
	ExtBuilder::default().params(longest).build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD));
		// Too early: one block before the end of the longest cooldown (unlock at 1 + 1,000).
		run_to_block(MAX_COOLDOWN);
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::CooldownNotOver
		);
	});
}

#[test]
fn malformed_set_params() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		let set =
			|params: FundParams<u64>| InsuranceFund::set_params(RuntimeOrigin::root(), params);
		// Wrong origin: a signed account instead of the risk admin (Root).
		assert_noop!(
			InsuranceFund::set_params(RuntimeOrigin::signed(ALICE), p),
			DispatchError::BadOrigin
		);
		// Wrong origin: unsigned.
		assert_noop!(InsuranceFund::set_params(RuntimeOrigin::none(), p), DispatchError::BadOrigin);
		// Zero payout cap.
		assert_noop!(
			set(FundParams { payout_cap_per_block: 0, ..p }),
			Error::<Test>::PayoutCapOutOfBounds
		);
		// Maximum payout cap (u128::MAX).
		assert_noop!(
			set(FundParams { payout_cap_per_block: u128::MAX, ..p }),
			Error::<Test>::PayoutCapOutOfBounds
		);
		// Zero cooldown.
		assert_noop!(
			set(FundParams { unstake_cooldown: 0, ..p }),
			Error::<Test>::CooldownOutOfBounds
		);
		// Maximum cooldown (u64::MAX).
		assert_noop!(
			set(FundParams { unstake_cooldown: u64::MAX, ..p }),
			Error::<Test>::CooldownOutOfBounds
		);
		// Maximum fee share (Permill's 100%), above MAX_FEE_SHARE.
		assert_noop!(
			set(FundParams { fee_share: Permill::one(), ..p }),
			Error::<Test>::FeeShareOutOfBounds
		);
		// Every field zero: the first field's bound is reported.
		assert_noop!(set(FundParams::default()), Error::<Test>::PayoutCapOutOfBounds);
		// Every field at its type's maximum: the first field's bound is reported.
		assert_noop!(
			set(FundParams {
				payout_cap_per_block: u128::MAX,
				unstake_cooldown: u64::MAX,
				unstake_window: u64::MAX,
				fee_share: Permill::one(),
			}),
			Error::<Test>::PayoutCapOutOfBounds
		);
		// Too large a step: payout cap to its hard maximum.
		assert_noop!(
			set(FundParams { payout_cap_per_block: MAX_PAYOUT_CAP_PER_BLOCK, ..p }),
			Error::<Test>::PayoutCapStepTooLarge
		);
		// Too large a step: cooldown to its hard maximum.
		assert_noop!(
			set(FundParams { unstake_cooldown: MAX_COOLDOWN, ..p }),
			Error::<Test>::CooldownStepTooLarge
		);
		// Too large a step: cooldown to its hard minimum.
		assert_noop!(
			set(FundParams { unstake_cooldown: MIN_COOLDOWN, ..p }),
			Error::<Test>::CooldownStepTooLarge
		);
		// Too large a step: fee share to its hard maximum.
		assert_noop!(
			set(FundParams { fee_share: MAX_FEE_SHARE, ..p }),
			Error::<Test>::FeeShareStepTooLarge
		);
		// Too large a step: fee share to zero.
		assert_noop!(
			set(FundParams { fee_share: Permill::zero(), ..p }),
			Error::<Test>::FeeShareStepTooLarge
		);
	});
}

// ------------------------------------------------------------------ fund lifecycle

#[test]
fn withdrawals_wait_while_the_fund_owes_unpaid_bad_debt() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 500 * USD));
		run_to_block(101);
		// The fund took over 300 USD of bad debt it has not paid yet (its payout cap).
		UncoveredBadDebt::put(300 * USD);
		assert_eq!(InsuranceFund::fund_value(), Ok(700 * USD as i128));
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::BadDebtPending
		);
		// Paid: the staker leaves with her share of what is left.
		UncoveredBadDebt::put(0);
		cover(300 * USD);
		assert_ok!(InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)));
		assert_eq!(Tokens::get(ALICE), 99_000 * USD + 350 * USD);
	});
}

#[test]
fn donate_raises_the_share_value_and_mints_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::donate(RuntimeOrigin::signed(BOB), 250 * USD));
		System::assert_last_event(Event::Donated { who: BOB, amount: 250 * USD }.into());
		assert_eq!(TotalShares::<Test>::get(), 1_000 * USD);
		assert_eq!(Shares::<Test>::get(BOB).map(|s| s.shares), None);
		assert_eq!(share_value(), usd(125, 100));
		assert_noop!(
			InsuranceFund::donate(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::ZeroAmount
		);
	});
}

#[test]
fn a_wiped_out_fund_writes_its_shares_off_at_the_next_stake() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 400 * USD));
		// A crash took everything: the fund is worth zero with Alice's shares outstanding.
		assert_eq!(cover(1_000 * USD), 1_000 * USD);
		assert_eq!(InsuranceFund::fund_value(), Ok(0));
		// Bob's stake writes Alice's shares off and mints one share unit per USD unit (with the
		// virtual unit alone it would have minted 100 x 10^6 x (10^9 + 1) share units).
		stake(BOB, 100 * USD);
		System::assert_has_event(
			Event::SharesWrittenOff { epoch: 0, shares: 1_000 * USD, value: 0 }.into(),
		);
		System::assert_last_event(
			Event::Staked {
				who: BOB,
				amount: 100 * USD,
				shares: 100 * USD,
				fund_value: 0,
				total_shares: 100 * USD,
			}
			.into(),
		);
		assert_eq!(CurrentShareEpoch::<Test>::get(), 1);
		assert_eq!(TotalShares::<Test>::get(), 100 * USD);
		assert_eq!(Shares::<Test>::get(BOB), Some(Stake { shares: 100 * USD, epoch: 1 }));
		assert_eq!(InsuranceFund::staker_info(&BOB).value, Some(100 * USD));
		assert_eq!(
			InsuranceFund::staker_info(&ALICE),
			StakerInfo { shares: 0, pending_unstake: None, value: Some(0) }
		);
		assert_eq!(share_value(), FixedU128::one());
	});
}

#[test]
fn old_stakers_cannot_withdraw_the_new_epochs_money() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 400 * USD));
		assert_eq!(cover(1_000 * USD), 1_000 * USD);
		stake(BOB, 100 * USD);
		run_to_block(101);
		// Alice's unlocked pending unstake is of the written-off epoch: it is removed and pays
		// nothing; Bob's 100 USD stay in the fund.
		assert_ok!(InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(
			Event::StakeWrittenOff { who: ALICE, shares: 400 * USD, epoch: 0 }.into(),
		);
		assert_eq!(Tokens::get(ALICE), 99_000 * USD);
		assert_eq!(Cash::get(fund()), 100 * USD as i128);
		assert_eq!(PendingUnstakes::<Test>::get(ALICE), None);
		// Her active shares of epoch 0 cannot be unstaked either.
		assert_noop!(
			InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 600 * USD),
			Error::<Test>::SharesWrittenOff
		);
		assert_noop!(
			InsuranceFund::cancel_unstake(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingPending
		);
		// A new stake replaces the written-off record: 10 USD buy 10 share units at 1 USD.
		stake(ALICE, 10 * USD);
		System::assert_has_event(
			Event::StakeWrittenOff { who: ALICE, shares: 600 * USD, epoch: 0 }.into(),
		);
		assert_eq!(Shares::<Test>::get(ALICE), Some(Stake { shares: 10 * USD, epoch: 1 }));
		assert_eq!(TotalShares::<Test>::get(), 110 * USD);
		assert_eq!(InsuranceFund::staker_info(&ALICE).value, Some(10 * USD));
		assert_eq!(InsuranceFund::staker_info(&BOB).value, Some(100 * USD));
	});
}

#[test]
fn cancelling_a_written_off_unstake_removes_it() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 400 * USD));
		assert_eq!(cover(1_000 * USD), 1_000 * USD);
		stake(BOB, 100 * USD);
		assert_ok!(InsuranceFund::cancel_unstake(RuntimeOrigin::signed(ALICE)));
		assert_eq!(PendingUnstakes::<Test>::get(ALICE), None);
		assert_eq!(Shares::<Test>::get(ALICE), None);
		assert_eq!(TotalShares::<Test>::get(), 100 * USD);
		System::assert_has_event(
			Event::StakeWrittenOff { who: ALICE, shares: 400 * USD, epoch: 0 }.into(),
		);
		System::assert_last_event(
			Event::StakeWrittenOff { who: ALICE, shares: 600 * USD, epoch: 0 }.into(),
		);
	});
}

#[test]
fn three_insolvencies_and_recapitalizations_do_not_overflow() {
	ExtBuilder::default().build_and_execute(|| {
		// One million USD per round; with one virtual unit alone the second stake would mint
		// 10^12 x (10^12 + 1) ~ 10^24 share units, the third ~10^36, the fourth overflow.
		let amount = 1_000_000 * USD;
		let stakers = [ALICE, BOB, CHARLIE, DEBTOR];
		for who in stakers {
			Tokens::insert(who, amount);
		}
		stake(ALICE, amount);
		// Each round the fund loses everything but `dust` units and a new staker recapitalizes
		// it; the dust (below one unit per 10^6 share units) goes to the new epoch.
		for (round, (who, dust)) in
			[(BOB, 0u128), (CHARLIE, 5), (DEBTOR, 999_999)].into_iter().enumerate()
		{
			let before = TotalShares::<Test>::get();
			assert_eq!(before, amount);
			Cash::insert(fund(), dust as i128);
			stake(who, amount);
			let epoch = round as u32;
			System::assert_has_event(
				Event::SharesWrittenOff { epoch, shares: amount, value: dust as i128 }.into(),
			);
			assert_eq!(CurrentShareEpoch::<Test>::get(), epoch + 1);
			assert_eq!(TotalShares::<Test>::get(), amount);
			assert_eq!(Shares::<Test>::get(who), Some(Stake { shares: amount, epoch: epoch + 1 }));
			// The whole fund, less the virtual unit's rounding: amount x (value + 1) /
			// (amount + 1) with value = amount + dust (one unit short when dust > 0).
			let value = amount + dust;
			assert_eq!(
				value - InsuranceFund::staker_info(&who).value.unwrap(),
				u128::from(dust > 0)
			);
			// Every earlier staker's claim is gone.
			for old in stakers.iter().take(round + 1) {
				assert_eq!(InsuranceFund::staker_info(old).value, Some(0));
			}
		}
	});
}

#[test]
fn a_fund_at_the_wipe_out_floor_keeps_its_stakers_claims_exact() {
	ExtBuilder::default().seeded(1_000 * USD).build_and_execute(|| {
		// 10^9 share units worth 1,000 units: 10^-6 unit per share unit, the floor itself.
		Cash::insert(fund(), 1_000);
		stake(ALICE, USD);
		// 10^6 x (10^9 + 1) / (1,000 + 1) = 999,001,000,000 share units, no write-off.
		assert_eq!(CurrentShareEpoch::<Test>::get(), 0);
		assert_eq!(Shares::<Test>::get(ALICE), Some(Stake { shares: 999_001_000_000, epoch: 0 }));
		assert_eq!(InsuranceFund::staker_info(&TREASURY).value, Some(1_000));
		assert_eq!(InsuranceFund::staker_info(&ALICE).value, Some(USD));
	});
	ExtBuilder::default().seeded(1_000 * USD).build_and_execute(|| {
		// One unit below the floor: written off.
		Cash::insert(fund(), 999);
		stake(ALICE, USD);
		assert_eq!(CurrentShareEpoch::<Test>::get(), 1);
		assert_eq!(Shares::<Test>::get(ALICE), Some(Stake { shares: USD, epoch: 1 }));
		// Alice's 10^6 share units are worth the fund (10^6 + 999 units) less one unit of the
		// virtual offset's rounding.
		assert_eq!(InsuranceFund::staker_info(&ALICE).value, Some(USD + 998));
	});
}

#[test]
fn the_write_off_waits_until_the_fund_owes_nothing() {
	ExtBuilder::default().seeded(1_000 * USD).build_and_execute(|| {
		// The fund holds 500 USD, all of it owed: worth zero, but the loss is not settled.
		Cash::insert(fund(), 500 * USD as i128);
		UncoveredBadDebt::put(500 * USD);
		assert_eq!(InsuranceFund::fund_value(), Ok(0));
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 100 * USD),
			Error::<Test>::BadDebtPending
		);
		// Worth less than nothing: no stake and no write-off (new money must not pay the
		// deficit).
		UncoveredBadDebt::put(600 * USD);
		assert_noop!(
			InsuranceFund::stake(RuntimeOrigin::signed(ALICE), 100 * USD),
			Error::<Test>::FundValueNotPositive
		);
		// Paid: the write-off goes ahead.
		UncoveredBadDebt::put(0);
		Cash::insert(fund(), 0);
		stake(ALICE, 100 * USD);
		assert_eq!(CurrentShareEpoch::<Test>::get(), 1);
		assert_eq!(TotalShares::<Test>::get(), 100 * USD);
	});
}

#[test]
fn withdrawals_wait_while_an_oracle_key_is_unavailable() {
	ExtBuilder::default().build_and_execute(|| {
		stake(ALICE, 1_000 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1_000 * USD));
		run_to_block(101);
		// The BTC price is halted: an account bankrupt at the true price cannot be priced, so
		// the fund looks worth 1,000 USD. Alice must not leave with that.
		UnavailableKey::put(solvent_primitives::OracleKey::Spot(2));
		assert_eq!(InsuranceFund::fund_value(), Ok(1_000 * USD as i128));
		assert_noop!(
			InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::OracleKeyUnavailable
		);
		// Stakes (new money at the value the fund shows) are not paused.
		stake(BOB, 10 * USD);
		// The halt lifts; the hidden bad debt (600 USD) is liquidated and paid: Alice gets her
		// share of what is left, 1,000/1,010 of 410 USD.
		UnavailableKey::kill();
		assert_eq!(cover(600 * USD), 600 * USD);
		assert_ok!(InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)));
		assert_eq!(Tokens::get(ALICE), 99_000 * USD + 405_940_594);
	});
}

#[test]
fn inflating_the_share_value_before_a_stake_costs_the_attacker() {
	ExtBuilder::default().build_and_execute(|| {
		// The classic ERC-4626 attack: stake one unit, donate a lot, let the victim's stake
		// round down to few shares, then withdraw.
		stake(ALICE, 1);
		assert_ok!(InsuranceFund::donate(RuntimeOrigin::signed(ALICE), 1_000 * USD));
		stake(BOB, 1_500 * USD);
		assert_ok!(InsuranceFund::request_unstake(RuntimeOrigin::signed(ALICE), 1));
		run_to_block(101);
		assert_ok!(InsuranceFund::withdraw_unstaked(RuntimeOrigin::signed(ALICE)));
		// Alice put in 1,000 USD + 1 unit and takes out less.
		assert!(Tokens::get(ALICE) < 100_000 * USD, "the attack paid: {}", Tokens::get(ALICE));
	});
}

// ------------------------------------------------------------------ migrations

#[test]
fn v2_migration_puts_every_record_in_epoch_zero() {
	use crate::migrations::v2::{v1, MigrateV1ToV2};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder::default().build().execute_with(|| {
		StorageVersion::new(1).put::<InsuranceFund>();
		let put =
			|key: Vec<u8>, value: Vec<u8>| frame_support::storage::unhashed::put_raw(&key, &value);
		put(Shares::<Test>::hashed_key_for(ALICE), (600 * USD).encode());
		put(
			PendingUnstakes::<Test>::hashed_key_for(ALICE),
			v1::PendingUnstake { shares: 400 * USD, unlock_at: 7u64 }.encode(),
		);
		put(Shares::<Test>::hashed_key_for(BOB), (5 * USD).encode());
		TotalShares::<Test>::put(1_005 * USD);

		MigrateV1ToV2::<Test>::on_runtime_upgrade();

		assert_eq!(InsuranceFund::on_chain_storage_version(), 2);
		assert_eq!(CurrentShareEpoch::<Test>::get(), 0);
		assert_eq!(Shares::<Test>::get(ALICE), Some(Stake { shares: 600 * USD, epoch: 0 }));
		assert_eq!(Shares::<Test>::get(BOB), Some(Stake { shares: 5 * USD, epoch: 0 }));
		assert_eq!(
			PendingUnstakes::<Test>::get(ALICE),
			Some(PendingUnstake { shares: 400 * USD, unlock_at: 7, epoch: 0 })
		);
		assert_ok!(InsuranceFund::do_try_state());
	});
}
