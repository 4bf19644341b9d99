//! Tests of the initial-margin add-on driven by the insurance fund's coverage ratio
//! (`coverage.rs`, [`im_addon_curve`]). Amounts in the comments are whole USD.
//!
//! The mock: the fund holds 1,000,000 USD; BTC at 50,000; a short put struck at 50,000 is out
//! of the money (mark 0) and needs IM 7,500 and MM 3,750 per contract; open interest is the
//! short contracts x 50,000.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::GetStorageVersion};
use solvent_primitives::{MarginLedger, MarginRequirement, PositionProvider};
use sp_arithmetic::{
	traits::{Bounded, Zero},
	FixedU128, Permill,
};

const WHALE: AccountId = 40;

fn usd(x: i128) -> i128 {
	x * USD as i128
}

fn pct(x: u32) -> Permill {
	Permill::from_percent(x)
}

/// A coverage ratio of `num / den`.
fn ratio(num: u128, den: u128) -> Option<FixedU128> {
	Some(FixedU128::from_rational(num, den))
}

/// Open interest of `contracts` short contracts in total (the whale holds what the test's
/// accounts do not; its margin is not what these tests are about).
fn whale_short(contracts: i64) {
	open_put(WHALE, 9, -contracts, 50_000 * USD);
}

/// Run blocks until the add-on in force stops moving (at most 100 blocks).
fn settle_addon() {
	let mut last = ImAddOn::<Test>::get();
	for _ in 0..100 {
		run_to_block(System::block_number() + 1);
		let now = ImAddOn::<Test>::get();
		if now == last {
			return;
		}
		last = now;
	}
}

#[test]
fn the_curve_is_linear_below_the_target_and_bounded() {
	let p = default_params(); // target 2%, maximum 50%
	let curve = |c| im_addon_curve(c, &p);
	// No open interest: no add-on.
	assert_eq!(curve(None), Permill::zero());
	// At or above the target: none.
	assert_eq!(curve(ratio(2, 100)), Permill::zero());
	assert_eq!(curve(ratio(1, 1)), Permill::zero());
	assert_eq!(curve(Some(FixedU128::max_value())), Permill::zero());
	// The table of `im_addon_curve`.
	assert_eq!(curve(ratio(15, 1_000)), Permill::from_rational(125u32, 1000u32));
	assert_eq!(curve(ratio(1, 100)), pct(25));
	assert_eq!(curve(ratio(5, 1_000)), Permill::from_rational(375u32, 1000u32));
	assert_eq!(curve(Some(FixedU128::zero())), pct(50));
	// Rounded up to the part per million: 1/3% is 1/6 short of the target: 50%/6 = 83,333.3.
	assert_eq!(curve(ratio(1, 300)), Permill::from_parts(416_667));
	assert_eq!(curve(ratio(5, 300)), Permill::from_parts(83_334));
	// One unit of 10^-18 below the target: the smallest add-on, one part per million.
	let just_below = FixedU128::from_inner(FixedU128::from_rational(2, 100).into_inner() - 1);
	assert_eq!(curve(Some(just_below)), Permill::from_parts(1));
	// Monotone: a lower coverage never gives a lower add-on.
	let mut last = Permill::zero();
	for bp in (0..=250u128).rev() {
		let a = curve(ratio(bp, 10_000));
		assert!(a >= last, "coverage {bp} bp: {a:?} < {last:?}");
		last = a;
	}
	// Off: a zero target or a zero maximum.
	let off = MarginParams { coverage_target: Permill::zero(), ..p };
	assert_eq!(im_addon_curve(Some(FixedU128::zero()), &off), Permill::zero());
	let off = MarginParams { max_im_addon: Permill::zero(), ..p };
	assert_eq!(im_addon_curve(Some(FixedU128::zero()), &off), Permill::zero());
	// The hard bounds: target 50%, maximum 100%, coverage zero: the add-on is 100%.
	let max =
		MarginParams { coverage_target: MAX_COVERAGE_TARGET, max_im_addon: MAX_IM_ADDON, ..p };
	assert_eq!(im_addon_curve(Some(FixedU128::zero()), &max), Permill::one());
	assert_eq!(im_addon_curve(ratio(1, 4), &max), pct(50));
}

#[test]
fn coverage_below_target_raises_initial_margin_by_the_curve() {
	ExtBuilder::default().build_and_execute(|| {
		// Alice: 2 short puts (IM 15,000, MM 7,500) and 18,000 of cash.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 18_000 * USD));
		open_put(ALICE, 1, -2, 50_000 * USD);
		// 2,000 contracts short in all: open interest 100,000,000, coverage 1% (target 2%).
		whale_short(1_998);
		assert_eq!(Margin::coverage_ratio(), Ok(ratio(1, 100)));
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
		assert_ok!(Margin::ensure_initial_margin_of(&ALICE));

		// The next block: the add-on rises toward the curve's 25% by 1 point per block.
		run_to_block(2);
		assert_eq!(ImAddOn::<Test>::get(), pct(1));
		assert_eq!(
			margin_events().last(),
			Some(&Event::ImAddOnChanged {
				coverage_ratio: ratio(1, 100),
				curve: pct(25),
				im_addon: pct(1)
			})
		);
		run_to_block(26);
		assert_eq!(ImAddOn::<Test>::get(), pct(25));
		let changes =
			margin_events().iter().filter(|e| matches!(e, Event::ImAddOnChanged { .. })).count();
		assert_eq!(changes, 25, "one event per change");
		run_to_block(30);
		assert_eq!(ImAddOn::<Test>::get(), pct(25), "stays at the curve");
		assert_eq!(
			margin_events().iter().filter(|e| matches!(e, Event::ImAddOnChanged { .. })).count(),
			25,
			"no event without a change"
		);

		// IM 15,000 x 1.25 = 18,750 > equity 18,000: no withdrawal, no new risk.
		let requirement = Margin::risk(&ALICE).unwrap().requirement;
		assert_eq!(requirement.initial, 15_000 * USD, "the position's IM itself is unchanged");
		assert_eq!(Margin::initial_margin_required(&requirement), 18_750 * USD);
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, USD),
			Error::<Test>::InsufficientMargin
		);
		// ... but she is far from liquidation: the maintenance margin (7,500) is untouched.
		let risk = Margin::risk(&ALICE).unwrap();
		assert_eq!(risk.requirement.maintenance, 7_500 * USD);
		assert!(!Margin::is_liquidatable(&ALICE, &risk));
		assert_noop!(
			Margin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE),
			Error::<Test>::NotLiquidatable
		);
		// What her view shows: why her IM rose.
		let view = Margin::account_view(&ALICE);
		assert_eq!(view.initial_margin, 15_000 * USD);
		assert_eq!(view.im_addon, pct(25));
		assert_eq!(view.im_addon_margin, 3_750 * USD);
		assert_eq!(view.coverage_ratio, ratio(1, 100));
		assert_eq!(view.maintenance_margin, 7_500 * USD);
		// With 750 more she is fully margined again at 18,750, and may withdraw nothing more.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 750 * USD));
		assert_ok!(Margin::ensure_initial_margin_of(&ALICE));
		assert_noop!(
			Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 1),
			Error::<Test>::InsufficientMargin
		);

		// The fund is recapitalized (a donation doubles it): coverage 2%, the add-on falls to
		// zero at once, and the 3,750 is free again.
		assert_ok!(InsuranceFund::donate(RuntimeOrigin::signed(BOB), 1_000_000 * USD));
		run_to_block(31);
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
		assert_eq!(
			margin_events().last(),
			Some(&Event::ImAddOnChanged {
				coverage_ratio: ratio(2, 100),
				curve: Permill::zero(),
				im_addon: Permill::zero()
			})
		);
		assert_ok!(Margin::withdraw(RuntimeOrigin::signed(ALICE), USD_ID, 3_750 * USD));
		assert_eq!(cash(ALICE), usd(15_000));
	});
}

#[test]
fn risk_reducing_trades_are_never_blocked_by_the_addon_but_new_risk_is() {
	ExtBuilder::default().build_and_execute(|| {
		// Alice: 8 shorts (IM 60,000, MM 30,000), 60,000 of cash: fully margined without the
		// add-on. Bob: 1 short (IM 7,500), 16,000 of cash.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 60_000 * USD));
		open_put(ALICE, 1, -8, 50_000 * USD);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(BOB), USD_ID, 16_000 * USD));
		open_put(BOB, 1, -1, 50_000 * USD);
		// Coverage 1%: add-on 25%.
		whale_short(2_000 - 9);
		settle_addon();
		assert_eq!(ImAddOn::<Test>::get(), pct(25));
		// Alice needs 75,000 now: below the raised IM, far above maintenance.
		let before = Margin::margin_snapshot(&ALICE).unwrap();
		assert_eq!(Margin::initial_margin_required(&before.requirement), 75_000 * USD);

		// She buys back one contract, paying 100 of premium to Bob: IM 52,500 x 1.25 = 65,625
		// is still above her equity 59,900, yet the trade only reduced risk: accepted.
		open_put(ALICE, 1, 1, 50_000 * USD);
		assert_ok!(Margin::move_cash(&ALICE, &BOB, 100 * USD));
		let after = Margin::risk(&ALICE).unwrap();
		assert_eq!(after.equity, usd(59_900));
		assert_eq!(Margin::initial_margin_required(&after.requirement), 65_625 * USD);
		assert_ok!(Margin::check_trade_margin(&ALICE, Some(&before)));
		// So does each further reduction, down to closing out.
		for _ in 0..7 {
			let before = Margin::margin_snapshot(&ALICE).unwrap();
			open_put(ALICE, 1, 1, 50_000 * USD);
			assert_ok!(Margin::check_trade_margin(&ALICE, Some(&before)));
		}
		assert_eq!(quantity_of(ALICE, 1), 0);

		// Bob sells a second contract: 15,000 <= 16,000 without the add-on, 18,750 with it.
		let before = Margin::margin_snapshot(&BOB).unwrap();
		open_put(BOB, 1, -1, 50_000 * USD);
		assert_noop!(
			Margin::check_trade_margin(&BOB, Some(&before)),
			Error::<Test>::InsufficientMargin
		);
		assert_noop!(Margin::check_trade_margin(&BOB, None), Error::<Test>::InsufficientMargin);
		// The same trade without the add-on passes: it is the add-on that blocks it.
		ImAddOn::<Test>::put(Permill::zero());
		assert_ok!(Margin::check_trade_margin(&BOB, None));
	});
}

#[test]
fn attack_inflating_open_interest_with_a_self_trade_costs_margin_and_moves_the_addon_by_one_point()
{
	ExtBuilder::default().build_and_execute(|| {
		// Honest open interest: Alice's 2 contracts (100,000): coverage 1,000%.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 18_000 * USD));
		open_put(ALICE, 1, -2, 50_000 * USD);
		run_to_block(2);
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
		// The attacker (Charlie short, Keeper long, one owner) trades 1,332 contracts with
		// itself: 66,600,000 of notional. The short leg must post its IM, 1,332 x 7,500 =
		// 9,990,000 (locked, not lost: returned when it closes, less fees the options pallet
		// charges each leg); with one unit less, the trade margin rule refuses it.
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(CHARLIE), USD_ID, 9_990_000 * USD - 1));
		open_put(CHARLIE, 1, -1_332, 50_000 * USD);
		open_put(KEEPER, 1, 1_332, 50_000 * USD);
		assert_noop!(Margin::check_trade_margin(&CHARLIE, None), Error::<Test>::InsufficientMargin);
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(CHARLIE), USD_ID, 1));
		assert_ok!(Margin::check_trade_margin(&CHARLIE, None));
		// Coverage 1,000,000 / 66,700,000 = 1.4993%: the curve says 12.5188%, but within the
		// attack's block nothing changes (the add-on is set in `on_initialize`) ...
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
		assert_ok!(Margin::ensure_initial_margin_of(&ALICE));
		// ... and the next block it rises by one point only.
		run_to_block(3);
		assert_eq!(ImAddOn::<Test>::get(), pct(1));
		assert_eq!(
			margin_events().last(),
			Some(&Event::ImAddOnChanged {
				coverage_ratio: ratio(1_000_000, 66_700_000),
				curve: Permill::from_parts(125_188),
				im_addon: pct(1)
			})
		);
		// Alice's requirement: 15,150 (+150); the attacker's own short needs 99,900 more.
		let alice = Margin::risk(&ALICE).unwrap().requirement;
		assert_eq!(Margin::initial_margin_required(&alice), 15_150 * USD);
		let charlie = Margin::risk(&CHARLIE).unwrap().requirement;
		assert_eq!(Margin::initial_margin_required(&charlie), 10_089_900 * USD);
		// Holding it 12 more blocks reaches the curve (13%: 12.5188% is the cap).
		run_to_block(15);
		assert_eq!(ImAddOn::<Test>::get(), Permill::from_parts(125_188));
		// Closing the self-trade: the add-on falls back to zero the next block.
		open_put(CHARLIE, 1, 1_332, 50_000 * USD);
		open_put(KEEPER, 1, -1_332, 50_000 * USD);
		run_to_block(16);
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
	});
}

#[test]
fn a_fund_worth_zero_or_less_gives_the_maximum_addon_and_no_overflow() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Margin::deposit(RuntimeOrigin::signed(ALICE), USD_ID, 20_000 * USD));
		open_put(ALICE, 1, -2, 50_000 * USD);
		// The fund's short: 100 puts struck at 70,000 at a spot of 50,000, mark 20,000 each:
		// a liability of 2,000,000 against its 1,000,000 of cash: value -1,000,000.
		open_put(fund(), 2, -100, 70_000 * USD);
		assert!(InsuranceFund::fund_value().unwrap() < 0);
		assert_eq!(Margin::coverage_ratio(), Ok(Some(FixedU128::zero())));
		settle_addon();
		assert_eq!(ImAddOn::<Test>::get(), pct(50), "the maximum, after 50 blocks");
		assert_eq!(System::block_number(), 52);
		run_to_block(60);
		assert_eq!(ImAddOn::<Test>::get(), pct(50), "never above it");
		let requirement = Margin::risk(&ALICE).unwrap().requirement;
		assert_eq!(Margin::initial_margin_required(&requirement), 22_500 * USD);
		// Drained to exactly zero instead: the same.
		open_put(fund(), 2, 100, 70_000 * USD);
		assert_ok!(Margin::move_cash(&fund(), &TREASURY, FUND_SEED));
		assert_eq!(InsuranceFund::fund_value(), Ok(0));
		run_to_block(61);
		assert_eq!(ImAddOn::<Test>::get(), pct(50));
		// At the hard bound (100%) the requirement saturates rather than overflow.
		ImAddOn::<Test>::put(MAX_IM_ADDON);
		let huge = MarginRequirement {
			initial: u128::MAX / 2 + 1,
			open_orders: u128::MAX / 2,
			maintenance: 0,
			unrealized_pnl: 0,
		};
		assert_eq!(Margin::initial_margin_required(&huge), u128::MAX);
		let big = MarginRequirement { initial: u128::MAX / 4, ..Default::default() };
		assert_eq!(Margin::initial_margin_required(&big), u128::MAX / 4 * 2);
	});
}

#[test]
fn no_open_interest_means_no_addon() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(Margin::coverage_ratio(), Ok(None));
		// An add-on left from before (say the open interest just closed): gone the next block.
		ImAddOn::<Test>::put(pct(30));
		run_to_block(2);
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
		assert_eq!(
			margin_events().last(),
			Some(&Event::ImAddOnChanged {
				coverage_ratio: None,
				curve: Permill::zero(),
				im_addon: Permill::zero()
			})
		);
		// Even with a fund of zero.
		assert_ok!(Margin::move_cash(&fund(), &TREASURY, FUND_SEED));
		run_to_block(3);
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
		assert_eq!(Margin::account_view(&ALICE).coverage_ratio, None);
	});
}

#[test]
fn an_unavailable_price_keeps_the_addon_in_force() {
	ExtBuilder::default().build_and_execute(|| {
		whale_short(2_000);
		settle_addon();
		assert_eq!(ImAddOn::<Test>::get(), pct(25));
		// The open interest needs BTC's price: without it, the add-on is kept (no event).
		remove_price(BTC_ID);
		let events = margin_events().len();
		assert!(Margin::update_im_addon().is_err());
		run_to_block(System::block_number() + 3);
		assert_eq!(ImAddOn::<Test>::get(), pct(25));
		assert_eq!(margin_events().len(), events);
		let view = Margin::account_view(&WHALE);
		assert_eq!((view.im_addon, view.coverage_ratio), (pct(25), None));
		// Back: the curve again (the whale closed half meanwhile: coverage 2%, no add-on).
		open_put(WHALE, 9, 1_000, 50_000 * USD);
		set_price(BTC_ID, 50_000);
		run_to_block(System::block_number() + 1);
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
	});
}

#[test]
fn coverage_params_are_bounded_and_stepped() {
	ExtBuilder::default().build_and_execute(|| {
		let p = default_params();
		let set = |params| Margin::set_params(RuntimeOrigin::root(), params);
		// Out of bounds: a target of 51% (the bound is checked before the step).
		assert_noop!(
			set(MarginParams { coverage_target: pct(51), ..p }),
			Error::<Test>::ParamOutOfBounds
		);
		// Steps: target 2% -> 3.5% (1.5 points), maximum 50% -> 80% (30 points).
		assert_noop!(
			set(MarginParams { coverage_target: Permill::from_rational(35u32, 1000u32), ..p }),
			Error::<Test>::ParamStepTooLarge
		);
		assert_noop!(
			set(MarginParams { max_im_addon: pct(80), ..p }),
			Error::<Test>::ParamStepTooLarge
		);
		assert_noop!(
			set(MarginParams { max_im_addon: Permill::zero(), ..p }),
			Error::<Test>::ParamStepTooLarge
		);
		assert_eq!(Params::<Test>::get(), p, "state intact");
		// Within the steps: 3%, then 75%, then 100% (the hard bound).
		let new = MarginParams { coverage_target: pct(3), ..p };
		assert_ok!(set(new));
		assert_eq!(margin_events().last(), Some(&Event::ParamsSet { params: new }));
		let new = MarginParams { max_im_addon: pct(75), ..new };
		assert_ok!(set(new));
		let new = MarginParams { max_im_addon: MAX_IM_ADDON, ..new };
		assert_ok!(set(new));
		assert_eq!(Params::<Test>::get(), new);
		// The new curve applies from the next block: coverage 1% of a 3% target, maximum
		// 100%: 66.6667%, reached one point per block.
		whale_short(2_000);
		run_to_block(2);
		assert_eq!(ImAddOn::<Test>::get(), pct(1));
		settle_addon();
		assert_eq!(ImAddOn::<Test>::get(), Permill::from_parts(666_667));
		// Governance lowers the maximum: the add-on follows at once.
		let new = MarginParams { max_im_addon: pct(75), ..new };
		assert_ok!(set(new));
		run_to_block(System::block_number() + 1);
		assert_eq!(ImAddOn::<Test>::get(), Permill::from_parts(500_000));
		// A bad origin changes nothing.
		assert_noop!(
			Margin::set_params(RuntimeOrigin::signed(ALICE), p),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn v3_migration_adds_the_coverage_params_with_their_defaults() {
	use crate::migrations::v3::{v2 as old, MigrateV2ToV3};
	use frame_support::traits::{OnRuntimeUpgrade, StorageVersion};
	ExtBuilder::default().build_and_execute(|| {
		StorageVersion::new(2).put::<Margin>();
		let v2 = old::MarginParams {
			liquidation_penalty: pct(2),
			keeper_reward: Permill::from_rational(3u32, 1000u32),
			max_liquidations_per_block: 7,
			min_deposit: 25 * USD,
		};
		old::Params::<Test>::put(v2);
		// With `try-runtime`, its `pre_upgrade` and `post_upgrade` checks run too.
		#[cfg(feature = "try-runtime")]
		assert_ok!(MigrateV2ToV3::<Test>::try_on_runtime_upgrade(true));
		#[cfg(not(feature = "try-runtime"))]
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Margin::on_chain_storage_version(), 3);
		assert_eq!(
			Params::<Test>::get(),
			MarginParams {
				liquidation_penalty: pct(2),
				keeper_reward: Permill::from_rational(3u32, 1000u32),
				max_liquidations_per_block: 7,
				min_deposit: 25 * USD,
				coverage_target: DEFAULT_COVERAGE_TARGET,
				max_im_addon: DEFAULT_MAX_IM_ADDON,
			}
		);
		assert_eq!((DEFAULT_COVERAGE_TARGET, DEFAULT_MAX_IM_ADDON), (pct(2), pct(50)));
		// Run again: the version guard makes it a no-op.
		Params::<Test>::mutate(|p| p.coverage_target = pct(3));
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Params::<Test>::get().coverage_target, pct(3));
		// The add-on in force starts at zero: the upgrade moves nobody's IM at once.
		assert_eq!(ImAddOn::<Test>::get(), Permill::zero());
	});
}

#[test]
fn on_initialize_charges_the_coverage_update_by_series_and_fund_positions() {
	// The waterfall's end of block is charged for the most positions the fund may hold
	// (`BadDebtCover::max_fund_positions`, 8 in the mock).
	const MAX_FUND_POSITIONS: u32 = 8;
	use crate::weights::WeightInfo;
	use frame_support::traits::{Get, Hooks};
	ExtBuilder::default().build_and_execute(|| {
		let charged = |n| {
			<() as WeightInfo>::process_bad_debt(n)
				.saturating_add(<() as WeightInfo>::process_bad_debt(MAX_FUND_POSITIONS))
				.saturating_add(<() as WeightInfo>::update_im_addon(n))
		};
		// No series, no fund positions.
		assert_eq!(Margin::on_initialize(2), charged(0));
		// Three series with open interest (the fund in none of them).
		for id in 0..3 {
			open_put(WHALE, id, -1, 50_000 * USD);
		}
		let w = Margin::on_initialize(3);
		assert_eq!(
			w,
			<() as WeightInfo>::process_bad_debt(0)
				.saturating_add(<() as WeightInfo>::process_bad_debt(MAX_FUND_POSITIONS))
				.saturating_add(<() as WeightInfo>::update_im_addon(3))
		);
		// The fund long in five more series: the waterfall prices its 5 positions, the
		// coverage update 8 series.
		for id in 10..15 {
			open_put(fund(), id, 1, 50_000 * USD);
		}
		assert_eq!(
			Margin::on_initialize(4),
			<() as WeightInfo>::process_bad_debt(5)
				.saturating_add(<() as WeightInfo>::process_bad_debt(MAX_FUND_POSITIONS))
				.saturating_add(<() as WeightInfo>::update_im_addon(8))
		);
		// A provider that does not count its series is charged the bound (8 here): the `()`
		// provider's count is 0, the trait's default `u32::MAX`.
		assert_eq!(<() as PositionProvider<AccountId>>::open_interest_series(), 0);
		assert_eq!(u32::MAX.min(<Test as Config>::MaxActiveSeries::get()), 8);
	});
}
