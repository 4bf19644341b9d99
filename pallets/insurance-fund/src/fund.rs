//! The fund's logic: share math, stake and unstake, bad-debt cover, parameters, and the views
//! behind the runtime API. The dispatchables in `lib.rs` only check the origin and call here.

use crate::{pallet::*, types::*};
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult},
	storage::with_storage_layer,
	traits::Get,
};
use frame_system::pallet_prelude::BlockNumberFor;
use solvent_primitives::{
	positive_part, within_step, BadDebtCover, Balance, MarginLedger, PositionProvider,
	SignedBalance,
};
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Bounded, Zero},
	FixedPointNumber, FixedU128, Rounding,
};
use sp_runtime::{
	traits::{AccountIdConversion, Saturating, UniqueSaturatedInto},
	ArithmeticError,
};

impl<T: Config> Pallet<T> {
	// ---------------------------------------------------------------- views

	/// The fund's account; its margin account holds the fund.
	pub fn fund_account() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Positions (and series with resting orders) the fund's margin account holds: what
	/// valuing it costs. Reads the position provider's indexes only.
	pub fn fund_position_count() -> u32 {
		T::Positions::position_count(&Self::fund_account())
	}

	/// Cash of the fund's margin account (USD units; negative is a debt).
	pub fn fund_cash() -> SignedBalance {
		T::Ledger::cash(&Self::fund_account())
	}

	/// Value of the fund: equity of its margin account (USD units), i.e. cash + haircut value
	/// of collateral taken over + mark value of positions taken over.
	///
	/// Errors: [`Error::FundValueUnavailable`] if a price the equity needs is unavailable.
	pub fn fund_value() -> Result<SignedBalance, DispatchError> {
		T::Ledger::equity(&Self::fund_account()).map_err(|e| {
			log::debug!(target: "runtime::insurance-fund", "fund equity unavailable: {e:?}");
			Error::<T>::FundValueUnavailable.into()
		})
	}

	/// Share units outstanding (6 decimals), pending unstakes included.
	pub fn total_shares() -> Balance {
		TotalShares::<T>::get()
	}

	/// USD per whole share (`FixedU128`) = fund value (USD units) / total shares (share units).
	/// `Ok(None)` without shares; `Ok(Some(0))` when the value is not positive.
	///
	/// Errors: [`Error::FundValueUnavailable`].
	pub fn share_value() -> Result<Option<FixedU128>, DispatchError> {
		let total = TotalShares::<T>::get();
		if total.is_zero() {
			return Ok(None);
		}
		let value = positive_part(Self::fund_value()?);
		Ok(Some(FixedU128::checked_from_rational(value, total).unwrap_or(Bounded::max_value())))
	}

	/// Coverage ratio = fund value / open interest notional (both USD units), a fraction.
	/// `Ok(None)` when open interest is zero; `Ok(Some(0))` when the value is not positive.
	///
	/// Errors: [`Error::FundValueUnavailable`] if the fund's value or the open interest needs
	/// an unavailable price.
	pub fn coverage_ratio() -> Result<Option<FixedU128>, DispatchError> {
		let value = positive_part(Self::fund_value()?);
		let open_interest =
			T::Positions::open_interest_notional().map_err(|_| Error::<T>::FundValueUnavailable)?;
		if open_interest.is_zero() {
			return Ok(None);
		}
		Ok(Some(
			FixedU128::checked_from_rational(value, open_interest).unwrap_or(Bounded::max_value()),
		))
	}

	/// `(paid, cap)`: bad-debt cover paid in block `now` and the payout cap in force for it.
	pub fn payouts_in(now: BlockNumberFor<T>) -> (Balance, Balance) {
		match Payouts::<T>::get() {
			Some(record) if record.block == now => (record.paid, record.cap),
			_ => (0, Params::<T>::get().payout_cap_per_block),
		}
	}

	/// The fund's state for the runtime API.
	pub fn fund_info() -> FundInfo {
		let now = frame_system::Pallet::<T>::block_number();
		let (paid, cap) = Self::payouts_in(now);
		FundInfo {
			cash: Self::fund_cash(),
			value: Self::fund_value().ok(),
			total_shares: TotalShares::<T>::get(),
			share_value: Self::share_value().ok().flatten(),
			coverage_ratio: Self::coverage_ratio().ok().flatten(),
			payout_cap_per_block: cap,
			paid_this_block: paid,
			fee_share: Params::<T>::get().fee_share,
		}
	}

	/// A staker's shares, pending unstake and their current value, for the runtime API.
	pub fn staker_info(who: &T::AccountId) -> StakerInfo<BlockNumberFor<T>> {
		let shares = Shares::<T>::get(who).unwrap_or(0);
		let pending_unstake = PendingUnstakes::<T>::get(who);
		let all = shares.saturating_add(pending_unstake.map_or(0, |p| p.shares));
		let value = Self::fund_value()
			.ok()
			.map(|v| Self::shares_to_usd(all, v, TotalShares::<T>::get()).unwrap_or(0));
		StakerInfo { shares, pending_unstake, value }
	}

	// ---------------------------------------------------------------- share math

	/// Share units minted for a stake of `amount` USD units into a fund worth `value` USD units
	/// with `total_shares` outstanding: `amount x total_shares / value`, rounded down (the
	/// staker is owed the shares). A fund without shares mints `amount` (one share unit per USD
	/// unit), so existing value, if any, accrues to the first stakers.
	///
	/// Errors: [`Error::FundValueNotPositive`] if `value < 0`, or `value == 0` with shares
	/// outstanding (new money must not pay old losses); [`Error::Overflow`].
	pub fn shares_for_stake(
		amount: Balance,
		value: SignedBalance,
		total_shares: Balance,
	) -> Result<Balance, Error<T>> {
		if total_shares.is_zero() {
			ensure!(value >= 0, Error::<T>::FundValueNotPositive);
			return Ok(amount);
		}
		ensure!(value > 0, Error::<T>::FundValueNotPositive);
		multiply_by_rational_with_rounding(
			amount,
			total_shares,
			value.unsigned_abs(),
			Rounding::Down,
		)
		.ok_or(Error::<T>::Overflow)
	}

	/// USD units that `shares` of `total_shares` are worth in a fund worth `value` USD units:
	/// `shares x value / total_shares`, rounded down; `0` when `value` is not positive.
	///
	/// Errors: [`Error::Overflow`] (only if `shares > total_shares`).
	pub fn shares_to_usd(
		shares: Balance,
		value: SignedBalance,
		total_shares: Balance,
	) -> Result<Balance, Error<T>> {
		if value <= 0 || shares.is_zero() {
			return Ok(0);
		}
		multiply_by_rational_with_rounding(
			shares,
			value.unsigned_abs(),
			total_shares,
			Rounding::Down,
		)
		.ok_or(Error::<T>::Overflow)
	}

	// ---------------------------------------------------------------- calls

	/// See [`Pallet::stake`].
	pub fn do_stake(who: &T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let value = Self::fund_value()?;
		let total = TotalShares::<T>::get();
		let minted = Self::shares_for_stake(amount, value, total)?;
		ensure!(!minted.is_zero(), Error::<T>::StakeTooSmall);
		let new_total = total.checked_add(minted).ok_or(Error::<T>::Overflow)?;
		let new_shares =
			Shares::<T>::get(who).unwrap_or(0).checked_add(minted).ok_or(Error::<T>::Overflow)?;

		T::Ledger::deposit_cash(who, &Self::fund_account(), amount)?;
		Shares::<T>::insert(who, new_shares);
		TotalShares::<T>::put(new_total);
		Self::deposit_event(Event::Staked {
			who: who.clone(),
			amount,
			shares: minted,
			fund_value: value,
			total_shares: new_total,
		});
		Ok(())
	}

	/// See [`Pallet::request_unstake`].
	pub fn do_request_unstake(who: &T::AccountId, shares: Balance) -> DispatchResult {
		ensure!(!shares.is_zero(), Error::<T>::ZeroShares);
		let active = Shares::<T>::get(who).unwrap_or(0);
		let remaining = active.checked_sub(shares).ok_or(Error::<T>::InsufficientShares)?;
		let pending_shares = PendingUnstakes::<T>::get(who)
			.map_or(0, |p| p.shares)
			.checked_add(shares)
			.ok_or(Error::<T>::Overflow)?;
		let now = frame_system::Pallet::<T>::block_number();
		let unlock_at = now.saturating_add(Params::<T>::get().unstake_cooldown);

		if remaining.is_zero() {
			Shares::<T>::remove(who);
		} else {
			Shares::<T>::insert(who, remaining);
		}
		PendingUnstakes::<T>::insert(who, PendingUnstake { shares: pending_shares, unlock_at });
		Self::deposit_event(Event::UnstakeRequested {
			who: who.clone(),
			shares,
			pending_shares,
			unlock_at,
		});
		Ok(())
	}

	/// See [`Pallet::cancel_unstake`].
	pub fn do_cancel_unstake(who: &T::AccountId) -> DispatchResult {
		let pending = PendingUnstakes::<T>::get(who).ok_or(Error::<T>::NothingPending)?;
		let active = Shares::<T>::get(who)
			.unwrap_or(0)
			.checked_add(pending.shares)
			.ok_or(Error::<T>::Overflow)?;

		PendingUnstakes::<T>::remove(who);
		Shares::<T>::insert(who, active);
		Self::deposit_event(Event::UnstakeCancelled { who: who.clone(), shares: pending.shares });
		Ok(())
	}

	/// See [`Pallet::withdraw_unstaked`].
	pub fn do_withdraw_unstaked(who: &T::AccountId) -> DispatchResult {
		let pending = PendingUnstakes::<T>::get(who).ok_or(Error::<T>::NothingPending)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= pending.unlock_at, Error::<T>::CooldownNotOver);
		let value = Self::fund_value()?;
		ensure!(value > 0, Error::<T>::FundValueNotPositive);
		let total = TotalShares::<T>::get();
		let amount = Self::shares_to_usd(pending.shares, value, total)?;
		let fund = Self::fund_account();
		ensure!(
			T::Ledger::cash(&fund) >= SignedBalance::try_from(amount).unwrap_or(SignedBalance::MAX),
			Error::<T>::InsufficientFundCash
		);
		let new_total = total.checked_sub(pending.shares).ok_or(ArithmeticError::Underflow)?;

		if !amount.is_zero() {
			T::Ledger::withdraw_cash(&fund, who, amount)?;
		}
		PendingUnstakes::<T>::remove(who);
		TotalShares::<T>::put(new_total);
		Self::deposit_event(Event::Unstaked {
			who: who.clone(),
			shares: pending.shares,
			amount,
			fund_value: value,
			total_shares: new_total,
		});
		Ok(())
	}

	/// See [`Pallet::set_params`].
	pub fn do_set_params(new: FundParamsOf<T>) -> DispatchResult {
		Self::check_bounds(&new)?;
		let old = Params::<T>::get();
		ensure!(
			within_step(old.payout_cap_per_block, new.payout_cap_per_block, MAX_PARAM_STEP),
			Error::<T>::PayoutCapStepTooLarge
		);
		ensure!(
			within_step(
				old.unstake_cooldown.unique_saturated_into(),
				new.unstake_cooldown.unique_saturated_into(),
				MAX_PARAM_STEP
			),
			Error::<T>::CooldownStepTooLarge
		);
		ensure!(
			within_step(
				old.fee_share.deconstruct().into(),
				new.fee_share.deconstruct().into(),
				MAX_PARAM_STEP
			),
			Error::<T>::FeeShareStepTooLarge
		);

		Params::<T>::put(new);
		Self::deposit_event(Event::ParamsUpdated { old, new });
		Ok(())
	}

	/// `Ok` if every field of `params` is within its hard bounds.
	pub fn check_bounds(params: &FundParamsOf<T>) -> Result<(), Error<T>> {
		ensure!(
			(MIN_PAYOUT_CAP_PER_BLOCK..=MAX_PAYOUT_CAP_PER_BLOCK)
				.contains(&params.payout_cap_per_block),
			Error::<T>::PayoutCapOutOfBounds
		);
		ensure!(
			params.unstake_cooldown >= T::MinUnstakeCooldown::get()
				&& params.unstake_cooldown <= T::MaxUnstakeCooldown::get(),
			Error::<T>::CooldownOutOfBounds
		);
		ensure!(params.fee_share <= MAX_FEE_SHARE, Error::<T>::FeeShareOutOfBounds);
		Ok(())
	}

	/// Pay up to `amount` USD units of `debtor`'s bad debt: see [`BadDebtCover::cover`].
	///
	/// Pays `min(amount, cap remaining this block, max(fund cash, 0))` into `debtor`'s cash
	/// with `MarginLedger::transfer_cash` and returns it. Emits [`Event::BadDebtCovered`] for
	/// every non-zero request (also when nothing could be covered). If the ledger rejects the
	/// transfer, nothing changes and `0` is returned.
	pub fn do_cover(debtor: &T::AccountId, amount: Balance) -> Balance {
		let fund = Self::fund_account();
		if amount.is_zero() || *debtor == fund {
			return 0;
		}
		let now = frame_system::Pallet::<T>::block_number();
		let (paid, cap) = Self::payouts_in(now);
		let cash = positive_part(T::Ledger::cash(&fund));
		let mut covered = amount.min(cap.saturating_sub(paid)).min(cash);
		if !covered.is_zero() {
			match with_storage_layer(|| T::Ledger::transfer_cash(&fund, debtor, covered)) {
				Ok(()) => Payouts::<T>::put(BlockPayouts {
					block: now,
					paid: paid.saturating_add(covered),
					cap,
				}),
				Err(e) => {
					log::warn!(
						target: "runtime::insurance-fund",
						"bad-debt cover of {covered} failed: {e:?}"
					);
					covered = 0;
				}
			}
		}
		Self::deposit_event(Event::BadDebtCovered {
			debtor: debtor.clone(),
			requested: amount,
			covered,
		});
		covered
	}

	// ---------------------------------------------------------------- invariants

	/// Invariants: total shares = sum of active + pending shares; no zero entries; the cover
	/// paid in the current block is within its cap; the parameters are within bounds.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut sum: Balance = 0;
		for (_, shares) in Shares::<T>::iter() {
			ensure!(!shares.is_zero(), "zero entry in Shares");
			sum = sum.checked_add(shares).ok_or("share sum overflows")?;
		}
		for (_, pending) in PendingUnstakes::<T>::iter() {
			ensure!(!pending.shares.is_zero(), "zero entry in PendingUnstakes");
			sum = sum.checked_add(pending.shares).ok_or("share sum overflows")?;
		}
		ensure!(sum == TotalShares::<T>::get(), "TotalShares != sum of active and pending shares");
		let (paid, cap) = Self::payouts_in(frame_system::Pallet::<T>::block_number());
		ensure!(paid <= cap, "paid this block exceeds the payout cap");
		Self::check_bounds(&Params::<T>::get()).map_err(|_| "params out of bounds")?;
		Ok(())
	}
}

impl<T: Config> BadDebtCover<T::AccountId> for Pallet<T> {
	fn fund_account() -> T::AccountId {
		Self::fund_account()
	}

	fn cover(debtor: &T::AccountId, amount: Balance) -> Balance {
		Self::do_cover(debtor, amount)
	}
}
