//! # Solvent primitives
//!
//! The domain types every Solvent pallet shares (asset ids, balances, prices, oracle keys,
//! option kinds and series ids) and the cross-pallet traits through which the pallets talk to
//! each other. No pallet logic lives here: a pallet names what it needs as an associated type
//! bounded by one of these traits, and the runtime wires the concrete pallet in.
//!
//! ```text
//!  price-oracle ──impl──> PriceProvider ──used by──> margin, options
//!  options      ──impl──> PositionProvider ──used by──> margin
//!  margin       ──impl──> MarginLedger ──used by──> options, insurance-fund
//!  insurance-fund ─impl─> BadDebtCover ──used by──> margin
//!  runtime      ──impl──> OracleGuard ──used by──> insurance-fund
//! ```
//!
//! ## Units
//! - Amounts of an asset are integers in the asset's smallest unit ([`Balance`], `u128`), as in
//!   `pallet-assets` (USD stablecoin: 6 decimals; BTC: 8; ETH: 18).
//! - Amounts of the **settlement asset** (the USD stablecoin, 6 decimals) that can be negative,
//!   such as equity or unrealized PnL, are [`SignedBalance`] (`i128`) in its smallest unit.
//! - Prices are [`Price`] = `FixedU128` (18 decimal places): **USD per one whole unit** of the
//!   asset (e.g. BTC at 65,000.5 USD is `FixedU128::from_rational(650005, 10)`).
//! - Implied volatility is `FixedU128`: annualized, as a fraction (80% per year = `0.8`).
//! - Time is [`Moment`]: milliseconds since the Unix epoch (`pallet-timestamp`).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::{DispatchError, DispatchResult};
use scale_info::TypeInfo;
use sp_arithmetic::FixedU128;

mod math;
pub use math::*;

/// Identifier of a fungible asset in `pallet-assets`.
pub type AssetId = u32;
/// An amount of an asset in its smallest unit.
pub type Balance = u128;
/// A signed amount of the settlement asset in its smallest unit (equity, PnL, cash).
pub type SignedBalance = i128;
/// Milliseconds since the Unix epoch.
pub type Moment = u64;
/// Identifier of an option series.
pub type SeriesId = u32;
/// Identifier of a resting order.
pub type OrderId = u64;
/// Price of one whole unit of an asset in USD, 18 decimal places.
pub type Price = FixedU128;

/// The collateral assets created at genesis, with their decimals.
pub mod assets {
	use super::AssetId;
	/// USD stablecoin, the settlement asset: premiums, fees, settlement and equity are in it.
	pub const USD: AssetId = 1;
	/// Decimals of [`USD`].
	pub const USD_DECIMALS: u8 = 6;
	/// Wrapped BTC.
	pub const BTC: AssetId = 2;
	/// Decimals of [`BTC`].
	pub const BTC_DECIMALS: u8 = 8;
	/// Wrapped ETH.
	pub const ETH: AssetId = 3;
	/// Decimals of [`ETH`].
	pub const ETH_DECIMALS: u8 = 18;
}

/// What an oracle value is about.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum OracleKey {
	/// Spot (index) price of the asset in USD per whole unit ([`Price`]).
	Spot(AssetId),
	/// Annualized implied volatility of the asset as a fraction (`0.8` = 80% per year).
	ImpliedVol(AssetId),
}

/// Whether consumers may use the aggregate of a key.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum PriceStatus {
	/// A fresh median backed by at least the quorum of feeders.
	Available,
	/// Fewer than the quorum of feeders have a fresh value (includes "never fed"): unavailable.
	NoQuorum,
	/// The deviation circuit breaker tripped: unavailable until back in band or reset.
	Halted,
}

/// Why a price cannot be used.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum PriceError {
	/// Fewer than the quorum of feeders have a fresh value.
	NoQuorum,
	/// The circuit breaker halted the key.
	Halted,
	/// The requested time-weighted average has no available data in its window.
	NoHistory,
}

/// An available aggregate value and the time it was computed.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct TimestampedValue {
	/// The value: a [`Price`] for [`OracleKey::Spot`], a fraction per year for
	/// [`OracleKey::ImpliedVol`].
	pub value: FixedU128,
	/// When the aggregate was computed (ms since the Unix epoch).
	pub timestamp: Moment,
}

/// Source of oracle prices and implied volatilities. Implemented by `pallet-price-oracle`.
///
/// Every method returns only *available* data: a key without quorum or halted by the circuit
/// breaker yields an error, never a last-known value.
pub trait PriceProvider {
	/// The current aggregate of `key`, if available.
	fn get(key: &OracleKey) -> Result<TimestampedValue, PriceError>;
	/// Status of `key` now.
	fn status(key: &OracleKey) -> PriceStatus;
	/// Time-weighted average of `key` over `[end - window, end]` (ms), from the recorded
	/// aggregates; periods in which the key was unavailable are left out of the average.
	fn twap(key: &OracleKey, window: Moment, end: Moment) -> Result<FixedU128, PriceError>;

	/// Whether the oracle tracks `key` at all (feeders may feed it). A consumer refuses terms
	/// (an option's underlying, a collateral asset) whose price could never become available.
	/// No default: an implementation must say which keys it tracks.
	fn supports(key: &OracleKey) -> bool;

	/// Spot price of `asset`, USD per whole unit.
	fn spot(asset: AssetId) -> Result<Price, PriceError> {
		Self::get(&OracleKey::Spot(asset)).map(|v| v.value)
	}
	/// Annualized implied volatility of `asset` as a fraction.
	fn implied_vol(asset: AssetId) -> Result<FixedU128, PriceError> {
		Self::get(&OracleKey::ImpliedVol(asset)).map(|v| v.value)
	}

	/// A credible **upper bound** of the spot price of `asset` (USD per whole unit), also while
	/// the price is unavailable: the available spot price if there is one; otherwise the
	/// highest of the prices the oracle still knows for it that its feeders' majority stands
	/// behind (`pallet-price-oracle`: the last accepted aggregate, the circuit breaker's
	/// reference, the quorum median it is holding back, the median of every feeder's latest
	/// value). Never a value only a minority of feeders submitted.
	///
	/// **Not a price to value anything at.** It is for a decision that must not go against the
	/// holder of `asset` on an unavailable price: the margin pallet counts a collateral asset
	/// whose price is unavailable at this bound (no haircut) to decide whether its owner is
	/// liquidatable, so that a large holding does not get its owner liquidated unfairly, while
	/// dust does not save an account that is liquidatable without it.
	///
	/// Errors: the oracle knows no price of `asset` at all ([`PriceError::NoHistory`]), or the
	/// default implementation's error. The default is [`Self::spot`]: an oracle that keeps no
	/// history knows no bound while the price is unavailable.
	fn spot_upper_bound(asset: AssetId) -> Result<Price, PriceError> {
		Self::spot(asset)
	}
}

/// Kind of a European option.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum OptionKind {
	/// Right to buy the underlying at the strike: pays `max(S - K, 0)` at expiry.
	Call,
	/// Right to sell the underlying at the strike: pays `max(K - S, 0)` at expiry.
	Put,
}

/// Side of an order.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Side {
	/// Buy contracts (pay premium; go long).
	Buy,
	/// Sell contracts (receive premium; go short, i.e. write).
	Sell,
}

/// Margin figures of an account's positions and resting orders, all in the settlement asset's
/// smallest unit.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct MarginRequirement {
	/// Initial margin of the positions: equity needed to open or increase risk.
	pub initial: Balance,
	/// Margin of the resting orders: what filling them at their limit prices would add to
	/// `initial - equity` (Deribit and Derive margin open orders). Counts toward the initial
	/// margin of every risk-increasing action; not toward maintenance.
	pub open_orders: Balance,
	/// Maintenance margin of the positions: below this equity the account is liquidatable.
	pub maintenance: Balance,
	/// Mark-to-market value of the positions (long positive, short negative). Premiums are
	/// already settled in cash, so this is the PnL the account would realize by closing at mark.
	pub unrealized_pnl: SignedBalance,
}

impl MarginRequirement {
	/// Component-wise saturating sum.
	pub fn saturating_add(self, other: Self) -> Self {
		Self {
			initial: self.initial.saturating_add(other.initial),
			open_orders: self.open_orders.saturating_add(other.open_orders),
			maintenance: self.maintenance.saturating_add(other.maintenance),
			unrealized_pnl: self.unrealized_pnl.saturating_add(other.unrealized_pnl),
		}
	}

	/// Initial margin of the positions plus the margin of the resting orders: what a
	/// risk-increasing action needs in equity.
	pub fn initial_with_orders(&self) -> Balance {
		self.initial.saturating_add(self.open_orders)
	}
}

/// Risk figures of one position of an account (one option series, net), as a position provider
/// reports them. All amounts in the settlement asset's smallest unit.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct PositionRisk {
	/// The position's identifier within its provider (the option series id).
	pub id: u32,
	/// Net contracts: positive long, negative short.
	pub quantity: i64,
	/// Mark value of the whole position (long positive, short negative).
	pub mark_value: SignedBalance,
	/// Initial margin of the whole position.
	pub initial_margin: Balance,
	/// Maintenance margin of the whole position.
	pub maintenance_margin: Balance,
	/// Notional: contracts x contract size x index price of the underlying.
	pub notional: Balance,
	/// The mark price the figures were computed at: USD per whole unit of the underlying
	/// (multiply by the contract size for a contract's mark). A liquidation moves contracts at
	/// this price, so an account is priced once per operation.
	pub mark_price: FixedU128,
	/// The index price of the underlying the figures were computed at (USD per whole unit).
	pub index_price: Price,
}

/// An account's positions priced once: each position's figures and the totals, resting orders
/// included in [`MarginRequirement::open_orders`].
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug, Default)]
pub struct Portfolio {
	/// Every position, in the provider's order.
	pub positions: Vec<PositionRisk>,
	/// Sum over the positions, plus the margin of the resting orders.
	pub requirement: MarginRequirement,
}

/// What moving contracts during a liquidation did.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct TransferOutcome {
	/// Contracts moved.
	pub quantity: u64,
	/// Cash the sender received for them: positive when a long moved (the receiver paid the
	/// mark value), negative when a short moved (the sender paid it).
	pub value: SignedBalance,
	/// Notional of the contracts moved (see [`PositionRisk::notional`]).
	pub notional: Balance,
	/// The sender's position after the move, at the same marks (quantity 0 if closed), so the
	/// caller updates the account's figures without pricing it again.
	pub remaining: PositionRisk,
}

/// A product whose positions add margin requirements. Implemented by `pallet-options`; used by
/// `pallet-margin` and `pallet-insurance-fund`, which know nothing about the product's
/// internals.
pub trait PositionProvider<AccountId> {
	/// Every position of `who` priced once, and the margin of its resting orders. An error if
	/// any price the computation needs is unavailable.
	fn portfolio(who: &AccountId) -> Result<Portfolio, PriceError>;

	/// The totals of [`Self::portfolio`].
	fn margin_requirement(who: &AccountId) -> Result<MarginRequirement, PriceError> {
		Self::portfolio(who).map(|p| p.requirement)
	}

	/// Number of series `who` holds a position or resting orders in: what pricing the account
	/// costs. Reads the account's indexes only (no pricing).
	fn position_count(who: &AccountId) -> u32;

	/// Whether `who` holds any position or resting order.
	fn has_positions(who: &AccountId) -> bool {
		Self::position_count(who) > 0
	}

	/// Every account that holds a position (from the provider's index; off-chain use, e.g. the
	/// liquidation scan of the offchain worker).
	fn position_holders() -> Vec<AccountId>;

	/// Total open interest notional over all positions (contracts x size x index price, longs
	/// counted once), for the insurance fund's coverage ratio.
	fn open_interest_notional() -> Result<Balance, PriceError>;

	/// At least the number of series [`Self::open_interest_notional`] prices (for its
	/// weight), read cheaply. The default, `u32::MAX`, means unknown: callers then charge
	/// their bound on active series.
	fn open_interest_series() -> u32 {
		u32::MAX
	}

	/// Liquidation: cancel `who`'s resting orders (they could only add risk). Returns how many.
	fn cancel_orders(who: &AccountId) -> u32;

	/// Liquidation: move `quantity` contracts of `position` (as [`Self::portfolio`] priced it)
	/// from `from` to `to` at its mark price, paying the mark value between their cash
	/// balances.
	fn transfer_position(
		from: &AccountId,
		to: &AccountId,
		position: &PositionRisk,
		quantity: u64,
	) -> Result<TransferOutcome, DispatchError>;
}

/// No positions anywhere (for tests and for runtimes without products).
impl<AccountId> PositionProvider<AccountId> for () {
	fn portfolio(_: &AccountId) -> Result<Portfolio, PriceError> {
		Ok(Portfolio::default())
	}
	fn position_count(_: &AccountId) -> u32 {
		0
	}
	fn position_holders() -> Vec<AccountId> {
		Vec::new()
	}
	fn open_interest_notional() -> Result<Balance, PriceError> {
		Ok(0)
	}
	fn open_interest_series() -> u32 {
		0
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

/// An account's equity and margin requirement at one moment, priced once.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct MarginSnapshot {
	/// Cash + haircut collateral value + unrealized PnL (USD units).
	pub equity: SignedBalance,
	/// The positions' and resting orders' requirements.
	pub requirement: MarginRequirement,
}

impl MarginSnapshot {
	/// `equity - maintenance margin` (USD units): negative means liquidatable.
	pub fn maintenance_surplus(&self) -> SignedBalance {
		self.equity.saturating_sub(to_signed(self.requirement.maintenance))
	}

	/// `equity >= initial margin + open-order margin`: the account may take more risk.
	pub fn is_fully_margined(&self) -> bool {
		self.equity >= to_signed(self.requirement.initial_with_orders())
	}
}

/// The margin ledger: cash (settlement asset) of margin accounts and the margin rules of
/// trades. Implemented by `pallet-margin`; used by `pallet-options` and
/// `pallet-insurance-fund`.
pub trait MarginLedger<AccountId> {
	/// Cash of `who` in the settlement asset's smallest unit; negative is a debt that the
	/// account's other collateral backs.
	fn cash(who: &AccountId) -> SignedBalance;
	/// Move `amount` of cash from `from` to `to` inside the margin ledger. `from` may go
	/// negative; callers check margin afterwards ([`Self::ensure_trade_margin`]).
	fn transfer_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult;
	/// Equity and requirements of `who` now, as the initial-margin checks see them: every
	/// position priced (an error otherwise), collateral whose price is unavailable counted at
	/// zero (the least it can be worth). The `before` of [`Self::ensure_trade_margin`].
	fn margin_snapshot(who: &AccountId) -> Result<MarginSnapshot, DispatchError>;
	/// The margin rule of a trade, checked on every account a trade changed: `Ok` if `who` is
	/// fully margined now ([`MarginSnapshot::is_fully_margined`]), or, when the trade only
	/// reduced `who`'s risk and `before` is its snapshot from before the trade, if its
	/// maintenance surplus is at least `min(0, surplus before)`: a trade may leave an account
	/// below maintenance only if it was already below and is no worse.
	fn ensure_trade_margin(who: &AccountId, before: Option<&MarginSnapshot>) -> DispatchResult;
	/// Equity of `who`: haircut collateral value + cash + unrealized PnL, with every needed
	/// price available (an implementation whose [`Self::margin_snapshot`] counts unavailable
	/// collateral at zero overrides this to fail instead: a value, e.g. the insurance fund's
	/// share price, must not be understated).
	fn equity(who: &AccountId) -> Result<SignedBalance, DispatchError> {
		Self::margin_snapshot(who).map(|s| s.equity)
	}
	/// Move `amount` of the settlement asset from the token account `from` into the margin
	/// account of `to` (used by the insurance fund for stakes).
	fn deposit_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult;
	/// Move `amount` of the settlement asset from the margin account of `from` to the token
	/// account `to`. Fails if `from`'s cash is below `amount` or margin would break.
	fn withdraw_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult;
	/// Bad debt (USD units) the insurance fund has taken on but not yet paid because of its
	/// per-block payout cap. The fund's cash backs it, so the fund's stakers may not withdraw
	/// while it is non-zero.
	fn uncovered_bad_debt() -> Balance;
	/// USD units `who` can pay now from its cash, its collateral at haircut value and its long
	/// positions at mark (its short positions' liabilities not counted), less the bad debt it
	/// owes if it is the insurance fund; its cash alone (less that) if a price is unavailable.
	/// At an option settlement, what the insurance fund cannot pay of its short's payout is
	/// cut from the longs' payouts.
	fn payable(who: &AccountId) -> Balance;
}

/// Cover for bad debt. Implemented by `pallet-insurance-fund`; used by `pallet-margin`.
pub trait BadDebtCover<AccountId> {
	/// The margin account that receives liquidation penalties and fee shares, and takes over
	/// liquidated positions (the backstop liquidator).
	fn fund_account() -> AccountId;
	/// Agree to pay up to `amount` USD units of bad debt in this block: returns
	/// `min(amount, payout cap left in this block, max(fund cash, 0))` and records it against
	/// the cap. The caller moves that much out of the fund's cash in the same call.
	fn cover(amount: Balance) -> Balance;
	/// The fund's coverage ratio: `max(fund value, 0) / open interest notional` (both USD
	/// units; fund value = equity of the fund's margin account less the bad debt it owes), a
	/// fraction. `Ok(None)` when open interest is zero. Errors when a price the fund's value
	/// or the open interest needs is unavailable. The margin pallet's initial-margin add-on
	/// is a function of it.
	fn coverage_ratio() -> Result<Option<FixedU128>, DispatchError>;
	/// Most positions the fund's margin account may hold (as the backstop liquidator it may
	/// hold one in every active series of the position provider): bounds the weight of
	/// pricing the fund, e.g. in the loss waterfall's end-of-block work.
	fn max_fund_positions() -> u32;
}

/// Whether the oracle keys that valuing margin accounts depends on are available now.
/// Implemented by the runtime (it sees the margin pallet's collateral assets, the options
/// pallet's series and the oracle); used by `pallet-insurance-fund` to pause stakers'
/// withdrawals while a halted or stale key could hide bad debt (an account bankrupt at the
/// true price cannot be priced, so it is neither liquidated nor counted against the fund).
///
/// The pause is bounded: the oracle lifts a circuit-breaker halt by itself once the feeds
/// agree for its `breaker_cooloff` (5 minutes by default); a key without a quorum of fresh
/// feeds stays unavailable until the feeders are back.
pub trait OracleGuard {
	/// The first key (in the oracle's order) that a margin account's value may depend on and
	/// that is not available (no quorum of fresh values, or halted), if any: the spot price
	/// of every collateral asset, and the spot price and implied volatility of every
	/// underlying of a series with open interest that is not settling.
	fn unavailable_key() -> Option<OracleKey>;
}

/// Every key available (tests, runtimes without an oracle).
impl OracleGuard for () {
	fn unavailable_key() -> Option<OracleKey> {
		None
	}
}

/// Which accounts are the protocol's own (the insurance fund, every option series' settlement
/// account, the fee collector, the treasury). The runtime implements it in one function; the
/// pallets never liquidate a protocol account, never let one block a liquidation (the fund,
/// as the backstop, may hold a position in every active series), and exempt them from the
/// trade margin rule (the fund takes positions over by design).
pub trait ProtocolAccounts<AccountId> {
	/// Whether `who` is a protocol account.
	fn is_protocol_account(who: &AccountId) -> bool;
}

/// No protocol accounts (tests).
impl<AccountId> ProtocolAccounts<AccountId> for () {
	fn is_protocol_account(_: &AccountId) -> bool {
		false
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_arithmetic::{Perbill, Permill, Rounding};

	#[test]
	fn value_in_usd_across_decimals() {
		// 1.5 BTC (8 decimals) at 60,000 USD = 90,000 USD = 90_000_000_000 units.
		let p = FixedU128::from_u32(60_000);
		assert_eq!(value_in_usd(150_000_000, 8, p, Rounding::Down), 90_000_000_000);
		// 2 ETH (18 decimals) at 3,000.25 USD = 6,000.5 USD.
		let p = FixedU128::from_rational(300_025, 100);
		assert_eq!(value_in_usd(2 * 10u128.pow(18), 18, p, Rounding::Down), 6_000_500_000);
		// 1 unit of a 0-decimal asset at 1.000001 USD = 1_000_001 units.
		let p = FixedU128::from_rational(1_000_001, 1_000_000);
		assert_eq!(value_in_usd(1, 0, p, Rounding::Down), 1_000_001);
		// Rounding: 1 satoshi at 60,000 USD = 0.0006 USD = 600 units exactly; at 60,000.5 USD
		// = 600.005 units: down 600, up 601.
		let p = FixedU128::from_rational(600_005, 10);
		assert_eq!(value_in_usd(1, 8, p, Rounding::Down), 600);
		assert_eq!(value_in_usd(1, 8, p, Rounding::Up), 601);
		// 10^9 ETH at 10^6 USD does not overflow: 10^15 USD = 10^21 units.
		let p = FixedU128::from_u32(1_000_000);
		assert_eq!(value_in_usd(10u128.pow(27), 18, p, Rounding::Down), 10u128.pow(21));
	}

	#[test]
	fn step_guard() {
		let step = sp_arithmetic::Permill::from_percent(20);
		assert!(within_step(75, 90, step));
		assert!(within_step(75, 60, step));
		assert!(!within_step(75, 91, step));
		assert!(!within_step(75, 59, step));
		assert!(within_step(0, 1_000, step));
	}

	#[test]
	fn fixed_usd_round_trip() {
		let v = FixedU128::from_rational(1_234_567_891, 1_000_000_000); // 1.234567891 USD
		assert_eq!(fixed_to_usd(v, Rounding::Down), 1_234_567);
		assert_eq!(fixed_to_usd(v, Rounding::Up), 1_234_568);
		assert_eq!(usd_to_fixed(1_234_567), FixedU128::from_rational(1_234_567, 1_000_000));
	}

	#[test]
	fn signed_conversions() {
		assert_eq!(checked_signed(5), Some(5));
		assert_eq!(checked_signed(u128::MAX), None);
		assert_eq!(to_signed(u128::MAX), i128::MAX);
		assert_eq!(positive_part(-7), 0);
		assert_eq!(positive_part(7), 7);
		assert_eq!(positive_part(i128::MIN), 0);
	}

	#[test]
	fn fraction_guards() {
		let step = Permill::from_percent(50);
		assert!(fraction_within_step(Permill::from_percent(10), Permill::from_percent(15), step));
		assert!(!fraction_within_step(Permill::from_percent(10), Permill::from_percent(16), step));
		assert!(fraction_within_step(Perbill::zero(), Perbill::one(), step));
		assert_eq!(
			fraction_distance(Permill::from_percent(3), Permill::from_percent(10)),
			Permill::from_percent(7)
		);
		assert!(in_bounds(5, (1, 5)) && !in_bounds(6, (1, 5)) && !in_bounds(0, (1, 5)));
	}

	#[test]
	fn snapshot_rules() {
		let s = MarginSnapshot {
			equity: 100,
			requirement: MarginRequirement {
				initial: 80,
				open_orders: 20,
				maintenance: 40,
				unrealized_pnl: 0,
			},
		};
		assert!(s.is_fully_margined());
		assert_eq!(s.maintenance_surplus(), 60);
		let short = MarginSnapshot { equity: 99, ..s };
		assert!(!short.is_fully_margined());
	}
}
