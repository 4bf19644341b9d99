//! Benchmarks of the insurance fund (frame-benchmarking v2). Every path is the worst case: the
//! share math with shares outstanding, existing entries read and written, a non-zero payout.

#![cfg(feature = "runtime-benchmarks")]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use solvent_primitives::{BadDebtCover, Balance};
use sp_runtime::traits::Saturating;

const USD: Balance = 1_000_000;

/// `who` stakes `amount` USD units (minted to it first).
fn staked<T: Config>(who: &T::AccountId, amount: Balance) -> Result<(), BenchmarkError> {
	T::BenchmarkHelper::fund_usd(who, amount);
	Pallet::<T>::do_stake(who, amount).map_err(|_| BenchmarkError::Stop("stake failed"))
}

/// A fund with 10,000 USD staked by another account, so that share math divides.
fn seeded_fund<T: Config>() -> Result<(), BenchmarkError> {
	staked::<T>(&account("seed", 0, 0), 10_000 * USD)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A stake into a fund holding `p` positions (taken over in liquidations) and collateral:
	/// valuing the fund prices them all.
	#[benchmark]
	fn stake(p: Linear<0, { T::MaxFundPositions::get() }>) -> Result<(), BenchmarkError> {
		seeded_fund::<T>()?;
		T::BenchmarkHelper::give_fund_positions(&Pallet::<T>::fund_account(), p);
		let caller: T::AccountId = whitelisted_caller();
		staked::<T>(&caller, 10 * USD)?;
		T::BenchmarkHelper::fund_usd(&caller, 100 * USD);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), 100 * USD);

		assert!(Shares::<T>::get(&caller).is_some_and(|s| s.shares > 10 * USD));
		Ok(())
	}

	#[benchmark]
	fn donate() -> Result<(), BenchmarkError> {
		seeded_fund::<T>()?;
		let caller: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::fund_usd(&caller, 100 * USD);
		let cash = Pallet::<T>::fund_cash();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), 100 * USD);

		assert_eq!(Pallet::<T>::fund_cash(), cash + 100 * USD as i128);
		Ok(())
	}

	#[benchmark]
	fn request_unstake() -> Result<(), BenchmarkError> {
		seeded_fund::<T>()?;
		let caller: T::AccountId = whitelisted_caller();
		staked::<T>(&caller, 100 * USD)?;
		// An existing pending unstake is read and extended.
		Pallet::<T>::do_request_unstake(&caller, 10 * USD)
			.map_err(|_| BenchmarkError::Stop("request failed"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), 40 * USD);

		assert_eq!(PendingUnstakes::<T>::get(&caller).map(|p| p.shares), Some(50 * USD));
		Ok(())
	}

	#[benchmark]
	fn cancel_unstake() -> Result<(), BenchmarkError> {
		seeded_fund::<T>()?;
		let caller: T::AccountId = whitelisted_caller();
		staked::<T>(&caller, 100 * USD)?;
		Pallet::<T>::do_request_unstake(&caller, 40 * USD)
			.map_err(|_| BenchmarkError::Stop("request failed"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert_eq!(Shares::<T>::get(&caller).map(|s| s.shares), Some(100 * USD));
		assert!(PendingUnstakes::<T>::get(&caller).is_none());
		Ok(())
	}

	/// A withdrawal from a fund holding `p` positions and collateral.
	#[benchmark]
	fn withdraw_unstaked(
		p: Linear<0, { T::MaxFundPositions::get() }>,
	) -> Result<(), BenchmarkError> {
		seeded_fund::<T>()?;
		T::BenchmarkHelper::give_fund_positions(&Pallet::<T>::fund_account(), p);
		// Enough cash that the fund stays fully margined after paying out (the withdrawal
		// checks the fund's margin, pricing every position).
		staked::<T>(&account("seed", 1, 0), 10_000_000 * USD)?;
		let caller: T::AccountId = whitelisted_caller();
		staked::<T>(&caller, 100 * USD)?;
		// The fund's positions set the share price: unstake every share the stake bought.
		let shares = Shares::<T>::get(&caller).ok_or(BenchmarkError::Stop("no shares"))?.shares;
		Pallet::<T>::do_request_unstake(&caller, shares)
			.map_err(|_| BenchmarkError::Stop("request failed"))?;
		let unlock_at = PendingUnstakes::<T>::get(&caller)
			.map(|p| p.unlock_at)
			.ok_or(BenchmarkError::Stop("no pending unstake"))?;
		frame_system::Pallet::<T>::set_block_number(unlock_at);
		let total_before = TotalShares::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert!(PendingUnstakes::<T>::get(&caller).is_none());
		assert_eq!(TotalShares::<T>::get(), total_before - shares);
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::RiskAdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let old = Params::<T>::get();
		// Every field moves by a tenth of its value, within bounds and steps.
		let cooldown: BlockNumberFor<T> = old
			.unstake_cooldown
			.saturating_add(old.unstake_cooldown / 10u32.into())
			.min(T::MaxUnstakeCooldown::get());
		let new = FundParams {
			payout_cap_per_block: old
				.payout_cap_per_block
				.saturating_add(old.payout_cap_per_block / 10)
				.min(MAX_PAYOUT_CAP_PER_BLOCK),
			unstake_cooldown: cooldown,
			unstake_window: old
				.unstake_window
				.saturating_add(old.unstake_window / 10u32.into())
				.min(T::MaxUnstakeCooldown::get()),
			fee_share: old
				.fee_share
				.saturating_add(Permill::from_parts(old.fee_share.deconstruct() / 10))
				.min(MAX_FEE_SHARE),
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, new);

		assert_eq!(Params::<T>::get(), new);
		Ok(())
	}

	/// `BadDebtCover::cover`, called by the margin pallet during liquidation.
	#[benchmark]
	fn cover() -> Result<(), BenchmarkError> {
		seeded_fund::<T>()?;
		// A payout earlier in the same block: the record is read and updated.
		let _ = <Pallet<T> as BadDebtCover<T::AccountId>>::cover(USD);
		let covered;

		#[block]
		{
			covered = <Pallet<T> as BadDebtCover<T::AccountId>>::cover(500 * USD);
		}

		assert_eq!(covered, 500 * USD);
		Ok(())
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
