//! The order book: placing (matching), resting and cancelling orders.

use crate::{pallet::*, types::*, weights::WeightInfo};
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult, Weight},
	storage::{with_transaction, TransactionOutcome},
	traits::Get,
};
use solvent_primitives::{Balance, MarginLedger, OrderId, Price, PriceProvider, SeriesId, Side};
use sp_arithmetic::traits::Zero;

/// Why a fill failed.
enum FillError {
	/// The maker cannot take the fill: cancel its order and go on.
	Maker(CancelReason),
	/// Anything else: the whole call fails.
	Fatal(DispatchError),
}

/// A successful fill.
struct Fill {
	oi_delta: i128,
	premium: Balance,
	maker_fee: Balance,
	taker_fee: Balance,
	/// The fill opened or closed a position of the taker or the maker (so it changed a
	/// position index, [`AccountSeries`]).
	opened_or_closed: bool,
}

/// What a `place_order` did, for its weight ([`Pallet::place_order_actual_weight`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaceOrderOutcome {
	/// Resting orders visited.
	pub visited: u32,
	/// Positions held by the taker and the visited makers before the call (each margin check
	/// prices them).
	pub positions: u32,
	/// The unfilled part rested in the book.
	pub rested: bool,
	/// Every fill changed positions that both sides already held and kept them open (no
	/// position opened or closed), and every visited resting order but the last was removed
	/// (the last one, partly filled, stays in the book unchanged): the case benchmarked by
	/// `place_order_immediate_held`.
	pub held: bool,
}

/// The other side of the book.
pub fn opposite(side: Side) -> Side {
	match side {
		Side::Buy => Side::Sell,
		Side::Sell => Side::Buy,
	}
}

/// Whether an incoming `side` order with limit `limit` matches a resting order at `resting`.
pub fn crosses(side: Side, limit: Balance, resting: Balance) -> bool {
	match side {
		Side::Buy => limit >= resting,
		Side::Sell => limit <= resting,
	}
}

impl<T: Config> Pallet<T> {
	/// Benchmarked weight of the order book work of `place_order` visiting `visited` resting
	/// orders: `place_order_immediate` when nothing can rest (`ImmediateOrCancel`,
	/// `FillOrKill`), `place_order` otherwise.
	fn book_weight(visited: u32, rests: bool) -> Weight {
		if rests {
			T::WeightInfo::place_order(visited)
		} else {
			T::WeightInfo::place_order_immediate(visited)
		}
	}

	/// Worst-case weight of `place_order` visiting `visited` resting orders with
	/// `time_in_force`: the benchmarked call (taker and makers holding no position before the
	/// fill, so each margin check prices the one position the fill opens) plus, per margin
	/// check (each visited maker and the taker), the margin computation of
	/// `MaxPositionsPerAccount` more positions.
	pub fn place_order_weight(visited: u32, time_in_force: TimeInForce) -> Weight {
		let checks = u64::from(visited).saturating_add(1);
		let per_check = T::WeightInfo::margin_requirement(T::MaxPositionsPerAccount::get())
			.saturating_sub(T::WeightInfo::margin_requirement(0));
		Self::book_weight(visited, time_in_force.may_rest())
			.saturating_add(per_check.saturating_mul(checks))
	}

	/// Weight actually used by a `place_order` that did `outcome`: the benchmarked call
	/// (`place_order` if the remainder rested; otherwise `place_order_immediate`, or the lower
	/// `place_order_immediate_held` when no position was opened or closed and the last visited
	/// order stayed in the book, see [`PlaceOrderOutcome::held`]) plus the margin computation
	/// of the positions held by the taker and the visited makers before the call.
	/// `margin_requirement` is affine in the positions, so the positions of all the checks
	/// cost `mr(positions) - mr(0)`. Never more than [`Self::place_order_weight`].
	pub fn place_order_actual_weight(
		outcome: &PlaceOrderOutcome,
		time_in_force: TimeInForce,
	) -> Weight {
		let visited = outcome.visited;
		let extra = T::WeightInfo::margin_requirement(outcome.positions)
			.saturating_sub(T::WeightInfo::margin_requirement(0));
		let mut book = Self::book_weight(visited, outcome.rested);
		if outcome.held && !outcome.rested {
			book = book.min(T::WeightInfo::place_order_immediate_held(visited));
		}
		book.saturating_add(extra).min(Self::place_order_weight(visited, time_in_force))
	}

	/// Number of positions of `who` (one storage read of the length).
	pub(crate) fn position_count(who: &T::AccountId) -> u32 {
		AccountSeries::<T>::decode_len(who).unwrap_or(0) as u32
	}

	/// Place and match an order (rules in [`Pallet::place_order`]). Returns what it did, for
	/// its weight.
	pub(crate) fn do_place_order(
		who: &T::AccountId,
		series: SeriesId,
		side: Side,
		price: Balance,
		quantity: u64,
		time_in_force: TimeInForce,
	) -> Result<PlaceOrderOutcome, DispatchError> {
		ensure!(quantity > 0, Error::<T>::ZeroQuantity);
		ensure!(price > 0, Error::<T>::ZeroPrice);
		let info = Series::<T>::get(series).ok_or(Error::<T>::UnknownSeries)?;
		ensure!(
			info.status == SeriesStatus::Trading && Self::now() < info.terms.expiry,
			Error::<T>::SeriesExpired
		);
		let q = i64::try_from(quantity).map_err(|_| Error::<T>::Overflow)?;
		// The whole premium must fit the margin ledger's signed cash, or a resting bid would
		// make every sell crossing it fail.
		let premium = price.checked_mul(u128::from(quantity)).ok_or(Error::<T>::Overflow)?;
		ensure!(i128::try_from(premium).is_ok(), Error::<T>::Overflow);

		let resting_side = opposite(side);
		let mut book = Book::<T>::get(series, resting_side);
		let crosses_best =
			|book: &[BookEntry]| book.first().is_some_and(|best| crosses(side, price, best.price));
		if time_in_force == TimeInForce::PostOnly {
			ensure!(!crosses_best(&book), Error::<T>::PostOnlyWouldCross);
		}

		let underlying = info.terms.underlying;
		let spot: Option<Price> = T::Prices::spot(underlying).ok();
		let prices_ok = spot.is_some() && T::Prices::implied_vol(underlying).is_ok();
		let dir: i64 = match side {
			Side::Buy => 1,
			Side::Sell => -1,
		};
		let taker_start = Positions::<T>::get(series, who).unwrap_or(0);
		if !prices_ok && crosses_best(&book) {
			let full =
				taker_start.checked_add(dir.saturating_mul(q)).ok_or(Error::<T>::Overflow)?;
			ensure!(Self::is_reduce_only(taker_start, full), Error::<T>::PriceUnavailable);
		}

		let order_id = NextOrderId::<T>::get();
		NextOrderId::<T>::put(order_id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		Self::deposit_event(Event::OrderPlaced {
			order_id,
			who: who.clone(),
			series,
			side,
			price,
			quantity,
			time_in_force,
		});

		let params = Params::<T>::get();
		let max_visits = T::MaxFillsPerCall::get();
		let mut remaining = quantity;
		let mut visited: u32 = 0;
		let mut positions_seen: u32 = Self::position_count(who);
		let mut oi_delta: i128 = 0;
		let mut taker_fees: Balance = 0;
		let mut book_changed = false;
		// Resting orders removed from the book, and whether a fill opened or closed a
		// position (both decide the weight, see `PlaceOrderOutcome::held`).
		let mut removed: u32 = 0;
		let mut opened_or_closed = false;
		while remaining > 0 && visited < max_visits {
			let Some(best) = book.first().copied() else { break };
			if !crosses(side, price, best.price) {
				break;
			}
			let Some(mut maker_order) = Orders::<T>::get(best.order_id) else {
				// Not reachable while the book is consistent (try_state): drop the entry.
				book.remove(0);
				book_changed = true;
				visited = visited.saturating_add(1);
				removed = removed.saturating_add(1);
				continue;
			};
			let maker = maker_order.owner.clone();
			let fill_qty = remaining.min(maker_order.remaining);
			if !prices_ok {
				let maker_old = Positions::<T>::get(series, &maker).unwrap_or(0);
				let maker_new = i64::try_from(fill_qty)
					.ok()
					.and_then(|f| maker_old.checked_sub(dir.saturating_mul(f)))
					.ok_or(Error::<T>::Overflow)?;
				if maker != *who && !Self::is_reduce_only(maker_old, maker_new) {
					// The maker's risk check needs the prices: stop, keep the order.
					break;
				}
			}
			visited = visited.saturating_add(1);
			positions_seen = positions_seen.saturating_add(Self::position_count(&maker));
			if maker == *who {
				book.remove(0);
				book_changed = true;
				removed = removed.saturating_add(1);
				Self::drop_order(best.order_id, &maker_order, CancelReason::SelfTrade);
				continue;
			}
			let outcome = with_transaction(|| {
				match Self::execute_fill(
					series,
					&info.terms,
					who,
					&maker,
					side,
					best.price,
					fill_qty,
					spot,
					&params,
				) {
					Ok(fill) => TransactionOutcome::Commit(Ok(Ok(fill))),
					Err(FillError::Maker(reason)) => TransactionOutcome::Rollback(Ok(Err(reason))),
					Err(FillError::Fatal(e)) => TransactionOutcome::Rollback(Err(e)),
				}
			})?;
			match outcome {
				Ok(fill) => {
					oi_delta = oi_delta.saturating_add(fill.oi_delta);
					taker_fees = taker_fees.saturating_add(fill.taker_fee);
					opened_or_closed |= fill.opened_or_closed;
					remaining = remaining.saturating_sub(fill_qty);
					maker_order.remaining = maker_order.remaining.saturating_sub(fill_qty);
					Self::deposit_event(Event::OrderFilled {
						series,
						maker_order: best.order_id,
						taker_order: order_id,
						maker: maker.clone(),
						taker: who.clone(),
						taker_side: side,
						price: best.price,
						quantity: fill_qty,
						premium: fill.premium,
						maker_fee: fill.maker_fee,
						taker_fee: fill.taker_fee,
					});
					if maker_order.remaining.is_zero() {
						book.remove(0);
						book_changed = true;
						removed = removed.saturating_add(1);
						Orders::<T>::remove(best.order_id);
						Self::remove_from_account_orders(&maker, best.order_id);
					} else {
						// Partly filled: still the best order, its book entry unchanged.
						Orders::<T>::insert(best.order_id, &maker_order);
					}
				}
				Err(reason) => {
					book.remove(0);
					book_changed = true;
					removed = removed.saturating_add(1);
					Self::drop_order(best.order_id, &maker_order, reason);
				}
			}
		}

		if remaining > 0 && time_in_force == TimeInForce::FillOrKill {
			return Err(Error::<T>::FillOrKillNotFilled.into());
		}
		if book_changed {
			if book.is_empty() {
				Book::<T>::remove(series, resting_side);
			} else {
				Book::<T>::insert(series, resting_side, &book);
			}
		}
		Self::apply_open_interest(series, oi_delta)?;
		Self::pay_fee(who, taker_fees)?;
		let taker_end = Positions::<T>::get(series, who).unwrap_or(0);
		if !Self::is_reduce_only(taker_start, taker_end) {
			T::Ledger::ensure_initial_margin(who).map_err(|e| {
				log::debug!(target: "runtime::options", "taker margin check failed: {e:?}");
				Error::<T>::InsufficientMargin
			})?;
		}

		let mut rested = false;
		if remaining > 0 {
			let cancel = |reason| {
				Self::deposit_event(Event::OrderCancelled {
					order_id,
					who: who.clone(),
					series,
					remaining,
					reason,
				})
			};
			match time_in_force {
				TimeInForce::ImmediateOrCancel => cancel(CancelReason::Unfilled),
				_ if crosses_best(&book) => cancel(CancelReason::MatchingStopped),
				_ => {
					Self::rest_order(
						order_id,
						Order { series, owner: who.clone(), side, price, remaining, quantity },
					)?;
					rested = true;
				}
			}
		}
		let held = !opened_or_closed && (visited == 0 || removed < visited);
		Ok(PlaceOrderOutcome { visited, positions: positions_seen, rested, held })
	}

	/// One fill between the taker and a maker at the maker's `price`: positions, premium,
	/// maker fee, maker margin check. Runs inside a storage transaction (rolled back on error).
	#[allow(clippy::too_many_arguments)]
	fn execute_fill(
		series: SeriesId,
		terms: &SeriesTerms,
		taker: &T::AccountId,
		maker: &T::AccountId,
		taker_side: Side,
		price: Balance,
		quantity: u64,
		spot: Option<Price>,
		params: &OptionsParams,
	) -> Result<Fill, FillError> {
		let fatal = |e: DispatchError| FillError::Fatal(e);
		let q = i64::try_from(quantity).map_err(|_| fatal(Error::<T>::Overflow.into()))?;
		let taker_delta = match taker_side {
			Side::Buy => q,
			Side::Sell => q.saturating_neg(),
		};
		let mut oi_delta =
			Self::change_position(series, terms, taker, taker_delta).map_err(fatal)?;
		let taker_new = Positions::<T>::get(series, taker).unwrap_or(0);
		let taker_old = taker_new.saturating_sub(taker_delta);
		let maker_old = Positions::<T>::get(series, maker).unwrap_or(0);
		oi_delta += match Self::change_position(series, terms, maker, taker_delta.saturating_neg())
		{
			Ok(d) => d,
			Err(e) if e == Error::<T>::TooManyPositions.into() => {
				return Err(FillError::Maker(CancelReason::MakerPositionLimit))
			}
			Err(e) => return Err(fatal(e)),
		};
		let maker_new = Positions::<T>::get(series, maker).unwrap_or(0);

		let premium = price
			.checked_mul(u128::from(quantity))
			.ok_or_else(|| fatal(Error::<T>::Overflow.into()))?;
		let (buyer, seller) = match taker_side {
			Side::Buy => (taker, maker),
			Side::Sell => (maker, taker),
		};
		Self::transfer(buyer, seller, premium).map_err(fatal)?;
		let size = terms.contract_size;
		let maker_fee = Self::fee(params.maker_fee_rate, spot, size, price, quantity);
		let taker_fee = Self::fee(params.taker_fee_rate, spot, size, price, quantity);
		Self::pay_fee(maker, maker_fee).map_err(fatal)?;
		if !Self::is_reduce_only(maker_old, maker_new) {
			T::Ledger::ensure_initial_margin(maker)
				.map_err(|_| FillError::Maker(CancelReason::MakerMarginCheckFailed))?;
		}
		let opens_or_closes = |old: i64, new: i64| (old == 0) != (new == 0);
		let opened_or_closed =
			opens_or_closes(taker_old, taker_new) || opens_or_closes(maker_old, maker_new);
		Ok(Fill { oi_delta, premium, maker_fee, taker_fee, opened_or_closed })
	}

	/// Pay a fee from `payer`'s cash: [`Config::InsuranceFeeShare`] of it (rounded down) to
	/// the insurance fund account, the rest to the fee collector.
	pub(crate) fn pay_fee(payer: &T::AccountId, fee: Balance) -> DispatchResult {
		if fee.is_zero() {
			return Ok(());
		}
		let to_fund = T::InsuranceFeeShare::get().mul_floor(fee);
		let to_collector = fee.saturating_sub(to_fund);
		let fund = T::InsuranceFundAccount::get();
		let collector = T::FeeCollector::get();
		if fund != *payer {
			Self::transfer(payer, &fund, to_fund)?;
		}
		if collector != *payer {
			Self::transfer(payer, &collector, to_collector)?;
		}
		Ok(())
	}

	/// Put the unfilled part of an order in its book side.
	///
	/// Errors: [`Error::TooManyPositions`] (a position the order would open cannot be held),
	/// [`Error::BookSideFull`], [`Error::TooManyOpenOrders`].
	fn rest_order(order_id: OrderId, order: Order<T::AccountId>) -> DispatchResult {
		let who = &order.owner;
		ensure!(
			Positions::<T>::contains_key(order.series, who)
				|| AccountSeries::<T>::decode_len(who).unwrap_or(0)
					< T::MaxPositionsPerAccount::get() as usize,
			Error::<T>::TooManyPositions
		);
		let mut own = Book::<T>::get(order.series, order.side);
		// Best price first; at one price, behind the earlier orders (time priority).
		let at = match order.side {
			Side::Buy => own.partition_point(|e| e.price >= order.price),
			Side::Sell => own.partition_point(|e| e.price <= order.price),
		};
		own.try_insert(at, BookEntry { order_id, price: order.price })
			.map_err(|_| Error::<T>::BookSideFull)?;
		AccountOrders::<T>::try_mutate(who, |ids| ids.try_push(order_id))
			.map_err(|_| Error::<T>::TooManyOpenOrders)?;
		Book::<T>::insert(order.series, order.side, own);
		Orders::<T>::insert(order_id, order);
		Ok(())
	}

	/// Cancel `who`'s resting order `order_id` (rules in [`Pallet::cancel_order`]).
	pub(crate) fn do_cancel_order(who: &T::AccountId, order_id: OrderId) -> DispatchResult {
		let order = Orders::<T>::get(order_id).ok_or(Error::<T>::UnknownOrder)?;
		ensure!(order.owner == *who, Error::<T>::NotOrderOwner);
		Self::remove_from_book(order.series, order.side, order_id);
		Self::drop_order(order_id, &order, CancelReason::ByOwner);
		Ok(())
	}

	/// Cancel every resting order of `who` (at most `MaxOpenOrdersPerAccount`). Returns how
	/// many.
	pub(crate) fn cancel_all_orders(who: &T::AccountId, reason: CancelReason) -> u32 {
		let ids = AccountOrders::<T>::take(who);
		let mut n: u32 = 0;
		for id in ids {
			if let Some(order) = Orders::<T>::take(id) {
				Self::remove_from_book(order.series, order.side, id);
				Self::deposit_event(Event::OrderCancelled {
					order_id: id,
					who: order.owner,
					series: order.series,
					remaining: order.remaining,
					reason,
				});
				n = n.saturating_add(1);
			}
		}
		n
	}

	/// Remove a resting order from [`Orders`] and its owner's index and emit
	/// [`Event::OrderCancelled`]; the caller removes its book entry.
	pub(crate) fn drop_order(order_id: OrderId, order: &Order<T::AccountId>, reason: CancelReason) {
		Orders::<T>::remove(order_id);
		Self::remove_from_account_orders(&order.owner, order_id);
		Self::deposit_event(Event::OrderCancelled {
			order_id,
			who: order.owner.clone(),
			series: order.series,
			remaining: order.remaining,
			reason,
		});
	}

	fn remove_from_account_orders(who: &T::AccountId, order_id: OrderId) {
		AccountOrders::<T>::mutate_exists(who, |ids| {
			if let Some(v) = ids {
				v.retain(|id| *id != order_id);
				if v.is_empty() {
					*ids = None;
				}
			}
		});
	}

	fn remove_from_book(series: SeriesId, side: Side, order_id: OrderId) {
		Book::<T>::mutate_exists(series, side, |maybe| {
			if let Some(entries) = maybe {
				entries.retain(|e| e.order_id != order_id);
				if entries.is_empty() {
					*maybe = None;
				}
			}
		});
	}
}
