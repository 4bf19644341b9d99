//! `solvent-feeder`: a price feeder for Solvent's `pallet-price-oracle`, meant to be left
//! running by a validator (see `tools/feeder/README.md`).
//!
//! Each round (every `--blocks-per-round` new best blocks) it signs one
//! `PriceOracle::feed_values` with the feeder's sr25519 key and submits it, from either
//! - a CSV replay (`--csv`, e.g. `data/btc-usd-daily.csv`, BTC-USD from Yahoo Finance via
//!   parsabe/Open-data, CC BY 4.0): one row per round, with optional noise and bias, ending
//!   with the last row; or
//! - live HTTP JSON sources (`--source`, several per key): the median of the sources that
//!   answered, are fresh (`--max-age`) and agree (`--max-deviation-bps`), forever.
//!
//! Implied volatility (an annualized fraction) is a constant (`--implied-vol`), the
//! annualized realized volatility of the last N returns (`--realized-vol-window`: daily
//! closes in a replay, the fed medians of the rounds live), or a `vol:` source.
//!
//! The key comes from `--suri-file` or `SOLVENT_FEEDER_SURI`, never from the command line.
//! Transactions are mortal (`--mortality`), the nonce is tracked locally and resynced from
//! the node's pool after any rejection or lost watch, a lost connection (or a best-block
//! stream silent for `--stall-timeout`) is retried with exponential
//! backoff, and a round that cannot be fed is skipped. subxt reads the metadata of each
//! runtime version it meets, so a runtime upgrade needs no restart (as long as
//! `feed_values` keeps its shape).
//!
//! Exit codes: 0 when a replay, `--once` or `--dry-run` finished; 1 on bad input (one line
//! on stderr), on no node reachable within `--startup-timeout`, or when `--once`'s feed
//! was not included; 2 on a command-line syntax error (clap).

mod chain;
mod metrics;
mod sources;
mod values;

use chain::{Chain, SolventConfig};
use clap::Parser;
use rand::{rngs::StdRng, Rng, SeedableRng};
use sources::{Dropped, Http, Source};
use std::{
	collections::BTreeMap,
	io::Write,
	path::PathBuf,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};
use subxt::{config::Header as _, transactions::TransactionStatus};
use subxt_signer::{sr25519::Keypair, SecretUri};
use values::{fixed_str, fmt_values, Key, Value};

/// A log line on stdout, prefixed with the UTC time.
#[macro_export]
macro_rules! log {
	($($t:tt)*) => {
		println!("{} {}", $crate::utc_now(), format!($($t)*))
	};
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> f64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_secs_f64())
		.unwrap_or(0.0)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn utc_now() -> String {
	let ms = (now_secs() * 1000.0) as i64;
	let (secs, ms) = (ms.div_euclid(1000), ms.rem_euclid(1000));
	let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
	// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z - era * 146_097;
	let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let d = doy - (153 * mp + 2) / 5 + 1;
	let m = if mp < 10 { mp + 3 } else { mp - 9 };
	let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
	format!(
		"{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
		sod / 3600,
		sod % 3600 / 60,
		sod % 60
	)
}

/// Command line of `solvent-feeder`.
#[derive(Debug, Clone, Parser)]
#[command(
	name = "solvent-feeder",
	version,
	about = "Price feeder for Solvent's pallet-price-oracle"
)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["csv", "source"])))]
pub struct Cli {
	/// WebSocket JSON-RPC endpoint of a node (`ws://` or `wss://`).
	#[arg(long, env = "SOLVENT_FEEDER_RPC", default_value = "ws://127.0.0.1:9944")]
	pub rpc: String,
	/// File holding the secret URI of the feeder's sr25519 key (`//Alice`, a mnemonic, a 0x
	/// seed), first line. Without it, the environment variable `SOLVENT_FEEDER_SURI`.
	#[arg(long)]
	pub suri_file: Option<PathBuf>,

	/// Replay this CSV (header with `Date` and the price column; Yahoo Finance format).
	#[arg(long)]
	pub csv: Option<PathBuf>,
	/// Asset whose spot price the CSV gives: `BTC`, `ETH` or a numeric asset id.
	#[arg(long, default_value = "BTC", requires = "csv")]
	pub asset: String,
	/// Price column of the CSV.
	#[arg(long, default_value = "Close", requires = "csv")]
	pub column: String,
	/// First CSV date (inclusive, `YYYY-MM-DD`).
	#[arg(long, requires = "csv")]
	pub from: Option<String>,
	/// Last CSV date (inclusive, `YYYY-MM-DD`).
	#[arg(long, requires = "csv")]
	pub to: Option<String>,
	/// Replay noise: each price is multiplied by (1 + u), u uniform in +-noise-bps/10^4.
	#[arg(long, default_value_t = 0, requires = "csv")]
	pub noise_bps: u32,
	/// Replay bias in basis points added to every price (may be negative).
	#[arg(long, default_value_t = 0, allow_hyphen_values = true, requires = "csv")]
	pub bias_bps: i32,
	/// Seed of the replay noise (one per feeder for independent noise).
	#[arg(long, default_value_t = 0, requires = "csv")]
	pub seed: u64,

	/// A live source, `KIND:ASSET=URL#POINTER[@TIME_POINTER]` (repeat for several sources
	/// and keys), e.g. `spot:BTC=https://example.org/btc#/data/price@/data/time`. KIND is
	/// `spot` (USD per unit) or `vol` (annualized fraction); POINTER is a JSON pointer.
	/// TIME_POINTER (the quote's Unix time) is optional, but without it a quote counts as
	/// fresh when received: a frozen or cached API keeps being fed (only
	/// --max-deviation-bps against other sources catches it). Give it whenever the API has
	/// one. Quotes dated more than 5 s ahead of the local clock are dropped. Logs and
	/// metric labels show the URL without its query string or user info.
	#[arg(long, conflicts_with = "csv", value_parser = sources::parse_source)]
	pub source: Vec<Source>,
	/// Drop a source whose quote deviates from the median of the key's fresh quotes by more
	/// than this many basis points.
	#[arg(long, default_value_t = 200)]
	pub max_deviation_bps: u32,
	/// Never feed a quote older than this many seconds (by the source's timestamp, or the
	/// time it was received if the source gives none).
	#[arg(long, default_value_t = 60)]
	pub max_age: u64,
	/// Feed a key only if at least this many of its sources are kept.
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
	pub min_sources: u32,
	/// Give up on a source request after this many milliseconds.
	#[arg(long, default_value_t = 2000)]
	pub http_timeout_ms: u64,

	/// Also feed this constant implied volatility (annualized fraction, e.g. 0.8).
	#[arg(long, conflicts_with = "realized_vol_window")]
	pub implied_vol: Option<f64>,
	/// Also feed the annualized realized volatility of the last N returns (daily closes in a
	/// replay; the rounds' medians live).
	#[arg(long)]
	pub realized_vol_window: Option<usize>,

	/// New best blocks per round (1 = feed every block).
	#[arg(long, visible_alias = "blocks-per-row", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
	pub blocks_per_round: u64,
	/// Transactions are valid for this many blocks after the block they are built at.
	#[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(4..=65536))]
	pub mortality: u64,
	/// Exit with an error if no node answers within this many seconds at start (later
	/// disconnections are retried forever).
	#[arg(long, default_value_t = 60)]
	pub startup_timeout: u64,
	/// Reconnect if no new best block arrives for this many seconds; also the limit of each
	/// RPC call of a round (nonce, block, signing, submission), past which the round is
	/// skipped.
	#[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
	pub stall_timeout: u64,
	/// Longest wait between reconnection attempts (seconds; the wait doubles from 1 s).
	#[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
	pub max_backoff: u64,

	/// Serve Prometheus metrics on this port (`/metrics`); off without it.
	#[arg(long)]
	pub prometheus_port: Option<u16>,
	/// Listen for metrics on all interfaces instead of 127.0.0.1.
	#[arg(long)]
	pub prometheus_external: bool,
	/// Append one JSON line per submitted feed (block, date, values, tx hash) to this file.
	#[arg(long)]
	pub log: Option<PathBuf>,
	/// Feed one round, wait for its inclusion, and exit: 0 if included, 1 if not (or if
	/// the round had nothing to feed or its feed was rejected).
	#[arg(long)]
	pub once: bool,
	/// Compute and print the values (a replay's rows, or one round of the sources) without
	/// connecting to a node or reading a key.
	#[arg(long)]
	pub dry_run: bool,
}

/// The secret URI: `--suri-file`'s first line, or `SOLVENT_FEEDER_SURI`.
fn read_suri(cli: &Cli) -> Result<String, String> {
	let suri = match &cli.suri_file {
		Some(p) => std::fs::read_to_string(p)
			.map_err(|e| format!("cannot read --suri-file {}: {e}", p.display()))?
			.lines()
			.next()
			.unwrap_or("")
			.trim()
			.to_string(),
		None => std::env::var("SOLVENT_FEEDER_SURI").map_err(|_| {
			"no key: give --suri-file PATH or set SOLVENT_FEEDER_SURI (the secret is never taken from the command line)".to_string()
		})?,
	};
	if suri.is_empty() {
		return Err("the feeder's secret URI is empty".into());
	}
	Ok(suri)
}

fn keypair(suri: &str) -> Result<Keypair, String> {
	let uri: SecretUri = suri.parse().map_err(|e| format!("invalid secret URI: {e}"))?;
	Keypair::from_uri(&uri).map_err(|e| format!("invalid secret URI: {e}"))
}

/// Where a round's values come from.
enum Feed {
	/// A CSV replay: the rows still to feed (date, values).
	Replay { rows: Vec<(String, Vec<Value>)>, next: usize },
	/// Live sources, grouped by key; the spot history for realized vol (time, price).
	Live { keys: BTreeMap<Key, Vec<Source>>, http: Http, history: BTreeMap<u32, Vec<(f64, f64)>> },
}

/// The values of every CSV row (as `solvent-node feeder` computed them).
fn replay_plan(cli: &Cli, csv: &std::path::Path) -> Result<Vec<(String, Vec<Value>)>, String> {
	let asset = values::parse_asset(&cli.asset)?;
	let rows = values::read_rows(csv, &cli.column, cli.from.as_deref(), cli.to.as_deref(), true)?;
	// Realized vol looks back before --from: the whole file up to --to gives the prices.
	let all = values::read_rows(csv, &cli.column, None, cli.to.as_deref(), false)?;
	let first = all.iter().position(|r| r.date == rows[0].date).unwrap_or(0);
	let prices: Vec<f64> = all.iter().map(|r| r.price).collect();
	let mut rng = StdRng::seed_from_u64(cli.seed);
	let noise = cli.noise_bps as f64 / 10_000.0;
	let bias = cli.bias_bps as f64 / 10_000.0;
	let mut out = Vec::with_capacity(rows.len());
	for (i, row) in rows.iter().enumerate() {
		let u = if noise > 0.0 { rng.gen_range(-noise..=noise) } else { 0.0 };
		let price = row.price * (1.0 + bias) * (1.0 + u);
		let mut vals = vec![Value { key: Key::Spot(asset), inner: values::to_fixed(price)? }];
		if let Some(vol) = cli.implied_vol {
			vals.push(Value { key: Key::ImpliedVol(asset), inner: values::to_fixed(vol)? });
		} else if let Some(window) = cli.realized_vol_window {
			let end = first + i + 1;
			let start = end.saturating_sub(window + 1);
			if let Some(vol) = values::realized_vol(&prices[start..end], values::DAY) {
				vals.push(Value { key: Key::ImpliedVol(asset), inner: values::to_fixed(vol)? });
			}
		}
		out.push((row.date.clone(), vals));
	}
	Ok(out)
}

/// Check the options and build the feed.
fn build_feed(cli: &Cli) -> Result<Feed, String> {
	if let Some(v) = cli.implied_vol {
		if !(v.is_finite() && v > 0.0 && v <= 10.0) {
			return Err(format!("--implied-vol {v} out of range (0, 10]"));
		}
	}
	if cli.realized_vol_window.is_some_and(|w| w < 2) {
		return Err("--realized-vol-window must be at least 2".into());
	}
	let check = |key: Key| -> Result<(), String> {
		if key.supported() {
			Ok(())
		} else {
			Err(format!(
				"unknown key {key}: the runtime tracks the spot price and implied vol of BTC \
				 (asset {}) and ETH (asset {}) only",
				values::BTC,
				values::ETH
			))
		}
	};
	if let Some(csv) = &cli.csv {
		let rows = replay_plan(cli, csv)?;
		for (_, vals) in &rows {
			for v in vals {
				check(v.key)?;
			}
		}
		return Ok(Feed::Replay { rows, next: 0 });
	}
	let mut keys: BTreeMap<Key, Vec<Source>> = BTreeMap::new();
	for s in &cli.source {
		check(s.key)?;
		keys.entry(s.key).or_default().push(s.clone());
	}
	// Constant or realized implied vol for each spot asset without a `vol:` source.
	if cli.implied_vol.is_some() || cli.realized_vol_window.is_some() {
		for k in keys.keys().copied().collect::<Vec<_>>() {
			if let Key::Spot(a) = k {
				if keys.contains_key(&Key::ImpliedVol(a)) {
					return Err(format!(
						"asset {a} has vol: sources and --implied-vol/--realized-vol-window: choose one"
					));
				}
				check(Key::ImpliedVol(a))?;
			}
		}
	}
	let http = Http::new(Duration::from_millis(cli.http_timeout_ms))?;
	Ok(Feed::Live { keys, http, history: BTreeMap::new() })
}

impl Feed {
	/// The values of this round (and a label: the CSV date, or `live`), with the oldest
	/// source timestamp behind them (`None` for a replay).
	async fn round(
		&mut self,
		cli: &Cli,
		metrics: &metrics::Metrics,
	) -> (String, Vec<Value>, Option<f64>) {
		match self {
			Feed::Replay { rows, next } => match rows.get(*next) {
				Some((date, vals)) => (date.clone(), vals.clone(), None),
				None => (String::new(), Vec::new(), None),
			},
			Feed::Live { keys, http, history } => {
				let now = now_secs();
				let mut out = Vec::new();
				let mut oldest = now;
				for (key, srcs) in keys.iter() {
					let quotes =
						subxt::ext::futures::future::join_all(srcs.iter().map(|s| http.quote(s)))
							.await;
					let agg = sources::aggregate(
						&quotes,
						now_secs(),
						cli.max_age as f64,
						cli.max_deviation_bps as f64 / 10_000.0,
						cli.min_sources as usize,
					);
					for (i, s) in srcs.iter().enumerate() {
						let labels = [key.to_string(), s.name().to_string()];
						let labels = [labels[0].as_str(), labels[1].as_str()];
						if let Some(d) = agg.deviations[i] {
							metrics.deviation.with_label_values(&labels).set(d);
						}
						if let Some(why) = &agg.dropped[i] {
							metrics.source_dropped.with_label_values(&labels).inc();
							let why = match why {
								Dropped::Failed(e) => format!("failed: {e}"),
								Dropped::Stale(age) => format!(
									"stale: quote is {age:.1} s old (max {} s)",
									cli.max_age
								),
								Dropped::Future(ahead) => format!(
									"quote dated {ahead:.1} s ahead of the local clock (max {} s; a timestamp in micro- or nanoseconds?)",
									sources::MAX_FUTURE_SECS
								),
								Dropped::Deviates(d) => format!(
									"deviates {:+.2}% from the median (max {:.2}%)",
									d * 100.0,
									cli.max_deviation_bps as f64 / 100.0
								),
							};
							log!("source {} for {key} dropped: {why}", s.name());
						}
					}
					let Some(v) = agg.value else {
						log!(
							"no value for {key} this round: too few sources kept (min {})",
							cli.min_sources
						);
						continue;
					};
					let inner = match values::to_fixed(v) {
						Ok(x) => x,
						Err(e) => {
							log!("no value for {key} this round: {e}");
							continue;
						}
					};
					oldest = oldest.min(agg.oldest);
					out.push(Value { key: *key, inner });
					if let Key::Spot(a) = key {
						if let Some(vol) = cli.implied_vol {
							if let Ok(inner) = values::to_fixed(vol) {
								out.push(Value { key: Key::ImpliedVol(*a), inner });
							}
						} else if let Some(window) = cli.realized_vol_window {
							let h = history.entry(*a).or_default();
							h.push((agg.oldest.max(now - cli.max_age as f64), v));
							let keep = window + 1;
							if h.len() > keep {
								h.drain(..h.len() - keep);
							}
							let prices: Vec<f64> = h.iter().map(|(_, p)| *p).collect();
							let span = h.last().map(|l| l.0).unwrap_or(0.0) - h[0].0;
							let period = span / (h.len().max(2) - 1) as f64;
							if let Some(vol) = values::realized_vol(&prices, period) {
								match values::to_fixed(vol) {
									Ok(inner) if vol > 0.0 => {
										out.push(Value { key: Key::ImpliedVol(*a), inner })
									}
									_ => log!("realized vol of asset {a} not fed: {vol}"),
								}
							}
						}
					}
				}
				out.sort_by_key(|v| v.key);
				(String::from("live"), out, Some(oldest))
			}
		}
	}

	fn advance(&mut self) {
		if let Feed::Replay { next, .. } = self {
			*next += 1;
		}
	}

	fn done(&self) -> bool {
		matches!(self, Feed::Replay { rows, next } if *next >= rows.len())
	}
}

/// What became of a submitted feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
	Included,
	Failed,
	Unknown,
}

/// Run `fut` (an RPC call, described by `what`), giving up after `limit`.
async fn within<T>(
	limit: Duration,
	what: &str,
	fut: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
	tokio::time::timeout(limit, fut)
		.await
		.unwrap_or_else(|_| Err(format!("{what}: no answer within {} s", limit.as_secs_f64())))
}

/// Record what became of a watched feed: a lost watch (`Unknown`: the feed may or may not
/// have been included) makes the next round resync the nonce from the node.
fn after_watch(outcome: Outcome, nonce: u64, resync: &AtomicBool) -> Outcome {
	if outcome == Outcome::Unknown {
		resync.store(true, Ordering::SeqCst);
		log!("feed with nonce {nonce}: outcome unknown; the nonce will be resynced");
	}
	outcome
}

/// Follow a submitted feed (see [`watch_inner`]) and resync the nonce if it was lost.
async fn watch(
	progress: subxt::transactions::TransactionProgress<
		SolventConfig,
		subxt::client::OnlineClientAtBlockImpl<SolventConfig>,
	>,
	nonce: u64,
	metrics: metrics::Metrics,
	resync: Arc<AtomicBool>,
) -> Outcome {
	let outcome = watch_inner(progress, nonce, metrics, resync.clone()).await;
	after_watch(outcome, nonce, &resync)
}

/// Follow a submitted feed to its inclusion in a best block (and its dispatch result).
async fn watch_inner(
	mut progress: subxt::transactions::TransactionProgress<
		SolventConfig,
		subxt::client::OnlineClientAtBlockImpl<SolventConfig>,
	>,
	nonce: u64,
	metrics: metrics::Metrics,
	resync: Arc<AtomicBool>,
) -> Outcome {
	loop {
		let status = match progress.next().await {
			Some(Ok(s)) => s,
			Some(Err(e)) => {
				log!("lost track of the feed with nonce {nonce}: {e}");
				return Outcome::Unknown;
			}
			None => {
				log!("lost track of the feed with nonce {nonce}: the node closed the watch");
				return Outcome::Unknown;
			}
		};
		match status {
			TransactionStatus::InBestBlock(in_block)
			| TransactionStatus::InFinalizedBlock(in_block) => {
				let block = in_block.block_hash();
				return match in_block.wait_for_success().await {
					Ok(_) => {
						metrics.included.inc();
						metrics.last_success.set(now_secs());
						log!("feed with nonce {nonce} included in block {block:?}");
						Outcome::Included
					}
					Err(e) => {
						metrics.failed.inc();
						log!("feed with nonce {nonce} failed in block {block:?}: {e}");
						Outcome::Failed
					}
				};
			}
			TransactionStatus::Invalid { message }
			| TransactionStatus::Dropped { message }
			| TransactionStatus::Error { message } => {
				metrics.failed.inc();
				resync.store(true, Ordering::SeqCst);
				log!("feed with nonce {nonce} rejected by the pool: {message}; the nonce will be resynced");
				return Outcome::Failed;
			}
			_ => {}
		}
	}
}

/// Connect, retrying with exponential backoff (1 s doubling to `--max-backoff`); give up
/// after `deadline` if one is given.
async fn connect(cli: &Cli, deadline: Option<Instant>) -> Result<Chain, String> {
	let mut delay = Duration::from_secs(1);
	loop {
		let attempt = tokio::time::timeout(Duration::from_secs(20), Chain::connect(&cli.rpc))
			.await
			.unwrap_or_else(|_| Err(format!("cannot connect to node at {}: timed out", cli.rpc)));
		match attempt {
			Ok(c) => return Ok(c),
			Err(e) => {
				if deadline.is_some_and(|d| Instant::now() + delay > d) {
					return Err(e);
				}
				log!("{e}; retrying in {} s", delay.as_secs());
				tokio::time::sleep(delay).await;
				delay = (delay * 2).min(Duration::from_secs(cli.max_backoff));
			}
		}
	}
}

fn write_log(file: &mut Option<std::fs::File>, line: serde_json::Value) {
	if let Some(f) = file.as_mut() {
		if let Err(e) = writeln!(f, "{line}") {
			log!("cannot write --log: {e}");
		}
	}
}

async fn run(cli: Cli) -> Result<(), String> {
	let mut feed = build_feed(&cli)?;
	let metrics = metrics::Metrics::new()?;
	if cli.dry_run {
		match &feed {
			Feed::Replay { rows, .. } => {
				for (date, vals) in rows {
					println!("{date} {}", fmt_values(vals));
				}
			}
			Feed::Live { .. } => {
				let (_, vals, _) = feed.round(&cli, &metrics).await;
				println!("{}", fmt_values(&vals));
				if vals.is_empty() {
					return Err("no value from the sources".into());
				}
			}
		}
		return Ok(());
	}
	let signer = keypair(&read_suri(&cli)?)?;
	let who = signer.public_key().to_account_id();
	let mut log_file = match &cli.log {
		Some(p) => Some(
			std::fs::OpenOptions::new()
				.create(true)
				.append(true)
				.open(p)
				.map_err(|e| format!("cannot open --log {}: {e}", p.display()))?,
		),
		None => None,
	};
	if let Some(port) = cli.prometheus_port {
		let ip = if cli.prometheus_external { [0, 0, 0, 0] } else { [127, 0, 0, 1] };
		metrics.clone().serve((ip, port).into()).await?;
		log!("metrics on http://{}:{port}/metrics", std::net::Ipv4Addr::from(ip));
	}
	let resync = Arc::new(AtomicBool::new(true));
	let mut pending: Vec<tokio::task::JoinHandle<Outcome>> = Vec::new();
	let mut startup = Some(Instant::now() + Duration::from_secs(cli.startup_timeout));
	let mut nonce = 0u64;
	let mut last_round: Option<u64> = None;
	let mut row_failures = 0u32;
	let limit = Duration::from_secs(cli.stall_timeout);
	log!("feeder {who} feeding {} every {} block(s)", cli.rpc, cli.blocks_per_round);
	loop {
		let chain = connect(&cli, startup).await?;
		if startup.take().is_none() {
			metrics.reconnects.inc();
		}
		log!("connected to {} (genesis {:?})", cli.rpc, chain.api.genesis_hash());
		resync.store(true, Ordering::SeqCst);
		// The stream starts with blocks the node already had (its finalized block): rounds
		// start from the best block at connection.
		let best_at_connect =
			match tokio::time::timeout(limit, chain.rpc.chain_get_header(None)).await {
				Ok(Ok(Some(h))) => h.number(),
				_ => 0,
			};
		let stream = async { chain.api.stream_best_blocks().await.map_err(|e| e.to_string()) };
		let mut blocks = match within(limit, "best-block subscription", stream).await {
			Ok(b) => b,
			Err(e) => {
				log!("cannot follow best blocks: {e}; reconnecting");
				tokio::time::sleep(Duration::from_secs(1)).await;
				continue;
			}
		};
		loop {
			let block = match tokio::time::timeout(limit, blocks.next()).await {
				Ok(Some(block)) => block,
				Ok(None) => break,
				Err(_) => {
					metrics.stalls.inc();
					log!(
						"no new best block for {} s (--stall-timeout): the node or the connection stalled",
						cli.stall_timeout
					);
					break;
				}
			};
			let block = match block {
				Ok(b) => b,
				Err(e) => {
					log!("best-block stream failed: {e}");
					break;
				}
			};
			let number = block.number();
			if number < best_at_connect {
				continue;
			}
			if last_round
				.is_some_and(|l| number < l.saturating_add(cli.blocks_per_round) && number >= l)
			{
				continue;
			}
			// A round: at most one per block number (the stream may repeat the block it
			// started from); a block below the last round's (the node restarted without its
			// unfinalized blocks, or a reorg) starts a new round.
			last_round = Some(number);
			pending.retain(|h| !h.is_finished());
			let (label, vals, oldest) = feed.round(&cli, &metrics).await;
			let (vals, too_high) = values::drop_invalid(vals);
			if !too_high.is_empty() {
				log!(
					"block #{number}: left out {} (above the oracle's maximum implied vol 10.0)",
					fmt_values(&too_high)
				);
			}
			if vals.is_empty() {
				metrics.skipped.inc();
				log!("block #{number}: nothing to feed, round skipped");
				if cli.once {
					return Err("--once: nothing to feed this round".into());
				}
				continue;
			}
			if let Some(oldest) = oldest {
				let age = now_secs() - oldest;
				if age > cli.max_age as f64 {
					metrics.skipped.inc();
					log!(
						"block #{number}: quotes are {age:.1} s old (max {} s), round skipped",
						cli.max_age
					);
					if cli.once {
						return Err(format!("--once: quotes are {age:.1} s old"));
					}
					continue;
				}
			}
			if resync.swap(false, Ordering::SeqCst) {
				match within(limit, "next nonce", chain.next_nonce(&signer)).await {
					Ok(n) => {
						log!("nonce resynced from the node: {n} (local {nonce})");
						nonce = n;
					}
					Err(e) => {
						resync.store(true, Ordering::SeqCst);
						metrics.skipped.inc();
						log!("block #{number}: {e}; reconnecting");
						break;
					}
				}
			}
			let at =
				match within(limit, "block", async { block.at().await.map_err(|e| e.to_string()) })
					.await
				{
					Ok(at) => at,
					Err(e) => {
						metrics.skipped.inc();
						log!("block #{number}: cannot read the block: {e}; round skipped");
						continue;
					}
				};
			let call = chain::feed_call(&vals);
			let submitted = async {
				let tx = within(limit, "cannot build the transaction", async {
					at.transactions()
						.create_signed(&call, &signer, chain::tx_params(nonce, cli.mortality))
						.await
						.map_err(|e| format!("cannot build the transaction: {e}"))
				})
				.await?;
				let hash = tx.hash();
				// A submission that times out may still reach the pool: the error path
				// resyncs the nonce.
				within(limit, "submission", async {
					tx.submit_and_watch()
						.await
						.map(|p| (hash, p))
						.map_err(|e| format!("rejected: {e}"))
				})
				.await
			}
			.await;
			match submitted {
				Ok((hash, progress)) => {
					metrics.submitted.inc();
					row_failures = 0;
					log!("block #{number} {label} {} nonce {nonce} tx {hash:?}", fmt_values(&vals));
					let vals_json: Vec<_> = vals
						.iter()
						.map(
							|v| serde_json::json!({"key": v.key.to_string(), "value": fixed_str(v.inner)}),
						)
						.collect();
					write_log(
						&mut log_file,
						serde_json::json!({
							"feeder": who.to_string(), "block": number, "date": label,
							"values": vals_json, "nonce": nonce, "tx": format!("{hash:?}"),
							"time": now_secs(),
						}),
					);
					pending.push(tokio::spawn(watch(
						progress,
						nonce,
						metrics.clone(),
						resync.clone(),
					)));
					nonce += 1;
					feed.advance();
				}
				Err(e) => {
					metrics.failed.inc();
					metrics.skipped.inc();
					resync.store(true, Ordering::SeqCst);
					log!("block #{number} {label}: feed with nonce {nonce} {e}; round skipped, nonce will be resynced");
					if cli.once {
						return Err(format!("--once: feed with nonce {nonce} {e}"));
					}
					if matches!(feed, Feed::Replay { .. }) {
						row_failures += 1;
						if row_failures >= 10 {
							return Err(format!(
								"row {label} failed 10 rounds in a row; last error: {e}"
							));
						}
					}
				}
			}
			if cli.once && !pending.is_empty() {
				let outcome = finish(&mut pending).await;
				return if outcome.contains(&Outcome::Included) {
					Ok(())
				} else {
					Err(format!("the feed was not included ({outcome:?})"))
				};
			}
			if feed.done() {
				finish(&mut pending).await;
				log!(
					"replay done: {} feeds submitted, {} included, {} failed, {} rounds skipped",
					metrics.submitted.get(),
					metrics.included.get(),
					metrics.failed.get(),
					metrics.skipped.get()
				);
				return Ok(());
			}
		}
		metrics.skipped.inc();
		log!("connection to {} lost; reconnecting", cli.rpc);
	}
}

/// Wait (at most 60 s) for the pending watchers.
async fn finish(pending: &mut Vec<tokio::task::JoinHandle<Outcome>>) -> Vec<Outcome> {
	let mut out = Vec::new();
	let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
	for h in pending.drain(..) {
		match tokio::time::timeout_at(deadline, h).await {
			Ok(Ok(o)) => out.push(o),
			_ => out.push(Outcome::Unknown),
		}
	}
	out
}

fn main() {
	let cli = Cli::parse();
	let rt =
		match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
			Ok(rt) => rt,
			Err(e) => {
				eprintln!("solvent-feeder: cannot start the async runtime: {e}");
				std::process::exit(1);
			}
		};
	if let Err(e) = rt.block_on(run(cli)) {
		eprintln!("solvent-feeder: {e}");
		std::process::exit(1);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn parse(args: &[&str]) -> Result<Cli, String> {
		Cli::try_parse_from(std::iter::once("solvent-feeder").chain(args.iter().copied()))
			.map_err(|e| e.to_string())
	}

	#[test]
	fn cli_rejects_bad_flags_and_argv_secrets() {
		assert!(parse(&[]).unwrap_err().contains("required"));
		assert!(parse(&["--csv", "x.csv", "--suri", "//Alice"]).unwrap_err().contains("--suri"));
		assert!(parse(&["--csv", "x", "--source", "spot:BTC=http://a/#/p"]).is_err());
		assert!(parse(&["--source", "spot:BTC=http://a/"]).unwrap_err().contains("bad --source"));
		assert!(parse(&["--csv", "x", "--blocks-per-round", "0"]).is_err());
		assert!(
			parse(&["--csv", "x", "--implied-vol", "0.8", "--realized-vol-window", "30"]).is_err()
		);
		let cli = parse(&["--csv", "x", "--blocks-per-row", "3", "--bias-bps", "-50"]).unwrap();
		assert_eq!((cli.blocks_per_round, cli.bias_bps), (3, -50));
	}

	#[test]
	fn the_secret_comes_from_a_file_or_the_environment() {
		let dir = std::env::temp_dir().join(format!("solvent-feeder-suri-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let f = dir.join("suri");
		std::fs::write(&f, "//Bob\n").unwrap();
		let cli = parse(&["--csv", "x", "--suri-file", f.to_str().unwrap()]).unwrap();
		assert_eq!(read_suri(&cli).unwrap(), "//Bob");
		let bob = keypair("//Bob").unwrap().public_key().to_account_id().to_string();
		assert_eq!(bob, "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty");
		assert!(keypair("not a key").is_err());
		let cli = parse(&["--csv", "x", "--suri-file", "/nonexistent/suri"]).unwrap();
		assert!(read_suri(&cli).unwrap_err().starts_with("cannot read --suri-file"));
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn replay_plan_matches_the_old_feeder() {
		let csv =
			std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/btc-usd-daily.csv");
		let csv_s = csv.to_str().unwrap();
		let cli = parse(&[
			"--csv",
			csv_s,
			"--from",
			"2020-03-11",
			"--to",
			"2020-03-13",
			"--implied-vol",
			"0.8",
		])
		.unwrap();
		let plan = replay_plan(&cli, &csv).unwrap();
		assert_eq!(plan.len(), 3);
		assert_eq!(plan[1].0, "2020-03-12");
		assert_eq!(
			plan[1].1[1],
			Value { key: Key::ImpliedVol(values::BTC), inner: 800_000_000_000_000_000 }
		);
		// Unknown keys are refused before any connection.
		for asset in ["USD", "99"] {
			let cli = parse(&["--csv", csv_s, "--asset", asset, "--implied-vol", "0.8"]).unwrap();
			assert!(build_feed(&cli).err().unwrap().starts_with("unknown key"));
		}
		// Noise stays within its bound, bias shifts every price.
		let base = parse(&["--csv", csv_s, "--from", "2020-03-01", "--to", "2020-03-31"]).unwrap();
		let noisy = parse(&[
			"--csv",
			csv_s,
			"--from",
			"2020-03-01",
			"--to",
			"2020-03-31",
			"--noise-bps",
			"25",
			"--seed",
			"7",
			"--bias-bps",
			"100",
		])
		.unwrap();
		let (a, b) = (replay_plan(&base, &csv).unwrap(), replay_plan(&noisy, &csv).unwrap());
		for (x, y) in a.iter().zip(&b) {
			let r = y.1[0].inner as f64 / x.1[0].inner as f64;
			assert!((1.01 * 0.9975 - 1e-9..=1.01 * 1.0025 + 1e-9).contains(&r), "{r}");
		}
	}

	#[test]
	fn utc_format() {
		let s = utc_now();
		assert_eq!(s.len(), 24);
		assert!(s.starts_with("20") && s.ends_with('Z'));
	}

	#[tokio::test]
	async fn rpc_calls_and_the_block_stream_time_out() {
		let limit = Duration::from_millis(50);
		let started = Instant::now();
		let hung = within(limit, "next nonce", std::future::pending::<Result<u64, String>>());
		assert_eq!(hung.await, Err("next nonce: no answer within 0.05 s".to_string()));
		let waited = started.elapsed();
		assert!(waited >= limit && waited < Duration::from_secs(5), "{waited:?}");
		assert_eq!(within(limit, "block", async { Ok::<_, String>(7) }).await, Ok(7));
		assert_eq!(
			within(limit, "block", async { Err::<u8, _>("boom".to_string()) }).await,
			Err("boom".to_string())
		);
		// A silent best-block stream ends the wait (the reconnect path), a live one does not.
		let mut silent = subxt::ext::futures::stream::pending::<u32>();
		use subxt::ext::futures::StreamExt;
		assert!(tokio::time::timeout(limit, silent.next()).await.is_err());
		let mut live = subxt::ext::futures::stream::iter([42u32]);
		assert_eq!(tokio::time::timeout(limit, live.next()).await, Ok(Some(42)));
		let cli = parse(&["--csv", "x"]).unwrap();
		assert_eq!(cli.stall_timeout, 30);
		assert_eq!(parse(&["--csv", "x", "--stall-timeout", "5"]).unwrap().stall_timeout, 5);
		assert!(parse(&["--csv", "x", "--stall-timeout", "0"]).is_err());
	}

	#[test]
	fn a_lost_watch_resyncs_the_nonce() {
		let resync = AtomicBool::new(false);
		assert_eq!(after_watch(Outcome::Included, 3, &resync), Outcome::Included);
		assert!(!resync.load(Ordering::SeqCst));
		assert_eq!(after_watch(Outcome::Failed, 4, &resync), Outcome::Failed);
		assert!(!resync.load(Ordering::SeqCst));
		assert_eq!(after_watch(Outcome::Unknown, 5, &resync), Outcome::Unknown);
		assert!(resync.load(Ordering::SeqCst));
	}
}
