//! Domain types of the options pallet: series terms and status, orders and the book, the
//! settlement record, the risk parameters with their hard bounds, and the shapes returned by the
//! runtime API.
//!
//! ## Units
//! - USD amounts ([`Balance`], [`SignedBalance`]): the settlement asset's smallest unit
//!   (6 decimals, `1_000_000` = 1 USD). Premiums and limit prices are USD units **per contract**.
//! - Prices ([`Price`] = `FixedU128`, 18 decimals): USD per one whole unit of the underlying.
//! - Contract size (`FixedU128`): whole units of the underlying per contract (`0.1` = 0.1 BTC).
//! - Quantities: contracts (`u64` for order sizes, `i64` for net positions, `+` long `-` short).
//! - Time ([`Moment`]): milliseconds since the Unix epoch.
//! - Fractions: `Permill` (parts per million) for fee rates and margin fractions, `FixedI128`
//!   (per year, continuously compounded) for the interest rate.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::{ConstU32, Get},
	BoundedVec, CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use solvent_option_pricing::Greeks;
use solvent_primitives::{
	AssetId, Balance, MarginRequirement, Moment, OptionKind, OrderId, Price, SeriesId, Side,
	SignedBalance,
};
use sp_arithmetic::{FixedI128, FixedU128, Permill};

extern crate alloc;
use alloc::vec::Vec;

// ---------------------------------------------------------------------------- parameters

/// One minute in milliseconds.
pub const MINUTE: Moment = 60_000;
/// One hour in milliseconds.
pub const HOUR: Moment = 60 * MINUTE;
/// One day in milliseconds.
pub const DAY: Moment = 24 * HOUR;

/// Latest expiry a series may be listed with: 2 years (730 days) ahead. Listed exchanges go
/// about a year out (Deribit's longest BTC expiry is under 1.5 years); the bound keeps a
/// mistyped expiry from holding one of the `MaxActiveSeries` slots for ever.
pub const MAX_TIME_TO_EXPIRY: Moment = 730 * DAY;

/// Highest strike a series may be listed with: 10^9 USD per whole unit of the underlying (no
/// crypto asset trades near it; above, the Black-Scholes inputs leave the pricer's domain).
pub const MAX_STRIKE: Price = Price::from_inner(1_000_000_000 * 1_000_000_000_000_000_000);

/// Cap of the trading fee as a fraction of the premium: 12.5% (Deribit options fee rule: the fee
/// per contract is `min(fee rate x index price x contract size, 12.5% x option price)`).
pub const FEE_CAP_OF_PREMIUM: Permill = Permill::from_parts(125_000);

/// Hard upper bound of the maker and taker fee rates: 0.2% of the underlying's value per
/// contract (Deribit charges 0.03%). Lower bound 0.
pub const MAX_FEE_RATE: Permill = Permill::from_parts(2_000);
/// Hard bounds of [`OptionsParams::im_base`]: 5%..=50% of the index price.
pub const IM_BASE_BOUNDS: (Permill, Permill) =
	(Permill::from_percent(5), Permill::from_percent(50));
/// Hard bounds of [`OptionsParams::im_min`]: 2%..=50% of the index price (and at most
/// `im_base`).
pub const IM_MIN_BOUNDS: (Permill, Permill) = (Permill::from_percent(2), Permill::from_percent(50));
/// Hard bounds of [`OptionsParams::mm_rate`]: 1%..=25% of the index price (and at most
/// `im_min`, so that the initial margin is never below the maintenance margin).
pub const MM_RATE_BOUNDS: (Permill, Permill) =
	(Permill::from_percent(1), Permill::from_percent(25));
/// Hard bounds of [`OptionsParams::rate`]: -5%..=20% per year.
pub const RATE_BOUNDS: (FixedI128, FixedI128) = (
	FixedI128::from_inner(-50_000_000_000_000_000),
	FixedI128::from_inner(200_000_000_000_000_000),
);
/// Largest change of [`OptionsParams::rate`] in one `set_params` call: 1 percentage point
/// (absolute, since a relative step is meaningless around a zero rate).
pub const MAX_RATE_STEP: FixedI128 = FixedI128::from_inner(10_000_000_000_000_000);
/// Hard bounds of [`OptionsParams::settlement_window`]: 1 minute..=4 hours.
pub const SETTLEMENT_WINDOW_BOUNDS: (Moment, Moment) = (MINUTE, 4 * HOUR);
/// Hard bounds of [`OptionsParams::min_twap_coverage`]: 10%..=100% of the settlement window.
pub const MIN_TWAP_COVERAGE_BOUNDS: (Permill, Permill) =
	(Permill::from_percent(10), Permill::from_percent(100));
/// Hard bounds of [`OptionsParams::settlement_lookback`]: 1 minute..=4 hours.
pub const SETTLEMENT_LOOKBACK_BOUNDS: (Moment, Moment) = (MINUTE, 4 * HOUR);
/// Hard bounds of [`OptionsParams::settlement_price_band`]: 1%..=50% of the reference price.
pub const SETTLEMENT_PRICE_BAND_BOUNDS: (Permill, Permill) =
	(Permill::from_percent(1), Permill::from_percent(50));
/// Time after its expiry by which a series' settlement price is looked up (ms): 1 hour. The
/// lookup happens in the first blocks past the expiry, its rank among the due series bounding
/// the delay (`settlement.rs`: at worst 520 blocks with the runtime's 256 series of full books
/// and 64 units per block, 26 minutes at 3-second blocks). The oracle's history must then still
/// hold `max(settlement_window, settlement_lookback)` before the expiry: the integrity test
/// checks `max(4 h, 4 h) + 1 h` against the oracle's history span (24 h 55 min).
pub const SETTLEMENT_LOOKUP_DELAY: Moment = HOUR;
/// Hard bounds of [`OptionsParams::expiry_interval`]: 1 minute..=7 days.
pub const EXPIRY_INTERVAL_BOUNDS: (Moment, Moment) = (MINUTE, 7 * DAY);
/// Hard bounds of [`OptionsParams::min_time_to_expiry`]: 1 minute..=7 days.
pub const MIN_TIME_TO_EXPIRY_BOUNDS: (Moment, Moment) = (MINUTE, 7 * DAY);

/// Largest change of a margin fraction (`im_base`, `im_min`, `mm_rate`) in one `set_params`
/// call, relative to its current value ([`solvent_primitives::within_step`]).
pub const MAX_MARGIN_STEP: Permill = Permill::from_percent(20);
/// Largest change of every other parameter (fee rates, settlement window, expiry schedule,
/// minimum time to expiry) in one call, relative to its current value (from zero, any value
/// within the bounds).
pub const MAX_PARAM_STEP: Permill = Permill::from_percent(50);

/// Default maker fee rate: 0.03% (Deribit options).
pub const DEFAULT_MAKER_FEE_RATE: Permill = Permill::from_parts(300);
/// Default taker fee rate: 0.03% (Deribit options).
pub const DEFAULT_TAKER_FEE_RATE: Permill = Permill::from_parts(300);
/// Default `im_base`: 15% (Deribit).
pub const DEFAULT_IM_BASE: Permill = Permill::from_percent(15);
/// Default `im_min`: 10% (Deribit).
pub const DEFAULT_IM_MIN: Permill = Permill::from_percent(10);
/// Default `mm_rate`: 7.5% (Deribit).
pub const DEFAULT_MM_RATE: Permill = Permill::from_parts(75_000);
/// Default settlement window: 30 minutes (Deribit's settlement TWAP).
pub const DEFAULT_SETTLEMENT_WINDOW: Moment = 30 * MINUTE;
/// Default expiry interval: one day.
pub const DEFAULT_EXPIRY_INTERVAL: Moment = DAY;
/// Default expiry offset: 08:00 UTC (Deribit).
pub const DEFAULT_EXPIRY_OFFSET: Moment = 8 * HOUR;
/// Default minimum time to expiry at listing: one hour.
pub const DEFAULT_MIN_TIME_TO_EXPIRY: Moment = HOUR;
/// Default minimum TWAP coverage: 50% of the settlement window must have an available price.
pub const DEFAULT_MIN_TWAP_COVERAGE: Permill = Permill::from_percent(50);
/// Default settlement lookback: 1 hour (twice Deribit's 30-minute settlement window).
pub const DEFAULT_SETTLEMENT_LOOKBACK: Moment = HOUR;
/// Default band of a risk-admin settlement price: 20% of the reference, twice the oracle's
/// default circuit-breaker band (10%), so a price the oracle would only have accepted after a
/// halt still fits.
pub const DEFAULT_SETTLEMENT_PRICE_BAND: Permill = Permill::from_percent(20);

/// Hard bounds of [`OptionsParams::price_band_rate`]: 10%..=100% of the mark.
pub const PRICE_BAND_RATE_BOUNDS: (Permill, Permill) =
	(Permill::from_percent(10), Permill::from_percent(100));
/// Hard bounds of [`OptionsParams::price_band_floor`]: 0.1%..=2% of the underlying's value per
/// contract. The upper bound is the lower bound of `im_min` ([`IM_MIN_BOUNDS`]): a sell inside
/// the band can never receive more premium above mark than the initial margin it must post,
/// so an order that opens a short always needs margin of its own.
pub const PRICE_BAND_FLOOR_BOUNDS: (Permill, Permill) =
	(Permill::from_parts(1_000), Permill::from_percent(2));
/// Hard bounds of [`OptionsParams::tick_size`]: 0.000001..=100 USD per whole unit.
pub const TICK_SIZE_BOUNDS: (Balance, Balance) = (1, 100_000_000);
/// Hard bounds of [`OptionsParams::min_order_quantity`]: 1..=1,000 contracts.
pub const MIN_ORDER_QUANTITY_BOUNDS: (u64, u64) = (1, 1_000);
/// Default price band rate: 50% of the mark.
pub const DEFAULT_PRICE_BAND_RATE: Permill = Permill::from_percent(50);
/// Default price band floor: 1% of the underlying's value per contract (Deribit's option
/// price limits are the mark plus or minus a fixed amount of the underlying).
pub const DEFAULT_PRICE_BAND_FLOOR: Permill = Permill::from_percent(1);
/// Default tick: 0.01 USD per whole unit of the underlying (0.01 USD per contract of 1 BTC).
pub const DEFAULT_TICK_SIZE: Balance = 10_000;
/// Default minimum order: 1 contract.
pub const DEFAULT_MIN_ORDER_QUANTITY: u64 = 1;

/// Hard bounds of [`OptionsParams::unwind_spread`]: 0%..=10% of the mark. The upper bound is
/// the lower bound of `price_band_rate` ([`PRICE_BAND_RATE_BOUNDS`]), so the insurance fund's
/// unwind quotes (`mark x (1 ± unwind_spread)`) lie inside the price band (up to the rounding
/// to the tick; a quote rounded out of the band is not placed).
pub const UNWIND_SPREAD_BOUNDS: (Permill, Permill) =
	(Permill::from_parts(0), Permill::from_percent(10));
/// Largest change of [`OptionsParams::unwind_spread`] in one `set_params` call: 2 percentage
/// points, absolute (its lower bound is zero, from which a relative step allows any value).
pub const MAX_UNWIND_SPREAD_STEP: Permill = Permill::from_percent(2);
/// Default unwind spread: 1% of the mark, in the fund's favour. A passive quote inside the
/// usual bid-ask spread of listed crypto options (several percent of the premium away from the
/// mark on Deribit), so taker flow lifts it before the other makers' quotes, without the fund
/// selling below, or buying back above, the mark it took the positions over at.
pub const DEFAULT_UNWIND_SPREAD: Permill = Permill::from_percent(1);

// The defaults are within the hard bounds and consistent (checked at compile time).
const _: () = {
	assert!(DEFAULT_MAKER_FEE_RATE.deconstruct() <= MAX_FEE_RATE.deconstruct());
	assert!(DEFAULT_TAKER_FEE_RATE.deconstruct() <= MAX_FEE_RATE.deconstruct());
	assert!(DEFAULT_MM_RATE.deconstruct() <= DEFAULT_IM_MIN.deconstruct());
	assert!(DEFAULT_IM_MIN.deconstruct() <= DEFAULT_IM_BASE.deconstruct());
	assert!(DEFAULT_EXPIRY_OFFSET < DEFAULT_EXPIRY_INTERVAL);
	assert!(PRICE_BAND_FLOOR_BOUNDS.1.deconstruct() <= IM_MIN_BOUNDS.0.deconstruct());
	assert!(DEFAULT_PRICE_BAND_FLOOR.deconstruct() <= PRICE_BAND_FLOOR_BOUNDS.1.deconstruct());
	assert!(DEFAULT_PRICE_BAND_FLOOR.deconstruct() >= PRICE_BAND_FLOOR_BOUNDS.0.deconstruct());
	assert!(DEFAULT_PRICE_BAND_RATE.deconstruct() >= PRICE_BAND_RATE_BOUNDS.0.deconstruct());
	assert!(DEFAULT_TICK_SIZE >= TICK_SIZE_BOUNDS.0 && DEFAULT_TICK_SIZE <= TICK_SIZE_BOUNDS.1);
	assert!(DEFAULT_MIN_TWAP_COVERAGE.deconstruct() >= MIN_TWAP_COVERAGE_BOUNDS.0.deconstruct());
	assert!(DEFAULT_MIN_TWAP_COVERAGE.deconstruct() <= MIN_TWAP_COVERAGE_BOUNDS.1.deconstruct());
	assert!(DEFAULT_SETTLEMENT_LOOKBACK >= SETTLEMENT_LOOKBACK_BOUNDS.0);
	assert!(DEFAULT_SETTLEMENT_LOOKBACK <= SETTLEMENT_LOOKBACK_BOUNDS.1);
	assert!(
		DEFAULT_SETTLEMENT_PRICE_BAND.deconstruct() >= SETTLEMENT_PRICE_BAND_BOUNDS.0.deconstruct()
	);
	assert!(
		DEFAULT_SETTLEMENT_PRICE_BAND.deconstruct() <= SETTLEMENT_PRICE_BAND_BOUNDS.1.deconstruct()
	);
	assert!(UNWIND_SPREAD_BOUNDS.1.deconstruct() <= PRICE_BAND_RATE_BOUNDS.0.deconstruct());
	assert!(DEFAULT_UNWIND_SPREAD.deconstruct() <= UNWIND_SPREAD_BOUNDS.1.deconstruct());
};

/// Risk and market parameters of the options pallet, set at genesis and changed only by the
/// risk-admin origin within the hard bounds above and the maximum steps ([`MAX_MARGIN_STEP`],
/// [`MAX_PARAM_STEP`], [`MAX_RATE_STEP`]).
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptionsParams {
	/// Maker fee rate: fraction of `index price x contract size` per contract (before the
	/// [`FEE_CAP_OF_PREMIUM`] cap). Bounds 0..=[`MAX_FEE_RATE`].
	pub maker_fee_rate: Permill,
	/// Taker fee rate, as `maker_fee_rate`. Bounds 0..=[`MAX_FEE_RATE`].
	pub taker_fee_rate: Permill,
	/// Initial margin base fraction of the index price for short options (Deribit: 0.15).
	/// Bounds [`IM_BASE_BOUNDS`].
	pub im_base: Permill,
	/// Initial margin floor fraction of the index price for short options (Deribit: 0.10).
	/// Bounds [`IM_MIN_BOUNDS`], at most `im_base`.
	pub im_min: Permill,
	/// Maintenance margin fraction of the index price for short options (Deribit: 0.075).
	/// Bounds [`MM_RATE_BOUNDS`], at most `im_min`.
	pub mm_rate: Permill,
	/// Risk-free rate of the Black–Scholes mark, per year, continuously compounded.
	/// Bounds [`RATE_BOUNDS`], step [`MAX_RATE_STEP`].
	pub rate: FixedI128,
	/// The settlement price is the oracle TWAP of the underlying's spot over
	/// `[expiry - settlement_window, expiry]` (ms), if its coverage suffices
	/// ([`Self::min_twap_coverage`]). Bounds [`SETTLEMENT_WINDOW_BOUNDS`].
	pub settlement_window: Moment,
	/// Expiries must satisfy `expiry % expiry_interval == expiry_offset` (ms).
	/// Bounds [`EXPIRY_INTERVAL_BOUNDS`].
	pub expiry_interval: Moment,
	/// See `expiry_interval` (ms). Must be below `expiry_interval`.
	pub expiry_offset: Moment,
	/// A series may only be listed if `expiry >= now + min_time_to_expiry` (ms).
	/// Bounds [`MIN_TIME_TO_EXPIRY_BOUNDS`].
	pub min_time_to_expiry: Moment,
	/// Price band, rate part: a limit premium must lie within
	/// `max(price_band_rate x mark, price_band_floor x index x contract size)` of the series'
	/// mark per contract ([`crate::Pallet::price_band`]). Bounds [`PRICE_BAND_RATE_BOUNDS`].
	pub price_band_rate: Permill,
	/// Price band, floor part: a fraction of the underlying's value per contract, so a deep
	/// out-of-the-money option still trades a few ticks away from its mark. Bounds
	/// [`PRICE_BAND_FLOOR_BOUNDS`].
	pub price_band_floor: Permill,
	/// Tick: limit premiums are multiples of `tick_size x contract size` per contract
	/// (at least one USD unit). USD units per whole unit of the underlying. Bounds
	/// [`TICK_SIZE_BOUNDS`].
	pub tick_size: Balance,
	/// Smallest order quantity, contracts. Bounds [`MIN_ORDER_QUANTITY_BOUNDS`].
	pub min_order_quantity: u64,
	/// Least coverage of the settlement TWAP: the oracle must have had an available price for
	/// at least this fraction of `[expiry - settlement_window, expiry]` (`covered >=
	/// min_twap_coverage x settlement_window`, in ms), else the TWAP is not used and the last
	/// price is ([`Self::settlement_lookback`]). Bounds [`MIN_TWAP_COVERAGE_BOUNDS`].
	pub min_twap_coverage: Permill,
	/// Fallback settlement price when the TWAP lacks coverage: the last oracle price available at
	/// or before the expiry, if it was still available at most `settlement_lookback` ms before
	/// the expiry. Without one, the risk admin sets the price
	/// ([`crate::Pallet::set_settlement_price`]). Bounds [`SETTLEMENT_LOOKBACK_BOUNDS`].
	pub settlement_lookback: Moment,
	/// Band of a risk-admin settlement price: it must lie within `settlement_price_band x
	/// reference` of the reference (the last oracle price available before the expiry, else
	/// the current one). Bounds [`SETTLEMENT_PRICE_BAND_BOUNDS`].
	pub settlement_price_band: Permill,
	/// Spread of the insurance fund's unwind quotes around the mark, in the fund's favour: it
	/// offers the longs it took over at `mark x (1 + unwind_spread)` (rounded up to the tick)
	/// and bids for the shorts at `mark x (1 - unwind_spread)` (rounded down to the tick); see
	/// `unwind.rs`. Bounds [`UNWIND_SPREAD_BOUNDS`], step [`MAX_UNWIND_SPREAD_STEP`] (absolute). Defaults to
	/// [`DEFAULT_UNWIND_SPREAD`] in a genesis JSON written before it existed.
	#[serde(default = "default_unwind_spread")]
	pub unwind_spread: Permill,
}

fn default_unwind_spread() -> Permill {
	DEFAULT_UNWIND_SPREAD
}

impl Default for OptionsParams {
	fn default() -> Self {
		Self {
			maker_fee_rate: DEFAULT_MAKER_FEE_RATE,
			taker_fee_rate: DEFAULT_TAKER_FEE_RATE,
			im_base: DEFAULT_IM_BASE,
			im_min: DEFAULT_IM_MIN,
			mm_rate: DEFAULT_MM_RATE,
			rate: FixedI128::from_inner(0),
			settlement_window: DEFAULT_SETTLEMENT_WINDOW,
			expiry_interval: DEFAULT_EXPIRY_INTERVAL,
			expiry_offset: DEFAULT_EXPIRY_OFFSET,
			min_time_to_expiry: DEFAULT_MIN_TIME_TO_EXPIRY,
			price_band_rate: DEFAULT_PRICE_BAND_RATE,
			price_band_floor: DEFAULT_PRICE_BAND_FLOOR,
			tick_size: DEFAULT_TICK_SIZE,
			min_order_quantity: DEFAULT_MIN_ORDER_QUANTITY,
			min_twap_coverage: DEFAULT_MIN_TWAP_COVERAGE,
			settlement_lookback: DEFAULT_SETTLEMENT_LOOKBACK,
			settlement_price_band: DEFAULT_SETTLEMENT_PRICE_BAND,
			unwind_spread: DEFAULT_UNWIND_SPREAD,
		}
	}
}

// ---------------------------------------------------------------------------- series

/// Which kinds a grid listing creates.
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
pub enum KindSet {
	/// Calls only.
	Calls,
	/// Puts only.
	Puts,
	/// A call and a put for every strike and expiry.
	Both,
}

impl KindSet {
	/// The kinds in the set, calls first.
	pub fn kinds(self) -> &'static [OptionKind] {
		match self {
			KindSet::Calls => &[OptionKind::Call],
			KindSet::Puts => &[OptionKind::Put],
			KindSet::Both => &[OptionKind::Call, OptionKind::Put],
		}
	}
}

/// The terms of an option series: a European, cash-settled option. Unique among series.
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
pub struct SeriesTerms {
	/// Underlying asset (its oracle keys `Spot(underlying)` and `ImpliedVol(underlying)`).
	pub underlying: AssetId,
	/// Call or put.
	pub kind: OptionKind,
	/// Strike, USD per whole unit of the underlying (non-zero).
	pub strike: Price,
	/// Expiry, ms since the Unix epoch, on the expiry schedule.
	pub expiry: Moment,
	/// Whole units of the underlying per contract (non-zero).
	pub contract_size: FixedU128,
}

/// Life cycle of a series.
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
pub enum SeriesStatus {
	/// Before expiry: the book accepts orders.
	Trading,
	/// Past expiry: no orders; resting orders are being cancelled, then the settlement price is
	/// taken from the oracle (TWAP with enough coverage, else the last price within the
	/// lookback). If neither exists, `price_wait_reported` is set (with
	/// [`crate::Event::SettlementPriceUnavailable`], once): the series then waits for the risk
	/// admin's price ([`crate::Pallet::set_settlement_price`]) and takes no settlement budget
	/// (the oracle's history before the expiry no longer changes, so asking again would give
	/// the same answer).
	Expired {
		/// Whether the oracle had no settlement price (reported; waiting for the risk admin).
		price_wait_reported: bool,
	},
	/// The settlement price is fixed ([`crate::Settlements`]); positions are being settled.
	Settling,
	/// Every position is settled; the series is no longer active.
	Settled,
}

/// A listed series.
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
pub struct SeriesInfo {
	/// The terms.
	pub terms: SeriesTerms,
	/// Where it is in its life cycle.
	pub status: SeriesStatus,
	/// Open interest: total long contracts (= total short contracts).
	pub open_interest: u64,
}

/// Longest raw storage key kept as the settlement cursor (a `Positions` key is 60 bytes plus
/// the encoded account id).
pub const MAX_CURSOR_LEN: u32 = 256;

/// Where a settlement price came from.
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
pub enum SettlementSource {
	/// The oracle TWAP of the underlying's spot over `[expiry - settlement_window, expiry]`,
	/// with an available price for at least `min_twap_coverage` of the window. Every settlement
	/// started before storage version 3 is recorded with this source.
	Twap,
	/// The last oracle price available at or before the expiry, still available at most
	/// `settlement_lookback` before it (the TWAP lacked coverage).
	LastPrice,
	/// Set by the risk admin within `settlement_price_band` of the reference price
	/// ([`crate::Pallet::set_settlement_price`]): the oracle had neither.
	Governance,
}

/// The settlement of a series, from its start to its end. Kept after the end as the record.
///
/// Conservation (checked by `try_state`): `paid + dust == collected`, and at the end
/// `collected == total_payout` unless a transfer failed (then [`crate::Event`] tells).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Settlement {
	/// Settlement price (USD per whole unit): see [`Self::source`].
	pub price: Price,
	/// Where the price came from.
	pub source: SettlementSource,
	/// Payout per contract: `intrinsic(price) x contract size`, USD units rounded down.
	pub payout_per_contract: Balance,
	/// `P` = open interest x payout per contract (USD units).
	pub total_payout: Balance,
	/// What the insurance fund, short in the series (it took the position over from a
	/// liquidated account), cannot pay of its payout (`MarginLedger::payable`), USD units: it
	/// pays the rest, and the longs' payouts are cut by it pro rata (each long receives
	/// `floor(n x pc x (P - shortfall) / P)`), so the loss falls on the profit of the opposing
	/// positions, in the block the series settles, before anyone is paid (the deleveraging of
	/// dYdX v4, at the settlement price).
	pub fund_shortfall: Balance,
	/// Paid in by the shorts so far (USD units).
	pub collected: Balance,
	/// Paid out to the longs so far (USD units); for a settlement started before storage
	/// version 2, also the losses it socialized ([`crate::migrations::v2`]).
	pub paid: Balance,
	/// At the end: `collected - paid` (USD units), paid to the insurance fund account
	/// (negative if a short's transfer failed, or for a settlement in flight across the
	/// storage-version-2 migration ([`crate::migrations::v2`]): then the fund pays the
	/// shortfall in).
	pub dust: SignedBalance,
	/// Long contracts settled so far.
	pub longs_settled: u64,
	/// Short contracts settled so far.
	pub shorts_settled: u64,
	/// Raw storage key of the last settled position (`None` before the first and at the end).
	pub cursor: Option<BoundedVec<u8, ConstU32<MAX_CURSOR_LEN>>>,
}

// ---------------------------------------------------------------------------- orders

/// How long an order stays and what happens to its unfilled part.
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
pub enum TimeInForce {
	/// Match what crosses, rest the remainder in the book until filled or cancelled.
	GoodTilCancelled,
	/// Match what crosses, cancel the remainder.
	ImmediateOrCancel,
	/// Fill the whole quantity now or fail (nothing happens).
	FillOrKill,
	/// Only rest in the book (maker): rejected if it would cross.
	PostOnly,
}

impl TimeInForce {
	/// Whether an order with this time in force can leave a remainder resting in the book.
	pub fn may_rest(self) -> bool {
		matches!(self, TimeInForce::GoodTilCancelled | TimeInForce::PostOnly)
	}
}

/// A resting order.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Order<AccountId> {
	/// The series.
	pub series: SeriesId,
	/// The owner.
	pub owner: AccountId,
	/// Buy or sell.
	pub side: Side,
	/// Limit premium, USD units per contract.
	pub price: Balance,
	/// Contracts still to fill (non-zero while resting).
	pub remaining: u64,
	/// Contracts originally ordered.
	pub quantity: u64,
}

/// An entry of a book side: sorted best price first, then lowest (earliest) order id.
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
pub struct BookEntry {
	/// The order.
	pub order_id: OrderId,
	/// Its limit premium, USD units per contract.
	pub price: Balance,
}

/// Resting orders of one side of one series, summed: the contracts still to fill and the premium
/// they would pay or receive at their limit prices (USD units).
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
pub struct OrderTotals {
	/// Sum of the remaining quantities (contracts).
	pub quantity: u64,
	/// Sum of `limit premium x remaining` (USD units).
	pub premium: Balance,
}

impl OrderTotals {
	/// Add (`add = true`) or remove `quantity` contracts at `price` per contract.
	pub fn apply(&mut self, price: Balance, quantity: u64, add: bool) {
		let premium = price.saturating_mul(u128::from(quantity));
		if add {
			self.quantity = self.quantity.saturating_add(quantity);
			self.premium = self.premium.saturating_add(premium);
		} else {
			self.quantity = self.quantity.saturating_sub(quantity);
			self.premium = self.premium.saturating_sub(premium);
		}
	}
}

/// An account's resting orders in one series, summed per side: what its open-order margin is
/// computed from ([`crate::Pallet::open_order_margin`]).
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
pub struct SeriesOrders {
	/// The series.
	pub series: SeriesId,
	/// Resting buy orders.
	pub bids: OrderTotals,
	/// Resting sell orders.
	pub asks: OrderTotals,
}

impl SeriesOrders {
	/// The totals of `side`.
	pub fn side_mut(&mut self, side: Side) -> &mut OrderTotals {
		match side {
			Side::Buy => &mut self.bids,
			Side::Sell => &mut self.asks,
		}
	}
	/// No resting order left.
	pub fn is_empty(&self) -> bool {
		self.bids.quantity == 0 && self.asks.quantity == 0
	}
}

/// The resting orders of an account: their ids, oldest first, and their totals per series
/// (one entry per series with a resting order). One storage read gives what margining the
/// account's orders needs.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	DefaultNoBound,
)]
#[scale_info(skip_type_params(Max))]
#[codec(mel_bound())]
pub struct OpenOrders<Max: Get<u32>> {
	/// Order ids, oldest first.
	pub ids: BoundedVec<OrderId, Max>,
	/// Totals per series, in the order the series were first entered.
	pub by_series: BoundedVec<SeriesOrders, Max>,
}

impl<Max: Get<u32>> OpenOrders<Max> {
	/// No resting order.
	pub fn is_empty(&self) -> bool {
		self.ids.is_empty()
	}
	/// Whether the account has a resting order in `series`.
	pub fn has_series(&self, series: SeriesId) -> bool {
		self.by_series.iter().any(|s| s.series == series)
	}
	/// The totals of `series`, if any.
	pub fn series(&self, series: SeriesId) -> Option<&SeriesOrders> {
		self.by_series.iter().find(|s| s.series == series)
	}
}

/// Why an order (or the unfilled part of an incoming order) was cancelled.
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
pub enum CancelReason {
	/// The owner cancelled it.
	ByOwner,
	/// Immediate-or-cancel remainder.
	Unfilled,
	/// The remainder of a good-til-cancelled order still crossed the book when matching
	/// stopped (fills-per-call limit, or a maker that needs unavailable prices); resting it
	/// would cross the book.
	MatchingStopped,
	/// A maker's fill failed the trade margin rule (`MarginLedger::ensure_trade_margin`: the
	/// maker must stay fully margined, or, closing, no worse against its maintenance margin and
	/// with no new or deeper negative equity).
	MakerMarginCheckFailed,
	/// A maker's fill would open a position beyond `MaxPositionsPerAccount` series.
	MakerPositionLimit,
	/// The resting order met an incoming order of the same owner (self-trade prevention:
	/// cancel the resting order).
	SelfTrade,
	/// The series expired.
	Expired,
	/// The owner is being liquidated.
	Liquidation,
	/// The resting order's price is outside the series' current price band
	/// ([`crate::Pallet::price_band`]): no fill happens outside the band.
	OutsidePriceBand,
	/// The book side was full and a better-priced order took the place of this one, the
	/// worst on its side (lowest bid or highest ask; at one price, the latest).
	Evicted,
	/// A good-til-cancelled remainder left below [`OptionsParams::min_order_quantity`] by
	/// partial fills: it does not rest (the minimum holds for every resting order placed).
	BelowMinimumQuantity,
	/// The insurance fund replaced or withdrew its unwind quote (the mark, its position or the
	/// spread changed, the series stopped trading, or its mark is unavailable).
	InventoryRequote,
	/// The insurance fund's quote would have increased or flipped its position (every fund
	/// order is reduce-only): its position in the series changed since it was quoted.
	ReduceOnly,
}

// ---------------------------------------------------------------------------- runtime API

/// A series as listed by the runtime API.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SeriesView {
	/// Id.
	pub id: SeriesId,
	/// Terms.
	pub terms: SeriesTerms,
	/// Status.
	pub status: SeriesStatus,
	/// Open interest (long contracts).
	pub open_interest: u64,
}

/// Mark price and Greeks of a series.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct MarkView {
	/// The series.
	pub series: SeriesId,
	/// Index (spot) price used, USD per whole unit; the settlement price once it is fixed.
	pub spot: Price,
	/// Implied volatility used (annualized fraction); `None` at or after expiry (intrinsic).
	pub volatility: Option<FixedU128>,
	/// Time to expiry in years (ACT/365), 0 at or after expiry.
	pub time_to_expiry: FixedU128,
	/// Price and Greeks per one whole unit of the underlying (see [`Greeks`]: price in USD,
	/// delta, gamma per USD, theta in USD per calendar day, vega in USD per vol point).
	pub per_unit: Greeks,
	/// The same per contract (`x contract size`).
	pub per_contract: Greeks,
	/// Mark price per contract in USD units (rounded down).
	pub mark_per_contract: Balance,
	/// Theta per contract in USD units per calendar day (rounded toward zero).
	pub theta_per_contract: SignedBalance,
	/// Vega per contract in USD units per volatility point (rounded toward zero).
	pub vega_per_contract: SignedBalance,
}

/// Sums of position Greeks, signed by position and multiplied by contract size.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PortfolioGreeks {
	/// Delta in units of the underlying (summed across underlyings in the account total).
	pub delta: FixedI128,
	/// Gamma (delta change per USD of spot move).
	pub gamma: FixedI128,
	/// Theta, USD per calendar day.
	pub theta: FixedI128,
	/// Vega, USD per volatility point.
	pub vega: FixedI128,
}

/// One position of an account with its risk and Greeks.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct PositionView {
	/// The series.
	pub series: SeriesId,
	/// Its terms.
	pub terms: SeriesTerms,
	/// Net contracts (+ long, - short).
	pub quantity: i64,
	/// Margin figures (mark value, IM, MM, notional); `None` if a price is unavailable.
	pub risk: Option<solvent_primitives::PositionRisk>,
	/// Position Greeks (`quantity x per-contract Greeks`); `None` if a price is unavailable.
	pub greeks: Option<PortfolioGreeks>,
}

/// An account's option positions with Greeks and totals.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AccountView {
	/// Positions.
	pub positions: Vec<PositionView>,
	/// Totals over positions whose Greeks are available.
	pub totals: PortfolioGreeks,
	/// The same per underlying (delta and gamma only add up within one underlying).
	pub totals_by_underlying: Vec<(AssetId, PortfolioGreeks)>,
	/// Margin requirement and unrealized PnL of all positions; `None` if a price is
	/// unavailable.
	pub margin: Option<MarginRequirement>,
}

/// A price level of a book side.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub struct PriceLevel {
	/// Limit premium, USD units per contract.
	pub price: Balance,
	/// Contracts resting at this price.
	pub quantity: u64,
	/// Number of orders at this price.
	pub orders: u32,
}

/// The book of a series aggregated by price level, best first.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct OrderBookView {
	/// The series.
	pub series: SeriesId,
	/// Bids, highest price first.
	pub bids: Vec<PriceLevel>,
	/// Asks, lowest price first.
	pub asks: Vec<PriceLevel>,
}

/// A resting order with its id.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct OrderView<AccountId> {
	/// Id.
	pub id: OrderId,
	/// The order.
	pub order: Order<AccountId>,
}
