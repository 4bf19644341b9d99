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
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, traits::Zero, FixedU128, Rounding,
};

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

/// Margin figures of an account's positions, all in the settlement asset's smallest unit.
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
	/// Initial margin: equity needed to open or increase risk.
	pub initial: Balance,
	/// Maintenance margin: below this equity the account is liquidatable.
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
			maintenance: self.maintenance.saturating_add(other.maintenance),
			unrealized_pnl: self.unrealized_pnl.saturating_add(other.unrealized_pnl),
		}
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
}

/// Cash flows of a position transfer during liquidation.
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
pub struct TransferOutcome {
	/// Contracts moved.
	pub quantity: u64,
	/// Mark value paid for them: positive means the receiver paid the sender (a long moved),
	/// negative means the sender paid the receiver (a short moved).
	pub value: SignedBalance,
	/// Notional of the contracts moved (see [`PositionRisk::notional`]).
	pub notional: Balance,
}

/// A product whose positions add margin requirements. Implemented by `pallet-options`; used by
/// `pallet-margin`, which knows nothing about the product's internals.
pub trait PositionProvider<AccountId> {
	/// Requirement and unrealized PnL of all positions of `who`. An error if any price the
	/// computation needs is unavailable.
	fn margin_requirement(who: &AccountId) -> Result<MarginRequirement, PriceError>;
	/// Whether `who` holds any position or resting order.
	fn has_positions(who: &AccountId) -> bool;
	/// Per-position risk figures of `who` (bounded by the provider's maximum positions).
	fn positions(who: &AccountId) -> Result<Vec<PositionRisk>, PriceError>;
	/// Total open interest notional over all positions (contracts x size x index price, longs
	/// counted once), for the insurance fund's coverage ratio.
	fn open_interest_notional() -> Result<Balance, PriceError>;
	/// Liquidation: cancel `who`'s resting orders (they could only add risk).
	fn cancel_orders(who: &AccountId) -> DispatchResult;
	/// Liquidation: move `quantity` contracts of position `id` from `from` to `to` at the mark
	/// price, paying the mark value between their cash balances.
	fn transfer_position(
		from: &AccountId,
		to: &AccountId,
		id: u32,
		quantity: u64,
	) -> Result<TransferOutcome, DispatchError>;
}

/// No positions anywhere (for tests and for runtimes without products).
impl<AccountId> PositionProvider<AccountId> for () {
	fn margin_requirement(_: &AccountId) -> Result<MarginRequirement, PriceError> {
		Ok(MarginRequirement::default())
	}
	fn has_positions(_: &AccountId) -> bool {
		false
	}
	fn positions(_: &AccountId) -> Result<Vec<PositionRisk>, PriceError> {
		Ok(Vec::new())
	}
	fn open_interest_notional() -> Result<Balance, PriceError> {
		Ok(0)
	}
	fn cancel_orders(_: &AccountId) -> DispatchResult {
		Ok(())
	}
	fn transfer_position(
		_: &AccountId,
		_: &AccountId,
		_: u32,
		_: u64,
	) -> Result<TransferOutcome, DispatchError> {
		Err(DispatchError::Other("no positions"))
	}
}

/// The margin ledger: cash (settlement asset) of margin accounts and the initial-margin check.
/// Implemented by `pallet-margin`; used by `pallet-options` and `pallet-insurance-fund`.
pub trait MarginLedger<AccountId> {
	/// Cash of `who` in the settlement asset's smallest unit; negative is a debt that the
	/// account's other collateral backs.
	fn cash(who: &AccountId) -> SignedBalance;
	/// Move `amount` of cash from `from` to `to` inside the margin ledger. `from` may go
	/// negative; callers check margin afterwards ([`Self::ensure_initial_margin`]).
	fn transfer_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult;
	/// `Ok` if `who`'s equity is at least its initial margin, with every needed price available.
	fn ensure_initial_margin(who: &AccountId) -> DispatchResult;
	/// Equity of `who`: haircut collateral value + cash + unrealized PnL.
	fn equity(who: &AccountId) -> Result<SignedBalance, DispatchError>;
	/// Move `amount` of the settlement asset from the token account `from` into the margin
	/// account of `to` (used by the insurance fund for stakes).
	fn deposit_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult;
	/// Move `amount` of the settlement asset from the margin account of `from` to the token
	/// account `to`. Fails if `from`'s cash is below `amount` or margin would break.
	fn withdraw_cash(from: &AccountId, to: &AccountId, amount: Balance) -> DispatchResult;
	/// Settlement: take up to `max` of the losses waiting to be socialized, paying them to the
	/// accounts that carry them from the cash of `payer` (the series' settlement account).
	/// Returns the amount taken; the caller reduces its payouts by it, pro rata.
	fn socialize_losses(payer: &AccountId, max: Balance) -> Balance;
}

/// Cover for bad debt. Implemented by `pallet-insurance-fund`; used by `pallet-margin`.
pub trait BadDebtCover<AccountId> {
	/// The margin account that receives liquidation penalties and fee shares, and takes over
	/// liquidated positions (the backstop liquidator).
	fn fund_account() -> AccountId;
	/// Cover up to `amount` of `debtor`'s negative cash from the fund, within the per-block
	/// payout cap. Returns the amount covered (already paid into `debtor`'s cash).
	fn cover(debtor: &AccountId, amount: Balance) -> Balance;
}

/// Value of `amount` (smallest units of an asset with `decimals` decimals) at `price`
/// (USD per whole unit) in the settlement asset's smallest units (6 decimals), rounded as asked.
///
/// `value = amount x price x 10^6 / 10^decimals`, computed with a 256-bit intermediate product.
/// Saturates at `u128::MAX`.
pub fn value_in_usd(amount: Balance, decimals: u8, price: Price, rounding: Rounding) -> Balance {
	if amount.is_zero() || price.is_zero() {
		return 0;
	}
	// price.into_inner() carries 18 decimals: value = amount x inner x 10^6 / (10^18 x 10^dec)
	// = amount x inner / 10^(12 + dec).
	let div_exp = 12 + decimals as u32;
	match 10u128.checked_pow(div_exp) {
		Some(div) => multiply_by_rational_with_rounding(amount, price.into_inner(), div, rounding)
			.unwrap_or(u128::MAX),
		// More than 26 decimals: divide in two steps.
		None => {
			multiply_by_rational_with_rounding(amount, price.into_inner(), 10u128.pow(38), rounding)
				.unwrap_or(u128::MAX)
				.checked_div(10u128.checked_pow(div_exp - 38).unwrap_or(u128::MAX))
				.unwrap_or(0)
		}
	}
}

/// Governance guard for risk parameters: `true` if `new` differs from `old` by at most
/// `max_step` of `old` (e.g. with a 20% step, a maintenance margin of 0.075 may move to
/// [0.06, 0.09] in one change). From zero, any value within the hard bounds is a valid step.
pub fn within_step(old: u128, new: u128, max_step: sp_arithmetic::Permill) -> bool {
	if old == 0 {
		return true;
	}
	let allowed = max_step.mul_ceil(old);
	old.abs_diff(new) <= allowed
}

/// A USD amount held as fixed point (`FixedU128`, USD) in the settlement asset's smallest
/// units (6 decimals), rounded as asked.
pub fn fixed_to_usd(value: FixedU128, rounding: Rounding) -> Balance {
	multiply_by_rational_with_rounding(value.into_inner(), 1, 10u128.pow(12), rounding)
		.unwrap_or(u128::MAX)
}

/// A settlement-asset amount (6 decimals) as fixed-point USD.
pub fn usd_to_fixed(amount: Balance) -> FixedU128 {
	FixedU128::from_inner(amount.saturating_mul(10u128.pow(12)))
}

#[cfg(test)]
mod tests {
	use super::*;

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
}
