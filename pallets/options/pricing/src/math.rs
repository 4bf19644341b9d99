//! Deterministic fixed-point elementary functions: `ln`, `exp`, the standard normal density
//! `n(x)` and distribution function `N(x)`.
//!
//! All arithmetic is on integers at the 18-decimal scale of [`FixedU128`] / [`FixedI128`]
//! (see the `fixed` module); nothing here uses floating point, so every node computes bit-identical
//! results. The public wrappers at the bottom of this module ([`ln`], [`exp`], [`norm_pdf`],
//! [`norm_cdf`]) expose the same kernels that [`crate::black_scholes`] uses.
//!
//! # Algorithms and error bounds
//!
//! Error bounds are in units of the last place (ulp = `10^-18`) of the returned value. "Series
//! error" is the truncation error of the mathematical approximation; "rounding" is the
//! accumulated rounding of the fixed-point evaluation. Measured against `mpmath` (30 significant
//! digits) over `reference/math.csv` (`tests/math_vectors.rs`): `N(x)` and `n(x)` within 1 ulp on
//! 2,023 points each (`x` from −10 to 10 and around the cut-overs), `ln x` within 1 ulp on 414
//! points (`1e-18` to `1.7e20`), `e^x` within 1 ulp relative on 383 points (`x` from −41 to 46).
//!
//! - **`ln(a / b)`** of two positive integers (`ln_ratio`): `a` and `b` are normalised to
//!   64-bit mantissas `A, B` in `[2^63, 2^64)` with `a / b = 2^e * A / B`; `e` is adjusted by one
//!   so that `A / B` lies in `[1/sqrt 2, sqrt 2]`. Then `ln(A / B) = 2 atanh(z)`,
//!   `z = (A - B) / (A + B)`, `|z| <= 0.1716`, summed as
//!   `2z (1 + z^2/3 + z^4/5 + ... + z^24/25)` by Horner's rule (Abramowitz & Stegun, *Handbook of
//!   Mathematical Functions*, 1964, §4.1, the series for `ln((1 + z)/(1 - z))`), with the leading
//!   `z` at 36 decimals and `e ln 2 + ln(A / B)` (36-digit `ln 2`) rounded once. Series error
//!   `< 2 * 0.1716^27 / 27 < 3e-22`. Because the ratio is formed from the raw integers,
//!   `ln(S/K)` has the same absolute accuracy (1 ulp) for any magnitude of `S` and `K`.
//! - **`exp(x)`** (`exp_scaled`), with `x` given at the 36-decimal scale: `x = k ln 2 + r`,
//!   `k = round(x / ln 2)`, `|r| <= ln(2)/2`, computed exactly with a 36-digit `ln 2`; `e^r` by the
//!   degree-15 Taylor polynomial in Horner form (the last step with the unrounded `r`); the
//!   result is kept as `e^r * 2^k` (a mantissa and a binary exponent, `Scaled`) so that very
//!   small results keep their relative accuracy.
//!   Series error `<= 0.3466^16 / 16! < 3e-21` relative; rounding about 1 ulp of `e^r`.
//! - **`n(x) = exp(-x^2/2) / sqrt(2 pi)`** (`pdf_scaled`): one call of `exp_scaled` on
//!   `-(x^2/2 + ln sqrt(2 pi))`, where `x^2/2` is exact at the 36-decimal scale and
//!   `ln sqrt(2 pi)` is a 36-digit constant. Relative error about `1e-18 * (1 + x^2)`. For
//!   `|x| > 18`, `n(x) < 1e-70` and is returned as 0.
//! - **`N(x)`** (`normal_cdf`), by symmetry on `t = |x|`, returning both `N(t)` and
//!   `N(-t) = 1 - N(t)` (exactly complementary in raw units):
//!   - `t < 3`: the series `N(t) = 1/2 + n(t) (t + t^3/3 + t^5/(3*5) + t^7/(3*5*7) + ...)`
//!     (Abramowitz & Stegun §26.2; G. Marsaglia, "Evaluating the Normal Distribution", *Journal
//!     of Statistical Software* 11(4), 2004), in Horner form with a degree chosen per interval of
//!     `t` so that the truncation error times `n(t)` is below `1e-21` (table `SERIES_DEGREE`);
//!     all terms are positive, so there is no cancellation.
//!   - `3 <= t < 18`: Laplace's continued fraction for the Mills ratio,
//!     `N(-t) = n(t) / (t + 1/(t + 2/(t + 3/(t + ...))))` (Abramowitz & Stegun §26.2), evaluated
//!     backwards from a depth chosen per interval of `t` (table `CF_DEPTH`) so that the
//!     relative truncation error is below `1e-19`. Its convergents alternate around the limit, so
//!     the truncation error is bounded by the difference of consecutive convergents.
//!   - `t >= 18`: `N(-t) < 1e-72`, taken as 0.
//!
//!   `N(-t)` is also kept unrounded (with a binary exponent) so that an amount times a tail
//!   probability, such as `S N(d1)` for a far out-of-the-money call, is rounded only once and
//!   keeps its relative accuracy (`NormalCdf::times`); the rounded `N(x)` is 0 or 1 from
//!   `|x| >= 9` on (`N(-9) = 1.1e-19`).
//!
//!   The degrees and depths were computed with `mpmath` at 50 digits by
//!   `reference/normal_depths.py` (printed values plus a margin of 1–3 terms).
//!
//! W. J. Cody's rational Chebyshev approximations of `erfc` (*Math. Comp.* 23, 1969) were
//! considered: they are cheaper but their published coefficients target double precision, and
//! the series/continued-fraction pair above has provable truncation bounds at any precision.

use crate::{
	fixed::{
		div_round, div_round_i, isqrt_round, mul, mul_div, mul_div_i, shr_round, Scaled, ONE,
		ONE_36, ONE_I,
	},
	PricingError,
};
use sp_arithmetic::{FixedI128, FixedU128};

/// `ln 2` at the 36-decimal scale: 0.693147180559945309417232121458176568...
pub(crate) const LN2_36: i128 = 693_147_180_559_945_309_417_232_121_458_176_568;
/// `ln sqrt(2 pi)` at the 36-decimal scale: 0.918938533204672741780329736405617639861...
pub(crate) const LN_SQRT_2PI_36: i128 = 918_938_533_204_672_741_780_329_736_405_617_640;

/// Largest exponent (at the 36-decimal scale) that [`exp_scaled`] accepts: `|x| <= 160`.
/// (`e^160 ~ 3e69` does not fit any output anyway; callers map larger arguments to errors.)
pub(crate) const EXP_ARG_MAX_36: i128 = 160 * (ONE_I * ONE_I);

/// `round(10^18 / (2n + 1))` for `n = 0..=12`: the atanh series coefficients.
const INV_ODD: [u128; 13] = {
	let mut t = [0u128; 13];
	let mut n = 0;
	while n < 13 {
		let d = 2 * n as u128 + 1;
		t[n] = (ONE + d / 2) / d;
		n += 1;
	}
	t
};

/// `ln(a / b)` at the 18-decimal scale, for integers `a, b > 0` (any common scale cancels, so
/// `ln_ratio(S.into_inner(), K.into_inner()) = ln(S / K)`). Returns 0 if either is 0 (callers
/// reject zero inputs before calling). `|result| <= 88.8` (i.e. `ln 2^128`).
pub(crate) fn ln_ratio(a: u128, b: u128) -> i128 {
	if a == 0 || b == 0 {
		return 0;
	}
	// Normalise to 64-bit mantissas in [2^63, 2^64): a = A * 2^(ea - 63), b = B * 2^(eb - 63).
	let (mut ma, ea) = normalize_64(a);
	let (mut mb, eb) = normalize_64(b);
	let mut e = ea - eb;
	// Bring A / B into [1/sqrt 2, sqrt 2] (approximately; the exact boundary only affects the
	// convergence speed, not the result): A^2 > 2 B^2 => B *= 2; 2 A^2 < B^2 => A *= 2.
	// A, B < 2^64, so A^2, B^2 < 2^128 and the halved comparisons cannot overflow.
	let (a2, b2) = (ma * ma, mb * mb);
	if a2 / 2 > b2 {
		mb *= 2;
		e += 1;
	} else if b2 / 2 > a2 {
		ma *= 2;
		e -= 1;
	}
	// z = (A - B) / (A + B), at 36 decimals for the leading term and at 18 decimals for the
	// (damped) higher ones. |A - B| < 2^65, A + B < 2^66.
	let (diff, neg) = if ma >= mb { (ma - mb, false) } else { (mb - ma, true) };
	let z = div_round(diff * ONE, ma + mb);
	// z_36 <= 0.18e36: never overflows.
	let z_36 = mul_div(diff, ONE_36, ma + mb).unwrap_or(0);
	// atanh series: ln(A/B) = 2 z (1 + w/3 + w^2/5 + ...), w = z^2; Horner from the top.
	let w = div_round(z * z, ONE);
	let mut acc = INV_ODD[12];
	let mut n = 12;
	while n > 0 {
		n -= 1;
		acc = INV_ODD[n] + div_round(acc * w, ONE);
	}
	// 2 z acc at 36 decimals (<= 0.37e36), plus e ln 2 at 36 decimals (|e| <= 128), rounded once.
	let ln_m_36 = mul_div(z_36, 2 * acc, ONE).unwrap_or(0) as i128;
	let ln_m_36 = if neg { -ln_m_36 } else { ln_m_36 };
	div_round_i(e as i128 * LN2_36 + ln_m_36, ONE_I)
}

/// `(M, e)` with `M` in `[2^63, 2^64)` and `x ≈ M * 2^(e - 63)` (rounded to nearest), `x > 0`.
fn normalize_64(x: u128) -> (u128, i32) {
	let e = 127 - x.leading_zeros() as i32; // floor(log2 x)
	if e <= 63 {
		(x << (63 - e), e)
	} else {
		let m = shr_round(x, (e - 63) as u32);
		if m == 1u128 << 64 {
			(1u128 << 63, e + 1)
		} else {
			(m, e)
		}
	}
}

/// `e^x` for `x` given at the **36-decimal** scale (`x_36 = x * 10^36`), as `mant * 2^exp2`
/// with `mant` at 18 decimals in `[0.7071, 1.4143]`. `None` if `|x| > 160`.
pub(crate) fn exp_scaled(x_36: i128) -> Option<Scaled> {
	if x_36.unsigned_abs() > EXP_ARG_MAX_36.unsigned_abs() {
		return None;
	}
	// k = round(x / ln 2), |k| <= 231; r = x - k ln 2 exactly at 36 decimals, |r| <= ln(2)/2.
	let k = div_round_i(x_36, LN2_36);
	let r_36 = x_36 - k * LN2_36;
	let r = div_round_i(r_36, ONE_I);
	// e^r = 1 + r(1 + r/2(1 + r/3(...(1 + r/15)))): every partial value is in [0.7, 1.42] * 10^18,
	// so acc * r < 5e35 fits in i128.
	// The last step, 1 + r * acc, uses the unrounded r at 36 decimals.
	let mut acc = ONE_I;
	let mut n: i128 = 15;
	while n > 1 {
		acc = ONE_I + div_round_i(acc * r, n * ONE_I);
		n -= 1;
	}
	let mant = ONE_I + mul_div_i(r_36, acc.unsigned_abs(), ONE_36)?;
	Some(Scaled { mant: mant.unsigned_abs(), exp2: k as i32 })
}

/// The standard normal density `n(x) = e^{-x^2/2} / sqrt(2 pi)` for `x` at 18 decimals, as a
/// [`Scaled`] value (exactly zero for `|x| > 18`).
pub(crate) fn pdf_scaled(x: i128) -> Scaled {
	let t = x.unsigned_abs();
	if t > 18 * ONE {
		return Scaled::ZERO;
	}
	// t^2 / 2 exactly at 36 decimals: t < 1.81e19 so t^2 < 3.3e38 fits in u128, and
	// t^2/2 + ln sqrt(2 pi) < 1.63e38 fits in i128.
	let half_sq = (t * t) / 2 + (t * t) % 2; // ties up; the 1e-36 is immaterial
	let arg = half_sq as i128 + LN_SQRT_2PI_36;
	// |arg| <= 163 * 10^36 > EXP_ARG_MAX_36 only for t > 17.9: n(x) < 1e-69 there anyway.
	exp_scaled(-arg).unwrap_or(Scaled::ZERO)
}

/// Horner degree of the series `sum_j t^{2j} / (1*3*...*(2j+1))` used for `N(t)` when `t` is at
/// most the first number (raw, 18 decimals): truncation error times `t n(t)` below `1e-21`
/// (`reference/normal_depths.py`, plus a margin of 1).
pub(crate) const SERIES_DEGREE: [(u128, u32); 12] = [
	(ONE / 4, 10),
	(ONE / 2, 13),
	(3 * ONE / 4, 15),
	(ONE, 18),
	(5 * ONE / 4, 20),
	(3 * ONE / 2, 22),
	(7 * ONE / 4, 25),
	(2 * ONE, 27),
	(9 * ONE / 4, 29),
	(5 * ONE / 2, 32),
	(11 * ONE / 4, 34),
	(3 * ONE, 37),
];

/// Depth of Laplace's continued fraction for `N(-t)` when `t` is at least the first number:
/// relative truncation error below `1e-19` (`reference/normal_depths.py`, plus a margin of 2–3).
pub(crate) const CF_DEPTH: [(u128, u128); 10] = [
	(8 * ONE, 20),
	(7 * ONE, 23),
	(6 * ONE, 27),
	(5 * ONE, 35),
	(9 * ONE / 2, 40),
	(4 * ONE, 46),
	(7 * ONE / 2, 56),
	(13 * ONE / 4, 63),
	(3 * ONE, 72),
	(0, 72),
];

/// From here on `n(t) < 1.5e-71`: `N(-t)` is 0 even when multiplied by any 128-bit amount.
const TAIL_ZERO_FROM: u128 = 18 * ONE;
/// Where the series gives way to the continued fraction.
const SERIES_UP_TO: u128 = 3 * ONE;

/// The standard normal distribution function at `x` and `-x`, and the density at `x`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NormalCdf {
	/// `N(x)`, raw (rounded to nearest).
	pub at_x: u128,
	/// `N(-x)`, raw; `at_x + at_neg_x = 10^18` exactly.
	pub at_neg_x: u128,
	/// `n(x)`.
	pub pdf: Scaled,
	/// The tail `N(-|x|)` unrounded (as [`Scaled`]), for [`NormalCdf::times`].
	tail: Scaled,
	/// `x >= 0`.
	nonneg: bool,
}

impl NormalCdf {
	/// `round(a * N(x))`, or `round(a * N(-x))` if `negate`, for a raw 18-decimal `a`, with a
	/// single rounding of `a` times the tail `N(-|x|)`: `a * N(-|x|)` keeps its relative
	/// accuracy however small, and `a * N(|x|) = a - a * N(-|x|)` is exact but for that one
	/// rounding, so `times(a, false) + times(a, true) = a` exactly. `None` on overflow.
	pub fn times(&self, a: u128, negate: bool) -> Option<u128> {
		let small = self.tail.mul_div_to_raw(a, ONE)?.min(a);
		// N(±x) is the lower tail iff ±x <= 0.
		Some(if self.nonneg == negate { small } else { a - small })
	}
}

/// `N(x)` and `N(-x)` (raw values summing to exactly `10^18`) and `n(x)`, for `x` at 18
/// decimals.
pub(crate) fn normal_cdf(x: i128) -> NormalCdf {
	let t = x.unsigned_abs();
	let pdf = pdf_scaled(x);
	// lower = N(-t) for t = |x| >= 0, rounded, and unrounded.
	let (lower, tail) = if t < SERIES_UP_TO {
		// w = t^2 (t < 3e18, t^2 < 9e36 fits).
		let w = div_round(t * t, ONE);
		let degree = SERIES_DEGREE.iter().find(|(bound, _)| t <= *bound).map_or(37, |d| d.1);
		// acc = 1 + w/3 (1 + w/5 (1 + ...)): acc <= 37.6e18, acc * w < 3.4e38 can exceed u128
		// only at the very top of the interval, where mul_div falls back to 256 bits.
		let mut acc = ONE;
		let mut j = degree;
		while j > 0 {
			let odd = 2 * j as u128 + 1;
			acc = ONE + mul_div(acc, w, odd * ONE).unwrap_or(0);
			j -= 1;
		}
		// N(t) - 1/2 = n(t) * t * acc <= 0.4987.
		let p = mul(t, acc).unwrap_or(0);
		let half_excess = pdf.mul_div_to_raw(p, ONE).unwrap_or(0);
		let lower = (ONE / 2).saturating_sub(half_excess);
		// N(-t) >= 0.00135 here: its absolute accuracy is what matters.
		(lower, Scaled { mant: lower, exp2: 0 })
	} else if t < TAIL_ZERO_FROM {
		let depth = CF_DEPTH.iter().find(|(from, _)| t >= *from).map_or(72, |d| d.1);
		// Backward evaluation: c = t; c = t + k / c for k = depth..1; N(-t) = n(t) / c.
		// c >= t >= 3, k <= 72, so k * 10^36 / c fits and c stays below 40e18.
		let mut c = t;
		let mut k = depth;
		while k > 0 {
			c = t + div_round(k * ONE * ONE, c);
			k -= 1;
		}
		let lower = pdf.mul_div_to_raw(ONE, c).unwrap_or(0);
		// The tail with 16 extra bits: n(t)/c has a mantissa of at least ~5e16 otherwise.
		let tail = pdf
			.mul_div(ONE << 16, c)
			.map_or(Scaled::ZERO, |s| Scaled { mant: s.mant, exp2: s.exp2 - 16 });
		(lower, tail)
	} else {
		(0, Scaled::ZERO)
	};
	let upper = ONE - lower.min(ONE);
	let nonneg = x >= 0;
	let (at_x, at_neg_x) = if nonneg { (upper, lower) } else { (lower, upper) };
	NormalCdf { at_x, at_neg_x, pdf, tail, nonneg }
}

/// `sqrt(T)` of a positive 18-decimal value as `(s, j)` with `s = round(sqrt(T) * 10^18 * 2^j)`:
/// `j` is as large as the 128-bit radicand allows, giving `s` 63–64 significant bits whatever
/// the size of `T`. `None` if `T * 10^18` overflows (`T > 3.4e20`).
pub(crate) fn sqrt_ext(t_raw: u128) -> Option<(u128, u32)> {
	let base = t_raw.checked_mul(ONE)?;
	if base == 0 {
		return Some((0, 0));
	}
	let j = base.leading_zeros() / 2;
	Some((isqrt_round(base << (2 * j)), j))
}

// --- public wrappers -------------------------------------------------------------------------

/// Natural logarithm of a positive [`FixedU128`], at 18 decimals.
///
/// Absolute error within 1–2 units of `1e-18` (see the module docs).
/// Errors: [`PricingError::OutOfDomain`] for `x = 0`.
pub fn ln(x: FixedU128) -> Result<FixedI128, PricingError> {
	if x.into_inner() == 0 {
		return Err(PricingError::OutOfDomain);
	}
	Ok(FixedI128::from_inner(ln_ratio(x.into_inner(), ONE)))
}

/// `e^x` at 18 decimals (correctly rounded up to a few `1e-18` relative error).
///
/// Results below `5e-19` round to zero. Errors: [`PricingError::Overflow`] if `e^x` exceeds
/// [`FixedU128`] (`x > 47.27`).
pub fn exp(x: FixedI128) -> Result<FixedU128, PricingError> {
	let raw = x.into_inner();
	// e^-42 < 6e-19: rounds to 0.
	if raw < -42 * ONE_I {
		return Ok(FixedU128::from_inner(0));
	}
	if raw > 48 * ONE_I {
		return Err(PricingError::Overflow);
	}
	let s = exp_scaled(raw * ONE_I).ok_or(PricingError::Overflow)?;
	s.to_raw().map(FixedU128::from_inner).ok_or(PricingError::Overflow)
}

/// The standard normal density `n(x) = e^{-x^2/2} / sqrt(2 pi)`, at 18 decimals.
pub fn norm_pdf(x: FixedI128) -> FixedU128 {
	FixedU128::from_inner(pdf_scaled(x.into_inner()).to_raw().unwrap_or(0))
}

/// The standard normal distribution function `N(x)`, at 18 decimals (absolute error a few
/// `1e-18`; exactly 0 below `x = -9` and 1 above `x = 9`). `N(x) + N(-x) = 1` exactly.
pub fn norm_cdf(x: FixedI128) -> FixedU128 {
	FixedU128::from_inner(normal_cdf(x.into_inner()).at_x)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn constants_are_consistent() {
		assert_eq!(INV_ODD[0], ONE);
		assert_eq!(INV_ODD[1], 333_333_333_333_333_333);
		assert_eq!(INV_ODD[12], 40_000_000_000_000_000);
		// ln 2 at 18 decimals from the 36-digit constant.
		assert_eq!(div_round_i(LN2_36, ONE_I), 693_147_180_559_945_309);
		// Depth tables are ordered as the lookups expect.
		assert!(SERIES_DEGREE.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
		assert!(CF_DEPTH.windows(2).all(|w| w[0].0 > w[1].0 && w[0].1 <= w[1].1));
		assert_eq!(SERIES_DEGREE[SERIES_DEGREE.len() - 1].0, SERIES_UP_TO);
	}

	#[test]
	fn ln_exact_points() {
		assert_eq!(ln_ratio(1, 1), 0);
		assert_eq!(ln_ratio(2, 1), 693_147_180_559_945_309);
		assert_eq!(ln_ratio(1, 2), -693_147_180_559_945_309);
		assert_eq!(ln_ratio(1 << 100, 1), 69_314_718_055_994_530_942);
		// ln(10) = 2.302585092994045684017991454684364207...
		assert_eq!(ln_ratio(10, 1), 2_302_585_092_994_045_684);
		// Scale cancels.
		assert_eq!(ln_ratio(3 * ONE, 2 * ONE), ln_ratio(3, 2));
	}

	#[test]
	fn exp_exact_points() {
		assert_eq!(exp_scaled(0).unwrap().to_raw(), Some(ONE));
		// e = 2.718281828459045235360287...: the mantissa e/2 is rounded at 18 decimals and
		// doubled, so the result is within one unit.
		let e = exp_scaled(ONE_I * ONE_I).unwrap().to_raw().unwrap();
		assert!(e.abs_diff(2_718_281_828_459_045_235) <= 1);
		// e^-1 = 0.367879441171442321595523...
		let e_inv = exp_scaled(-ONE_I * ONE_I).unwrap().to_raw().unwrap();
		assert_eq!(e_inv, 367_879_441_171_442_322);
		assert_eq!(exp_scaled(LN2_36).unwrap().to_raw(), Some(2 * ONE));
		assert!(exp_scaled(EXP_ARG_MAX_36 + 1).is_none());
	}

	#[test]
	fn cdf_symmetry_and_centre() {
		let n = normal_cdf(0);
		assert_eq!((n.at_x, n.at_neg_x), (ONE / 2, ONE / 2));
		assert_eq!(n.times(100 * ONE, false), Some(50 * ONE));
		for x in
			[1i128, ONE_I / 3, ONE_I, 3 * ONE_I - 1, 3 * ONE_I, 5 * ONE_I, 9 * ONE_I, 40 * ONE_I]
		{
			let (p, q) = (normal_cdf(x), normal_cdf(-x));
			assert_eq!((p.at_x, p.at_neg_x), (q.at_neg_x, q.at_x));
			assert_eq!(p.at_x + p.at_neg_x, ONE);
			assert_eq!(p.pdf, q.pdf);
			// a N(x) + a N(-x) = a exactly, and the same from either side.
			let a = 60_000 * ONE + 12_345;
			let (up, down) = (p.times(a, false).unwrap(), p.times(a, true).unwrap());
			assert_eq!(up + down, a);
			assert_eq!((up, down), (q.times(a, true).unwrap(), q.times(a, false).unwrap()));
		}
		// N(-9) = 1.13e-19 rounds to 0, but 10^6 N(-9) = 1.13e-13 is kept.
		let n9 = normal_cdf(-9 * ONE_I);
		assert_eq!(n9.at_x, 0);
		let scaled = n9.times(1_000_000 * ONE, false).unwrap();
		assert_eq!(scaled, 112_859); // 1.12858840595384e-13
		assert_eq!(normal_cdf(i128::MIN).at_x, 0);
		assert_eq!(normal_cdf(i128::MAX).at_x, ONE);
		assert_eq!(normal_cdf(i128::MAX).times(u128::MAX, false), Some(u128::MAX));
	}

	#[test]
	fn sqrt_ext_has_full_precision() {
		// sqrt(1) * 1e18 * 2^j.
		let (s, j) = sqrt_ext(ONE).unwrap();
		assert_eq!(s, ONE << j);
		// One hour: T = 1/8760 year; the extended root has 63+ significant bits.
		let (s, j) = sqrt_ext(114_155_251_141_553).unwrap();
		assert!(s >= 1 << 63);
		assert!(j > 0);
		assert!(sqrt_ext(u128::MAX / ONE + 1).is_none());
		assert_eq!(sqrt_ext(0), Some((0, 0)));
	}
}
