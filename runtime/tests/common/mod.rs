//! What the runtime-level tests share: the dev genesis, blocks with every pallet's hooks, price
//! feeds, funded accounts, listings, orders, and the trader invariant of issue 14.
#![allow(dead_code)]

use frame_support::{
	traits::{fungibles::Mutate, OnFinalize, OnInitialize},
	BoundedVec,
};
use serde_json::Value;
use solvent_primitives::{
	assets, MarginLedger, OptionKind, OracleKey, ProtocolAccounts as _, Side,
};
use solvent_runtime::{
	AccountId, AllPalletsWithSystem, Margin, Options, PriceOracle, Runtime, RuntimeGenesisConfig,
	RuntimeOrigin, System,
};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{DispatchResult, FixedU128};
use std::collections::BTreeMap;

pub use pallet_options::TimeInForce;

pub const USD: u128 = 1_000_000;
pub const BLOCK_MS: u64 = 3_000;

fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(b), Value::Object(p)) => {
			for (k, v) in p {
				merge(b.entry(k).or_insert(Value::Null), v);
			}
		}
		(b, p) => *b = p,
	}
}

/// Externalities with the dev preset's genesis.
pub fn dev_ext() -> sp_io::TestExternalities {
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	let patch = solvent_runtime::genesis_config_presets::get_preset(&"development".into()).unwrap();
	merge(&mut config, serde_json::from_slice(&patch).unwrap());
	let json = serde_json::to_vec(&config).unwrap();
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		frame_support::genesis_builder_helper::build_state::<RuntimeGenesisConfig>(json).unwrap();
	});
	ext
}

/// Start block `n` at time `n x 3 s` (from 2026-01-01), running every pallet's hooks.
pub fn next_block() {
	let n = System::block_number();
	if n > 0 {
		AllPalletsWithSystem::on_finalize(n);
	}
	let n = n + 1;
	System::reset_events();
	System::initialize(&n, &Default::default(), &Default::default());
	let now = 1_767_225_600_000 + n as u64 * BLOCK_MS;
	pallet_aura::CurrentSlot::<Runtime>::put(sp_consensus_aura::Slot::from(now / BLOCK_MS));
	pallet_timestamp::Pallet::<Runtime>::set_timestamp(now);
	AllPalletsWithSystem::on_initialize(n);
}

/// Alice, Bob and Charlie (dev feeders, quorum 3) feed BTC spot and an 80% implied vol.
pub fn feed(btc_usd: u32) {
	let values: BoundedVec<_, _> = BoundedVec::truncate_from(vec![
		(OracleKey::Spot(assets::BTC), FixedU128::from_u32(btc_usd)),
		(OracleKey::ImpliedVol(assets::BTC), FixedU128::from_rational(8, 10)),
	]);
	for k in [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie] {
		PriceOracle::feed_values(RuntimeOrigin::signed(k.to_account_id()), values.clone()).unwrap();
	}
}

/// A fresh account, distinct for every `i`.
pub fn trader(i: u32) -> AccountId {
	let mut raw = [7u8; 32];
	raw[..4].copy_from_slice(&i.to_le_bytes());
	AccountId::new(raw)
}

/// Mint `usd` USD units to `who` and deposit them into its margin account.
pub fn fund_margin(who: &AccountId, usd: u128) {
	<solvent_runtime::Assets as Mutate<AccountId>>::mint_into(assets::USD, who, usd).unwrap();
	Margin::deposit(RuntimeOrigin::signed(who.clone()), assets::USD, usd).unwrap();
}

/// The `k`-th dev expiry (every 2 minutes) at least `min_time_to_expiry` ahead.
pub fn expiry(k: u64) -> u64 {
	let params = pallet_options::Params::<Runtime>::get();
	let now = pallet_timestamp::Now::<Runtime>::get();
	let base = now + params.min_time_to_expiry;
	base - base % params.expiry_interval + params.expiry_interval * (1 + k)
}

/// List a BTC series (Root) on the `k`-th expiry ahead; returns its id.
pub fn list(kind: OptionKind, strike: u32, k: u64, contract_size: FixedU128) -> u32 {
	let terms = pallet_options::SeriesTerms {
		underlying: assets::BTC,
		kind,
		strike: FixedU128::from_u32(strike),
		expiry: expiry(k),
		contract_size,
	};
	Options::list_series(
		RuntimeOrigin::root(),
		terms.underlying,
		kind,
		terms.strike,
		terms.expiry,
		terms.contract_size,
	)
	.unwrap();
	pallet_options::SeriesIndex::<Runtime>::get(terms).unwrap()
}

/// List a BTC put of one BTC per contract at `strike` on the next dev expiry; returns its id.
pub fn list_put(strike: u32) -> u32 {
	list(OptionKind::Put, strike, 0, FixedU128::from_u32(1))
}

/// `who` places an order.
pub fn order(
	who: &AccountId,
	series: u32,
	side: Side,
	price: u128,
	quantity: u64,
	tif: TimeInForce,
) -> DispatchResult {
	Options::place_order(RuntimeOrigin::signed(who.clone()), series, side, price, quantity, tif)
		.map(|_| ())
		.map_err(|e| e.error)
}

/// `seller` rests a sell of `quantity` at `price`, `buyer` takes it (IOC).
pub fn trade(buyer: &AccountId, seller: &AccountId, series: u32, price: u128, quantity: u64) {
	order(seller, series, Side::Sell, price, quantity, TimeInForce::GoodTilCancelled).unwrap();
	order(buyer, series, Side::Buy, price, quantity, TimeInForce::ImmediateOrCancel).unwrap();
}

/// `writer` sells one contract of `series` at 40 USD (resting) and `buyer` takes it (IOC).
pub fn write_put(writer: AccountId, buyer: &AccountId, series: u32) {
	trade(buyer, &writer, series, 40 * USD, 1);
}

/// The band of `series` now, on the tick: `(lowest, highest)` accepted premium.
pub fn band_edges(series: u32) -> (u128, u128) {
	let info = pallet_options::Series::<Runtime>::get(series).unwrap();
	let mark = Options::unit_mark(series, &info, Options::now(), false).unwrap();
	let params = pallet_options::Params::<Runtime>::get();
	let size = info.terms.contract_size;
	let band = Options::price_band(size, mark.greeks.price, mark.spot, &params);
	let tick = Options::tick(size, &params);
	(band.lower.div_ceil(tick) * tick, band.upper / tick * tick)
}

/// Maintenance surplus (equity - MM, USD units) of `who`.
pub fn surplus(who: &AccountId) -> i128 {
	Margin::risk(who).unwrap().margin().maintenance_surplus()
}

/// Every trader account's maintenance surplus and equity (USD units; protocol accounts left
/// out).
pub fn trader_surpluses() -> BTreeMap<AccountId, Option<(i128, i128)>> {
	let mut who: Vec<AccountId> = pallet_margin::Accounts::<Runtime>::iter_keys().collect();
	who.extend(pallet_options::AccountSeries::<Runtime>::iter_keys());
	who.into_iter()
		.filter(|a| !solvent_runtime::configs::solvent::ProtocolAccounts::is_protocol_account(a))
		.map(|a| {
			let figures = Margin::risk(&a).ok().map(|s| {
				let m = s.margin();
				(m.maintenance_surplus(), m.equity)
			});
			(a, figures)
		})
		.collect()
}

/// Run `f` (a signed call that is not a price feed) and check issue 14's invariant: no trader
/// account ends below its maintenance margin unless it was already below and is no worse, and
/// none ends with negative equity (bad debt) it did not have, or deeper.
pub fn checked<R>(f: impl FnOnce() -> R) -> R {
	let before = trader_surpluses();
	let r = f();
	for (who, after) in trader_surpluses() {
		let Some((surplus, equity)) = after else { continue };
		let (surplus_before, equity_before) = before.get(&who).copied().flatten().unwrap_or((0, 0));
		assert!(
			surplus >= 0 || surplus >= surplus_before.min(0),
			"{who:?} left below maintenance: surplus {surplus_before} -> {surplus}"
		);
		assert!(
			surplus >= 0 || equity >= equity_before.min(0),
			"{who:?} given bad debt: equity {equity_before} -> {equity}"
		);
	}
	r
}

/// The settlement-asset ledger now: `(USD held by the margin pallet, uncovered bad debt the
/// fund owes, sum of every account's cash after socialized losses, the fund's cash)`, USD units.
pub fn usd_ledger() -> (i128, i128, i128, i128) {
	let index = pallet_margin::CurrentCashIndex::<Runtime>::get();
	let cash: i128 = pallet_margin::Accounts::<Runtime>::iter()
		.map(|(who, account)| Margin::effective_cash(&who, &account, index))
		.sum();
	let held = solvent_runtime::Assets::balance(assets::USD, &Margin::account_id()) as i128;
	let uncovered = pallet_margin::UncoveredBadDebt::<Runtime>::get() as i128;
	let fund = pallet_insurance_fund::Pallet::<Runtime>::fund_account();
	(held, uncovered, cash, <Margin as MarginLedger<AccountId>>::cash(&fund))
}

/// Per asset, the margin pallet's balance covers every claim on it: for USD, every trader's
/// positive cash (after socialized losses) and the fund's cash beyond what it owes, less the
/// debts that collateral or positions back (negative cash of an account with equity >= 0;
/// unbacked debt counts for nothing); for other assets, the accounts' collateral.
pub fn assert_custody_covers_claims() {
	let pallet = Margin::account_id();
	let index = pallet_margin::CurrentCashIndex::<Runtime>::get();
	let fund = pallet_insurance_fund::Pallet::<Runtime>::fund_account();
	let uncovered = pallet_margin::UncoveredBadDebt::<Runtime>::get() as i128;
	let mut claims: i128 = 0;
	let mut held: BTreeMap<u32, u128> = BTreeMap::new();
	for (who, account) in pallet_margin::Accounts::<Runtime>::iter() {
		let cash = Margin::effective_cash(&who, &account, index);
		claims += if who == fund {
			(cash - uncovered).max(0)
		} else if cash >= 0 {
			cash
		} else if Margin::risk(&who).is_ok_and(|r| r.equity >= 0) {
			// A debt the account's collateral or positions back: the pool's claim on it.
			cash
		} else {
			// Bad debt nobody has taken over is not an asset of the pool.
			0
		};
		for (asset, amount) in account.collateral.iter() {
			*held.entry(*asset).or_default() += amount;
		}
	}
	let usd = solvent_runtime::Assets::balance(assets::USD, &pallet) as i128;
	assert!(usd >= claims, "USD custody {usd} < claims {claims}");
	for (asset, amount) in held {
		assert!(solvent_runtime::Assets::balance(asset, &pallet) >= amount);
	}
}
