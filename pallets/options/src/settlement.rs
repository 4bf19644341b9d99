//! Expiry and cash settlement, driven by `on_initialize` with bounded work per block.
//!
//! Per series past its expiry:
//! 1. `Trading` -> `Expired`: no more orders ([`Event::SeriesExpired`]).
//! 2. Cancel its resting orders ([`CancelReason::Expired`]).
//! 3. Settlement price from the oracle, looked up once:
//!    - the TWAP of `Spot(underlying)` over `[expiry - settlement_window, expiry]`, if the
//!      oracle had an available price for at least `min_twap_coverage x settlement_window` ms
//!      of it ([`SettlementSource::Twap`]);
//!    - else the last price available at or before the expiry, if it was still available at
//!      `expiry - settlement_lookback` or later ([`SettlementSource::LastPrice`]);
//!    - else the series waits for the risk admin's price ([`Event::SettlementPriceUnavailable`],
//!      [`Pallet::set_settlement_price`], [`SettlementSource::Governance`]) and takes no more
//!      budget: the oracle's history up to the expiry no longer changes once the time is past
//!      it, so a second lookup would give the same answer.
//! 4. Start ([`Event::SettlementStarted`] with the source): payout per contract
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
//! ## Budget
//! `MaxSettlementsPerBlock` work units per block, where a unit is one position settled, one
//! resting order cancelled, or one state transition (expiry, the settlement-price lookup, the
//! end of a settlement). Each block has two phases:
//! - **Every due series to its start first.** Each due series that has not started settling,
//!   in expiry order, is expired, has its resting orders cancelled and its price looked up
//!   (steps 1 to 4) before any position is settled. This work is bounded per series by
//!   `W = 2 + 2 x MaxOrdersPerSide` units (an expiry, a lookup, two full book sides), so the
//!   `k`-th series in expiry order among those due and not yet settling starts settling (or
//!   waits for the risk admin) within `ceil(k x W / MaxSettlementsPerBlock)` blocks, whatever
//!   the number of positions of the series before it (the runtime's worst case, 256 series with
//!   full books: `ceil(256 x 130 / 64)` = 520 blocks; series without resting orders cost 2 units
//!   each, 32 of them per block).
//! - **Then positions, in equal shares.** The rest of the budget goes round-robin to the
//!   settling series, in expiry order: each gets `max(1, rest / n)` units per round (its
//!   positions, then its end) until the budget or the work runs out, so no settling series
//!   waits for another one to finish.
//!
//! Series waiting for the risk admin take no units. Visiting a due series reads it once per
//! block (charged apart from the units).
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
	pallet_prelude::{DispatchError, DispatchResult, Weight},
	traits::Get,
	BoundedVec,
};
use solvent_option_pricing::intrinsic;
use solvent_primitives::{
	to_signed, Balance, MarginLedger, Moment, OracleKey, Price, PriceError, PriceProvider,
	SeriesId, Side, SignedBalance, TimestampedValue,
};
use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, FixedU128, Rounding};
use sp_runtime::traits::{AccountIdConversion, Convert};

/// The oracle as the settlement needs it: [`PriceProvider`] and three queries it lacks, each an
/// `sp_runtime::traits::Convert` (`pallet-price-oracle` implements them on its `Pallet`):
/// - `(key, window, end) -> Result<(twap, covered_ms), PriceError>`: the TWAP over
///   `[end - window, end]` and the ms of the window with an available value
///   (`Pallet::twap_with_coverage_at`);
/// - `(key, end) -> Result<TimestampedValue, PriceError>`: the last value available at or
///   before `end`, its `timestamp` the end (ms, exclusive) of the time it was available
///   (`Pallet::last_available_at`);
/// - `() -> Moment`: how far behind now the oracle keeps every key's history (ms,
///   `Pallet::history_span`).
///
/// Implemented for every type with those four traits. Meant to become methods of
/// `PriceProvider` (see [`Pallet::oracle_twap`], [`Pallet::oracle_last_price`],
/// [`Pallet::oracle_history_span`], the only places that read them).
pub trait SettlementPrices:
	PriceProvider
	+ Convert<(OracleKey, Moment, Moment), Result<(FixedU128, Moment), PriceError>>
	+ Convert<(OracleKey, Moment), Result<TimestampedValue, PriceError>>
	+ Convert<(), Moment>
{
}

impl<P> SettlementPrices for P where
	P: PriceProvider
		+ Convert<(OracleKey, Moment, Moment), Result<(FixedU128, Moment), PriceError>>
		+ Convert<(OracleKey, Moment), Result<TimestampedValue, PriceError>>
		+ Convert<(), Moment>
{
}

/// One work unit for a state transition, if any is left.
fn take_unit(budget: &mut u32) -> bool {
	if *budget == 0 {
		return false;
	}
	*budget -= 1;
	true
}

impl<T: Config> Pallet<T> {
	/// The settlement account of series `id`: sub-account `("series", id)` of the pallet's
	/// [`Config::PalletId`]. Its margin-account cash is zero outside a settlement.
	pub fn settlement_account(id: SeriesId) -> T::AccountId {
		T::PalletId::get().into_sub_account_truncating((b"series", id))
	}

	// ------------------------------------------------------------------ oracle queries

	/// The oracle's TWAP of `key` over `[end - window, end]` (ms) and its coverage, the ms of
	/// the window with an available value.
	pub fn oracle_twap(
		key: OracleKey,
		window: Moment,
		end: Moment,
	) -> Result<(Price, Moment), PriceError> {
		<T::Prices as Convert<(OracleKey, Moment, Moment), Result<(Price, Moment), PriceError>>>::convert(
			(key, window, end),
		)
	}

	/// The last oracle value of `key` available at or before `end`; its `timestamp` is the end
	/// (ms, exclusive) of the time it was available.
	pub fn oracle_last_price(key: OracleKey, end: Moment) -> Result<TimestampedValue, PriceError> {
		<T::Prices as Convert<(OracleKey, Moment), Result<TimestampedValue, PriceError>>>::convert(
			(key, end),
		)
	}

	/// How far behind now the oracle keeps every key's history (ms).
	pub fn oracle_history_span() -> Moment {
		<T::Prices as Convert<(), Moment>>::convert(())
	}

	/// The settlement price of a series with `terms` from the oracle under `params`: the TWAP
	/// over `[expiry - settlement_window, expiry]` if its coverage is at least
	/// `min_twap_coverage x settlement_window` (ms, rounded up), else the last price available
	/// at or before the expiry if it was available until `expiry - settlement_lookback` or
	/// later. `Err` with the oracle's reason (`NoHistory` for a last price older than the
	/// lookback) if neither.
	pub fn oracle_settlement_price(
		terms: &SeriesTerms,
		params: &OptionsParams,
	) -> Result<(Price, SettlementSource), PriceError> {
		let key = OracleKey::Spot(terms.underlying);
		let window = params.settlement_window;
		let needed = params.min_twap_coverage.mul_ceil(window);
		if let Ok((price, covered)) = Self::oracle_twap(key, window, terms.expiry) {
			if covered >= needed {
				return Ok((price, SettlementSource::Twap));
			}
		}
		let last = Self::oracle_last_price(key, terms.expiry)?;
		let oldest = terms.expiry.saturating_sub(params.settlement_lookback);
		if last.timestamp >= oldest {
			Ok((last.value, SettlementSource::LastPrice))
		} else {
			Err(PriceError::NoHistory)
		}
	}

	/// The reference of a risk-admin settlement price for a series with `terms`: the last oracle
	/// price of its underlying available at or before the expiry, however old, else the current
	/// one. `None` if the oracle has neither.
	pub fn settlement_reference(terms: &SeriesTerms) -> Option<Price> {
		let key = OracleKey::Spot(terms.underlying);
		Self::oracle_last_price(key, terms.expiry)
			.or_else(|_| T::Prices::get(&key))
			.map(|v| v.value)
			.ok()
	}

	// ------------------------------------------------------------------ the block's work

	/// The `on_initialize` work: expire, cancel the orders of, price and settle the series past
	/// their expiry within `MaxSettlementsPerBlock` work units, every due series to its start
	/// first, then positions in equal shares (see the module docs). Returns the weight used.
	pub(crate) fn process_expiries() -> Weight {
		let mut weight = T::WeightInfo::on_initialize_idle();
		let now = Self::now();
		let mut budget = T::MaxSettlementsPerBlock::get();
		let due: Vec<SeriesId> = ActiveSeries::<T>::get()
			.iter()
			.take_while(|(expiry, _)| *expiry <= now)
			.map(|(_, id)| *id)
			.collect();
		weight = weight.saturating_add(T::DbWeight::get().reads(due.len() as u64));
		let mut finished: Vec<SeriesId> = Vec::new();
		// Phase 1: every due series to its settlement start, in expiry order.
		let mut settling: Vec<(SeriesId, SeriesInfo)> = Vec::new();
		for id in due {
			let Some(mut info) = Series::<T>::get(id) else {
				finished.push(id);
				continue;
			};
			weight = weight.saturating_add(Self::advance_to_start(id, &mut info, &mut budget));
			match info.status {
				SeriesStatus::Settling => settling.push((id, info)),
				SeriesStatus::Settled => finished.push(id),
				SeriesStatus::Trading | SeriesStatus::Expired { .. } => {}
			}
		}
		// Phase 2: the rest to the settling series, in equal shares per round.
		while budget > 0 && !settling.is_empty() {
			let n = u32::try_from(settling.len()).unwrap_or(u32::MAX);
			let share = (budget / n).max(1);
			let mut left = Vec::with_capacity(settling.len());
			for (id, mut info) in settling {
				if budget == 0 {
					left.push((id, info));
					continue;
				}
				let mut quota = share.min(budget);
				let given = quota;
				let (w, done) = Self::settle_series(id, &mut info, &mut quota);
				weight = weight.saturating_add(w);
				budget = budget.saturating_sub(given.saturating_sub(quota));
				if done {
					finished.push(id);
				} else {
					left.push((id, info));
				}
			}
			settling = left;
		}
		if !finished.is_empty() {
			ActiveSeries::<T>::mutate(|active| active.retain(|(_, id)| !finished.contains(id)));
		}
		weight
	}

	/// Weight of the heaviest `on_initialize`: every work unit at the cost of the most
	/// expensive kind of unit, and a read of each of `MaxActiveSeries` due series.
	pub fn max_on_initialize_weight() -> Weight {
		let unit = T::WeightInfo::expire_series()
			.max(T::WeightInfo::start_settlement())
			.max(T::WeightInfo::finish_settlement())
			.max(T::WeightInfo::cancel_expired_orders(1))
			.max(T::WeightInfo::settle_positions(1));
		T::WeightInfo::on_initialize_idle()
			.saturating_add(T::DbWeight::get().reads(u64::from(T::MaxActiveSeries::get())))
			.saturating_add(unit.saturating_mul(u64::from(T::MaxSettlementsPerBlock::get())))
	}

	/// Phase 1 for one due series: expire it, cancel its resting orders and look up its
	/// settlement price as far as `budget` allows. A series waiting for the risk admin, or
	/// already settling, takes nothing. Returns the weight used; `info.status` tells where the
	/// series is.
	fn advance_to_start(id: SeriesId, info: &mut SeriesInfo, budget: &mut u32) -> Weight {
		let mut weight = Weight::zero();
		loop {
			match info.status {
				SeriesStatus::Trading => {
					if !take_unit(budget) {
						return weight;
					}
					Self::expire_series(id, info);
					weight = weight.saturating_add(T::WeightInfo::expire_series());
				}
				SeriesStatus::Expired { price_wait_reported: false } => {
					let (cancelled, orders_left) = Self::cancel_expired_orders(id, *budget);
					*budget = budget.saturating_sub(cancelled);
					weight = weight.saturating_add(T::WeightInfo::cancel_expired_orders(cancelled));
					if orders_left || !take_unit(budget) {
						return weight;
					}
					weight = weight.saturating_add(T::WeightInfo::start_settlement());
					Self::try_start_settlement(id, info);
					return weight;
				}
				SeriesStatus::Expired { price_wait_reported: true }
				| SeriesStatus::Settling
				| SeriesStatus::Settled => return weight,
			}
		}
	}

	/// Phase 2 for one settling series: settle positions within `budget`, then end the
	/// settlement if a unit is left. Returns the weight used and whether the series is done.
	fn settle_series(id: SeriesId, info: &mut SeriesInfo, budget: &mut u32) -> (Weight, bool) {
		let (settled, done) = Self::settle_positions(id, *budget);
		*budget = budget.saturating_sub(settled);
		let mut weight = T::WeightInfo::settle_positions(settled);
		if !done || !take_unit(budget) {
			return (weight, false);
		}
		Self::finish_settlement(id, info);
		weight = weight.saturating_add(T::WeightInfo::finish_settlement());
		(weight, true)
	}

	/// `Trading` -> `Expired`: the series takes no more orders.
	pub(crate) fn expire_series(id: SeriesId, info: &mut SeriesInfo) {
		info.status = SeriesStatus::Expired { price_wait_reported: false };
		Series::<T>::insert(id, *info);
		Self::deposit_event(Event::SeriesExpired { series: id });
	}

	/// Look up the settlement price in the oracle ([`Self::oracle_settlement_price`]) and start
	/// the settlement if there is one; otherwise mark the series as waiting for the risk admin
	/// and report it ([`Event::SettlementPriceUnavailable`]). Returns whether the settlement
	/// started.
	pub(crate) fn try_start_settlement(id: SeriesId, info: &mut SeriesInfo) -> bool {
		let params = Params::<T>::get();
		match Self::oracle_settlement_price(&info.terms, &params) {
			Ok((price, source)) => {
				Self::start_settlement(id, info, price, source);
				true
			}
			Err(e) => {
				log::info!(
					target: "runtime::options",
					"no oracle settlement price for series {id} ({e:?}): waiting for the risk admin"
				);
				info.status = SeriesStatus::Expired { price_wait_reported: true };
				Series::<T>::insert(id, *info);
				Self::deposit_event(Event::SettlementPriceUnavailable { series: id });
				false
			}
		}
	}

	/// `set_settlement_price` after the origin check: the series must wait for the risk admin,
	/// the price must be within the band of the reference; start the settlement.
	pub(crate) fn do_set_settlement_price(id: SeriesId, price: Price) -> DispatchResult {
		let mut info = Series::<T>::get(id).ok_or(Error::<T>::UnknownSeries)?;
		match info.status {
			SeriesStatus::Expired { price_wait_reported: true } => {}
			SeriesStatus::Trading | SeriesStatus::Expired { price_wait_reported: false } => {
				return Err(Error::<T>::SettlementPriceNotAwaited.into())
			}
			SeriesStatus::Settling | SeriesStatus::Settled => {
				return Err(Error::<T>::SeriesSettling.into())
			}
		}
		let reference =
			Self::settlement_reference(&info.terms).ok_or(Error::<T>::NoReferencePrice)?;
		let band = Params::<T>::get().settlement_price_band;
		// `|price - reference| <= band x reference`, exactly: the difference is a whole number
		// of 10^-18, so comparing with the rounded-down product is the same.
		let diff = price.into_inner().abs_diff(reference.into_inner());
		ensure!(
			diff <= band.mul_floor(reference.into_inner()),
			Error::<T>::SettlementPriceOutsideBand
		);
		Self::deposit_event(Event::SettlementPriceSet { series: id, price, reference });
		Self::start_settlement(id, &mut info, price, SettlementSource::Governance);
		Ok(())
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

	/// Fix the settlement price (from `source`), compute the payouts, and move the series to
	/// `Settling`.
	fn start_settlement(
		id: SeriesId,
		info: &mut SeriesInfo,
		price: Price,
		source: SettlementSource,
	) {
		let terms = &info.terms;
		let payout_per_contract = contracts_value(
			1,
			terms.contract_size,
			intrinsic(terms.kind, price, terms.strike),
			Rounding::Down,
		);
		let total_payout = payout_per_contract.saturating_mul(u128::from(info.open_interest));
		// The fund's short (taken over from liquidated accounts): what it cannot pay of it is
		// cut from the longs' payouts now, before anyone is paid.
		let fund = T::InsuranceFundAccount::get();
		let fund_owes = Positions::<T>::get(id, &fund)
			.filter(|q| *q < 0)
			.map_or(0, |q| payout_per_contract.saturating_mul(u128::from(q.unsigned_abs())));
		let fund_shortfall = if fund_owes == 0 {
			0
		} else {
			let committed = FundSettlementCommitted::<T>::get();
			let can_pay = T::Ledger::payable(&fund).saturating_sub(committed);
			let shortfall = fund_owes.saturating_sub(can_pay.min(fund_owes));
			FundSettlementCommitted::<T>::put(
				committed.saturating_add(fund_owes.saturating_sub(shortfall)),
			);
			shortfall
		};
		Settlements::<T>::insert(
			id,
			Settlement {
				price,
				source,
				payout_per_contract,
				total_payout,
				fund_shortfall,
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
			source,
			fund_shortfall,
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

	/// What `n` contracts of `who` (+ long, - short) receive or pay at settlement `st`
	/// (USD units): a long `floor(n x pc x (P - fund shortfall) / P)`, the insurance fund's
	/// short `n x pc - fund shortfall`, any other short `n x pc`.
	fn settlement_amount(st: &Settlement, who: &T::AccountId, quantity: i64) -> Balance {
		let gross = st.payout_per_contract.saturating_mul(u128::from(quantity.unsigned_abs()));
		if st.fund_shortfall == 0 || st.total_payout == 0 {
			return gross;
		}
		if quantity > 0 {
			multiply_by_rational_with_rounding(
				gross,
				st.total_payout.saturating_sub(st.fund_shortfall),
				st.total_payout,
				Rounding::Down,
			)
			.unwrap_or(0)
		} else if *who == T::InsuranceFundAccount::get() {
			gross.saturating_sub(st.fund_shortfall)
		} else {
			gross
		}
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
		let amount = Self::settlement_amount(st, who, quantity);
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
			if *who == T::InsuranceFundAccount::get() {
				FundSettlementCommitted::<T>::mutate(|c| *c = c.saturating_sub(amount));
			}
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
		st.payout_per_contract.checked_mul(u128::from(n)).ok_or(Error::<T>::Overflow)?;
		let amount = Self::settlement_amount(&st, who, quantity);
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
