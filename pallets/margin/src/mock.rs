//! Test runtime: System, Balances, Assets (USD 6 decimals, BTC 8, ETH 18), the margin pallet and
//! the real insurance fund (so bad-debt cover goes through `pallet-insurance-fund`), with a mock
//! oracle and a mock product of short/long BTC puts whose mark is the intrinsic value.

use crate::{self as pallet_margin, CollateralParams, MarginParams};
use frame_support::{
	derive_impl, parameter_types,
	traits::{AsEnsureOriginWithArg, ConstU32, ConstU64, Hooks},
	Blake2_128Concat, PalletId,
};
use frame_system::{EnsureRoot, EnsureSigned};
use solvent_primitives::{
	fixed_to_usd, usd_to_fixed, AssetId, Balance, MarginLedger, MarginRequirement, OracleKey,
	Portfolio, PositionProvider, PositionRisk, Price, PriceError, PriceProvider, PriceStatus,
	SignedBalance, TimestampedValue, TransferOutcome,
};
use sp_arithmetic::{FixedPointNumber, FixedU128, Permill, Rounding};
use sp_runtime::{BuildStorage, DispatchError};

pub type AccountId = u64;
type Block = frame_system::mocking::MockBlock<Test>;
pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;

/// One USD in settlement-asset units (6 decimals).
pub const USD: Balance = 1_000_000;
/// One BTC in satoshi (8 decimals).
pub const BTC: Balance = 100_000_000;
/// One ETH in wei (18 decimals).
pub const ETH: Balance = 1_000_000_000_000_000_000;
pub const USD_ID: AssetId = 1;
pub const BTC_ID: AssetId = 2;
pub const ETH_ID: AssetId = 3;
/// An asset that exists in pallet-assets but is not accepted as collateral.
pub const DOGE_ID: AssetId = 9;
/// An asset the oracle prices but that is not collateral at genesis.
pub const SOL_ID: AssetId = 10;
/// An asset that exists but whose spot price the oracle does not track.
pub const UNPRICED_ID: AssetId = 12;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const KEEPER: AccountId = 4;
pub const TREASURY: AccountId = 30;

/// Cash the insurance fund starts with (USD units), matched by treasury shares.
pub const FUND_SEED: Balance = 1_000_000 * USD;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Assets: pallet_assets,
		Margin: pallet_margin,
		InsuranceFund: pallet_insurance_fund,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Balance = Balance;
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type Freezer = ();
	type Holder = ();
}

impl frame_system::offchain::CreateTransactionBase<pallet_margin::Call<Test>> for Test {
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl frame_system::offchain::CreateBare<pallet_margin::Call<Test>> for Test {
	fn create_bare(call: RuntimeCall) -> Extrinsic {
		Extrinsic::new_bare(call)
	}
}

parameter_types! {
	pub const MarginPalletId: PalletId = PalletId(*b"sv/margn");
	pub const FundPalletId: PalletId = PalletId(*b"sv/insfd");
	pub const SettlementAsset: AssetId = USD_ID;
}

impl pallet_margin::Config for Test {
	type Assets = Assets;
	type Prices = MockOracle;
	type Positions = MockPositions;
	type BadDebt = InsuranceFund;
	type ProtocolAccounts = MockProtocolAccounts;
	type RiskAdminOrigin = EnsureRoot<AccountId>;
	type PalletId = MarginPalletId;
	type SettlementAsset = SettlementAsset;
	type MaxCollateralAssets = ConstU32<4>;
	type MaxPositions = ConstU32<8>;
	type MaxOpenOrders = ConstU32<4>;
	type MaxActiveSeries = ConstU32<8>;
	type MaxLiquidationsPerBlock = ConstU32<100>;
	type UnsignedPriority = ConstU64<{ u64::MAX / 2 }>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

impl pallet_insurance_fund::Config for Test {
	type PalletId = FundPalletId;
	type Ledger = Margin;
	type Positions = MockPositions;
	type OracleGuard = ();
	type MaxFundPositions = ConstU32<8>;
	type RiskAdminOrigin = EnsureRoot<AccountId>;
	type MinUnstakeCooldown = ConstU64<10>;
	type MaxUnstakeCooldown = ConstU64<1_000>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = FundBenchmarkHelper;
}

/// The protocol accounts of the tests: the insurance fund, the treasury and
/// [`ExtraProtocolAccount`] (a runtime upgrade changing the set).
pub struct MockProtocolAccounts;

#[frame_support::storage_alias(verbatim)]
pub type ExtraProtocolAccount = StorageValue<MockProtocolAccounts, AccountId>;

impl solvent_primitives::ProtocolAccounts<AccountId> for MockProtocolAccounts {
	fn is_protocol_account(who: &AccountId) -> bool {
		*who == InsuranceFund::fund_account()
			|| *who == TREASURY
			|| ExtraProtocolAccount::get() == Some(*who)
	}
}

// ---------------------------------------------------------------------------- oracle

/// Oracle of the tests: a settable spot price per asset; an asset without a price is
/// unavailable (`NoQuorum`, or `Halted` with an upper bound set by [`halt_price`]).
pub struct MockOracle;

#[frame_support::storage_alias(verbatim)]
pub type Spot = StorageMap<MockOracle, Blake2_128Concat, AssetId, Price>;

/// The upper bound the oracle reports while an asset's price is halted
/// (`PriceProvider::spot_upper_bound`).
#[frame_support::storage_alias(verbatim)]
pub type UpperBound = StorageMap<MockOracle, Blake2_128Concat, AssetId, Price>;

impl PriceProvider for MockOracle {
	/// The oracle tracks the spot of BTC, ETH, DOGE and SOL (not of `UNPRICED_ID`).
	fn supports(key: &OracleKey) -> bool {
		matches!(key, OracleKey::Spot(a) if [BTC_ID, ETH_ID, DOGE_ID, SOL_ID].contains(a))
	}

	fn get(key: &OracleKey) -> Result<TimestampedValue, PriceError> {
		match key {
			OracleKey::Spot(asset) => match (Spot::get(asset), UpperBound::contains_key(asset)) {
				(Some(value), _) => Ok(TimestampedValue { value, timestamp: 0 }),
				(None, true) => Err(PriceError::Halted),
				(None, false) => Err(PriceError::NoQuorum),
			},
			OracleKey::ImpliedVol(_) => Err(PriceError::NoQuorum),
		}
	}
	fn status(key: &OracleKey) -> PriceStatus {
		match Self::get(key) {
			Ok(_) => PriceStatus::Available,
			Err(PriceError::Halted) => PriceStatus::Halted,
			Err(_) => PriceStatus::NoQuorum,
		}
	}
	fn twap(key: &OracleKey, _: u64, _: u64) -> Result<FixedU128, PriceError> {
		Self::get(key).map(|v| v.value)
	}
	fn spot_upper_bound(asset: AssetId) -> Result<Price, PriceError> {
		Self::spot(asset).or_else(|_| UpperBound::get(asset).ok_or(PriceError::NoHistory))
	}
}

/// Set the spot price of `asset` to `usd` whole dollars (lifting any halt).
pub fn set_price(asset: AssetId, usd: u128) {
	Spot::insert(asset, FixedU128::saturating_from_integer(usd));
	UpperBound::remove(asset);
}

/// Halt the price of `asset` (unavailable, `Halted`); the oracle's upper bound of it is
/// `bound_usd` whole dollars.
pub fn halt_price(asset: AssetId, bound_usd: u128) {
	Spot::remove(asset);
	UpperBound::insert(asset, FixedU128::saturating_from_integer(bound_usd));
}

/// Make the price of `asset` unavailable, with no upper bound known.
pub fn remove_price(asset: AssetId) {
	Spot::remove(asset);
	UpperBound::remove(asset);
}

/// Spot of BTC in USD units, rounded down.
pub fn btc_spot_usd() -> Result<Balance, PriceError> {
	MockOracle::spot(BTC_ID).map(|p| fixed_to_usd(p, Rounding::Down))
}

// ---------------------------------------------------------------------------- product

/// The product of the tests: European BTC puts, 1 BTC per contract, quantity signed (negative
/// = short). Mark = intrinsic value `max(K - S, 0)`; a short needs `IM = 0.15 S + mark` and
/// `MM = 0.075 S + mark` per contract (the Deribit shape), a long needs none; notional = S.
pub struct MockPositions;

/// Positions per account: `(id, quantity, strike in USD units)`.
#[frame_support::storage_alias(verbatim)]
pub type Book = StorageMap<
	MockPositions,
	Blake2_128Concat,
	AccountId,
	Vec<(u32, i64, Balance)>,
	frame_support::pallet_prelude::ValueQuery,
>;
/// Resting orders per account (the benchmarks' `open_orders`; liquidation cancels them).
#[frame_support::storage_alias(verbatim)]
pub type RestingOrders = StorageMap<
	MockPositions,
	Blake2_128Concat,
	AccountId,
	u32,
	frame_support::pallet_prelude::ValueQuery,
>;
/// `cancel_orders` calls per account.
#[frame_support::storage_alias(verbatim)]
pub type Cancels = StorageMap<
	MockPositions,
	Blake2_128Concat,
	AccountId,
	u32,
	frame_support::pallet_prelude::ValueQuery,
>;

/// Figures of one contract at spot `s` (USD units): `(mark, im, mm)` for a short.
pub fn put_figures(strike: Balance, s: Balance) -> (Balance, Balance, Balance) {
	let mark = strike.saturating_sub(s);
	let im = Permill::from_percent(15).mul_ceil(s) + mark;
	let mm = Permill::from_rational(75u32, 1000u32).mul_ceil(s) + mark;
	(mark, im, mm)
}

fn risk_of(id: u32, quantity: i64, strike: Balance, s: Balance) -> PositionRisk {
	let (mark, im, mm) = put_figures(strike, s);
	let q = quantity.unsigned_abs() as u128;
	let short = quantity < 0;
	PositionRisk {
		id,
		quantity,
		mark_value: (mark * q) as SignedBalance * if short { -1 } else { 1 },
		initial_margin: if short { im * q } else { 0 },
		maintenance_margin: if short { mm * q } else { 0 },
		notional: s * q,
		mark_price: usd_to_fixed(mark),
		index_price: usd_to_fixed(s),
	}
}

/// Give `who` `quantity` contracts (negative: short) of put `id` with `strike` USD units,
/// without any cash flow (as if traded earlier at premium zero).
pub fn open_put(who: AccountId, id: u32, quantity: i64, strike: Balance) {
	Book::mutate(who, |book| {
		if let Some(p) = book.iter_mut().find(|p| p.0 == id) {
			p.1 += quantity;
		} else {
			book.push((id, quantity, strike));
		}
		book.retain(|p| p.1 != 0);
	});
}

/// Net quantity of put `id` held by `who`.
pub fn quantity_of(who: AccountId, id: u32) -> i64 {
	Book::get(who).iter().find(|p| p.0 == id).map(|p| p.1).unwrap_or(0)
}

impl PositionProvider<AccountId> for MockPositions {
	fn portfolio(who: &AccountId) -> Result<Portfolio, PriceError> {
		let book = Book::get(who);
		if book.is_empty() {
			return Ok(Portfolio::default());
		}
		let s = btc_spot_usd()?;
		let positions: Vec<PositionRisk> =
			book.into_iter().map(|(id, q, k)| risk_of(id, q, k, s)).collect();
		let mut requirement = MarginRequirement::default();
		for r in &positions {
			requirement = requirement.saturating_add(MarginRequirement {
				initial: r.initial_margin,
				open_orders: 0,
				maintenance: r.maintenance_margin,
				unrealized_pnl: r.mark_value,
			});
		}
		Ok(Portfolio { positions, requirement })
	}
	fn position_count(who: &AccountId) -> u32 {
		Book::get(who).len() as u32
	}
	fn position_holders() -> Vec<AccountId> {
		Book::iter_keys().collect()
	}
	fn open_interest_notional() -> Result<Balance, PriceError> {
		let s = btc_spot_usd()?;
		Ok(Book::iter()
			.flat_map(|(_, book)| book.into_iter())
			.filter(|p| p.1 < 0)
			.map(|p| p.1.unsigned_abs() as u128 * s)
			.sum())
	}
	fn open_interest_series() -> u32 {
		let mut ids: Vec<u32> =
			Book::iter().flat_map(|(_, book)| book.into_iter()).map(|p| p.0).collect();
		ids.sort();
		ids.dedup();
		ids.len() as u32
	}
	fn cancel_orders(who: &AccountId) -> u32 {
		Cancels::mutate(who, |n| *n += 1);
		RestingOrders::take(who)
	}
	fn transfer_position(
		from: &AccountId,
		to: &AccountId,
		position: &PositionRisk,
		quantity: u64,
	) -> Result<TransferOutcome, DispatchError> {
		let (id, q, k) = Book::get(from)
			.into_iter()
			.find(|p| p.0 == position.id)
			.ok_or(DispatchError::Other("no such position"))?;
		if q != position.quantity {
			return Err(DispatchError::Other("not the position priced"));
		}
		let moved = quantity.min(q.unsigned_abs());
		// At the price the position was priced at (no oracle read).
		let s = fixed_to_usd(position.index_price, Rounding::Down);
		let mark = fixed_to_usd(position.mark_price, Rounding::Down);
		let value = mark * moved as u128;
		let signed_moved = if q < 0 { -(moved as i64) } else { moved as i64 };
		open_put(*from, id, -signed_moved, k);
		open_put(*to, id, signed_moved, k);
		let value = if q < 0 {
			// A short moved: the sender pays the receiver the mark value.
			Margin::transfer_cash(from, to, value)?;
			-(value as SignedBalance)
		} else {
			Margin::transfer_cash(to, from, value)?;
			value as SignedBalance
		};
		Ok(TransferOutcome {
			quantity: moved,
			value,
			notional: s * moved as u128,
			remaining: risk_of(id, q - signed_moved, k, s),
		})
	}
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
	fn fund(asset: AssetId, who: &AccountId, amount: Balance) {
		use frame_support::traits::fungibles::Mutate;
		let _ = <Assets as Mutate<AccountId>>::mint_into(asset, who, amount);
	}
	fn set_prices() {
		set_price(BTC_ID, 50_000);
		set_price(ETH_ID, 3_000);
	}
	fn open_positions(who: &AccountId, count: u32) {
		for id in 0..count {
			open_put(*who, id, -1, 50_000 * USD);
		}
	}
	fn open_orders(who: &AccountId, count: u32) {
		RestingOrders::insert(who, count);
	}
	fn give_fund_positions(fund: &AccountId, count: u32) {
		for id in 0..count {
			open_put(*fund, 100 + id, -1, 50_000 * USD);
		}
	}
	fn crash_prices() {
		set_price(BTC_ID, 40_000);
		set_price(ETH_ID, 2_400);
	}
	fn collateral_asset(i: u32) -> AssetId {
		[BTC_ID, ETH_ID][(i as usize) % 2]
	}
}

#[cfg(feature = "runtime-benchmarks")]
pub struct FundBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_insurance_fund::BenchmarkHelper<AccountId> for FundBenchmarkHelper {
	fn give_fund_positions(fund: &AccountId, count: u32) {
		for id in 0..count {
			open_put(*fund, 100 + id, -1, 50_000 * USD);
		}
	}
	fn fund_usd(who: &AccountId, amount: Balance) {
		use frame_support::traits::fungibles::Mutate;
		let _ = <Assets as Mutate<AccountId>>::mint_into(USD_ID, who, amount);
	}
}

// ---------------------------------------------------------------------------- builder

/// Collateral parameters of the tests: BTC 10% haircut, ETH 15%, both enabled.
pub fn default_collateral() -> Vec<(AssetId, CollateralParams)> {
	vec![
		(BTC_ID, CollateralParams { haircut: Permill::from_percent(10), enabled: true }),
		(ETH_ID, CollateralParams { haircut: Permill::from_percent(15), enabled: true }),
	]
}

/// Liquidation parameters of the tests: penalty 1%, keeper reward 0.5%, 10 per block; coverage
/// target 2%, maximum initial-margin add-on 50%.
pub fn default_params() -> MarginParams {
	MarginParams {
		liquidation_penalty: Permill::from_percent(1),
		keeper_reward: Permill::from_rational(5u32, 1000u32),
		max_liquidations_per_block: 10,
		min_deposit: 10 * USD,
		coverage_target: Permill::from_percent(2),
		max_im_addon: Permill::from_percent(50),
	}
}

/// The insurance fund's margin account.
pub fn fund() -> AccountId {
	InsuranceFund::fund_account()
}

pub struct ExtBuilder {
	payout_cap: Balance,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { payout_cap: 100_000 * USD }
	}
}

impl ExtBuilder {
	/// Per-block payout cap of the insurance fund (USD units).
	pub fn payout_cap(mut self, cap: Balance) -> Self {
		self.payout_cap = cap;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let holders = [ALICE, BOB, CHARLIE, KEEPER];
		let mut accounts = Vec::new();
		for who in holders {
			accounts.push((USD_ID, who, 10_000_000 * USD));
			accounts.push((BTC_ID, who, 100 * BTC));
			accounts.push((ETH_ID, who, 1_000 * ETH));
			accounts.push((DOGE_ID, who, 1_000));
		}
		let storage = RuntimeGenesisConfig {
			system: Default::default(),
			balances: pallet_balances::GenesisConfig {
				balances: vec![(ALICE, 1_000_000)],
				..Default::default()
			},
			assets: pallet_assets::GenesisConfig {
				assets: vec![
					(USD_ID, ALICE, true, 1),
					(BTC_ID, ALICE, true, 1),
					(ETH_ID, ALICE, true, 1),
					(DOGE_ID, ALICE, true, 1),
					(SOL_ID, ALICE, true, 1),
					(UNPRICED_ID, ALICE, true, 1),
				],
				metadata: vec![
					(USD_ID, b"US Dollar".to_vec(), b"USD".to_vec(), 6),
					(BTC_ID, b"Wrapped Bitcoin".to_vec(), b"BTC".to_vec(), 8),
					(ETH_ID, b"Wrapped Ether".to_vec(), b"ETH".to_vec(), 18),
					(DOGE_ID, b"Doge".to_vec(), b"DOGE".to_vec(), 8),
				],
				accounts,
				next_asset_id: None,
				reserves: vec![],
			},
			margin: pallet_margin::GenesisConfig {
				collateral: default_collateral(),
				params: default_params(),
				cash: vec![(InsuranceFund::fund_account(), FUND_SEED)],
			},
			insurance_fund: pallet_insurance_fund::GenesisConfig {
				params: pallet_insurance_fund::FundParams {
					payout_cap_per_block: self.payout_cap,
					unstake_cooldown: 100,
					unstake_window: 100,
					fee_share: Permill::from_percent(10),
				},
				initial_shares: vec![(TREASURY, FUND_SEED)],
			},
		}
		.build_storage()
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			set_price(BTC_ID, 50_000);
			set_price(ETH_ID, 3_000);
		});
		ext
	}

	/// Build, run `test`, then check the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Margin::do_try_state().expect("margin try_state holds after the test");
		});
	}
}

/// Move to block `n`, running the insurance fund's and margin's `on_initialize`.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		Margin::on_finalize(System::block_number());
		let next = System::block_number() + 1;
		System::set_block_number(next);
		InsuranceFund::on_initialize(next);
		Margin::on_initialize(next);
	}
}

/// The margin pallet's events so far, oldest first.
pub fn margin_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Margin(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// Cash of `who` (USD units).
pub fn cash(who: AccountId) -> SignedBalance {
	<Margin as MarginLedger<AccountId>>::cash(&who)
}
