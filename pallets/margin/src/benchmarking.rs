//! Benchmarks of the margin pallet (frame-benchmarking v2), each over its worst case: accounts
//! holding every collateral asset and the maximum positions, so that every margin check prices
//! everything the account holds.

#![cfg(feature = "runtime-benchmarks")]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::{
	ensure,
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use solvent_primitives::{BadDebtCover, Balance, PositionProvider};
use sp_arithmetic::Permill;

const USD: Balance = 1_000_000;

/// `who` deposits `usd` whole USD of cash and a little of every collateral asset but the last.
fn funded<T: Config>(who: &T::AccountId, usd: Balance) -> Result<(), BenchmarkError> {
	let settlement = T::SettlementAsset::get();
	T::BenchmarkHelper::fund(settlement, who, usd * USD);
	Pallet::<T>::do_deposit(who, who, settlement, usd * USD)
		.map_err(|_| BenchmarkError::Stop("USD deposit failed"))?;
	let assets = T::MaxCollateralAssets::get().saturating_sub(1);
	for i in 0..assets {
		let asset = T::BenchmarkHelper::collateral_asset(i);
		if Collateral::<T>::get(asset).is_none() {
			continue;
		}
		T::BenchmarkHelper::fund(asset, who, 1_000);
		Pallet::<T>::do_deposit(who, who, asset, 1_000)
			.map_err(|_| BenchmarkError::Stop("collateral deposit failed"))?;
	}
	Ok(())
}

/// An account with `positions` short positions that the price crash makes liquidatable.
fn victim<T: Config>(
	name: &'static str,
	index: u32,
	positions: u32,
) -> Result<T::AccountId, BenchmarkError> {
	let who: T::AccountId = account(name, index, 0);
	funded::<T>(&who, 12_000u128.saturating_mul(positions.max(1) as u128))?;
	T::BenchmarkHelper::open_positions(&who, positions);
	Ok(who)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The deposit that opens a margin account with a collateral asset: its haircut value is
	/// priced against the minimum deposit.
	#[benchmark]
	fn deposit() -> Result<(), BenchmarkError> {
		T::BenchmarkHelper::set_prices();
		let caller: T::AccountId = whitelisted_caller();
		let asset = T::BenchmarkHelper::collateral_asset(0);
		let amount = 100_000_000;
		T::BenchmarkHelper::fund(asset, &caller, amount);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), asset, amount);

		assert!(Accounts::<T>::get(&caller).is_some());
		Ok(())
	}

	#[benchmark]
	fn withdraw(p: Linear<0, { T::MaxPositions::get() }>) -> Result<(), BenchmarkError> {
		T::BenchmarkHelper::set_prices();
		let caller: T::AccountId = whitelisted_caller();
		funded::<T>(&caller, 100_000 + 12_000 * p as u128)?;
		T::BenchmarkHelper::open_positions(&caller, p);
		let before = Pallet::<T>::cash_of(&caller);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), T::SettlementAsset::get(), USD);

		assert_eq!(Pallet::<T>::cash_of(&caller), before - USD as i128);
		Ok(())
	}

	/// A keeper liquidates an account with `p` short positions and the most resting orders an
	/// account may have (cancelled in the call).
	#[benchmark]
	fn liquidate(p: Linear<1, { T::MaxPositions::get() }>) -> Result<(), BenchmarkError> {
		T::BenchmarkHelper::set_prices();
		let who = victim::<T>("victim", 0, p)?;
		T::BenchmarkHelper::open_orders(&who, T::MaxOpenOrders::get());
		T::BenchmarkHelper::crash_prices();
		ensure!(Pallet::<T>::liquidatable_risk(&who).is_some(), "victim must be liquidatable");
		let keeper: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), who.clone());

		ensure!(Pallet::<T>::liquidatable_risk(&who).is_none(), "victim liquidated");
		Ok(())
	}

	/// `n` accounts with one position each plus `p` more positions on the first.
	#[benchmark]
	fn liquidate_batch(
		n: Linear<1, { T::MaxLiquidationsPerBlock::get() }>,
		p: Linear<0, { T::MaxPositions::get() }>,
	) -> Result<(), BenchmarkError> {
		T::BenchmarkHelper::set_prices();
		Params::<T>::mutate(|params| {
			params.max_liquidations_per_block = T::MaxLiquidationsPerBlock::get()
		});
		let mut accounts = alloc::vec::Vec::new();
		for i in 0..n {
			let positions = if i == 0 { p.max(1) } else { 1 };
			accounts.push(victim::<T>("victim", i, positions)?);
		}
		T::BenchmarkHelper::crash_prices();
		let witness = n + p;
		let batch: BoundedVec<_, _> = BoundedVec::try_from(accounts.clone())
			.map_err(|_| BenchmarkError::Stop("batch too long"))?;

		// The block's validation of the unsigned batch (shape, witness, one account
		// liquidatable), then the dispatch.
		#[block]
		{
			Pallet::<T>::check_batch(&accounts, witness)
				.map_err(|_| BenchmarkError::Stop("batch invalid"))?;
			Pallet::<T>::liquidate_batch(RawOrigin::None.into(), batch, witness)
				.map_err(|_| BenchmarkError::Stop("batch failed"))?;
		}

		for who in accounts {
			ensure!(Pallet::<T>::liquidatable_risk(&who).is_none(), "every account liquidated");
		}
		Ok(())
	}

	/// The loss waterfall's `on_initialize` at its heaviest (and `on_finalize`'s
	/// `settle_fund_losses`, the same work): the fund holds `p` positions, up to the most it
	/// may hold as the backstop (`BadDebtCover::max_fund_positions`, every active series:
	/// 256 in the runtime, where a trader holds at most `MaxPositions`, 16), and negative
	/// cash 1 USD beyond its realizable backing, so it pays nothing, the uncovered bad debt
	/// is socialized, and the fund is priced (every position) and its realized deficit
	/// socialized too.
	#[benchmark]
	fn process_bad_debt(
		p: Linear<0, { T::BadDebt::max_fund_positions() }>,
	) -> Result<(), BenchmarkError> {
		T::BenchmarkHelper::set_prices();
		let fund = T::BadDebt::fund_account();
		T::BenchmarkHelper::give_fund_positions(&fund, p);
		ensure!(
			T::Positions::position_count(&fund) == p,
			"the fund must hold p positions (the runtime helper could not open them all)"
		);
		let trader: T::AccountId = account("trader", 0, 0);
		funded::<T>(&trader, 1_000_000)?;
		let backing = Pallet::<T>::risk(&fund)
			.map_err(|_| BenchmarkError::Stop("fund not priced"))?
			.realizable_backing();
		let (stored, mut account) = Pallet::<T>::load_account(&fund);
		account.cash = -backing.saturating_add(to_signed(USD));
		Pallet::<T>::write_account(&fund, &stored, account);
		UncoveredBadDebt::<T>::put(100_000 * USD);
		let progress;

		#[block]
		{
			progress = Pallet::<T>::process_bad_debt();
		}

		ensure!(UncoveredBadDebt::<T>::get() == 0, "uncovered debt socialized");
		ensure!(progress.fund_priced && progress.fund_deficit == USD, "fund deficit socialized");
		Ok(())
	}

	/// The initial-margin add-on's `on_initialize` at its heaviest: the fund holds `p`
	/// positions (in `p` series with open interest) and every collateral asset, so its value
	/// prices everything, the open interest prices every series, and the add-on in force
	/// changes (written, event).
	#[benchmark]
	fn update_im_addon(p: Linear<0, { T::MaxPositions::get() }>) -> Result<(), BenchmarkError> {
		T::BenchmarkHelper::set_prices();
		let fund = T::BadDebt::fund_account();
		T::BenchmarkHelper::open_positions(&fund, p);
		for i in 0..T::MaxCollateralAssets::get().saturating_sub(1) {
			let asset = T::BenchmarkHelper::collateral_asset(i);
			if Collateral::<T>::get(asset).is_none() {
				continue;
			}
			T::BenchmarkHelper::fund(asset, &fund, 1_000);
			Pallet::<T>::do_deposit(&fund, &fund, asset, 1_000)
				.map_err(|_| BenchmarkError::Stop("fund collateral deposit failed"))?;
		}
		ImAddOn::<T>::put(MAX_IM_ADDON);
		let result;

		#[block]
		{
			result = Pallet::<T>::update_im_addon();
		}

		let (_, addon) = result.map_err(|_| BenchmarkError::Stop("coverage unavailable"))?;
		ensure!(addon != MAX_IM_ADDON && ImAddOn::<T>::get() == addon, "add-on changed");
		Ok(())
	}

	#[benchmark]
	fn set_collateral_params() -> Result<(), BenchmarkError> {
		let origin =
			T::RiskAdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let asset = T::BenchmarkHelper::collateral_asset(0);
		let params = CollateralParams { haircut: Permill::from_percent(5), enabled: true };
		Collateral::<T>::insert(
			asset,
			CollateralParams { haircut: Permill::from_percent(10), enabled: true },
		);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, asset, params);

		assert_eq!(Collateral::<T>::get(asset), Some(params));
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::RiskAdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let params = MarginParams { max_liquidations_per_block: 1, ..Params::<T>::get() };

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
