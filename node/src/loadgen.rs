//! `solvent-node loadgen`: a load generator that measures what traders feel.
//!
//! It pre-funds N accounts, pre-signs M extrinsics of one workload, submits them to one or
//! more nodes at a target rate, and reports: transactions included per second (from block
//! contents and block timestamps), p50/p95/p99 latency from submission to inclusion (first
//! best block containing it) and to finality, and block fullness (share of the normal-class
//! weight limit used).
//!
//! Written in Rust on the node's own runtime types (not `@polkadot/api`): signing 10,000+
//! sr25519 extrinsics takes well under a second here, where a JavaScript client spends most of
//! its time encoding and signing, which would cap the offered load below what the chain can
//! include.

mod liquidation;

use crate::client::{pair_from_suri, ChainClient};
use codec::{Decode, Encode};
use frame_support::{dispatch::PerDispatchClass, weights::Weight};
use jsonrpsee::{core::client::ClientT, rpc_params};
use solvent_runtime::{self as runtime, AccountId, RuntimeCall};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_io::hashing::{blake2_128, blake2_256, twox_128};
use sp_runtime::FixedPointNumber;
use std::{
	collections::{BTreeMap, HashMap},
	path::PathBuf,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

/// The workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
	/// `balances.transfer_keep_alive`: the baseline every Substrate chain quotes.
	Transfer,
	/// `margin.deposit` of 1 USD (senders are given USD tokens first).
	Deposit,
	/// `options.place_order` of a buy that rests in the book (GTC, 1 USD, one contract), spread
	/// over enough series that no book side fills up.
	OrderRest,
	/// `options.place_order` of an immediate-or-cancel buy that matches a maker's resting sell.
	OrderMatch,
	/// `priceOracle.feed_values` (BTC spot and implied vol) from every sender, made a feeder
	/// through Sudo (the feeder set is bounded: 16 on dev, 5 of them taken by the genesis
	/// feeders, so use `--accounts 11` or fewer there). A feeder may feed once per block, so
	/// the senders feed in rounds: the next round is signed when the previous one is included.
	Feed,
	/// Liquidation at scale: `--count` option writers, then two BTC price drops that make a
	/// tenth and then half of them liquidatable; reports the blocks until the offchain
	/// workers' batches liquidated them all, the weight per block and the finality lag
	/// meanwhile ([`liquidation`]).
	Liquidation,
}

/// Premium (USD units) of the resting buys of `order-rest` (1 USD: never crosses).
const REST_PREMIUM: u128 = 1_000_000;
/// Premium (USD units) of the maker's sell in `order-match` (2 USD per 0.01 BTC call).
const MATCH_PREMIUM: u128 = 2_000_000;
/// Resting orders per series side the workload uses (the runtime allows 64).
const ORDERS_PER_BOOK_SIDE: u32 = 60;
/// Resting orders per account the workload uses (the runtime allows 32).
const ORDERS_PER_ACCOUNT: u32 = 30;
/// USD units per whole USD.
const USD: u128 = 1_000_000;

/// The option series of an order workload.
#[derive(Default)]
struct Market {
	series: Vec<u32>,
}

/// Options of `solvent-node loadgen`.
#[derive(Debug, Clone, clap::Parser)]
pub struct LoadGenCmd {
	/// WebSocket RPC endpoints; transactions are spread round-robin over them; the first one
	/// is watched for blocks.
	#[arg(long, default_value = "ws://127.0.0.1:9944", value_delimiter = ',')]
	pub rpc: Vec<String>,
	/// The workload.
	#[arg(long, value_enum, default_value_t = Workload::Transfer)]
	pub workload: Workload,
	/// Number of sender accounts (derived from `//loadgen//<seed>//<i>`).
	#[arg(long, default_value_t = 200)]
	pub accounts: u32,
	/// Number of extrinsics to send.
	#[arg(long, default_value_t = 2000)]
	pub count: u32,
	/// Target submission rate (extrinsics per second).
	#[arg(long, default_value_t = 500)]
	pub rate: u32,
	/// Seed of the sender accounts (fresh accounts per run keep nonces simple).
	#[arg(long, default_value_t = 0)]
	pub seed: u64,
	/// Secret URI of the account that funds the senders.
	#[arg(long, default_value = "//Alice")]
	pub funder: String,
	/// Give up waiting for inclusion/finality after this many seconds.
	#[arg(long, default_value_t = 300)]
	pub timeout: u64,
	/// Write the results as JSON to this file.
	#[arg(long)]
	pub json: Option<PathBuf>,
	/// Order and deposit workloads: oracle feeders that keep BTC spot (50,000 USD) and implied
	/// vol (80%) fresh during the run (the dev and local presets' quorum is 3).
	#[arg(long, default_value = "//Bob,//Charlie,//Dave", value_delimiter = ',')]
	pub feeders: Vec<String>,
}

struct Tracked {
	submitted: HashMap<H256, Instant>,
	included: HashMap<H256, (Instant, u32)>,
	finalized: HashMap<H256, Instant>,
	/// block number -> (hash, our extrinsics in it, timestamp ms, normal weight used ref_time)
	blocks: BTreeMap<u32, (H256, u32, u64, u64)>,
	/// Outcome of the extrinsics in the blocks holding ours: failed extrinsics and fills.
	outcomes: Outcomes,
}

/// What the blocks holding our extrinsics say happened (from `System.Events`), so that a run
/// whose extrinsics failed or did not match is not read as throughput.
#[derive(Default, Debug, Clone, Copy, serde::Serialize)]
struct Outcomes {
	/// `System.ExtrinsicFailed` events.
	failed: u32,
	/// `Options.OrderFilled` events.
	fills: u32,
	/// `Options.OrderCancelled` events.
	cancels: u32,
}

fn storage_key(pallet: &str, item: &str) -> String {
	let mut k = twox_128(pallet.as_bytes()).to_vec();
	k.extend(twox_128(item.as_bytes()));
	format!("0x{}", hex::encode(k))
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
	if sorted.is_empty() {
		return None;
	}
	let idx = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
	sorted.get(idx.min(sorted.len() - 1)).copied()
}

impl LoadGenCmd {
	/// Run the load test.
	pub fn run(&self) -> Result<(), String> {
		if self.accounts == 0 || self.count == 0 || self.rate == 0 {
			return Err("--accounts, --count and --rate must be positive".into());
		}
		if self.rpc.is_empty() {
			return Err("--rpc needs at least one endpoint".into());
		}
		let rt = tokio::runtime::Builder::new_multi_thread()
			.enable_all()
			.build()
			.map_err(|e| format!("cannot start async runtime: {e}"))?;
		if self.workload == Workload::Liquidation {
			return rt.block_on(self.run_liquidation());
		}
		rt.block_on(self.run_async())
	}

	fn sender(&self, i: u32) -> Result<sr25519::Pair, String> {
		pair_from_suri(&format!("//loadgen//{}//{}", self.seed, i))
	}

	fn call(&self, _i: u32, k: u32, to: &AccountId, market: &Market) -> RuntimeCall {
		let series = |k: u32| {
			market.series.get((k as usize) % market.series.len().max(1)).copied().unwrap_or(0)
		};
		match self.workload {
			// `liquidation` signs its own extrinsics (`liquidation::run_liquidation`).
			Workload::Transfer | Workload::Liquidation => {
				RuntimeCall::Balances(runtime::BalancesCall::transfer_keep_alive {
					dest: to.clone().into(),
					value: runtime::EXISTENTIAL_DEPOSIT,
				})
			}
			Workload::Deposit => RuntimeCall::Margin(runtime::MarginCall::deposit {
				asset: solvent_primitives::assets::USD,
				amount: USD,
			}),
			Workload::OrderRest => RuntimeCall::Options(runtime::OptionsCall::place_order {
				series: series(k / ORDERS_PER_BOOK_SIDE),
				side: solvent_primitives::Side::Buy,
				limit_premium: REST_PREMIUM,
				quantity: 1,
				time_in_force: pallet_options::TimeInForce::GoodTilCancelled,
			}),
			Workload::OrderMatch => RuntimeCall::Options(runtime::OptionsCall::place_order {
				series: series(0),
				side: solvent_primitives::Side::Buy,
				limit_premium: MATCH_PREMIUM,
				quantity: 1,
				time_in_force: pallet_options::TimeInForce::ImmediateOrCancel,
			}),
			Workload::Feed => feed_call(k),
		}
	}

	fn is_order_workload(&self) -> bool {
		matches!(self.workload, Workload::OrderRest | Workload::OrderMatch)
	}

	async fn run_async(&self) -> Result<(), String> {
		let mut clients = Vec::new();
		for url in &self.rpc {
			clients.push(Arc::new(ChainClient::connect(url).await?));
		}
		let main = clients[0].clone();
		let t0 = Instant::now();
		let senders: Vec<sr25519::Pair> =
			(0..self.accounts).map(|i| self.sender(i)).collect::<Result<_, _>>()?;
		let ids: Vec<AccountId> = senders.iter().map(|p| AccountId::from(p.public())).collect();
		eprintln!("loadgen: {} accounts derived in {:?}", ids.len(), t0.elapsed());

		if self.workload == Workload::OrderRest && self.count > self.accounts * ORDERS_PER_ACCOUNT {
			return Err(format!(
				"order-rest: at most {ORDERS_PER_ACCOUNT} resting orders per account: use --accounts >= {}",
				self.count.div_ceil(ORDERS_PER_ACCOUNT)
			));
		}
		// Fund the senders with SLV for fees (from --funder), and wait for inclusion.
		self.setup(&main, &ids).await?;
		if self.workload == Workload::Feed {
			self.add_feeders(&main, &ids).await?;
		}
		// Order workloads: fresh prices every block, margin cash, series and a maker.
		let feeding = if self.is_order_workload() {
			let price = Arc::new(std::sync::atomic::AtomicU32::new(50_000));
			Some(tokio::spawn(feed_prices(main.clone(), self.feeders.clone(), price)))
		} else {
			None
		};
		let market = match self.workload {
			Workload::Transfer | Workload::Deposit | Workload::Feed => Market::default(),
			_ => self.setup_market(&main, &senders).await?,
		};

		// Pre-sign.
		let t1 = Instant::now();
		let mut nonces = Vec::with_capacity(ids.len());
		for id in &ids {
			nonces.push(main.next_nonce(id).await?);
		}
		let sink = AccountId::from(pair_from_suri("//loadgen//sink")?.public());
		let mut xts = Vec::with_capacity(self.count as usize);
		for k in 0..self.count {
			let i = k % self.accounts;
			let nonce = nonces[i as usize] + k / self.accounts;
			let xt = main.sign(self.call(i, k, &sink, &market), &senders[i as usize], nonce);
			let bytes = xt.encode();
			xts.push((H256::from(blake2_256(&bytes)), format!("0x{}", hex::encode(&bytes))));
		}
		let sign_secs = t1.elapsed().as_secs_f64();
		eprintln!("loadgen: {} extrinsics signed in {:.2} s", xts.len(), sign_secs);

		// Watch blocks on the first node.
		let tracked = Arc::new(Mutex::new(Tracked {
			submitted: HashMap::new(),
			included: HashMap::new(),
			finalized: HashMap::new(),
			blocks: BTreeMap::new(),
			outcomes: Outcomes::default(),
		}));
		let watcher = tokio::spawn(watch(main.clone(), tracked.clone()));

		// Submit at the target rate, round-robin over the nodes.
		let start = Instant::now();
		let interval = Duration::from_secs_f64(1.0 / self.rate as f64);
		let mut errors = 0u32;
		let mut pending = Vec::new();
		let round = self.accounts as usize;
		for (n, (hash, hex)) in xts.into_iter().enumerate() {
			if self.workload == Workload::Feed && n >= round && n % round == 0 {
				// One feed per feeder per block: wait for the previous round's inclusion.
				let deadline = Instant::now() + Duration::from_secs(self.timeout);
				loop {
					let included = {
						let t = tracked.lock().map_err(|_| "lock")?;
						t.submitted.keys().filter(|h| t.included.contains_key(*h)).count()
					};
					if included >= n || Instant::now() > deadline {
						break;
					}
					tokio::time::sleep(Duration::from_millis(50)).await;
				}
			}
			let due = start + interval * n as u32;
			let now = Instant::now();
			if due > now {
				tokio::time::sleep(due - now).await;
			}
			tracked.lock().map_err(|_| "lock")?.submitted.insert(hash, Instant::now());
			let client = clients[n % clients.len()].clone();
			pending.push(tokio::spawn(async move {
				client
					.rpc
					.request::<H256, _>("author_submitExtrinsic", rpc_params![hex])
					.await
					.map_err(|e| e.to_string())
			}));
		}
		for p in pending {
			if !matches!(p.await, Ok(Ok(_))) {
				errors += 1;
			}
		}
		let submit_secs = start.elapsed().as_secs_f64();
		eprintln!("loadgen: submitted in {:.2} s ({} rejected by the pool)", submit_secs, errors);

		// Wait for inclusion and finality.
		let deadline = Instant::now() + Duration::from_secs(self.timeout);
		loop {
			{
				let t = tracked.lock().map_err(|_| "lock")?;
				let want = t.submitted.len() - errors as usize;
				if t.finalized.len() >= want || Instant::now() > deadline {
					break;
				}
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
		watcher.abort();
		if let Some(f) = feeding {
			f.abort();
		}
		let t = tracked.lock().map_err(|_| "lock")?;
		self.report(&t, errors, sign_secs, submit_secs)
	}

	async fn setup(&self, main: &ChainClient, ids: &[AccountId]) -> Result<(), String> {
		let funder = pair_from_suri(&self.funder)?;
		let funder_id = AccountId::from(funder.public());
		let mut nonce = main.next_nonce(&funder_id).await?;
		let fund = 10 * runtime::UNIT;
		for id in ids {
			let call = RuntimeCall::Balances(runtime::BalancesCall::transfer_keep_alive {
				dest: id.clone().into(),
				value: fund,
			});
			main.submit(&main.sign(call, &funder, nonce)).await?;
			nonce += 1;
			if self.workload != Workload::Transfer {
				// Only what the workload spends (the funder's 10,000,000 USD must last a whole
				// `bench-loadgen.sh` run): 10 deposits of 1 USD, or a 5,000 USD margin deposit
				// plus premiums.
				let amount =
					if self.workload == Workload::Deposit { 100 * USD } else { 5_100 * USD };
				let call = RuntimeCall::Assets(runtime::AssetsCall::transfer_keep_alive {
					id: solvent_primitives::assets::USD.into(),
					target: id.clone().into(),
					amount,
				});
				main.submit(&main.sign(call, &funder, nonce)).await?;
				nonce += 1;
			}
		}
		// Done when the funder's on-chain nonce reached ours.
		let deadline = Instant::now() + Duration::from_secs(self.timeout);
		loop {
			let key = system_account_key(&funder_id);
			let raw: Option<String> = main
				.rpc
				.request("state_getStorage", rpc_params![key])
				.await
				.map_err(|e| e.to_string())?;
			let on_chain = raw
				.and_then(|h| hex::decode(h.trim_start_matches("0x")).ok())
				.and_then(|b| u32::decode(&mut &b[..]).ok())
				.unwrap_or(0);
			if on_chain >= nonce {
				break;
			}
			if Instant::now() > deadline {
				return Err("funding transactions not included in time".into());
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
		eprintln!("loadgen: funded {} accounts", ids.len());
		Ok(())
	}

	fn report(
		&self,
		t: &Tracked,
		errors: u32,
		sign_secs: f64,
		submit_secs: f64,
	) -> Result<(), String> {
		let mut incl: Vec<f64> = t
			.included
			.iter()
			.filter_map(|(h, (at, _))| {
				t.submitted.get(h).map(|s| (*at - *s).as_secs_f64() * 1000.0)
			})
			.collect();
		let mut fin: Vec<f64> = t
			.finalized
			.iter()
			.filter_map(|(h, at)| t.submitted.get(h).map(|s| (*at - *s).as_secs_f64() * 1000.0))
			.collect();
		incl.sort_by(|a, b| a.total_cmp(b));
		fin.sort_by(|a, b| a.total_cmp(b));
		// Throughput from block contents: our extrinsics in blocks from the first to the last
		// block holding any, over the timestamps of those blocks (one block time added for the
		// first block's own interval).
		let ours: Vec<_> = t.blocks.iter().filter(|(_, b)| b.1 > 0).collect();
		let (tps, blocks_used, fullness) = match (ours.first(), ours.last()) {
			(Some((n0, b0)), Some((n1, b1))) => {
				let total: u32 = ours.iter().map(|(_, b)| b.1).sum();
				let span_ms = (b1.2.saturating_sub(b0.2) + runtime::MILLI_SECS_PER_BLOCK) as f64;
				let max = runtime::configs::RuntimeBlockWeights::get()
					.get(frame_support::dispatch::DispatchClass::Normal)
					.max_total
					.map(|w| w.ref_time())
					.unwrap_or(1) as f64;
				let full: Vec<f64> = ours.iter().map(|(_, b)| b.3 as f64 / max * 100.0).collect();
				let mean = full.iter().sum::<f64>() / full.len() as f64;
				let maxf = full.iter().cloned().fold(0.0, f64::max);
				(total as f64 / (span_ms / 1000.0), (*n1 - *n0 + 1), (mean, maxf))
			}
			_ => (0.0, 0, (0.0, 0.0)),
		};
		// Steady state: the median of our extrinsics per block over the blocks strictly between
		// the first and the last holding any (the ramp-up and tail blocks are partly empty).
		let inner: Vec<u32> = if ours.len() > 2 {
			ours[1..ours.len() - 1].iter().map(|(_, b)| b.1).collect()
		} else {
			Vec::new()
		};
		let steady_per_block = {
			let mut v: Vec<f64> = inner.iter().map(|x| *x as f64).collect();
			v.sort_by(|a, b| a.total_cmp(b));
			percentile(&v, 50.0)
		};
		let steady_tps =
			steady_per_block.map(|b| b * 1000.0 / runtime::MILLI_SECS_PER_BLOCK as f64);
		let r = serde_json::json!({
			"workload": self.workload,
			"nodes": self.rpc,
			"accounts": self.accounts,
			"sent": self.count,
			"target_rate_per_s": self.rate,
			"rejected_by_pool": errors,
			"included": t.included.len(),
			"finalized": t.finalized.len(),
			"sign_seconds": sign_secs,
			"submit_seconds": submit_secs,
			"blocks_spanned": blocks_used,
			"included_per_second": tps,
			"steady_per_block_median": steady_per_block,
			"steady_included_per_second": steady_tps,
			"inner_blocks": inner.len(),
			"inclusion_latency_ms": {"p50": percentile(&incl, 50.0), "p95": percentile(&incl, 95.0), "p99": percentile(&incl, 99.0)},
			"finality_latency_ms": {"p50": percentile(&fin, 50.0), "p95": percentile(&fin, 95.0), "p99": percentile(&fin, 99.0)},
			"block_fullness_percent": {"mean": fullness.0, "max": fullness.1},
			"outcomes": t.outcomes,
		});
		let f = |v: Option<f64>| v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into());
		println!("| workload | sent | included | finalized | incl/s | steady incl/s | incl p50/p95/p99 ms | final p50/p95/p99 ms | fullness mean/max % |");
		println!("|---|---|---|---|---|---|---|---|---|");
		println!(
			"| {:?} | {} | {} | {} | {:.1} | {} | {}/{}/{} | {}/{}/{} | {:.1}/{:.1} |",
			self.workload,
			self.count,
			t.included.len(),
			t.finalized.len(),
			tps,
			f(steady_tps),
			f(percentile(&incl, 50.0)),
			f(percentile(&incl, 95.0)),
			f(percentile(&incl, 99.0)),
			f(percentile(&fin, 50.0)),
			f(percentile(&fin, 95.0)),
			f(percentile(&fin, 99.0)),
			fullness.0,
			fullness.1,
		);
		println!(
			"outcomes in those blocks: {} failed extrinsics, {} order fills, {} order cancellations",
			t.outcomes.failed, t.outcomes.fills, t.outcomes.cancels
		);
		if let Some(p) = &self.json {
			std::fs::write(p, serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?)
				.map_err(|e| format!("cannot write {}: {e}", p.display()))?;
		}
		// A run whose orders did not match (e.g. the maker could not be funded) or whose
		// extrinsics failed measures something else: say so and fail.
		let included = t.included.len() as u32;
		if self.workload == Workload::OrderMatch && t.outcomes.fills < included {
			return Err(format!(
				"order-match: only {} of {included} orders filled: not a matching workload",
				t.outcomes.fills
			));
		}
		if t.outcomes.failed > 0 {
			return Err(format!("{} extrinsics failed in the measured blocks", t.outcomes.failed));
		}
		Ok(())
	}
}

impl LoadGenCmd {
	/// Order workloads: each sender deposits 5,000 USD of margin; the funder (sudo) lists the
	/// series; for `order-match` a maker account rests one sell of `count` contracts.
	async fn setup_market(
		&self,
		main: &ChainClient,
		senders: &[sr25519::Pair],
	) -> Result<Market, String> {
		// Wait for prices so that margin checks pass.
		tokio::time::sleep(Duration::from_secs(7)).await;
		let mut waits = Vec::new();
		for pair in senders {
			let id = AccountId::from(pair.public());
			let nonce = main.next_nonce(&id).await?;
			let call = RuntimeCall::Margin(runtime::MarginCall::deposit {
				asset: solvent_primitives::assets::USD,
				amount: 5_000 * USD,
			});
			main.submit(&main.sign(call, pair, nonce)).await?;
			waits.push((id, nonce + 1));
		}
		// Series: expiry on the grid, at least 10 intervals ahead.
		let params: pallet_options::OptionsParams =
			decode_storage(main, storage_key("Options", "Params")).await?;
		let now: u64 = decode_storage(main, storage_key("Timestamp", "Now")).await?;
		let base = now + params.min_time_to_expiry + 10 * params.expiry_interval;
		let expiry = base - base % params.expiry_interval + params.expiry_offset;
		let (n_series, size, kind, first_strike) = match self.workload {
			Workload::OrderRest => (
				self.count.div_ceil(ORDERS_PER_BOOK_SIDE),
				1u128,
				solvent_primitives::OptionKind::Put,
				30_000u128,
			),
			_ => (1, 100, solvent_primitives::OptionKind::Call, 80_000),
		};
		let funder = pair_from_suri(&self.funder)?;
		let funder_id = AccountId::from(funder.public());
		let mut nonce = main.next_nonce(&funder_id).await?;
		let mut terms = Vec::new();
		for j in 0..n_series {
			let strike =
				sp_runtime::FixedU128::saturating_from_integer(first_strike + 500 * j as u128);
			// contract size 1 / `size` BTC
			let contract_size = sp_runtime::FixedU128::from_rational(1, size);
			let call = RuntimeCall::Sudo(runtime::SudoCall::sudo {
				call: Box::new(RuntimeCall::Options(runtime::OptionsCall::list_series {
					underlying: solvent_primitives::assets::BTC,
					kind,
					strike,
					expiry,
					contract_size,
				})),
			});
			main.submit(&main.sign(call, &funder, nonce)).await?;
			nonce += 1;
			terms.push(pallet_options::SeriesTerms {
				underlying: solvent_primitives::assets::BTC,
				kind,
				strike,
				expiry,
				contract_size,
			});
		}
		let mut market = Market::default();
		let deadline = Instant::now() + Duration::from_secs(self.timeout);
		for t in &terms {
			market.series.push(series_id(main, t, deadline).await?);
		}
		if self.workload == Workload::OrderMatch {
			let maker = pair_from_suri(&format!("//loadgen//{}//maker", self.seed))?;
			let maker_id = AccountId::from(maker.public());
			for call in [
				RuntimeCall::Balances(runtime::BalancesCall::transfer_keep_alive {
					dest: maker_id.clone().into(),
					value: 10 * runtime::UNIT,
				}),
				RuntimeCall::Assets(runtime::AssetsCall::transfer_keep_alive {
					id: solvent_primitives::assets::USD.into(),
					target: maker_id.clone().into(),
					amount: 1_000_000 * USD,
				}),
			] {
				main.submit(&main.sign(call, &funder, nonce)).await?;
				nonce += 1;
			}
			wait_nonce(main, &funder_id, nonce, deadline).await?;
			let m0 = main.next_nonce(&maker_id).await?;
			main.submit(&main.sign(
				RuntimeCall::Margin(runtime::MarginCall::deposit {
					asset: solvent_primitives::assets::USD,
					amount: 1_000_000 * USD,
				}),
				&maker,
				m0,
			))
			.await?;
			main.submit(&main.sign(
				RuntimeCall::Options(runtime::OptionsCall::place_order {
					series: market.series[0],
					side: solvent_primitives::Side::Sell,
					limit_premium: MATCH_PREMIUM,
					quantity: self.count as u64,
					time_in_force: pallet_options::TimeInForce::GoodTilCancelled,
				}),
				&maker,
				m0 + 1,
			))
			.await?;
			wait_nonce(main, &maker_id, m0 + 2, deadline).await?;
		}
		for (id, n) in waits {
			wait_nonce(main, &id, n, deadline).await?;
		}
		eprintln!("loadgen: market ready: series {:?}", market.series);
		Ok(market)
	}
}

/// The `k`-th feed of the `feed` workload: BTC spot around 50,000 USD (moving by 1 USD per
/// round, well inside the circuit breaker's band) and implied vol 80%.
fn feed_call(k: u32) -> RuntimeCall {
	let values = frame_support::BoundedVec::truncate_from(vec![
		(
			solvent_primitives::OracleKey::Spot(solvent_primitives::assets::BTC),
			sp_runtime::FixedU128::from_u32(50_000 + k % 100),
		),
		(
			solvent_primitives::OracleKey::ImpliedVol(solvent_primitives::assets::BTC),
			sp_runtime::FixedU128::from_rational(8, 10),
		),
	]);
	RuntimeCall::PriceOracle(runtime::PriceOracleCall::feed_values { values })
}

impl LoadGenCmd {
	/// `feed` workload: make every sender a feeder through Sudo (`--funder` must be the sudo
	/// key), and wait until they are.
	async fn add_feeders(&self, main: &ChainClient, ids: &[AccountId]) -> Result<(), String> {
		let funder = pair_from_suri(&self.funder)?;
		let funder_id = AccountId::from(funder.public());
		let mut nonce = main.next_nonce(&funder_id).await?;
		let current: Vec<AccountId> =
			decode_storage(main, storage_key("PriceOracle", "Feeders")).await.unwrap_or_default();
		for id in ids.iter().filter(|id| !current.contains(id)) {
			let call = RuntimeCall::Sudo(runtime::SudoCall::sudo {
				call: Box::new(RuntimeCall::PriceOracle(runtime::PriceOracleCall::add_feeder {
					who: id.clone(),
				})),
			});
			main.submit(&main.sign(call, &funder, nonce)).await?;
			nonce += 1;
		}
		let deadline = Instant::now() + Duration::from_secs(self.timeout);
		wait_nonce(main, &funder_id, nonce, deadline).await?;
		let now: Vec<AccountId> =
			decode_storage(main, storage_key("PriceOracle", "Feeders")).await.unwrap_or_default();
		let missing = ids.iter().filter(|id| !now.contains(id)).count();
		if missing > 0 {
			return Err(format!(
				"feed: {missing} of {} senders could not be made feeders (the feeder set holds \
				 {} of at most 16; use fewer --accounts, and --funder must be the sudo key)",
				ids.len(),
				now.len()
			));
		}
		eprintln!("loadgen: {} feeders added", ids.len());
		Ok(())
	}
}

/// Decode the value at storage `key` (at the best block).
async fn decode_storage<T: Decode>(client: &ChainClient, key: String) -> Result<T, String> {
	let raw: Option<String> = client
		.rpc
		.request("state_getStorage", rpc_params![key])
		.await
		.map_err(|e| e.to_string())?;
	let bytes = raw
		.and_then(|h| hex::decode(h.trim_start_matches("0x")).ok())
		.ok_or_else(|| "storage value missing".to_string())?;
	T::decode(&mut &bytes[..]).map_err(|e| format!("cannot decode storage: {e}"))
}

/// Wait until `who`'s on-chain nonce reaches `nonce`.
async fn wait_nonce(
	client: &ChainClient,
	who: &AccountId,
	nonce: u32,
	deadline: Instant,
) -> Result<(), String> {
	loop {
		let on_chain: u32 = decode_storage(client, system_account_key(who)).await.unwrap_or(0);
		if on_chain >= nonce {
			return Ok(());
		}
		if Instant::now() > deadline {
			return Err("setup transactions not included in time".into());
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// The id of the listed series with `terms`, once its listing is included.
async fn series_id(
	main: &ChainClient,
	terms: &pallet_options::SeriesTerms,
	deadline: Instant,
) -> Result<u32, String> {
	let enc = terms.encode();
	let mut key = hex::decode(storage_key("Options", "SeriesIndex").trim_start_matches("0x"))
		.unwrap_or_default();
	key.extend(blake2_128(&enc));
	key.extend(enc);
	let key = format!("0x{}", hex::encode(key));
	loop {
		if let Ok(id) = decode_storage::<u32>(main, key.clone()).await {
			return Ok(id);
		}
		if Instant::now() > deadline {
			return Err("series listing not included in time (is --funder the sudo key?)".into());
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// Feed BTC spot `price` (USD; read before every round) and implied vol 80% from every feeder,
/// once per block.
async fn feed_prices(
	client: Arc<ChainClient>,
	feeders: Vec<String>,
	price: Arc<std::sync::atomic::AtomicU32>,
) -> Result<(), String> {
	let pairs: Vec<sr25519::Pair> =
		feeders.iter().map(|s| pair_from_suri(s)).collect::<Result<_, _>>()?;
	loop {
		for pair in &pairs {
			let id = AccountId::from(pair.public());
			let Ok(nonce) = client.next_nonce(&id).await else { continue };
			let values = frame_support::BoundedVec::truncate_from(vec![
				(
					solvent_primitives::OracleKey::Spot(solvent_primitives::assets::BTC),
					sp_runtime::FixedU128::from_u32(
						price.load(std::sync::atomic::Ordering::Relaxed),
					),
				),
				(
					solvent_primitives::OracleKey::ImpliedVol(solvent_primitives::assets::BTC),
					sp_runtime::FixedU128::from_rational(8, 10),
				),
			]);
			let call = RuntimeCall::PriceOracle(runtime::PriceOracleCall::feed_values { values });
			let _ = client.submit(&client.sign(call, pair, nonce)).await;
		}
		tokio::time::sleep(Duration::from_millis(runtime::MILLI_SECS_PER_BLOCK)).await;
	}
}

fn system_account_key(who: &AccountId) -> String {
	// System.Account is a Blake2_128Concat map; AccountInfo starts with the nonce (u32).
	let mut k =
		hex::decode(storage_key("System", "Account").trim_start_matches("0x")).unwrap_or_default();
	let enc = who.encode();
	k.extend(blake2_128(&enc));
	k.extend(enc);
	format!("0x{}", hex::encode(k))
}

async fn watch(client: Arc<ChainClient>, tracked: Arc<Mutex<Tracked>>) -> Result<(), String> {
	let mut heads = client.subscribe_new_heads().await?;
	let mut finals = client.subscribe_finalized_heads().await?;
	let weight_key = storage_key("System", "BlockWeight");
	let now_key = storage_key("Timestamp", "Now");
	let events_key = storage_key("System", "Events");
	loop {
		tokio::select! {
			Some(Ok(h)) = heads.next() => {
				let seen = Instant::now();
				let hash = h.hash();
				let block: serde_json::Value = client.rpc.request("chain_getBlock", rpc_params![hash]).await.map_err(|e| e.to_string())?;
				let xts = block["block"]["extrinsics"].as_array().cloned().unwrap_or_default();
				let weight = PerDispatchClass::<Weight>::decode(&mut &client.storage_at(&weight_key, hash).await[..]).map(|w| w.get(frame_support::dispatch::DispatchClass::Normal).ref_time()).unwrap_or(0);
				let now = u64::decode(&mut &client.storage_at(&now_key, hash).await[..]).unwrap_or(0);
				let ours = {
					let mut t = tracked.lock().map_err(|_| "lock")?;
					let mut ours = 0;
					for x in xts {
						if let Some(b) = x.as_str().and_then(|s| hex::decode(s.trim_start_matches("0x")).ok()) {
							let xh = H256::from(blake2_256(&b));
							if t.submitted.contains_key(&xh) && !t.included.contains_key(&xh) {
								t.included.insert(xh, (seen, h.number));
								ours += 1;
							}
						}
					}
					t.blocks.insert(h.number, (hash, ours, now, weight));
					ours
				};
				if ours > 0 {
					let raw = client.storage_at(&events_key, hash).await;
					let events = Vec::<frame_system::EventRecord<runtime::RuntimeEvent, H256>>::decode(&mut &raw[..]).unwrap_or_default();
					let mut t = tracked.lock().map_err(|_| "lock")?;
					for e in events {
						match e.event {
							runtime::RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { .. }) => t.outcomes.failed += 1,
							runtime::RuntimeEvent::Options(pallet_options::Event::OrderFilled { .. }) => t.outcomes.fills += 1,
							runtime::RuntimeEvent::Options(pallet_options::Event::OrderCancelled { .. }) => t.outcomes.cancels += 1,
							_ => {}
						}
					}
				}
			}
			Some(Ok(f)) = finals.next() => {
				let seen = Instant::now();
				let mut t = tracked.lock().map_err(|_| "lock")?;
				let newly: Vec<H256> = t.included.iter().filter(|(h, (_, n))| *n <= f.number && !t.finalized.contains_key(*h)).map(|(h, _)| *h).collect();
				for h in newly { t.finalized.insert(h, seen); }
			}
			else => return Ok(()),
		}
	}
}
