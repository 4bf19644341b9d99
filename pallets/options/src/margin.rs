//! The margin rules of option positions and resting orders, and the
//! [`PositionProvider`] implementation `pallet-margin` prices accounts through:
//!
//! | rule | function |
//! | --- | --- |
//! | short option IM and MM (Deribit) | [`Pallet::short_margin`] |
//! | long option IM (its mark value) and MM (zero) | [`Pallet::position_risk`] |
//! | margin of resting orders | [`Pallet::open_order_margin`] |
//! | an account priced once | [`Pallet::portfolio`] |

use crate::{
	mark::{contracts_value, UnitMark, MILLION, SCALE_36},
	pallet::*,
	types::*,
};
use alloc::vec::Vec;
use frame_support::pallet_prelude::DispatchError;
use solvent_primitives::{
	to_signed, Balance, MarginRequirement, OptionKind, Portfolio, PositionProvider, PositionRisk,
	Price, PriceError, PriceProvider, SeriesId, SignedBalance, TransferOutcome,
};
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, FixedU128, Permill, Rounding,
};

/// Margin of a short position, USD units.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ShortMargin {
	/// Initial margin.
	pub initial: Balance,
	/// Maintenance margin.
	pub maintenance: Balance,
}

impl<T: Config> Pallet<T> {
	/// Short option margin per **Deribit's standard margin for options** (Deribit Knowledge
	/// Base, "Margin requirements (options)"; for its inverse BTC/ETH options the fractions
	/// apply in units of the underlying: short call IM `max(0.15 - OTM/S, 0.1) + mark`, MM
	/// `0.075 + mark`), restated in USD for linear contracts:
	///
	/// ```text
	/// per contract:
	///   IM = (max(im_base - OTM/S, im_min) x S + mark) x size
	///   MM = (mm_rate x S + mark) x size
	///   OTM = max(K - S, 0) for a call, max(S - K, 0) for a put
	///   short put: IM and MM capped at K x size (the most a short put can lose)
	/// ```
	///
	/// with `S` the index price, `K` the strike, `mark` the mark price per whole unit (all USD
	/// per whole unit), `size` the contract size and the fractions of [`OptionsParams`]
	/// (defaults 0.15, 0.10, 0.075, Deribit's). `max(im_base - OTM/S, im_min) x S` is evaluated
	/// as `max(im_base x S - OTM, im_min x S)` (no division). Totals for `contracts` contracts,
	/// computed exactly at 24 decimals and rounded **up** once to USD units (margin
	/// requirements round up). Longs need no margin and never come here. Saturates at
	/// `u128::MAX`.
	pub fn short_margin(
		kind: OptionKind,
		spot: Price,
		strike: Price,
		mark: FixedU128,
		contract_size: FixedU128,
		contracts: u64,
		params: &OptionsParams,
	) -> ShortMargin {
		let (s, k) = (spot.into_inner(), strike.into_inner());
		let otm = match kind {
			OptionKind::Call => k.saturating_sub(s),
			OptionKind::Put => s.saturating_sub(k),
		};
		let ppm = |f: Permill| u128::from(f.deconstruct());
		// USD per whole unit at 24 decimals.
		let mark_24 = mark.into_inner().saturating_mul(MILLION);
		let im_unit = ppm(params.im_base)
			.saturating_mul(s)
			.saturating_sub(otm.saturating_mul(MILLION))
			.max(ppm(params.im_min).saturating_mul(s))
			.saturating_add(mark_24);
		let mm_unit = ppm(params.mm_rate).saturating_mul(s).saturating_add(mark_24);
		let units = contract_size.into_inner().saturating_mul(u128::from(contracts));
		let total = |per_unit_24: u128| {
			multiply_by_rational_with_rounding(per_unit_24, units, SCALE_36, Rounding::Up)
				.unwrap_or(u128::MAX)
		};
		let (mut initial, mut maintenance) = (total(im_unit), total(mm_unit));
		if kind == OptionKind::Put {
			let cap = contracts_value(contracts, contract_size, strike, Rounding::Up);
			initial = initial.min(cap);
			maintenance = maintenance.min(cap);
		}
		ShortMargin { initial, maintenance }
	}

	/// Risk figures of a position of `quantity` contracts (+ long, - short) at `mark_price`
	/// (the option's mark, USD per whole unit) and `index_price` (the underlying's): mark value
	/// (long `+floor`, short `-ceil` of `|quantity| x size x mark`), margin
	/// ([`Pallet::short_margin`] for shorts; for longs initial margin = the mark value and
	/// maintenance margin zero), notional (`|quantity| x size x index price`, rounded down).
	///
	/// A long's mark value counts in equity, so its initial margin equals it: opening or adding
	/// to a long needs the premium and fees paid from collateral, never on credit against the
	/// option's own value (Deribit: options are paid in full, no leverage on long options).
	/// Its maintenance margin is zero: a long can only lose what was paid for it.
	pub fn position_risk(
		id: SeriesId,
		terms: &SeriesTerms,
		quantity: i64,
		mark_price: FixedU128,
		index_price: Price,
		params: &OptionsParams,
	) -> PositionRisk {
		let n = quantity.unsigned_abs();
		let size = terms.contract_size;
		let notional = contracts_value(n, size, index_price, Rounding::Down);
		let (mark_value, initial_margin, maintenance_margin) = if quantity >= 0 {
			let value = contracts_value(n, size, mark_price, Rounding::Down);
			(to_signed(value), value, 0)
		} else {
			let m = Self::short_margin(
				terms.kind,
				index_price,
				terms.strike,
				mark_price,
				size,
				n,
				params,
			);
			let value = contracts_value(n, size, mark_price, Rounding::Up);
			(to_signed(value).saturating_neg(), m.initial, m.maintenance)
		};
		PositionRisk {
			id,
			quantity,
			mark_value,
			initial_margin,
			maintenance_margin,
			notional,
			mark_price,
			index_price,
		}
	}

	/// Margin of an account's resting orders in one series (USD units): what filling them all
	/// at their limit prices would add to the account's `initial margin - equity`, for the
	/// worse of the two sides. Derive ("Orderbook Margin", open orders margin,
	/// <https://docs.lyra.finance/docs/open-orders-margin>) charges the extra initial margin of
	/// the worst subset of the open orders filled at their limit prices, premiums and current
	/// positions included; Deribit reserves margin for open orders the same way. Per series the
	/// worst subset is one whole side (the account's bids and asks of a series cannot fill
	/// against each other, and filling both only nets). With `q` the net position, `B`, `PB`
	/// the bids' contracts and premium and `A`, `PA` the asks':
	///
	/// ```text
	/// bids:  IM(q + B) - IM(q) - (value(q + B) - value(q)) + PB + fee(PB, B)
	/// asks:  IM(q - A) - IM(q) - (value(q - A) - value(q)) - PA + fee(PA, A)
	/// open-order margin = max(0, bids, asks)
	/// ```
	///
	/// `IM` and `value` are [`Pallet::position_risk`]'s initial margin and mark value at the
	/// series' mark, `fee` the maker fee ([`Pallet::fee`]). A bid that opens a long needs its
	/// premium and fee; an ask that opens a short needs the short's initial margin less the
	/// premium above mark it receives; orders that only close a position need nothing.
	pub fn open_order_margin(
		risk_of: impl Fn(i64) -> PositionRisk,
		position: i64,
		orders: &SeriesOrders,
		contract_size: FixedU128,
		index_price: Price,
		params: &OptionsParams,
	) -> Balance {
		let now = risk_of(position);
		let side_need = |totals: &OrderTotals, dir: i64| -> SignedBalance {
			if totals.quantity == 0 {
				return 0;
			}
			let filled = i64::try_from(totals.quantity)
				.ok()
				.and_then(|q| q.checked_mul(dir))
				.and_then(|d| position.checked_add(d));
			let Some(filled) = filled else { return SignedBalance::MAX };
			let then = risk_of(filled);
			let fee = Self::fee(
				params.maker_fee_rate,
				index_price,
				contract_size,
				totals.premium,
				totals.quantity,
			);
			let premium = to_signed(totals.premium);
			let cash = if dir > 0 { premium.saturating_neg() } else { premium };
			to_signed(then.initial_margin)
				.saturating_sub(to_signed(now.initial_margin))
				.saturating_sub(then.mark_value.saturating_sub(now.mark_value))
				.saturating_sub(cash)
				.saturating_add(to_signed(fee))
		};
		let need = side_need(&orders.bids, 1).max(side_need(&orders.asks, -1));
		solvent_primitives::positive_part(need)
	}

	/// Every position of `who` priced once (one mark per series), and the margin of its
	/// resting orders. Series are visited in the order of the account's position index, then
	/// the series where it only has resting orders.
	///
	/// Errors: the oracle's [`PriceError`] if a price any series needs is unavailable.
	pub fn portfolio(who: &T::AccountId) -> Result<Portfolio, PriceError> {
		let held = AccountSeries::<T>::get(who);
		let orders = AccountOrders::<T>::get(who);
		if held.is_empty() && orders.is_empty() {
			return Ok(Portfolio::default());
		}
		let now = Self::now();
		let params = Params::<T>::get();
		let mut out = Portfolio::default();
		let mut price_series = |id: SeriesId, quantity: i64| -> Result<(), PriceError> {
			let Some(info) = Series::<T>::get(id) else { return Ok(()) };
			let mark = Self::unit_mark(id, &info, now, false)?;
			let risk_of = |q: i64| {
				Self::position_risk(id, &info.terms, q, mark.greeks.price, mark.spot, &params)
			};
			let risk = risk_of(quantity);
			let open_orders = orders.series(id).map_or(0, |o| {
				Self::open_order_margin(
					risk_of,
					quantity,
					o,
					info.terms.contract_size,
					mark.spot,
					&params,
				)
			});
			out.requirement = out.requirement.saturating_add(MarginRequirement {
				initial: risk.initial_margin,
				open_orders,
				maintenance: risk.maintenance_margin,
				unrealized_pnl: risk.mark_value,
			});
			if quantity != 0 {
				out.positions.push(risk);
			}
			Ok(())
		};
		for id in held.iter() {
			let quantity = Positions::<T>::get(id, who).unwrap_or(0);
			price_series(*id, quantity)?;
		}
		for o in orders.by_series.iter().filter(|o| !held.contains(&o.series)) {
			price_series(o.series, 0)?;
		}
		Ok(out)
	}

	/// The mark of series `id` now, as [`Pallet::position_risk`] needs it.
	pub(crate) fn current_mark(id: SeriesId, info: &SeriesInfo) -> Result<UnitMark, PriceError> {
		Self::unit_mark(id, info, Self::now(), false)
	}
}

impl<T: Config> PositionProvider<T::AccountId> for Pallet<T> {
	fn portfolio(who: &T::AccountId) -> Result<Portfolio, PriceError> {
		Self::portfolio(who)
	}

	fn position_count(who: &T::AccountId) -> u32 {
		Self::footprint(who)
	}

	fn position_holders() -> Vec<T::AccountId> {
		AccountSeries::<T>::iter_keys().collect()
	}

	fn open_interest_series() -> u32 {
		ActiveSeries::<T>::decode_len().map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
	}

	fn open_interest_notional() -> Result<Balance, PriceError> {
		let mut total: Balance = 0;
		for (_, id) in ActiveSeries::<T>::get() {
			let Some(info) = Series::<T>::get(id) else { continue };
			if info.open_interest == 0 {
				continue;
			}
			let spot = match (info.status, Settlements::<T>::get(id)) {
				(SeriesStatus::Settling | SeriesStatus::Settled, Some(s)) => s.price,
				_ => T::Prices::spot(info.terms.underlying)?,
			};
			total = total.saturating_add(contracts_value(
				info.open_interest,
				info.terms.contract_size,
				spot,
				Rounding::Down,
			));
		}
		Ok(total)
	}

	fn cancel_orders(who: &T::AccountId) -> u32 {
		Self::cancel_all_orders(who, CancelReason::Liquidation)
	}

	fn transfer_position(
		from: &T::AccountId,
		to: &T::AccountId,
		position: &PositionRisk,
		quantity: u64,
	) -> Result<TransferOutcome, DispatchError> {
		Self::do_transfer_position(from, to, position, quantity)
	}
}
