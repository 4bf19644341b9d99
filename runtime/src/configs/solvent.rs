//! Configuration of Solvent's own pallets: the oracle, margin, options and insurance fund.
//! Values only; the risk rules live in the pallets, and every risk parameter is in their
//! storage, changed by [`RiskAdminOrigin`](super::governance::RiskAdminOrigin).

use frame_support::{
	parameter_types,
	traits::{Contains, Get},
	PalletId,
};
use solvent_primitives::{assets, AssetId, OracleKey};
use sp_runtime::traits::{AccountIdConversion, Convert};

use super::governance::RiskAdminOrigin;
use crate::{AccountId, Assets, InsuranceFund, Margin, Options, PriceOracle, Runtime, Timestamp};

/// The oracle keys this chain tracks: spot and implied vol of BTC and ETH.
pub struct SupportedOracleKeys;
impl Contains<OracleKey> for SupportedOracleKeys {
	fn contains(key: &OracleKey) -> bool {
		matches!(
			key,
			OracleKey::Spot(assets::BTC | assets::ETH)
				| OracleKey::ImpliedVol(assets::BTC | assets::ETH)
		)
	}
}

parameter_types! {
	pub const OracleMaxFeeders: u32 = 16;
	pub const OracleMaxKeys: u32 = 8;
	pub const OracleMaxFeedValues: u32 = 4;
	/// 600 one-block steps: 30 minutes of history at 3-second blocks (the Deribit settlement
	/// window) per key.
	pub const OracleHistoryLength: u32 = 600;
}

impl pallet_price_oracle::Config for Runtime {
	type Time = Timestamp;
	/// Root or the emergency track (`governance::EmergencyAdminOrigin`), for both adding and
	/// removing a feeder: the oracle has one origin for the two.
	type FeederOrigin = super::governance::EmergencyAdminOrigin;
	type RiskAdminOrigin = RiskAdminOrigin;
	type SupportedKeys = SupportedOracleKeys;
	type MaxFeeders = OracleMaxFeeders;
	type MaxKeys = OracleMaxKeys;
	type MaxFeedValues = OracleMaxFeedValues;
	type HistoryLength = OracleHistoryLength;
	type WeightInfo = pallet_price_oracle::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helpers::Oracle;
}

parameter_types! {
	pub const MarginPalletId: PalletId = PalletId(*b"sv/margn");
	pub const SettlementAsset: AssetId = assets::USD;
	/// BTC and ETH today; room for two more collateral assets.
	pub const MaxCollateralAssets: u32 = 4;
	/// Hard cap of the automatic liquidations per block (the per-block figure itself is the
	/// risk parameter `MarginParams::max_liquidations_per_block`).
	pub const MaxLiquidationsPerBlock: u32 = 1_000;
	/// Liquidations go ahead of every normal transaction in the pool.
	pub const LiquidationPriority: u64 = u64::MAX / 2;
}

/// The protocol's own accounts, in one function: the insurance fund, every option series'
/// settlement account (sub-accounts of the options pallet's id), the fee collector and the
/// treasury. They are never liquidated, never block a liquidation (the fund may hold a
/// position in every active series), need no minimum deposit, and are exempt from the trade
/// margin rule (the fund takes positions over as the backstop by design).
pub struct ProtocolAccounts;
impl solvent_primitives::ProtocolAccounts<AccountId> for ProtocolAccounts {
	fn is_protocol_account(who: &AccountId) -> bool {
		*who == InsuranceFund::fund_account()
			|| *who == FeeCollector::get()
			|| *who == crate::genesis_config_presets::treasury_account()
			|| PalletId::try_from_sub_account::<([u8; 6], solvent_primitives::SeriesId)>(who)
				.is_some_and(|(id, (tag, _))| id == OptionsPalletId::get() && tag == *b"series")
	}
}

impl pallet_margin::Config for Runtime {
	type Assets = Assets;
	type Prices = PriceOracle;
	type Positions = Options;
	type BadDebt = InsuranceFund;
	type ProtocolAccounts = ProtocolAccounts;
	type RiskAdminOrigin = RiskAdminOrigin;
	type PalletId = MarginPalletId;
	type SettlementAsset = SettlementAsset;
	type MaxCollateralAssets = MaxCollateralAssets;
	type MaxPositions = OptionsMaxPositionsPerAccount;
	type MaxOpenOrders = OptionsMaxOpenOrdersPerAccount;
	type MaxActiveSeries = OptionsMaxActiveSeries;
	type MaxLiquidationsPerBlock = MaxLiquidationsPerBlock;
	type UnsignedPriority = LiquidationPriority;
	type WeightInfo = pallet_margin::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helpers::Margin;
}

parameter_types! {
	pub const OptionsPalletId: PalletId = PalletId(*b"sv/optns");
	pub const FeeCollectorPalletId: PalletId = PalletId(*b"sv/fees_");
	pub const OptionsMaxActiveSeries: u32 = 256;
	pub const OptionsMaxGridStrikes: u32 = 16;
	pub const OptionsMaxGridExpiries: u32 = 4;
	pub const OptionsMaxOrdersPerSide: u32 = 64;
	pub const OptionsMaxOpenOrdersPerAccount: u32 = 32;
	pub const OptionsMaxFillsPerCall: u32 = 16;
	pub const OptionsMaxPositionsPerAccount: u32 = 16;
	pub const OptionsMaxSettlementsPerBlock: u32 = 64;
	/// The insurance fund (re)quotes its unwind orders in at most 8 series per block: every
	/// one of `OptionsMaxActiveSeries` (256) within 32 blocks (96 s at 3-second blocks).
	pub const OptionsMaxUnwindQuotesPerBlock: u32 = 8;
}

/// The insurance fund's margin account (receives its share of fees).
pub struct InsuranceFundAccount;
impl Get<AccountId> for InsuranceFundAccount {
	fn get() -> AccountId {
		InsuranceFund::fund_account()
	}
}

/// The margin account collecting the trading fees that do not go to the insurance fund.
pub struct FeeCollector;
impl Get<AccountId> for FeeCollector {
	fn get() -> AccountId {
		FeeCollectorPalletId::get().into_account_truncating()
	}
}

impl pallet_options::Config for Runtime {
	type PalletId = OptionsPalletId;
	type Prices = PriceOracle;
	type Ledger = Margin;
	type Time = Timestamp;
	type ListingOrigin = RiskAdminOrigin;
	type RiskAdminOrigin = RiskAdminOrigin;
	type InsuranceFundAccount = InsuranceFundAccount;
	type InsuranceFeeShare = pallet_insurance_fund::InsuranceFeeShare<Runtime>;
	type FeeCollector = FeeCollector;
	type ProtocolAccounts = ProtocolAccounts;
	type MaxActiveSeries = OptionsMaxActiveSeries;
	type MaxGridStrikes = OptionsMaxGridStrikes;
	type MaxGridExpiries = OptionsMaxGridExpiries;
	type MaxOrdersPerSide = OptionsMaxOrdersPerSide;
	type MaxOpenOrdersPerAccount = OptionsMaxOpenOrdersPerAccount;
	type MaxFillsPerCall = OptionsMaxFillsPerCall;
	type MaxPositionsPerAccount = OptionsMaxPositionsPerAccount;
	type MaxSettlementsPerBlock = OptionsMaxSettlementsPerBlock;
	type MaxUnwindQuotesPerBlock = OptionsMaxUnwindQuotesPerBlock;
	type TradingPaused = SafeModeEntered;
	type WeightInfo = pallet_options::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helpers::Options;
}

parameter_types! {
	pub const InsuranceFundPalletId: PalletId = PalletId(*b"sv/insfd");
	/// Unstake cooldown bounds: 10 blocks (30 s) to 201,600 blocks (7 days at 3 s).
	pub const MinUnstakeCooldown: u32 = 10;
	pub const MaxUnstakeCooldown: u32 = 201_600;
}

/// Whether the runtime's safe mode is on (the options pallet's unwind then places no order).
pub struct SafeModeEntered;
impl Get<bool> for SafeModeEntered {
	fn get() -> bool {
		pallet_safe_mode::EnteredUntil::<Runtime>::exists()
	}
}

/// The oracle keys the margin accounts' values depend on, and whether they are available
/// (red-team finding 6: stakers must not withdraw from the fund while a halted key hides bad
/// debt). The keys: the spot price of every collateral asset the margin pallet holds a
/// non-zero balance of (every one has a supported spot key, so there are at most
/// `OracleMaxKeys`), and the spot price
/// and implied volatility of the underlying of every active series with open interest that
/// is not settling (at most `OptionsMaxActiveSeries` series; a settling series is valued at
/// its settlement price). Reads: the collateral entries, `ActiveSeries`, one `Series` per
/// active series, one oracle key state per distinct key, and its history ring.
///
/// A key also counts as unavailable until it has been available for the whole of the last
/// [`OracleGuardWindow`] (red-team finding: when a halt lifts, the bankruptcies that waited
/// for the price, `BankruptcyDeferred`, run in the offchain worker's batch of the next block;
/// a staker withdrawing in between would leave the loss to the others). The window is the
/// oracle TWAP's coverage of its last 60 s: 20 blocks, in which the batches (569 accounts per
/// block at the measured weight) clear about 11,000 deferred accounts.
pub struct MarginOracleGuard;
impl solvent_primitives::OracleGuard for MarginOracleGuard {
	fn unavailable_key() -> Option<OracleKey> {
		use solvent_primitives::{PriceProvider, PriceStatus};
		let mut keys = alloc::collections::BTreeSet::new();
		// Only collateral the margin pallet holds: a configured asset nobody deposited (listed
		// ahead of its feeders, or never fed) cannot hide a loss and must not pause stakers
		// forever (red-team review).
		let custody: AccountId = MarginPalletId::get().into_account_truncating();
		for asset in
			pallet_margin::Collateral::<Runtime>::iter_keys().take(OracleMaxKeys::get() as usize)
		{
			if pallet_assets::Pallet::<Runtime>::balance(asset, &custody) > 0 {
				keys.insert(OracleKey::Spot(asset));
			}
		}
		for (_, id) in pallet_options::ActiveSeries::<Runtime>::get() {
			let Some(info) = pallet_options::Series::<Runtime>::get(id) else { continue };
			let priced = matches!(
				info.status,
				pallet_options::SeriesStatus::Trading
					| pallet_options::SeriesStatus::Expired { .. }
			);
			if priced && info.open_interest > 0 {
				keys.insert(OracleKey::Spot(info.terms.underlying));
				keys.insert(OracleKey::ImpliedVol(info.terms.underlying));
			}
		}
		let now = pallet_timestamp::Now::<Runtime>::get();
		let window = OracleGuardWindow::get();
		keys.into_iter().find(|key| {
			let covered = matches!(
				<PriceOracle as Convert<_, _>>::convert((*key, window, now)),
				Ok((_, coverage)) if coverage >= window
			);
			PriceOracle::status(key) != PriceStatus::Available || !covered
		})
	}
}

parameter_types! {
	/// How long (ms) an oracle key must have been available without a gap before the fund's
	/// stakers may withdraw again ([`MarginOracleGuard`]): 60 s, 20 blocks.
	pub const OracleGuardWindow: solvent_primitives::Moment = 60_000;
}

impl pallet_insurance_fund::Config for Runtime {
	type PalletId = InsuranceFundPalletId;
	type Ledger = Margin;
	type Positions = Options;
	type OracleGuard = MarginOracleGuard;
	type MaxFundPositions = OptionsMaxActiveSeries;
	type RiskAdminOrigin = RiskAdminOrigin;
	type MinUnstakeCooldown = MinUnstakeCooldown;
	type MaxUnstakeCooldown = MaxUnstakeCooldown;
	type WeightInfo = pallet_insurance_fund::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helpers::Fund;
}

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmark_helpers {
	use super::*;

	/// Oracle benchmark keys (the supported ones first) and clock.
	pub struct Oracle;
	impl pallet_price_oracle::BenchmarkHelper for Oracle {
		fn key(i: u32) -> OracleKey {
			match i {
				0 => OracleKey::Spot(assets::BTC),
				1 => OracleKey::ImpliedVol(assets::BTC),
				2 => OracleKey::Spot(assets::ETH),
				3 => OracleKey::ImpliedVol(assets::ETH),
				n => OracleKey::Spot(1_000 + n),
			}
		}
		fn set_time(now: solvent_primitives::Moment) {
			pallet_timestamp::Now::<Runtime>::put(now);
		}
	}

	use crate::RuntimeOrigin;
	use frame_support::traits::fungibles::Mutate;
	use pallet_options::{SeriesTerms, TimeInForce};
	use pallet_price_oracle::{HistoryEntry, KeyState};
	use solvent_primitives::{Balance, Moment, Price};
	use solvent_primitives::{OptionKind, Side};
	use sp_runtime::FixedU128;

	/// 2024-01-01 00:00 UTC.
	const T0: Moment = 1_704_067_200_000;
	const USD: Balance = 1_000_000;

	/// Make `value` the available aggregate of `key` now and its whole TWAP history (a full ring).
	fn put_aggregate(key: OracleKey, value: FixedU128) {
		let now = pallet_timestamp::Now::<Runtime>::get();
		pallet_price_oracle::KeyStates::<Runtime>::insert(
			key,
			KeyState {
				aggregate: Some(value),
				fresh: 3,
				computed_at: now,
				valid_until: Moment::MAX,
				halt: None,
				reference_from: 0,
			},
		);
		// A full history ring (`HistoryLength` steps, one per 3-second block up to now): what a
		// TWAP read costs on a live chain.
		let len = OracleHistoryLength::get() as u64;
		let history = frame_support::BoundedVec::truncate_from(
			(0..len)
				.map(|i| HistoryEntry {
					timestamp: now.saturating_sub((len - 1 - i) * 3_000),
					value: Some(value),
				})
				.collect::<alloc::vec::Vec<_>>(),
		);
		pallet_price_oracle::History::<Runtime>::insert(key, history);
	}

	fn mint(asset: AssetId, who: &AccountId, amount: Balance) {
		let _ = <crate::Assets as Mutate<AccountId>>::mint_into(asset, who, amount);
	}

	/// Options: clock, prices (spot, vol, TWAP) and margin cash.
	pub struct Options;
	impl pallet_options::BenchmarkHelper<AccountId> for Options {
		fn set_time(now: Moment) {
			pallet_timestamp::Now::<Runtime>::put(now);
		}
		fn set_prices(asset: AssetId, spot: Price, vol: FixedU128) {
			put_aggregate(OracleKey::Spot(asset), spot);
			put_aggregate(OracleKey::ImpliedVol(asset), vol);
		}
		fn fund_account(who: &AccountId, amount: Balance) {
			mint(assets::USD, who, amount);
			let _ = super::Margin::deposit(RuntimeOrigin::signed(who.clone()), assets::USD, amount);
		}
	}

	/// Margin: collateral tokens, prices, and real option positions (short BTC puts).
	pub struct Margin;
	impl pallet_margin::BenchmarkHelper<AccountId> for Margin {
		fn fund(asset: AssetId, who: &AccountId, amount: Balance) {
			mint(asset, who, amount);
		}
		fn give_fund_positions(fund: &AccountId, count: u32) {
			<Fund as pallet_insurance_fund::BenchmarkHelper<AccountId>>::give_fund_positions(
				fund, count,
			);
		}
		fn set_prices() {
			pallet_timestamp::Now::<Runtime>::put(T0);
			let vol = FixedU128::from_rational(8, 10);
			put_aggregate(OracleKey::Spot(assets::BTC), FixedU128::from_u32(50_000));
			put_aggregate(OracleKey::ImpliedVol(assets::BTC), vol);
			put_aggregate(OracleKey::Spot(assets::ETH), FixedU128::from_u32(3_000));
			put_aggregate(OracleKey::ImpliedVol(assets::ETH), vol);
		}
		fn open_positions(who: &AccountId, count: u32) {
			let buyer: AccountId = frame_benchmarking::account("buyer", 0, 0);
			if pallet_margin::Accounts::<Runtime>::get(&buyer).is_none() {
				<Options as pallet_options::BenchmarkHelper<AccountId>>::fund_account(
					&buyer,
					1_000_000_000 * USD,
				);
			}
			let params = pallet_options::Params::<Runtime>::get();
			let base = T0 + params.min_time_to_expiry;
			let mut expiry = base - base % params.expiry_interval + params.expiry_offset;
			while expiry < base {
				expiry += params.expiry_interval;
			}
			for i in 0..count {
				let terms = SeriesTerms {
					underlying: assets::BTC,
					kind: OptionKind::Put,
					strike: FixedU128::from_u32(50_000 + i * 500),
					expiry,
					contract_size: FixedU128::from_u32(1),
				};
				let id = match pallet_options::SeriesIndex::<Runtime>::get(&terms) {
					Some(id) => id,
					None => {
						let _ = super::Options::list_series(
							RuntimeOrigin::root(),
							terms.underlying,
							terms.kind,
							terms.strike,
							terms.expiry,
							terms.contract_size,
						);
						match pallet_options::SeriesIndex::<Runtime>::get(&terms) {
							Some(id) => id,
							None => return,
						}
					}
				};
				// At the lowest premium the band allows (in-the-money strikes have a band far
				// above 1 USD).
				let price = band_low(id);
				let signed = |a: &AccountId| RuntimeOrigin::signed(a.clone());
				let _ = super::Options::place_order(
					signed(who),
					id,
					Side::Sell,
					price,
					1,
					TimeInForce::GoodTilCancelled,
				);
				let _ = super::Options::place_order(
					signed(&buyer),
					id,
					Side::Buy,
					price,
					1,
					TimeInForce::ImmediateOrCancel,
				);
			}
		}
		/// `count` resting bids of `who` at the band's lowest premium, spread over the series of
		/// its positions (`open_positions` came first).
		fn open_orders(who: &AccountId, count: u32) {
			let series = pallet_options::AccountSeries::<Runtime>::get(who);
			if series.is_empty() {
				return;
			}
			for i in 0..count {
				let id = series[i as usize % series.len()];
				let _ = super::Options::place_order(
					RuntimeOrigin::signed(who.clone()),
					id,
					Side::Buy,
					band_low(id),
					1,
					TimeInForce::GoodTilCancelled,
				);
			}
		}
		fn crash_prices() {
			put_aggregate(OracleKey::Spot(assets::BTC), FixedU128::from_u32(30_000));
			put_aggregate(OracleKey::Spot(assets::ETH), FixedU128::from_u32(1_800));
		}
		fn collateral_asset(i: u32) -> AssetId {
			if i % 2 == 0 {
				assets::BTC
			} else {
				assets::ETH
			}
		}
	}

	/// The lowest premium on the tick inside series `id`'s price band now.
	fn band_low(id: u32) -> Balance {
		type P = pallet_options::Pallet<Runtime>;
		let Some(info) = pallet_options::Series::<Runtime>::get(id) else { return USD };
		let Ok(mark) = P::unit_mark(id, &info, P::now(), false) else { return USD };
		let params = pallet_options::Params::<Runtime>::get();
		let size = info.terms.contract_size;
		let band = P::price_band(size, mark.greeks.price, mark.spot, &params);
		let tick = P::tick(size, &params);
		band.lower.div_ceil(tick) * tick
	}

	/// Insurance fund: USD tokens for stakes; positions taken over as the backstop.
	pub struct Fund;
	impl pallet_insurance_fund::BenchmarkHelper<AccountId> for Fund {
		fn fund_usd(who: &AccountId, amount: Balance) {
			mint(assets::USD, who, amount);
		}
		/// `count` short BTC puts (one per series, written by traders and moved to the fund as
		/// a liquidation moves them) and 1 BTC of collateral.
		fn give_fund_positions(fund: &AccountId, count: u32) {
			use solvent_primitives::PositionProvider;
			<Margin as pallet_margin::BenchmarkHelper<AccountId>>::set_prices();
			mint(assets::BTC, fund, 100_000_000);
			let _ = super::Margin::deposit(
				RuntimeOrigin::signed(fund.clone()),
				assets::BTC,
				100_000_000,
			);
			let buyer: AccountId = frame_benchmarking::account("fund-buyer", 0, 0);
			let params = pallet_options::Params::<Runtime>::get();
			let base = T0 + params.min_time_to_expiry;
			let expiry = base - base % params.expiry_interval
				+ params.expiry_offset
				+ params.expiry_interval;
			let per_trader = <Runtime as pallet_options::Config>::MaxPositionsPerAccount::get();
			for i in 0..count {
				let (writer, buyer): (AccountId, AccountId) = (
					frame_benchmarking::account("fund-writer", i / per_trader, 0),
					frame_benchmarking::account("fund-buyer", i / per_trader, 0),
				);
				if i % per_trader == 0 {
					for who in [&writer, &buyer] {
						<Options as pallet_options::BenchmarkHelper<AccountId>>::fund_account(
							who,
							10_000_000 * USD,
						);
					}
				}
				let strike = FixedU128::from_u32(30_000 + i * 100);
				let _ = super::Options::list_series(
					RuntimeOrigin::root(),
					assets::BTC,
					OptionKind::Put,
					strike,
					expiry,
					FixedU128::from_u32(1),
				);
				let terms = SeriesTerms {
					underlying: assets::BTC,
					kind: OptionKind::Put,
					strike,
					expiry,
					contract_size: FixedU128::from_u32(1),
				};
				let Some(id) = pallet_options::SeriesIndex::<Runtime>::get(terms) else { return };
				let price = band_low(id);
				let signed = |a: &AccountId| RuntimeOrigin::signed(a.clone());
				let _ = super::Options::place_order(
					signed(&writer),
					id,
					Side::Sell,
					price,
					1,
					TimeInForce::GoodTilCancelled,
				);
				let _ = super::Options::place_order(
					signed(&buyer),
					id,
					Side::Buy,
					price,
					1,
					TimeInForce::ImmediateOrCancel,
				);
				let Ok(portfolio) = super::Options::portfolio(&writer) else { return };
				if let Some(p) = portfolio.positions.into_iter().find(|p| p.id == id) {
					let _ = <super::Options as PositionProvider<AccountId>>::transfer_position(
						&writer, fund, &p, 1,
					);
				}
			}
			let _ = buyer;
		}
	}
}
