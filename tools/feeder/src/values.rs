//! Oracle keys and values, the CSV replay source and realized volatility.
//!
//! Units: a spot price is USD per whole unit of the asset; an implied volatility is an
//! annualized fraction (`0.8` = 80% per year). Both are fed as `FixedU128` (18 decimals).

use std::path::Path;

/// Asset ids of the runtime (`solvent_primitives::assets`).
pub const USD: u32 = 1;
/// BTC's asset id.
pub const BTC: u32 = 2;
/// ETH's asset id.
pub const ETH: u32 = 3;

/// An oracle key (`solvent_primitives::OracleKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
	/// Spot price of the asset, USD per whole unit.
	Spot(u32),
	/// Annualized implied volatility of the asset, a fraction.
	ImpliedVol(u32),
}

impl Key {
	/// Whether the runtime tracks this key (mirrors the runtime's `SupportedOracleKeys`:
	/// spot and implied vol of BTC and ETH). Others would be rejected by the pool
	/// (`InvalidTransaction::Custom(84)`), so the feeder refuses them at start.
	pub fn supported(&self) -> bool {
		matches!(self, Key::Spot(BTC | ETH) | Key::ImpliedVol(BTC | ETH))
	}
}

impl std::fmt::Display for Key {
	fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
		match self {
			Key::Spot(a) => write!(f, "Spot({a})"),
			Key::ImpliedVol(a) => write!(f, "ImpliedVol({a})"),
		}
	}
}

/// The largest implied volatility the oracle accepts (`pallet_price_oracle::MAX_IMPLIED_VOL`,
/// 10.0 = 1000% per year), as a `FixedU128` inner value: a feed with a larger one is rejected
/// whole by the pool, so the feeder leaves such a value out and feeds the rest.
pub const MAX_IMPLIED_VOL_INNER: u128 = 10 * 10u128.pow(18);

/// `values` without the implied vols above [`MAX_IMPLIED_VOL_INNER`]; the dropped ones are
/// returned second.
pub fn drop_invalid(values: Vec<Value>) -> (Vec<Value>, Vec<Value>) {
	values
		.into_iter()
		.partition(|v| !matches!(v.key, Key::ImpliedVol(_)) || v.inner <= MAX_IMPLIED_VOL_INNER)
}

/// One value to feed: the key and the `FixedU128` inner value (18 decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value {
	/// The key.
	pub key: Key,
	/// `FixedU128` inner value (value x 10^18).
	pub inner: u128,
}

/// An asset name (`BTC`, `ETH`, `USD`, case-insensitive) or a numeric asset id.
pub fn parse_asset(s: &str) -> Result<u32, String> {
	match s.to_ascii_uppercase().as_str() {
		"BTC" => Ok(BTC),
		"ETH" => Ok(ETH),
		"USD" => Ok(USD),
		other => other.parse::<u32>().map_err(|_| {
			format!("unknown asset '{s}': expected BTC, ETH, USD or a numeric asset id")
		}),
	}
}

/// A positive decimal as a `FixedU128` inner value, rounded to 9 decimals.
pub fn to_fixed(x: f64) -> Result<u128, String> {
	if !(x.is_finite() && x > 0.0 && x < 1e18) {
		return Err(format!("value {x} out of range (0, 1e18)"));
	}
	let nanos = (x * 1e9).round() as u128;
	nanos.checked_mul(1_000_000_000).ok_or_else(|| format!("value {x} out of range"))
}

/// A `FixedU128` inner value as a decimal string with 18 decimals.
pub fn fixed_str(inner: u128) -> String {
	format!("{}.{:018}", inner / 10u128.pow(18), inner % 10u128.pow(18))
}

/// `values` as `Key=decimal` pairs.
pub fn fmt_values(values: &[Value]) -> String {
	values.iter().map(|v| format!("{}={}", v.key, fixed_str(v.inner))).collect::<Vec<_>>().join(" ")
}

/// Annualized realized volatility of the log returns of `prices` sampled every
/// `period_secs` seconds (sample standard deviation x sqrt(periods per 365-day year));
/// `None` with fewer than 2 returns.
pub fn realized_vol(prices: &[f64], period_secs: f64) -> Option<f64> {
	if prices.len() < 3 || period_secs.is_nan() || period_secs <= 0.0 {
		return None;
	}
	let r: Vec<f64> = prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
	let n = r.len() as f64;
	let mean = r.iter().sum::<f64>() / n;
	let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
	Some(var.sqrt() * (365.0 * 86_400.0 / period_secs).sqrt())
}

/// Seconds in a day: the CSV's sampling period.
pub const DAY: f64 = 86_400.0;

/// One CSV row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
	/// `YYYY-MM-DD`.
	pub date: String,
	/// The price column's value.
	pub price: f64,
}

fn valid_date(d: &str) -> bool {
	let b = d.as_bytes();
	b.len() == 10
		&& b[4] == b'-'
		&& b[7] == b'-'
		&& b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Read the rows of a Yahoo-Finance-format CSV (`Date` column and `column`) between `from`
/// and `to` (inclusive, `YYYY-MM-DD`). `null` prices (missing days) are skipped with a
/// warning if `warn`; every other malformed row is an error naming its line.
pub fn read_rows(
	path: &Path,
	column: &str,
	from: Option<&str>,
	to: Option<&str>,
	warn: bool,
) -> Result<Vec<Row>, String> {
	for (name, d) in [("--from", from), ("--to", to)] {
		if let Some(d) = d {
			if !valid_date(d) {
				return Err(format!("{name} '{d}' is not a YYYY-MM-DD date"));
			}
		}
	}
	let text = std::fs::read_to_string(path)
		.map_err(|e| format!("cannot read CSV file {}: {e}", path.display()))?;
	let mut lines = text.lines().enumerate();
	let (_, header) =
		lines.next().ok_or_else(|| format!("CSV file {} is empty", path.display()))?;
	let cols: Vec<&str> = header.split(',').map(|c| c.trim()).collect();
	let date_idx = cols
		.iter()
		.position(|c| *c == "Date")
		.ok_or_else(|| format!("CSV header of {} has no Date column", path.display()))?;
	let price_idx = cols.iter().position(|c| *c == column).ok_or_else(|| {
		format!(
			"CSV header of {} has no column '{column}' (columns: {})",
			path.display(),
			cols.join(", ")
		)
	})?;
	let mut rows = Vec::new();
	for (i, line) in lines {
		if line.trim().is_empty() {
			continue;
		}
		let fields: Vec<&str> = line.split(',').map(|c| c.trim()).collect();
		let lineno = i + 1;
		let date = fields
			.get(date_idx)
			.filter(|d| valid_date(d))
			.ok_or_else(|| format!("{}:{lineno}: bad date in row '{line}'", path.display()))?;
		if from.is_some_and(|f| *date < f) || to.is_some_and(|t| *date > t) {
			continue;
		}
		// Yahoo Finance marks days without data with `null`: a gap, not an error.
		if fields.get(price_idx) == Some(&"null") {
			if warn {
				crate::log!(
					"{}:{lineno}: no {column} price on {date} (null), skipped",
					path.display()
				);
			}
			continue;
		}
		let price: f64 = fields
			.get(price_idx)
			.and_then(|p| p.parse::<f64>().ok())
			.filter(|p| p.is_finite() && *p > 0.0)
			.ok_or_else(|| {
				format!("{}:{lineno}: bad {column} price in row '{line}'", path.display())
			})?;
		rows.push(Row { date: date.to_string(), price });
	}
	if rows.is_empty() {
		return Err(format!(
			"no CSV rows with a price between {} and {}",
			from.unwrap_or("the start"),
			to.unwrap_or("the end")
		));
	}
	Ok(rows)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn realized_vol_of_constant_growth_is_zero_and_scales_with_period() {
		let p: Vec<f64> = (0..10).map(|i| 100.0 * 1.01f64.powi(i)).collect();
		assert!(realized_vol(&p, DAY).unwrap() < 1e-9);
		// Alternating +-ln(1.01) daily: sd = 0.00995 x sqrt(10/9) = 0.01049 -> x sqrt(365) = 0.2004.
		let p: Vec<f64> = (0..11).map(|i| if i % 2 == 0 { 100.0 } else { 101.0 }).collect();
		let daily = realized_vol(&p, DAY).unwrap();
		assert!((daily - 0.2004).abs() < 1e-4, "{daily}");
		// The same returns every 6 s are sqrt(14400) = 120 times the annualized vol.
		let fast = realized_vol(&p, 6.0).unwrap();
		assert!((fast / daily - 120.0).abs() < 1e-6);
		assert_eq!(realized_vol(&p[..2], DAY), None);
	}

	#[test]
	fn assets_and_keys() {
		assert_eq!(parse_asset("btc"), Ok(BTC));
		assert_eq!(parse_asset("7"), Ok(7));
		assert!(parse_asset("DOGE").unwrap_err().contains("unknown asset 'DOGE'"));
		assert!(Key::Spot(BTC).supported() && Key::ImpliedVol(ETH).supported());
		assert!(!Key::Spot(USD).supported() && !Key::ImpliedVol(99).supported());
		assert!(valid_date("2020-03-12"));
		assert!(!valid_date("2020/03/12"));
	}

	#[test]
	fn implied_vols_above_the_oracle_maximum_are_left_out() {
		let v = |key, x: f64| Value { key, inner: to_fixed(x).unwrap() };
		let (keep, out) = drop_invalid(vec![
			v(Key::Spot(BTC), 50_000.0),
			v(Key::ImpliedVol(BTC), 25.7),
			v(Key::ImpliedVol(ETH), 10.0),
		]);
		assert_eq!(keep, vec![v(Key::Spot(BTC), 50_000.0), v(Key::ImpliedVol(ETH), 10.0)]);
		assert_eq!(out, vec![v(Key::ImpliedVol(BTC), 25.7)]);
	}

	#[test]
	fn fixed_conversion() {
		assert_eq!(fixed_str(to_fixed(7911.430176).unwrap()), "7911.430176000000000000");
		assert_eq!(to_fixed(0.8).unwrap(), 800_000_000_000_000_000);
		assert!(to_fixed(-1.0).is_err() && to_fixed(f64::NAN).is_err() && to_fixed(0.0).is_err());
	}

	#[test]
	fn csv_rows_and_errors() {
		let dir = std::env::temp_dir().join(format!("solvent-feeder-csv-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let head = "Date,Open,High,Low,Close,Adj Close,Volume\n";
		let write = |name: &str, body: &str| {
			let p = dir.join(name);
			std::fs::write(&p, format!("{head}{body}")).unwrap();
			p
		};
		let good = write(
			"good.csv",
			"2020-03-11,1,1,1,7911.43,7911.43,1\n2020-03-12,null,null,null,null,null,null\n2020-03-13,1,1,1,4970.79,4970.79,1\n",
		);
		let rows = read_rows(&good, "Close", None, None, false).unwrap();
		assert_eq!(rows.len(), 2);
		assert_eq!(rows[1], Row { date: "2020-03-13".into(), price: 4970.79 });
		assert_eq!(read_rows(&good, "Close", Some("2020-03-12"), None, false).unwrap().len(), 1);
		let e = read_rows(&good, "Price", None, None, false).unwrap_err();
		assert!(e.contains("no column 'Price'"), "{e}");
		let e = read_rows(&good, "Close", Some("2030-01-01"), None, false).unwrap_err();
		assert!(e.starts_with("no CSV rows with a price"), "{e}");
		let e = read_rows(&good, "Close", Some("2030/01/01"), None, false).unwrap_err();
		assert!(e.contains("not a YYYY-MM-DD"), "{e}");
		let bad =
			write("bad.csv", "2020-03-11,1,1,1,7911.43,7911.43,1\n2020-03-12,1,1,1,abc,1,1\n");
		let e = read_rows(&bad, "Close", None, None, false).unwrap_err();
		assert!(e.contains(":3:") && e.contains("Close"), "{e}");
		let e = read_rows(&dir.join("missing.csv"), "Close", None, None, false).unwrap_err();
		assert!(e.starts_with("cannot read CSV file"), "{e}");
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
