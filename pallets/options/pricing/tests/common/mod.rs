//! Shared helpers of the integration tests: exact decimal parsing (no floats) and CSV loading.

#![allow(dead_code)]

use std::path::PathBuf;

/// 10^18.
pub const ONE: i128 = 1_000_000_000_000_000_000;

/// Parses a decimal string (`-12.5`, `1.25e-7`, `3E+2`) into its value at the 18-decimal
/// scale, rounded half away from zero, with integer arithmetic only. Returns `(raw, exact)`.
/// Panics on malformed input (test data only).
pub fn parse_fixed(s: &str) -> (i128, bool) {
	let s = s.trim();
	let (neg, s) = match s.as_bytes().first() {
		Some(b'-') => (true, &s[1..]),
		Some(b'+') => (false, &s[1..]),
		_ => (false, s),
	};
	let (mantissa, exp10) = match s.find(['e', 'E']) {
		Some(i) => (&s[..i], s[i + 1..].parse::<i64>().expect("exponent")),
		None => (s, 0),
	};
	let (int_part, frac_part) = match mantissa.find('.') {
		Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
		None => (mantissa, ""),
	};
	let digits: String = format!("{int_part}{frac_part}");
	assert!(digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty(), "bad number {s}");
	let digits = digits.trim_start_matches('0');
	// value = M * 10^(exp10 - frac_len); keep at most 36 significant digits.
	let mut exp = exp10 - frac_part.len() as i64;
	let mut exact = true;
	let mut sig = digits.to_string();
	if sig.len() > 36 {
		let dropped = sig.len() - 36;
		if sig[36..].bytes().any(|b| b != b'0') {
			exact = false;
		}
		// Round half up on the first dropped digit.
		let round_up = sig.as_bytes()[36] >= b'5';
		sig.truncate(36);
		exp += dropped as i64;
		let mut m: i128 = sig.parse().expect("digits");
		if round_up {
			m += 1;
		}
		return finish(m, exp, exact, neg);
	}
	let m: i128 = if sig.is_empty() { 0 } else { sig.parse().expect("digits") };
	finish(m, exp, exact, neg)
}

fn finish(m: i128, exp: i64, mut exact: bool, neg: bool) -> (i128, bool) {
	let p = exp + 18;
	let raw = if m == 0 {
		0
	} else if p >= 0 {
		let f = 10i128.checked_pow(p as u32).expect("too large");
		m.checked_mul(f).expect("too large")
	} else if -p > 38 {
		exact = false;
		0
	} else {
		let d = 10i128.pow((-p) as u32);
		let (q, r) = (m / d, m % d);
		if r != 0 {
			exact = false;
		}
		if 2 * r >= d {
			q + 1
		} else {
			q
		}
	};
	(if neg { -raw } else { raw }, exact)
}

/// Parses a value that must be exact at 18 decimals.
pub fn parse_exact(s: &str) -> i128 {
	let (raw, exact) = parse_fixed(s);
	assert!(exact, "{s} is not exact at 18 decimals");
	raw
}

/// Rows of a CSV file under `reference/` (header first), split on commas.
pub fn read_csv(name: &str) -> Vec<Vec<String>> {
	// The directory at run time (cargo sets it for test processes): a test binary reused from a
	// shared build cache may have been compiled in another checkout.
	let dir = std::env::var("CARGO_MANIFEST_DIR")
		.unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
	let path: PathBuf = [dir.as_str(), "reference", name].iter().collect();
	let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
	text.lines()
		.filter(|l| !l.trim().is_empty())
		.map(|l| l.split(',').map(|c| c.to_string()).collect())
		.collect()
}

#[test]
fn parser_is_exact() {
	assert_eq!(parse_fixed("1"), (ONE, true));
	assert_eq!(parse_fixed("-0.5"), (-ONE / 2, true));
	assert_eq!(parse_fixed("1.5e-18"), (2, false));
	assert_eq!(parse_fixed("-1.5e-18"), (-2, false));
	assert_eq!(parse_fixed("1.25e2"), (125 * ONE, true));
	assert_eq!(parse_fixed("0.000114155251141553"), (114_155_251_141_553, true));
	assert_eq!(parse_fixed("1.881110829212013946452810554437e-365577"), (0, false));
	assert_eq!(parse_fixed("-0.00000000000000000e+00"), (0, true));
	assert_eq!(parse_fixed("6.512827266841219430778197054552270739369e-19"), (1, false));
}
