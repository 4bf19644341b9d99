//! `solvent-node loadgen --workload liquidation`: issue 8's liquidation at scale on a live
//! network, with the runtime test's book (`runtime/tests/liquidation_at_scale.rs`):
//! `--count` writers (10,000 in `scripts/bench-loadgen.sh`) each with 8,000 USD of margin cash
//! and one short BTC put of 1 BTC sold at 40 USD, a tenth at strike 50,000, half at 48,000 and
//! the rest at 40,000, against one buyer. BTC is fed at 52,000 USD (80% implied vol) by the
//! `--feeders`, then at 47,000 (the 50,000 puts fall below maintenance margin), then at
//! 45,000 (the 48,000 puts too). Nobody calls `liquidate`: the offchain workers' automatic
//! batches do the work. For each drop it reports the block that aggregated the price, the
//! blocks until every liquidatable account was liquidated, the accounts liquidated and the
//! operational weight per block, and how far finality trailed meanwhile.

use super::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// Put strikes (USD) and each one's share of the writers in tenths.
const GROUPS: [(u128, u32); 3] = [(50_000, 1), (48_000, 5), (40_000, 4)];
/// Margin cash of each writer (USD units).
const WRITER_CASH: u128 = 8_000 * USD;
/// Premium of each put sold (USD units per contract).
const WRITE_PREMIUM: u128 = 40 * USD;
/// Margin cash of the buyer (USD units).
const BUYER_CASH: u128 = 2_000_000 * USD;
/// BTC price (USD) while the writers sell.
pub(super) const START_PRICE: u32 = 52_000;
/// The price drops, in order.
const DROPS: [u32; 2] = [47_000, 45_000];
/// Funding extrinsics (one sender) sent before waiting for their inclusion.
const SETUP_CHUNK: usize = 1_000;
/// Writer extrinsics sent before waiting for their inclusion (half deposits, half sells).
const WRITE_CHUNK: usize = 4_000;
/// A drop's measurement ends after this many blocks without a liquidation (after the first
/// liquidation, or after the price block if none came).
const QUIET_BLOCKS: u32 = 5;

/// What one best block held, seen when it was imported.
#[derive(Clone, Debug, Default, serde::Serialize)]
struct BlockStats {
	number: u32,
	/// Best number minus finalized number when the block was imported.
	finality_lag_blocks: u32,
	/// Milliseconds from the block's import to its finalization (None: not seen finalized).
	finalized_after_ms: Option<f64>,
	/// `Margin.Liquidated` events.
	liquidated: u32,
	/// `Options.OrderFilled` events.
	fills: u32,
	/// `System.ExtrinsicFailed` events.
	failed: u32,
	/// Operational-class weight used (ms of ref time).
	operational_ms: f64,
	/// Normal-class weight used (ms of ref time).
	normal_ms: f64,
	/// BTC spot aggregated in this block (USD), if it changed.
	btc_spot: Option<u32>,
	/// The oracle's circuit breaker tripped on BTC spot in this block (the price is halted:
	/// nobody is liquidated on it).
	btc_breaker_tripped: bool,
	#[serde(skip)]
	imported: Option<Instant>,
}

#[derive(Default)]
struct Chain {
	blocks: BTreeMap<u32, BlockStats>,
	finalized: u32,
}

impl LoadGenCmd {
	/// Run the liquidation scenario (see the module documentation).
	pub(super) async fn run_liquidation(&self) -> Result<(), String> {
		let mut clients = Vec::new();
		for url in &self.rpc {
			clients.push(Arc::new(ChainClient::connect(url).await?));
		}
		let main = clients[0].clone();
		let n = self.count;
		let writers: Vec<sr25519::Pair> =
			(0..n).map(|i| self.sender(i)).collect::<Result<_, _>>()?;
		let ids: Vec<AccountId> = writers.iter().map(|p| AccountId::from(p.public())).collect();
		let price = Arc::new(AtomicU32::new(START_PRICE));
		let feeding = tokio::spawn(feed_prices(main.clone(), self.feeders.clone(), price.clone()));
		let chain = Arc::new(Mutex::new(Chain::default()));
		let watcher = tokio::spawn(watch_chain(main.clone(), chain.clone()));
		let deadline = Instant::now() + Duration::from_secs(self.timeout);

		// Funding: fee tokens and minted USD (the funder owns the dev USD asset).
		let t0 = Instant::now();
		let funder = pair_from_suri(&self.funder)?;
		let funder_id = AccountId::from(funder.public());
		let buyer = pair_from_suri(&format!("//loadgen//{}//buyer", self.seed))?;
		let buyer_id = AccountId::from(buyer.public());
		let mut nonce = main.next_nonce(&funder_id).await?;
		let mut fund = |who: &AccountId, usd: u128| {
			let calls = [
				RuntimeCall::Balances(runtime::BalancesCall::transfer_keep_alive {
					dest: who.clone().into(),
					value: 10 * runtime::UNIT,
				}),
				RuntimeCall::Assets(runtime::AssetsCall::mint {
					id: solvent_primitives::assets::USD.into(),
					beneficiary: who.clone().into(),
					amount: usd,
				}),
			];
			let xts: Vec<_> = calls
				.into_iter()
				.map(|c| {
					let xt = main.sign(c, &funder, nonce);
					nonce += 1;
					xt
				})
				.collect();
			xts
		};
		let mut setup_xts = fund(&buyer_id, BUYER_CASH);
		for id in &ids {
			setup_xts.extend(fund(id, WRITER_CASH));
		}
		// The put series, on the first expiry of the grid at least `min_time_to_expiry` and 10
		// minutes ahead (the run takes minutes; dev expiries come every 2 minutes, local ones
		// daily). Close expiries keep the puts' time value small, as in the runtime test, so
		// the drops sort the writers by strike.
		let params: pallet_options::OptionsParams =
			decode_storage(&main, storage_key("Options", "Params")).await?;
		let now: u64 = decode_storage(&main, storage_key("Timestamp", "Now")).await?;
		let base = now + params.min_time_to_expiry.max(600_000);
		let mut expiry = base - base % params.expiry_interval + params.expiry_offset;
		if expiry < base {
			expiry += params.expiry_interval;
		}
		let terms: Vec<pallet_options::SeriesTerms> = GROUPS
			.iter()
			.map(|(strike, _)| pallet_options::SeriesTerms {
				underlying: solvent_primitives::assets::BTC,
				kind: solvent_primitives::OptionKind::Put,
				strike: sp_runtime::FixedU128::saturating_from_integer(*strike),
				expiry,
				contract_size: sp_runtime::FixedU128::from_u32(1),
			})
			.collect();
		for t in &terms {
			let call = RuntimeCall::Sudo(runtime::SudoCall::sudo {
				call: Box::new(RuntimeCall::Options(runtime::OptionsCall::list_series {
					underlying: t.underlying,
					kind: t.kind,
					strike: t.strike,
					expiry: t.expiry,
					contract_size: t.contract_size,
				})),
			});
			setup_xts.push(main.sign(call, &funder, nonce));
			nonce += 1;
		}
		// In chunks, each included before the next is sent: the transaction pool keeps a
		// bounded number of one sender's transactions (about 2,400 of 20,000 sent at once were
		// included, the rest silently dropped).
		let first_nonce = nonce - setup_xts.len() as u32;
		for (c, chunk) in setup_xts.chunks(SETUP_CHUNK).enumerate() {
			for xt in chunk {
				main.submit(xt).await?;
			}
			let sent = first_nonce + (c * SETUP_CHUNK + chunk.len()) as u32;
			wait_nonce(&main, &funder_id, sent, deadline).await?;
		}
		let mut series = Vec::new();
		for t in &terms {
			series.push(series_id(&main, t, deadline).await?);
		}
		eprintln!(
			"loadgen: {} writers and a buyer funded, series {series:?} listed in {:.0} s",
			n,
			t0.elapsed().as_secs_f64()
		);

		// The buyer's bids: one per series, for all its writers.
		let counts: Vec<u32> = {
			let a = n * GROUPS[0].1 / 10;
			let b = n * GROUPS[1].1 / 10;
			vec![a, b, n - a - b]
		};
		let b0 = main.next_nonce(&buyer_id).await?;
		let mut calls = vec![RuntimeCall::Margin(runtime::MarginCall::deposit {
			asset: solvent_primitives::assets::USD,
			amount: BUYER_CASH,
		})];
		for (s, c) in series.iter().zip(&counts) {
			calls.push(RuntimeCall::Options(runtime::OptionsCall::place_order {
				series: *s,
				side: solvent_primitives::Side::Buy,
				limit_premium: WRITE_PREMIUM,
				quantity: u64::from(*c),
				time_in_force: pallet_options::TimeInForce::GoodTilCancelled,
			}));
		}
		let ncalls = calls.len() as u32;
		for (k, call) in calls.into_iter().enumerate() {
			main.submit(&main.sign(call, &buyer, b0 + k as u32)).await?;
		}
		wait_nonce(&main, &buyer_id, b0 + ncalls, deadline).await?;

		// The writers: a margin deposit and an immediate-or-cancel sell of one put each.
		let t1 = Instant::now();
		let mut xts = Vec::with_capacity(2 * n as usize);
		for (i, pair) in writers.iter().enumerate() {
			let g = if (i as u32) < counts[0] {
				0
			} else if (i as u32) < counts[0] + counts[1] {
				1
			} else {
				2
			};
			let w0 = main.next_nonce(&ids[i]).await?;
			xts.push(main.sign(
				RuntimeCall::Margin(runtime::MarginCall::deposit {
					asset: solvent_primitives::assets::USD,
					amount: WRITER_CASH,
				}),
				pair,
				w0,
			));
			xts.push(main.sign(
				RuntimeCall::Options(runtime::OptionsCall::place_order {
					series: series[g],
					side: solvent_primitives::Side::Sell,
					limit_premium: WRITE_PREMIUM,
					quantity: 1,
					time_in_force: pallet_options::TimeInForce::ImmediateOrCancel,
				}),
				pair,
				w0 + 1,
			));
		}
		let first_write_block = chain.lock().map_err(|_| "lock")?.blocks.keys().last().copied();
		let interval = Duration::from_secs_f64(1.0 / self.rate as f64);
		for (c, chunk) in xts.chunks(WRITE_CHUNK).enumerate() {
			let start = Instant::now();
			let mut pending = Vec::new();
			for (k, xt) in chunk.iter().enumerate() {
				let due = start + interval * k as u32;
				let now = Instant::now();
				if due > now {
					tokio::time::sleep(due - now).await;
				}
				let client = clients[k % clients.len()].clone();
				let xt = xt.clone();
				pending.push(tokio::spawn(async move { client.submit(&xt).await }));
			}
			let mut rejected = 0u32;
			for p in pending {
				if !matches!(p.await, Ok(Ok(_))) {
					rejected += 1;
				}
			}
			if rejected > 0 {
				return Err(format!("{rejected} writer extrinsics rejected by the pool"));
			}
			// Every sell of this chunk and the ones before filled.
			let want = ((c * WRITE_CHUNK + chunk.len()) / 2) as u32;
			loop {
				let (fills, failed) = {
					let c = chain.lock().map_err(|_| "lock")?;
					let from = first_write_block.unwrap_or(0);
					c.blocks
						.range(from..)
						.fold((0, 0), |(f, x), (_, b)| (f + b.fills, x + b.failed))
				};
				if failed > 0 {
					return Err(format!("{failed} extrinsics failed while the writers sold"));
				}
				if fills >= want {
					break;
				}
				if Instant::now() > deadline {
					return Err(format!("only {fills} of {want} puts written in time"));
				}
				tokio::time::sleep(Duration::from_millis(500)).await;
			}
		}
		eprintln!(
			"loadgen: {n} puts written in {:.0} s (writers' deposits and sells)",
			t1.elapsed().as_secs_f64()
		);

		// The drops.
		let mut rounds = Vec::new();
		for drop in DROPS {
			let before = chain.lock().map_err(|_| "lock")?.blocks.keys().last().copied();
			price.store(drop, Ordering::Relaxed);
			let round_deadline = Instant::now() + Duration::from_secs(self.timeout);
			let (price_block, rows) = loop {
				tokio::time::sleep(Duration::from_millis(500)).await;
				let c = chain.lock().map_err(|_| "lock")?;
				let from = before.map(|b| b + 1).unwrap_or(0);
				let price_block =
					c.blocks.range(from..).find(|(_, b)| b.btc_spot == Some(drop)).map(|(k, _)| *k);
				if let Some(p) = price_block {
					let rows: Vec<BlockStats> =
						c.blocks.range(p..).map(|(_, b)| b.clone()).collect();
					let last_liq = rows.iter().rev().find(|b| b.liquidated > 0).map(|b| b.number);
					let quiet_from = last_liq.unwrap_or(p);
					let tip = rows.last().map(|b| b.number).unwrap_or(p);
					// Done when quiet long enough and the blocks up to the last liquidation
					// are finalized (so their finality is measured).
					if tip >= quiet_from + QUIET_BLOCKS && c.finalized >= quiet_from + 1 {
						let end = quiet_from + 1;
						break (p, rows.into_iter().filter(|b| b.number <= end).collect());
					}
				}
				if Instant::now() > round_deadline {
					return Err(format!("BTC {drop}: measurement did not finish in time"));
				}
			};
			rounds.push((drop, price_block, rows));
		}
		watcher.abort();
		feeding.abort();
		self.report_liquidation(n, &rounds)
	}

	fn report_liquidation(
		&self,
		writers: u32,
		rounds: &[(u32, u32, Vec<BlockStats>)],
	) -> Result<(), String> {
		let mut json_rounds = Vec::new();
		let mut from = START_PRICE;
		for (drop, price_block, rows) in rounds {
			let liquidated: u32 = rows.iter().map(|b| b.liquidated).sum();
			let with_liq: Vec<&BlockStats> = rows.iter().filter(|b| b.liquidated > 0).collect();
			let first = with_liq.first().map(|b| b.number - price_block);
			let last = with_liq.last().map(|b| b.number - price_block);
			let mut lags: Vec<f64> = rows.iter().map(|b| b.finality_lag_blocks as f64).collect();
			lags.sort_by(|a, b| a.total_cmp(b));
			let mut fin: Vec<f64> = rows.iter().filter_map(|b| b.finalized_after_ms).collect();
			fin.sort_by(|a, b| a.total_cmp(b));
			let max_op = rows.iter().map(|b| b.operational_ms).fold(0.0, f64::max);
			if let Some(b) = rows.iter().find(|b| b.btc_breaker_tripped) {
				println!(
					"BTC {from} -> {drop}: the oracle's circuit breaker tripped in block #{} (the \
					 move exceeds the spec's max deviation from the TWAP): the price is halted and \
					 nobody is liquidated on it until it is back in the band or governance resets the breaker",
					b.number
				);
			}
			println!(
				"BTC {from} -> {drop}: price aggregated in block #{price_block}; {liquidated} \
				 accounts liquidated in {} block(s), the first {} and the last {} block(s) after the \
				 price block; max operational weight {max_op:.1} ms per block; finality lag over \
				 blocks #{price_block}..#{}: median {} max {} blocks (best - finalized at import), \
				 import to finalization median {} ms max {} ms",
				with_liq.len(),
				first.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
				last.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
				rows.last().map(|b| b.number).unwrap_or(*price_block),
				percentile(&lags, 50.0).map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into()),
				lags.last().map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into()),
				percentile(&fin, 50.0).map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into()),
				fin.last().map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into()),
			);
			println!("| block | after price | liquidated | operational ms | normal ms | lag blocks | finalized after ms |");
			println!("|---|---|---|---|---|---|---|");
			for b in rows {
				println!(
					"| #{} | {} | {} | {:.1} | {:.1} | {} | {} |",
					b.number,
					b.number - price_block,
					b.liquidated,
					b.operational_ms,
					b.normal_ms,
					b.finality_lag_blocks,
					b.finalized_after_ms.map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into())
				);
			}
			json_rounds.push(serde_json::json!({
				"btc_from": from, "btc_to": drop, "price_block": price_block,
				"liquidated": liquidated, "blocks_with_liquidations": with_liq.len(),
				"first_liquidation_after_blocks": first, "last_liquidation_after_blocks": last,
				"max_operational_ms": max_op, "blocks": rows,
			}));
			from = *drop;
		}
		if let Some(p) = &self.json {
			let r = serde_json::json!({
				"workload": self.workload, "nodes": self.rpc, "writers": writers,
				"rounds": json_rounds,
			});
			std::fs::write(p, serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?)
				.map_err(|e| format!("cannot write {}: {e}", p.display()))?;
		}
		Ok(())
	}
}

/// Record every best block (events, weights, finality lag at import) and when each is
/// finalized.
async fn watch_chain(client: Arc<ChainClient>, chain: Arc<Mutex<Chain>>) -> Result<(), String> {
	let mut heads = client.subscribe_new_heads().await?;
	let mut finals = client.subscribe_finalized_heads().await?;
	let weight_key = storage_key("System", "BlockWeight");
	let events_key = storage_key("System", "Events");
	let ms = |w: Weight| w.ref_time() as f64 / 1e9;
	loop {
		tokio::select! {
			Some(Ok(h)) = heads.next() => {
				let seen = Instant::now();
				let hash = h.hash();
				let weights = PerDispatchClass::<Weight>::decode(&mut &client.storage_at(&weight_key, hash).await[..]).unwrap_or_default();
				let raw = client.storage_at(&events_key, hash).await;
				let events = Vec::<frame_system::EventRecord<runtime::RuntimeEvent, H256>>::decode(&mut &raw[..]).unwrap_or_default();
				let mut b = BlockStats {
					number: h.number,
					operational_ms: ms(*weights.get(frame_support::dispatch::DispatchClass::Operational)),
					normal_ms: ms(*weights.get(frame_support::dispatch::DispatchClass::Normal)),
					imported: Some(seen),
					..Default::default()
				};
				for e in events {
					match e.event {
						runtime::RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) => {
							if b.failed == 0 {
								eprintln!("loadgen: block #{}: extrinsic failed: {dispatch_error:?}", h.number);
							}
							b.failed += 1;
						}
						runtime::RuntimeEvent::Options(pallet_options::Event::OrderFilled { .. }) => b.fills += 1,
						runtime::RuntimeEvent::Margin(pallet_margin::Event::Liquidated { .. }) => b.liquidated += 1,
						runtime::RuntimeEvent::PriceOracle(pallet_price_oracle::Event::AggregateUpdated {
							key: solvent_primitives::OracleKey::Spot(solvent_primitives::assets::BTC),
							value: Some(v),
							..
						}) => b.btc_spot = u32::try_from(v.into_inner() / sp_runtime::FixedU128::DIV).ok(),
						runtime::RuntimeEvent::PriceOracle(pallet_price_oracle::Event::BreakerTripped {
							key: solvent_primitives::OracleKey::Spot(solvent_primitives::assets::BTC),
							..
						}) => b.btc_breaker_tripped = true,
						_ => {}
					}
				}
				let mut c = chain.lock().map_err(|_| "lock")?;
				b.finality_lag_blocks = h.number.saturating_sub(c.finalized);
				c.blocks.insert(h.number, b);
			}
			Some(Ok(f)) = finals.next() => {
				let seen = Instant::now();
				let mut c = chain.lock().map_err(|_| "lock")?;
				c.finalized = c.finalized.max(f.number);
				for (_, b) in c.blocks.range_mut(..=f.number) {
					if b.finalized_after_ms.is_none() {
						b.finalized_after_ms = b.imported.map(|i| (seen - i).as_secs_f64() * 1000.0);
					}
				}
			}
			else => return Ok(()),
		}
	}
}
