//! The mark of a series: the option's price (and Greeks) per whole unit of the underlying
//! from the oracle's index price and implied volatility, and the valuation of contracts at a
//! per-unit price.

use crate::{pallet::*, types::*};
use solvent_option_pricing::{
	black_scholes, intrinsic, present_value, price_only, year_fraction, BlackScholesInput, Greeks,
};
use solvent_primitives::{Balance, Moment, OptionKind, Price, PriceError, PriceProvider, SeriesId};
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{One, Zero},
	FixedI128, FixedU128, Rounding,
};

/// `10^30`: from (USD at 18 decimals) x (units at 18 decimals) to USD units (6 decimals).
pub(crate) const SCALE_30: u128 = 1_000_000_000_000_000_000_000_000_000_000;
/// `10^36`: from (USD at 24 decimals) x (units at 18 decimals) to USD units.
pub(crate) const SCALE_36: u128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;
/// `10^6`: from 18 to 24 decimals (and parts per million).
pub(crate) const MILLION: u128 = 1_000_000;

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
}
