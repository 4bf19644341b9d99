//! No input can make the library panic (tests run with overflow checks on): a deterministic
//! pseudo-random sweep over the whole 128-bit range of every input, with the edge values mixed
//! in, checking that every `Ok` result is within the no-arbitrage bounds.

use solvent_option_pricing::{
	black_scholes, discount_factor,
	math::{exp, ln, norm_cdf, norm_pdf},
	present_value, price_only, BlackScholesInput, OptionKind, PricingError,
};
use sp_arithmetic::{FixedI128, FixedU128};

/// xorshift128+ (deterministic test data, no external crate).
struct Rng(u64, u64);
impl Rng {
	fn next(&mut self) -> u64 {
		let (mut s1, s0) = (self.0, self.1);
		self.0 = s0;
		s1 ^= s1 << 23;
		self.1 = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
		self.1.wrapping_add(s0)
	}
	fn u128(&mut self) -> u128 {
		let v = ((self.next() as u128) << 64) | self.next() as u128;
		// A random magnitude: shift right by 0..=127 bits, sometimes an edge value.
		match self.next() % 16 {
			0 => 0,
			1 => 1,
			2 => u128::MAX,
			3 => 1_000_000_000_000_000_000,
			_ => v >> (self.next() % 128),
		}
	}
}

#[test]
fn never_panics_and_stays_in_bounds() {
	let mut rng = Rng(0x9E37_79B9_7F4A_7C15, 0xD1B5_4A32_D192_ED03);
	let (mut ok, mut errors) = (0u32, [0u32; 6]);
	for n in 0..40_000u32 {
		let input = BlackScholesInput {
			spot: FixedU128::from_inner(rng.u128()),
			strike: FixedU128::from_inner(rng.u128()),
			// Mostly inside the domain for time, volatility and rate, sometimes anything.
			time_to_expiry: FixedU128::from_inner(if n % 4 == 0 {
				rng.u128()
			} else {
				rng.u128() % (101 * 10u128.pow(18))
			}),
			volatility: FixedU128::from_inner(if n % 4 == 1 {
				rng.u128()
			} else {
				rng.u128() % (101 * 10u128.pow(18))
			}),
			rate: FixedI128::from_inner({
				let r = (rng.u128() % (2 * 10u128.pow(18))) as i128 - 10i128.pow(18);
				if n % 4 == 2 {
					rng.u128() as i128
				} else {
					r
				}
			}),
		};
		let kind = if n % 2 == 0 { OptionKind::Call } else { OptionKind::Put };
		match black_scholes(kind, &input) {
			Ok(g) => {
				ok += 1;
				assert_eq!(price_only(kind, &input), Ok(g.price));
				let kd = present_value(input.strike, input.rate, input.time_to_expiry).unwrap();
				let cap = match kind {
					OptionKind::Call => input.spot,
					OptionKind::Put => kd,
				};
				assert!(
					g.price.into_inner() <= cap.into_inner().saturating_add(2),
					"{input:?} {g:?}"
				);
				assert!(g.delta.into_inner().abs() <= 10i128.pow(18));
				assert!(g.gamma.into_inner() >= 0 && g.vega.into_inner() >= 0);
			}
			Err(e) => {
				let i = match e {
					PricingError::ZeroSpot => 0,
					PricingError::ZeroStrike => 1,
					PricingError::ZeroVolatility => 2,
					PricingError::ZeroTime => 3,
					PricingError::Overflow => 4,
					PricingError::OutOfDomain => 5,
				};
				errors[i] += 1;
			}
		}
		let _ = discount_factor(input.rate, input.time_to_expiry);
		let _ = present_value(input.spot, input.rate, input.time_to_expiry);
		let x = FixedI128::from_inner(rng.u128() as i128);
		let _ = (ln(input.spot), exp(x), norm_cdf(x), norm_pdf(x));
		let small = FixedI128::from_inner(
			(rng.u128() % (100 * 10u128.pow(18))) as i128 - 50 * 10i128.pow(18),
		);
		let _ = (exp(small), norm_cdf(small), norm_pdf(small));
	}
	println!(
		"ok {ok}, errors [zero S, zero K, zero σ, zero T, overflow, out of domain] {errors:?}"
	);
	assert!(ok > 10_000);
	assert!(errors.iter().all(|&e| e > 0), "every error is exercised: {errors:?}");
}

/// Inside a generous "sane" domain every call succeeds: S and K from 1e-6 to 1e9 USD, σ from
/// 0.1 % to 5,000 %, T from 1 ms to 100 years, |r| ≤ 100 % with r T ≥ −20.
#[test]
fn no_error_inside_the_sane_domain() {
	const E18: u128 = 1_000_000_000_000_000_000;
	let mut rng = Rng(0x1234_5678_9ABC_DEF0, 0x0FED_CBA9_8765_4321);
	// Log-uniform in [lo, hi] (raw), using integer steps only.
	let mut log_uniform = |lo: u128, decades: u32| -> u128 {
		let d = (rng.next() % decades as u64) as u32;
		let base = lo * 10u128.pow(d);
		base + (rng.next() as u128 % (9 * base)).min(9 * base)
	};
	let mut failures = Vec::new();
	for n in 0..20_000u32 {
		let spot = log_uniform(E18 / 1_000_000, 15);
		let strike = log_uniform(E18 / 1_000_000, 15);
		let volatility = log_uniform(E18 / 1_000, 4).min(50 * E18);
		let t = log_uniform(31_709_792, 12).min(100 * E18); // 1 ms .. 100 y
		let r_mag = log_uniform(E18 / 10_000, 4).min(E18) as i128;
		let mut rate = if n % 2 == 0 { r_mag } else { -r_mag };
		// r T >= -20.
		if rate < 0 && (rate.unsigned_abs() / 1_000_000) * (t / 1_000_000) > 20 * E18 * 1_000_000 {
			rate = -rate;
		}
		let input = BlackScholesInput {
			spot: FixedU128::from_inner(spot),
			strike: FixedU128::from_inner(strike),
			time_to_expiry: FixedU128::from_inner(t),
			volatility: FixedU128::from_inner(volatility),
			rate: FixedI128::from_inner(rate),
		};
		for kind in [OptionKind::Call, OptionKind::Put] {
			if let Err(e) = black_scholes(kind, &input) {
				failures.push(format!("{kind:?} {input:?}: {e:?}"));
			}
		}
	}
	assert!(
		failures.is_empty(),
		"{} failures, e.g. {:?}",
		failures.len(),
		&failures[..failures.len().min(5)]
	);
}
