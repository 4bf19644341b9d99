//! Integer helpers for 18-decimal fixed-point arithmetic.
//!
//! Every value in this crate is an integer `raw` standing for `raw / 10^18` (the scale of
//! [`sp_arithmetic::FixedU128`] and [`sp_arithmetic::FixedI128`]). The helpers here multiply and
//! divide such integers with **one rounding to nearest** per operation (ties away from zero), using
//! a 256-bit intermediate product when the 128-bit one would overflow. They never panic: every
//! operation that can overflow or divide by zero returns `Option`.

use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};

/// `1.0` at the 18-decimal scale.
pub(crate) const ONE: u128 = 1_000_000_000_000_000_000;
/// `1.0` at the 18-decimal scale, signed.
pub(crate) const ONE_I: i128 = ONE as i128;
/// `1.0` at the 36-decimal scale (the exact product of two 18-decimal values).
pub(crate) const ONE_36: u128 = ONE * ONE;

/// `round(a * b / c)` with ties rounded up, or `None` if `c == 0` or the result exceeds `u128`.
///
/// Uses one 128-bit multiplication and division when `a * b` fits in 128 bits, otherwise the
/// 256-bit [`multiply_by_rational_with_rounding`] of `sp-arithmetic`.
#[inline]
pub(crate) fn mul_div(a: u128, b: u128, c: u128) -> Option<u128> {
	if c == 0 {
		return None;
	}
	match a.checked_mul(b) {
		Some(p) => {
			let q = p / c;
			let r = p - q * c;
			// Round half up: r >= c / 2 <=> r >= c - r (r < c, so c - r does not underflow).
			if r >= c - r {
				q.checked_add(1)
			} else {
				Some(q)
			}
		}
		None => multiply_by_rational_with_rounding(a, b, c, Rounding::NearestPrefUp),
	}
}

/// `round(a * b / 10^18)`: the product of two 18-decimal values, or `None` on overflow.
///
/// When `a * b` overflows 128 bits, `a` is split as `a1 * 10^18 + a0` so that
/// `a * b / 10^18 = a1 * b + a0 * b / 10^18` stays exact with a single rounding.
#[inline]
pub(crate) fn mul(a: u128, b: u128) -> Option<u128> {
	match a.checked_mul(b) {
		Some(p) => Some(div_round(p, ONE)),
		None => {
			let (a1, a0) = (a / ONE, a % ONE);
			match a0.checked_mul(b) {
				Some(low) => a1.checked_mul(b)?.checked_add(div_round(low, ONE)),
				None => mul_div(a, b, ONE),
			}
		}
	}
}

/// `round(a / b)` for `b > 0`, ties up (callers guarantee `b != 0`; `b == 0` returns `u128::MAX`
/// rather than panicking, and no caller relies on it).
#[inline]
pub(crate) fn div_round(a: u128, b: u128) -> u128 {
	if b == 0 {
		return u128::MAX;
	}
	let q = a / b;
	let r = a - q * b;
	if r >= b - r {
		q.saturating_add(1)
	} else {
		q
	}
}

/// `round(a / b)` for signed `a` and `b > 0`, ties away from zero.
#[inline]
pub(crate) fn div_round_i(a: i128, b: i128) -> i128 {
	if b <= 0 {
		return 0;
	}
	let q = div_round(a.unsigned_abs(), b as u128);
	// |q| <= |a| <= i128::MAX + 1; the only value that does not fit is -i128::MIN.
	let q = i128::try_from(q).unwrap_or(i128::MAX);
	if a < 0 {
		-q
	} else {
		q
	}
}

/// `round(a * b / c)` for a signed `a`, ties away from zero; `None` on overflow or `c == 0`.
#[inline]
pub(crate) fn mul_div_i(a: i128, b: u128, c: u128) -> Option<i128> {
	let m = i128::try_from(mul_div(a.unsigned_abs(), b, c)?).ok()?;
	Some(if a < 0 { -m } else { m })
}

/// `round(a >> k)` (ties up) for any `k`; `k >= 129` gives 0.
#[inline]
pub(crate) fn shr_round(a: u128, k: u32) -> u128 {
	match k {
		0 => a,
		1..=127 => (a >> k) + ((a >> (k - 1)) & 1),
		128 => a >> 127,
		_ => 0,
	}
}

/// `round(sqrt(n))`: the integer nearest to the square root of `n`.
///
/// [`sp_arithmetic::helpers_128bit::sqrt`] gives `r = floor(sqrt(n))` (exact, bit by bit); the
/// nearest integer is `r + 1` exactly when `n > r^2 + r` (then `n >= (r + 1/2)^2 + 3/4`).
#[inline]
pub(crate) fn isqrt_round(n: u128) -> u128 {
	let r = sp_arithmetic::helpers_128bit::sqrt(n);
	// r <= 2^64 - 1, so r * r and r * r + r fit in u128.
	if n - r * r > r {
		r + 1
	} else {
		r
	}
}

/// A non-negative value `mant * 2^exp2 / 10^18` kept unrounded by the power of two.
///
/// `exp(-a)` for large `a` is tiny at the 18-decimal scale; keeping it as a mantissa of ~60
/// significant bits and a binary exponent lets the Greeks multiply and divide it by the spot, the
/// volatility and `sqrt(T)` before the final rounding, so that e.g. gamma keeps its relative
/// accuracy even where `n(d1)` alone would round to a few units of `10^-18`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Scaled {
	/// Mantissa at the 18-decimal scale.
	pub mant: u128,
	/// Binary exponent: the value is `mant * 2^exp2`.
	pub exp2: i32,
}

impl Scaled {
	/// The value zero.
	pub const ZERO: Scaled = Scaled { mant: 0, exp2: 0 };

	/// `round(self * b / c)`, keeping the binary exponent.
	///
	/// If the mantissa would overflow while the exponent is negative, the mantissa is first
	/// shifted right (trading bits that the final rounding would drop anyway); `None` only if the
	/// value itself does not fit.
	pub fn mul_div(self, b: u128, c: u128) -> Option<Scaled> {
		let mut s = self;
		loop {
			if let Some(mant) = mul_div(s.mant, b, c) {
				return Some(Scaled { mant, exp2: s.exp2 });
			}
			if s.exp2 >= 0 || c == 0 {
				return None;
			}
			let k = s.exp2.unsigned_abs().min(16);
			s = Scaled { mant: shr_round(s.mant, k), exp2: s.exp2 + k as i32 };
		}
	}

	/// `round(self * b / c)` at the 18-decimal scale with a **single** rounding where possible
	/// (the power of two is folded into the divisor), or `None` if it exceeds `u128`.
	pub fn mul_div_to_raw(self, b: u128, c: u128) -> Option<u128> {
		if self.exp2 < 0 {
			let k = self.exp2.unsigned_abs();
			if k < c.leading_zeros() {
				return mul_div(self.mant, b, c << k);
			}
		}
		self.mul_div(b, c)?.to_raw()
	}

	/// The value rounded to the 18-decimal scale, or `None` if it exceeds `u128`.
	pub fn to_raw(self) -> Option<u128> {
		if self.exp2 >= 0 {
			let k = self.exp2.unsigned_abs();
			if self.mant == 0 {
				return Some(0);
			}
			if k >= self.mant.leading_zeros() {
				return None;
			}
			Some(self.mant << k)
		} else {
			Some(shr_round(self.mant, self.exp2.unsigned_abs()))
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn mul_div_rounds_to_nearest() {
		assert_eq!(mul_div(10, 1, 4), Some(3)); // 2.5 -> 3
		assert_eq!(mul_div(9, 1, 4), Some(2)); // 2.25 -> 2
		assert_eq!(mul_div(11, 1, 4), Some(3)); // 2.75 -> 3
		assert_eq!(mul_div(1, 1, 0), None);
		// 256-bit path.
		assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), Some(u128::MAX));
		assert_eq!(mul_div(u128::MAX, 2, 1), None);
		assert_eq!(mul_div(1 << 127, 10, 4), None);
		assert_eq!(mul_div(1 << 127, 6, 4), Some(3 << 126));
		assert_eq!(mul_div(1 << 127, 3, 4), Some(3 << 125));
	}

	#[test]
	fn mul_splits_exactly() {
		// 6e22 (60,000 at 1e18) * 0.5 -> 30,000.
		assert_eq!(mul(60_000 * ONE, ONE / 2), Some(30_000 * ONE));
		// a * b overflows u128 but the result fits: exact split path.
		let a = 3 * 10u128.pow(38);
		assert_eq!(mul(a, ONE / 2), Some(15 * 10u128.pow(37)));
		assert_eq!(mul(a + 1, ONE / 2), Some(15 * 10u128.pow(37) + 1)); // 0.5 ties up
		assert_eq!(mul(u128::MAX, 2 * ONE), None);
		// Rounding: 1.5e-18 * 1 -> 2e-18? (1 raw * 1.5) -> 1.5 raw -> 2.
		assert_eq!(mul(3, ONE / 2), Some(2));
	}

	#[test]
	fn signed_rounding_is_symmetric() {
		assert_eq!(div_round_i(5, 2), 3);
		assert_eq!(div_round_i(-5, 2), -3);
		assert_eq!(div_round_i(-4, 3), -1);
		assert_eq!(mul_div_i(-10, 1, 4), Some(-3));
		assert_eq!(mul_div_i(i128::MIN, 1, 1), None);
	}

	#[test]
	fn shifts_round_to_nearest() {
		assert_eq!(shr_round(5, 1), 3);
		assert_eq!(shr_round(4, 1), 2);
		assert_eq!(shr_round(u128::MAX, 1), 1 << 127);
		assert_eq!(shr_round(u128::MAX, 128), 1);
		assert_eq!(shr_round(u128::MAX, 129), 0);
		assert_eq!(shr_round(u128::MAX, 1000), 0);
	}

	#[test]
	fn isqrt_rounds_to_nearest() {
		assert_eq!(isqrt_round(0), 0);
		assert_eq!(isqrt_round(1), 1);
		assert_eq!(isqrt_round(2), 1);
		assert_eq!(isqrt_round(3), 2);
		assert_eq!(isqrt_round(6), 2);
		assert_eq!(isqrt_round(7), 3);
		assert_eq!(isqrt_round(u128::MAX), 1 << 64);
		assert_eq!(isqrt_round(ONE_36), ONE);
	}

	#[test]
	fn scaled_keeps_precision_and_detects_overflow() {
		let s = Scaled { mant: 3 * ONE, exp2: -2 };
		assert_eq!(s.to_raw(), Some(750_000_000_000_000_000));
		assert_eq!(Scaled { mant: 1, exp2: 200 }.to_raw(), None);
		assert_eq!(Scaled { mant: 0, exp2: 200 }.to_raw(), Some(0));
		assert_eq!(Scaled { mant: 1, exp2: 3 }.to_raw(), Some(8));
		// Mantissa overflow with a negative exponent: pre-shifted, still exact here.
		let big = Scaled { mant: 1 << 100, exp2: -100 };
		let r = big.mul_div(1 << 60, 1).unwrap();
		assert_eq!(r.to_raw(), Some(1 << 60));
		assert_eq!(Scaled { mant: 1 << 100, exp2: 0 }.mul_div(1 << 60, 1), None);
		// Single rounding: 0.8 * 1 / 1 * 2^-1 = 0.4 -> 0 (two roundings would give 1).
		let s = Scaled { mant: 8, exp2: -1 };
		assert_eq!(s.mul_div_to_raw(1, 10), Some(0));
		assert_eq!(s.mul_div(1, 10).and_then(Scaled::to_raw), Some(1));
		assert_eq!(Scaled { mant: 3, exp2: -200 }.mul_div_to_raw(1 << 127, 1), Some(0));
		assert_eq!(Scaled { mant: 3, exp2: 2 }.mul_div_to_raw(5, 1), Some(60));
	}
}
