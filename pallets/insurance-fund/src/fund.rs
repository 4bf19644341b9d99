//! The fund's logic: share math, stake and unstake, bad-debt cover, parameters, and the views
//! behind the runtime API. The dispatchables in `lib.rs` only check the origin and call here.

use crate::{pallet::*, types::*};
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult},
	traits::Get,
};
use frame_system::pallet_prelude::BlockNumberFor;
use solvent_primitives::{
	positive_part, within_step, BadDebtCover, Balance, MarginLedger, OracleGuard, PositionProvider,
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

	/// Value of the fund (USD units): equity of its margin account (cash + haircut value of
	/// collateral taken over + mark value of positions taken over) less the bad debt it has
	/// taken over and not yet paid (`MarginLedger::uncovered_bad_debt`).
	///
	/// Errors: [`Error::FundValueUnavailable`] if a price the equity needs is unavailable.
	pub fn fund_value() -> Result<SignedBalance, DispatchError> {
		let equity = T::Ledger::equity(&Self::fund_account()).map_err(|e| {
			log::debug!(target: "runtime::insurance-fund", "fund equity unavailable: {e:?}");
			Error::<T>::FundValueUnavailable
		})?;
		let owed =
			SignedBalance::try_from(T::Ledger::uncovered_bad_debt()).unwrap_or(SignedBalance::MAX);
		Ok(equity.saturating_sub(owed))
	}

	/// Share units outstanding (6 decimals), pending unstakes included.
	pub fn total_shares() -> Balance {
		TotalShares::<T>::get()
	}

	/// USD per whole share (`FixedU128`) = fund value (USD units) / total shares (share units).
	/// `Ok(None)` without shares; `Ok(Some(0))` when the value is not positive. (Stakes and
	/// withdrawals add one virtual unit to each side, a difference below 10^-6 USD per share
	/// for a fund above 1 USD.)
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

	/// `who`'s active share units in the current share epoch (0 for a written-off record).
	pub fn active_shares(who: &T::AccountId) -> Balance {
		let epoch = CurrentShareEpoch::<T>::get();
		Shares::<T>::get(who).filter(|s| s.epoch == epoch).map_or(0, |s| s.shares)
	}

	/// `who`'s pending unstake in the current share epoch (`None` for a written-off one).
	pub fn pending_unstake(who: &T::AccountId) -> Option<PendingUnstake<BlockNumberFor<T>>> {
		let epoch = CurrentShareEpoch::<T>::get();
		PendingUnstakes::<T>::get(who).filter(|p| p.epoch == epoch)
	}

	/// A staker's shares, pending unstake and their current value, for the runtime API.
	/// Records of a written-off share epoch read as none.
	pub fn staker_info(who: &T::AccountId) -> StakerInfo<BlockNumberFor<T>> {
		let shares = Self::active_shares(who);
		let pending_unstake = Self::pending_unstake(who);
		let all = shares.saturating_add(pending_unstake.map_or(0, |p| p.shares));
		let value = Self::fund_value()
			.ok()
			.map(|v| Self::shares_to_usd(all, v, TotalShares::<T>::get()).unwrap_or(0));
		StakerInfo { shares, pending_unstake, value }
	}

	// ---------------------------------------------------------------- share math

	/// Whether the fund is wiped out (see [`WIPED_OUT_SHARES_PER_USD_UNIT`]): shares are
	/// outstanding and the fund's `value` (USD units, net of what it owes) is at least zero and
	/// below one USD unit per `WIPED_OUT_SHARES_PER_USD_UNIT` share units.
	///
	/// Errors: [`Error::BadDebtPending`] if it is, but still owes bad debt it has not paid (the
	/// write-off waits until the loss is settled, within a few blocks of the payout cap).
	pub fn is_wiped_out(value: SignedBalance, total_shares: Balance) -> Result<bool, Error<T>> {
		if total_shares.is_zero() || value < 0 {
			return Ok(false);
		}
		let wiped =
			value.unsigned_abs().saturating_mul(WIPED_OUT_SHARES_PER_USD_UNIT) < total_shares;
		ensure!(!wiped || T::Ledger::uncovered_bad_debt().is_zero(), Error::<T>::BadDebtPending);
		Ok(wiped)
	}

	/// Share units minted for a stake of `amount` USD units into a fund worth `value` USD units
	/// with `total_shares` outstanding, rounded down (the staker is owed the shares):
	///
	/// ```text
	/// shares = amount x (total_shares + VIRTUAL_SHARES) / (value + VIRTUAL_USD)
	/// ```
	///
	/// The first stake into a fund without shares mints one share unit per USD unit (the
	/// first stakers get what the fund already holds). The virtual share and USD unit are the
	/// offset of OpenZeppelin's ERC-4626 vaults: a staker who inflates the share value by
	/// donating, so that later stakes round down to fewer shares, loses at least what they
	/// lose. A wiped-out fund is not priced here: [`Pallet::do_stake`] writes its shares off
	/// first ([`WIPED_OUT_SHARES_PER_USD_UNIT`]), so this is never called at a share value
	/// below 10^-6 USD unit per share unit.
	///
	/// Errors: [`Error::FundValueNotPositive`] if `value < 0` (new money must not pay old
	/// losses: the deficit is socialized when realized, or a `donate` covers it first);
	/// [`Error::Overflow`].
	pub fn shares_for_stake(
		amount: Balance,
		value: SignedBalance,
		total_shares: Balance,
	) -> Result<Balance, Error<T>> {
		ensure!(value >= 0, Error::<T>::FundValueNotPositive);
		if total_shares.is_zero() {
			// The first stakers get one share unit per USD unit and whatever the fund holds.
			return Ok(amount);
		}
		multiply_by_rational_with_rounding(
			amount,
			total_shares.checked_add(VIRTUAL_SHARES).ok_or(Error::<T>::Overflow)?,
			value.unsigned_abs().checked_add(VIRTUAL_USD).ok_or(Error::<T>::Overflow)?,
			Rounding::Down,
		)
		.ok_or(Error::<T>::Overflow)
	}

	/// USD units that `shares` of `total_shares` are worth in a fund worth `value` USD units:
	/// `shares x (value + VIRTUAL_USD) / (total_shares + VIRTUAL_SHARES)`, rounded down, at
	/// most `value`; `0` when `value` is not positive.
	///
	/// Errors: [`Error::Overflow`].
	pub fn shares_to_usd(
		shares: Balance,
		value: SignedBalance,
		total_shares: Balance,
	) -> Result<Balance, Error<T>> {
		if value <= 0 || shares.is_zero() {
			return Ok(0);
		}
		let usd = multiply_by_rational_with_rounding(
			shares,
			value.unsigned_abs().checked_add(VIRTUAL_USD).ok_or(Error::<T>::Overflow)?,
			total_shares.checked_add(VIRTUAL_SHARES).ok_or(Error::<T>::Overflow)?,
			Rounding::Down,
		)
		.ok_or(Error::<T>::Overflow)?;
		Ok(usd.min(value.unsigned_abs()))
	}

	// ---------------------------------------------------------------- calls

	/// See [`Pallet::stake`]. A wiped-out fund ([`Pallet::is_wiped_out`]) first writes its
	/// outstanding shares off (a new share epoch); the stake then mints one share unit per
	/// USD unit. The staker's own record of an ended epoch is replaced.
	pub fn do_stake(who: &T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let value = Self::fund_value()?;
		let old_total = TotalShares::<T>::get();
		let old_epoch = CurrentShareEpoch::<T>::get();
		let write_off = Self::is_wiped_out(value, old_total)?;
		let (total, epoch) = if write_off {
			(0, old_epoch.checked_add(1).ok_or(Error::<T>::Overflow)?)
		} else {
			(old_total, old_epoch)
		};
		let minted = Self::shares_for_stake(amount, value, total)?;
		ensure!(!minted.is_zero(), Error::<T>::StakeTooSmall);
		let new_total = total.checked_add(minted).ok_or(Error::<T>::Overflow)?;
		let stale = Shares::<T>::get(who).filter(|s| s.epoch != epoch);
		let kept = Shares::<T>::get(who).filter(|s| s.epoch == epoch).map_or(0, |s| s.shares);
		let new_shares = kept.checked_add(minted).ok_or(Error::<T>::Overflow)?;

		T::Ledger::deposit_cash(who, &Self::fund_account(), amount)?;
		if write_off {
			CurrentShareEpoch::<T>::put(epoch);
			Self::deposit_event(Event::SharesWrittenOff {
				epoch: old_epoch,
				shares: old_total,
				value,
			});
		}
		if let Some(old) = stale {
			Self::deposit_event(Event::StakeWrittenOff {
				who: who.clone(),
				shares: old.shares,
				epoch: old.epoch,
			});
		}
		Shares::<T>::insert(who, Stake { shares: new_shares, epoch });
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

	/// See [`Pallet::donate`].
	pub fn do_donate(who: &T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		T::Ledger::deposit_cash(who, &Self::fund_account(), amount)?;
		Self::deposit_event(Event::Donated { who: who.clone(), amount });
		Ok(())
	}

	/// Remove `who`'s pending unstake if it belongs to an ended share epoch (emits
	/// [`Event::StakeWrittenOff`]). Returns whether it did.
	fn drop_stale_pending(who: &T::AccountId) -> bool {
		let epoch = CurrentShareEpoch::<T>::get();
		match PendingUnstakes::<T>::get(who) {
			Some(p) if p.epoch != epoch => {
				PendingUnstakes::<T>::remove(who);
				Self::deposit_event(Event::StakeWrittenOff {
					who: who.clone(),
					shares: p.shares,
					epoch: p.epoch,
				});
				true
			}
			_ => false,
		}
	}

	/// Remove `who`'s active shares if they belong to an ended share epoch (emits
	/// [`Event::StakeWrittenOff`]). Returns whether it did.
	fn drop_stale_shares(who: &T::AccountId) -> bool {
		let epoch = CurrentShareEpoch::<T>::get();
		match Shares::<T>::get(who) {
			Some(s) if s.epoch != epoch => {
				Shares::<T>::remove(who);
				Self::deposit_event(Event::StakeWrittenOff {
					who: who.clone(),
					shares: s.shares,
					epoch: s.epoch,
				});
				true
			}
			_ => false,
		}
	}

	/// See [`Pallet::request_unstake`].
	pub fn do_request_unstake(who: &T::AccountId, shares: Balance) -> DispatchResult {
		ensure!(!shares.is_zero(), Error::<T>::ZeroShares);
		let epoch = CurrentShareEpoch::<T>::get();
		let record = Shares::<T>::get(who);
		ensure!(record.is_none_or(|s| s.epoch == epoch), Error::<T>::SharesWrittenOff);
		let active = record.map_or(0, |s| s.shares);
		let remaining = active.checked_sub(shares).ok_or(Error::<T>::InsufficientShares)?;
		let pending_shares = Self::pending_unstake(who)
			.map_or(0, |p| p.shares)
			.checked_add(shares)
			.ok_or(Error::<T>::Overflow)?;
		let now = frame_system::Pallet::<T>::block_number();
		let unlock_at = now.saturating_add(Params::<T>::get().unstake_cooldown);

		Self::drop_stale_pending(who);
		if remaining.is_zero() {
			Shares::<T>::remove(who);
		} else {
			Shares::<T>::insert(who, Stake { shares: remaining, epoch });
		}
		PendingUnstakes::<T>::insert(
			who,
			PendingUnstake { shares: pending_shares, unlock_at, epoch },
		);
		Self::deposit_event(Event::UnstakeRequested {
			who: who.clone(),
			shares,
			pending_shares,
			unlock_at,
		});
		Ok(())
	}

	/// See [`Pallet::cancel_unstake`]. A pending unstake of an ended share epoch is removed
	/// (with the staker's active shares of that epoch), and nothing becomes active.
	pub fn do_cancel_unstake(who: &T::AccountId) -> DispatchResult {
		let pending = PendingUnstakes::<T>::get(who).ok_or(Error::<T>::NothingPending)?;
		if pending.epoch != CurrentShareEpoch::<T>::get() {
			Self::drop_stale_pending(who);
			Self::drop_stale_shares(who);
			return Ok(());
		}
		let active =
			Self::active_shares(who).checked_add(pending.shares).ok_or(Error::<T>::Overflow)?;

		Self::drop_stale_shares(who);
		PendingUnstakes::<T>::remove(who);
		Shares::<T>::insert(who, Stake { shares: active, epoch: pending.epoch });
		Self::deposit_event(Event::UnstakeCancelled { who: who.clone(), shares: pending.shares });
		Ok(())
	}

	/// See [`Pallet::withdraw_unstaked`]. A pending unstake of an ended share epoch is
	/// removed and pays nothing ([`Event::StakeWrittenOff`]).
	pub fn do_withdraw_unstaked(who: &T::AccountId) -> DispatchResult {
		let pending = PendingUnstakes::<T>::get(who).ok_or(Error::<T>::NothingPending)?;
		if pending.epoch != CurrentShareEpoch::<T>::get() {
			Self::drop_stale_pending(who);
			return Ok(());
		}
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= pending.unlock_at, Error::<T>::CooldownNotOver);
		ensure!(
			now <= pending.unlock_at.saturating_add(Params::<T>::get().unstake_window),
			Error::<T>::WithdrawalWindowMissed
		);
		ensure!(T::Ledger::uncovered_bad_debt().is_zero(), Error::<T>::BadDebtPending);
		if let Some(key) = T::OracleGuard::unavailable_key() {
			log::debug!(target: "runtime::insurance-fund", "withdrawal paused: {key:?}");
			return Err(Error::<T>::OracleKeyUnavailable.into());
		}
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
				old.unstake_window.unique_saturated_into(),
				new.unstake_window.unique_saturated_into(),
				MAX_PARAM_STEP
			),
			Error::<T>::WindowStepTooLarge
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
		ensure!(
			params.unstake_window >= T::MinUnstakeCooldown::get()
				&& params.unstake_window <= T::MaxUnstakeCooldown::get(),
			Error::<T>::WindowOutOfBounds
		);
		ensure!(params.fee_share <= MAX_FEE_SHARE, Error::<T>::FeeShareOutOfBounds);
		Ok(())
	}

	/// Agree to pay up to `amount` USD units of bad debt in this block: see
	/// [`BadDebtCover::cover`]. Returns `min(amount, cap remaining this block, max(fund cash,
	/// 0))` and records it against the cap; the margin pallet moves it out of the fund's cash.
	/// Emits [`Event::BadDebtCovered`] for every non-zero request (also when nothing could be
	/// covered).
	pub fn do_cover(amount: Balance) -> Balance {
		if amount.is_zero() {
			return 0;
		}
		let now = frame_system::Pallet::<T>::block_number();
		let (paid, cap) = Self::payouts_in(now);
		let cash = positive_part(T::Ledger::cash(&Self::fund_account()));
		let covered = amount.min(cap.saturating_sub(paid)).min(cash);
		if !covered.is_zero() {
			Payouts::<T>::put(BlockPayouts { block: now, paid: paid.saturating_add(covered), cap });
		}
		Self::deposit_event(Event::BadDebtCovered { requested: amount, covered });
		covered
	}

	// ---------------------------------------------------------------- invariants

	/// Invariants: total shares = sum of the current share epoch's active + pending shares;
	/// no record of a later epoch; no zero entries; the cover paid in the current block is
	/// within its cap; the parameters are within bounds.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let epoch = CurrentShareEpoch::<T>::get();
		let mut sum: Balance = 0;
		for (_, stake) in Shares::<T>::iter() {
			ensure!(!stake.shares.is_zero(), "zero entry in Shares");
			ensure!(stake.epoch <= epoch, "stake of a future share epoch");
			if stake.epoch == epoch {
				sum = sum.checked_add(stake.shares).ok_or("share sum overflows")?;
			}
		}
		for (_, pending) in PendingUnstakes::<T>::iter() {
			ensure!(!pending.shares.is_zero(), "zero entry in PendingUnstakes");
			ensure!(pending.epoch <= epoch, "pending unstake of a future share epoch");
			if pending.epoch == epoch {
				sum = sum.checked_add(pending.shares).ok_or("share sum overflows")?;
			}
		}
		ensure!(
			sum == TotalShares::<T>::get(),
			"TotalShares != sum of the current epoch's active and pending shares"
		);
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

	fn cover(amount: Balance) -> Balance {
		Self::do_cover(amount)
	}

	fn coverage_ratio() -> Result<Option<FixedU128>, DispatchError> {
		Self::coverage_ratio()
	}

	fn max_fund_positions() -> u32 {
		T::MaxFundPositions::get()
	}
}
