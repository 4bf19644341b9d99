//! Positions: net contracts per account and series, the account's position index, open
//! interest, and the liquidation transfer of contracts at mark.

use crate::{mark::contracts_value, pallet::*, types::*};
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult},
	storage::with_storage_layer,
	traits::Get,
};
use solvent_primitives::{
	to_signed, Balance, MarginLedger, PositionRisk, ProtocolAccounts, SeriesId, TransferOutcome,
};
use sp_arithmetic::{traits::Zero, Rounding};

impl<T: Config> Pallet<T> {
	/// Whether moving a net position from `old` to `new` only reduces it (toward zero, same
	/// side). A reduce-only change is held to the closing leg of the trade margin rule
	/// (`MarginLedger::ensure_trade_margin` with the snapshot from before), not to the
	/// initial margin.
	pub fn is_reduce_only(old: i64, new: i64) -> bool {
		new == 0 || (old.signum() == new.signum() && new.unsigned_abs() <= old.unsigned_abs())
	}

	/// Whether an order on `side` can reduce the position `held` (it is on the opposite side).
	pub(crate) fn may_reduce(held: i64, side: solvent_primitives::Side) -> bool {
		match side {
			solvent_primitives::Side::Buy => held < 0,
			solvent_primitives::Side::Sell => held > 0,
		}
	}

	/// Number of series in which `who` holds a position or has a resting order: what pricing
	/// the account costs. Two storage reads, no pricing. At most `MaxPositionsPerAccount` for a
	/// trader; a protocol account (the fund as backstop) may hold a position in every active
	/// series.
	pub fn footprint(who: &T::AccountId) -> u32 {
		let held = AccountSeries::<T>::get(who);
		let orders = AccountOrders::<T>::get(who);
		let only_orders =
			orders.by_series.iter().filter(|o| !held.contains(&o.series)).count() as u32;
		(held.len() as u32).saturating_add(only_orders)
	}

	/// Move `quantity` contracts of `from`'s `position` (priced by [`Pallet::portfolio`] in the
	/// same operation) to `to` at the position's mark price (liquidation; no margin check). A
	/// long moved: `to` pays `from` the mark value rounded down; a short moved: `from` pays `to`
	/// the mark value rounded up (each side realizes exactly the mark value it carried).
	///
	/// If `from` or `to` is the insurance fund, its unwind quote in the series is cut to what still
	/// closes its new position, or cancelled ([`CancelReason::ReduceOnly`]).
	///
	/// In a series whose settlement has started the contracts are not moved (the settlement
	/// cursor could miss the receiver): they are settled early at the settlement price, as
	/// the settlement will settle the rest ([`Pallet::settle_contracts`]), and `value` is the
	/// cash that settled them.
	///
	/// Emits [`Event::PositionTransferred`] (or [`Event::SettledPosition`] when settled early).
	/// Errors: [`Error::ZeroQuantity`], [`Error::SelfTransfer`], [`Error::UnknownSeries`],
	/// [`Error::SeriesSettling`] (settled series), [`Error::InsufficientPosition`] (the
	/// position is not the one priced, or is smaller than `quantity`),
	/// [`Error::TooManyPositions`] (a receiver that is not a protocol account),
	/// [`Error::Overflow`], or the ledger's error.
	pub(crate) fn do_transfer_position(
		from: &T::AccountId,
		to: &T::AccountId,
		position: &PositionRisk,
		quantity: u64,
	) -> Result<TransferOutcome, DispatchError> {
		ensure!(quantity > 0, Error::<T>::ZeroQuantity);
		ensure!(from != to, Error::<T>::SelfTransfer);
		let id = position.id;
		let info = Series::<T>::get(id).ok_or(Error::<T>::UnknownSeries)?;
		let held = Positions::<T>::get(id, from).unwrap_or(0);
		ensure!(
			held == position.quantity && held.unsigned_abs() >= quantity,
			Error::<T>::InsufficientPosition
		);
		let q = i64::try_from(quantity).map_err(|_| Error::<T>::Overflow)?;
		let moved = if held > 0 { q } else { q.saturating_neg() };
		let size = info.terms.contract_size;
		let notional = contracts_value(quantity, size, position.index_price, Rounding::Down);
		let params = Params::<T>::get();
		let remaining = Self::position_risk(
			id,
			&info.terms,
			held.saturating_sub(moved),
			position.mark_price,
			position.index_price,
			&params,
		);

		with_storage_layer(|| -> Result<TransferOutcome, DispatchError> {
			let value = match info.status {
				SeriesStatus::Trading | SeriesStatus::Expired { .. } => {
					let mut oi_delta: i128 = 0;
					oi_delta +=
						Self::change_position(id, &info.terms, from, moved.saturating_neg())?;
					oi_delta += Self::change_position(id, &info.terms, to, moved)?;
					Self::apply_open_interest(id, oi_delta)?;
					// The fund's unwind quote stays reduce-only: cut to its new position.
					let fund = T::InsuranceFundAccount::get();
					if *from == fund || *to == fund {
						Self::trim_fund_quote(id);
					}
					let value = if moved > 0 {
						let v =
							contracts_value(quantity, size, position.mark_price, Rounding::Down);
						Self::transfer(to, from, v)?;
						to_signed(v)
					} else {
						let v = contracts_value(quantity, size, position.mark_price, Rounding::Up);
						Self::transfer(from, to, v)?;
						to_signed(v).saturating_neg()
					};
					Self::deposit_event(Event::PositionTransferred {
						series: id,
						from: from.clone(),
						to: to.clone(),
						quantity: moved,
						value,
					});
					value
				}
				SeriesStatus::Settling => Self::settle_contracts_early(id, from, moved)?,
				SeriesStatus::Settled => return Err(Error::<T>::SeriesSettling.into()),
			};
			Ok(TransferOutcome { quantity, value, notional, remaining })
		})
	}

	/// `MarginLedger::transfer_cash` of a non-zero amount.
	pub(crate) fn transfer(
		from: &T::AccountId,
		to: &T::AccountId,
		amount: Balance,
	) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Ledger::transfer_cash(from, to, amount)
	}

	/// Add `delta` contracts to `who`'s position in series `id`, keeping [`AccountSeries`] in
	/// step. Returns the change of `who`'s long contracts (for the open interest).
	///
	/// Errors: [`Error::TooManyPositions`] if it opens a position that takes a trader's
	/// footprint (series with a position or a resting order, [`Pallet::footprint`]) beyond
	/// `MaxPositionsPerAccount`; a protocol account is bounded by the active series only;
	/// [`Error::Overflow`] if the position (or its size in underlying units) does not fit.
	pub(crate) fn change_position(
		id: SeriesId,
		terms: &SeriesTerms,
		who: &T::AccountId,
		delta: i64,
	) -> Result<i128, DispatchError> {
		let old = Positions::<T>::get(id, who).unwrap_or(0);
		let new = old.checked_add(delta).ok_or(Error::<T>::Overflow)?;
		// |position| x contract size (18 decimals) must fit u128 for exact valuation.
		terms
			.contract_size
			.into_inner()
			.checked_mul(u128::from(new.unsigned_abs()))
			.ok_or(Error::<T>::Overflow)?;
		if old == 0 && new != 0 {
			if !T::ProtocolAccounts::is_protocol_account(who) {
				let orders = AccountOrders::<T>::get(who);
				ensure!(
					orders.has_series(id)
						|| Self::footprint(who) < T::MaxPositionsPerAccount::get(),
					Error::<T>::TooManyPositions
				);
			}
			AccountSeries::<T>::try_mutate(who, |ids| ids.try_push(id))
				.map_err(|_| Error::<T>::TooManyPositions)?;
		} else if old != 0 && new == 0 {
			Self::remove_from_position_index(who, id);
		}
		if new == 0 {
			Positions::<T>::remove(id, who);
		} else {
			Positions::<T>::insert(id, who, new);
		}
		Ok(i128::from(new.max(0)) - i128::from(old.max(0)))
	}

	/// Drop series `id` from `who`'s position index (removing an empty index).
	pub(crate) fn remove_from_position_index(who: &T::AccountId, id: SeriesId) {
		AccountSeries::<T>::mutate_exists(who, |ids| {
			if let Some(v) = ids {
				v.retain(|x| *x != id);
				if v.is_empty() {
					*ids = None;
				}
			}
		});
	}

	/// Add `delta` to the open interest of series `id`.
	pub(crate) fn apply_open_interest(id: SeriesId, delta: i128) -> DispatchResult {
		if delta == 0 {
			return Ok(());
		}
		Series::<T>::try_mutate(id, |maybe| -> DispatchResult {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownSeries)?;
			let oi = i128::from(info.open_interest)
				.checked_add(delta)
				.and_then(|v| u64::try_from(v).ok())
				.ok_or(Error::<T>::Overflow)?;
			info.open_interest = oi;
			Ok(())
		})
	}
}
