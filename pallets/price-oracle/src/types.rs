//! Domain types of the price oracle: risk parameters, raw feeder values, the per-key aggregate
//! state, TWAP history entries and the shapes returned by the runtime API.
//!
//! ## Units
//! - Values are `FixedU128` (18 decimal places). For [`OracleKey::Spot`] a value is a price in
//!   **USD per one whole unit** of the asset; for [`OracleKey::ImpliedVol`] it is an
//!   **annualized volatility as a fraction** (`0.8` = 80% per year).
//! - Times are [`Moment`]: milliseconds since the Unix epoch (`pallet-timestamp`); durations
//!   (ages, windows) are milliseconds.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use solvent_primitives::{Moment, OracleKey, PriceStatus};
use sp_arithmetic::{FixedU128, Permill};

/// Hard lower bound of [`OracleParams::max_age`]: 1 second (ms).
pub const MIN_MAX_AGE: Moment = 1_000;
/// Hard upper bound of [`OracleParams::max_age`]: 1 day (ms). A value older than a day is no
/// price to liquidate on.
pub const MAX_MAX_AGE: Moment = 86_400_000;
/// Hard lower bound of [`OracleParams::max_deviation`]: 1%. A tighter band would halt on
/// ordinary noise.
pub const MIN_MAX_DEVIATION: Permill = Permill::from_percent(1);
/// Hard upper bound of [`OracleParams::max_deviation`]: 100% (a value may at most double or
/// fall to zero against the reference before the breaker trips).
pub const MAX_MAX_DEVIATION: Permill = Permill::from_percent(100);
/// Hard lower bound of [`OracleParams::max_vol_deviation`]: 10%.
pub const MIN_MAX_VOL_DEVIATION: FixedU128 = FixedU128::from_rational(1, 10);
/// Hard upper bound of [`OracleParams::max_vol_deviation`]: 1000% (implied vol may move to
/// eleven times the reference before the breaker trips).
pub const MAX_MAX_VOL_DEVIATION: FixedU128 = FixedU128::from_u32(10);
/// Hard lower bound of [`OracleParams::breaker_window`]: 1 second (ms).
pub const MIN_BREAKER_WINDOW: Moment = 1_000;
/// Hard upper bound of [`OracleParams::breaker_window`]: 1 day (ms).
pub const MAX_BREAKER_WINDOW: Moment = 86_400_000;
/// Hard lower bound of [`OracleParams::breaker_cooloff`]: 1 minute (ms). A shorter pause would
/// not let anyone look at a move before it is accepted.
pub const MIN_BREAKER_COOLOFF: Moment = 60_000;
/// Hard upper bound of [`OracleParams::breaker_cooloff`]: 6 hours (ms). The pause is bounded:
/// beyond that, accounts that are underwater at the new level stay unliquidatable too long.
pub const MAX_BREAKER_COOLOFF: Moment = 21_600_000;
/// Hard lower bound of [`OracleParams::max_dispersion`]: 0.1%. Honest feeds quoting different
/// venues differ by a few basis points; a tighter bound would never let a halt cool off.
pub const MIN_MAX_DISPERSION: Permill = Permill::from_parts(1_000);
/// Hard upper bound of [`OracleParams::max_dispersion`]: 10%. Feeds further apart than that do
/// not agree on a price.
pub const MAX_MAX_DISPERSION: Permill = Permill::from_percent(10);
/// Largest change of any parameter in one `set_params` call, as a fraction of its current
/// value (checked with [`solvent_primitives::within_step`]). Larger moves need several
/// governance decisions.
pub const MAX_PARAM_STEP: Permill = Permill::from_percent(50);
/// Hard upper bound of an implied volatility feed: 10.0 (1000% per year). Anything above is a
/// feeder bug (e.g. a percentage sent as a fraction), not a market.
pub const MAX_IMPLIED_VOL: FixedU128 = FixedU128::from_u32(10);

/// Length (ms) of one bucket of the coarse history ([`HistoryBucket`]): 5 minutes. The steps
/// the exact history ring drops are folded into one bucket per 5-minute slot of the clock
/// (`timestamp / HISTORY_BUCKET`).
pub const HISTORY_BUCKET: Moment = 300_000;
/// Buckets of the coarse history kept per key: the last 300 slots of [`HISTORY_BUCKET`]
/// (25 hours). A key's coarse history is at most `300 x 65` bytes (19.5 KB).
pub const HISTORY_BUCKETS: u32 = 300;
/// History every key keeps behind now, whatever the block time and however often its value
/// changes (ms): `(HISTORY_BUCKETS - 1) x HISTORY_BUCKET` = 89,700,000 (24 h 55 min). An
/// instant at least this recent is either in the exact ring or in a kept bucket: the ring drops
/// steps oldest first into buckets, and the buckets of the last `HISTORY_BUCKETS` slots up to
/// the newest dropped instant are kept. Every window the parameters allow fits:
/// [`MAX_BREAKER_WINDOW`] here (the integrity test checks it), and consumers check theirs
/// against it (the options pallet's settlement window and lookback).
pub const HISTORY_SPAN: Moment = (HISTORY_BUCKETS as Moment - 1) * HISTORY_BUCKET;

/// Default [`OracleParams::max_age`]: 60 seconds.
pub const DEFAULT_MAX_AGE: Moment = 60_000;
/// Default [`OracleParams::min_quorum`] (capped at `MaxFeeders`): 3 feeders.
pub const DEFAULT_MIN_QUORUM: u32 = 3;
/// Default [`OracleParams::max_deviation`]: 10%.
pub const DEFAULT_MAX_DEVIATION: Permill = Permill::from_percent(10);
/// Default [`OracleParams::max_vol_deviation`]: 200% (implied vol may triple).
pub const DEFAULT_MAX_VOL_DEVIATION: FixedU128 = FixedU128::from_u32(2);
/// Default [`OracleParams::breaker_window`]: 10 minutes.
pub const DEFAULT_BREAKER_WINDOW: Moment = 600_000;
/// Default [`OracleParams::breaker_cooloff`]: 5 minutes, the trading pause of the U.S. equity
/// limit-up/limit-down plan.
pub const DEFAULT_BREAKER_COOLOFF: Moment = 300_000;
/// Default [`OracleParams::max_dispersion`]: 2%.
pub const DEFAULT_MAX_DISPERSION: Permill = Permill::from_percent(2);

// The defaults are within the hard bounds (checked at compile time).
const _: () = {
	assert!(MIN_MAX_AGE <= DEFAULT_MAX_AGE && DEFAULT_MAX_AGE <= MAX_MAX_AGE);
	assert!(DEFAULT_MAX_DEVIATION.deconstruct() >= MIN_MAX_DEVIATION.deconstruct());
	assert!(DEFAULT_MAX_DEVIATION.deconstruct() <= MAX_MAX_DEVIATION.deconstruct());
	assert!(MIN_BREAKER_WINDOW <= DEFAULT_BREAKER_WINDOW);
	assert!(DEFAULT_BREAKER_WINDOW <= MAX_BREAKER_WINDOW);
	assert!(MIN_BREAKER_COOLOFF <= DEFAULT_BREAKER_COOLOFF);
	assert!(DEFAULT_BREAKER_COOLOFF <= MAX_BREAKER_COOLOFF);
	assert!(DEFAULT_MAX_DISPERSION.deconstruct() >= MIN_MAX_DISPERSION.deconstruct());
	assert!(DEFAULT_MAX_DISPERSION.deconstruct() <= MAX_MAX_DISPERSION.deconstruct());
	assert!(DEFAULT_MIN_QUORUM >= 1);
	assert!(HISTORY_BUCKETS >= 2);
	assert!(HISTORY_SPAN >= MAX_BREAKER_WINDOW);
};

/// The oracle's risk parameters, set at genesis and changed only by the risk-admin origin
/// within the hard bounds and at most [`MAX_PARAM_STEP`] of the current value per change.
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
pub struct OracleParams {
	/// Largest age (ms) of a feeder's value that still counts: a value fed at `t` is fresh
	/// while `now - t <= max_age`. Bounds: [`MIN_MAX_AGE`], [`MAX_MAX_AGE`].
	pub max_age: Moment,
	/// Fewest feeders with a fresh value for a key to have an aggregate (quorum). Bounds:
	/// `1..=MaxFeeders`.
	pub min_quorum: u32,
	/// Largest deviation of a new aggregate from the reference TWAP, as a fraction of the
	/// reference, before the circuit breaker halts the key: trips when
	/// `|value - reference| > max_deviation x reference`. Bounds: [`MIN_MAX_DEVIATION`],
	/// [`MAX_MAX_DEVIATION`].
	pub max_deviation: Permill,
	/// The same band for implied-volatility keys, as a fraction of the reference that may
	/// exceed 1: vol routinely doubles in a crash (BTC 30-day realized vol went from 0.57 to
	/// 1.68 on 2020-03-12), so spot's band would halt it. Bounds: [`MIN_MAX_VOL_DEVIATION`],
	/// [`MAX_MAX_VOL_DEVIATION`].
	pub max_vol_deviation: FixedU128,
	/// Length (ms) of the TWAP window the circuit breaker compares a new aggregate with.
	/// Bounds: [`MIN_BREAKER_WINDOW`], [`MAX_BREAKER_WINDOW`]. Only as much history as the
	/// ring (`HistoryLength` entries) holds is used.
	pub breaker_window: Moment,
	/// How long (ms) the feeds must agree (a quorum with a dispersion of at most
	/// [`Self::max_dispersion`], at every recompute) while a key is halted before it resumes by
	/// itself at the quorum median, which becomes the new reference. The circuit breaker is a
	/// bounded pause, as an exchange's price-limit halt: the U.S. equity Limit Up-Limit Down
	/// plan (NMS plan, 2012) pauses a stock for 5 minutes when it stays outside its band, then
	/// its listing exchange reopens it at the auction price; CME Rule 589 (special price
	/// fluctuation limits) halts a futures contract at its limit for 2 minutes, then widens the
	/// limit. Bounds: [`MIN_BREAKER_COOLOFF`], [`MAX_BREAKER_COOLOFF`].
	pub breaker_cooloff: Moment,
	/// Largest dispersion of the fresh values for the feeds to *agree* during a halt:
	/// `(max - min) / median` of the fresh values, a fraction of the median (`Permill`).
	/// Bounds: [`MIN_MAX_DISPERSION`], [`MAX_MAX_DISPERSION`].
	pub max_dispersion: Permill,
}

/// The last value one feeder submitted for one key.
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
pub struct FeederValue<AccountId> {
	/// The feeder.
	pub feeder: AccountId,
	/// The value (see the module's units).
	pub value: FixedU128,
	/// When it was fed (ms since the Unix epoch, the block's timestamp).
	pub timestamp: Moment,
}

/// The circuit breaker's record of a halted key.
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
pub struct Halt {
	/// The reference TWAP the tripping aggregate deviated from (the pre-halt TWAP). The halt
	/// lifts when an aggregate is back within `max_deviation` of it.
	pub reference: FixedU128,
	/// When the breaker tripped (ms).
	pub since: Moment,
	/// Since when (ms) every recomputed aggregate of the halt has had a quorum whose
	/// dispersion is within [`OracleParams::max_dispersion`]; `None` while they do not. Set at
	/// the trip if the tripping aggregate already agrees, reset by any recompute without a
	/// quorum or with too much dispersion. The key resumes by itself at the first recompute
	/// with `now - agreed_since >= breaker_cooloff`.
	pub agreed_since: Option<Moment>,
}

/// Aggregate state of one tracked key, as last written (by a feed, a refresh in
/// `on_initialize`, a feeder removal, a parameter change or a breaker reset).
///
/// Readers must not use it past [`Self::valid_until`]: `PriceProvider::get` then recomputes
/// from the raw values (without writing).
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
pub struct KeyState {
	/// Median of the fresh values when at least the quorum of feeders had one, else `None`.
	/// Kept up to date while halted (consumers still see the key as unavailable).
	pub aggregate: Option<FixedU128>,
	/// Number of fresh values at [`Self::computed_at`].
	pub fresh: u32,
	/// When this state was computed (ms).
	pub computed_at: Moment,
	/// Last instant (ms, inclusive) at which the state is still exact: the earliest time one
	/// of the values used ages out (`min(timestamp) + max_age`). `Moment::MAX` without an
	/// aggregate (only a feed, a feeder removal or a parameter change can restore a quorum,
	/// and each of them recomputes).
	pub valid_until: Moment,
	/// Set while the circuit breaker holds the key halted.
	pub halt: Option<Halt>,
	/// The circuit breaker ignores history before this time (ms): set by `reset_breaker` and
	/// by a resume after the cool-off, so that the accepted aggregate becomes the new
	/// reference.
	pub reference_from: Moment,
}

impl Default for KeyState {
	fn default() -> Self {
		Self {
			aggregate: None,
			fresh: 0,
			computed_at: 0,
			valid_until: Moment::MAX,
			halt: None,
			reference_from: 0,
		}
	}
}

impl KeyState {
	/// Status the consumers see: halted while the breaker holds the key (whatever the quorum),
	/// else available with an aggregate, else no quorum.
	pub fn status(&self) -> PriceStatus {
		if self.halt.is_some() {
			PriceStatus::Halted
		} else if self.aggregate.is_some() {
			PriceStatus::Available
		} else {
			PriceStatus::NoQuorum
		}
	}
}

/// One step of a key's TWAP history: from `timestamp` until the next entry the aggregate was
/// `value`, or unavailable (no quorum or halted) when `None`.
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
pub struct HistoryEntry {
	/// Start of the step (ms).
	pub timestamp: Moment,
	/// The available aggregate during the step, `None` if unavailable.
	pub value: Option<FixedU128>,
}

/// One bucket of a key's coarse history: the steps the exact ring dropped within one
/// [`HISTORY_BUCKET`] slot of the clock, summed. The dropped steps are contiguous (each ran until
/// the next one started), so a bucket covers one interval `[start, end)` within its slot.
///
/// A bucket is created by the first available value dropped into its slot; a slot in which
/// the key was unavailable throughout has no bucket.
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
pub struct HistoryBucket {
	/// Start (ms) of the time folded into the bucket, in its slot
	/// `[slot x HISTORY_BUCKET, (slot + 1) x HISTORY_BUCKET)`.
	pub start: Moment,
	/// End (ms, exclusive) of the time folded into the bucket, in the same slot.
	pub end: Moment,
	/// Ms of `[start, end)` in which the key had an available value.
	pub available: Moment,
	/// Time-weighted average of the available values over those `available` ms (rounded down
	/// at the last of the 18 decimals at each fold).
	pub average: FixedU128,
	/// The last available value of the bucket and the end (ms, exclusive) of the time it was
	/// available in the bucket.
	pub last: Option<(Moment, FixedU128)>,
}

impl HistoryBucket {
	/// The [`HISTORY_BUCKET`] slot of the bucket.
	pub fn slot(&self) -> Moment {
		self.start / HISTORY_BUCKET
	}
}

/// Everything about one key, for the runtime API (`OracleApi`).
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct KeyInfo<AccountId> {
	/// The key.
	pub key: OracleKey,
	/// Median of the fresh values if at least the quorum of feeders has one now, `None`
	/// otherwise. Shown even while halted (then consumers cannot use it: see `status`).
	pub value: Option<FixedU128>,
	/// What consumers see now.
	pub status: PriceStatus,
	/// Milliseconds since the aggregate was computed, `None` without an aggregate.
	pub age: Option<Moment>,
	/// Number of feeders with a fresh value now.
	pub fresh: u32,
	/// The breaker's reference TWAP while halted.
	pub halt_reference: Option<FixedU128>,
	/// Every current feeder's last value for this key with its timestamp, stale ones included
	/// (ordered by feeder).
	pub feeders: Vec<FeederValue<AccountId>>,
}
