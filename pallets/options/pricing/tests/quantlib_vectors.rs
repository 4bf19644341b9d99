//! `black_scholes` against the reference vectors of `reference/vectors.csv`
//! (regenerate with `reference/make_vectors.py`; see `reference/README.md`).
//!
//! Binding check, for every case and every output: the difference from QuantLib is within
//! `1e-8` relative OR `1e-10 × S` absolute (whichever is larger). Checked in integers at the
//! 18-decimal scale; floats are used only to print the error summary.
//!
//! Second check: the difference from the exact (mpmath, 30 digits) values is at most
//! `EXACT_ULPS × max(1, S)` units of `1e-18` for every case and output.

mod common;

use common::{parse_exact, parse_fixed, read_csv, ONE};
use solvent_option_pricing::{
	black_scholes, price_only, year_fraction, BlackScholesInput, OptionKind,
};
use sp_arithmetic::{FixedI128, FixedU128};

const NAMES: [&str; 5] = ["price", "delta", "gamma", "theta", "vega"];

/// Bound on |ours − exact| in units of 1e-18 per unit of max(1, S).
const EXACT_ULPS: u128 = 16;

#[derive(Default, Clone, Copy)]
struct Worst {
	/// Largest |ours − reference| (in 1e-18 units) and its case.
	abs: (u128, usize),
	/// Largest |ours − reference| / S.
	abs_over_spot: (f64, usize),
	/// Largest relative error among values with |reference| >= 1e-6.
	rel: (f64, usize),
	/// Largest |ours − reference| / max(1, S) in 1e-18 units.
	ulps_scaled: (f64, usize),
}

impl Worst {
	fn add(&mut self, case: usize, ours: i128, reference: i128, spot: i128) {
		let diff = ours.abs_diff(reference);
		if diff > self.abs.0 {
			self.abs = (diff, case);
		}
		let over_spot = diff as f64 / spot as f64;
		if over_spot > self.abs_over_spot.0 {
			self.abs_over_spot = (over_spot, case);
		}
		if reference.unsigned_abs() >= 1_000_000_000_000 {
			let rel = diff as f64 / reference.unsigned_abs() as f64;
			if rel > self.rel.0 {
				self.rel = (rel, case);
			}
		}
		let scaled = diff as f64 / (spot.max(ONE) as f64 / ONE as f64);
		if scaled > self.ulps_scaled.0 {
			self.ulps_scaled = (scaled, case);
		}
	}
}

#[test]
fn matches_quantlib_and_exact_values() {
	let rows = read_csv("vectors.csv");
	let header = &rows[0];
	assert_eq!(header[0], "case");
	assert_eq!(header[8], "ql_price");
	assert_eq!(header[13], "exact_price");
	let cases = &rows[1..];
	assert!(cases.len() >= 1500, "only {} vectors", cases.len());

	let mut vs_ql = [Worst::default(); 5];
	let mut vs_exact = [Worst::default(); 5];
	let mut failures = Vec::new();
	let mut btc_like = 0;

	for row in cases {
		let case: usize = row[0].parse().unwrap();
		let kind = match row[1].as_str() {
			"call" => OptionKind::Call,
			"put" => OptionKind::Put,
			k => panic!("kind {k}"),
		};
		let spot = parse_exact(&row[2]);
		let strike = parse_exact(&row[3]);
		let expiry_ms: u64 = row[4].parse().unwrap();
		let t = parse_exact(&row[5]);
		let vol = parse_exact(&row[6]);
		let rate = parse_exact(&row[7]);
		if spot >= 10_000 * ONE {
			btc_like += 1;
		}
		// The time column is exactly what year_fraction gives for the expiry.
		assert_eq!(year_fraction(0, expiry_ms).into_inner() as i128, t, "case {case}");

		let input = BlackScholesInput {
			spot: FixedU128::from_inner(spot as u128),
			strike: FixedU128::from_inner(strike as u128),
			time_to_expiry: FixedU128::from_inner(t as u128),
			volatility: FixedU128::from_inner(vol as u128),
			rate: FixedI128::from_inner(rate),
		};
		let g = black_scholes(kind, &input).unwrap_or_else(|e| panic!("case {case}: {e:?}"));
		assert_eq!(price_only(kind, &input), Ok(g.price), "case {case}");
		let ours = [
			g.price.into_inner() as i128,
			g.delta.into_inner(),
			g.gamma.into_inner(),
			g.theta.into_inner(),
			g.vega.into_inner(),
		];
		for i in 0..5 {
			let ql = parse_fixed(&row[8 + i]).0;
			let exact = parse_fixed(&row[13 + i]).0;
			vs_ql[i].add(case, ours[i], ql, spot);
			vs_exact[i].add(case, ours[i], exact, spot);

			// Binding tolerance, in integers: diff <= 1e-8 |ql| or diff <= 1e-10 S.
			let diff = ours[i].abs_diff(ql);
			let rel_ok = diff.saturating_mul(100_000_000) <= ql.unsigned_abs();
			let abs_ok = diff.saturating_mul(10_000_000_000) <= spot as u128;
			if !(rel_ok || abs_ok) {
				failures.push(format!(
					"case {case} {}: ours {} QuantLib {} (row {:?})",
					NAMES[i],
					ours[i],
					ql,
					&row[..8]
				));
			}
			let exact_bound = EXACT_ULPS * (spot.max(ONE) as u128 / ONE as u128 + 1);
			if ours[i].abs_diff(exact) > exact_bound {
				failures.push(format!(
					"case {case} {}: ours {} exact {} differ by {} > {exact_bound} (row {:?})",
					NAMES[i],
					ours[i],
					exact,
					ours[i].abs_diff(exact),
					&row[..8]
				));
			}
		}
	}

	println!("{} vectors ({} with S >= 10,000)", cases.len(), btc_like);
	for (title, worst) in
		[("vs QuantLib 1.44", &vs_ql), ("vs exact (mpmath, 30 digits)", &vs_exact)]
	{
		println!("{title}:");
		println!(
			"  {:6} {:>12} {:>6} {:>12} {:>6} {:>12} {:>6} {:>14} {:>6}",
			"output",
			"max abs",
			"case",
			"max abs/S",
			"case",
			"max rel*",
			"case",
			"ulp/max(1,S)",
			"case"
		);
		for i in 0..5 {
			let w = worst[i];
			println!(
				"  {:6} {:>12.3e} {:>6} {:>12.3e} {:>6} {:>12.3e} {:>6} {:>14.1} {:>6}",
				NAMES[i],
				w.abs.0 as f64 / ONE as f64,
				w.abs.1,
				w.abs_over_spot.0,
				w.abs_over_spot.1,
				w.rel.0,
				w.rel.1,
				w.ulps_scaled.0,
				w.ulps_scaled.1,
			);
		}
	}
	println!("  (* relative error over values with |reference| >= 1e-6)");
	assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
	assert!(btc_like >= 100);
}
