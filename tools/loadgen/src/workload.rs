//! The throughput workloads, the chain watcher and the report.

use crate::{
	chain::{account, address, pair_from_suri, AccountId, Chain, Signed},
	events::{self, BlockEvents, BTC, FIXED_ONE},
	solvent::{
		self,
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec,
			pallet_options::types::TimeInForce,
			solvent_primitives::{OptionKind, OracleKey, Side},
			sp_arithmetic::fixed_point::FixedU128,
		},
	},
	Error,
};
use std::{
	collections::{BTreeMap, HashMap},
	path::PathBuf,
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};
use subxt::utils::H256;
use subxt_signer::sr25519::Keypair;

/// The workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
	/// `balances.transfer_keep_alive`: the baseline every Substrate chain quotes.
	Transfer,
	/// `margin.deposit` of 1 USD (senders are given USD tokens first and open their margin
	/// account with `MarginParams::min_deposit`, below which a first deposit is refused).
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
	/// meanwhile.
	Liquidation,
}

/// USD's asset id (`solvent_primitives::assets::USD`).
pub const USD_ASSET: u32 = 1;
/// USD units per whole USD (6 decimals).
pub const USD: u128 = 1_000_000;
/// Premium (USD units) of the resting buys of `order-rest` (1 USD: never crosses).
const REST_PREMIUM: u128 = USD;
/// Premium (USD units) of the maker's sell in `order-match` (2 USD per 0.01 BTC call).
const MATCH_PREMIUM: u128 = 2 * USD;
/// Resting orders per series side the workload uses (the runtime allows 64).
const ORDERS_PER_BOOK_SIDE: u32 = 60;
/// Resting orders per account the workload uses (the runtime allows 32).
const ORDERS_PER_ACCOUNT: u32 = 30;
/// Fee tokens (SLV, 12 decimals) given to each sender: 10 SLV.
pub const FEE_FUNDS: u128 = 10_000_000_000_000;

/// `solvent-loadgen`: pre-signs a workload, submits it at a target rate, reports throughput,
/// inclusion/finality latency and block fullness.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "solvent-loadgen", version)]
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
	/// Secret URI of the account that funds the senders (and, for the order, feed and
	/// liquidation workloads, the Sudo key).
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

/// One best block, as the watcher saw it when it was imported.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BlockStats {
	/// Block number.
	pub number: u32,
	/// Our measured extrinsics in it.
	#[serde(skip)]
	pub ours: u32,
	/// `Timestamp.Now` (ms).
	#[serde(skip)]
	pub timestamp_ms: u64,
	/// Best number minus finalized number when the block was imported.
	pub finality_lag_blocks: u32,
	/// Milliseconds from the block's import to its finalization (None: not seen finalized).
	pub finalized_after_ms: Option<f64>,
	/// `Margin.Liquidated` events.
	pub liquidated: u32,
	/// `Options.OrderFilled` events.
	pub fills: u32,
	/// `Options.OrderCancelled` events.
	#[serde(skip)]
	pub cancels: u32,
	/// `System.ExtrinsicFailed` events.
	pub failed: u32,
	/// Operational-class weight used (ms of ref time).
	pub operational_ms: f64,
	/// Normal-class weight used (ms of ref time).
	pub normal_ms: f64,
	/// Normal-class weight used (ref time, ps).
	#[serde(skip)]
	pub normal_ref_time: u64,
	/// BTC spot aggregated in this block (USD), if it changed.
	pub btc_spot: Option<u32>,
	/// The oracle's circuit breaker tripped on BTC spot in this block (the price is halted:
	/// nobody is liquidated on it).
	pub btc_breaker_tripped: bool,
	#[serde(skip)]
	pub imported: Option<Instant>,
}

/// What the watcher recorded.
#[derive(Default)]
pub struct Tracked {
	/// Measured extrinsics and when each was submitted.
	pub submitted: HashMap<H256, Instant>,
	/// Measured extrinsics seen in a best block: when, and the block number.
	pub included: HashMap<H256, (Instant, u32)>,
	/// Measured extrinsics seen finalized.
	pub finalized: HashMap<H256, Instant>,
	/// Setup extrinsics waited for, and their outcome once included.
	pub setup: HashMap<H256, Option<Result<(), String>>>,
	/// Every best block seen.
	pub blocks: BTreeMap<u32, BlockStats>,
	/// The highest finalized block number seen.
	pub finalized_number: u32,
	/// Outcomes in the blocks holding measured extrinsics.
	pub outcomes: Outcomes,
	/// Why the watcher stopped, if it did.
	pub error: Option<String>,
}

/// What the blocks holding our extrinsics say happened (from `System.Events`), so that a run
/// whose extrinsics failed or did not match is not read as throughput.
#[derive(Default, Debug, Clone, Copy, serde::Serialize)]
pub struct Outcomes {
	/// `System.ExtrinsicFailed` events.
	pub failed: u32,
	/// `Options.OrderFilled` events.
	pub fills: u32,
	/// `Options.OrderCancelled` events.
	pub cancels: u32,
}

/// Shared watcher state.
pub type Shared = Arc<Mutex<Tracked>>;

/// Lock the shared state (a poisoned lock is an error).
pub fn lock(t: &Shared) -> Result<std::sync::MutexGuard<'_, Tracked>, Error> {
	t.lock().map_err(|_| "watcher state poisoned".to_string())
}

/// The `p`-th percentile of `sorted` (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
	if sorted.is_empty() {
		return None;
	}
	let idx = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
	sorted.get(idx.min(sorted.len() - 1)).copied()
}

/// Format an optional figure as a whole number, `-` when absent.
pub fn fmt0(v: Option<f64>) -> String {
	v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into())
}

/// Chain constants the report needs, read from the node's metadata.
pub struct ChainFacts {
	/// Block time (ms): twice `Timestamp.MinimumPeriod`.
	pub block_ms: u64,
	/// Normal-class weight limit per block (ref time).
	pub max_normal_ref_time: u64,
	/// `Balances.ExistentialDeposit`.
	pub existential_deposit: u128,
}

impl ChainFacts {
	/// Read the constants at the current block.
	pub async fn read(chain: &Chain) -> Result<Self, Error> {
		let at = chain.api.at_current_block().await.map_err(|e| e.to_string())?;
		let c = at.constants();
		let e = |e: subxt::error::ConstantError| format!("cannot read a runtime constant: {e}");
		let period = c.entry(solvent::constants().timestamp().minimum_period()).map_err(e)?;
		let weights = c.entry(solvent::constants().system().block_weights()).map_err(e)?;
		let ed = c.entry(solvent::constants().balances().existential_deposit()).map_err(e)?;
		let max = weights
			.per_class
			.normal
			.max_total
			.map(|w| w.ref_time)
			.ok_or("the runtime sets no normal-class block weight limit")?;
		Ok(Self { block_ms: 2 * period, max_normal_ref_time: max, existential_deposit: ed })
	}
}

/// The runtime call `call` (for Sudo).
pub type RuntimeCall = solvent::runtime_types::solvent_runtime::RuntimeCall;

impl LoadGenCmd {
	/// Run the load test.
	pub fn run(&self) -> Result<(), Error> {
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
		rt.block_on(async {
			let mut clients = Vec::new();
			for url in &self.rpc {
				clients.push(Arc::new(Chain::connect(url).await?));
			}
			if self.workload == Workload::Liquidation {
				return self.run_liquidation(clients).await;
			}
			self.run_workload(clients).await
		})
	}

	/// The `i`-th sender.
	pub fn sender(&self, i: u32) -> Result<Keypair, Error> {
		pair_from_suri(&format!("//loadgen//{}//{}", self.seed, i))
	}

	fn is_order_workload(&self) -> bool {
		matches!(self.workload, Workload::OrderRest | Workload::OrderMatch)
	}

	async fn run_workload(&self, clients: Vec<Arc<Chain>>) -> Result<(), Error> {
		let main = clients[0].clone();
		let facts = ChainFacts::read(&main).await?;
		let t0 = Instant::now();
		let senders: Vec<Keypair> =
			(0..self.accounts).map(|i| self.sender(i)).collect::<Result<_, _>>()?;
		let ids: Vec<AccountId> = senders.iter().map(account).collect();
		eprintln!("loadgen: {} accounts derived in {:?}", ids.len(), t0.elapsed());

		if self.workload == Workload::OrderRest && self.count > self.accounts * ORDERS_PER_ACCOUNT {
			return Err(format!(
				"order-rest: at most {ORDERS_PER_ACCOUNT} resting orders per account: use --accounts >= {}",
				self.count.div_ceil(ORDERS_PER_ACCOUNT)
			));
		}
		let tracked: Shared = Arc::new(Mutex::new(Tracked::default()));
		let watcher = tokio::spawn(watch(main.clone(), tracked.clone()));
		let deadline = Instant::now() + Duration::from_secs(self.timeout);

		// Fund the senders with SLV for fees (from --funder), and wait for inclusion.
		self.setup(&main, &tracked, &ids, deadline).await?;
		if self.workload == Workload::Feed {
			self.add_feeders(&main, &ids).await?;
		}
		// Order workloads: fresh prices every block, margin cash, series and a maker.
		let feeding = if self.is_order_workload() {
			let price = Arc::new(AtomicU32::new(50_000));
			Some(tokio::spawn(feed_prices(main.clone(), self.feeders.clone(), price)))
		} else {
			None
		};
		let series = match self.workload {
			Workload::Transfer | Workload::Deposit | Workload::Feed => Vec::new(),
			_ => self.setup_market(&main, &tracked, &senders, deadline).await?,
		};

		// Pre-sign.
		let t1 = Instant::now();
		let mut nonces = Vec::with_capacity(ids.len());
		for id in &ids {
			nonces.push(main.next_nonce(id).await?);
		}
		let sink = account(&pair_from_suri("//loadgen//sink")?);
		let signer = main.signer().await?;
		let pick = |k: u32| series.get((k as usize) % series.len().max(1)).copied().unwrap_or(0);
		let mut xts = Vec::with_capacity(self.count as usize);
		for k in 0..self.count {
			let i = (k % self.accounts) as usize;
			let nonce = nonces[i] + u64::from(k / self.accounts);
			let tx = solvent::transactions();
			let signed = match self.workload {
				Workload::Transfer | Workload::Liquidation => signer.sign(
					&tx.balances().transfer_keep_alive(address(&sink), facts.existential_deposit),
					&senders[i],
					nonce,
				),
				Workload::Deposit => {
					signer.sign(&tx.margin().deposit(USD_ASSET, USD), &senders[i], nonce)
				}
				Workload::OrderRest => signer.sign(
					&tx.options().place_order(
						pick(k / ORDERS_PER_BOOK_SIDE),
						Side::Buy,
						REST_PREMIUM,
						1,
						TimeInForce::GoodTilCancelled,
					),
					&senders[i],
					nonce,
				),
				Workload::OrderMatch => signer.sign(
					&tx.options().place_order(
						pick(0),
						Side::Buy,
						MATCH_PREMIUM,
						1,
						TimeInForce::ImmediateOrCancel,
					),
					&senders[i],
					nonce,
				),
				Workload::Feed => signer.sign(&feed_call(50_000 + k % 100), &senders[i], nonce),
			}?;
			xts.push(signed);
		}
		let sign_secs = t1.elapsed().as_secs_f64();
		eprintln!("loadgen: {} extrinsics signed in {:.2} s", xts.len(), sign_secs);

		// Submit at the target rate, round-robin over the nodes.
		let start = Instant::now();
		let interval = Duration::from_secs_f64(1.0 / self.rate as f64);
		let mut pending = Vec::new();
		let round = self.accounts as usize;
		for (n, tx) in xts.into_iter().enumerate() {
			if self.workload == Workload::Feed && n >= round && n % round == 0 {
				// One feed per feeder per block: wait for the previous round's inclusion.
				let round_deadline = Instant::now() + Duration::from_secs(self.timeout);
				loop {
					let included = lock(&tracked)?.included.len();
					if included >= n || Instant::now() > round_deadline {
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
			lock(&tracked)?.submitted.insert(tx.hash, Instant::now());
			let client = clients[n % clients.len()].clone();
			pending.push(tokio::spawn(async move { client.submit(&tx).await }));
		}
		let mut errors = 0u32;
		let mut first_error = None;
		for p in pending {
			match p.await {
				Ok(Ok(_)) => {}
				Ok(Err(e)) => {
					errors += 1;
					first_error.get_or_insert(e);
				}
				Err(e) => {
					errors += 1;
					first_error.get_or_insert(e.to_string());
				}
			}
		}
		let submit_secs = start.elapsed().as_secs_f64();
		eprintln!("loadgen: submitted in {submit_secs:.2} s ({errors} rejected by the pool)");
		if let Some(e) = first_error {
			eprintln!("loadgen: first rejection: {e}");
		}

		// Wait for inclusion and finality.
		let deadline = Instant::now() + Duration::from_secs(self.timeout);
		loop {
			{
				let t = lock(&tracked)?;
				if let Some(e) = &t.error {
					return Err(e.clone());
				}
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
		let t = lock(&tracked)?;
		self.report(&t, &facts, errors, sign_secs, submit_secs)
	}

	/// Fund the senders with fee tokens (and USD for the workloads that spend it) from
	/// `--funder`, and wait until every funding transaction is included and succeeded.
	async fn setup(
		&self,
		main: &Chain,
		tracked: &Shared,
		ids: &[AccountId],
		deadline: Instant,
	) -> Result<(), Error> {
		let funder = pair_from_suri(&self.funder)?;
		let mut nonce = main.next_nonce(&account(&funder)).await?;
		let signer = main.signer().await?;
		let tx = solvent::transactions();
		// A deposit that opens a margin account must reach `MarginParams::min_deposit`: the
		// `deposit` workload's senders open theirs with it first, so that the measured 1 USD
		// deposits all land in open accounts.
		let at = main.api.at_current_block().await.map_err(|e| e.to_string())?;
		let min_deposit = fetch(&at, solvent::storage().margin().params()).await?.min_deposit;
		let mut txs = Vec::new();
		for id in ids {
			txs.push(signer.sign(
				&tx.balances().transfer_keep_alive(address(id), FEE_FUNDS),
				&funder,
				nonce,
			)?);
			nonce += 1;
			if self.workload != Workload::Transfer {
				// Only what the workload spends (the funder's 10,000,000 USD must last a whole
				// `bench-loadgen.sh` run): 10 deposits of 1 USD, or a 5,000 USD margin deposit
				// plus premiums.
				let amount = if self.workload == Workload::Deposit {
					min_deposit + 100 * USD
				} else {
					5_100 * USD
				};
				txs.push(signer.sign(
					&tx.assets().transfer_keep_alive(USD_ASSET, address(id), amount),
					&funder,
					nonce,
				)?);
				nonce += 1;
			}
		}
		submit_setup(main, tracked, &txs, deadline).await?;
		if self.workload == Workload::Deposit {
			let mut opens = Vec::new();
			for i in 0..self.accounts {
				let pair = self.sender(i)?;
				let n = main.next_nonce(&account(&pair)).await?;
				opens.push(signer.sign(&tx.margin().deposit(USD_ASSET, min_deposit), &pair, n)?);
			}
			submit_setup(main, tracked, &opens, deadline).await?;
		}
		eprintln!("loadgen: funded {} accounts", ids.len());
		Ok(())
	}

	/// Order workloads: each sender deposits 5,000 USD of margin; the funder (sudo) lists the
	/// series; for `order-match` a maker account rests one sell of `count` contracts. Returns
	/// the series ids.
	async fn setup_market(
		&self,
		main: &Chain,
		tracked: &Shared,
		senders: &[Keypair],
		deadline: Instant,
	) -> Result<Vec<u32>, Error> {
		// Wait for prices so that margin checks pass.
		tokio::time::sleep(Duration::from_secs(7)).await;
		let signer = main.signer().await?;
		let tx = solvent::transactions();
		let mut deposits = Vec::new();
		for pair in senders {
			let nonce = main.next_nonce(&account(pair)).await?;
			deposits.push(signer.sign(
				&tx.margin().deposit(USD_ASSET, 5_000 * USD),
				pair,
				nonce,
			)?);
		}
		for d in &deposits {
			watch_setup(tracked, d)?;
			main.submit(d).await?;
		}
		// Series: expiry on the grid, at least 10 intervals ahead.
		let at = main.api.at_current_block().await.map_err(|e| e.to_string())?;
		let params = fetch(&at, solvent::storage().options().params()).await?;
		let now = fetch(&at, solvent::storage().timestamp().now()).await?;
		let base = now + params.min_time_to_expiry + 10 * params.expiry_interval;
		let expiry = base - base % params.expiry_interval + params.expiry_offset;
		let puts = self.workload == Workload::OrderRest;
		let (n_series, size, first_strike) = match puts {
			true => (self.count.div_ceil(ORDERS_PER_BOOK_SIDE), 1u128, 30_000u128),
			false => (1, 100, 80_000),
		};
		let funder = pair_from_suri(&self.funder)?;
		let mut nonce = main.next_nonce(&account(&funder)).await?;
		let mut listings = Vec::new();
		for j in 0..n_series {
			let kind = if puts { OptionKind::Put } else { OptionKind::Call };
			let strike = FixedU128((first_strike + 500 * u128::from(j)) * FIXED_ONE);
			// contract size 1 / `size` BTC
			let contract_size = FixedU128(FIXED_ONE / size);
			listings.push(signer.sign(
				&tx.sudo().sudo(list_series(kind, strike, expiry, contract_size)),
				&funder,
				nonce,
			)?);
			nonce += 1;
		}
		let series = list_all(main, &listings).await?;
		if self.workload == Workload::OrderMatch {
			let maker = pair_from_suri(&format!("//loadgen//{}//maker", self.seed))?;
			let maker_id = account(&maker);
			let funding = [
				signer.sign(
					&tx.balances().transfer_keep_alive(address(&maker_id), FEE_FUNDS),
					&funder,
					nonce,
				)?,
				signer.sign(
					&tx.assets().transfer_keep_alive(
						USD_ASSET,
						address(&maker_id),
						1_000_000 * USD,
					),
					&funder,
					nonce + 1,
				)?,
			];
			main.submit_all_and_wait(&funding).await?;
			let m0 = main.next_nonce(&maker_id).await?;
			let order = [
				signer.sign(&tx.margin().deposit(USD_ASSET, 1_000_000 * USD), &maker, m0)?,
				signer.sign(
					&tx.options().place_order(
						series[0],
						Side::Sell,
						MATCH_PREMIUM,
						u64::from(self.count),
						TimeInForce::GoodTilCancelled,
					),
					&maker,
					m0 + 1,
				)?,
			];
			main.submit_all_and_wait(&order).await?;
		}
		wait_setup(tracked, deposits.iter().map(|d| d.hash), deadline).await?;
		eprintln!("loadgen: market ready: series {series:?}");
		Ok(series)
	}

	/// `feed` workload: make every sender a feeder through Sudo (`--funder` must be the sudo
	/// key), and wait until they are.
	async fn add_feeders(&self, main: &Chain, ids: &[AccountId]) -> Result<(), Error> {
		let funder = pair_from_suri(&self.funder)?;
		let mut nonce = main.next_nonce(&account(&funder)).await?;
		let at = main.api.at_current_block().await.map_err(|e| e.to_string())?;
		let current = fetch(&at, solvent::storage().price_oracle().feeders()).await?.0;
		let signer = main.signer().await?;
		let mut txs = Vec::new();
		for id in ids.iter().filter(|id| !current.contains(id)) {
			let call = RuntimeCall::PriceOracle(
				solvent::runtime_types::pallet_price_oracle::pallet::Call::add_feeder { who: *id },
			);
			txs.push(signer.sign(&solvent::transactions().sudo().sudo(call), &funder, nonce)?);
			nonce += 1;
		}
		main.submit_all_and_wait(&txs).await.map_err(|e| {
			format!(
				"feed: senders could not be made feeders ({e}): the feeder set holds {} of at \
				 most 16; use fewer --accounts, and --funder must be the sudo key",
				current.len()
			)
		})?;
		let at = main.at_best().await?;
		let now = fetch(&at, solvent::storage().price_oracle().feeders()).await?.0;
		let missing = ids.iter().filter(|id| !now.contains(id)).count();
		if missing > 0 {
			return Err(format!("feed: {missing} of {} senders are not feeders", ids.len()));
		}
		eprintln!("loadgen: {} feeders added", ids.len());
		Ok(())
	}

	fn report(
		&self,
		t: &Tracked,
		facts: &ChainFacts,
		errors: u32,
		sign_secs: f64,
		submit_secs: f64,
	) -> Result<(), Error> {
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
		let ours: Vec<&BlockStats> = t.blocks.values().filter(|b| b.ours > 0).collect();
		let (tps, blocks_used, fullness) = match (ours.first(), ours.last()) {
			(Some(b0), Some(b1)) => {
				let total: u32 = ours.iter().map(|b| b.ours).sum();
				let span_ms =
					(b1.timestamp_ms.saturating_sub(b0.timestamp_ms) + facts.block_ms) as f64;
				let max = facts.max_normal_ref_time.max(1) as f64;
				let full: Vec<f64> =
					ours.iter().map(|b| b.normal_ref_time as f64 / max * 100.0).collect();
				let mean = full.iter().sum::<f64>() / full.len() as f64;
				let maxf = full.iter().cloned().fold(0.0, f64::max);
				(total as f64 / (span_ms / 1000.0), (b1.number - b0.number + 1), (mean, maxf))
			}
			_ => (0.0, 0, (0.0, 0.0)),
		};
		// Steady state: the median of our extrinsics per block over the blocks strictly between
		// the first and the last holding any (the ramp-up and tail blocks are partly empty).
		let inner: Vec<u32> = if ours.len() > 2 {
			ours[1..ours.len() - 1].iter().map(|b| b.ours).collect()
		} else {
			Vec::new()
		};
		let steady_per_block = {
			let mut v: Vec<f64> = inner.iter().map(|x| *x as f64).collect();
			v.sort_by(|a, b| a.total_cmp(b));
			percentile(&v, 50.0)
		};
		let steady_tps = steady_per_block.map(|b| b * 1000.0 / facts.block_ms as f64);
		let r = serde_json::json!({
			"workload": self.workload,
			"client": "solvent-loadgen (subxt)",
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
		println!("| workload | sent | included | finalized | incl/s | steady incl/s | incl p50/p95/p99 ms | final p50/p95/p99 ms | fullness mean/max % |");
		println!("|---|---|---|---|---|---|---|---|---|");
		println!(
			"| {:?} | {} | {} | {} | {:.1} | {} | {}/{}/{} | {}/{}/{} | {:.1}/{:.1} |",
			self.workload,
			self.count,
			t.included.len(),
			t.finalized.len(),
			tps,
			fmt0(steady_tps),
			fmt0(percentile(&incl, 50.0)),
			fmt0(percentile(&incl, 95.0)),
			fmt0(percentile(&incl, 99.0)),
			fmt0(percentile(&fin, 50.0)),
			fmt0(percentile(&fin, 95.0)),
			fmt0(percentile(&fin, 99.0)),
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

/// The Sudo-wrapped `options.list_series` call.
pub fn list_series(
	kind: OptionKind,
	strike: FixedU128,
	expiry: u64,
	contract_size: FixedU128,
) -> RuntimeCall {
	RuntimeCall::Options(solvent::runtime_types::pallet_options::pallet::Call::list_series {
		underlying: BTC,
		kind,
		strike,
		expiry,
		contract_size,
	})
}

/// Submit Sudo `list_series` transactions, follow each to inclusion and return the listed
/// series ids, in order (from each transaction's `Options.SeriesListed` event).
pub async fn list_all(main: &Chain, listings: &[Signed]) -> Result<Vec<u32>, Error> {
	let mut series = Vec::new();
	for events in main.submit_all_and_wait(listings).await? {
		let listed = crate::chain::find::<solvent::options::events::SeriesListed>(&events)?
			.ok_or("list_series: no SeriesListed event (is --funder the sudo key?)")?;
		series.push(listed.series);
	}
	Ok(series)
}

/// `price_oracle.feed_values`: BTC spot `usd` and implied vol 80%.
pub fn feed_call(
	usd: u32,
) -> subxt::transactions::StaticPayload<solvent::price_oracle::calls::FeedValues> {
	solvent::transactions().price_oracle().feed_values(BoundedVec(vec![
		(OracleKey::Spot(BTC), FixedU128(u128::from(usd) * FIXED_ONE)),
		(OracleKey::ImpliedVol(BTC), FixedU128(FIXED_ONE / 10 * 8)),
	]))
}

/// Fetch a storage value that must exist.
pub async fn fetch<A>(at: &crate::chain::AtBlock, addr: A) -> Result<A::Value, Error>
where
	A: subxt::storage::Address<KeyParts = ()>,
	A::Value: subxt::ext::scale_decode::DecodeAsType,
{
	let name = format!("{}.{}", addr.pallet_name(), addr.entry_name());
	at.storage()
		.fetch(addr, ())
		.await
		.map_err(|e| format!("cannot read {name}: {e}"))?
		.decode()
		.map_err(|e| format!("cannot decode {name}: {e}"))
}

/// Register `tx` as a setup transaction whose outcome the watcher records.
pub fn watch_setup(tracked: &Shared, tx: &Signed) -> Result<(), Error> {
	lock(tracked)?.setup.insert(tx.hash, None);
	Ok(())
}

/// Wait until the watcher saw every one of `hashes` included; fail on the first that failed.
pub async fn wait_setup(
	tracked: &Shared,
	hashes: impl IntoIterator<Item = H256>,
	deadline: Instant,
) -> Result<(), Error> {
	let hashes: Vec<H256> = hashes.into_iter().collect();
	loop {
		{
			let t = lock(tracked)?;
			if let Some(e) = &t.error {
				return Err(e.clone());
			}
			let mut done = 0;
			for h in &hashes {
				match t.setup.get(h) {
					Some(Some(Err(e))) => {
						return Err(format!("setup transaction {h:?} failed: {e}"))
					}
					Some(Some(Ok(()))) => done += 1,
					_ => {}
				}
			}
			if done == hashes.len() {
				return Ok(());
			}
			if Instant::now() > deadline {
				return Err(format!(
					"setup transactions not included in time ({done} of {})",
					hashes.len()
				));
			}
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// Submit setup transactions (in order) and wait until all are included and succeeded.
pub async fn submit_setup(
	main: &Chain,
	tracked: &Shared,
	txs: &[Signed],
	deadline: Instant,
) -> Result<(), Error> {
	for tx in txs {
		watch_setup(tracked, tx)?;
		main.submit(tx).await?;
	}
	wait_setup(tracked, txs.iter().map(|t| t.hash), deadline).await
}

/// Feed BTC spot `price` (USD; read before every round) and implied vol 80% from every feeder,
/// once per block.
pub async fn feed_prices(
	client: Arc<Chain>,
	feeders: Vec<String>,
	price: Arc<AtomicU32>,
) -> Result<(), Error> {
	let pairs: Vec<Keypair> =
		feeders.iter().map(|s| pair_from_suri(s)).collect::<Result<_, _>>()?;
	let block = Duration::from_millis(3000);
	loop {
		// A failed round (a feed the pool rejects as a duplicate in this block, a slow node)
		// is retried next block; the measurement does not depend on every feed.
		if let Ok(signer) = client.signer().await {
			for pair in &pairs {
				let Ok(nonce) = client.next_nonce(&account(pair)).await else { continue };
				let call = feed_call(price.load(Ordering::Relaxed));
				if let Ok(tx) = signer.sign(&call, pair, nonce) {
					let _ = client.submit(&tx).await;
				}
			}
		}
		tokio::time::sleep(block).await;
	}
}

/// Follow best and finalized blocks on `client`: for every best block, its extrinsics (which of
/// ours it holds), weight, timestamp and decoded events; for every finalized block, which of
/// ours became final. Any read or decoding failure stops the watcher and is reported as the
/// run's error (`Tracked::error`).
pub async fn watch(client: Arc<Chain>, tracked: Shared) {
	if let Err(e) = watch_inner(&client, &tracked).await {
		if let Ok(mut t) = tracked.lock() {
			t.error = Some(format!("block watcher: {e}"));
		}
	}
}

async fn watch_inner(client: &Chain, tracked: &Shared) -> Result<(), Error> {
	let mut heads = client.api.stream_best_blocks().await.map_err(|e| e.to_string())?;
	let mut finals = client.api.stream_blocks().await.map_err(|e| e.to_string())?;
	let ms = |ref_time: u64| ref_time as f64 / 1e9;
	loop {
		tokio::select! {
			h = heads.next() => {
				let Some(h) = h else { return Err("best block stream ended".into()) };
				let h = h.map_err(|e| e.to_string())?;
				let seen = Instant::now();
				let number = u32::try_from(h.number()).map_err(|_| "block number overflow")?;
				let at = h.at().await.map_err(|e| e.to_string())?;
				let xts = at.extrinsics().fetch().await.map_err(|e| format!("block #{number}: {e}"))?;
				let weights = fetch(&at, solvent::storage().system().block_weight()).await?;
				let now = fetch(&at, solvent::storage().timestamp().now()).await?;
				let evs = at.events().fetch().await.map_err(|e| format!("block #{number}: {e}"))?;
				let ev: BlockEvents = events::decode(&evs).map_err(|e| format!("block #{number}: {e}"))?;
				ev.check_outcomes(xts.len()).map_err(|e| format!("block #{number}: {e}"))?;
				let mut t = lock(tracked)?;
				let mut b = BlockStats {
					number,
					timestamp_ms: now,
					operational_ms: ms(weights.operational.ref_time),
					normal_ms: ms(weights.normal.ref_time),
					normal_ref_time: weights.normal.ref_time,
					liquidated: ev.liquidated,
					fills: ev.fills,
					cancels: ev.cancels,
					failed: ev.failed.len() as u32,
					btc_spot: ev.btc_spot,
					btc_breaker_tripped: ev.btc_breaker_tripped,
					imported: Some(seen),
					finality_lag_blocks: number.saturating_sub(t.finalized_number),
					..Default::default()
				};
				if let Some((i, e)) = ev.failed.iter().next() {
					eprintln!("loadgen: block #{number}: extrinsic {i} failed: {e}");
				}
				for (i, x) in xts.iter().enumerate() {
					let x = x.map_err(|e| format!("block #{number}: cannot decode extrinsic {i}: {e}"))?;
					let xh = x.hash();
					let i = i as u32;
					if t.submitted.contains_key(&xh) && !t.included.contains_key(&xh) {
						t.included.insert(xh, (seen, number));
						b.ours += 1;
					}
					if let Some(slot) = t.setup.get_mut(&xh) {
						*slot = Some(match ev.failed.get(&i) {
							Some(e) => Err(e.clone()),
							None if ev.succeeded.contains(&i) => Ok(()),
							None => Err(format!("block #{number}: no outcome event for extrinsic {i}")),
						});
					}
				}
				if b.ours > 0 {
					t.outcomes.failed += b.failed;
					t.outcomes.fills += b.fills;
					t.outcomes.cancels += b.cancels;
				}
				t.blocks.insert(number, b);
			}
			f = finals.next() => {
				let Some(f) = f else { return Err("finalized block stream ended".into()) };
				let f = f.map_err(|e| e.to_string())?;
				let seen = Instant::now();
				let number = u32::try_from(f.number()).map_err(|_| "block number overflow")?;
				let mut t = lock(tracked)?;
				t.finalized_number = t.finalized_number.max(number);
				let newly: Vec<H256> = t.included.iter().filter(|(h, (_, n))| *n <= number && !t.finalized.contains_key(*h)).map(|(h, _)| *h).collect();
				for h in newly { t.finalized.insert(h, seen); }
				for (_, b) in t.blocks.range_mut(..=number) {
					if b.finalized_after_ms.is_none() {
						b.finalized_after_ms = b.imported.map(|i| (seen - i).as_secs_f64() * 1000.0);
					}
				}
			}
		}
	}
}
