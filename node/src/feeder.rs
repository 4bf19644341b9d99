//! `solvent-node feeder`: a price feeder for `pallet-price-oracle`.
//!
//! Replays a CSV of daily prices (e.g. `data/btc-usd-daily.csv`, BTC-USD from Yahoo
//! Finance via parsabe/Open-data, CC BY 4.0) into a node: one CSV row per `--blocks-per-row`
//! new blocks (time compression: one day per block by default), signed by `--suri`, with
//! optional per-feeder noise and bias so several feeders can be simulated from one series.
//! Each submission carries the spot price (`OracleKey::Spot(asset)`, USD per whole unit) and,
//! if asked, an implied volatility (`OracleKey::ImpliedVol(asset)`, annualized fraction): a
//! constant (`--implied-vol`) or the annualized realized volatility of the last N daily log
//! returns of the series (`--realized-vol-window`), a standard proxy when no options market
//! quotes one.
//!
//! Rows whose price is `null` (Yahoo's marker for a missing day) are skipped with a warning.
//! Every other bad input (missing file, bad CSV row, unknown asset or column, empty date range,
//! unreachable node, rejected transaction) ends the program with a one-line error and exit
//! code 1.

use crate::client::{pair_from_suri, ChainClient};
use frame_support::traits::Contains;
use rand::{rngs::StdRng, Rng, SeedableRng};
use solvent_primitives::{assets, OracleKey};
use solvent_runtime::{configs::solvent::SupportedOracleKeys, AccountId, RuntimeCall};
use sp_core::Pair;
use sp_runtime::FixedU128;
use std::{io::Write, path::PathBuf};

/// Options of `solvent-node feeder`.
#[derive(Debug, Clone, clap::Parser)]
pub struct FeederCmd {
	/// WebSocket JSON-RPC endpoint of a node.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	pub rpc: String,
	/// Secret URI of the feeder's sr25519 key (e.g. `//Alice`, a mnemonic, a 0x seed).
	#[arg(long)]
	pub suri: String,
	/// CSV file with a header row holding `Date` and the price column (Yahoo Finance format).
	#[arg(long)]
	pub csv: PathBuf,
	/// Asset whose spot price the CSV gives: `BTC`, `ETH`, `USD` or a numeric asset id.
	#[arg(long, default_value = "BTC")]
	pub asset: String,
	/// Price column of the CSV.
	#[arg(long, default_value = "Close")]
	pub column: String,
	/// First date (inclusive, `YYYY-MM-DD`).
	#[arg(long)]
	pub from: Option<String>,
	/// Last date (inclusive, `YYYY-MM-DD`).
	#[arg(long)]
	pub to: Option<String>,
	/// New blocks per CSV row (time compression; 1 = one day per block).
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
	pub blocks_per_row: u32,
	/// Uniform multiplicative noise: each price is multiplied by (1 + u), u in ±noise-bps/10^4.
	#[arg(long, default_value_t = 0)]
	pub noise_bps: u32,
	/// Constant bias in basis points added to every price (may be negative).
	#[arg(long, default_value_t = 0, allow_hyphen_values = true)]
	pub bias_bps: i32,
	/// Seed of the noise generator (one per feeder for independent noise).
	#[arg(long, default_value_t = 0)]
	pub seed: u64,
	/// Also feed this constant implied volatility (annualized fraction, e.g. 0.8).
	#[arg(long, conflicts_with = "realized_vol_window")]
	pub implied_vol: Option<f64>,
	/// Also feed the annualized realized volatility of the last N daily log returns.
	#[arg(long)]
	pub realized_vol_window: Option<usize>,
	/// Append one JSON line per submission (block, date, values) to this file.
	#[arg(long)]
	pub log: Option<PathBuf>,
	/// Validate the inputs and print the values without connecting to a node.
	#[arg(long)]
	pub dry_run: bool,
}

/// One CSV row to feed.
#[derive(Debug, Clone)]
struct Row {
	date: String,
	price: f64,
}

fn parse_asset(s: &str) -> Result<u32, String> {
	match s.to_ascii_uppercase().as_str() {
		"BTC" => Ok(assets::BTC),
		"ETH" => Ok(assets::ETH),
		"USD" => Ok(assets::USD),
		other => other.parse::<u32>().map_err(|_| {
			format!("unknown asset '{s}': expected BTC, ETH, USD or a numeric asset id")
		}),
	}
}

fn valid_date(d: &str) -> bool {
	let b = d.as_bytes();
	b.len() == 10
		&& b[4] == b'-'
		&& b[7] == b'-'
		&& b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Read the rows of `cmd.csv` within the date range; every malformed row is an error naming
/// its line.
fn read_rows(cmd: &FeederCmd, warn: bool) -> Result<Vec<Row>, String> {
	let path = &cmd.csv;
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
	let price_idx = cols.iter().position(|c| *c == cmd.column).ok_or_else(|| {
		format!(
			"CSV header of {} has no column '{}' (columns: {})",
			path.display(),
			cmd.column,
			cols.join(", ")
		)
	})?;
	for (name, d) in [("--from", &cmd.from), ("--to", &cmd.to)] {
		if let Some(d) = d {
			if !valid_date(d) {
				return Err(format!("{name} '{d}' is not a YYYY-MM-DD date"));
			}
		}
	}
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
		if cmd.from.as_deref().is_some_and(|f| *date < f)
			|| cmd.to.as_deref().is_some_and(|t| *date > t)
		{
			continue;
		}
		// Yahoo Finance marks days without data with `null` in every column: a gap, not an
		// error (the series has four such days, e.g. 2020-04-17).
		if fields.get(price_idx) == Some(&"null") {
			if warn {
				eprintln!(
					"feeder: {}:{lineno}: no {} price on {date} (null), skipped",
					path.display(),
					cmd.column
				);
			}
			continue;
		}
		let price: f64 = fields
			.get(price_idx)
			.and_then(|p| p.parse::<f64>().ok())
			.filter(|p| p.is_finite() && *p > 0.0)
			.ok_or_else(|| {
				format!("{}:{lineno}: bad {} price in row '{line}'", path.display(), cmd.column)
			})?;
		rows.push(Row { date: date.to_string(), price });
	}
	if rows.is_empty() {
		return Err(format!(
			"no CSV rows with a price between {} and {}",
			cmd.from.as_deref().unwrap_or("the start"),
			cmd.to.as_deref().unwrap_or("the end")
		));
	}
	Ok(rows)
}

/// Annualized realized volatility of the daily log returns of `prices` (sample standard
/// deviation x sqrt(365)); `None` with fewer than 2 returns.
fn realized_vol(prices: &[f64]) -> Option<f64> {
	if prices.len() < 3 {
		return None;
	}
	let r: Vec<f64> = prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
	let n = r.len() as f64;
	let mean = r.iter().sum::<f64>() / n;
	let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
	Some(var.sqrt() * 365f64.sqrt())
}

/// A positive decimal as `FixedU128`, rounded to 9 decimals.
fn to_fixed(x: f64) -> Result<FixedU128, String> {
	if !(x.is_finite() && x > 0.0 && x < 1e18) {
		return Err(format!("value {x} out of range"));
	}
	let nanos = (x * 1e9).round() as u128;
	Ok(FixedU128::from_rational(nanos, 1_000_000_000))
}

/// The values to feed for each row (spot, and implied vol if asked), in order.
fn plan(
	cmd: &FeederCmd,
	asset: u32,
	rows: &[Row],
	all_prices: &[f64],
	first: usize,
) -> Result<Vec<(String, Vec<(OracleKey, FixedU128)>)>, String> {
	let mut rng = StdRng::seed_from_u64(cmd.seed);
	let noise = cmd.noise_bps as f64 / 10_000.0;
	let bias = cmd.bias_bps as f64 / 10_000.0;
	let mut out = Vec::with_capacity(rows.len());
	for (i, row) in rows.iter().enumerate() {
		let u = if noise > 0.0 { rng.gen_range(-noise..=noise) } else { 0.0 };
		let price = row.price * (1.0 + bias) * (1.0 + u);
		let mut values = vec![(OracleKey::Spot(asset), to_fixed(price)?)];
		if let Some(vol) = cmd.implied_vol {
			values.push((OracleKey::ImpliedVol(asset), to_fixed(vol)?));
		} else if let Some(window) = cmd.realized_vol_window {
			let end = first + i + 1;
			let start = end.saturating_sub(window + 1);
			if let Some(vol) = realized_vol(&all_prices[start..end]) {
				values.push((OracleKey::ImpliedVol(asset), to_fixed(vol)?));
			}
		}
		out.push((row.date.clone(), values));
	}
	Ok(out)
}

fn fmt_values(values: &[(OracleKey, FixedU128)]) -> String {
	values.iter().map(|(k, v)| format!("{k:?}={}", fixed_str(*v))).collect::<Vec<_>>().join(" ")
}

/// A `FixedU128` as a decimal string with 18 decimals.
pub fn fixed_str(v: FixedU128) -> String {
	let inner = v.into_inner();
	format!("{}.{:018}", inner / 10u128.pow(18), inner % 10u128.pow(18))
}

impl FeederCmd {
	/// Run the feeder to the end of its rows.
	pub fn run(&self) -> Result<(), String> {
		let asset = parse_asset(&self.asset)?;
		if let Some(v) = self.implied_vol {
			if !(v.is_finite() && v > 0.0 && v <= 10.0) {
				return Err(format!("--implied-vol {v} out of range (0, 10]"));
			}
		}
		if self.realized_vol_window.is_some_and(|w| w < 2) {
			return Err("--realized-vol-window must be at least 2 days".into());
		}
		let pair = pair_from_suri(&self.suri)?;
		// Realized vol looks back before --from: read the whole file for prices.
		let rows = read_rows(self, true)?;
		let all = read_rows(&FeederCmd { from: None, to: self.to.clone(), ..self.clone() }, false)?;
		let first = all.iter().position(|r| r.date == rows[0].date).unwrap_or(0);
		let prices: Vec<f64> = all.iter().map(|r| r.price).collect();
		let plan = plan(self, asset, &rows, &prices, first)?;
		// Keys the runtime does not track would only fail later, at the pool, per feed.
		if let Some(key) = plan
			.iter()
			.flat_map(|(_, values)| values.iter().map(|(k, _)| k.clone()))
			.find(|k| !<SupportedOracleKeys as Contains<OracleKey>>::contains(k))
		{
			return Err(format!(
				"unknown key {key:?}: the runtime tracks the spot price and implied vol of BTC \
				 (asset {}) and ETH (asset {}) only",
				assets::BTC,
				assets::ETH
			));
		}
		if self.dry_run {
			for (date, values) in &plan {
				println!("{date} {}", fmt_values(values));
			}
			return Ok(());
		}
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(2)
			.enable_all()
			.build()
			.map_err(|e| format!("cannot start async runtime: {e}"))?;
		runtime.block_on(self.feed(pair, plan))
	}

	async fn feed(
		&self,
		pair: sp_core::sr25519::Pair,
		plan: Vec<(String, Vec<(OracleKey, FixedU128)>)>,
	) -> Result<(), String> {
		let client = ChainClient::connect(&self.rpc).await?;
		let who = AccountId::from(pair.public());
		let mut nonce = client.next_nonce(&who).await?;
		let mut heads = client.subscribe_new_heads().await?;
		let mut log = match &self.log {
			Some(p) => Some(
				std::fs::OpenOptions::new()
					.create(true)
					.append(true)
					.open(p)
					.map_err(|e| format!("cannot open --log {}: {e}", p.display()))?,
			),
			None => None,
		};
		let mut rows = plan.into_iter();
		let mut blocks_seen = 0u32;
		let mut next = rows.next();
		while let Some((date, values)) = next.take() {
			let head = heads
				.next()
				.await
				.ok_or("the node closed the new-heads subscription")?
				.map_err(|e| format!("bad header from node: {e}"))?;
			blocks_seen += 1;
			if (blocks_seen - 1) % self.blocks_per_row != 0 {
				next = Some((date, values));
				continue;
			}
			let bounded = values
				.clone()
				.try_into()
				.map_err(|_| "too many values for one feed_values call".to_string())?;
			let call = RuntimeCall::PriceOracle(solvent_runtime::PriceOracleCall::feed_values {
				values: bounded,
			});
			let xt = client.sign(call, &pair, nonce);
			let hash = client.submit(&xt).await?;
			nonce += 1;
			println!(
				"feeder {who}: block #{} {date} {} tx {hash:?}",
				head.number,
				fmt_values(&values)
			);
			if let Some(f) = log.as_mut() {
				let vals: Vec<_> = values
					.iter()
					.map(
						|(k, v)| serde_json::json!({"key": format!("{k:?}"), "value": fixed_str(*v)}),
					)
					.collect();
				let line = serde_json::json!({
					"feeder": who.to_string(), "block": head.number, "date": date, "values": vals,
					"tx": format!("{hash:?}"),
				});
				writeln!(f, "{line}").map_err(|e| format!("cannot write --log: {e}"))?;
			}
			next = rows.next();
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn realized_vol_of_constant_growth_is_zero() {
		let p: Vec<f64> = (0..10).map(|i| 100.0 * 1.01f64.powi(i)).collect();
		assert!(realized_vol(&p).unwrap() < 1e-9);
	}

	#[test]
	fn assets_and_dates() {
		assert_eq!(parse_asset("btc"), Ok(assets::BTC));
		assert_eq!(parse_asset("7"), Ok(7));
		assert!(parse_asset("DOGE").is_err());
		assert!(valid_date("2020-03-12"));
		assert!(!valid_date("2020/03/12"));
	}

	fn dry_run(csv: &str, extra: &[&str]) -> Result<(), String> {
		let path = std::env::temp_dir().join(format!(
			"solvent-feeder-test-{}-{}.csv",
			std::process::id(),
			extra.len()
		));
		std::fs::write(&path, csv).map_err(|e| e.to_string())?;
		let path_str = path.display().to_string();
		let mut args = vec!["feeder", "--suri", "//Alice", "--csv", path_str.as_str(), "--dry-run"];
		args.extend_from_slice(extra);
		let cmd = <FeederCmd as clap::Parser>::try_parse_from(args).map_err(|e| e.to_string())?;
		let r = cmd.run();
		let _ = std::fs::remove_file(&path);
		r
	}

	#[test]
	fn bad_rows_and_unknown_keys_are_clear_errors() {
		let head = "Date,Open,High,Low,Close,Adj Close,Volume\n";
		let good = format!(
			"{head}2020-03-11,1,1,1,7911.43,7911.43,1\n2020-03-12,1,1,1,4970.79,4970.79,1\n"
		);
		assert_eq!(dry_run(&good, &[]), Ok(()));
		let bad_price =
			format!("{head}2020-03-11,1,1,1,7911.43,7911.43,1\n2020-03-12,1,1,1,abc,1,1\n");
		let e = dry_run(&bad_price, &["--asset", "BTC"]).unwrap_err();
		assert!(e.contains(":3:") && e.contains("Close"), "{e}");
		let bad_date = format!("{head}12/03/2020,1,1,1,4970.79,4970.79,1\n");
		assert!(dry_run(&bad_date, &["--asset", "BTC", "--seed", "1"]).is_err());
		// Assets the runtime has no oracle key for: rejected before any node is contacted.
		for asset in ["USD", "99"] {
			let e = dry_run(&good, &["--asset", asset, "--implied-vol", "0.8"]).unwrap_err();
			assert!(e.starts_with("unknown key"), "{e}");
		}
	}

	#[test]
	fn fixed_conversion() {
		assert_eq!(fixed_str(to_fixed(7911.430176).unwrap()), "7911.430176000000000000");
		assert!(to_fixed(-1.0).is_err());
	}
}
