//! # Options pallet
//!
//! European, cash-settled options on the oracle's underlyings: listing of series, a
//! price-time-priority order book per series, net positions, the mark price and Greeks
//! (Black–Scholes, [`solvent_option_pricing`]), the short-option margin rule, and settlement at
//! expiry against the oracle's TWAP. Implements [`solvent_primitives::PositionProvider`] for
//! `pallet-margin`.
//!
//! ## Series
//! A series is `(underlying, call/put, strike, expiry, contract size)` ([`SeriesTerms`]),
//! listed by [`Config::ListingOrigin`] one at a time ([`Pallet::list_series`]) or as a grid of
//! strikes x expiries ([`Pallet::list_grid`]). The expiry must be on the schedule
//! `expiry % expiry_interval == expiry_offset` (e.g. daily at 08:00 UTC, as Deribit) and at
//! least `min_time_to_expiry` ahead. Terms are unique ([`SeriesIndex`]); at most
//! [`Config::MaxActiveSeries`] series are active (listed and not yet fully settled).
//!
//! ## Trading
//! [`Pallet::place_order`] matches an incoming order against the opposite side of the series'
//! book, best price first and, at one price, earliest first; each fill is at the resting
//! (maker) order's price. At each fill the premium (`price x quantity`, USD units) moves from
//! the buyer's to the seller's margin account ([`MarginLedger::transfer_cash`]) and both pay
//! their fee (see [`Pallet::fee`]; the share [`Config::InsuranceFeeShare`] to
//! [`Config::InsuranceFundAccount`], the rest to [`Config::FeeCollector`]). Where each rule
//! lives (`book.rs`, `trading.rs`, `margin.rs`):
//!
//! | rule | function |
//! | --- | --- |
//! | price band around the mark (rejects absurd premiums) | [`Pallet::price_band`] |
//! | tick and minimum quantity | [`Pallet::tick`], [`OptionsParams::min_order_quantity`] |
//! | the trade margin rule, both sides of every fill | `MarginLedger::ensure_trade_margin` |
//! | margin of resting orders | [`Pallet::open_order_margin`] |
//! | a full book side evicts its worst order | [`Pallet::rest_order`] (`book.rs`) |
//! | fee | [`Pallet::fee`] |
//!
//! **Invariant: only price moves make a trader liquidatable.** Every fill leaves both sides
//! fully margined (equity at least initial margin plus the margin of their resting orders),
//! or, for a side whose fill only closed part of its position, no worse against its
//! maintenance margin than before (see `docs/DESIGN.md`).
//!
//! ## Mark price and margin
//! Mark price = Black–Scholes price from the oracle's spot and implied volatility (rate
//! [`OptionsParams::rate`]); after expiry, the intrinsic value at the current spot, and once
//! the settlement price is fixed, at the settlement price (`mark.rs`). Shorts need the margin
//! of [`Pallet::short_margin`] (Deribit's rule); a long's initial margin is its mark value and
//! its maintenance margin zero ([`Pallet::position_risk`]); resting orders need
//! [`Pallet::open_order_margin`]. [`Pallet::portfolio`] prices an account once (`margin.rs`).

//! ## Settlement
//! From the first block whose `on_initialize` sees the time past the expiry: the series takes
//! no orders, its resting orders are cancelled, and its settlement price is fixed, in this
//! order ([`SettlementSource`]):
//! 1. the oracle's TWAP over `[expiry - settlement_window, expiry]`, if the oracle had an
//!    available price for at least `min_twap_coverage` of the window;
//! 2. else the last oracle price available at or before the expiry, if it was still available
//!    at most `settlement_lookback` before the expiry;
//! 3. else the risk admin's price ([`Pallet::set_settlement_price`]), within
//!    `settlement_price_band` of the last oracle price available before the expiry (or of the
//!    current one if the oracle kept none).
//!
//! Then every position is settled in cash through the series' settlement account
//! ([`Pallet::settlement_account`]): shorts pay, and longs receive, the payout per contract (USD
//! units) times their contracts. Any dust (from a failed transfer) goes to the insurance fund,
//! so the settlement account ends at zero. The work is bounded per block
//! ([`Config::MaxSettlementsPerBlock`] units) and shared: every due series gets to its
//! settlement price before any position is settled, and the settling series share the rest of
//! the budget equally, so a large series never holds back the others. See `settlement.rs`.
//!
//! The oracle queries the settlement needs beyond
//! [`PriceProvider`](solvent_primitives::PriceProvider) (the TWAP's coverage, the
//! last available price, the oracle's history span) are read through [`SettlementPrices`].
//!
//! ## Unwinding the insurance fund's inventory
//! Positions the insurance fund takes over from liquidated accounts
//! ([`Config::InsuranceFundAccount`], `pallet-margin`'s backstop) are offered back to the
//! market, not held to expiry. Each block `on_initialize` visits at most
//! [`Config::MaxUnwindQuotesPerBlock`] of the series the fund holds a position in, round-robin
//! ([`UnwindCursor`]), and keeps one **reduce-only** resting order of the fund in each, on the
//! closing side: an ask for its longs at `mark x (1 + unwind_spread)` rounded up to the tick, a
//! bid for its shorts at `mark x (1 - unwind_spread)` rounded down to the tick
//! ([`OptionsParams::unwind_spread`]), for its whole position ([`Pallet::unwind_quote`]). The
//! quote is placed like any order, so resting orders that cross it fill at once; it is replaced
//! when its price or quantity would change ([`Event::InventoryQuoted`]) and withdrawn when the
//! series stops trading or its mark is unavailable ([`Event::InventoryQuoteCancelled`]). Every
//! fund order is reduce-only at fill time too ([`CancelReason::ReduceOnly`]). See `unwind.rs`
//! for the rules, the bounds and the sources (exchange liquidation desks; dYdX v4's
//! deleveraging for contrast).
//!
//! ## Parameters
//! [`OptionsParams`] in [`Params`]: genesis values, changed by [`Config::RiskAdminOrigin`]
//! through [`Pallet::set_params`] within hard bounds and maximum steps (see [`types`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod runtime_api;
pub mod types;
pub mod weights;

pub mod migrations;

mod book;
mod listing;
mod margin;
mod mark;
mod params;
mod positions;
mod settlement;
mod trading;
mod unwind;
mod views;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_unwind;

pub use margin::ShortMargin;
pub use mark::{contracts_value, UnitMark};
pub use settlement::SettlementPrices;
pub use trading::{PlaceOrderOutcome, PriceBand};
pub use types::*;
pub use weights::WeightInfo;

/// Sets up what the benchmarks need in the concrete runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Set the time (`Config::Time::now()`) to `now` (ms).
	fn set_time(now: solvent_primitives::Moment);
	/// Make the oracle report `spot` (USD per whole unit) and `vol` (annualized fraction) as
	/// available for `asset` now, and `spot` as `twap(Spot(asset), window, end)` for every
	/// window ending at or before now.
	fn set_prices(
		asset: solvent_primitives::AssetId,
		spot: solvent_primitives::Price,
		vol: sp_arithmetic::FixedU128,
	);
	/// Credit `amount` USD units to the cash of `who`'s margin account (so that its initial
	/// margin checks pass).
	fn fund_account(who: &AccountId, amount: solvent_primitives::Balance);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		dispatch::DispatchResultWithPostInfo,
		pallet_prelude::*,
		traits::{Get, Time},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use solvent_primitives::{
		AssetId, Balance, MarginLedger, Moment, OptionKind, OrderId, Price, ProtocolAccounts,
		SeriesId, Side, SignedBalance,
	};
	use sp_arithmetic::{FixedU128, Permill};

	/// The in-code storage version: 1 added the price band, tick and minimum quantity to
	/// [`OptionsParams`] and the per-series order totals to [`AccountOrders`]
	/// ([`crate::migrations::v1`]); 2 removed `socialized` from [`Settlement`]
	/// ([`crate::migrations::v2`]); 3 added the settlement fallbacks' parameters to
	/// [`OptionsParams`] and the price's source to [`Settlement`] ([`crate::migrations::v3`]);
	/// 4 added `unwind_spread` to [`OptionsParams`] ([`crate::migrations::v4`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(4);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Id of the pallet; each series' settlement account is its sub-account
		/// `("series", id)` ([`Pallet::settlement_account`]).
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Oracle: spot and implied volatility of underlyings, and the settlement price's
		/// queries (TWAP with its coverage, last available price, history span; see
		/// [`SettlementPrices`]): `pallet-price-oracle` implements all of them.
		type Prices: SettlementPrices;

		/// Margin ledger (`pallet-margin`): cash transfers and the initial-margin check.
		type Ledger: MarginLedger<Self::AccountId>;

		/// Current time in ms since the Unix epoch (`pallet-timestamp`).
		type Time: Time<Moment = Moment>;

		/// Origin allowed to list series (governance or Root).
		type ListingOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Origin allowed to change [`Params`] (within bounds and steps).
		type RiskAdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Margin account of the insurance fund: its share of fees and the settlement dust.
		type InsuranceFundAccount: Get<Self::AccountId>;

		/// Share of each trading fee paid to [`Config::InsuranceFundAccount`] (rounded down);
		/// the rest goes to [`Config::FeeCollector`].
		type InsuranceFeeShare: Get<Permill>;

		/// Margin account receiving the trading fees net of the insurance fund's share.
		type FeeCollector: Get<Self::AccountId>;

		/// The protocol's own accounts (insurance fund, settlement accounts, fee collector,
		/// treasury): not bound by `MaxPositionsPerAccount`, so the fund, as backstop
		/// liquidator, can take a position in every active series.
		type ProtocolAccounts: ProtocolAccounts<Self::AccountId>;

		/// Most series active at once (listed and not fully settled).
		#[pallet::constant]
		type MaxActiveSeries: Get<u32>;

		/// Most strikes in one [`Pallet::list_grid`].
		#[pallet::constant]
		type MaxGridStrikes: Get<u32>;

		/// Most expiries in one [`Pallet::list_grid`].
		#[pallet::constant]
		type MaxGridExpiries: Get<u32>;

		/// Most resting orders on one side of one book.
		#[pallet::constant]
		type MaxOrdersPerSide: Get<u32>;

		/// Most resting orders of one account over all books.
		#[pallet::constant]
		type MaxOpenOrdersPerAccount: Get<u32>;

		/// Most resting orders one `place_order` visits (fills, plus makers cancelled for a
		/// failed margin check, position limit or self-trade).
		#[pallet::constant]
		type MaxFillsPerCall: Get<u32>;

		/// Most series in which a trader holds a position or has resting orders (its footprint,
		/// what pricing the account costs). Protocol accounts are bounded by
		/// `MaxActiveSeries` only.
		#[pallet::constant]
		type MaxPositionsPerAccount: Get<u32>;

		/// Work units per block of the settlement in `on_initialize`: a unit is one position
		/// settled, one resting order of an expired series cancelled, or one state transition
		/// (expiry, settlement-price attempt, end of settlement).
		#[pallet::constant]
		type MaxSettlementsPerBlock: Get<u32>;

		/// Most series per block in which `on_initialize` (re)quotes the insurance fund's
		/// unwind order (`unwind.rs`): each visit is at most a cancellation and an order
		/// placement of at most `MaxFillsPerCall` fills.
		#[pallet::constant]
		type MaxUnwindQuotesPerBlock: Get<u32>;

		/// Whether trading is paused (the runtime's safe mode): the unwind then places no
		/// order, since makers whose resting orders it would take cannot place orders to hedge
		/// (red-team review). Quotes already resting stay; none fills at a price worse for the
		/// fund than its quote at the current mark.
		type TradingPaused: Get<bool>;

		/// Weights of the calls and hooks.
		type WeightInfo: WeightInfo;

		/// Benchmark setup in the concrete runtime.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Risk and market parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, OptionsParams, ValueQuery>;

	/// Id of the next series.
	#[pallet::storage]
	pub type NextSeriesId<T: Config> = StorageValue<_, SeriesId, ValueQuery>;

	/// Every series ever listed (settled ones stay as the record).
	#[pallet::storage]
	pub type Series<T: Config> = StorageMap<_, Twox64Concat, SeriesId, SeriesInfo>;

	/// Terms -> id, to reject duplicate listings.
	#[pallet::storage]
	pub type SeriesIndex<T: Config> = StorageMap<_, Blake2_128Concat, SeriesTerms, SeriesId>;

	/// Active series as `(expiry, id)`, sorted ascending: listed and not fully settled.
	#[pallet::storage]
	pub type ActiveSeries<T: Config> =
		StorageValue<_, BoundedVec<(Moment, SeriesId), T::MaxActiveSeries>, ValueQuery>;

	/// Settlement of a series, from its start (kept as the record after the end).
	#[pallet::storage]
	pub type Settlements<T: Config> = StorageMap<_, Twox64Concat, SeriesId, Settlement>;

	/// What the insurance fund is to pay, USD units, for its short positions in series whose
	/// settlement has started and that it has not paid yet: a settlement that starts counts
	/// it against what the fund can pay, so several series of one expiry cannot each count the
	/// fund's whole cash.
	#[pallet::storage]
	pub type FundSettlementCommitted<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// Net position (contracts; + long, - short) of an account in a series. No zero entries.
	#[pallet::storage]
	pub type Positions<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SeriesId,
		Blake2_128Concat,
		T::AccountId,
		i64,
		OptionQuery,
	>;

	/// Series in which an account holds a (non-zero) position: at most
	/// `MaxPositionsPerAccount` for a trader, `MaxActiveSeries` for a protocol account.
	#[pallet::storage]
	pub type AccountSeries<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<SeriesId, T::MaxActiveSeries>,
		ValueQuery,
	>;

	/// Id of the next order.
	#[pallet::storage]
	pub type NextOrderId<T: Config> = StorageValue<_, OrderId, ValueQuery>;

	/// Resting orders.
	#[pallet::storage]
	pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, Order<T::AccountId>>;

	/// One side of a series' book: best price first, then earliest order.
	#[pallet::storage]
	pub type Book<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SeriesId,
		Twox64Concat,
		Side,
		BoundedVec<BookEntry, T::MaxOrdersPerSide>,
		ValueQuery,
	>;

	/// Resting orders of an account: ids oldest first, and per series the totals its
	/// open-order margin is computed from. No empty entries.
	#[pallet::storage]
	pub type AccountOrders<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		OpenOrders<T::MaxOpenOrdersPerAccount>,
		ValueQuery,
	>;

	/// The insurance fund's resting unwind quote in a series: at most one per series, on the
	/// closing side of the fund's position, for at most that position (`try_state`). Removed
	/// when the order leaves the book (filled, cancelled, evicted, expired).
	#[pallet::storage]
	pub type FundQuotes<T: Config> = StorageMap<_, Twox64Concat, SeriesId, OrderId>;

	/// The last series whose unwind quote `on_initialize` visited: the next block starts at the
	/// fund's next series after it (in id order, wrapping around).
	#[pallet::storage]
	pub type UnwindCursor<T: Config> = StorageValue<_, SeriesId>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Initial parameters (must be within the hard bounds and consistent).
		pub params: OptionsParams,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Err(e) = Pallet::<T>::check_bounds(&self.params) {
				panic!("options genesis params out of bounds: {e:?}");
			}
			Params::<T>::put(self.params);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A series was listed.
		SeriesListed { series: SeriesId, terms: SeriesTerms },
		/// An order was received (before matching). `price`: USD units per contract.
		OrderPlaced {
			order_id: OrderId,
			who: T::AccountId,
			series: SeriesId,
			side: Side,
			price: Balance,
			quantity: u64,
			time_in_force: TimeInForce,
		},
		/// A fill at the maker's `price` (USD units per contract): `premium = price x
		/// quantity` moved from the buyer to the seller; fees in USD units. `taker_side`: the
		/// taker bought or sold.
		OrderFilled {
			series: SeriesId,
			maker_order: OrderId,
			taker_order: OrderId,
			maker: T::AccountId,
			taker: T::AccountId,
			taker_side: Side,
			price: Balance,
			quantity: u64,
			premium: Balance,
			maker_fee: Balance,
			taker_fee: Balance,
		},
		/// An order (or the unfilled part of an incoming order) was cancelled with `remaining`
		/// contracts unfilled.
		OrderCancelled {
			order_id: OrderId,
			who: T::AccountId,
			series: SeriesId,
			remaining: u64,
			reason: CancelReason,
		},
		/// `quantity` contracts of a position moved from `from` to `to` at the mark price
		/// (liquidation): `quantity > 0` a long moved, `< 0` a short moved. `value` (USD
		/// units): `> 0` paid by `to` to `from`, `< 0` paid by `from` to `to`.
		PositionTransferred {
			series: SeriesId,
			from: T::AccountId,
			to: T::AccountId,
			quantity: i64,
			value: SignedBalance,
		},
		/// The series passed its expiry: it takes no more orders.
		SeriesExpired { series: SeriesId },
		/// The oracle has no settlement price for the series: its TWAP lacks coverage and it
		/// had no price within the lookback before the expiry. The series waits for the risk
		/// admin's price ([`Pallet::set_settlement_price`]). Emitted once.
		SettlementPriceUnavailable { series: SeriesId },
		/// The risk admin set the settlement `price` of the series (USD per whole unit of the
		/// underlying), within `settlement_price_band` of `reference` (the last oracle price
		/// available before the expiry, or the current one).
		SettlementPriceSet { series: SeriesId, price: Price, reference: Price },
		/// Settlement began at `price` (USD per whole unit) from `source`:
		/// `payout_per_contract` and `total_payout` in USD units; `fund_shortfall` (USD units)
		/// is what the insurance fund cannot pay of its short in the series, cut from the
		/// longs' payouts pro rata.
		SettlementStarted {
			series: SeriesId,
			price: Price,
			payout_per_contract: Balance,
			total_payout: Balance,
			source: SettlementSource,
			fund_shortfall: Balance,
		},
		/// A position was settled: a long (`quantity > 0`) received `amount` USD units (its
		/// `quantity x payout_per_contract`, less its share of the fund's shortfall), a short
		/// (`< 0`) paid `amount` (`|quantity| x payout_per_contract`; the fund, less its
		/// shortfall).
		SettledPosition { series: SeriesId, who: T::AccountId, quantity: i64, amount: Balance },
		/// A settlement transfer of `amount` USD units failed (ledger error); the position is
		/// settled without it and the dust absorbs the difference.
		SettlementTransferFailed { series: SeriesId, who: T::AccountId, amount: Balance },
		/// Every position of the series is settled: shorts paid `collected`, longs received
		/// `paid`, `dust` went to the insurance fund (USD units); `collected == paid + dust`.
		SeriesSettled { series: SeriesId, collected: Balance, paid: Balance, dust: SignedBalance },
		/// The risk admin changed the parameters.
		ParamsSet { old: OptionsParams, new: OptionsParams },
		/// The insurance fund offered `quantity` contracts of its position back to the market:
		/// order `order_id` on `side` (sell its long, buy back its short) at `price` (USD units
		/// per contract, the mark adjusted by `unwind_spread` in the fund's favour). `mark`: the
		/// mark per contract it was priced from (USD units). Emitted after the order's
		/// [`Event::OrderPlaced`] and fills ([`Event::OrderFilled`]); `resting`: the contracts
		/// left in the book (0 if filled in full or placed immediate-or-cancel).
		InventoryQuoted {
			series: SeriesId,
			order_id: OrderId,
			side: Side,
			price: Balance,
			quantity: u64,
			mark: Balance,
			resting: u64,
		},
		/// The insurance fund's unwind quote was withdrawn (to be replaced, or because the series
		/// stopped trading, its mark is unavailable or the fund holds no position), `remaining`
		/// contracts unfilled.
		InventoryQuoteCancelled { series: SeriesId, order_id: OrderId, remaining: u64 },
		/// The insurance fund's unwind quote was cut to `remaining` contracts, what still closes
		/// its position (reduce-only): its position in the series shrank since it was quoted.
		InventoryQuoteReduced { series: SeriesId, order_id: OrderId, remaining: u64 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The strike is zero.
		ZeroStrike,
		/// The contract size is zero.
		ZeroContractSize,
		/// The expiry is not on the schedule `expiry % expiry_interval == expiry_offset`.
		ExpiryOffSchedule,
		/// The expiry is less than `min_time_to_expiry` ahead of now.
		ExpiryTooSoon,
		/// A series with the same terms exists (or appears twice in the grid).
		SeriesExists,
		/// Listing would exceed `MaxActiveSeries`.
		TooManySeries,
		/// The grid has no strike or no expiry.
		EmptyGrid,
		/// No such series.
		UnknownSeries,
		/// The series is past its expiry: no orders.
		SeriesExpired,
		/// The series is being settled or is settled.
		SeriesSettling,
		/// The quantity is zero.
		ZeroQuantity,
		/// The limit premium is zero.
		ZeroPrice,
		/// A post-only order would match on arrival.
		PostOnlyWouldCross,
		/// A fill-or-kill order cannot be filled in full now.
		FillOrKillNotFilled,
		/// The book side of the series is full (`MaxOrdersPerSide`).
		BookSideFull,
		/// The account has `MaxOpenOrdersPerAccount` resting orders.
		TooManyOpenOrders,
		/// The account holds positions in `MaxPositionsPerAccount` series.
		TooManyPositions,
		/// The account fails its initial margin after the fill.
		InsufficientMargin,
		/// A price needed (spot, implied volatility of the underlying) is unavailable.
		PriceUnavailable,
		/// No such resting order.
		UnknownOrder,
		/// The order belongs to another account.
		NotOrderOwner,
		/// The account's position is smaller than the quantity to transfer.
		InsufficientPosition,
		/// A transfer from an account to itself.
		SelfTransfer,
		/// An amount or quantity does not fit its type.
		Overflow,
		/// `maker_fee_rate` is above [`MAX_FEE_RATE`].
		MakerFeeOutOfBounds,
		/// `maker_fee_rate` moves by more than [`MAX_PARAM_STEP`].
		MakerFeeStepTooLarge,
		/// `taker_fee_rate` is above [`MAX_FEE_RATE`].
		TakerFeeOutOfBounds,
		/// `taker_fee_rate` moves by more than [`MAX_PARAM_STEP`].
		TakerFeeStepTooLarge,
		/// `im_base` is outside [`IM_BASE_BOUNDS`].
		ImBaseOutOfBounds,
		/// `im_base` moves by more than [`MAX_MARGIN_STEP`].
		ImBaseStepTooLarge,
		/// `im_min` is outside [`IM_MIN_BOUNDS`].
		ImMinOutOfBounds,
		/// `im_min` moves by more than [`MAX_MARGIN_STEP`].
		ImMinStepTooLarge,
		/// `mm_rate` is outside [`MM_RATE_BOUNDS`].
		MmRateOutOfBounds,
		/// `mm_rate` moves by more than [`MAX_MARGIN_STEP`].
		MmRateStepTooLarge,
		/// The margin fractions are not ordered `mm_rate <= im_min <= im_base`.
		MarginFractionsInconsistent,
		/// `rate` is outside [`RATE_BOUNDS`].
		RateOutOfBounds,
		/// `rate` moves by more than [`MAX_RATE_STEP`].
		RateStepTooLarge,
		/// `settlement_window` is outside [`SETTLEMENT_WINDOW_BOUNDS`].
		SettlementWindowOutOfBounds,
		/// `settlement_window` moves by more than [`MAX_PARAM_STEP`].
		SettlementWindowStepTooLarge,
		/// `expiry_interval` is outside [`EXPIRY_INTERVAL_BOUNDS`].
		ExpiryIntervalOutOfBounds,
		/// `expiry_interval` moves by more than [`MAX_PARAM_STEP`].
		ExpiryIntervalStepTooLarge,
		/// `expiry_offset` is not below `expiry_interval`.
		ExpiryOffsetOutOfBounds,
		/// `expiry_offset` moves by more than [`MAX_PARAM_STEP`].
		ExpiryOffsetStepTooLarge,
		/// `min_time_to_expiry` is outside [`MIN_TIME_TO_EXPIRY_BOUNDS`].
		MinTimeToExpiryOutOfBounds,
		/// `min_time_to_expiry` moves by more than [`MAX_PARAM_STEP`].
		MinTimeToExpiryStepTooLarge,
		/// The oracle does not track the underlying's spot price and implied volatility, so
		/// the series could never be priced or settled.
		UnsupportedUnderlying,
		/// The expiry is more than [`MAX_TIME_TO_EXPIRY`] ahead of now.
		ExpiryTooFar,
		/// The strike is above [`MAX_STRIKE`].
		StrikeTooHigh,
		/// The limit premium is outside the series' price band around its mark
		/// ([`Pallet::price_band`]).
		PriceOutsideBand,
		/// The limit premium is not a multiple of the series' tick ([`Pallet::tick`]).
		PriceNotOnTick,
		/// The quantity is below `min_order_quantity`.
		QuantityBelowMinimum,
		/// `price_band_rate` is outside [`PRICE_BAND_RATE_BOUNDS`].
		PriceBandRateOutOfBounds,
		/// `price_band_rate` moves by more than [`MAX_PARAM_STEP`].
		PriceBandRateStepTooLarge,
		/// `price_band_floor` is outside [`PRICE_BAND_FLOOR_BOUNDS`].
		PriceBandFloorOutOfBounds,
		/// `price_band_floor` moves by more than [`MAX_PARAM_STEP`].
		PriceBandFloorStepTooLarge,
		/// `tick_size` is outside [`TICK_SIZE_BOUNDS`].
		TickSizeOutOfBounds,
		/// `tick_size` moves by more than [`MAX_PARAM_STEP`].
		TickSizeStepTooLarge,
		/// `min_order_quantity` is outside [`MIN_ORDER_QUANTITY_BOUNDS`].
		MinOrderQuantityOutOfBounds,
		/// `min_order_quantity` moves by more than [`MAX_PARAM_STEP`].
		MinOrderQuantityStepTooLarge,
		/// `min_twap_coverage` is outside [`MIN_TWAP_COVERAGE_BOUNDS`].
		MinTwapCoverageOutOfBounds,
		/// `min_twap_coverage` moves by more than [`MAX_PARAM_STEP`].
		MinTwapCoverageStepTooLarge,
		/// `settlement_lookback` is outside [`SETTLEMENT_LOOKBACK_BOUNDS`].
		SettlementLookbackOutOfBounds,
		/// `settlement_lookback` moves by more than [`MAX_PARAM_STEP`].
		SettlementLookbackStepTooLarge,
		/// `settlement_price_band` is outside [`SETTLEMENT_PRICE_BAND_BOUNDS`].
		SettlementPriceBandOutOfBounds,
		/// `settlement_price_band` moves by more than [`MAX_PARAM_STEP`].
		SettlementPriceBandStepTooLarge,
		/// The series does not wait for the risk admin's settlement price: it is still trading,
		/// or its resting orders and the oracle's settlement price have not been tried yet
		/// (status `Expired` without `price_wait_reported`).
		SettlementPriceNotAwaited,
		/// The settlement price differs from the reference by more than
		/// `settlement_price_band` of the reference.
		SettlementPriceOutsideBand,
		/// No reference price for the band: the oracle kept no price of the underlying before
		/// the expiry and has none now.
		NoReferencePrice,
		/// `unwind_spread` is outside [`UNWIND_SPREAD_BOUNDS`].
		UnwindSpreadOutOfBounds,
		/// `unwind_spread` moves by more than [`MAX_UNWIND_SPREAD_STEP`].
		UnwindSpreadStepTooLarge,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Expire, cancel the orders of, and settle series past their expiry, within the
		/// per-block bounds; then, unless trading is paused (`Config::TradingPaused`), (re)quote
		/// the insurance fund's unwind orders in at most `MaxUnwindQuotesPerBlock` series.
		/// Returns the weight used.
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			let settlement = Self::process_expiries();
			if T::TradingPaused::get() {
				return settlement.saturating_add(T::DbWeight::get().reads(1));
			}
			settlement
				.saturating_add(Self::do_unwind_inventory(T::MaxUnwindQuotesPerBlock::get()))
				.saturating_add(T::DbWeight::get().reads(1))
		}

		fn integrity_test() {
			assert!(T::MaxActiveSeries::get() > 0, "MaxActiveSeries must be positive");
			assert!(T::MaxGridStrikes::get() > 0, "MaxGridStrikes must be positive");
			assert!(T::MaxGridExpiries::get() > 0, "MaxGridExpiries must be positive");
			assert!(T::MaxOrdersPerSide::get() > 0, "MaxOrdersPerSide must be positive");
			assert!(
				T::MaxOpenOrdersPerAccount::get() > 0,
				"MaxOpenOrdersPerAccount must be positive"
			);
			assert!(T::MaxFillsPerCall::get() > 0, "MaxFillsPerCall must be positive");
			assert!(
				T::MaxPositionsPerAccount::get() > 0,
				"MaxPositionsPerAccount must be positive"
			);
			assert!(
				T::MaxSettlementsPerBlock::get() > 0,
				"MaxSettlementsPerBlock must be positive"
			);
			assert!(
				Pallet::<T>::check_bounds(&OptionsParams::default()).is_ok(),
				"default parameters must be within bounds"
			);
			assert!(
				T::MaxUnwindQuotesPerBlock::get() > 0,
				"MaxUnwindQuotesPerBlock must be positive"
			);
			assert!(
				Pallet::<T>::max_on_initialize_weight()
					.saturating_add(Pallet::<T>::max_unwind_weight())
					.all_lte(T::BlockWeights::get().max_block),
				"the heaviest on_initialize (MaxSettlementsPerBlock units and \
				 MaxUnwindQuotesPerBlock quotes) exceeds a block"
			);
			// The oracle's history still holds the longest settlement window and lookback the
			// bounds allow when the settlement price is looked up.
			let needed = SETTLEMENT_WINDOW_BOUNDS
				.1
				.max(SETTLEMENT_LOOKBACK_BOUNDS.1)
				.saturating_add(SETTLEMENT_LOOKUP_DELAY);
			assert!(
				Pallet::<T>::oracle_history_span() >= needed,
				"the oracle's history is shorter than the longest settlement window or lookback"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// List one option series.
		///
		/// Origin: [`Config::ListingOrigin`]. `underlying`: an asset whose spot and implied vol
		/// the oracle tracks; `strike`: USD per whole unit of `underlying` (non-zero, at most
		/// [`MAX_STRIKE`]); `expiry`: ms since the Unix epoch, on the schedule
		/// (`expiry % expiry_interval == expiry_offset`), at least `min_time_to_expiry` and at
		/// most [`MAX_TIME_TO_EXPIRY`] from now; `contract_size`: whole units of the underlying
		/// per contract (non-zero).
		///
		/// Emits [`Event::SeriesListed`]. Errors: [`Error::UnsupportedUnderlying`],
		/// [`Error::ZeroStrike`], [`Error::StrikeTooHigh`], [`Error::ZeroContractSize`],
		/// [`Error::ExpiryOffSchedule`], [`Error::ExpiryTooSoon`], [`Error::ExpiryTooFar`],
		/// [`Error::SeriesExists`], [`Error::TooManySeries`], `BadOrigin`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::list_series())]
		pub fn list_series(
			origin: OriginFor<T>,
			underlying: AssetId,
			kind: OptionKind,
			strike: Price,
			expiry: Moment,
			contract_size: FixedU128,
		) -> DispatchResult {
			T::ListingOrigin::ensure_origin(origin)?;
			Self::do_list_series(SeriesTerms { underlying, kind, strike, expiry, contract_size })
				.map(|_| ())
		}

		/// List a grid of series on `underlying`: every kind of `kinds` x every strike x every
		/// expiry, all with `contract_size`. All or nothing.
		///
		/// Origin: [`Config::ListingOrigin`]. Units as in [`Pallet::list_series`]; at most
		/// [`Config::MaxGridStrikes`] strikes and [`Config::MaxGridExpiries`] expiries.
		///
		/// Emits [`Event::SeriesListed`] per series (kinds, then expiries, then strikes, in
		/// the given order). Errors: [`Error::EmptyGrid`] and those of
		/// [`Pallet::list_series`] ([`Error::SeriesExists`] also for a repeated strike or
		/// expiry). Weight: per strike, as for `MaxGridExpiries` expiries and both kinds.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::list_grid(strikes.len() as u32))]
		pub fn list_grid(
			origin: OriginFor<T>,
			underlying: AssetId,
			kinds: KindSet,
			strikes: BoundedVec<Price, T::MaxGridStrikes>,
			expiries: BoundedVec<Moment, T::MaxGridExpiries>,
			contract_size: FixedU128,
		) -> DispatchResult {
			T::ListingOrigin::ensure_origin(origin)?;
			Self::do_list_grid(underlying, kinds, &strikes, &expiries, contract_size)
		}

		/// Place an order in a series' book.
		///
		/// Origin: signed (the trader, whose margin account pays and receives). `side`: buy
		/// (go long / reduce a short) or sell (write / reduce a long); `limit_premium`: USD
		/// units per contract (non-zero, a multiple of the series' tick [`Pallet::tick`],
		/// inside its price band [`Pallet::price_band`]); `quantity`: contracts (at least
		/// `min_order_quantity`). No order is accepted while the series' mark is unavailable
		/// (a price it needs has no quorum or is halted): without a mark there is no band and no
		/// margin check.
		///
		/// Matches against the opposite side best price first, then earliest, at the resting
		/// orders' prices, visiting at most [`Config::MaxFillsPerCall`] resting orders. A
		/// resting order of the caller met on the way is cancelled (self-trade prevention), and
		/// so is one priced outside the current band (no fill outside the band). Per fill:
		/// premium buyer -> seller, maker and taker fees ([`Pallet::fee`]), and the **trade
		/// margin rule** on the maker (`MarginLedger::ensure_trade_margin`: fully margined
		/// after the fill, resting orders included; or, if the fill only closed part of its
		/// position, no worse against its maintenance margin than before): a failing maker is
		/// rolled back and its order cancelled. A resting order of the insurance fund (its unwind
		/// quote, `unwind.rs`) is reduce-only: cut to what still closes the fund's position
		/// before it fills ([`Event::InventoryQuoteReduced`]), or cancelled
		/// ([`CancelReason::ReduceOnly`]). The taker is held to the same rule once, after
		/// its last fill and its resting remainder; its failure fails the call. Unfilled part:
		/// `GoodTilCancelled` rests (cancelled instead if it still crosses when matching
		/// stopped), `ImmediateOrCancel` is cancelled, `FillOrKill` fails the call, `PostOnly`
		/// rests (fails if it would cross). A full book side takes a resting order only if it
		/// is better priced than the side's worst, which it evicts ([`CancelReason::Evicted`]).
		///
		/// Weight: charged for `MaxFillsPerCall` visited orders plus, for each visited maker and
		/// the taker, two pricings of an account of `MaxPositionsPerAccount` series (an
		/// `ImmediateOrCancel` or `FillOrKill` order at the lower weight of an order that
		/// cannot rest); refunded to the orders visited, the series actually priced, whether
		/// the order rested and whether the fills only changed positions already held
		/// ([`PlaceOrderOutcome`]).
		///
		/// Emits [`Event::OrderPlaced`], [`Event::OrderFilled`] per fill,
		/// [`Event::OrderCancelled`] per cancelled maker, per evicted order and for a cancelled
		/// remainder. Errors: [`Error::UnknownSeries`], [`Error::SeriesExpired`],
		/// [`Error::ZeroQuantity`], [`Error::QuantityBelowMinimum`], [`Error::ZeroPrice`],
		/// [`Error::PriceNotOnTick`], [`Error::PriceOutsideBand`], [`Error::PriceUnavailable`],
		/// [`Error::PostOnlyWouldCross`], [`Error::FillOrKillNotFilled`],
		/// [`Error::BookSideFull`], [`Error::TooManyOpenOrders`], [`Error::TooManyPositions`],
		/// [`Error::InsufficientMargin`], [`Error::Overflow`], or the ledger's error of a failed
		/// transfer.
		#[pallet::call_index(2)]
		#[pallet::weight(Pallet::<T>::place_order_weight(T::MaxFillsPerCall::get(), *time_in_force))]
		pub fn place_order(
			origin: OriginFor<T>,
			series: SeriesId,
			side: Side,
			limit_premium: Balance,
			quantity: u64,
			time_in_force: TimeInForce,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let outcome =
				Self::do_place_order(&who, series, side, limit_premium, quantity, time_in_force)?;
			Ok(Some(Self::place_order_actual_weight(&outcome, time_in_force)).into())
		}

		/// Cancel one of the caller's resting orders.
		///
		/// Origin: signed (the owner). Emits [`Event::OrderCancelled`] with reason
		/// [`CancelReason::ByOwner`]. Errors: [`Error::UnknownOrder`], [`Error::NotOrderOwner`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::cancel_order())]
		pub fn cancel_order(origin: OriginFor<T>, order_id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_order(&who, order_id)
		}

		/// Set the parameters.
		///
		/// Origin: [`Config::RiskAdminOrigin`]. Every field within its hard bounds (see
		/// [`OptionsParams`] and the constants of [`types`]), `mm_rate <= im_min <= im_base`,
		/// `expiry_offset < expiry_interval`, and each field within its maximum step of the
		/// current value ([`MAX_MARGIN_STEP`] for margin fractions, [`MAX_RATE_STEP`]
		/// absolute for the rate, [`MAX_PARAM_STEP`] otherwise). New margin fractions apply at
		/// once to every margin computation; a new schedule only to later listings; a new
		/// settlement window to settlements starting afterwards.
		///
		/// Emits [`Event::ParamsSet`]. Errors: the `*OutOfBounds`, `*StepTooLarge` error of the
		/// first offending field, [`Error::MarginFractionsInconsistent`], `BadOrigin`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: OptionsParams) -> DispatchResult {
			T::RiskAdminOrigin::ensure_origin(origin)?;
			Self::do_set_params(params)
		}

		/// Set the settlement price of a series the oracle could not price, and start its
		/// settlement.
		///
		/// Origin: [`Config::RiskAdminOrigin`]. `series` must wait for it: past expiry, its
		/// resting orders cancelled, and the oracle without a settlement price (its TWAP over
		/// the settlement window lacked coverage and it had no price within the lookback:
		/// status `Expired { price_wait_reported: true }`, announced by
		/// [`Event::SettlementPriceUnavailable`]). `price`: USD per whole unit of the
		/// underlying, within `settlement_price_band` of the reference,
		/// `|price - reference| <= settlement_price_band x reference`. The reference is the
		/// last oracle price of the underlying available at or before the expiry, however old
		/// (the oracle keeps about a day), else the oracle's current price.
		///
		/// Emits [`Event::SettlementPriceSet`] and [`Event::SettlementStarted`] (source
		/// [`SettlementSource::Governance`]); the positions are settled by the following
		/// blocks. Errors: [`Error::UnknownSeries`], [`Error::SettlementPriceNotAwaited`],
		/// [`Error::SeriesSettling`], [`Error::NoReferencePrice`],
		/// [`Error::SettlementPriceOutsideBand`], `BadOrigin`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_settlement_price())]
		pub fn set_settlement_price(
			origin: OriginFor<T>,
			series: SeriesId,
			price: Price,
		) -> DispatchResult {
			T::RiskAdminOrigin::ensure_origin(origin)?;
			Self::do_set_settlement_price(series, price)
		}
	}
}
