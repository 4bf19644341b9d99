//! Uncovered bad debt waiting to be socialized, and its socialization at option settlement.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::traits::Get;
use solvent_primitives::Balance;
#[cfg(feature = "runtime-benchmarks")]
use solvent_primitives::SignedBalance;
use sp_arithmetic::traits::Zero;

impl<T: Config> Pallet<T> {
	/// A debtor whose cash rose (a deposit, a payment) owes less: its pending loss is capped
	/// at its remaining negative cash.
	pub(crate) fn reduce_pending_loss(who: &T::AccountId) {
		let Some(pending) = PendingLosses::<T>::get(who) else { return };
		let debt = positive_part(Accounts::<T>::get(who).unwrap_or_default().cash.saturating_neg());
		if debt < pending {
			Self::set_pending_loss(who, debt);
		}
	}

	/// Benchmarks of other pallets: give `who` a cash debt of `amount` USD units queued for
	/// socialization (an uncovered bad debt), as a bankrupt liquidation leaves it.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_queue_loss(who: &T::AccountId, amount: Balance) {
		let debt = SignedBalance::try_from(amount).unwrap_or(SignedBalance::MAX);
		let _ = Self::add_cash(who, debt.saturating_neg());
		Self::set_pending_loss(who, amount);
	}

	/// Set `who`'s pending loss to `amount` (removing the entry at zero), keeping
	/// [`PendingLossTotal`] in step.
	pub(crate) fn set_pending_loss(who: &T::AccountId, amount: Balance) {
		let old = PendingLosses::<T>::get(who).unwrap_or(0);
		if amount.is_zero() {
			PendingLosses::<T>::remove(who);
		} else {
			PendingLosses::<T>::insert(who, amount);
		}
		PendingLossTotal::<T>::mutate(|t| *t = t.saturating_sub(old).saturating_add(amount));
	}

	/// Settlement: pay queued losses from `payer`'s cash, at most `max` USD units in total and
	/// [`Config::MaxSocializationsPerCall`] debtors. Returns the amount paid.
	pub(crate) fn do_socialize_losses(payer: &T::AccountId, max: Balance) -> Balance {
		let mut taken: Balance = 0;
		let debtors: Vec<(T::AccountId, Balance)> =
			PendingLosses::<T>::iter().take(T::MaxSocializationsPerCall::get() as usize).collect();
		for (debtor, pending) in debtors {
			let pay = pending.min(max.saturating_sub(taken));
			if pay.is_zero() {
				break;
			}
			if Self::move_cash(payer, &debtor, pay).is_err() {
				break;
			}
			// `move_cash` capped the pending loss at the debtor's remaining debt; make sure the
			// queue shrinks by exactly what was paid.
			let now = PendingLosses::<T>::get(&debtor).unwrap_or(0);
			Self::set_pending_loss(&debtor, now.min(pending.saturating_sub(pay)));
			taken = taken.saturating_add(pay);
			Self::deposit_event(Event::LossSocialized {
				debtor,
				payer: payer.clone(),
				amount: pay,
			});
		}
		taken
	}
}
