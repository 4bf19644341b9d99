//! Test runtime: `frame_system` + the options pallet, with a settable clock, an oracle with
//! settable spot, implied volatility, availability and TWAP, and a margin ledger with `i128`
//! cash per account whose initial-margin check can be programmed per account. The mocks keep
//! their state in storage, so `assert_noop!` covers it too.

use crate::{self as pallet_options, OptionsParams, SeriesTerms, DAY, HOUR};
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Hooks, Time},
	Blake2_128Concat, PalletId, Twox64Concat,
};
use frame_system::EnsureRoot;
use scale_info::TypeInfo;
use solvent_primitives::{
	AssetId, Balance, MarginLedger, MarginSnapshot, Moment, OptionKind, OracleKey,
	PositionProvider, Price, PriceError, PriceProvider, PriceStatus, SeriesId, SignedBalance,
	TimestampedValue,
};
use sp_arithmetic::{FixedI128, FixedU128, Permill};
use sp_runtime::{traits::Convert, BuildStorage, DispatchError, DispatchResult};

pub type AccountId = u64;
type Block = frame_system::mocking::MockBlock<Test>;

/// One USD in settlement-asset units (6 decimals).
pub const USD: Balance = 1_000_000;
pub const BTC: AssetId = 2;
pub const ETH: AssetId = 3;

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const EVE: AccountId = 5;
pub const FERDIE: AccountId = 6;
pub const FUND: AccountId = 900;
pub const COLLECTOR: AccountId = 901;

/// 2024-01-01 00:00:00 UTC (ms): the mock's genesis time.
pub const T0: Moment = 1_704_067_200_000;
/// The first expiry on the mock schedule (daily at 08:00 UTC): 2024-01-01 08:00.
pub const E1: Moment = T0 + 8 * HOUR;
/// The next one: 2024-01-02 08:00.
pub const E2: Moment = E1 + DAY;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Options: pallet_options,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	pub static TradingPaused: bool = false;
	pub const OptionsPalletId: PalletId = PalletId(*b"sv/optns");
	pub static Now: Moment = T0;
	pub static FeeShare: Permill = Permill::from_percent(10);
	pub const FundAccount: AccountId = FUND;
	pub const CollectorAccount: AccountId = COLLECTOR;
}

/// The protocol accounts of the tests: the fund, the fee collector and every settlement
/// account.
pub struct MockProtocolAccounts;
impl solvent_primitives::ProtocolAccounts<AccountId> for MockProtocolAccounts {
	fn is_protocol_account(who: &AccountId) -> bool {
		*who == FUND
			|| *who == COLLECTOR
			|| (0..30u32).any(|id| Options::settlement_account(id) == *who)
	}
}

/// The mock clock ([`Now`]).
pub struct MockTime;
impl Time for MockTime {
	type Moment = Moment;
	fn now() -> Moment {
		Now::get()
	}
}

impl pallet_options::Config for Test {
	type PalletId = OptionsPalletId;
	type Prices = MockPrices;
	type Ledger = MockLedger;
	type Time = MockTime;
	type ListingOrigin = EnsureRoot<AccountId>;
	type RiskAdminOrigin = EnsureRoot<AccountId>;
	type InsuranceFundAccount = FundAccount;
	type InsuranceFeeShare = FeeShare;
	type FeeCollector = CollectorAccount;
	type ProtocolAccounts = MockProtocolAccounts;
	type MaxActiveSeries = ConstU32<30>;
	type MaxGridStrikes = ConstU32<4>;
	type MaxGridExpiries = ConstU32<3>;
	type MaxOrdersPerSide = ConstU32<5>;
	type MaxOpenOrdersPerAccount = ConstU32<4>;
	type MaxFillsPerCall = ConstU32<3>;
	type MaxPositionsPerAccount = ConstU32<3>;
	type MaxSettlementsPerBlock = ConstU32<5>;
	type MaxUnwindQuotesPerBlock = ConstU32<2>;
	type TradingPaused = TradingPaused;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

// ---------------------------------------------------------------------------- oracle

/// The oracle of the tests: per asset a spot, an implied volatility, a TWAP, and a flag that
/// makes both spot and volatility unavailable.
pub struct MockPrices;

#[frame_support::storage_alias(verbatim)]
pub type SpotPrice = StorageMap<MockPrices, Twox64Concat, AssetId, Price>;
#[frame_support::storage_alias(verbatim)]
pub type ImpliedVol = StorageMap<MockPrices, Twox64Concat, AssetId, FixedU128>;
#[frame_support::storage_alias(verbatim)]
pub type Twap = StorageMap<MockPrices, Twox64Concat, AssetId, Price>;
#[frame_support::storage_alias(verbatim)]
pub type Halted =
	StorageMap<MockPrices, Twox64Concat, AssetId, bool, frame_support::pallet_prelude::ValueQuery>;
/// The last TWAP request: `(key, window, end)`.
#[frame_support::storage_alias(verbatim)]
pub type LastTwapRequest = StorageValue<MockPrices, (OracleKey, Moment, Moment)>;
/// The coverage (ms) of the TWAP of an asset; the whole window if unset.
#[frame_support::storage_alias(verbatim)]
pub type TwapCoverage = StorageMap<MockPrices, Twox64Concat, AssetId, Moment>;
/// The last spot price of an asset available at or before any end, with the end of the time it
/// was available (capped at the end asked for); none if unset.
#[frame_support::storage_alias(verbatim)]
pub type LastPrice = StorageMap<MockPrices, Twox64Concat, AssetId, TimestampedValue>;

parameter_types! {
	/// The oracle's history span: `pallet-price-oracle`'s `HISTORY_SPAN` (24 h 55 min).
	pub static HistorySpan: Moment = 89_700_000;
}

impl PriceProvider for MockPrices {
	/// The oracle tracks BTC and ETH (as the runtime's `SupportedKeys`).
	fn supports(key: &OracleKey) -> bool {
		let (OracleKey::Spot(a) | OracleKey::ImpliedVol(a)) = key;
		*a == BTC || *a == ETH
	}

	fn get(key: &OracleKey) -> Result<TimestampedValue, PriceError> {
		let (asset, value) = match key {
			OracleKey::Spot(a) => (*a, SpotPrice::get(a)),
			OracleKey::ImpliedVol(a) => (*a, ImpliedVol::get(a)),
		};
		if Halted::get(asset) {
			return Err(PriceError::Halted);
		}
		value
			.map(|value| TimestampedValue { value, timestamp: Now::get() })
			.ok_or(PriceError::NoQuorum)
	}
	fn status(key: &OracleKey) -> PriceStatus {
		match Self::get(key) {
			Ok(_) => PriceStatus::Available,
			Err(PriceError::Halted) => PriceStatus::Halted,
			Err(_) => PriceStatus::NoQuorum,
		}
	}
	fn twap(key: &OracleKey, window: Moment, end: Moment) -> Result<FixedU128, PriceError> {
		LastTwapRequest::put((*key, window, end));
		match key {
			OracleKey::Spot(a) => Twap::get(a).ok_or(PriceError::NoHistory),
			OracleKey::ImpliedVol(_) => Err(PriceError::NoHistory),
		}
	}
}

/// The TWAP with its coverage ([`TwapCoverage`], the whole window if unset).
impl Convert<(OracleKey, Moment, Moment), Result<(FixedU128, Moment), PriceError>> for MockPrices {
	fn convert(
		(key, window, end): (OracleKey, Moment, Moment),
	) -> Result<(FixedU128, Moment), PriceError> {
		let twap = <Self as PriceProvider>::twap(&key, window, end)?;
		let (OracleKey::Spot(a) | OracleKey::ImpliedVol(a)) = key;
		Ok((twap, TwapCoverage::get(a).unwrap_or(window).min(window)))
	}
}

/// The last price ([`LastPrice`]), available until at most `end`.
impl Convert<(OracleKey, Moment), Result<TimestampedValue, PriceError>> for MockPrices {
	fn convert((key, end): (OracleKey, Moment)) -> Result<TimestampedValue, PriceError> {
		match key {
			OracleKey::Spot(a) => LastPrice::get(a)
				.map(|v| TimestampedValue { value: v.value, timestamp: v.timestamp.min(end) })
				.ok_or(PriceError::NoHistory),
			OracleKey::ImpliedVol(_) => Err(PriceError::NoHistory),
		}
	}
}

/// The history span ([`HistorySpan`]).
impl Convert<(), Moment> for MockPrices {
	fn convert(_: ()) -> Moment {
		HistorySpan::get()
	}
}

pub fn set_spot(asset: AssetId, spot: Price) {
	SpotPrice::insert(asset, spot);
}
pub fn set_vol(asset: AssetId, vol: FixedU128) {
	ImpliedVol::insert(asset, vol);
}
pub fn set_twap(asset: AssetId, price: Price) {
	Twap::insert(asset, price);
}
pub fn halt(asset: AssetId, halted: bool) {
	Halted::insert(asset, halted);
}
/// The TWAP of `asset` covers only `ms` of any window.
pub fn set_twap_coverage(asset: AssetId, ms: Moment) {
	TwapCoverage::insert(asset, ms);
}
/// The last price of `asset` available at or before any end is `price`, available until
/// `until` (ms).
pub fn set_last_price(asset: AssetId, price: Price, until: Moment) {
	LastPrice::insert(asset, TimestampedValue { value: price, timestamp: until });
}

// ---------------------------------------------------------------------------- ledger

/// How the mock ledger answers `ensure_initial_margin` for an account.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, Default, TypeInfo, MaxEncodedLen)]
pub enum MarginMode {
	/// `cash + collateral + unrealized PnL >= initial margin`, with the options pallet as the
	/// position provider (fails if a price is unavailable).
	#[default]
	Real,
	/// Always fails.
	Fail,
	/// Always passes.
	Pass,
}

/// The margin ledger of the tests.
pub struct MockLedger;

#[frame_support::storage_alias(verbatim)]
pub type Cash = StorageMap<
	MockLedger,
	Blake2_128Concat,
	AccountId,
	SignedBalance,
	frame_support::pallet_prelude::ValueQuery,
>;
/// Haircut value of non-USD collateral (USD units), counted in equity.
#[frame_support::storage_alias(verbatim)]
pub type Collateral = StorageMap<
	MockLedger,
	Blake2_128Concat,
	AccountId,
	SignedBalance,
	frame_support::pallet_prelude::ValueQuery,
>;
#[frame_support::storage_alias(verbatim)]
pub type Mode = StorageMap<
	MockLedger,
	Blake2_128Concat,
	AccountId,
	MarginMode,
	frame_support::pallet_prelude::ValueQuery,
>;
/// Number of `ensure_initial_margin` calls per account.
#[frame_support::storage_alias(verbatim)]
pub type ImChecks = StorageMap<
	MockLedger,
	Blake2_128Concat,
	AccountId,
	u32,
	frame_support::pallet_prelude::ValueQuery,
>;

fn signed(x: Balance) -> SignedBalance {
	SignedBalance::try_from(x).unwrap()
}

impl MarginLedger<AccountId> for MockLedger {
	fn cash(who: &AccountId) -> SignedBalance {
		Cash::get(who)
	}
	fn transfer_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult {
		Cash::mutate(from, |c| *c -= signed(amount));
		Cash::mutate(to, |c| *c += signed(amount));
		Ok(())
	}
	fn margin_snapshot(who: &AccountId) -> Result<MarginSnapshot, DispatchError> {
		let requirement = <Options as PositionProvider<AccountId>>::margin_requirement(who)
			.map_err(|_| DispatchError::Other("price unavailable"))?;
		let equity = Cash::get(who) + Collateral::get(who) + requirement.unrealized_pnl;
		Ok(MarginSnapshot { equity, requirement })
	}
	/// As `pallet-margin`'s trade margin rule: fully margined after, or (closing) no worse;
	/// protocol accounts exempt.
	fn ensure_trade_margin(who: &AccountId, before: Option<&MarginSnapshot>) -> DispatchResult {
		ImChecks::mutate(who, |n| *n += 1);
		if <MockProtocolAccounts as solvent_primitives::ProtocolAccounts<AccountId>>::is_protocol_account(who) {
			return Ok(());
		}
		match Mode::get(who) {
			MarginMode::Pass => Ok(()),
			MarginMode::Fail => Err(DispatchError::Other("insufficient margin")),
			MarginMode::Real => {
				let after = Self::margin_snapshot(who)?;
				if after.is_fully_margined() {
					return Ok(());
				}
				match before {
					Some(b)
						if after.requirement.initial_with_orders()
							<= b.requirement.initial_with_orders()
							&& after.maintenance_surplus() >= b.maintenance_surplus().min(0) =>
					{
						Ok(())
					}
					_ => Err(DispatchError::Other("insufficient margin")),
				}
			}
		}
	}
	fn deposit_cash(_from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult {
		Cash::mutate(to, |c| *c += signed(amount));
		Ok(())
	}
	fn withdraw_cash(from: &AccountId, _to: &AccountId, amount: Balance) -> DispatchResult {
		Cash::mutate(from, |c| *c -= signed(amount));
		Ok(())
	}
	/// The options pallet never asks: no uncovered bad debt in the tests.
	fn uncovered_bad_debt() -> Balance {
		0
	}
	/// Cash only: the mock has no collateral.
	fn payable(who: &AccountId) -> Balance {
		solvent_primitives::positive_part(Cash::get(who))
	}
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
	fn set_time(now: Moment) {
		Now::set(now);
	}
	fn set_prices(asset: AssetId, spot: Price, vol: FixedU128) {
		set_spot(asset, spot);
		set_vol(asset, vol);
		set_twap(asset, spot);
		set_last_price(asset, spot, Now::get());
		halt(asset, false);
	}
	fn fund_account(who: &AccountId, amount: Balance) {
		Cash::mutate(who, |c| *c += signed(amount));
	}
}

// ---------------------------------------------------------------------------- builder

/// Parameters of the mock: Deribit defaults (fees 0.03%, IM 0.15/0.10, MM 0.075, rate 0), a
/// 30-minute settlement window, daily expiries at 08:00 UTC, at least one hour to expiry, a
/// tick of 0.01 USD per unit, and the widest price band the bounds allow (2% of the
/// underlying, 1,200 USD per one-BTC contract at 60,000), so the tests can trade round
/// premiums; the band tests set their own.
pub fn default_params() -> OptionsParams {
	OptionsParams {
		price_band_rate: crate::PRICE_BAND_RATE_BOUNDS.1,
		price_band_floor: crate::PRICE_BAND_FLOOR_BOUNDS.1,
		..OptionsParams::default()
	}
}

pub fn fixed(n: u128) -> FixedU128 {
	FixedU128::from_inner(n * 1_000_000_000_000_000_000)
}

pub fn fixed_rational(n: u128, d: u128) -> FixedU128 {
	FixedU128::from_rational(n, d)
}

pub struct ExtBuilder {
	params: OptionsParams,
	cash: Vec<(AccountId, SignedBalance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			params: default_params(),
			cash: [ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE]
				.into_iter()
				.map(|a| (a, signed(1_000_000 * USD)))
				.collect(),
		}
	}
}

impl ExtBuilder {
	pub fn params(mut self, params: OptionsParams) -> Self {
		self.params = params;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let storage = RuntimeGenesisConfig {
			system: Default::default(),
			options: pallet_options::GenesisConfig { params: self.params, ..Default::default() },
		}
		.build_storage()
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			Now::set(T0);
			FeeShare::set(Permill::from_percent(10));
			for (who, c) in &self.cash {
				Cash::insert(who, c);
			}
			set_spot(BTC, fixed(60_000));
			set_vol(BTC, fixed_rational(8, 10));
			set_spot(ETH, fixed(3_000));
			set_vol(ETH, fixed_rational(6, 10));
		});
		ext
	}

	/// Build, run `test`, then check the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Options::do_try_state().expect("try_state holds after the test");
		});
	}
}

/// Advance to block `n`, running `on_initialize` of every block on the way.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let b = System::block_number() + 1;
		System::set_block_number(b);
		Options::on_initialize(b);
	}
}

/// Run the next block's `on_initialize`.
pub fn next_block() {
	run_to_block(System::block_number() + 1);
}

pub fn set_now(ms: Moment) {
	Now::set(ms);
}

pub fn cash(who: AccountId) -> SignedBalance {
	Cash::get(who)
}

/// Terms of a BTC series with contract size 1.
pub fn btc(kind: OptionKind, strike: u128, expiry: Moment) -> SeriesTerms {
	SeriesTerms { underlying: BTC, kind, strike: fixed(strike), expiry, contract_size: fixed(1) }
}

/// List `terms` as Root; returns the id.
pub fn list(terms: SeriesTerms) -> SeriesId {
	let id = pallet_options::NextSeriesId::<Test>::get();
	frame_support::assert_ok!(Options::list_series(
		RuntimeOrigin::root(),
		terms.underlying,
		terms.kind,
		terms.strike,
		terms.expiry,
		terms.contract_size
	));
	id
}

/// The pallet's events so far, oldest first.
pub fn options_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Options(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// Rate as a `FixedI128` fraction `n / d`.
pub fn rate(n: i128, d: i128) -> FixedI128 {
	FixedI128::from_inner(n * 1_000_000_000_000_000_000 / d)
}
