//! Trading: the checks of an incoming order (quantity, tick, price band), matching against the
//! book, each fill (positions, premium, fees, the maker's margin), the remainder, and the
//! taker's margin. The rules are in [`Pallet::place_order`]; the fee in [`Pallet::fee`], the
//! band in [`Pallet::price_band`].

use crate::{
	mark::{contracts_value, MILLION, SCALE_36},
	pallet::*,
	types::*,
	weights::WeightInfo,
};
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult, Weight},
	storage::{with_transaction, TransactionOutcome},
	traits::Get,
	BoundedVec,
};
use solvent_primitives::{
	Balance, MarginLedger, MarginSnapshot, OrderId, Price, ProtocolAccounts, SeriesId, Side,
};
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, traits::Zero, FixedPointNumber, FixedU128,
	Permill, Rounding,
};

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
	/// The maker's order was filled in full (and left the book).
	maker_done: bool,
}

/// What a `place_order` did, for its weight ([`Pallet::place_order_actual_weight`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PlaceOrderOutcome {
	/// Resting orders visited.
	pub visited: u32,
	/// Accounts priced for a margin check (each a `MarginLedger::margin_snapshot` or
	/// `ensure_trade_margin`).
	pub pricings: u32,
	/// Series priced over those pricings (each account's footprint when it was priced).
	pub priced_series: u32,
	/// The unfilled part rested in the book.
	pub rested: bool,
	/// Every fill changed positions that both sides already held and kept them open (no
	/// position opened or closed), and every visited resting order but the last was removed
	/// (the last one, partly filled, stays in the book): the case benchmarked by
	/// `place_order_immediate_held`.
	pub held: bool,
}

impl PlaceOrderOutcome {
	fn priced(&mut self, series: u32) {
		self.pricings = self.pricings.saturating_add(1);
		self.priced_series = self.priced_series.saturating_add(series);
	}
}

/// The interval a limit premium must lie in, USD units per contract ([`Pallet::price_band`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceBand {
	/// The series' mark per contract (rounded down).
	pub mark: Balance,
	/// Lowest accepted premium (at least one tick).
	pub lower: Balance,
	/// Highest accepted premium.
	pub upper: Balance,
}

impl PriceBand {
	/// Whether `price` is inside the band (edges included).
	pub fn contains(&self, price: Balance) -> bool {
		self.lower <= price && price <= self.upper
	}
}

/// The series an incoming order trades, as its checks found it.
struct Market {
	series: SeriesId,
	info: SeriesInfo,
	spot: Price,
	band: PriceBand,
	params: OptionsParams,
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

/// `+1` for a buy, `-1` for a sell.
fn direction(side: Side) -> i64 {
	match side {
		Side::Buy => 1,
		Side::Sell => -1,
	}
}

impl<T: Config> Pallet<T> {
	// ------------------------------------------------------------------ rules

	/// The trading fee of a fill, USD units, per **Deribit's options fee rule** (Deribit
	/// support, "Fees", <https://support.deribit.com/hc/en-us/articles/25944746248989-Fees>:
	/// BTC and ETH options pay 0.03% of the underlying per contract, maker and taker, and
	/// the fee "can never be higher than 12.5% of the options price"):
	///
	/// ```text
	/// fee = min(rate x S x size x quantity, 12.5% x premium)     (rounded up)
	/// ```
	///
	/// `rate`: the maker or taker fee rate; `spot` (`S`): the index price, USD per whole unit;
	/// `premium`: the fill's premium (`price x quantity`), USD units.
	pub fn fee(
		rate: Permill,
		spot: Price,
		contract_size: FixedU128,
		premium: Balance,
		quantity: u64,
	) -> Balance {
		let cap = multiply_by_rational_with_rounding(
			premium,
			u128::from(FEE_CAP_OF_PREMIUM.deconstruct()),
			MILLION,
			Rounding::Up,
		)
		.unwrap_or(u128::MAX);
		let units = contract_size.into_inner().saturating_mul(u128::from(quantity));
		let index_fee = multiply_by_rational_with_rounding(
			spot.into_inner().saturating_mul(u128::from(rate.deconstruct())),
			units,
			SCALE_36,
			Rounding::Up,
		)
		.unwrap_or(u128::MAX);
		index_fee.min(cap)
	}

	/// The tick of a series: limit premiums are multiples of
	/// `max(1, floor(tick_size x contract size))` USD units per contract.
	pub fn tick(contract_size: FixedU128, params: &OptionsParams) -> Balance {
		contract_size.saturating_mul_int(params.tick_size).max(1)
	}

	/// The price band of a series whose mark is `mark_price` (USD per whole unit) with the
	/// underlying at `spot`, in USD units per contract. Deribit's trading bandwidth limits
	/// (<https://insights.deribit.com/education/trading-bandwidths-limits/>: no trade outside
	/// the mark plus or minus a band; for options the band is a fixed share of the underlying)
	/// with a part proportional to the mark, so in-the-money options get a band that scales
	/// with their price:
	///
	/// ```text
	/// mark  = floor(mark_price x size)
	/// width = max(floor(price_band_rate x mark), floor(price_band_floor x floor(spot x size)))
	/// band  = [max(mark - width, tick), mark + width]
	/// ```
	///
	/// A limit premium outside it is rejected ([`Error::PriceOutsideBand`]) and no fill happens
	/// at a resting price outside it ([`CancelReason::OutsidePriceBand`]): a trade at an absurd
	/// premium cannot move value between colluding accounts.
	pub fn price_band(
		contract_size: FixedU128,
		mark_price: FixedU128,
		spot: Price,
		params: &OptionsParams,
	) -> PriceBand {
		let mark = contracts_value(1, contract_size, mark_price, Rounding::Down);
		let underlying = contracts_value(1, contract_size, spot, Rounding::Down);
		let width = params
			.price_band_rate
			.mul_floor(mark)
			.max(params.price_band_floor.mul_floor(underlying));
		PriceBand {
			mark,
			lower: mark.saturating_sub(width).max(Self::tick(contract_size, params)),
			upper: mark.saturating_add(width),
		}
	}

	// ------------------------------------------------------------------ weights

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

	/// Weight of `pricings` account pricings over `series` series in total:
	/// `margin_requirement` is affine in the series priced, so the sum of
	/// `mr(p_i)` is `pricings x mr(0) + mr(series) - mr(0)`.
	fn pricing_weight(pricings: u32, series: u32) -> Weight {
		let base = T::WeightInfo::margin_requirement(0);
		base.saturating_mul(u64::from(pricings))
			.saturating_add(T::WeightInfo::margin_requirement(series).saturating_sub(base))
	}

	/// The pricings the benchmarks include: one per visited maker and one for the taker, each
	/// of one series.
	fn benchmarked_pricing(visited: u32) -> Weight {
		let n = visited.saturating_add(1);
		Self::pricing_weight(n, n)
	}

	/// Worst-case weight of `place_order` visiting `visited` resting orders with
	/// `time_in_force`: the benchmarked call plus, for each visited maker and the taker, two
	/// pricings (before a closing fill and after it) of an account with the largest footprint,
	/// instead of the benchmark's one pricing of one series.
	pub fn place_order_weight(visited: u32, time_in_force: TimeInForce) -> Weight {
		let accounts = visited.saturating_add(1);
		let pricings = accounts.saturating_mul(2);
		let worst = Self::pricing_weight(
			pricings,
			pricings.saturating_mul(T::MaxPositionsPerAccount::get()),
		);
		Self::book_weight(visited, time_in_force.may_rest())
			.saturating_add(worst.saturating_sub(Self::benchmarked_pricing(visited)))
	}

	/// Weight actually used by a `place_order` that did `outcome`: the benchmarked call
	/// (`place_order` if the remainder rested; otherwise `place_order_immediate`, or the lower
	/// `place_order_immediate_held` when no position was opened or closed and the last visited
	/// order stayed in the book, see [`PlaceOrderOutcome::held`]) plus the pricings beyond the
	/// benchmark's. Never more than [`Self::place_order_weight`].
	pub fn place_order_actual_weight(
		outcome: &PlaceOrderOutcome,
		time_in_force: TimeInForce,
	) -> Weight {
		let visited = outcome.visited;
		let mut book = Self::book_weight(visited, outcome.rested);
		if outcome.held && !outcome.rested {
			book = book.min(T::WeightInfo::place_order_immediate_held(visited));
		}
		let extra = Self::pricing_weight(outcome.pricings, outcome.priced_series)
			.saturating_sub(Self::benchmarked_pricing(visited));
		book.saturating_add(extra).min(Self::place_order_weight(visited, time_in_force))
	}

	// ------------------------------------------------------------------ place_order

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
		let market = Self::check_order(series, side, price, quantity, time_in_force)?;
		let mut outcome = PlaceOrderOutcome::default();

		// The taker's snapshot from before, if this order can close part of its position (the
		// closing leg of the trade margin rule compares against it).
		let taker_start = Positions::<T>::get(series, who).unwrap_or(0);
		let taker_before = Self::snapshot_if_closing(who, taker_start, side, &mut outcome)
			.map_err(|_| Error::<T>::PriceUnavailable)?;

		let order_id = Self::new_order_id()?;
		Self::deposit_event(Event::OrderPlaced {
			order_id,
			who: who.clone(),
			series,
			side,
			price,
			quantity,
			time_in_force,
		});

		let resting_side = opposite(side);
		let mut book = Book::<T>::get(series, resting_side);
		let matched = Self::match_order(
			who,
			order_id,
			&market,
			side,
			price,
			quantity,
			&mut book,
			&mut outcome,
		)?;
		ensure!(
			matched.remaining == 0 || time_in_force != TimeInForce::FillOrKill,
			Error::<T>::FillOrKillNotFilled
		);
		if matched.book_changed {
			if book.is_empty() {
				Book::<T>::remove(series, resting_side);
			} else {
				Book::<T>::insert(series, resting_side, &book);
			}
		}
		Self::apply_open_interest(series, matched.oi_delta)?;
		Self::pay_fee(who, matched.taker_fees)?;

		outcome.rested = Self::place_remainder(
			who,
			order_id,
			&market,
			side,
			price,
			quantity,
			matched.remaining,
			time_in_force,
			&book,
		)?;

		// The taker's margin, once, after its last fill and the resting remainder.
		let taker_end = Positions::<T>::get(series, who).unwrap_or(0);
		if taker_end != taker_start || outcome.rested {
			let before = if Self::is_reduce_only(taker_start, taker_end) {
				taker_before.as_ref()
			} else {
				None
			};
			Self::note_margin_pricing(who, &mut outcome);
			T::Ledger::ensure_trade_margin(who, before).map_err(|e| {
				log::debug!(target: "runtime::options", "taker margin check failed: {e:?}");
				Error::<T>::InsufficientMargin
			})?;
		}
		outcome.held = !matched.opened_or_closed
			&& (outcome.visited == 0 || matched.removed < outcome.visited);
		Ok(outcome)
	}

	/// The checks of an incoming order, before anything is written: quantity (non-zero, at
	/// least the minimum), premium (non-zero, on the tick, within the price band around the
	/// mark), the series trading, amounts within their types.
	///
	/// Errors: [`Error::ZeroQuantity`], [`Error::ZeroPrice`], [`Error::UnknownSeries`],
	/// [`Error::SeriesExpired`], [`Error::QuantityBelowMinimum`], [`Error::Overflow`],
	/// [`Error::PriceNotOnTick`], [`Error::PriceUnavailable`] (no mark: no order is accepted
	/// while a price the mark needs is unavailable), [`Error::PriceOutsideBand`],
	/// [`Error::PostOnlyWouldCross`].
	fn check_order(
		series: SeriesId,
		side: Side,
		price: Balance,
		quantity: u64,
		time_in_force: TimeInForce,
	) -> Result<Market, DispatchError> {
		ensure!(quantity > 0, Error::<T>::ZeroQuantity);
		ensure!(price > 0, Error::<T>::ZeroPrice);
		let info = Series::<T>::get(series).ok_or(Error::<T>::UnknownSeries)?;
		ensure!(
			info.status == SeriesStatus::Trading && Self::now() < info.terms.expiry,
			Error::<T>::SeriesExpired
		);
		let params = Params::<T>::get();
		ensure!(quantity >= params.min_order_quantity, Error::<T>::QuantityBelowMinimum);
		i64::try_from(quantity).map_err(|_| Error::<T>::Overflow)?;
		// The whole premium must fit the margin ledger's signed cash.
		let premium = price.checked_mul(u128::from(quantity)).ok_or(Error::<T>::Overflow)?;
		ensure!(i128::try_from(premium).is_ok(), Error::<T>::Overflow);
		let size = info.terms.contract_size;
		ensure!(price % Self::tick(size, &params) == 0, Error::<T>::PriceNotOnTick);
		let mark = Self::current_mark(series, &info).map_err(|_| Error::<T>::PriceUnavailable)?;
		let band = Self::price_band(size, mark.greeks.price, mark.spot, &params);
		ensure!(band.contains(price), Error::<T>::PriceOutsideBand);
		if time_in_force == TimeInForce::PostOnly {
			let best = Book::<T>::get(series, opposite(side)).first().copied();
			ensure!(
				!best.is_some_and(|b| crosses(side, price, b.price)),
				Error::<T>::PostOnlyWouldCross
			);
		}
		Ok(Market { series, info, spot: mark.spot, band, params })
	}

	/// `who`'s margin snapshot if an order on `side` can close part of its position `held`.
	/// None for a protocol account: the margin ledger exempts it from the trade margin rule
	/// (`pallet-margin`), and pricing it would price the insurance fund's whole inventory (up
	/// to `MaxActiveSeries` series) and fail its unwind quotes whenever any of those prices is
	/// unavailable.
	fn snapshot_if_closing(
		who: &T::AccountId,
		held: i64,
		side: Side,
		outcome: &mut PlaceOrderOutcome,
	) -> Result<Option<MarginSnapshot>, DispatchError> {
		if !Self::may_reduce(held, side) || T::ProtocolAccounts::is_protocol_account(who) {
			return Ok(None);
		}
		outcome.priced(Self::footprint(who));
		T::Ledger::margin_snapshot(who).map(Some)
	}

	/// Count the pricing of `who` by `MarginLedger::ensure_trade_margin` in `outcome` (its
	/// footprint); none for a protocol account, which the ledger exempts without pricing it.
	fn note_margin_pricing(who: &T::AccountId, outcome: &mut PlaceOrderOutcome) {
		if !T::ProtocolAccounts::is_protocol_account(who) {
			outcome.priced(Self::footprint(who));
		}
	}

	/// The next order id.
	fn new_order_id() -> Result<OrderId, DispatchError> {
		let id = NextOrderId::<T>::get();
		NextOrderId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		Ok(id)
	}

	/// Whether a resting fund order on `side` at `price` would trade at a loss to `market`'s
	/// current mark (`band.mark`, USD units per contract): a sell below the mark or a buy above
	/// it. The spread is the tolerance: a quote is made at mark +/- `unwind_spread` and replaced
	/// at the unwind's next visit, so the mark may move by up to the spread in between (a
	/// block's time decay moves it by far less) before the quote is withdrawn; a larger move (a
	/// feed earlier in the block, a quote not yet revisited) cannot be taken against the fund.
	fn fund_quote_is_stale(side: Side, price: Balance, market: &Market) -> bool {
		let mark = market.band.mark;
		match side {
			Side::Sell => price < mark,
			Side::Buy => price > mark,
		}
	}

	/// Match an incoming order against `book` (the opposite side, best first), at the resting
	/// orders' prices, visiting at most `MaxFillsPerCall` of them. A resting order of the
	/// taker is cancelled (self-trade prevention), one priced outside the band is cancelled
	/// (no fill outside the band), one whose maker fails its margin or position limit is
	/// cancelled; the others fill. The caller writes `book` back.
	#[allow(clippy::too_many_arguments)]
	fn match_order(
		who: &T::AccountId,
		order_id: OrderId,
		market: &Market,
		side: Side,
		price: Balance,
		quantity: u64,
		book: &mut BoundedVec<BookEntry, T::MaxOrdersPerSide>,
		outcome: &mut PlaceOrderOutcome,
	) -> Result<Matching, DispatchError> {
		let series = market.series;
		let fund = T::InsuranceFundAccount::get();
		let mut m = Matching { remaining: quantity, ..Default::default() };
		while m.remaining > 0 && outcome.visited < T::MaxFillsPerCall::get() {
			let Some(best) = book.first().copied() else { break };
			if !crosses(side, price, best.price) {
				break;
			}
			outcome.visited = outcome.visited.saturating_add(1);
			book.remove(0);
			m.book_changed = true;
			m.removed = m.removed.saturating_add(1);
			// Not reachable while the book is consistent (try_state): drop the entry.
			let Some(mut maker_order) = Orders::<T>::get(best.order_id) else { continue };
			let maker = maker_order.owner.clone();
			// Every order of the insurance fund is reduce-only (its unwind quotes, `unwind.rs`):
			// one that would now increase or flip its position (another position was transferred
			// to it since it was quoted) is cut to what still closes, or cancelled.
			if maker == fund {
				let held = Positions::<T>::get(series, &maker).unwrap_or(0);
				let closable = Self::closable(held, maker_order.side);
				if closable == 0 {
					Self::drop_order(best.order_id, &maker_order, CancelReason::ReduceOnly);
					continue;
				}
				if closable < maker_order.remaining {
					Self::shrink_order(best.order_id, &mut maker_order, closable);
					Self::deposit_event(Event::InventoryQuoteReduced {
						series,
						order_id: best.order_id,
						remaining: closable,
					});
				}
				// A quote is priced when the unwind visits it; the mark may have moved since (a
				// feed earlier in this block, the block's time decay, or up to
				// `ceil(series held / MaxUnwindQuotesPerBlock)` blocks between visits). It never
				// fills at a loss to the current mark: an ask below the mark or a bid above it is
				// withdrawn and quoted again at the next visit (red-team review: latency
				// arbitrage against the fund). Within the spread it fills.
				if Self::fund_quote_is_stale(maker_order.side, best.price, market) {
					Self::drop_order(best.order_id, &maker_order, CancelReason::InventoryRequote);
					continue;
				}
			}
			if maker == *who {
				Self::drop_order(best.order_id, &maker_order, CancelReason::SelfTrade);
				continue;
			}
			if !market.band.contains(best.price) {
				Self::drop_order(best.order_id, &maker_order, CancelReason::OutsidePriceBand);
				continue;
			}
			let fill_qty = m.remaining.min(maker_order.remaining);
			// The fill works on a copy: a rolled-back fill cancels the order as it was.
			let mut filled = maker_order.clone();
			let result = with_transaction(|| {
				match Self::execute_fill(
					market,
					who,
					side,
					best.order_id,
					&mut filled,
					fill_qty,
					outcome,
				) {
					Ok(fill) => TransactionOutcome::Commit(Ok(Ok(fill))),
					Err(FillError::Maker(reason)) => TransactionOutcome::Rollback(Ok(Err(reason))),
					Err(FillError::Fatal(e)) => TransactionOutcome::Rollback(Err(e)),
				}
			})?;
			match result {
				Ok(fill) => {
					m.oi_delta = m.oi_delta.saturating_add(fill.oi_delta);
					m.taker_fees = m.taker_fees.saturating_add(fill.taker_fee);
					m.opened_or_closed |= fill.opened_or_closed;
					m.remaining = m.remaining.saturating_sub(fill_qty);
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
					if !fill.maker_done {
						// Partly filled: still the best order, its book entry unchanged.
						book.try_insert(0, best).map_err(|_| Error::<T>::BookSideFull)?;
						m.removed = m.removed.saturating_sub(1);
					}
				}
				Err(reason) => Self::drop_order(best.order_id, &maker_order, reason),
			}
		}
		if m.removed == 0 {
			m.book_changed = false;
		}
		Ok(m)
	}

	/// One fill between the taker and a maker at the maker's price: positions, premium, maker
	/// fee, the maker's resting order and totals, the maker's margin. Runs inside a storage
	/// transaction (rolled back on error).
	fn execute_fill(
		market: &Market,
		taker: &T::AccountId,
		taker_side: Side,
		maker_order_id: OrderId,
		maker_order: &mut Order<T::AccountId>,
		quantity: u64,
		outcome: &mut PlaceOrderOutcome,
	) -> Result<Fill, FillError> {
		let fatal = |e: DispatchError| FillError::Fatal(e);
		let terms = &market.info.terms;
		let series = maker_order.series;
		let maker = maker_order.owner.clone();
		let price = maker_order.price;
		let q = i64::try_from(quantity).map_err(|_| fatal(Error::<T>::Overflow.into()))?;
		let taker_delta = q.saturating_mul(direction(taker_side));

		let maker_old = Positions::<T>::get(series, &maker).unwrap_or(0);
		let maker_before = Self::snapshot_if_closing(&maker, maker_old, maker_order.side, outcome)
			.map_err(|_| FillError::Maker(CancelReason::MakerMarginCheckFailed))?;

		let taker_old = Positions::<T>::get(series, taker).unwrap_or(0);
		let mut oi_delta =
			Self::change_position(series, terms, taker, taker_delta).map_err(fatal)?;
		oi_delta += match Self::change_position(series, terms, &maker, taker_delta.saturating_neg())
		{
			Ok(d) => d,
			Err(e) if e == Error::<T>::TooManyPositions.into() => {
				return Err(FillError::Maker(CancelReason::MakerPositionLimit))
			}
			Err(e) => return Err(fatal(e)),
		};
		let taker_new = taker_old.saturating_add(taker_delta);
		let maker_new = maker_old.saturating_sub(taker_delta);

		let premium = price
			.checked_mul(u128::from(quantity))
			.ok_or_else(|| fatal(Error::<T>::Overflow.into()))?;
		let (buyer, seller) = match taker_side {
			Side::Buy => (taker, &maker),
			Side::Sell => (&maker, taker),
		};
		Self::transfer(buyer, seller, premium).map_err(fatal)?;
		let size = terms.contract_size;
		let p = &market.params;
		// Protocol accounts trade fee-free: the insurance fund unwinding its inventory would
		// otherwise pay up to 12.5% of the premium to the fee collector, more than its spread
		// for most out-of-the-money options, and so sell below mark (red-team review).
		let fee_of = |who: &T::AccountId, rate: Permill| {
			if T::ProtocolAccounts::is_protocol_account(who) {
				0
			} else {
				Self::fee(rate, market.spot, size, premium, quantity)
			}
		};
		let maker_fee = fee_of(&maker, p.maker_fee_rate);
		let taker_fee = fee_of(taker, p.taker_fee_rate);
		Self::pay_fee(&maker, maker_fee).map_err(fatal)?;
		Self::note_maker_fill(maker_order_id, maker_order, quantity);

		let before =
			if Self::is_reduce_only(maker_old, maker_new) { maker_before.as_ref() } else { None };
		Self::note_margin_pricing(&maker, outcome);
		T::Ledger::ensure_trade_margin(&maker, before)
			.map_err(|_| FillError::Maker(CancelReason::MakerMarginCheckFailed))?;

		let opens_or_closes = |old: i64, new: i64| (old == 0) != (new == 0);
		let opened_or_closed =
			opens_or_closes(taker_old, taker_new) || opens_or_closes(maker_old, maker_new);
		Ok(Fill {
			oi_delta,
			premium,
			maker_fee,
			taker_fee,
			opened_or_closed,
			maker_done: maker_order.remaining == 0,
		})
	}

	/// The unfilled part of an incoming order: `ImmediateOrCancel` cancels it, a remainder that
	/// still crosses the book is cancelled ([`CancelReason::MatchingStopped`]), anything else
	/// rests ([`Pallet::rest_order`]). Returns whether it rested.
	#[allow(clippy::too_many_arguments)]
	fn place_remainder(
		who: &T::AccountId,
		order_id: OrderId,
		market: &Market,
		side: Side,
		price: Balance,
		quantity: u64,
		remaining: u64,
		time_in_force: TimeInForce,
		book: &[BookEntry],
	) -> Result<bool, DispatchError> {
		if remaining == 0 {
			return Ok(false);
		}
		let series = market.series;
		let crosses_best = book.first().is_some_and(|best| crosses(side, price, best.price));
		let reason = match time_in_force {
			TimeInForce::ImmediateOrCancel | TimeInForce::FillOrKill => CancelReason::Unfilled,
			_ if crosses_best => CancelReason::MatchingStopped,
			_ if remaining < market.params.min_order_quantity => CancelReason::BelowMinimumQuantity,
			_ => {
				Self::rest_order(
					order_id,
					Order { series, owner: who.clone(), side, price, remaining, quantity },
				)?;
				return Ok(true);
			}
		};
		Self::deposit_event(Event::OrderCancelled {
			order_id,
			who: who.clone(),
			series,
			remaining,
			reason,
		});
		Ok(false)
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
}

/// The running totals of [`Pallet::match_order`].
#[derive(Default)]
struct Matching {
	remaining: u64,
	oi_delta: i128,
	taker_fees: Balance,
	/// Resting orders taken off the book (filled in full or cancelled).
	removed: u32,
	book_changed: bool,
	opened_or_closed: bool,
}
