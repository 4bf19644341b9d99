//! Fuzz harness over Solvent's runtime calls (issue 7), in the style of SRLabs'
//! [substrate-runtime-fuzzer](https://github.com/srlabs/substrate-runtime-fuzzer).
//!
//! An input is a byte string read as a program of operations on the real runtime (the `dev`
//! genesis preset: six endowed accounts Alice..Ferdie, feeders Alice..Eve with quorum 3, USD,
//! BTC and ETH with margin haircuts, a seeded insurance fund, options expiring every 2 minutes):
//!
//! - start the next block, or let up to 64 blocks (3 s each) pass, running every pallet's
//!   `on_initialize`/`on_finalize` (so prices go stale, series expire and settle);
//! - dispatch one extrinsic of the oracle, margin, options or insurance-fund pallet, built
//!   from the input with its natural origin or a wrong one (another signer, Root, none), with
//!   parameters drawn from boundary values (0, 1, `u64::MAX`, `u128::MAX`, unknown ids) and
//!   from values that reach deep states (prices around the fed index, strikes around spot,
//!   expiries on the schedule, existing series and orders);
//! - the same, with bytes of the encoded call flipped, or a `RuntimeCall` decoded from raw
//!   input bytes (only calls of our four pallets are dispatched);
//! - the automatic liquidation path: the offchain worker's batch, checked by
//!   `validate_unsigned` as the block builder would.
//!
//! After every dispatch: the post-dispatch weight is at most the declared weight, a failed
//! call left the state root unchanged, and **only price moves make a trader liquidatable**:
//! no call but a price feed or a governance (Root) call leaves a trader's account (any account
//! that is not a protocol account) below its maintenance margin unless it was already below
//! and its maintenance surplus (equity - MM) is no worse (issue 14; colluding accounts trading
//! at the band's edges are one of the generator's operations). After every block: no panic (the fuzzer's
//! crash), each class's block weight within its limit, SLV total issuance and every asset's
//! total supply conserved, and every Solvent pallet's `try_state` invariants hold (margin:
//! collateral held by the pallet == sum over accounts, and the loss waterfall's custody
//! invariant, USD held + bad debt the fund owes >= sum of every account's cash after
//! socialized losses, with the fund's cash backing what it owes; options: open interest, book
//! and settlement accounting; insurance fund: shares; oracle: aggregates and feeders).
//!
//! Run with libFuzzer (coverage guided): `scripts/fuzz.sh` (see the README). The
//! `fuzz-random` binary runs seeded random inputs without instrumentation; `tests/smoke.rs`
//! runs a few hundred of them and every input in `fuzz/regressions/` in the test suite.

#![allow(deprecated)] // ValidateUnsigned: the automatic liquidation batch is still validated by it

use codec::{Decode, DecodeAll, DecodeLimit, Encode};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	pallet_prelude::{TransactionSource, ValidateUnsigned},
	traits::{fungibles::Inspect, OnFinalize, OnInitialize},
	weights::Weight,
	BoundedVec,
};
use solvent_primitives::{assets, AssetId, OptionKind, OracleKey, Side};
use solvent_runtime::{
	AccountId, AllPalletsWithSystem, Assets, Balances, Runtime, RuntimeCall, RuntimeGenesisConfig,
	RuntimeOrigin, System,
};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Dispatchable, BuildStorage, FixedU128, StateVersion, Storage};
use std::{collections::BTreeMap, sync::OnceLock};

/// Milliseconds per block (the runtime's slot duration).
pub const BLOCK_MS: u64 = 3_000;
/// First block's timestamp: 2026-01-01T00:00:00Z.
const GENESIS_MS: u64 = 1_767_225_600_000;
/// Operations per input at most (bounds one execution's time).
const MAX_OPS: usize = 256;
/// Depth limit for decoding a raw `RuntimeCall` (as SRLabs' harness).
const MAX_DECODE_DEPTH: u32 = 64;

type OracleCall = pallet_price_oracle::Call<Runtime>;
type MarginCall = pallet_margin::Call<Runtime>;
type OptionsCall = pallet_options::Call<Runtime>;
type FundCall = pallet_insurance_fund::Call<Runtime>;

/// The signers: the dev preset's endowed accounts (Alice..Eve are feeders, Ferdie is not).
pub fn accounts() -> [AccountId; 6] {
	[
		Sr25519Keyring::Alice,
		Sr25519Keyring::Bob,
		Sr25519Keyring::Charlie,
		Sr25519Keyring::Dave,
		Sr25519Keyring::Eve,
		Sr25519Keyring::Ferdie,
	]
	.map(|k| k.to_account_id())
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	use serde_json::Value;
	match (base, patch) {
		(Value::Object(b), Value::Object(p)) => {
			for (k, v) in p {
				merge(b.entry(k).or_insert(Value::Null), v);
			}
		}
		(b, p) => *b = p,
	}
}

/// Genesis storage of the `development` preset, built once per process.
fn genesis() -> &'static Storage {
	static GENESIS: OnceLock<Storage> = OnceLock::new();
	GENESIS.get_or_init(|| {
		let mut config = serde_json::to_value(RuntimeGenesisConfig::default())
			.expect("default genesis serializes");
		let patch = solvent_runtime::genesis_config_presets::get_preset(&"development".into())
			.expect("dev preset exists");
		merge(&mut config, serde_json::from_slice(&patch).expect("dev preset is JSON"));
		let config: RuntimeGenesisConfig =
			serde_json::from_value(config).expect("dev preset is a genesis config");
		config.build_storage().expect("dev genesis builds")
	})
}

/// What one execution did (the fuzzer ignores it; `fuzz-random` prints the totals).
#[derive(Default, Debug, Clone)]
pub struct Stats {
	/// Operations decoded from the input.
	pub ops: u64,
	/// Blocks finalized (invariants checked after each).
	pub blocks: u64,
	/// Calls skipped because the block was full.
	pub skipped_full: u64,
	/// Unsigned batches `validate_unsigned` rejected (not dispatched).
	pub rejected_unsigned: u64,
	/// Dispatch outcomes per call name: (ok, failed).
	pub calls: BTreeMap<String, (u64, u64)>,
	/// Failed dispatches per error name.
	pub errors: BTreeMap<String, u64>,
}

impl Stats {
	/// Add `other` into `self`.
	pub fn absorb(&mut self, other: Stats) {
		self.ops += other.ops;
		self.blocks += other.blocks;
		self.skipped_full += other.skipped_full;
		self.rejected_unsigned += other.rejected_unsigned;
		for (k, (ok, err)) in other.calls {
			let e = self.calls.entry(k).or_default();
			e.0 += ok;
			e.1 += err;
		}
		for (k, n) in other.errors {
			*self.errors.entry(k).or_default() += n;
		}
	}
}

/// Reads the input front to back; `None` once it is used up (the program ends).
struct Input<'a>(&'a [u8]);

impl Input<'_> {
	fn u8(&mut self) -> Option<u8> {
		let (b, rest) = self.0.split_first()?;
		self.0 = rest;
		Some(*b)
	}
	fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
		if self.0.len() < N {
			return None;
		}
		let (head, rest) = self.0.split_at(N);
		self.0 = rest;
		head.try_into().ok()
	}
	fn u32(&mut self) -> Option<u32> {
		self.bytes::<4>().map(u32::from_le_bytes)
	}
	fn u64(&mut self) -> Option<u64> {
		self.bytes::<8>().map(u64::from_le_bytes)
	}
	fn u128(&mut self) -> Option<u128> {
		self.bytes::<16>().map(u128::from_le_bytes)
	}
	fn bool(&mut self) -> Option<bool> {
		self.u8().map(|b| b & 1 == 1)
	}
	/// An amount in an asset's smallest units: boundary values or a scaled small number.
	fn amount(&mut self) -> Option<u128> {
		Some(match self.u8()? % 12 {
			0 => 0,
			1 => 1,
			2 => u128::MAX,
			3 => u128::MAX / 2,
			4 => u64::MAX as u128,
			5 => self.u128()?,
			6 => self.u8()? as u128 * 1_000_000,         // up to 255 USD
			7 => self.u32()? as u128 * 10_000,           // up to ~43M USD
			8 => 10u128.pow(u32::from(self.u8()? % 39)), // a power of ten
			9 => self.u8()? as u128 * 1_000_000_000,     // up to 255k USD / 2550 BTC
			10 => self.u8()? as u128 * 10_000_000,       // up to 2550 USD / 25.5 BTC
			_ => (self.u8()? as u128 + 1) * 100_000_000_000_000, // ETH-scale
		})
	}
	/// A quantity of contracts.
	fn quantity(&mut self) -> Option<u64> {
		Some(match self.u8()? % 8 {
			0 => 0,
			1 => u64::MAX,
			2 => self.u64()?,
			_ => 1 + u64::from(self.u8()? % 20),
		})
	}
	/// An asset id: the three listed assets, the native token's 0, or an unknown one.
	fn asset(&mut self) -> Option<AssetId> {
		Some(match self.u8()? % 8 {
			0 | 1 | 2 => assets::USD,
			3 | 4 => assets::BTC,
			5 => assets::ETH,
			6 => 0,
			_ => self.u32()?,
		})
	}
	fn account(&mut self) -> Option<AccountId> {
		let b = self.u8()?;
		let accounts = accounts();
		Some(if b < 250 {
			accounts[b as usize % accounts.len()].clone()
		} else {
			AccountId::new([b; 32]) // never endowed
		})
	}
}

/// The state the generator keeps between operations: the last index fed per asset.
struct Fuzzer {
	/// Spot per underlying (BTC, ETH) as `FixedU128` inner (18 decimals, USD per unit).
	spot: [u128; 2],
	/// Implied vol per underlying, `FixedU128` inner (fraction per year).
	vol: [u128; 2],
	stats: Stats,
	issuance: u128,
	supply: [u128; 3],
}

const E18: u128 = 1_000_000_000_000_000_000;

/// How an operation is signed.
#[derive(Clone)]
enum Origin {
	Signed(AccountId),
	Root,
	None,
}

impl Origin {
	fn runtime(&self) -> RuntimeOrigin {
		match self {
			Origin::Signed(a) => RuntimeOrigin::signed(a.clone()),
			Origin::Root => RuntimeOrigin::root(),
			Origin::None => RuntimeOrigin::none(),
		}
	}
}

/// Run one input. Panics (the fuzzer's finding) if an invariant breaks.
pub fn run(data: &[u8]) -> Stats {
	let mut ext = sp_io::TestExternalities::new(genesis().clone());
	ext.execute_with(|| {
		let mut f = Fuzzer {
			spot: [60_000 * E18, 3_000 * E18],
			vol: [8 * E18 / 10, 7 * E18 / 10],
			stats: Stats::default(),
			issuance: 0,
			supply: [0; 3],
		};
		begin_block(1);
		f.issuance = Balances::total_issuance();
		f.supply = [assets::USD, assets::BTC, assets::ETH].map(Assets::total_issuance);
		f.feed_all(); // start with an available index, so deeper states are reachable
		let mut input = Input(data);
		while f.stats.ops < MAX_OPS as u64 {
			if f.step(&mut input).is_none() {
				break;
			}
			f.stats.ops += 1;
		}
		f.end_block();
		f.stats
	})
}

fn begin_block(n: u32) {
	System::reset_events();
	System::initialize(&n, &Default::default(), &Default::default());
	frame_system::BlockWeight::<Runtime>::kill();
	let now = GENESIS_MS + u64::from(n) * BLOCK_MS;
	pallet_aura::CurrentSlot::<Runtime>::put(sp_consensus_aura::Slot::from(now / BLOCK_MS));
	pallet_timestamp::Pallet::<Runtime>::set_timestamp(now);
	let limits = <Runtime as frame_system::Config>::BlockWeights::get();
	let hooks = AllPalletsWithSystem::on_initialize(n);
	System::register_extra_weight_unchecked(
		limits.base_block.saturating_add(hooks),
		DispatchClass::Mandatory,
	);
}

impl Fuzzer {
	fn next_block(&mut self) {
		let n = self.end_block();
		begin_block(n + 1);
	}

	/// Finalize the current block and check every invariant. Returns its number.
	fn end_block(&mut self) -> u32 {
		let n = System::block_number();
		AllPalletsWithSystem::on_finalize(n);
		self.stats.blocks += 1;

		let limits = <Runtime as frame_system::Config>::BlockWeights::get();
		let used = frame_system::BlockWeight::<Runtime>::get();
		for class in [DispatchClass::Normal, DispatchClass::Operational] {
			let max = limits.get(class).max_total.unwrap_or(limits.max_block);
			assert!(
				used.get(class).all_lte(max),
				"block {n}: {class:?} weight {:?} above its limit {max:?}",
				used.get(class)
			);
		}
		// On-initialize hooks are mandatory and may not exceed the whole block either.
		assert!(
			used.total().all_lte(limits.max_block.saturating_mul(2)),
			"block {n}: total weight {:?} above the block ({:?})",
			used.total(),
			limits.max_block
		);
		assert_eq!(Balances::total_issuance(), self.issuance, "block {n}: SLV issuance changed");
		for (i, id) in [assets::USD, assets::BTC, assets::ETH].into_iter().enumerate() {
			assert_eq!(
				Assets::total_issuance(id),
				self.supply[i],
				"block {n}: total supply of asset {id} changed"
			);
		}
		let checks = [
			("price-oracle", pallet_price_oracle::Pallet::<Runtime>::do_try_state()),
			("margin", pallet_margin::Pallet::<Runtime>::do_try_state()),
			("options", pallet_options::Pallet::<Runtime>::do_try_state()),
			("insurance-fund", pallet_insurance_fund::Pallet::<Runtime>::do_try_state()),
		];
		for (pallet, result) in checks {
			if let Err(e) = result {
				panic!("block {n}: {pallet} try_state failed: {e:?}");
			}
		}
		n
	}

	/// Feeders Alice, Bob and Charlie feed the generator's current BTC and ETH spot and vol.
	fn feed_all(&mut self) {
		let values = self.feed_values();
		for who in accounts().into_iter().take(3) {
			self.dispatch(
				"price_oracle.feed_values",
				RuntimeCall::PriceOracle(OracleCall::feed_values { values: values.clone() }),
				Origin::Signed(who),
			);
		}
	}

	fn feed_values(
		&self,
	) -> BoundedVec<(OracleKey, FixedU128), <Runtime as pallet_price_oracle::Config>::MaxFeedValues>
	{
		BoundedVec::truncate_from(vec![
			(OracleKey::Spot(assets::BTC), FixedU128::from_inner(self.spot[0])),
			(OracleKey::ImpliedVol(assets::BTC), FixedU128::from_inner(self.vol[0])),
			(OracleKey::Spot(assets::ETH), FixedU128::from_inner(self.spot[1])),
			(OracleKey::ImpliedVol(assets::ETH), FixedU128::from_inner(self.vol[1])),
		])
	}

	/// Move the generator's index: mostly by -5%..+5%, sometimes by -50%..+60%, or to a raw
	/// value.
	fn move_prices(&mut self, input: &mut Input) -> Option<()> {
		let which = (input.u8()? % 2) as usize;
		let b = input.u8()?;
		self.spot[which] = match b {
			0 => input.u128()?,
			1 => 1,
			// Mostly moves within the deviation breaker's band (-5%..+5%), sometimes jumps.
			2..=199 => (self.spot[which] / 1000).saturating_mul(950 + u128::from(b) % 101).max(1),
			_ => {
				let permille = 500 + u128::from(b - 200) * 20; // 0.5x .. 1.6x
				(self.spot[which] / 1000).saturating_mul(permille).max(1)
			}
		};
		let v = input.u8()?;
		self.vol[which] = if v == 0 { 0 } else { u128::from(v) * E18 / 100 };
		Some(())
	}

	/// A series id: an existing one (most of the time) or any.
	fn series(&self, input: &mut Input) -> Option<u32> {
		let b = input.u8()?;
		let ids: Vec<u32> = pallet_options::Series::<Runtime>::iter_keys().collect();
		Some(if b < 224 && !ids.is_empty() { ids[b as usize % ids.len()] } else { input.u32()? })
	}

	/// An order id: a resting one (most of the time) or any.
	fn order(&self, input: &mut Input) -> Option<u64> {
		let b = input.u8()?;
		let ids: Vec<u64> = pallet_options::Orders::<Runtime>::iter_keys().collect();
		Some(if b < 224 && !ids.is_empty() { ids[b as usize % ids.len()] } else { input.u64()? })
	}

	/// An expiry: the `k`-th on the schedule at least `min_time_to_expiry` ahead, or any.
	fn expiry(&self, input: &mut Input) -> Option<u64> {
		let b = input.u8()?;
		let p = pallet_options::Params::<Runtime>::get();
		let now = pallet_timestamp::Now::<Runtime>::get();
		if b >= 240 {
			return input.u64();
		}
		let interval = p.expiry_interval.max(1);
		let base = now.saturating_add(p.min_time_to_expiry);
		let mut e = base - base % interval + p.expiry_offset % interval;
		while e < base {
			e = e.saturating_add(interval);
		}
		Some(e.saturating_add(interval.saturating_mul(u64::from(b % 4))))
	}

	/// A strike around the underlying's index (50%..150% in 5% steps) or any.
	fn strike(&self, underlying: AssetId, input: &mut Input) -> Option<FixedU128> {
		let b = input.u8()?;
		if b >= 240 {
			return Some(FixedU128::from_inner(input.u128()?));
		}
		let spot = if underlying == assets::ETH { self.spot[1] } else { self.spot[0] };
		let step = (spot / 20) / E18 * E18; // whole USD
		Some(FixedU128::from_inner(step.saturating_mul(10 + u128::from(b % 21)).max(E18)))
	}

	fn contract_size(input: &mut Input) -> Option<FixedU128> {
		Some(match input.u8()? % 6 {
			0 => FixedU128::from_inner(E18 / 10),
			1 => FixedU128::from_inner(E18 / 100),
			2 => FixedU128::from_inner(0),
			3 => FixedU128::from_inner(input.u128()?),
			_ => FixedU128::from_inner(E18),
		})
	}

	/// Re-encode `value` with up to three bytes replaced, if that still decodes.
	fn mutate<T: Encode + Decode>(value: &T, input: &mut Input) -> Option<Option<T>> {
		let mut enc = value.encode();
		if enc.is_empty() {
			return Some(None);
		}
		for _ in 0..=(input.u8()? % 3) {
			let i = input.u8()? as usize % enc.len();
			enc[i] = input.u8()?;
		}
		Some(T::decode_all(&mut &enc[..]).ok())
	}

	/// Which origin: the natural one (most of the time), another signer, Root, or none.
	fn origin(natural: Origin, input: &mut Input) -> Option<Origin> {
		Some(match input.u8()? % 16 {
			13 => Origin::Signed(input.account()?),
			14 => Origin::Root,
			15 => Origin::None,
			_ => natural,
		})
	}

	/// Decode and run one operation. `None` when the input is used up.
	fn step(&mut self, input: &mut Input) -> Option<()> {
		let op = input.u8()?;
		let signer = input.account()?;
		let me = Origin::Signed(signer.clone());
		match op % 32 {
			0 | 1 => self.next_block(),
			2 => {
				for _ in 0..=(input.u8()? % 64) {
					self.next_block();
				}
			}
			3 | 4 => {
				self.move_prices(input)?;
				self.feed_all();
			}
			5 => {
				// One feeder (or a non-feeder) feeds its own, possibly bad, values.
				let mut values = self.feed_values().into_inner();
				let i = input.u8()? as usize % values.len();
				values[i].1 =
					FixedU128::from_inner(input.amount()?.saturating_mul(E18 / 1_000_000));
				if input.bool()? {
					values.push(values[0]);
				}
				let call = OracleCall::feed_values { values: BoundedVec::truncate_from(values) };
				let origin = Self::origin(me, input)?;
				self.dispatch("price_oracle.feed_values", RuntimeCall::PriceOracle(call), origin);
			}
			6 => {
				let call = match input.u8()? % 4 {
					0 => OracleCall::add_feeder { who: input.account()? },
					1 => OracleCall::remove_feeder { who: input.account()? },
					2 => {
						let key = if input.bool()? {
							OracleKey::Spot(input.asset()?)
						} else {
							OracleKey::ImpliedVol(input.asset()?)
						};
						OracleCall::reset_breaker { key }
					}
					_ => {
						let current = pallet_price_oracle::Params::<Runtime>::get();
						let params = Self::mutate(&current, input)?.unwrap_or(current);
						OracleCall::set_params { params }
					}
				};
				let origin = Self::origin(Origin::Root, input)?;
				self.dispatch("price_oracle.admin", RuntimeCall::PriceOracle(call), origin);
			}
			7 | 8 | 9 => {
				let call = MarginCall::deposit { asset: input.asset()?, amount: input.amount()? };
				let origin = Self::origin(me, input)?;
				self.dispatch("margin.deposit", RuntimeCall::Margin(call), origin);
			}
			10 | 11 => {
				let call = MarginCall::withdraw { asset: input.asset()?, amount: input.amount()? };
				let origin = Self::origin(me, input)?;
				self.dispatch("margin.withdraw", RuntimeCall::Margin(call), origin);
			}
			12 => {
				let call = MarginCall::liquidate { account: input.account()? };
				let origin = Self::origin(me, input)?;
				self.dispatch("margin.liquidate", RuntimeCall::Margin(call), origin);
			}
			13 => {
				// The offchain worker's batch, or a made-up one; `validate_unsigned` decides.
				let cap = pallet_margin::Params::<Runtime>::get().max_liquidations_per_block;
				let (mut batch, mut witness) =
					pallet_margin::Pallet::<Runtime>::liquidation_candidates(cap);
				if input.bool()? {
					batch = (0..input.u8()? % 4).map(|_| input.account()).collect::<Option<_>>()?;
					witness = input.u32()? % 64;
				}
				let call = MarginCall::liquidate_batch {
					accounts: BoundedVec::truncate_from(batch),
					position_witness: witness,
				};
				self.dispatch("margin.liquidate_batch", RuntimeCall::Margin(call), Origin::None);
			}
			14 => {
				let call = if input.bool()? {
					let current = pallet_margin::Params::<Runtime>::get();
					let params = Self::mutate(&current, input)?.unwrap_or(current);
					MarginCall::set_params { params }
				} else {
					let asset = input.asset()?;
					let current = pallet_margin::Collateral::<Runtime>::get(asset).unwrap_or(
						pallet_margin::CollateralParams {
							haircut: sp_runtime::Permill::from_percent(20),
							enabled: true,
						},
					);
					let params = Self::mutate(&current, input)?.unwrap_or(current);
					MarginCall::set_collateral_params { asset, params }
				};
				let origin = Self::origin(Origin::Root, input)?;
				self.dispatch("margin.admin", RuntimeCall::Margin(call), origin);
			}
			15 | 16 => {
				let underlying = match input.u8()? % 8 {
					0..=4 => assets::BTC,
					5 | 6 => assets::ETH,
					_ => input.asset()?,
				};
				let kind = if input.bool()? { OptionKind::Call } else { OptionKind::Put };
				let call = OptionsCall::list_series {
					underlying,
					kind,
					strike: self.strike(underlying, input)?,
					expiry: self.expiry(input)?,
					contract_size: Self::contract_size(input)?,
				};
				let origin = Self::origin(Origin::Root, input)?;
				self.dispatch("options.list_series", RuntimeCall::Options(call), origin);
			}
			17 => {
				let underlying = if input.bool()? { assets::BTC } else { assets::ETH };
				let kinds = match input.u8()? % 3 {
					0 => pallet_options::KindSet::Calls,
					1 => pallet_options::KindSet::Puts,
					_ => pallet_options::KindSet::Both,
				};
				let strikes = (0..input.u8()? % 20)
					.map(|_| self.strike(underlying, input))
					.collect::<Option<Vec<_>>>()?;
				let expiries =
					(0..input.u8()? % 6).map(|_| self.expiry(input)).collect::<Option<Vec<_>>>()?;
				let call = OptionsCall::list_grid {
					underlying,
					kinds,
					strikes: BoundedVec::truncate_from(strikes),
					expiries: BoundedVec::truncate_from(expiries),
					contract_size: Self::contract_size(input)?,
				};
				let origin = Self::origin(Origin::Root, input)?;
				self.dispatch("options.list_grid", RuntimeCall::Options(call), origin);
			}
			18..=22 => {
				let series = self.series(input)?;
				let side = if input.bool()? { Side::Buy } else { Side::Sell };
				let limit_premium = match input.u8()? % 6 {
					0 => input.amount()?,
					1 => band_edge(series, false).unwrap_or(10_000),
					2 => band_edge(series, true).unwrap_or(10_000),
					_ => u128::from(input.u8()?) * 10_000_000, // 0..2,550 USD in 10-USD steps
				};
				let time_in_force = match input.u8()? % 4 {
					0 => pallet_options::TimeInForce::GoodTilCancelled,
					1 => pallet_options::TimeInForce::ImmediateOrCancel,
					2 => pallet_options::TimeInForce::FillOrKill,
					_ => pallet_options::TimeInForce::PostOnly,
				};
				let call = OptionsCall::place_order {
					series,
					side,
					limit_premium,
					quantity: input.quantity()?,
					time_in_force,
				};
				let origin = Self::origin(me, input)?;
				self.dispatch("options.place_order", RuntimeCall::Options(call), origin);
			}
			23 => {
				let order_id = self.order(input)?;
				// Usually the order's owner cancels.
				let owner = pallet_options::Orders::<Runtime>::get(order_id)
					.map(|o| Origin::Signed(o.owner))
					.unwrap_or(me);
				let call = OptionsCall::cancel_order { order_id };
				let origin = Self::origin(owner, input)?;
				self.dispatch("options.cancel_order", RuntimeCall::Options(call), origin);
			}
			24 => {
				let current = pallet_options::Params::<Runtime>::get();
				let params = Self::mutate(&current, input)?.unwrap_or(current);
				let origin = Self::origin(Origin::Root, input)?;
				self.dispatch(
					"options.set_params",
					RuntimeCall::Options(OptionsCall::set_params { params }),
					origin,
				);
			}
			25 | 26 => {
				let call = match input.u8()? % 4 {
					0 | 1 => FundCall::stake { amount: input.amount()? },
					2 => FundCall::request_unstake { shares: input.amount()? },
					_ => {
						if input.bool()? {
							FundCall::cancel_unstake {}
						} else {
							FundCall::withdraw_unstaked {}
						}
					}
				};
				let origin = Self::origin(me, input)?;
				self.dispatch("insurance_fund.staking", RuntimeCall::InsuranceFund(call), origin);
			}
			27 => {
				let current = pallet_insurance_fund::Params::<Runtime>::get();
				let params = Self::mutate(&current, input)?.unwrap_or(current);
				let origin = Self::origin(Origin::Root, input)?;
				self.dispatch(
					"insurance_fund.set_params",
					RuntimeCall::InsuranceFund(FundCall::set_params { params }),
					origin,
				);
			}
			28 | 29 => {
				// A well-formed call with bytes flipped (SCALE-level mutation).
				let base = self.sample_call(input)?;
				let origin = Self::origin(me, input)?;
				if let Some(call) = Self::mutate(&base, input)? {
					if is_ours(&call) {
						self.dispatch("mutated", call, origin);
					}
				}
			}
			30 => {
				// A trade between two accounts: the signer rests one side, the other takes it
				// (IOC), so that positions, margin requirements and later liquidations are
				// reached. Half the time the two collude: the resting side is at the edge of the
				// price band (the most value a trade can move), in either direction, so a
				// closing trade at an absurd premium is tried against the invariant.
				let series = self.series(input)?;
				let mode = input.u8()?;
				let premium = match mode % 4 {
					0 => band_edge(series, false).unwrap_or(10_000),
					1 => band_edge(series, true).unwrap_or(10_000),
					_ => u128::from(input.u8()?) * 5_000_000, // 0..1,275 USD per contract
				};
				let quantity = 1 + u64::from(input.u8()? % 10);
				let taker = input.account()?;
				let (rest, take) =
					if mode & 4 == 0 { (Side::Sell, Side::Buy) } else { (Side::Buy, Side::Sell) };
				for (who, side, tif) in [
					(signer, rest, pallet_options::TimeInForce::GoodTilCancelled),
					(taker, take, pallet_options::TimeInForce::ImmediateOrCancel),
				] {
					let call = OptionsCall::place_order {
						series,
						side,
						limit_premium: premium,
						quantity,
						time_in_force: tif,
					};
					self.dispatch("trade", RuntimeCall::Options(call), Origin::Signed(who));
				}
			}
			31 if input.u8()? % 4 == 1 => {
				// Two colluding accounts: the signer buys a long from the other and writes a
				// short to it, the index moves, the signer withdraws all it may, the index moves
				// again, and the two trade the positions back at the edges of the band (the long
				// sold for the least, the short bought back for the most): the pattern of a
				// closing trade that moves value to a colluder. Each step is a dispatch checked
				// against the invariant.
				let other = input.account()?;
				self.feed_all();
				let long = self.fresh_series(input, OptionKind::Call)?;
				let short = self.fresh_series(input, OptionKind::Put)?;
				// 100 to 25,600 USD: from too little to write to plenty.
				let deposit = (u128::from(input.u8()?) + 1) * 100_000_000;
				let q = 1 + u64::from(input.u8()? % 4);
				let trade = |f: &mut Self,
				             maker: &AccountId,
				             taker: &AccountId,
				             id,
				             side,
				             price| {
					let opposite = if side == Side::Buy { Side::Sell } else { Side::Buy };
					for (who, side, tif) in [
						(maker.clone(), opposite, pallet_options::TimeInForce::GoodTilCancelled),
						(taker.clone(), side, pallet_options::TimeInForce::ImmediateOrCancel),
					] {
						let call = OptionsCall::place_order {
							series: id,
							side,
							limit_premium: price,
							quantity: q,
							time_in_force: tif,
						};
						f.dispatch("collude", RuntimeCall::Options(call), Origin::Signed(who));
					}
				};
				// The colluder holds plenty; the signer what the input says (often too little).
				let call = MarginCall::deposit { asset: assets::USD, amount: 100_000_000_000 };
				self.dispatch("collude", RuntimeCall::Margin(call), Origin::Signed(other.clone()));
				let call = MarginCall::deposit { asset: assets::USD, amount: deposit };
				self.dispatch("collude", RuntimeCall::Margin(call), me.clone());
				let mid = |id| {
					let (lo, hi) = (band_edge(id, false), band_edge(id, true));
					let tick = lo.unwrap_or(10_000).min(10_000).max(1);
					(lo.unwrap_or(10_000) + hi.unwrap_or(10_000)) / 2 / tick * tick
				};
				trade(self, &other, &signer, long, Side::Buy, mid(long));
				trade(self, &other, &signer, short, Side::Sell, mid(short));
				// Feeds land once per feeder per block: a new block for each price move.
				self.next_block();
				self.move_prices(input)?;
				self.feed_all();
				self.withdraw_max(&signer);
				// Walk the index down 1% a block (against the short put) until the signer's
				// maintenance surplus is below what selling the long at the band's edge would
				// cost: the boundary where a closing trade could leave it below maintenance.
				for _ in 0..input.u8()? % 48 {
					let Ok(risk) = pallet_margin::Pallet::<Runtime>::risk(&signer) else { break };
					let long_value: i128 = risk
						.positions
						.iter()
						.filter(|p| p.id == long && p.quantity > 0)
						.map(|p| p.mark_value)
						.sum();
					if risk.margin().maintenance_surplus() < long_value / 2 {
						break;
					}
					self.next_block();
					self.spot[0] = self.spot[0] / 100 * 99;
					self.feed_all();
				}
				trade(
					self,
					&other,
					&signer,
					long,
					Side::Sell,
					band_edge(long, false).unwrap_or(10_000),
				);
				trade(
					self,
					&other,
					&signer,
					short,
					Side::Buy,
					band_edge(short, true).unwrap_or(10_000),
				);
			}
			31 if input.u8()? % 4 == 2 => {
				// Bankruptcies beyond the insurance fund (issue 15's loss waterfall): up to four
				// writers each sell up to 255 puts of 0.1 BTC at mid to the signer with little
				// margin, the index falls 25-45% in one feed (inside the dev breaker's 50%), and
				// the automatic batch liquidates them: bad debt taken over by the fund and paid
				// over blocks at its cap, socialized when the fund's cash cannot pay (also when
				// the fund's puts settle later). The harness checks the custody invariant after
				// every block.
				self.feed_all();
				let id = self.fresh_series(input, OptionKind::Put)?;
				let call = MarginCall::deposit { asset: assets::USD, amount: 5_000_000_000_000 };
				self.dispatch("bankruptcy", RuntimeCall::Margin(call), me.clone());
				let price = {
					let (lo, hi) = (band_edge(id, false), band_edge(id, true));
					let tick = lo.unwrap_or(10_000).min(10_000).max(1);
					(lo.unwrap_or(10_000) + hi.unwrap_or(10_000)) / 2 / tick * tick
				};
				for _ in 0..=(input.u8()? % 4) {
					let writer = input.account()?;
					let q = 1 + u64::from(input.u8()?);
					// 0 to 1,275 USD a contract: from nothing to about the initial margin.
					let amount = u128::from(q) * u128::from(input.u8()?) * 5_000_000;
					let call = MarginCall::deposit { asset: assets::USD, amount };
					self.dispatch(
						"bankruptcy",
						RuntimeCall::Margin(call),
						Origin::Signed(writer.clone()),
					);
					for (who, side, tif) in [
						(writer, Side::Sell, pallet_options::TimeInForce::GoodTilCancelled),
						(signer.clone(), Side::Buy, pallet_options::TimeInForce::ImmediateOrCancel),
					] {
						let call = OptionsCall::place_order {
							series: id,
							side,
							limit_premium: price,
							quantity: q,
							time_in_force: tif,
						};
						self.dispatch(
							"bankruptcy",
							RuntimeCall::Options(call),
							Origin::Signed(who),
						);
					}
				}
				self.next_block();
				self.spot[0] = self.spot[0] / 100 * (55 + u128::from(input.u8()? % 21));
				self.feed_all();
				self.next_block();
				let cap = pallet_margin::Params::<Runtime>::get().max_liquidations_per_block;
				let (batch, witness) =
					pallet_margin::Pallet::<Runtime>::liquidation_candidates(cap);
				if !batch.is_empty() {
					let call = MarginCall::liquidate_batch {
						accounts: BoundedVec::truncate_from(batch),
						position_witness: witness,
					};
					self.dispatch("bankruptcy", RuntimeCall::Margin(call), Origin::None);
				}
			}
			31 if input.u8()? % 4 == 0 => {
				// Withdraw all the USD the margin rules allow (equity - IM - open-order margin,
				// at most the cash): leaves the account at its initial-margin edge, where a later
				// price move and a closing trade at the band's edge test the invariant.
				self.withdraw_max(&signer);
			}
			_ => {
				// A raw `RuntimeCall` from the input (SRLabs style), if it is one of ours.
				let origin = match input.u8()? % 8 {
					0 => Origin::Root,
					1 => Origin::None,
					_ => me,
				};
				// Bytes that do not decode are consumed and skipped (the program goes on).
				if let Ok(call) =
					RuntimeCall::decode_with_depth_limit(MAX_DECODE_DEPTH, &mut input.0)
				{
					if is_ours(&call) {
						self.dispatch("raw", call, origin);
					}
				}
			}
		}
		Some(())
	}

	/// A BTC series of `kind` trading now: listed by Root at a strike around the index and the
	/// next expiry on the schedule (or the existing series of those terms).
	fn fresh_series(&mut self, input: &mut Input, kind: OptionKind) -> Option<u32> {
		let terms = pallet_options::SeriesTerms {
			underlying: assets::BTC,
			kind,
			strike: self.strike(assets::BTC, input)?,
			expiry: self.expiry(input)?,
			contract_size: FixedU128::from_inner(E18 / 10),
		};
		if pallet_options::SeriesIndex::<Runtime>::get(terms).is_none() {
			let call = OptionsCall::list_series {
				underlying: terms.underlying,
				kind,
				strike: terms.strike,
				expiry: terms.expiry,
				contract_size: terms.contract_size,
			};
			self.dispatch("collude", RuntimeCall::Options(call), Origin::Root);
		}
		pallet_options::SeriesIndex::<Runtime>::get(terms)
	}

	/// `who` withdraws all the USD the margin rules allow (equity - IM - open-order margin, at
	/// most its cash).
	fn withdraw_max(&mut self, who: &AccountId) {
		let free = pallet_margin::Pallet::<Runtime>::risk(who).ok().map(|s| {
			let spare = s.equity - s.requirement.initial_with_orders() as i128;
			spare.min(s.cash).max(0) as u128
		});
		if let Some(amount) = free.filter(|a| *a > 0) {
			let call = MarginCall::withdraw { asset: assets::USD, amount };
			self.dispatch(
				"margin.withdraw_max",
				RuntimeCall::Margin(call),
				Origin::Signed(who.clone()),
			);
		}
	}

	/// A well-formed call to mutate.
	fn sample_call(&self, input: &mut Input) -> Option<RuntimeCall> {
		Some(match input.u8()? % 5 {
			0 => RuntimeCall::Margin(MarginCall::deposit {
				asset: assets::USD,
				amount: 1_000_000_000,
			}),
			1 => RuntimeCall::Margin(MarginCall::withdraw {
				asset: assets::BTC,
				amount: 100_000_000,
			}),
			2 => RuntimeCall::Options(OptionsCall::place_order {
				series: self.series(input)?,
				side: Side::Sell,
				limit_premium: 100_000_000,
				quantity: 2,
				time_in_force: pallet_options::TimeInForce::GoodTilCancelled,
			}),
			3 => RuntimeCall::PriceOracle(OracleCall::feed_values { values: self.feed_values() }),
			_ => RuntimeCall::InsuranceFund(FundCall::stake { amount: 5_000_000_000 }),
		})
	}

	/// Dispatch `call` as the block builder would: skip it if the block has no room for its
	/// declared weight; unsigned calls only if `validate_unsigned` accepts them. Checks the
	/// post-dispatch weight against the declared one and that a failed call changed nothing.
	fn dispatch(&mut self, name: &str, call: RuntimeCall, origin: Origin) {
		if let Origin::None = origin {
			let valid = match &call {
				RuntimeCall::Margin(c) => {
					<pallet_margin::Pallet<Runtime> as ValidateUnsigned>::validate_unsigned(
						TransactionSource::InBlock,
						c,
					)
					.is_ok()
				}
				_ => false,
			};
			if !valid {
				self.stats.rejected_unsigned += 1;
				return;
			}
		}
		let info = call.get_dispatch_info();
		let declared = info.total_weight();
		let limits = <Runtime as frame_system::Config>::BlockWeights::get();
		let used = frame_system::BlockWeight::<Runtime>::get();
		let class_max = limits.get(info.class).max_total.unwrap_or(limits.max_block);
		let fits = used.get(info.class).saturating_add(declared).all_lte(class_max)
			&& (info.class != DispatchClass::Normal
				|| used.total().saturating_add(declared).all_lte(limits.max_block));
		if !fits {
			self.stats.skipped_full += 1;
			return;
		}
		let root_before = sp_io::storage::root(StateVersion::V1);
		let label = format!("{name}:{}", call_name(&call));
		let surplus_before = checks_surplus(&call, &origin).then(trader_surpluses);
		let result = call.dispatch(origin.runtime());
		if let Some(before) = surplus_before {
			check_only_prices_make_liquidatable(&label, &before, &trader_surpluses());
		}
		// Before this call's weight is registered (which writes `BlockWeight`).
		let root_after = result.is_err().then(|| sp_io::storage::root(StateVersion::V1));
		let post = match &result {
			Ok(p) => *p,
			Err(e) => e.post_info,
		};
		let actual: Weight = post.actual_weight.unwrap_or(info.call_weight);
		assert!(
			actual.all_lte(info.call_weight),
			"{label}: post-dispatch weight {actual:?} above the declared {:?}",
			info.call_weight
		);
		System::register_extra_weight_unchecked(
			actual.saturating_add(info.extension_weight),
			info.class,
		);
		let entry = self.stats.calls.entry(label.clone()).or_default();
		match result {
			Ok(_) => entry.0 += 1,
			Err(e) => {
				entry.1 += 1;
				assert_eq!(
					Some(root_before),
					root_after,
					"{label}: a failed call ({e:?}) changed state"
				);
				let error = match e.error {
					sp_runtime::DispatchError::Module(m) => {
						let meta: &'static str = m.message.unwrap_or("?");
						format!("module {}:{meta}", m.index)
					}
					other => format!("{other:?}"),
				};
				*self.stats.errors.entry(error).or_default() += 1;
			}
		}
	}
}

/// The lowest (`upper = false`) or highest premium on the tick inside series `id`'s price
/// band now, USD units per contract; `None` without a mark.
fn band_edge(id: u32, upper: bool) -> Option<u128> {
	type Options = pallet_options::Pallet<Runtime>;
	let info = pallet_options::Series::<Runtime>::get(id)?;
	let mark = Options::unit_mark(id, &info, Options::now(), false).ok()?;
	let params = pallet_options::Params::<Runtime>::get();
	let size = info.terms.contract_size;
	let band = Options::price_band(size, mark.greeks.price, mark.spot, &params);
	let tick = Options::tick(size, &params);
	Some(if upper { band.upper / tick * tick } else { band.lower.div_ceil(tick) * tick })
}

/// Whether the "only price moves make a trader liquidatable" invariant applies to `call` from
/// `origin`: every call but a price feed and governance's (Root), including the automatic
/// liquidation batch.
fn checks_surplus(call: &RuntimeCall, origin: &Origin) -> bool {
	!matches!(origin, Origin::Root)
		&& !matches!(call, RuntimeCall::PriceOracle(OracleCall::feed_values { .. }))
}

/// Maintenance surplus (equity - MM, USD units) of every trader account the runtime knows
/// (margin accounts and position holders, protocol accounts left out); `None` for an account
/// whose prices are unavailable.
fn trader_surpluses() -> BTreeMap<AccountId, Option<(i128, i128)>> {
	use solvent_primitives::ProtocolAccounts as _;
	let mut who: Vec<AccountId> = pallet_margin::Accounts::<Runtime>::iter_keys().collect();
	who.extend(pallet_options::AccountSeries::<Runtime>::iter_keys());
	who.into_iter()
		.filter(|a| !solvent_runtime::configs::solvent::ProtocolAccounts::is_protocol_account(a))
		.map(|a| {
			let surplus = pallet_margin::Pallet::<Runtime>::risk(&a).ok().map(|s| {
				let m = s.margin();
				(m.maintenance_surplus(), m.equity)
			});
			(a, surplus)
		})
		.collect()
}

/// Panics if an account ends below its maintenance margin without having been below it before
/// with a surplus no better, or ends with negative equity (bad debt) lower than before: only
/// price moves make a trader liquidatable, and no call creates or deepens bad debt.
fn check_only_prices_make_liquidatable(
	label: &str,
	before: &BTreeMap<AccountId, Option<(i128, i128)>>,
	after: &BTreeMap<AccountId, Option<(i128, i128)>>,
) {
	for (who, after) in after {
		let Some((surplus, equity)) = *after else { continue };
		if surplus >= 0 {
			continue;
		}
		let (surplus_before, equity_before) = before.get(who).copied().flatten().unwrap_or((0, 0));
		assert!(
			surplus >= surplus_before.min(0),
			"{label}: left {who:?} below its maintenance margin (surplus {surplus_before} -> {surplus})"
		);
		assert!(
			equity >= equity_before.min(0),
			"{label}: created or deepened bad debt of {who:?} (equity {equity_before} -> {equity})"
		);
	}
}

/// Whether `call` belongs to one of Solvent's four pallets (the only ones fuzzed).
fn is_ours(call: &RuntimeCall) -> bool {
	matches!(
		call,
		RuntimeCall::PriceOracle(_)
			| RuntimeCall::Margin(_)
			| RuntimeCall::Options(_)
			| RuntimeCall::InsuranceFund(_)
	)
}

/// `pallet.call` of a runtime call, e.g. `Margin.deposit`.
fn call_name(call: &RuntimeCall) -> String {
	use frame_support::traits::GetCallMetadata;
	let m = call.get_call_metadata();
	format!("{}.{}", m.pallet_name, m.function_name)
}
