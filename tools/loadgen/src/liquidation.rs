//! `--workload liquidation`: issue 8's liquidation at scale on a live network, with the
//! runtime test's book (`runtime/tests/liquidation_at_scale.rs`): `--count` writers (10,000
//! in `scripts/bench-loadgen.sh`) each with 8,000 USD of margin cash and one short BTC put of
//! 1 BTC sold at 40 USD, a tenth at strike 50,000, half at 48,000 and the rest at 40,000,
//! against one buyer. BTC is fed at 52,000 USD (80% implied vol) by the `--feeders`, then at
//! 47,000 (the 50,000 puts fall below maintenance margin), then at 45,000 (the 48,000 puts
//! too). Nobody calls `liquidate`: the offchain workers' automatic batches do the work. For
//! each drop it reports the block that aggregated the price, the blocks until every
//! liquidatable account was liquidated, the accounts liquidated and the operational weight per
//! block, and how far finality trailed meanwhile.

use crate::{
	chain::{account, address, pair_from_suri, AccountId, Chain},
	events::FIXED_ONE,
	solvent::{
		self,
		runtime_types::{
			pallet_options::types::TimeInForce,
			solvent_primitives::{OptionKind, Side},
			sp_arithmetic::fixed_point::FixedU128,
		},
	},
	workload::{
		feed_prices, fetch, fmt0, list_all, list_series, lock, percentile, submit_setup, watch,
		BlockStats, LoadGenCmd, Shared, Tracked, FEE_FUNDS, USD, USD_ASSET,
	},
	Error,
};
use std::{
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};
use subxt_signer::sr25519::Keypair;

/// Put strikes (USD) and each one's share of the writers in tenths.
const GROUPS: [(u128, u32); 3] = [(50_000, 1), (48_000, 5), (40_000, 4)];
/// Margin cash of each writer (USD units).
const WRITER_CASH: u128 = 8_000 * USD;
/// Premium of each put sold (USD units per contract).
const WRITE_PREMIUM: u128 = 40 * USD;
/// Margin cash of the buyer (USD units).
const BUYER_CASH: u128 = 2_000_000 * USD;
/// BTC price (USD) while the writers sell.
const START_PRICE: u32 = 52_000;
/// The price drops, in order.
const DROPS: [u32; 2] = [47_000, 45_000];
/// Funding extrinsics (one sender) sent before waiting for their inclusion.
const SETUP_CHUNK: usize = 1_000;
/// Writer extrinsics sent before waiting for their inclusion (half deposits, half sells).
const WRITE_CHUNK: usize = 4_000;
/// A drop's measurement ends after this many blocks without a liquidation (after the first
/// liquidation, or after the price block if none came).
const QUIET_BLOCKS: u32 = 5;

impl LoadGenCmd {
	/// Run the liquidation scenario (see the module documentation).
	pub(crate) async fn run_liquidation(&self, clients: Vec<Arc<Chain>>) -> Result<(), Error> {
		let main = clients[0].clone();
		let n = self.count;
		let writers: Vec<Keypair> = (0..n).map(|i| self.sender(i)).collect::<Result<_, _>>()?;
		let ids: Vec<AccountId> = writers.iter().map(account).collect();
		let price = Arc::new(AtomicU32::new(START_PRICE));
		let feeding = tokio::spawn(feed_prices(main.clone(), self.feeders.clone(), price.clone()));
		let tracked: Shared = Arc::new(Mutex::new(Tracked::default()));
		let watcher = tokio::spawn(watch(main.clone(), tracked.clone()));
		let deadline = Instant::now() + Duration::from_secs(self.timeout);
		let tx = solvent::transactions();

		// Funding: fee tokens and minted USD (the funder owns the dev USD asset).
		let t0 = Instant::now();
		let funder = pair_from_suri(&self.funder)?;
		let buyer = pair_from_suri(&format!("//loadgen//{}//buyer", self.seed))?;
		let buyer_id = account(&buyer);
		let mut nonce = main.next_nonce(&account(&funder)).await?;
		let signer = main.signer().await?;
		let mut setup_xts = Vec::new();
		for (who, usd) in
			std::iter::once((&buyer_id, BUYER_CASH)).chain(ids.iter().map(|id| (id, WRITER_CASH)))
		{
			setup_xts.push(signer.sign(
				&tx.balances().transfer_keep_alive(address(who), FEE_FUNDS),
				&funder,
				nonce,
			)?);
			setup_xts.push(signer.sign(
				&tx.assets().mint(USD_ASSET, address(who), usd),
				&funder,
				nonce + 1,
			)?);
			nonce += 2;
		}
		// The put series, on the first expiry of the grid at least `min_time_to_expiry` and 10
		// minutes ahead (the run takes minutes; dev expiries come every 2 minutes, local ones
		// daily). Close expiries keep the puts' time value small, as in the runtime test, so
		// the drops sort the writers by strike.
		let at = main.api.at_current_block().await.map_err(|e| e.to_string())?;
		let params = fetch(&at, solvent::storage().options().params()).await?;
		let now = fetch(&at, solvent::storage().timestamp().now()).await?;
		let base = now + params.min_time_to_expiry.max(600_000);
		let mut expiry = base - base % params.expiry_interval + params.expiry_offset;
		if expiry < base {
			expiry += params.expiry_interval;
		}
		// In chunks, each included before the next is sent: the transaction pool keeps a
		// bounded number of one sender's transactions (about 2,400 of 20,000 sent at once were
		// included, the rest silently dropped).
		for chunk in setup_xts.chunks(SETUP_CHUNK) {
			submit_setup(&main, &tracked, chunk, deadline).await?;
		}
		let mut listings = Vec::new();
		for (strike, _) in GROUPS {
			let call = list_series(
				OptionKind::Put,
				FixedU128(strike * FIXED_ONE),
				expiry,
				FixedU128(FIXED_ONE),
			);
			listings.push(signer.sign(&tx.sudo().sudo(call), &funder, nonce)?);
			nonce += 1;
		}
		let series = list_all(&main, &listings).await?;
		eprintln!(
			"loadgen: {n} writers and a buyer funded, series {series:?} listed in {:.0} s",
			t0.elapsed().as_secs_f64()
		);

		// The buyer's bids: one per series, for all its writers.
		let counts: Vec<u32> = {
			let a = n * GROUPS[0].1 / 10;
			let b = n * GROUPS[1].1 / 10;
			vec![a, b, n - a - b]
		};
		let b0 = main.next_nonce(&buyer_id).await?;
		let mut bids =
			vec![signer.sign(&tx.margin().deposit(USD_ASSET, BUYER_CASH), &buyer, b0)?];
		for (k, (s, c)) in series.iter().zip(&counts).enumerate() {
			bids.push(signer.sign(
				&tx.options().place_order(
					*s,
					Side::Buy,
					WRITE_PREMIUM,
					u64::from(*c),
					TimeInForce::GoodTilCancelled,
				),
				&buyer,
				b0 + 1 + k as u64,
			)?);
		}
		main.submit_all_and_wait(&bids).await?;

		// The writers: a margin deposit and an immediate-or-cancel sell of one put each.
		let t1 = Instant::now();
		let signer = main.signer().await?;
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
			xts.push(signer.sign(&tx.margin().deposit(USD_ASSET, WRITER_CASH), pair, w0)?);
			xts.push(signer.sign(
				&tx.options().place_order(
					series[g],
					Side::Sell,
					WRITE_PREMIUM,
					1,
					TimeInForce::ImmediateOrCancel,
				),
				pair,
				w0 + 1,
			)?);
		}
		let first_write_block = lock(&tracked)?.blocks.keys().last().copied();
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
					let t = lock(&tracked)?;
					if let Some(e) = &t.error {
						return Err(e.clone());
					}
					let from = first_write_block.unwrap_or(0);
					t.blocks
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
			let before = lock(&tracked)?.blocks.keys().last().copied();
			price.store(drop, Ordering::Relaxed);
			let round_deadline = Instant::now() + Duration::from_secs(self.timeout);
			let (price_block, rows) = loop {
				tokio::time::sleep(Duration::from_millis(500)).await;
				let t = lock(&tracked)?;
				if let Some(e) = &t.error {
					return Err(e.clone());
				}
				let from = before.map(|b| b + 1).unwrap_or(0);
				let price_block =
					t.blocks.range(from..).find(|(_, b)| b.btc_spot == Some(drop)).map(|(k, _)| *k);
				if let Some(p) = price_block {
					let rows: Vec<BlockStats> =
						t.blocks.range(p..).map(|(_, b)| b.clone()).collect();
					let last_liq = rows.iter().rev().find(|b| b.liquidated > 0).map(|b| b.number);
					let quiet_from = last_liq.unwrap_or(p);
					let tip = rows.last().map(|b| b.number).unwrap_or(p);
					// Done when quiet long enough and the blocks up to the last liquidation
					// are finalized (so their finality is measured).
					if tip >= quiet_from + QUIET_BLOCKS && t.finalized_number > quiet_from {
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
	) -> Result<(), Error> {
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
				fmt0(percentile(&lags, 50.0)),
				fmt0(lags.last().copied()),
				fmt0(percentile(&fin, 50.0)),
				fmt0(fin.last().copied()),
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
					fmt0(b.finalized_after_ms)
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
