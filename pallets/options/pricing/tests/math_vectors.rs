//! The fixed-point kernels (`ln`, `exp`, `n(x)`, `N(x)`) against exact values
//! (`reference/math.csv`, mpmath at 30 significant digits): errors in units of `1e-18`.

mod common;

use common::{parse_exact, parse_fixed, read_csv, ONE};
use solvent_option_pricing::math::{exp, ln, norm_cdf, norm_pdf};
use sp_arithmetic::{FixedI128, FixedU128};

#[test]
fn kernels_match_exact_values() {
	let rows = read_csv("math.csv");
	assert_eq!(rows[0], ["function", "x", "exact"]);
	// Worst error per function, in units of 1e-18 (exp: relative to max(1, e^x)).
	let mut worst: [(u128, String); 4] = Default::default();
	let mut count = [0usize; 4];
	for row in &rows[1..] {
		let x = parse_exact(&row[1]);
		let exact = parse_fixed(&row[2]).0;
		let (slot, ours, allowed) = match row[0].as_str() {
			"cdf" => (0, norm_cdf(FixedI128::from_inner(x)).into_inner() as i128, 2),
			"pdf" => (1, norm_pdf(FixedI128::from_inner(x)).into_inner() as i128, 1),
			"ln" => (2, ln(FixedU128::from_inner(x as u128)).unwrap().into_inner(), 2),
			"exp" => {
				let v = exp(FixedI128::from_inner(x)).unwrap().into_inner() as i128;
				// The mantissa in [0.71, 1.42] is rounded at 18 decimals, then scaled by 2^k: about
				// 1e-18 relative, so allow 1 unit plus 2 per unit of e^x.
				(3, v, 1 + 2 * (exact / ONE).unsigned_abs())
			}
			f => panic!("function {f}"),
		};
		count[slot] += 1;
		let diff = ours.abs_diff(exact);
		let err = if slot == 3 { diff / (exact / ONE).unsigned_abs().max(1) } else { diff };
		if err > worst[slot].0 {
			worst[slot] = (err, row[1].clone());
		}
		assert!(
			diff <= allowed,
			"{}({}) = {} but exact {} (diff {diff})",
			row[0],
			row[1],
			ours,
			exact
		);
	}
	for (i, name) in ["N(x)", "n(x)", "ln(x)", "exp(x)"].iter().enumerate() {
		println!(
			"{name:7} {:5} points, worst error {} x 1e-18 (at x = {})",
			count[i], worst[i].0, worst[i].1
		);
	}
}

#[test]
fn cdf_is_monotone_and_complementary() {
	// Dense sweep across both cut-overs (|x| = 3 and 9).
	let mut prev = 0u128;
	let step = ONE / 64 + 7; // irregular step
	let mut x = -10 * ONE;
	while x <= 10 * ONE {
		let n = norm_cdf(FixedI128::from_inner(x)).into_inner();
		let m = norm_cdf(FixedI128::from_inner(-x)).into_inner();
		assert_eq!(n + m, ONE as u128, "x = {x}");
		assert!(n >= prev, "N not monotone at {x}: {n} < {prev}");
		prev = n;
		x += step;
	}
	// Around the series/continued-fraction switch and the cut-off, unit by unit: no jump, and
	// monotone up to the 1-unit rounding (N(3) = 0.998650101968369905473..., whose 19th digit
	// sits next to the rounding midpoint, so the two methods may round to adjacent units).
	for x in [3 * ONE, -3 * ONE, 9 * ONE, -9 * ONE] {
		let a = norm_cdf(FixedI128::from_inner(x - 1)).into_inner();
		let b = norm_cdf(FixedI128::from_inner(x)).into_inner();
		let c = norm_cdf(FixedI128::from_inner(x + 1)).into_inner();
		assert!(a.abs_diff(b) <= 1 && b.abs_diff(c) <= 1, "jump at {x}: {a} {b} {c}");
	}
}
