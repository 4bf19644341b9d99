//! Custody: the one path by which tokens enter and leave margin accounts (signed deposits and
//! withdrawals, and the insurance fund's stakes and payouts through `MarginLedger`), cash
//! moves inside the ledger, and the index of accounts in debt.

use crate::{pallet::*, types::*};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungibles::Mutate, tokens::Preservation},
};
use solvent_primitives::{AssetId, Balance, ProtocolAccounts, SignedBalance};
use sp_arithmetic::traits::Zero;
use sp_runtime::DispatchResult;

impl<T: Config> Pallet<T> {
	/// Move `amount` of `asset` from `payer`'s tokens into `who`'s margin account (`payer` and
	/// `who` are the same for a signed deposit). The settlement asset becomes cash; any other
	/// asset must be an enabled collateral asset. A deposit that opens a margin account must be
	/// worth at least [`MarginParams::min_deposit`] (another asset at its haircut value, which
	/// needs its price).
	///
	/// Emits [`Event::Deposited`]. Errors: [`Error::ZeroAmount`], [`Error::UnknownCollateral`],
	/// [`Error::CollateralDisabled`], [`Error::TooManyCollateralAssets`],
	/// [`Error::DepositBelowMinimum`], [`Error::PriceUnavailable`], [`Error::Overflow`], token
	/// errors if `payer` lacks the tokens.
	pub(crate) fn do_deposit(
		payer: &T::AccountId,
		who: &T::AccountId,
		asset: AssetId,
		amount: Balance,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let old = Accounts::<T>::get(who);
		let old_cash = old.as_ref().map_or(0, |a| a.cash);
		let mut account = old.clone().unwrap_or_default();
		let is_cash = asset == T::SettlementAsset::get();
		if is_cash {
			let amount = checked_signed(amount).ok_or(Error::<T>::Overflow)?;
			account.cash = account.cash.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		} else {
			let params = Collateral::<T>::get(asset).ok_or(Error::<T>::UnknownCollateral)?;
			ensure!(params.enabled, Error::<T>::CollateralDisabled);
			let held = account.collateral.get(&asset).copied().unwrap_or(0);
			let new = held.checked_add(amount).ok_or(Error::<T>::Overflow)?;
			account
				.collateral
				.try_insert(asset, new)
				.map_err(|_| Error::<T>::TooManyCollateralAssets)?;
		}
		if old.is_none() && !T::ProtocolAccounts::is_protocol_account(who) {
			let value = if is_cash {
				amount
			} else {
				Self::collateral_value(asset, amount).map_err(|_| Error::<T>::PriceUnavailable)?
			};
			ensure!(value >= Params::<T>::get().min_deposit, Error::<T>::DepositBelowMinimum);
		}
		T::Assets::transfer(asset, payer, &Self::account_id(), amount, Preservation::Expendable)?;
		Self::write_account(who, old_cash, account);
		if is_cash {
			Self::reduce_pending_loss(who);
		}
		Self::deposit_event(Event::Deposited { who: who.clone(), asset, amount });
		Ok(())
	}

	/// Move `amount` of `asset` from `who`'s margin account to `recipient`'s tokens (`who` and
	/// `recipient` are the same for a signed withdrawal), if `who` stays fully margined
	/// afterwards (equity >= initial margin + open-order margin, every price available).
	///
	/// Emits [`Event::Withdrawn`]. Errors: [`Error::ZeroAmount`], [`Error::InsufficientCash`],
	/// [`Error::InsufficientCollateral`], [`Error::PriceUnavailable`],
	/// [`Error::InsufficientMargin`].
	pub(crate) fn do_withdraw(
		who: &T::AccountId,
		recipient: &T::AccountId,
		asset: AssetId,
		amount: Balance,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut account = Accounts::<T>::get(who).unwrap_or_default();
		let old_cash = account.cash;
		if asset == T::SettlementAsset::get() {
			let amount = checked_signed(amount).ok_or(Error::<T>::InsufficientCash)?;
			ensure!(account.cash >= amount, Error::<T>::InsufficientCash);
			account.cash = account.cash.checked_sub(amount).ok_or(Error::<T>::Overflow)?;
		} else {
			let held = account.collateral.get(&asset).copied().unwrap_or(0);
			let left = held.checked_sub(amount).ok_or(Error::<T>::InsufficientCollateral)?;
			if left.is_zero() {
				account.collateral.remove(&asset);
			} else if let Some(entry) = account.collateral.get_mut(&asset) {
				*entry = left;
			}
		}
		// Check margin on the new state, then move the tokens; roll back if either fails.
		frame_support::storage::with_storage_layer(|| {
			Self::write_account(who, old_cash, account);
			Self::ensure_initial_margin_of(who)?;
			T::Assets::transfer(
				asset,
				&Self::account_id(),
				recipient,
				amount,
				Preservation::Expendable,
			)?;
			Ok::<(), DispatchError>(())
		})?;
		Self::deposit_event(Event::Withdrawn { who: who.clone(), asset, amount });
		Ok(())
	}

	/// Store `account` for `who` (removing an empty entry), keeping [`Debtors`] in step with
	/// the sign of its cash; `old_cash` is the cash stored before.
	pub(crate) fn write_account(
		who: &T::AccountId,
		old_cash: SignedBalance,
		account: MarginAccount<T::MaxCollateralAssets>,
	) {
		match (old_cash < 0, account.cash < 0) {
			(false, true) => Debtors::<T>::insert(who, ()),
			(true, false) => Debtors::<T>::remove(who),
			_ => {}
		}
		if account.is_empty() {
			Accounts::<T>::remove(who);
		} else {
			Accounts::<T>::insert(who, account);
		}
	}

	/// Add `delta` (signed USD units) to `who`'s cash (benchmarks of other pallets).
	#[cfg(feature = "runtime-benchmarks")]
	pub(crate) fn add_cash(who: &T::AccountId, delta: SignedBalance) -> DispatchResult {
		let mut account = Accounts::<T>::get(who).unwrap_or_default();
		let old_cash = account.cash;
		account.cash = account.cash.checked_add(delta).ok_or(Error::<T>::Overflow)?;
		Self::write_account(who, old_cash, account);
		Ok(())
	}

	/// Move `amount` USD units of cash from `from` to `to` (`from` may go negative).
	pub(crate) fn move_cash(
		from: &T::AccountId,
		to: &T::AccountId,
		amount: Balance,
	) -> DispatchResult {
		if amount.is_zero() || from == to {
			return Ok(());
		}
		let signed = checked_signed(amount).ok_or(Error::<T>::Overflow)?;
		let mut source = Accounts::<T>::get(from).unwrap_or_default();
		let mut dest = Accounts::<T>::get(to).unwrap_or_default();
		let (source_cash, dest_cash) = (source.cash, dest.cash);
		source.cash = source.cash.checked_sub(signed).ok_or(Error::<T>::Overflow)?;
		dest.cash = dest.cash.checked_add(signed).ok_or(Error::<T>::Overflow)?;
		Self::write_account(from, source_cash, source);
		Self::write_account(to, dest_cash, dest);
		Self::reduce_pending_loss(to);
		Ok(())
	}

	/// Cash of `who` (USD units).
	pub(crate) fn cash_of(who: &T::AccountId) -> SignedBalance {
		Accounts::<T>::get(who).map(|a| a.cash).unwrap_or(0)
	}
}
