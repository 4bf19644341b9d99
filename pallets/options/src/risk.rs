//! Mark price, the short-option margin rule, position risk, and the
//! [`PositionProvider`] implementation used by `pallet-margin`.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult},
	storage::with_storage_layer,
};
use solvent_option_pricing::{
	black_scholes, intrinsic, present_value, price_only, year_fraction, BlackScholesInput, Greeks,
};
use solvent_primitives::{
	Balance, MarginLedger, MarginRequirement, Moment, OptionKind, PositionProvider, PositionRisk,
	Price, PriceError, PriceProvider, SeriesId, SignedBalance, TransferOutcome,
};
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{One, Zero},
	FixedI128, FixedU128, Permill, Rounding,
};

/// `10^30`: from (USD at 18 decimals) x (units at 18 decimals) to USD units (6 decimals).
const SCALE_30: u128 = 1_000_000_000_000_000_000_000_000_000_000;
/// `10^36`: from (USD at 24 decimals) x (units at 18 decimals) to USD units.
const SCALE_36: u128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;
/// `10^6`: from 18 to 24 decimals (and parts per million).
const MILLION: u128 = 1_000_000;

/// The mark of a series per one whole unit of the underlying.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UnitMark {
	/// Index price used (USD per whole unit): the oracle spot, or the settlement price once it
	/// is fixed.
	pub spot: Price,
	/// Implied volatility used; `None` at or after expiry (intrinsic value).
	pub volatility: Option<FixedU128>,
	/// Time to expiry in years (0 at or after expiry).
	pub time_to_expiry: FixedU128,
	/// Mark price and Greeks per whole unit (before expiry: Black–Scholes; after: intrinsic,
	/// delta ±1 in the money and 0 otherwise, other Greeks 0).
	pub greeks: Greeks,
}

/// Margin of a short position, USD units.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ShortMargin {
	/// Initial margin.
	pub initial: Balance,
	/// Maintenance margin.
	pub maintenance: Balance,
}

/// `contracts x contract_size x per_unit` (USD per whole unit) in USD units, rounded as asked;
/// saturates at `u128::MAX`.
pub fn contracts_value(
	contracts: u64,
	contract_size: FixedU128,
	per_unit: FixedU128,
	rounding: Rounding,
) -> Balance {
	let units = contract_size.into_inner().saturating_mul(u128::from(contracts));
	multiply_by_rational_with_rounding(per_unit.into_inner(), units, SCALE_30, rounding)
		.unwrap_or(u128::MAX)
}

fn signed(v: Balance) -> SignedBalance {
	SignedBalance::try_from(v).unwrap_or(SignedBalance::MAX)
}

/// Greeks of an option at or after expiry: its intrinsic value, delta ±1 in the money.
fn expired_greeks(kind: OptionKind, spot: Price, strike: Price) -> Greeks {
	let price = intrinsic(kind, spot, strike);
	let delta = if price.is_zero() {
		FixedI128::zero()
	} else {
		match kind {
			OptionKind::Call => FixedI128::one(),
			OptionKind::Put => -FixedI128::one(),
		}
	};
	Greeks {
		price,
		delta,
		gamma: FixedI128::zero(),
		theta: FixedI128::zero(),
		vega: FixedI128::zero(),
	}
}

impl<T: Config> Pallet<T> {
	/// Whether moving a net position from `old` to `new` only reduces it (toward zero, same
	/// side): such fills need no margin check.
	pub fn is_reduce_only(old: i64, new: i64) -> bool {
		new == 0 || (old.signum() == new.signum() && new.unsigned_abs() <= old.unsigned_abs())
	}

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

	/// The trading fee of a fill, USD units, per **Deribit's options fee rule** (Deribit
	/// support, "Fees", <https://support.deribit.com/hc/en-us/articles/25944746248989-Fees>:
	/// BTC and ETH options pay 0.03% of the underlying per contract, maker and taker, and
	/// the fee "can never be higher than 12.5% of the options price"):
	///
	/// ```text
	/// fee = min(rate x S x size, 12.5% x price) x quantity     (rounded up)
	/// ```
	///
	/// `rate`: the maker or taker fee rate; `spot` (`S`): the index price, USD per whole unit;
	/// `price`: the fill's premium per contract in USD units. Without an index price (the
	/// oracle is unavailable; only reduce-only fills happen then) the fee is the 12.5% cap.
	pub fn fee(
		rate: Permill,
		spot: Option<Price>,
		contract_size: FixedU128,
		price: Balance,
		quantity: u64,
	) -> Balance {
		let cap = multiply_by_rational_with_rounding(
			price.saturating_mul(u128::from(quantity)),
			u128::from(FEE_CAP_OF_PREMIUM.deconstruct()),
			MILLION,
			Rounding::Up,
		)
		.unwrap_or(u128::MAX);
		let Some(spot) = spot else { return cap };
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

	/// Mark (price and Greeks per whole unit) of series `id` at time `now`:
	/// - settlement price fixed (settling or settled): intrinsic value at it;
	/// - at or after expiry: intrinsic value at the oracle spot;
	/// - before expiry: Black–Scholes with the oracle spot and implied volatility, the rate
	///   parameter and `T = year_fraction(now, expiry)`; a zero volatility gives the
	///   discounted intrinsic value `max(±(S - K e^{-rT}), 0)`.
	///
	/// `with_greeks = false` computes the price only (Greeks are then zero).
	///
	/// Errors: the oracle's [`PriceError`] if a price is unavailable;
	/// [`PriceError::Halted`] if the inputs are outside the pricing domain (treated as an
	/// unusable price).
	pub fn unit_mark(
		id: SeriesId,
		info: &SeriesInfo,
		now: Moment,
		with_greeks: bool,
	) -> Result<UnitMark, PriceError> {
		let terms = &info.terms;
		let expired = |spot| UnitMark {
			spot,
			volatility: None,
			time_to_expiry: FixedU128::zero(),
			greeks: expired_greeks(terms.kind, spot, terms.strike),
		};
		if matches!(info.status, SeriesStatus::Settling | SeriesStatus::Settled) {
			if let Some(s) = Settlements::<T>::get(id) {
				return Ok(expired(s.price));
			}
		}
		let spot = T::Prices::spot(terms.underlying)?;
		if now >= terms.expiry {
			return Ok(expired(spot));
		}
		let vol = T::Prices::implied_vol(terms.underlying)?;
		let t = year_fraction(now, terms.expiry);
		let rate = Params::<T>::get().rate;
		let zero_greeks = |price| Greeks {
			price,
			delta: FixedI128::zero(),
			gamma: FixedI128::zero(),
			theta: FixedI128::zero(),
			vega: FixedI128::zero(),
		};
		let greeks = if vol.is_zero() || t.is_zero() {
			let pv = present_value(terms.strike, rate, t).map_err(|_| PriceError::Halted)?;
			zero_greeks(intrinsic(terms.kind, spot, pv))
		} else {
			let input = BlackScholesInput {
				spot,
				strike: terms.strike,
				time_to_expiry: t,
				volatility: vol,
				rate,
			};
			if with_greeks {
				black_scholes(terms.kind, &input).map_err(|_| PriceError::Halted)?
			} else {
				zero_greeks(price_only(terms.kind, &input).map_err(|_| PriceError::Halted)?)
			}
		};
		Ok(UnitMark { spot, volatility: Some(vol), time_to_expiry: t, greeks })
	}

	/// Mark price of one contract of series `id` now, USD units rounded down.
	pub fn mark_per_contract(id: SeriesId) -> Result<Balance, PriceError> {
		let info = Series::<T>::get(id).ok_or(PriceError::NoQuorum)?;
		let m = Self::unit_mark(id, &info, Self::now(), false)?;
		Ok(contracts_value(1, info.terms.contract_size, m.greeks.price, Rounding::Down))
	}

	/// Risk figures of a position of `quantity` contracts (+ long, - short) given its mark:
	/// mark value (long `+floor`, short `-ceil` of `|quantity| x size x mark`), margin
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
		mark: &UnitMark,
		params: &OptionsParams,
	) -> PositionRisk {
		let n = quantity.unsigned_abs();
		let size = terms.contract_size;
		let price = mark.greeks.price;
		let notional = contracts_value(n, size, mark.spot, Rounding::Down);
		if quantity >= 0 {
			let value = contracts_value(n, size, price, Rounding::Down);
			PositionRisk {
				id,
				quantity,
				mark_value: signed(value),
				initial_margin: value,
				maintenance_margin: 0,
				notional,
			}
		} else {
			let m = Self::short_margin(terms.kind, mark.spot, terms.strike, price, size, n, params);
			PositionRisk {
				id,
				quantity,
				mark_value: signed(contracts_value(n, size, price, Rounding::Up)).saturating_neg(),
				initial_margin: m.initial,
				maintenance_margin: m.maintenance,
				notional,
			}
		}
	}

	/// Risk figures of every position of `who`, in the order of its series index.
	pub fn account_positions(who: &T::AccountId) -> Result<Vec<PositionRisk>, PriceError> {
		let now = Self::now();
		let params = Params::<T>::get();
		let mut out = Vec::new();
		for id in AccountSeries::<T>::get(who) {
			let (Some(info), Some(q)) = (Series::<T>::get(id), Positions::<T>::get(id, who)) else {
				continue;
			};
			let mark = Self::unit_mark(id, &info, now, false)?;
			out.push(Self::position_risk(id, &info.terms, q, &mark, &params));
		}
		Ok(out)
	}

	/// Move `quantity` contracts of `from`'s position in series `id` to `to` at the mark price
	/// (liquidation; no margin check). A long moved: `to` pays `from` the mark value rounded
	/// down; a short moved: `from` pays `to` the mark value rounded up (each side realizes
	/// exactly the mark value it carried). Not allowed once settlement has started (the
	/// settlement cursor could miss the receiver).
	///
	/// Emits [`Event::PositionTransferred`]. Errors: [`Error::ZeroQuantity`],
	/// [`Error::SelfTransfer`], [`Error::UnknownSeries`], [`Error::SeriesSettling`],
	/// [`Error::InsufficientPosition`], [`Error::PriceUnavailable`],
	/// [`Error::TooManyPositions`] (receiver), [`Error::Overflow`], or the ledger's error.
	pub(crate) fn do_transfer_position(
		from: &T::AccountId,
		to: &T::AccountId,
		id: SeriesId,
		quantity: u64,
	) -> Result<TransferOutcome, DispatchError> {
		ensure!(quantity > 0, Error::<T>::ZeroQuantity);
		ensure!(from != to, Error::<T>::SelfTransfer);
		let info = Series::<T>::get(id).ok_or(Error::<T>::UnknownSeries)?;
		ensure!(
			matches!(info.status, SeriesStatus::Trading | SeriesStatus::Expired { .. }),
			Error::<T>::SeriesSettling
		);
		let pos = Positions::<T>::get(id, from).unwrap_or(0);
		ensure!(pos.unsigned_abs() >= quantity, Error::<T>::InsufficientPosition);
		let mark = Self::unit_mark(id, &info, Self::now(), false)
			.map_err(|_| Error::<T>::PriceUnavailable)?;
		let q = i64::try_from(quantity).map_err(|_| Error::<T>::Overflow)?;
		let moved = if pos > 0 { q } else { q.saturating_neg() };
		let size = info.terms.contract_size;
		let notional = contracts_value(quantity, size, mark.spot, Rounding::Down);

		with_storage_layer(|| -> Result<TransferOutcome, DispatchError> {
			let mut oi_delta: i128 = 0;
			oi_delta += Self::change_position(id, &info.terms, from, moved.saturating_neg())?;
			oi_delta += Self::change_position(id, &info.terms, to, moved)?;
			Self::apply_open_interest(id, oi_delta)?;
			let value = if moved > 0 {
				let v = contracts_value(quantity, size, mark.greeks.price, Rounding::Down);
				Self::transfer(to, from, v)?;
				signed(v)
			} else {
				let v = contracts_value(quantity, size, mark.greeks.price, Rounding::Up);
				Self::transfer(from, to, v)?;
				signed(v).saturating_neg()
			};
			Self::deposit_event(Event::PositionTransferred {
				series: id,
				from: from.clone(),
				to: to.clone(),
				quantity: moved,
				value,
			});
			Ok(TransferOutcome { quantity, value, notional })
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
	/// Errors: [`Error::TooManyPositions`] if it opens a position beyond
	/// `MaxPositionsPerAccount`; [`Error::Overflow`] if the position (or its size in
	/// underlying units) does not fit.
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
			AccountSeries::<T>::try_mutate(who, |ids| ids.try_push(id))
				.map_err(|_| Error::<T>::TooManyPositions)?;
		} else if old != 0 && new == 0 {
			AccountSeries::<T>::mutate_exists(who, |ids| {
				if let Some(v) = ids {
					v.retain(|x| *x != id);
					if v.is_empty() {
						*ids = None;
					}
				}
			});
		}
		if new == 0 {
			Positions::<T>::remove(id, who);
		} else {
			Positions::<T>::insert(id, who, new);
		}
		Ok(i128::from(new.max(0)) - i128::from(old.max(0)))
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

impl<T: Config> PositionProvider<T::AccountId> for Pallet<T> {
	fn margin_requirement(who: &T::AccountId) -> Result<MarginRequirement, PriceError> {
		let mut total = MarginRequirement::default();
		for p in Self::account_positions(who)? {
			total = total.saturating_add(MarginRequirement {
				initial: p.initial_margin,
				maintenance: p.maintenance_margin,
				unrealized_pnl: p.mark_value,
			});
		}
		Ok(total)
	}

	fn has_positions(who: &T::AccountId) -> bool {
		AccountSeries::<T>::decode_len(who).unwrap_or(0) > 0
			|| AccountOrders::<T>::decode_len(who).unwrap_or(0) > 0
	}

	fn positions(who: &T::AccountId) -> Result<Vec<PositionRisk>, PriceError> {
		Self::account_positions(who)
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

	fn cancel_orders(who: &T::AccountId) -> DispatchResult {
		Self::cancel_all_orders(who, CancelReason::Liquidation);
		Ok(())
	}

	fn transfer_position(
		from: &T::AccountId,
		to: &T::AccountId,
		id: u32,
		quantity: u64,
	) -> Result<TransferOutcome, DispatchError> {
		Self::do_transfer_position(from, to, id, quantity)
	}
}
