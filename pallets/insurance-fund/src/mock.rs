//! Test runtime: `frame_system` + the insurance fund, with a small margin ledger kept in
//! storage (so `assert_noop!` also covers it) and a settable open interest.

use crate::{self as pallet_insurance_fund, FundParams};
use frame_support::{
	derive_impl,
	pallet_prelude::ValueQuery,
	parameter_types,
	traits::{ConstU32, ConstU64, Hooks},
	Blake2_128Concat, PalletId,
};
use frame_system::EnsureRoot;
use solvent_primitives::{
	Balance, MarginLedger, MarginSnapshot, Portfolio, PositionProvider, PositionRisk, PriceError,
	SignedBalance, TransferOutcome,
};
use sp_arithmetic::Permill;
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, TokenError};

pub type AccountId = u64;
type Block = frame_system::mocking::MockBlock<Test>;

/// One USD in settlement-asset units (6 decimals).
pub const USD: Balance = 1_000_000;
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DEBTOR: AccountId = 10;
pub const TRADER: AccountId = 20;
pub const TREASURY: AccountId = 30;

/// Bounds of the unstake cooldown in the mock (blocks).
pub const MIN_COOLDOWN: u64 = 10;
pub const MAX_COOLDOWN: u64 = 1_000;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		InsuranceFund: pallet_insurance_fund,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	pub const FundPalletId: PalletId = PalletId(*b"sv/insfd");
	/// Open interest notional the mock position provider reports.
	pub static OpenInterest: Result<Balance, PriceError> = Ok(0);
}

impl pallet_insurance_fund::Config for Test {
	type PalletId = FundPalletId;
	type Ledger = MockLedger;
	type Positions = MockPositions;
	type OracleGuard = MockOracleGuard;
	type RiskAdminOrigin = EnsureRoot<AccountId>;
	type MaxFundPositions = ConstU32<8>;
	type MinUnstakeCooldown = ConstU64<MIN_COOLDOWN>;
	type MaxUnstakeCooldown = ConstU64<MAX_COOLDOWN>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

/// The margin ledger of the tests. Every account has a token balance of the USD asset
/// ([`Tokens`]) and a margin account with signed `cash` ([`Cash`]); `equity = cash +`
/// [`OtherEquity`] (stands for haircut collateral and mark value of positions). With
/// [`PricesDown`] set, equity is unavailable; with [`FailTransfers`] set, `transfer_cash` fails
/// after moving the cash (to check that the fund rolls it back).
pub struct MockLedger;

#[frame_support::storage_alias(verbatim)]
pub type Cash = StorageMap<MockLedger, Blake2_128Concat, AccountId, SignedBalance, ValueQuery>;
#[frame_support::storage_alias(verbatim)]
pub type Tokens = StorageMap<MockLedger, Blake2_128Concat, AccountId, Balance, ValueQuery>;
#[frame_support::storage_alias(verbatim)]
pub type OtherEquity =
	StorageMap<MockLedger, Blake2_128Concat, AccountId, SignedBalance, ValueQuery>;
/// Positions the fund holds (the benchmarks' `give_fund_positions`).
#[frame_support::storage_alias(verbatim)]
pub type FundPositions = StorageValue<MockLedger, u32, ValueQuery>;
/// Bad debt the fund owes and has not paid (the margin pallet's `UncoveredBadDebt`).
#[frame_support::storage_alias(verbatim)]
pub type UncoveredBadDebt = StorageValue<MockLedger, Balance, ValueQuery>;
#[frame_support::storage_alias(verbatim)]
pub type PricesDown = StorageValue<MockLedger, bool, ValueQuery>;
#[frame_support::storage_alias(verbatim)]
pub type FailTransfers = StorageValue<MockLedger, bool, ValueQuery>;

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
		if FailTransfers::get() {
			return Err(DispatchError::Other("mock transfer failure"));
		}
		Ok(())
	}
	fn margin_snapshot(who: &AccountId) -> Result<MarginSnapshot, DispatchError> {
		if PricesDown::get() {
			return Err(DispatchError::Other("price unavailable"));
		}
		Ok(MarginSnapshot { equity: Cash::get(who) + OtherEquity::get(who), ..Default::default() })
	}
	fn ensure_trade_margin(_: &AccountId, _: Option<&MarginSnapshot>) -> DispatchResult {
		Ok(())
	}
	fn deposit_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult {
		let balance = Tokens::get(from);
		if balance < amount {
			return Err(TokenError::FundsUnavailable.into());
		}
		Tokens::insert(from, balance - amount);
		Cash::mutate(to, |c| *c += signed(amount));
		Ok(())
	}
	fn withdraw_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult {
		if Cash::get(from) < signed(amount) {
			return Err(DispatchError::Other("insufficient cash"));
		}
		Cash::mutate(from, |c| *c -= signed(amount));
		Tokens::mutate(to, |b| *b += amount);
		Ok(())
	}
	fn uncovered_bad_debt() -> Balance {
		UncoveredBadDebt::get()
	}
	fn payable(who: &AccountId) -> Balance {
		solvent_primitives::positive_part(Cash::get(who)).saturating_sub(UncoveredBadDebt::get())
	}
}

/// Oracle guard of the tests: the key [`UnavailableKey`] holds is unavailable.
pub struct MockOracleGuard;

#[frame_support::storage_alias(verbatim)]
pub type UnavailableKey = StorageValue<MockOracleGuard, solvent_primitives::OracleKey>;

impl solvent_primitives::OracleGuard for MockOracleGuard {
	fn unavailable_key() -> Option<solvent_primitives::OracleKey> {
		UnavailableKey::get()
	}
}

/// Position provider of the tests: only the open interest matters here.
pub struct MockPositions;

impl PositionProvider<AccountId> for MockPositions {
	fn portfolio(_: &AccountId) -> Result<Portfolio, PriceError> {
		Ok(Portfolio::default())
	}
	fn position_count(who: &AccountId) -> u32 {
		if *who == fund() {
			FundPositions::get()
		} else {
			0
		}
	}
	fn position_holders() -> Vec<AccountId> {
		Vec::new()
	}
	fn open_interest_notional() -> Result<Balance, PriceError> {
		OpenInterest::get()
	}
	fn cancel_orders(_: &AccountId) -> u32 {
		0
	}
	fn transfer_position(
		_: &AccountId,
		_: &AccountId,
		_: &PositionRisk,
		_: u64,
	) -> Result<TransferOutcome, DispatchError> {
		Err(DispatchError::Other("no positions"))
	}
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
	fn give_fund_positions(_fund: &AccountId, count: u32) {
		FundPositions::put(count);
	}
	fn fund_usd(who: &AccountId, amount: Balance) {
		Tokens::mutate(who, |b| *b += amount);
	}
}

/// The fund's account in the mock.
pub fn fund() -> AccountId {
	InsuranceFund::fund_account()
}

/// Default parameters of the mock: 1,000 USD cap per block, 100-block cooldown, 10% fee share.
pub fn default_params() -> FundParams<u64> {
	FundParams {
		payout_cap_per_block: 1_000 * USD,
		unstake_cooldown: 100,
		unstake_window: 100,
		fee_share: Permill::from_percent(10),
	}
}

pub struct ExtBuilder {
	params: FundParams<u64>,
	initial_shares: Vec<(AccountId, Balance)>,
	fund_cash: SignedBalance,
	tokens: Vec<(AccountId, Balance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			params: default_params(),
			initial_shares: Vec::new(),
			fund_cash: 0,
			tokens: vec![(ALICE, 100_000 * USD), (BOB, 100_000 * USD), (CHARLIE, 100_000 * USD)],
		}
	}
}

impl ExtBuilder {
	pub fn params(mut self, params: FundParams<u64>) -> Self {
		self.params = params;
		self
	}

	/// Genesis shares of the protocol treasury plus the matching USD in the fund's cash (what
	/// the runtime's margin genesis does).
	pub fn seeded(mut self, treasury_usd: Balance) -> Self {
		self.initial_shares = vec![(TREASURY, treasury_usd)];
		self.fund_cash = signed(treasury_usd);
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let storage = RuntimeGenesisConfig {
			system: Default::default(),
			insurance_fund: pallet_insurance_fund::GenesisConfig {
				params: self.params,
				initial_shares: self.initial_shares,
			},
		}
		.build_storage()
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			Cash::insert(fund(), self.fund_cash);
			for (who, amount) in &self.tokens {
				Tokens::insert(who, amount);
			}
		});
		ext
	}

	/// Build, run `test`, then check the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			InsuranceFund::do_try_state().expect("try_state holds after the test");
		});
	}
}

/// Move to block `n` (the pallet has no per-block hooks to run).
pub fn run_to_block(n: u64) {
	System::set_block_number(n);
	InsuranceFund::on_initialize(n);
}

/// A trading fee of `amount` USD units arriving in the fund (as the options pallet pays it).
pub fn pay_fee_to_fund(amount: Balance) {
	Cash::mutate(TRADER, |c| *c -= signed(amount));
	Cash::mutate(fund(), |c| *c += signed(amount));
}

/// The pallet's events so far, oldest first.
pub fn fund_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::InsuranceFund(e) => Some(e),
			_ => None,
		})
		.collect()
}
