//! Runtime-level liquidation test (issue 4): on the real runtime (dev genesis preset, real
//! oracle, options, margin and insurance fund), 1,000 option writers are made liquidatable by one
//! BTC price drop. The offchain worker's batch (`Margin::liquidation_candidates` +
//! `validate_unsigned` + `liquidate_batch`) must liquidate all of them within
//! `ceil(1,000 / per block)` blocks, per block being the most that both
//! `max_liquidations_per_block` and one operational extrinsic's measured batch weight allow,
//! and must liquidate nobody while the price is stale.

#![allow(deprecated)] // ValidateUnsigned

mod common;

use common::*;
use frame_support::{
	dispatch::GetDispatchInfo,
	pallet_prelude::{TransactionSource, ValidateUnsigned},
	BoundedVec,
};
use solvent_primitives::{assets, OracleKey, SignedBalance};
use solvent_runtime::{AccountId, Margin, Runtime, RuntimeCall, RuntimeOrigin};

const TRADERS: u32 = 1_000;

/// One automatic-liquidation round as the offchain worker and the next block do it. Returns the
/// number of accounts in the batch and the batch's weight (ref time, ps).
fn liquidation_round() -> (usize, u64) {
	let cap = pallet_margin::Params::<Runtime>::get().max_liquidations_per_block;
	let (accounts, witness) = Margin::liquidation_candidates(cap);
	if accounts.is_empty() {
		return (0, 0);
	}
	let count = accounts.len();
	let call = pallet_margin::Call::<Runtime>::liquidate_batch {
		accounts: BoundedVec::try_from(accounts).unwrap(),
		position_witness: witness,
	};
	next_block();
	assert!(
		<Margin as ValidateUnsigned>::validate_unsigned(TransactionSource::InBlock, &call).is_ok(),
		"the batch is valid when included"
	);
	let info = RuntimeCall::Margin(call.clone()).get_dispatch_info();
	assert_eq!(info.class, frame_support::dispatch::DispatchClass::Operational);
	let limits = <Runtime as frame_system::Config>::BlockWeights::get();
	let max = limits
		.get(frame_support::dispatch::DispatchClass::Operational)
		.max_extrinsic
		.unwrap_or(limits.max_block);
	let weight = info.total_weight();
	assert!(weight.all_lte(max), "a batch of {count} fits in a block: {weight:?} > {max:?}");
	println!(
		"batch of {count} accounts: weight {:.1} ms of {:.1} ms operational max",
		weight.ref_time() as f64 / 1e9,
		max.ref_time() as f64 / 1e9
	);
	Margin::liquidate_batch(RuntimeOrigin::none(), call_accounts(&call), witness).unwrap();
	(count, weight.ref_time())
}

fn call_accounts(
	call: &pallet_margin::Call<Runtime>,
) -> BoundedVec<AccountId, <Runtime as pallet_margin::Config>::MaxLiquidationsPerBlock> {
	match call {
		pallet_margin::Call::liquidate_batch { accounts, .. } => accounts.clone(),
		_ => unreachable!(),
	}
}

#[test]
fn thousand_writers_are_liquidated_within_the_cap_and_never_on_a_stale_price() {
	dev_ext().execute_with(|| {
		next_block();
		feed(50_000);

		// A 50,000 BTC put expiring on the dev schedule (every 2 minutes, >= 1 minute ahead).
		let series = list_put(50_000);

		// 1,000 writers with 8,000 USD each sell one put at 40 USD to one buyer.
		let buyer = trader(u32::MAX);
		fund_margin(&buyer, 1_000_000 * USD);
		for i in 0..TRADERS {
			fund_margin(&trader(i), 8_000 * USD);
			write_put(trader(i), &buyer, series);
		}
		assert_eq!(pallet_options::Positions::<Runtime>::get(series, &buyer), Some(TRADERS as i64));
		assert_eq!(Margin::liquidation_candidates(2_000).0.len(), 0, "everyone healthy at 50,000");

		// The crash is fed, then every feeder stops: once the values age out (30 s on dev), the
		// price is unavailable and nobody may be liquidated.
		next_block();
		feed(45_000);
		for _ in 0..11 {
			next_block();
		}
		assert!(pallet_price_oracle::Pallet::<Runtime>::key_info(OracleKey::Spot(assets::BTC))
			.map(|k| k.value.is_none())
			.unwrap_or(true));
		assert_eq!(Margin::liquidation_candidates(2_000).0.len(), 0, "stale price: no candidates");
		assert_eq!(liquidation_round().0, 0);

		// Fresh crash price: everybody is liquidatable in this block...
		next_block();
		feed(45_000);
		let cap = pallet_margin::Params::<Runtime>::get().max_liquidations_per_block;
		for i in 0..TRADERS {
			assert!(Margin::account_view(&trader(i)).liquidatable, "writer {i} liquidatable");
		}
		// A batch holds as many as the cap allows and one operational extrinsic's measured
		// weight (`liquidate_batch(n, witness)`) fits, largest deficit first.
		let per_block = Margin::liquidation_candidates(2_000).0.len() as u32;
		assert!(per_block > 0 && per_block <= cap.min(TRADERS), "{per_block} per block");
		let expected_blocks = TRADERS.div_ceil(per_block);
		// ...and liquidated in the following `expected_blocks` blocks, feeds continuing.
		let mut blocks = 0;
		loop {
			let (n, _) = liquidation_round();
			if n == 0 {
				break;
			}
			blocks += 1;
			feed(45_000);
		}
		assert_eq!(blocks, expected_blocks, "{per_block} per block (cap {cap})");
		for i in 0..TRADERS {
			assert_eq!(
				pallet_options::Positions::<Runtime>::get(series, trader(i)).unwrap_or(0),
				0
			);
			assert!(Margin::account_view(&trader(i)).equity.unwrap() >= 0 as SignedBalance);
		}
		let fund = pallet_insurance_fund::Pallet::<Runtime>::fund_account();
		assert_eq!(
			pallet_options::Positions::<Runtime>::get(series, &fund),
			Some(-(TRADERS as i64))
		);
		Margin::do_try_state().unwrap();
		println!(
			"liquidated {TRADERS} accounts in {blocks} blocks ({per_block} per block, cap {cap}); \
			 fund cash {} USD units",
			<Margin as solvent_primitives::MarginLedger<AccountId>>::cash(&fund)
		);
	});
}

/// Liquidation rounds until no candidate is left: (blocks, accounts, max batch weight in ms,
/// max candidate-scan time in ms). Feeds `price` every block.
fn liquidate_all(price: u32) -> (u32, usize, f64, f64) {
	let (mut blocks, mut accounts, mut max_ms, mut max_scan) = (0, 0, 0f64, 0f64);
	loop {
		let cap = pallet_margin::Params::<Runtime>::get().max_liquidations_per_block;
		let started = std::time::Instant::now();
		let (batch, _) = Margin::liquidation_candidates(cap);
		max_scan = max_scan.max(started.elapsed().as_secs_f64() * 1e3);
		if batch.is_empty() {
			return (blocks, accounts, max_ms, max_scan);
		}
		let (n, weight) = liquidation_round();
		max_ms = max_ms.max(weight as f64 / 1e9);
		blocks += 1;
		accounts += n;
		feed(price);
	}
}

/// Issue 8's liquidation-at-scale benchmark (a script, not a timed test: run it with
/// `scripts/bench-liquidations.sh`). 10,000 writers of one BTC put each, 8,000 USD cash: 1,000
/// at strike 50,000, 5,000 at 48,000, 4,000 at 40,000. BTC 52,000 -> 47,000 makes the first
/// 1,000 liquidatable, then 47,000 -> 45,000 the 5,000 (short put maintenance margin
/// `7.5% x S + mark`). Prints blocks until all are liquidated and the batch weight per block.
#[test]
#[ignore = "benchmark: scripts/bench-liquidations.sh"]
fn ten_thousand_accounts_one_then_five_thousand_liquidatable() {
	use frame_support::dispatch::DispatchClass;
	dev_ext().execute_with(|| {
		next_block();
		feed(52_000);
		let groups = [(50_000u32, 1_000u32), (48_000, 5_000), (40_000, 4_000)];
		let series: Vec<u32> = groups.iter().map(|(k, _)| list_put(*k)).collect();
		let buyer = trader(u32::MAX);
		fund_margin(&buyer, 2_000_000 * USD);
		let started = std::time::Instant::now();
		let mut i = 0u32;
		for (g, (_, count)) in groups.iter().enumerate() {
			for _ in 0..*count {
				fund_margin(&trader(i), 8_000 * USD);
				write_put(trader(i), &buyer, series[g]);
				i += 1;
			}
		}
		println!("setup: 10,000 writers in {:.1} s", started.elapsed().as_secs_f64());
		let accounts = pallet_margin::Accounts::<Runtime>::iter_keys().count();
		assert_eq!(Margin::liquidation_candidates(20_000).0.len(), 0, "all healthy at 52,000");

		for (price, expected) in [(47_000u32, 1_000usize), (45_000, 5_000)] {
			next_block();
			feed(price);
			// Every liquidatable account (the offchain worker's candidate list stops where a
			// batch would no longer fit one operational extrinsic).
			let candidates = pallet_margin::Accounts::<Runtime>::iter_keys()
				.filter(|who| Margin::liquidatable_risk(who).is_some())
				.count();
			assert_eq!(candidates, expected, "liquidatable at {price}");
			let (blocks, liquidated, max_ms, max_scan) = liquidate_all(price);
			let limits = <Runtime as frame_system::Config>::BlockWeights::get();
			let op_max =
				limits.get(DispatchClass::Operational).max_total.unwrap_or(limits.max_block);
			println!(
				"BTC -> {price}: {candidates} of {accounts} margin accounts liquidatable; all \
				 liquidated in {blocks} block(s) ({liquidated} batch entries); max operational \
				 weight per block {max_ms:.1} ms of {:.1} ms; OCW candidate scan (native) max \
				 {max_scan:.0} ms",
				op_max.ref_time() as f64 / 1e9
			);
			assert_eq!(Margin::liquidation_candidates(20_000).0.len(), 0);
		}
		Margin::do_try_state().unwrap();
	});
}
