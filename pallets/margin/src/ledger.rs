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

	fn margin_snapshot(who: &T::AccountId) -> Result<MarginSnapshot, DispatchError> {
		Self::risk(who).map(|s| s.margin()).map_err(|_| Error::<T>::PriceUnavailable.into())
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
