//! Unwinding the insurance fund's inventory: the positions the fund takes over from liquidated
//! accounts are offered back to the market by reduce-only resting orders at the mark adjusted
//! by a governance-set spread, with bounded work per block.
//!
//! ## Rules
//! Each block, after the settlement work, `on_initialize` visits at most
//! [`Config::MaxUnwindQuotesPerBlock`] of the series in which the fund
//! ([`Config::InsuranceFundAccount`]) holds a position, in series-id order starting after the
//! last one visited ([`UnwindCursor`], round-robin, so every series is visited within
//! `ceil(series held / MaxUnwindQuotesPerBlock)` blocks). In each it keeps at most one resting
//! order of the fund, its **quote** ([`FundQuotes`], [`Pallet::unwind_quote`]):
//!
//! ```text
//! long  q > 0: sell q at ask = ceil_tick(mark_up   + ceil(unwind_spread x mark_up))
//! short q < 0: buy |q| at bid = floor_tick(mark_down - ceil(unwind_spread x mark_down))
//! ```
//!
//! `mark_up`/`mark_down`: the series' mark per contract (Black–Scholes from the oracle's index
//! price and implied volatility, [`Pallet::unit_mark`]) rounded up/down to the USD unit;
//! `ceil_tick`/`floor_tick`: to a multiple of the series' tick ([`Pallet::tick`]). So the fund
//! quotes no lower than `mark x (1 + unwind_spread)` for a sale nor higher than
//! `mark x (1 - unwind_spread)` for a purchase: the price comes from the oracle, not from the
//! book, and an order that crosses the quote fills at the quote's price (the maker's) or
//! better for the fund. At fill time a quote that would trade at a loss to the current mark
//! (the mark moved by more than the spread since it was quoted) is withdrawn instead.
//!
//! - **No quote** (a standing one is withdrawn, [`Event::InventoryQuoteCancelled`]): the series
//!   is not trading (past its expiry, settling), its mark is unavailable (no quorum, halted), the
//!   price rounds to zero or out of the price band ([`Pallet::price_band`]), or the position is
//!   below `min_order_quantity`.
//! - **Replace** (cancel, then place): when the price or the quantity would change (the mark
//!   moved by a tick or more, the position changed, the spread was changed). An unchanged quote
//!   keeps its time priority.
//! - **Placement** is an ordinary order of the fund ([`Pallet::place_order`]'s rules): it first
//!   fills against the resting orders that cross it, at their prices, at most
//!   `MaxFillsPerCall` of them, premium and fees as every fill ([`Event::OrderFilled`]); the
//!   rest rests. Where it cannot rest (its book side full of better orders, or the fund at
//!   `MaxOpenOrdersPerAccount` resting orders) it is placed immediate-or-cancel if it crosses
//!   the book, and not at all otherwise. Any error (the ledger's, a full side met on the way)
//!   rolls the placement back and the series is skipped until its next visit: the hook never
//!   fails.
//! - **Reduce-only.** Every order of the fund is reduce-only: a fill never increases or flips
//!   its position. A position transferred to or from the fund
//!   (`Pallet::do_transfer_position`) cuts its quote in that series to what still closes the
//!   new position, or cancels it ([`CancelReason::ReduceOnly`]); and at fill time a fund order
//!   is cut the same way before it fills (`Pallet::match_order`), whatever changed the
//!   position.
//! - The fund is exempt from the trade margin rule (`pallet-margin`), so its orders need no
//!   margin snapshot, and the unavailable price of one of its series does not stop the others'
//!   quotes.
//!
//! ## Weight
//! The benchmark `unwind_inventory(n)` measures `n` visits each replacing a quote (a
//! cancellation and a placement that rests without fills); a placement's fills are charged on
//! top as [`Pallet::place_order`] charges them ([`Pallet::place_order_actual_weight`] beyond its
//! no-fill case). The most a block can use is [`Pallet::max_unwind_weight`], checked against the
//! block by the integrity test.
//!
//! ## Sources
//! - Exchanges close a defaulted position in the market, not hold it to expiry: Deribit's
//!   liquidation engine closes positions incrementally "in the market" in small steps
//!   (<https://support.deribit.com/hc/en-us/articles/25944769313309-Liquidations>); CME
//!   Clearing's default management hedges and auctions the defaulter's portfolio to clearing
//!   members. Here the fund has already taken the positions over at the mark; it offers them
//!   back to the market as a passive liquidity provider, at most the quantity it holds.
//! - dYdX v4, for contrast, keeps no inventory: a position the insurance fund cannot absorb is
//!   deleveraged against opposing positions at the bankruptcy price. Solvent deleverages at
//!   settlement only ([`Settlement::fund_shortfall`]); before it, unwinding shrinks what the
//!   fund carries to expiry.
//! - The spread in the fund's favour: a quote inside the usual bid-ask spread of listed crypto
//!   options fills against taker flow without the fund realizing less than the mark it paid;
//!   the governance can narrow it to zero ([`UNWIND_SPREAD_BOUNDS`]). A descending-price
//!   (Dutch) auction from the mark to a floor, as MakerDAO's liquidation auctions, would find
//!   a clearing price for inventory nobody takes at the mark; not done here.

use crate::{mark::contracts_value, pallet::*, trading::crosses, types::*, weights::WeightInfo};
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::Weight,
	storage::{with_transaction, TransactionOutcome},
	traits::Get,
};
use solvent_primitives::{Balance, SeriesId, Side};
use sp_arithmetic::{traits::Zero, Rounding};
use sp_runtime::DispatchError;

/// The fund's quote in a series ([`Pallet::unwind_quote`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnwindQuote {
	/// Sell (the fund is long) or buy (short).
	pub side: Side,
	/// USD units per contract.
	pub price: Balance,
	/// Contracts: the fund's whole position.
	pub quantity: u64,
	/// Mark per contract, USD units rounded down.
	pub mark: Balance,
}

impl<T: Config> Pallet<T> {
	/// Contracts an order on `side` can fill without increasing or flipping the position `held`:
	/// `|held|` if `side` closes it, else 0.
	pub fn closable(held: i64, side: Side) -> u64 {
		if Self::may_reduce(held, side) {
			held.unsigned_abs()
		} else {
			0
		}
	}

	/// The insurance fund's unwind quote in series `id` (listed as `info`) for its position
	/// `held`, under `params` (rules in `unwind.rs`); `None` if it should not quote.
	pub fn unwind_quote(
		id: SeriesId,
		info: &SeriesInfo,
		held: i64,
		params: &OptionsParams,
	) -> Option<UnwindQuote> {
		if held == 0 || info.status != SeriesStatus::Trading || Self::now() >= info.terms.expiry {
			return None;
		}
		let quantity = held.unsigned_abs();
		if quantity < params.min_order_quantity {
			return None;
		}
		let mark = Self::current_mark(id, info).ok()?;
		let size = info.terms.contract_size;
		let band = Self::price_band(size, mark.greeks.price, mark.spot, params);
		let tick = Self::tick(size, params);
		let spread = params.unwind_spread;
		let (side, price) = if held > 0 {
			let up = contracts_value(1, size, mark.greeks.price, Rounding::Up);
			let ask = up.checked_add(spread.mul_ceil(up))?;
			(Side::Sell, ask.div_ceil(tick).checked_mul(tick)?)
		} else {
			let down = band.mark;
			let bid = down.saturating_sub(spread.mul_ceil(down));
			(Side::Buy, bid / tick * tick)
		};
		if price.is_zero() || !band.contains(price) {
			return None;
		}
		Some(UnwindQuote { side, price, quantity, mark: band.mark })
	}

	/// The `on_initialize` work of unwinding: visit at most `max` of the series the fund holds a
	/// position in, round-robin from [`UnwindCursor`], and keep each one's quote (rules in
	/// `unwind.rs`). Never fails. Returns the weight used.
	pub(crate) fn do_unwind_inventory(max: u32) -> Weight {
		let fund = T::InsuranceFundAccount::get();
		let held = AccountSeries::<T>::get(&fund);
		let mut weight = T::WeightInfo::unwind_inventory(0);
		if held.is_empty() || max == 0 {
			return weight;
		}
		let mut ids: Vec<SeriesId> = held.into_inner();
		ids.sort_unstable();
		let n = ids.len().min(max as usize);
		let start = match UnwindCursor::<T>::get() {
			Some(last) if n < ids.len() => ids.partition_point(|id| *id <= last),
			_ => 0,
		};
		let visit: Vec<SeriesId> = ids.iter().cycle().skip(start).take(n).copied().collect();
		let params = Params::<T>::get();
		weight = T::WeightInfo::unwind_inventory(n as u32);
		for id in visit.iter() {
			weight = weight.saturating_add(Self::unwind_series(&fund, *id, &params));
		}
		if n < ids.len() {
			if let Some(last) = visit.last() {
				UnwindCursor::<T>::put(*last);
			}
		} else if UnwindCursor::<T>::exists() {
			UnwindCursor::<T>::kill();
		}
		weight
	}

	/// Keep the fund's quote in series `id`: leave it, replace it, withdraw it or place it.
	/// Returns the weight used beyond the benchmarked visit (a placement's fills).
	fn unwind_series(fund: &T::AccountId, id: SeriesId, params: &OptionsParams) -> Weight {
		let held = Positions::<T>::get(id, fund).unwrap_or(0);
		let target =
			Series::<T>::get(id).and_then(|info| Self::unwind_quote(id, &info, held, params));
		let current = FundQuotes::<T>::get(id);
		if let Some(order_id) = current {
			match Orders::<T>::get(order_id).filter(|o| o.owner == *fund && o.series == id) {
				Some(order) => {
					let unchanged = target.is_some_and(|t| {
						t.side == order.side
							&& t.price == order.price
							&& t.quantity == order.remaining
					});
					if unchanged {
						return Weight::zero();
					}
					Self::remove_from_book(id, order.side, order_id);
					Self::drop_order(order_id, &order, CancelReason::InventoryRequote);
					Self::deposit_event(Event::InventoryQuoteCancelled {
						series: id,
						order_id,
						remaining: order.remaining,
					});
				}
				// Not reachable while the index is consistent (try_state): drop the entry.
				None => FundQuotes::<T>::remove(id),
			}
		}
		let Some(quote) = target else { return Weight::zero() };
		let time_in_force = if Self::fund_can_rest(fund, id, quote.side, quote.price) {
			TimeInForce::GoodTilCancelled
		} else {
			let best = Book::<T>::get(id, crate::trading::opposite(quote.side)).first().copied();
			if !best.is_some_and(|b| crosses(quote.side, quote.price, b.price)) {
				return Weight::zero();
			}
			TimeInForce::ImmediateOrCancel
		};
		let order_id = NextOrderId::<T>::get();
		let placed = with_transaction(|| {
			match Self::do_place_order(
				fund,
				id,
				quote.side,
				quote.price,
				quote.quantity,
				time_in_force,
			) {
				Ok(outcome) => TransactionOutcome::Commit(Ok(outcome)),
				Err(e) => TransactionOutcome::Rollback(Err::<_, DispatchError>(e)),
			}
		});
		match placed {
			Ok(outcome) => {
				let resting = if outcome.rested {
					FundQuotes::<T>::insert(id, order_id);
					Orders::<T>::get(order_id).map(|o| o.remaining).unwrap_or(0)
				} else {
					0
				};
				Self::deposit_event(Event::InventoryQuoted {
					series: id,
					order_id,
					side: quote.side,
					price: quote.price,
					quantity: quote.quantity,
					mark: quote.mark,
					resting,
				});
				Self::place_order_actual_weight(&outcome, time_in_force)
					.saturating_sub(T::WeightInfo::place_order(0))
			}
			Err(e) => {
				log::debug!(
					target: "runtime::options",
					"unwind quote of series {id} not placed: {e:?}"
				);
				Weight::zero()
			}
		}
	}

	/// Whether a fund order on `side` at `price` in series `id` can rest: its book side has room
	/// or a worse order to evict, and the fund has fewer than `MaxOpenOrdersPerAccount` orders.
	fn fund_can_rest(fund: &T::AccountId, id: SeriesId, side: Side, price: Balance) -> bool {
		let own = Book::<T>::get(id, side);
		if own.len() >= T::MaxOrdersPerSide::get() as usize {
			let better = own.last().is_some_and(|worst| match side {
				Side::Buy => price > worst.price,
				Side::Sell => price < worst.price,
			});
			if !better {
				return false;
			}
		}
		AccountOrders::<T>::get(fund).ids.len() < T::MaxOpenOrdersPerAccount::get() as usize
	}

	/// Cut the fund's quote in series `id` to what still closes its position there
	/// ([`Event::InventoryQuoteReduced`]), or cancel it ([`CancelReason::ReduceOnly`]) if nothing
	/// does: after a position transfer to or from the fund.
	pub(crate) fn trim_fund_quote(id: SeriesId) {
		let Some(order_id) = FundQuotes::<T>::get(id) else { return };
		let Some(mut order) = Orders::<T>::get(order_id) else {
			FundQuotes::<T>::remove(id);
			return;
		};
		let held = Positions::<T>::get(id, &order.owner).unwrap_or(0);
		let closable = Self::closable(held, order.side);
		if closable >= order.remaining {
			return;
		}
		if closable == 0 {
			Self::remove_from_book(id, order.side, order_id);
			Self::drop_order(order_id, &order, CancelReason::ReduceOnly);
		} else {
			Self::shrink_order(order_id, &mut order, closable);
			Self::deposit_event(Event::InventoryQuoteReduced {
				series: id,
				order_id,
				remaining: closable,
			});
		}
	}

	/// Weight of the heaviest unwinding of a block: `MaxUnwindQuotesPerBlock` visits, each
	/// replacing a quote whose placement visits `MaxFillsPerCall` resting orders.
	pub fn max_unwind_weight() -> Weight {
		let max = T::MaxUnwindQuotesPerBlock::get();
		let fills =
			Self::place_order_weight(T::MaxFillsPerCall::get(), TimeInForce::GoodTilCancelled)
				.saturating_sub(T::WeightInfo::place_order(0));
		T::WeightInfo::unwind_inventory(max).saturating_add(fills.saturating_mul(u64::from(max)))
	}
}
