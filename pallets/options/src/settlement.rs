//! Expiry and cash settlement, driven by `on_initialize` with bounded work per block.
//!
//! Per series past its expiry (in expiry order):
//! 1. `Trading` -> `Expired`: no more orders ([`Event::SeriesExpired`]).
//! 2. Cancel its resting orders ([`CancelReason::Expired`]).
//! 3. Settlement price = oracle TWAP of `Spot(underlying)` over
//!    `[expiry - settlement_window, expiry]`; if unavailable, wait and retry next block
//!    ([`Event::SettlementPriceUnavailable`] once).
//! 4. Start ([`Event::SettlementStarted`]): payout per contract
//!    `pc = floor(intrinsic(price) x size)` (USD units), total payout `P = open interest x pc`.
//! 5. Settle positions, a cursor over `Positions[series]` (the last raw key,
//!    `iter_prefix_from`): a short of `q` pays `q x pc` into the settlement account; a long of
//!    `q` receives its gross payout `q x pc` from it ([`Event::SettledPosition`]). The position
//!    is removed.
//! 6. End ([`Event::SeriesSettled`]): `dust = collected - paid` (USD units; zero unless a
//!    settlement transfer failed, see [`Settlement::dust`]) goes to the insurance fund account
//!    (a negative dust comes from it), so the settlement account ends at zero and
//!    `collected == paid + dust`; the series leaves the active list.
//!
//! Budget per block: `MaxSettlementsPerBlock` work units, where a unit is one position
//! settled, one resting order cancelled, or one state transition (expiry, a settlement-price
//! attempt, the end of a settlement). Series waiting for their price take one unit per block
//! each, ahead of later expiries.
//!
//! Losses from bad debt are not charged here: the margin ledger charges them when they arise
//! (insurance fund, then a haircut of positive cash), so every long receives its full payout.
//!
//! The settlement account may go negative in between (longs may come before shorts in the
//! map's order); it is back at zero at the end.

use crate::{mark::contracts_value, pallet::*, types::*, weights::WeightInfo};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, Weight},
	traits::Get,
	BoundedVec,
};
use solvent_option_pricing::intrinsic;
use solvent_primitives::{
	to_signed, Balance, OracleKey, Price, PriceProvider, SeriesId, Side, SignedBalance,
};
use sp_arithmetic::Rounding;
use sp_runtime::traits::AccountIdConversion;

impl<T: Config> Pallet<T> {
	/// The settlement account of series `id`: sub-account `("series", id)` of the pallet's
	/// [`Config::PalletId`]. Its margin-account cash is zero outside a settlement.
	pub fn settlement_account(id: SeriesId) -> T::AccountId {
		T::PalletId::get().into_sub_account_truncating((b"series", id))
	}

	/// The `on_initialize` work: expire, cancel orders of, and settle series past their
	/// expiry, in expiry order, within `MaxSettlementsPerBlock` work units (see the module
	/// docs). Returns the weight used.
	pub(crate) fn process_expiries() -> Weight {
		let mut weight = T::WeightInfo::on_initialize_idle();
		let now = Self::now();
		let mut budget = T::MaxSettlementsPerBlock::get();
		let mut finished: Vec<SeriesId> = Vec::new();
		for (expiry, id) in ActiveSeries::<T>::get() {
			if expiry > now || budget == 0 {
				break;
			}
			let (w, done) = Self::step_series(id, &mut budget);
			weight = weight.saturating_add(w);
			if done {
				finished.push(id);
			}
		}
		if !finished.is_empty() {
			ActiveSeries::<T>::mutate(|active| active.retain(|(_, id)| !finished.contains(id)));
		}
		weight
	}

	/// Weight of the heaviest `on_initialize`: every work unit at the cost of the most
	/// expensive kind of unit.
	pub fn max_on_initialize_weight() -> Weight {
		let unit = T::WeightInfo::expire_series()
			.max(T::WeightInfo::start_settlement())
			.max(T::WeightInfo::finish_settlement())
			.max(T::WeightInfo::cancel_expired_orders(1))
			.max(T::WeightInfo::settle_positions(1));
		T::WeightInfo::on_initialize_idle()
			.saturating_add(unit.saturating_mul(u64::from(T::MaxSettlementsPerBlock::get())))
	}

	/// Advance one series past its expiry as far as `budget` allows. Returns the weight used
	/// and whether the series is fully settled.
	fn step_series(id: SeriesId, budget: &mut u32) -> (Weight, bool) {
		let mut weight = Weight::zero();
		let Some(mut info) = Series::<T>::get(id) else { return (weight, true) };
		// One work unit for a state transition, if any is left.
		let take_unit = |budget: &mut u32| {
			if *budget == 0 {
				return false;
			}
			*budget -= 1;
			true
		};
		loop {
			match info.status {
				SeriesStatus::Trading => {
					if !take_unit(budget) {
						return (weight, false);
					}
					Self::expire_series(id, &mut info);
					weight = weight.saturating_add(T::WeightInfo::expire_series());
				}
				SeriesStatus::Expired { .. } => {
					let (cancelled, orders_left) = Self::cancel_expired_orders(id, *budget);
					*budget = budget.saturating_sub(cancelled);
					weight = weight.saturating_add(T::WeightInfo::cancel_expired_orders(cancelled));
					if orders_left || !take_unit(budget) {
						return (weight, false);
					}
					weight = weight.saturating_add(T::WeightInfo::start_settlement());
					if !Self::try_start_settlement(id, &mut info) {
						return (weight, false);
					}
				}
				SeriesStatus::Settling => {
					let (settled, done) = Self::settle_positions(id, *budget);
					*budget = budget.saturating_sub(settled);
					weight = weight.saturating_add(T::WeightInfo::settle_positions(settled));
					if !done || !take_unit(budget) {
						return (weight, false);
					}
					Self::finish_settlement(id, &mut info);
					weight = weight.saturating_add(T::WeightInfo::finish_settlement());
				}
				SeriesStatus::Settled => return (weight, true),
			}
		}
	}

	/// `Trading` -> `Expired`: the series takes no more orders.
	pub(crate) fn expire_series(id: SeriesId, info: &mut SeriesInfo) {
		info.status = SeriesStatus::Expired { price_wait_reported: false };
		Series::<T>::insert(id, *info);
		Self::deposit_event(Event::SeriesExpired { series: id });
	}

	/// Ask the oracle for the settlement price (TWAP of the underlying's spot over
	/// `[expiry - settlement_window, expiry]`) and start the settlement if it is available;
	/// otherwise report the wait once. Returns whether the settlement started.
	pub(crate) fn try_start_settlement(id: SeriesId, info: &mut SeriesInfo) -> bool {
		let window = Params::<T>::get().settlement_window;
		let key = OracleKey::Spot(info.terms.underlying);
		match T::Prices::twap(&key, window, info.terms.expiry) {
			Ok(price) => {
				Self::start_settlement(id, info, price);
				true
			}
			Err(e) => {
				if info.status == (SeriesStatus::Expired { price_wait_reported: false }) {
					log::info!(
						target: "runtime::options",
						"settlement price of series {id} unavailable: {e:?}"
					);
					info.status = SeriesStatus::Expired { price_wait_reported: true };
					Series::<T>::insert(id, *info);
					Self::deposit_event(Event::SettlementPriceUnavailable { series: id });
				}
				false
			}
		}
	}

	/// Cancel up to `budget` resting orders of series `id` (bids first). Returns how many and
	/// whether any remain.
	pub(crate) fn cancel_expired_orders(id: SeriesId, budget: u32) -> (u32, bool) {
		let mut n: u32 = 0;
		let mut left = false;
		for side in [Side::Buy, Side::Sell] {
			let mut book = Book::<T>::get(id, side);
			if book.is_empty() {
				continue;
			}
			let take = book.len().min(budget.saturating_sub(n) as usize);
			if take == 0 {
				left = true;
				break;
			}
			for entry in book.iter().take(take) {
				if let Some(order) = Orders::<T>::get(entry.order_id) {
					Self::drop_order(entry.order_id, &order, CancelReason::Expired);
				}
			}
			n = n.saturating_add(take as u32);
			if take == book.len() {
				Book::<T>::remove(id, side);
			} else {
				let rest: Vec<BookEntry> = book.drain(take..).collect();
				Book::<T>::insert(id, side, BoundedVec::truncate_from(rest));
				left = true;
			}
		}
		(n, left)
	}

	/// Fix the settlement price, compute the payouts, and move the series to `Settling`.
	fn start_settlement(id: SeriesId, info: &mut SeriesInfo, price: Price) {
		let terms = &info.terms;
		let payout_per_contract = contracts_value(
			1,
			terms.contract_size,
			intrinsic(terms.kind, price, terms.strike),
			Rounding::Down,
		);
		let total_payout = payout_per_contract.saturating_mul(u128::from(info.open_interest));
		Settlements::<T>::insert(
			id,
			Settlement {
				price,
				payout_per_contract,
				total_payout,
				collected: 0,
				paid: 0,
				dust: 0,
				longs_settled: 0,
				shorts_settled: 0,
				cursor: None,
			},
		);
		info.status = SeriesStatus::Settling;
		Series::<T>::insert(id, *info);
		Self::deposit_event(Event::SettlementStarted {
			series: id,
			price,
			payout_per_contract,
			total_payout,
		});
	}

	/// Settle up to `budget` positions of series `id` from the cursor. Returns how many and
	/// whether none remain.
	pub(crate) fn settle_positions(id: SeriesId, budget: u32) -> (u32, bool) {
		let Some(mut st) = Settlements::<T>::get(id) else { return (0, true) };
		let want = (budget as usize).saturating_add(1);
		// One more than the budget, to know whether this block finishes the series.
		let batch: Vec<(T::AccountId, i64)> = match &st.cursor {
			Some(raw) => Positions::<T>::iter_prefix_from(id, raw.to_vec()).take(want).collect(),
			None => Positions::<T>::iter_prefix(id).take(want).collect(),
		};
		let done = batch.len() < want;
		let account = Self::settlement_account(id);
		let mut n: u32 = 0;
		for (who, quantity) in batch.into_iter().take(budget as usize) {
			Self::settle_position(id, &mut st, &account, &who, quantity);
			st.cursor = BoundedVec::try_from(Positions::<T>::hashed_key_for(id, &who)).ok();
			n = n.saturating_add(1);
		}
		Settlements::<T>::insert(id, st);
		(n, done)
	}

	/// Settle one position: pay or collect, remove it, emit [`Event::SettledPosition`].
	fn settle_position(
		id: SeriesId,
		st: &mut Settlement,
		account: &T::AccountId,
		who: &T::AccountId,
		quantity: i64,
	) {
		let n = quantity.unsigned_abs();
		// `n x pc` USD units: a long receives it, a short pays it.
		let amount = st.payout_per_contract.saturating_mul(u128::from(n));
		if quantity > 0 {
			match Self::transfer(account, who, amount) {
				Ok(()) => st.paid = st.paid.saturating_add(amount),
				Err(e) => Self::transfer_failed(id, who, amount, e),
			}
			st.longs_settled = st.longs_settled.saturating_add(n);
		} else {
			match Self::transfer(who, account, amount) {
				Ok(()) => st.collected = st.collected.saturating_add(amount),
				Err(e) => Self::transfer_failed(id, who, amount, e),
			}
			st.shorts_settled = st.shorts_settled.saturating_add(n);
		}
		Positions::<T>::remove(id, who);
		Self::remove_from_position_index(who, id);
		Self::deposit_event(Event::SettledPosition {
			series: id,
			who: who.clone(),
			quantity,
			amount,
		});
	}

	/// Liquidation of a position in a series whose settlement has started: settle `quantity`
	/// of `who`'s contracts (+ long, - short) now, at the settlement price, exactly as the
	/// settlement will settle the rest (a short pays `|quantity| x pc` USD units, a long
	/// receives `quantity x pc`). The position shrinks by `quantity`; the settlement's cursor never meets the
	/// settled contracts, which the record counts as settled. Returns the cash `who` received
	/// (negative: paid).
	///
	/// Emits [`Event::SettledPosition`]. Errors: [`Error::UnknownSeries`] (no settlement
	/// record), [`Error::InsufficientPosition`], [`Error::Overflow`], or the ledger's error.
	pub(crate) fn settle_contracts_early(
		id: SeriesId,
		who: &T::AccountId,
		quantity: i64,
	) -> Result<SignedBalance, DispatchError> {
		let mut st = Settlements::<T>::get(id).ok_or(Error::<T>::UnknownSeries)?;
		let held = Positions::<T>::get(id, who).unwrap_or(0);
		ensure!(
			held.signum() == quantity.signum() && held.unsigned_abs() >= quantity.unsigned_abs(),
			Error::<T>::InsufficientPosition
		);
		let account = Self::settlement_account(id);
		let n = quantity.unsigned_abs();
		let amount =
			st.payout_per_contract.checked_mul(u128::from(n)).ok_or(Error::<T>::Overflow)?;
		let value = if quantity > 0 {
			Self::transfer(&account, who, amount)?;
			st.paid = st.paid.saturating_add(amount);
			st.longs_settled = st.longs_settled.saturating_add(n);
			to_signed(amount)
		} else {
			Self::transfer(who, &account, amount)?;
			st.collected = st.collected.saturating_add(amount);
			st.shorts_settled = st.shorts_settled.saturating_add(n);
			to_signed(amount).saturating_neg()
		};
		Settlements::<T>::insert(id, st);
		let left = held.saturating_sub(quantity);
		if left == 0 {
			Positions::<T>::remove(id, who);
			Self::remove_from_position_index(who, id);
		} else {
			Positions::<T>::insert(id, who, left);
		}
		Self::deposit_event(Event::SettledPosition {
			series: id,
			who: who.clone(),
			quantity,
			amount,
		});
		Ok(value)
	}

	fn transfer_failed(
		id: SeriesId,
		who: &T::AccountId,
		amount: Balance,
		e: frame_support::pallet_prelude::DispatchError,
	) {
		log::error!(target: "runtime::options", "settlement transfer of series {id} failed: {e:?}");
		Self::deposit_event(Event::SettlementTransferFailed {
			series: id,
			who: who.clone(),
			amount,
		});
	}

	/// Pay the dust to the insurance fund account (or take a shortfall from it), record the
	/// end, and mark the series settled.
	pub(crate) fn finish_settlement(id: SeriesId, info: &mut SeriesInfo) {
		let Some(mut st) = Settlements::<T>::get(id) else { return };
		let collected = i128::try_from(st.collected).unwrap_or(i128::MAX);
		let paid = i128::try_from(st.paid).unwrap_or(i128::MAX);
		let dust = collected.saturating_sub(paid);
		let account = Self::settlement_account(id);
		let fund = T::InsuranceFundAccount::get();
		let result = if dust >= 0 {
			Self::transfer(&account, &fund, dust.unsigned_abs())
		} else {
			Self::transfer(&fund, &account, dust.unsigned_abs())
		};
		if let Err(e) = result {
			Self::transfer_failed(id, &fund, dust.unsigned_abs(), e);
		}
		st.dust = dust;
		st.cursor = None;
		let event =
			Event::SeriesSettled { series: id, collected: st.collected, paid: st.paid, dust };
		Settlements::<T>::insert(id, st);
		info.status = SeriesStatus::Settled;
		Series::<T>::insert(id, *info);
		Self::deposit_event(event);
	}
}
