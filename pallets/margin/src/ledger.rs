//! `MarginLedger` for the position provider and the insurance fund: thin calls into the
//! custody path ([`Pallet::do_deposit`], [`Pallet::do_withdraw`]) and the margin rules
//! ([`Pallet::check_trade_margin`]).

use crate::pallet::*;
use frame_support::pallet_prelude::*;
use solvent_primitives::{Balance, MarginLedger, MarginSnapshot, SignedBalance};
use sp_runtime::DispatchResult;

impl<T: Config> MarginLedger<T::AccountId> for Pallet<T> {
	fn cash(who: &T::AccountId) -> SignedBalance {
		Self::cash_of(who)
	}

	fn transfer_cash(from: &T::AccountId, to: &T::AccountId, amount: Balance) -> DispatchResult {
		Self::move_cash(from, to, amount)
	}

	/// The initial-margin figures: collateral whose price is unavailable counts at zero
	/// ([`Pallet::initial_margin_risk`]), as in [`Pallet::check_trade_margin`], which compares
	/// with this snapshot.
	fn margin_snapshot(who: &T::AccountId) -> Result<MarginSnapshot, DispatchError> {
		Self::initial_margin_risk(who)
			.map(|s| s.margin())
			.map_err(|_| Error::<T>::PriceUnavailable.into())
	}

	/// Exact: fails if any price is unavailable ([`Pallet::risk`]). The insurance fund prices
	/// its shares with it; collateral counted at zero would let a staker buy in cheap.
	fn equity(who: &T::AccountId) -> Result<SignedBalance, DispatchError> {
		Self::risk(who).map(|s| s.equity).map_err(|_| Error::<T>::PriceUnavailable.into())
	}

	fn ensure_trade_margin(who: &T::AccountId, before: Option<&MarginSnapshot>) -> DispatchResult {
		Self::check_trade_margin(who, before)
	}

	fn deposit_cash(from: &T::AccountId, to: &T::AccountId, amount: Balance) -> DispatchResult {
		Self::do_deposit(from, to, T::SettlementAsset::get(), amount)
	}

	fn withdraw_cash(from: &T::AccountId, to: &T::AccountId, amount: Balance) -> DispatchResult {
		Self::do_withdraw(from, to, T::SettlementAsset::get(), amount)
	}

	fn uncovered_bad_debt() -> Balance {
		UncoveredBadDebt::<T>::get()
	}

	fn payable(who: &T::AccountId) -> Balance {
		Self::payable_of(who)
	}
}
