//! Arithmetic shared by the pallets: the one conversion of an asset amount to USD, fixed-point
//! and signed conversions of settlement-asset amounts, and the guards of governance parameter
//! changes (hard bounds, maximum step). Nothing here panics: conversions saturate or return
//! `None`, as each function says.

use crate::{Balance, Price, SignedBalance};
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, traits::Zero, FixedU128, PerThing, Permill,
	Rounding,
};

/// Value of `amount` (smallest units of an asset with `decimals` decimals) at `price`
/// (USD per whole unit) in the settlement asset's smallest units (6 decimals), rounded as asked.
///
/// `value = amount x price x 10^6 / 10^decimals`, computed with a 256-bit intermediate product.
/// Saturates at `u128::MAX`.
pub fn value_in_usd(amount: Balance, decimals: u8, price: Price, rounding: Rounding) -> Balance {
	if amount.is_zero() || price.is_zero() {
		return 0;
	}
	// price.into_inner() carries 18 decimals: value = amount x inner x 10^6 / (10^18 x 10^dec)
	// = amount x inner / 10^(12 + dec).
	let div_exp = 12 + decimals as u32;
	match 10u128.checked_pow(div_exp) {
		Some(div) => multiply_by_rational_with_rounding(amount, price.into_inner(), div, rounding)
			.unwrap_or(u128::MAX),
		// More than 26 decimals: divide in two steps.
		None => {
			multiply_by_rational_with_rounding(amount, price.into_inner(), 10u128.pow(38), rounding)
				.unwrap_or(u128::MAX)
				.checked_div(10u128.checked_pow(div_exp - 38).unwrap_or(u128::MAX))
				.unwrap_or(0)
		}
	}
}

/// A USD amount held as fixed point (`FixedU128`, USD) in the settlement asset's smallest
/// units (6 decimals), rounded as asked.
pub fn fixed_to_usd(value: FixedU128, rounding: Rounding) -> Balance {
	multiply_by_rational_with_rounding(value.into_inner(), 1, 10u128.pow(12), rounding)
		.unwrap_or(u128::MAX)
}

/// A settlement-asset amount (6 decimals) as fixed-point USD.
pub fn usd_to_fixed(amount: Balance) -> FixedU128 {
	FixedU128::from_inner(amount.saturating_mul(10u128.pow(12)))
}

/// `u128` -> `i128`, `None` above `i128::MAX`. For amounts that move cash: a saturated amount
/// would break the custody invariant.
pub fn checked_signed(x: Balance) -> Option<SignedBalance> {
	SignedBalance::try_from(x).ok()
}

/// `u128` -> `i128`, saturating at `i128::MAX`. For risk figures only (equity, margin), never
/// for amounts that move cash.
pub fn to_signed(x: Balance) -> SignedBalance {
	SignedBalance::try_from(x).unwrap_or(SignedBalance::MAX)
}

/// `max(x, 0)` as unsigned.
pub fn positive_part(x: SignedBalance) -> Balance {
	if x > 0 {
		x.unsigned_abs()
	} else {
		0
	}
}

/// Governance guard for risk parameters: `true` if `new` differs from `old` by at most
/// `max_step` of `old` (e.g. with a 20% step, a maintenance margin of 0.075 may move to
/// [0.06, 0.09] in one change). From zero, any value within the hard bounds is a valid step.
pub fn within_step(old: u128, new: u128, max_step: Permill) -> bool {
	if old == 0 {
		return true;
	}
	let allowed = max_step.mul_ceil(old);
	old.abs_diff(new) <= allowed
}

/// [`within_step`] for two fractions (relative to `old`).
pub fn fraction_within_step<P: PerThing>(old: P, new: P, max_step: Permill) -> bool
where
	P::Inner: Into<u128>,
{
	within_step(old.deconstruct().into(), new.deconstruct().into(), max_step)
}

/// `|a - b|` of two fractions: for parameters whose step is bounded in absolute terms (a
/// haircut may move by 10 percentage points per change).
pub fn fraction_distance<P: PerThing>(a: P, b: P) -> P {
	if a > b {
		a.saturating_sub(b)
	} else {
		b.saturating_sub(a)
	}
}

/// `lo <= v <= hi`: a parameter within its hard bounds.
pub fn in_bounds<V: PartialOrd>(v: V, (lo, hi): (V, V)) -> bool {
	lo <= v && v <= hi
}
