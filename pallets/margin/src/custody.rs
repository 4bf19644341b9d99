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
		let is_new = !Accounts::<T>::contains_key(who);
		let (stored, mut account) = Self::load_account(who);
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
		if is_new && !T::ProtocolAccounts::is_protocol_account(who) {
			let value = if is_cash {
				amount
			} else {
				Self::collateral_value(asset, amount).map_err(|_| Error::<T>::PriceUnavailable)?
			};
			ensure!(value >= Params::<T>::get().min_deposit, Error::<T>::DepositBelowMinimum);
		}
		T::Assets::transfer(asset, payer, &Self::account_id(), amount, Preservation::Expendable)?;
		Self::write_account(who, &stored, account);
		Self::deposit_event(Event::Deposited { who: who.clone(), asset, amount });
		Ok(())
	}

	/// Move `amount` of `asset` from `who`'s margin account to `recipient`'s tokens (`who` and
	/// `recipient` are the same for a signed withdrawal), if `who` stays fully margined
	/// afterwards (equity >= initial margin + open-order margin, its positions priced,
	/// collateral whose price is unavailable counted at zero: [`Pallet::ensure_initial_margin_of`]).
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
		let (stored, mut account) = Self::load_account(who);
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
			Self::write_account(who, &stored, account);
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

	/// Store `account` for `who` at the current [`CashIndex`] (removing an empty entry);
	/// `stored` is the entry as it was stored (default if none). Keeps [`Debtors`] in step
	/// with the sign of the cash and [`PositiveCashTotal`] with its positive part, and emits
	/// [`Event::CashHaircut`] for socialized losses the stored cash had not yet been charged.
	pub(crate) fn write_account(
		who: &T::AccountId,
		stored: &MarginAccount<T::MaxCollateralAssets>,
		mut account: MarginAccount<T::MaxCollateralAssets>,
	) {
		let now = CurrentCashIndex::<T>::get();
		if stored.cash > 0 && stored.cash_index != now {
			let haircut = stored.cash.saturating_sub(Self::effective_cash(who, stored, now));
			if haircut > 0 {
				Self::deposit_event(Event::CashHaircut {
					who: who.clone(),
					amount: haircut.unsigned_abs(),
				});
			}
		}
		account.cash_index = now;
		match (stored.cash < 0, account.cash < 0) {
			(false, true) => Debtors::<T>::insert(who, ()),
			(true, false) => Debtors::<T>::remove(who),
			_ => {}
		}
		Self::track_positive_cash(who, stored, &account);
		if account.is_empty() {
			Accounts::<T>::remove(who);
		} else {
			Accounts::<T>::insert(who, account);
		}
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
		let (source_stored, mut source) = Self::load_account(from);
		let (dest_stored, mut dest) = Self::load_account(to);
		source.cash = source.cash.checked_sub(signed).ok_or(Error::<T>::Overflow)?;
		dest.cash = dest.cash.checked_add(signed).ok_or(Error::<T>::Overflow)?;
		Self::write_account(from, &source_stored, source);
		Self::write_account(to, &dest_stored, dest);
		Ok(())
	}

	/// Cash of `who` (USD units, at the current [`CashIndex`]).
	pub(crate) fn cash_of(who: &T::AccountId) -> SignedBalance {
		Self::account(who).cash
	}
}
