//! Properties of `black_scholes` that hold for any correct implementation: put–call parity,
//! no-arbitrage bounds, monotonicity, limits at the edges of the domain, the error cases, and
//! the exactness of `year_fraction`. Plus a timing run (`#[ignore]`).

mod common;

use codec::{Decode, Encode, MaxEncodedLen};
use common::{parse_exact, ONE};
use solvent_option_pricing::{
	black_scholes, discount_factor, intrinsic, present_value, price_only, year_fraction,
	BlackScholesInput, Greeks, OptionKind, PricingError, MAX_RATE, MAX_TIME_TO_EXPIRY,
	MAX_VOLATILITY, MS_PER_YEAR,
};
use sp_arithmetic::{FixedI128, FixedU128};

use OptionKind::{Call, Put};

const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;

fn u(s: &str) -> FixedU128 {
	FixedU128::from_inner(parse_exact(s) as u128)
}
fn i(s: &str) -> FixedI128 {
	FixedI128::from_inner(parse_exact(s))
}
fn input(spot: &str, strike: &str, t: FixedU128, vol: &str, rate: &str) -> BlackScholesInput {
	BlackScholesInput {
		spot: u(spot),
		strike: u(strike),
		time_to_expiry: t,
		volatility: u(vol),
		rate: i(rate),
	}
}
fn years(ms: u64) -> FixedU128 {
	year_fraction(0, ms)
}
fn bs(kind: OptionKind, inp: &BlackScholesInput) -> Greeks {
	black_scholes(kind, inp).unwrap_or_else(|e| panic!("{kind:?} {inp:?}: {e:?}"))
}
/// `K e^{-rT}` raw, as the library computes it.
fn discounted_strike(inp: &BlackScholesInput) -> i128 {
	present_value(inp.strike, inp.rate, inp.time_to_expiry).unwrap().into_inner() as i128
}

/// A broad grid: spot 0.5..1e6, K/S 0.5..2, T 1 ms..50 y, σ 0.1 %..2000 %, r −5 %..50 %.
fn grid() -> Vec<BlackScholesInput> {
	let mut out = Vec::new();
	for spot in ["0.5", "100", "60000", "1000000"] {
		for ks in ["0.5", "0.8", "1", "1.25", "2"] {
			let strike = FixedU128::from_inner(
				sp_arithmetic::helpers_128bit::multiply_by_rational_with_rounding(
					parse_exact(spot) as u128,
					parse_exact(ks) as u128,
					ONE as u128,
					sp_arithmetic::Rounding::Down,
				)
				.unwrap(),
			);
			for ms in [1, HOUR, DAY, 30 * DAY, 365 * DAY, 5 * 365 * DAY, 50 * 365 * DAY] {
				for vol in ["0.001", "0.05", "0.5", "3", "20"] {
					for rate in ["-0.05", "0", "0.05", "0.5"] {
						out.push(BlackScholesInput {
							strike,
							..input(spot, "1", years(ms), vol, rate)
						});
					}
				}
			}
		}
	}
	out
}

#[test]
fn put_call_parity() {
	// C − P = S − K e^{−rT}. Both prices come from the same N(d1), N(d2) with
	// N(x) + N(−x) = 1 exactly and the same K e^{−rT} (= present_value), so the only
	// differences are the roundings of the four legs (≤ 2 units) and the clamp of a price at
	// zero (≤ 1 unit): bound 3 units of 1e-18, whatever S and K.
	let mut worst = 0u128;
	for inp in grid() {
		let (c, p) = (bs(Call, &inp), bs(Put, &inp));
		let lhs = c.price.into_inner() as i128 - p.price.into_inner() as i128;
		let rhs = inp.spot.into_inner() as i128 - discounted_strike(&inp);
		let gap = lhs.abs_diff(rhs);
		assert!(gap <= 3, "parity gap {gap} for {inp:?}: C {c:?} P {p:?}");
		worst = worst.max(gap);
		// Greeks: Δc − Δp = 1 exactly; same gamma and vega; θc − θp = −r K e^{−rT} / 365
		// (two roundings of the carry terms plus one here: ≤ 2 units).
		assert_eq!(c.delta.into_inner() - p.delta.into_inner(), ONE, "{inp:?}");
		assert_eq!(c.gamma, p.gamma);
		assert_eq!(c.vega, p.vega);
		let carry = sp_arithmetic::helpers_128bit::multiply_by_rational_with_rounding(
			inp.rate.into_inner().unsigned_abs(),
			discounted_strike(&inp) as u128,
			365 * ONE as u128,
			sp_arithmetic::Rounding::NearestPrefUp,
		)
		.unwrap() as i128;
		let carry = if inp.rate.into_inner() < 0 { -carry } else { carry };
		let theta_gap = (c.theta.into_inner() - p.theta.into_inner() + carry).unsigned_abs();
		assert!(theta_gap <= 2, "theta parity off by {theta_gap} for {inp:?}");
	}
	println!("worst parity gap over {} cases: {worst} units of 1e-18", grid().len());
}

#[test]
fn no_arbitrage_bounds_and_signs() {
	for inp in grid() {
		let (s, kd) = (inp.spot.into_inner() as i128, discounted_strike(&inp));
		let slack = 3;
		let (c, p) = (bs(Call, &inp), bs(Put, &inp));
		let (cp, pp) = (c.price.into_inner() as i128, p.price.into_inner() as i128);
		// max(S − K e^{−rT}, 0) ≤ C ≤ S; max(K e^{−rT} − S, 0) ≤ P ≤ K e^{−rT}.
		assert!(cp >= (s - kd).max(0) - slack && cp <= s + slack, "call bounds {inp:?} {c:?}");
		assert!(pp >= (kd - s).max(0) - slack && pp <= kd + slack, "put bounds {inp:?} {p:?}");
		assert!((0..=ONE).contains(&c.delta.into_inner()), "{inp:?} {c:?}");
		assert!((-ONE..=0).contains(&p.delta.into_inner()), "{inp:?} {p:?}");
		assert!(c.gamma.into_inner() >= 0 && c.vega.into_inner() >= 0);
		// Without a positive carry, time decay is never positive for a call.
		if inp.rate.into_inner() >= 0 {
			assert!(c.theta.into_inner() <= 0, "{inp:?} {c:?}");
		}
	}
}

/// Slack of the monotonicity checks: the price legs are accurate to about `max(1, S)` units
/// of 1e-18 each (N(x) to ~1 unit, times S), so where the true change is smaller than that the
/// computed values may step back by up to a few `S` units. S ≤ 200 below.
const SLACK: i128 = 4 * 200 + 2;

/// `values` is non-decreasing up to `slack` units.
fn assert_non_decreasing(values: &[i128], slack: i128, what: &str) {
	for w in values.windows(2) {
		assert!(w[1] >= w[0] - slack, "{what} not monotone: {} then {}", w[0], w[1]);
	}
}

#[test]
fn monotonicity() {
	let t = years(30 * DAY);
	for rate in ["0", "0.05"] {
		for vol in ["0.05", "0.8", "3"] {
			// In spot: call price and delta up, put price down.
			let spots: Vec<String> = (0..=150).map(|k| format!("{}", 50 + k)).collect();
			let calls: Vec<Greeks> =
				spots.iter().map(|s| bs(Call, &input(s, "100", t, vol, rate))).collect();
			let puts: Vec<Greeks> =
				spots.iter().map(|s| bs(Put, &input(s, "100", t, vol, rate))).collect();
			assert_non_decreasing(
				&calls.iter().map(|g| g.price.into_inner() as i128).collect::<Vec<_>>(),
				SLACK,
				"call in S",
			);
			assert_non_decreasing(
				&calls.iter().map(|g| g.delta.into_inner()).collect::<Vec<_>>(),
				SLACK,
				"delta in S",
			);
			assert_non_decreasing(
				&puts.iter().map(|g| -(g.price.into_inner() as i128)).collect::<Vec<_>>(),
				SLACK,
				"put in S",
			);
			// In strike: call down, put up.
			let calls: Vec<i128> = spots
				.iter()
				.map(|k| bs(Call, &input("100", k, t, vol, rate)).price.into_inner() as i128)
				.collect();
			let puts: Vec<i128> = spots
				.iter()
				.map(|k| bs(Put, &input("100", k, t, vol, rate)).price.into_inner() as i128)
				.collect();
			assert_non_decreasing(
				&calls.iter().map(|c| -c).collect::<Vec<_>>(),
				SLACK,
				"call in K",
			);
			assert_non_decreasing(&puts, SLACK, "put in K");
		}
		// In volatility: both up. In time (r >= 0): call up.
		for strike in ["50", "100", "200"] {
			let vols: Vec<String> = (1..=300).map(|k| format!("{}", k as f64 / 100.0)).collect();
			for kind in [Call, Put] {
				let prices: Vec<i128> = vols
					.iter()
					.map(|v| bs(kind, &input("100", strike, t, v, rate)).price.into_inner() as i128)
					.collect();
				assert_non_decreasing(&prices, SLACK, "price in vol");
			}
			let calls: Vec<i128> = (1..=200)
				.map(|d| {
					bs(Call, &input("100", strike, years(d * 4 * DAY), "0.5", rate))
						.price
						.into_inner() as i128
				})
				.collect();
			assert_non_decreasing(&calls, SLACK, "call in T");
		}
	}
}

#[test]
fn deep_out_of_and_in_the_money() {
	let t = years(30 * DAY);
	// d1 ~ −ln(10^6)/(0.05 √(30/365)) ~ −970: no error, everything zero.
	let otm = bs(Call, &input("0.0001", "100", t, "0.05", "0.05"));
	assert_eq!(
		otm,
		Greeks {
			price: FixedU128::from_inner(0),
			delta: FixedI128::from_inner(0),
			gamma: FixedI128::from_inner(0),
			theta: FixedI128::from_inner(0),
			vega: FixedI128::from_inner(0),
		}
	);
	let otm_put = bs(Put, &input("1000000", "100", t, "0.05", "0.05"));
	assert_eq!(otm_put.price, FixedU128::from_inner(0));
	assert_eq!(otm_put.delta, FixedI128::from_inner(0));
	assert_eq!(otm_put.gamma, FixedI128::from_inner(0));
	// Deep ITM call: price S − K e^{−rT}, delta 1, gamma 0, theta −r K e^{−rT} / 365.
	let inp = input("1000000", "100", t, "0.05", "0.05");
	let itm = bs(Call, &inp);
	let kd = discounted_strike(&inp);
	assert!((itm.price.into_inner() as i128).abs_diff(1_000_000 * ONE - kd) <= 1);
	assert_eq!(itm.delta, FixedI128::from_inner(ONE));
	assert_eq!(itm.gamma, FixedI128::from_inner(0));
	let carry = kd / 20 / 365; // r = 0.05
	assert!(itm.theta.into_inner().abs_diff(-carry) <= 2);
	// Deep ITM put: delta −1.
	let itm_put = bs(Put, &input("0.0001", "100", t, "0.05", "0"));
	assert_eq!(itm_put.delta, FixedI128::from_inner(-ONE));
	assert_eq!(itm_put.price.into_inner() as i128, 100 * ONE - ONE / 10_000);
}

#[test]
fn limits_in_time_and_volatility() {
	// One millisecond to expiry, at the money: C ≈ S σ √T / √(2π) (σ√T = 2.8e-6).
	let t = years(1);
	assert_eq!(t.into_inner(), 31_709_792);
	let atm = bs(Call, &input("100", "100", t, "0.5", "0"));
	let expected =
		100.0 * 0.5 * (1.0 / MS_PER_YEAR as f64).sqrt() / (2.0 * std::f64::consts::PI).sqrt();
	let got = atm.price.into_inner() as f64 / 1e18;
	assert!((got / expected - 1.0).abs() < 1e-9, "{got} vs {expected}");
	assert!((atm.delta.into_inner() - ONE / 2).abs() < ONE / 100_000);
	// Away from the money with 1 ms left: intrinsic value, delta 0/1, no gamma.
	let itm = bs(Call, &input("101", "100", t, "0.5", "0"));
	assert_eq!(itm.price, u("1"));
	assert_eq!(itm.delta, i("1"));
	assert_eq!(itm.gamma, i("0"));
	let otm = bs(Put, &input("101", "100", t, "0.5", "0"));
	assert_eq!(otm.price, u("0"));
	// Tiny volatility: the discounted forward intrinsic value max(S − K e^{−rT}, 0).
	let inp = input("100", "90", years(365 * DAY), "0.000000001", "0.05");
	let c = bs(Call, &inp);
	assert!((c.price.into_inner() as i128).abs_diff(100 * ONE - discounted_strike(&inp)) <= 2);
	assert_eq!(bs(Put, &inp).price, u("0"));
	// The smallest representable σ√T still prices; below it the input is out of domain.
	let tiny = BlackScholesInput {
		volatility: FixedU128::from_inner(1),
		..input("100", "100", u("1"), "1", "0")
	};
	let g = bs(Call, &tiny);
	// S σ√T n(0) = 100 × 1e-18 × 0.3989 = 40 units, within the S × 1e-18 error of the legs.
	assert!(g.price.into_inner() <= 140, "{g:?}");
	assert_eq!(g.delta, i("0.5"));
	assert_eq!(
		// σ√T = 1e-18 × √0.2 = 0.45e-18 rounds to 0.
		black_scholes(Call, &BlackScholesInput { time_to_expiry: u("0.2"), ..tiny }),
		Err(PricingError::OutOfDomain)
	);
	// Huge volatility: the call is worth almost the spot, the put almost K e^{−rT}.
	let huge = input("100", "100", years(730 * DAY), "100", "0");
	let c = bs(Call, &huge);
	let price = c.price.into_inner() as i128;
	assert!(price > 99_999 * ONE / 1000 && price <= 100 * ONE);
	assert_eq!(c.delta, i("1"));
	assert!(bs(Put, &huge).price.into_inner() as i128 > 99_999 * ONE / 1000);
	// The maximum time and volatility are accepted.
	let max = BlackScholesInput {
		time_to_expiry: MAX_TIME_TO_EXPIRY,
		volatility: MAX_VOLATILITY,
		rate: MAX_RATE,
		..input("60000", "60000", u("1"), "1", "0")
	};
	assert!(black_scholes(Put, &max).is_ok());
}

#[test]
fn error_cases() {
	let ok = input("100", "100", years(30 * DAY), "0.5", "0.05");
	let with = |f: &dyn Fn(&mut BlackScholesInput)| {
		let mut x = ok;
		f(&mut x);
		(black_scholes(Call, &x), price_only(Put, &x))
	};
	let zero = FixedU128::from_inner(0);
	for (edit, err) in [
		(
			&(|x: &mut BlackScholesInput| x.spot = zero) as &dyn Fn(&mut BlackScholesInput),
			PricingError::ZeroSpot,
		),
		(&|x: &mut BlackScholesInput| x.strike = zero, PricingError::ZeroStrike),
		(&|x: &mut BlackScholesInput| x.volatility = zero, PricingError::ZeroVolatility),
		(&|x: &mut BlackScholesInput| x.time_to_expiry = zero, PricingError::ZeroTime),
		// Zero spot is reported before a zero strike.
		(
			&|x: &mut BlackScholesInput| {
				x.spot = zero;
				x.strike = zero
			},
			PricingError::ZeroSpot,
		),
		(
			&|x: &mut BlackScholesInput| {
				x.time_to_expiry = FixedU128::from_inner(100 * ONE as u128 + 1)
			},
			PricingError::OutOfDomain,
		),
		(
			&|x: &mut BlackScholesInput| {
				x.volatility = FixedU128::from_inner(100 * ONE as u128 + 1)
			},
			PricingError::OutOfDomain,
		),
		(
			&|x: &mut BlackScholesInput| x.rate = FixedI128::from_inner(ONE + 1),
			PricingError::OutOfDomain,
		),
		(
			&|x: &mut BlackScholesInput| x.rate = FixedI128::from_inner(-ONE - 1),
			PricingError::OutOfDomain,
		),
		// σ√T below 1e-18.
		(
			&|x: &mut BlackScholesInput| x.volatility = FixedU128::from_inner(1),
			PricingError::OutOfDomain,
		),
		// r = −100 % for 100 years: e^{100} × K exceeds FixedU128.
		(
			&|x: &mut BlackScholesInput| {
				x.rate = FixedI128::from_inner(-ONE);
				x.time_to_expiry = MAX_TIME_TO_EXPIRY
			},
			PricingError::Overflow,
		),
		// Gamma of a 1e-18 USD asset with σ√T = 1e-9: ~4e26 per USD.
		(
			&|x: &mut BlackScholesInput| {
				x.spot = FixedU128::from_inner(1);
				x.strike = FixedU128::from_inner(1);
				x.volatility = FixedU128::from_inner(1_000_000_000);
				x.time_to_expiry = FixedU128::from_inner(ONE as u128);
				x.rate = FixedI128::from_inner(0)
			},
			PricingError::Overflow,
		),
	] {
		let (full, price) = with(edit);
		assert_eq!(full, Err(err));
		if err != PricingError::Overflow {
			assert_eq!(price, Err(err));
		}
	}
	// The price alone of that tiny asset is fine (only its gamma overflows): 4e-28 USD, which
	// the rounding of the two legs may turn into one unit.
	let tiny = BlackScholesInput {
		spot: FixedU128::from_inner(1),
		strike: FixedU128::from_inner(1),
		volatility: FixedU128::from_inner(1_000_000_000),
		time_to_expiry: u("1"),
		rate: i("0"),
	};
	assert!(price_only(Call, &tiny).unwrap().into_inner() <= 1);
	// Very large prices that still fit: S = K = 1e20 USD.
	let big = input("100000000000000000000", "100000000000000000000", u("1"), "0.5", "0");
	assert!(black_scholes(Call, &big).is_ok());
	// Discount factor errors.
	assert_eq!(discount_factor(i("-1"), MAX_TIME_TO_EXPIRY), Err(PricingError::Overflow));
	assert_eq!(discount_factor(i("1.000000000000000001"), u("1")), Err(PricingError::OutOfDomain));
	assert_eq!(discount_factor(i("0.05"), u("0")), Ok(u("1")));
	// e^{-0.05} = 0.951229424500714009091...
	assert_eq!(discount_factor(i("0.05"), u("1")), Ok(u("0.951229424500714009")));
	// 100 e^{-0.05} = 95.122942450071400909...: e^{-rT} is accurate to ~1e-18 relative, so the
	// present value of 100 is within 100 units.
	let pv = present_value(u("100"), i("0.05"), u("1")).unwrap().into_inner();
	assert!(pv.abs_diff(parse_exact("95.122942450071400909") as u128) <= 100, "{pv}");
	assert_eq!(present_value(u("100"), i("-1"), MAX_TIME_TO_EXPIRY), Err(PricingError::Overflow));
	assert_eq!(
		present_value(u("100"), i("0"), u("100.000000000000000001")),
		Err(PricingError::OutOfDomain)
	);
}

#[test]
fn year_fraction_is_exact_act_365() {
	assert_eq!(year_fraction(0, MS_PER_YEAR), u("1"));
	assert_eq!(year_fraction(1_000, 1_000 + 2 * MS_PER_YEAR), u("2"));
	// 73/365 = 0.2 exactly.
	assert_eq!(year_fraction(0, 73 * DAY), u("0.2"));
	// 1/8760 = 0.000114155251141552511..., rounded to nearest.
	assert_eq!(year_fraction(0, HOUR), u("0.000114155251141553"));
	// 1 ms = 3.1709791983764586...e-11 years.
	assert_eq!(year_fraction(5, 6), u("0.000000000031709792"));
	// Expired or equal: zero.
	assert_eq!(year_fraction(10, 10), u("0"));
	assert_eq!(year_fraction(11, 10), u("0"));
	// No overflow at the extreme: 2^64 − 1 ms = 584,942,417.355072032439117199(39...) years.
	assert_eq!(year_fraction(0, u64::MAX), u("584942417.355072032439117199"));
	// Rounding never drifts by more than one unit over a split interval.
	for (a, b, c) in [(0u64, 1u64, 3u64), (0, HOUR, DAY), (7, 12_345_678, 98_765_432_109)] {
		let whole = year_fraction(a, c).into_inner();
		let parts = year_fraction(a, b).into_inner() + year_fraction(b, c).into_inner();
		assert!(whole.abs_diff(parts) <= 1);
	}
}

#[test]
fn intrinsic_values() {
	assert_eq!(intrinsic(Call, u("105.5"), u("100")), u("5.5"));
	assert_eq!(intrinsic(Call, u("95"), u("100")), u("0"));
	assert_eq!(intrinsic(Put, u("95"), u("100")), u("5"));
	assert_eq!(intrinsic(Put, u("105"), u("100")), u("0"));
	assert_eq!(intrinsic(Put, u("0"), u("100")), u("100"));
}

#[test]
fn greeks_encode_for_the_runtime_api() {
	let g = bs(Put, &input("60000", "55000", years(7 * DAY), "0.8", "0.05"));
	let bytes = g.encode();
	assert_eq!(bytes.len(), Greeks::max_encoded_len());
	assert_eq!(Greeks::max_encoded_len(), 5 * 16);
	assert_eq!(Greeks::decode(&mut &bytes[..]), Ok(g));
	let e = PricingError::OutOfDomain;
	assert_eq!(PricingError::decode(&mut &e.encode()[..]), Ok(e));
}

#[test]
fn deterministic_known_value() {
	// Hull's textbook example (10th ed., Example 15.6): S = 42, K = 40, r = 10 %, σ = 20 %,
	// T = 0.5: call 4.76, put 0.81. Exact values (mpmath):
	// call 4.7594223928715332196..., put 0.8085993729000935832...
	let inp = input("42", "40", u("0.5"), "0.2", "0.1");
	let c = bs(Call, &inp);
	let p = bs(Put, &inp);
	let (dc, dp) = (
		(c.price.into_inner() as i128).abs_diff(parse_exact("4.759422392871533220")),
		(p.price.into_inner() as i128).abs_diff(parse_exact("0.808599372900093583")),
	);
	println!("Hull 15.6: call off by {dc}, put off by {dp} units of 1e-18");
	assert!(dc <= 2 * 42 && dp <= 2 * 42);
}

/// Rough cost: 100,000 calls of each entry point. Run once with
/// `cargo test -p solvent-option-pricing --release --test properties -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_100k_calls() {
	let inputs: Vec<(OptionKind, BlackScholesInput)> = (0..100_000u64)
		.map(|k| {
			let spot = FixedU128::from_inner((50 + (k * 7919) % 151) as u128 * ONE as u128);
			let t = years(HOUR + (k * 104_729) % (730 * DAY));
			let vol = FixedU128::from_inner((5 + (k * 31) % 296) as u128 * ONE as u128 / 100);
			let kind = if k % 2 == 0 { Call } else { Put };
			(
				kind,
				BlackScholesInput {
					spot,
					strike: u("100"),
					time_to_expiry: t,
					volatility: vol,
					rate: i("0.05"),
				},
			)
		})
		.collect();
	let start = std::time::Instant::now();
	let mut acc = 0u128;
	for (kind, inp) in &inputs {
		acc = acc.wrapping_add(
			black_scholes(*kind, std::hint::black_box(inp)).unwrap().price.into_inner(),
		);
	}
	let full = start.elapsed();
	let start = std::time::Instant::now();
	for (kind, inp) in &inputs {
		acc = acc.wrapping_add(price_only(*kind, std::hint::black_box(inp)).unwrap().into_inner());
	}
	let price = start.elapsed();
	// Worst case: d1 ≈ 3.00 and d2 ≈ 2.99, the deepest continued fraction (72 steps) and the
	// longest series (37 steps). σ√T = 0.01, ln(S/K) = 0.02995.
	let worst = BlackScholesInput {
		spot: u("100"),
		strike: u("97.049405703826280"),
		time_to_expiry: u("0.04"),
		volatility: u("0.05"),
		rate: i("0"),
	};
	let start = std::time::Instant::now();
	for _ in 0..inputs.len() {
		acc = acc.wrapping_add(
			black_scholes(Call, std::hint::black_box(&worst)).unwrap().price.into_inner(),
		);
	}
	let slow = start.elapsed();
	println!(
		"black_scholes: {:?} per call; price_only: {:?} per call; \
		 worst case (|d| ≈ 3): {:?} per call \
		 ({} calls each, checksum {acc})",
		full / inputs.len() as u32,
		price / inputs.len() as u32,
		slow / inputs.len() as u32,
		inputs.len()
	);
}
