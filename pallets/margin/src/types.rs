//! Domain types of the margin pallet: accounts, collateral and risk parameters, views.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedBTreeMap, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use solvent_primitives::{
	AssetId, Balance, MarginRequirement, MarginSnapshot, PositionRisk, PriceError, SignedBalance,
};
use sp_arithmetic::{FixedI128, FixedPointNumber, FixedU128, PerThing, Permill};

extern crate alloc;
use alloc::vec::Vec;

/// How long (ms) the offchain worker waits after computing its liquidation batch before
/// submitting it to the local transaction pool, so the pool has built its view of the block
/// the worker ran on (see `offchain_liquidations`). A fraction of the 3-second slot.
pub const OCW_SUBMIT_DELAY_MS: u64 = 500;

/// Largest haircut a collateral asset may have (50%): an asset riskier than that is disabled
/// rather than haircut further.
pub const MAX_HAIRCUT: Permill = Permill::from_percent(50);
/// Largest change of a haircut per `set_collateral_params` call, in absolute terms (10
/// percentage points). Disabling an asset is not a step: it is always allowed.
pub const MAX_HAIRCUT_STEP: Permill = Permill::from_percent(10);
/// Largest liquidation penalty (5% of the notional moved).
pub const MAX_LIQUIDATION_PENALTY: Permill = Permill::from_percent(5);
/// Largest keeper reward (1% of the notional moved).
pub const MAX_KEEPER_REWARD: Permill = Permill::from_percent(1);
/// Largest change of the liquidation penalty or of the keeper reward per `set_params` call, in
/// absolute terms (1 percentage point).
pub const MAX_RATE_STEP: Permill = Permill::from_percent(1);
/// Largest minimum deposit of a new margin account: 10,000 USD (USD units).
pub const MAX_MIN_DEPOSIT: Balance = 10_000 * 1_000_000;
/// Largest change of the minimum deposit per `set_params` call, relative to its current value
/// (from zero, any value up to [`MAX_MIN_DEPOSIT`]).
pub const MAX_MIN_DEPOSIT_STEP: Permill = Permill::from_percent(50);
/// Default minimum deposit of a new margin account: 10 USD.
pub const DEFAULT_MIN_DEPOSIT: Balance = 10 * 1_000_000;

/// Largest [`MarginParams::coverage_target`] (50%: a fund worth half the open interest).
pub const MAX_COVERAGE_TARGET: Permill = Permill::from_percent(50);
/// Largest change of [`MarginParams::coverage_target`] per `set_params` call, in absolute
/// terms (1 percentage point).
pub const MAX_COVERAGE_TARGET_STEP: Permill = Permill::from_percent(1);
/// Default [`MarginParams::coverage_target`]: 2%.
pub const DEFAULT_COVERAGE_TARGET: Permill = Permill::from_percent(2);
/// Largest [`MarginParams::max_im_addon`] (100%: initial margin at most doubled).
pub const MAX_IM_ADDON: Permill = Permill::from_percent(100);
/// Largest change of [`MarginParams::max_im_addon`] per `set_params` call, in absolute terms
/// (25 percentage points).
pub const MAX_IM_ADDON_STEP: Permill = Permill::from_percent(25);
/// Default [`MarginParams::max_im_addon`]: 50%.
pub const DEFAULT_MAX_IM_ADDON: Permill = Permill::from_percent(50);
/// Most the initial-margin add-on in force ([`crate::ImAddOn`]) rises per block (1 percentage
/// point; it falls to the curve at once). From zero to the default maximum of 50% takes 50
/// blocks (150 s at 3-second blocks): open interest inflated for one block (a self-trade
/// opened and closed) moves everyone's initial margin by at most 1%.
pub const MAX_IM_ADDON_RISE_PER_BLOCK: Permill = Permill::from_percent(1);

/// Risk parameters of one collateral asset.
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
pub struct CollateralParams {
	/// Haircut: the fraction of the asset's USD value that does **not** count as collateral.
	/// Collateral value = amount x index price x (1 - haircut). At most [`MAX_HAIRCUT`].
	pub haircut: Permill,
	/// Whether new deposits are accepted. A disabled asset still counts (with its haircut) for
	/// accounts that hold it, and can always be withdrawn.
	pub enabled: bool,
}

/// Liquidation parameters.
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
pub struct MarginParams {
	/// Liquidation penalty: fraction of the notional of the contracts moved in a liquidation,
	/// paid by the liquidated account to the insurance fund. At most
	/// [`MAX_LIQUIDATION_PENALTY`]. Deribit charges a liquidation fee on the notional
	/// liquidated (Deribit rulebook, "Liquidation fee").
	pub liquidation_penalty: Permill,
	/// Keeper reward: fraction of the notional moved, paid by the liquidated account to the
	/// keeper who called `liquidate` (none for automatic liquidations). At most
	/// [`MAX_KEEPER_REWARD`].
	pub keeper_reward: Permill,
	/// Accounts liquidated automatically per block (the offchain worker's batch size), in
	/// `1..=Config::MaxLiquidationsPerBlock`.
	pub max_liquidations_per_block: u32,
	/// Smallest deposit that opens a margin account, USD units (a deposit of another asset
	/// counts at its haircut value). At most [`MAX_MIN_DEPOSIT`]. Every margin account is state
	/// each validator stores, so opening one costs capital as well as a fee.
	pub min_deposit: Balance,
	/// Coverage ratio (insurance fund value / open interest notional) below which the initial
	/// margin of risk-increasing actions carries an add-on (the curve: [`im_addon_curve`]).
	/// At most [`MAX_COVERAGE_TARGET`], moving by at most [`MAX_COVERAGE_TARGET_STEP`] per
	/// call; zero turns the add-on off.
	pub coverage_target: Permill,
	/// The add-on at a coverage ratio of zero (fund value zero or negative): initial margin
	/// and open-order margin are multiplied by at most `1 + max_im_addon`. At most
	/// [`MAX_IM_ADDON`], moving by at most [`MAX_IM_ADDON_STEP`] per call; zero turns the
	/// add-on off.
	pub max_im_addon: Permill,
}

impl Default for MarginParams {
	fn default() -> Self {
		Self {
			liquidation_penalty: Permill::from_percent(1),
			keeper_reward: Permill::from_rational(5u32, 1000u32),
			max_liquidations_per_block: 100,
			min_deposit: DEFAULT_MIN_DEPOSIT,
			coverage_target: DEFAULT_COVERAGE_TARGET,
			max_im_addon: DEFAULT_MAX_IM_ADDON,
		}
	}
}

/// **The coverage curve**: the initial-margin add-on for coverage ratio `coverage` (insurance
/// fund value / open interest notional; `None` when open interest is zero), linear in the
/// shortfall below the target:
///
/// ```text
/// add-on = max_im_addon x clamp((coverage_target - coverage) / coverage_target, 0, 1)
/// ```
///
/// rounded up to the next part per million; zero without open interest, with a zero target,
/// or at or above the target; `max_im_addon` at a coverage of zero (a fund worth zero or
/// less). With the defaults (target 2%, maximum 50%):
///
/// | coverage ratio | add-on | initial margin of 1,000 USD becomes |
/// | --- | --- | --- |
/// | no open interest, or >= 2% | 0 | 1,000 USD |
/// | 1.5% | 12.5% | 1,125 USD |
/// | 1% | 25% | 1,250 USD |
/// | 0.5% | 37.5% | 1,375 USD |
/// | 0 (fund value <= 0) | 50% | 1,500 USD |
///
/// Source: Solvent's own rule (issue 15, point 5), in the spirit of a clearing house's margin
/// add-ons (CPMI-IOSCO PFMI, Principle 6) in their simplest monotone form: a thinner fund
/// makes new risk dearer, never existing risk liquidatable (the maintenance margin is
/// untouched).
pub fn im_addon_curve(coverage: Option<FixedU128>, params: &MarginParams) -> Permill {
	let Some(coverage) = coverage else { return Permill::zero() };
	let target = FixedU128::from_rational(
		u128::from(params.coverage_target.deconstruct()),
		u128::from(Permill::ACCURACY),
	);
	if params.max_im_addon.is_zero() || coverage >= target {
		return Permill::zero();
	}
	// target > coverage >= 0, so target > 0 and the shortfall is in (0, target].
	let shortfall = target.into_inner().saturating_sub(coverage.into_inner());
	let max = params.max_im_addon.deconstruct();
	let parts = sp_arithmetic::helpers_128bit::multiply_by_rational_with_rounding(
		u128::from(max),
		shortfall,
		target.into_inner(),
		sp_arithmetic::Rounding::Up,
	)
	.unwrap_or(u128::from(max));
	Permill::from_parts(u32::try_from(parts).unwrap_or(max).min(max))
}

/// The value of positive cash, lowered by socialized losses: an account's positive cash `c`
/// stored at index `a` is worth `floor(c x value / a.value)` at index `value` of the same
/// epoch, `10^9` times less per rescale since (a rescale stores the same index `10^9` times
/// larger when it would fall below [`MIN_CASH_INDEX`]), and nothing after a wipe (when a loss
/// takes all positive cash). See `losses.rs` (`Pallet::socialize`, `rescaled`).
///
/// The scaled-balance design of Aave's `liquidityIndex`: charging a loss pro rata to every
/// holder of positive cash is one write of the index (O(1) per loss), and each account's
/// stored cash catches up the next time it is written ([`Event::CashHaircut`]).
///
/// [`Event::CashHaircut`]: crate::Event::CashHaircut
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
pub struct CashIndex {
	/// Packed: the wipe epoch in the low 24 bits (incremented when a loss takes all positive
	/// cash; the value then restarts at one) and the rescales within it in the high 8 bits
	/// (`losses::wipe_epoch`, `losses::rescales`). Epochs written before rescales existed
	/// have no rescale bits.
	pub epoch: u32,
	/// One at the start of a wipe epoch; each socialized loss multiplies it by
	/// `1 - loss / positive cash` (rounded down), and a rescale by `10^9`. Never below
	/// [`MIN_CASH_INDEX`].
	pub value: FixedU128,
}

impl Default for CashIndex {
	fn default() -> Self {
		Self { epoch: 0, value: FixedU128::from_u32(1) }
	}
}

/// Smallest [`CashIndex::value`] (10^-9): below it the index is rescaled (stored `10^9` times
/// larger in the next rescale of the epoch), so scaled balances (`cash / index`) stay far from
/// `u128`'s range and the index keeps 9 significant digits.
pub const MIN_CASH_INDEX: FixedU128 = FixedU128::from_inner(1_000_000_000);

/// Sum of the scaled positive cash (`ceil(cash / index value)`, USD units at index one) of the
/// accounts the socialization charges (every account but the protocol's), and their number.
/// `floor(scaled x index)` is at least the sum of their positive cash and at most `2 x
/// accounts` USD units more (one unit of rounding each way per account).
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
pub struct PositiveCash {
	/// Sum of scaled positive cash.
	pub scaled: Balance,
	/// Accounts with positive cash (protocol accounts excluded).
	pub accounts: u32,
}

/// A margin account.
///
/// `cash` is the account's settlement asset (USD, 6 decimals) in smallest units; it is signed
/// because mandatory payments (premium, settlement, liquidation) may take it below zero, a debt
/// backed by the other collateral. Positive cash is stored at `cash_index`: what it is worth
/// now is [`crate::Pallet::effective_cash`]. `collateral` holds the non-settlement assets, each
/// in that asset's smallest unit.
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
)]
#[scale_info(skip_type_params(MaxAssets))]
#[codec(mel_bound())]
pub struct MarginAccount<MaxAssets: Get<u32>> {
	/// Settlement-asset balance (USD units, 6 decimals) at `cash_index`; may be negative.
	pub cash: SignedBalance,
	/// Non-settlement collateral: asset id -> amount in the asset's smallest unit. No zero
	/// entries.
	pub collateral: BoundedBTreeMap<AssetId, Balance, MaxAssets>,
	/// The [`CashIndex`] when `cash` was stored.
	pub cash_index: CashIndex,
}

impl<MaxAssets: Get<u32>> Default for MarginAccount<MaxAssets> {
	fn default() -> Self {
		Self { cash: 0, collateral: BoundedBTreeMap::new(), cash_index: CashIndex::default() }
	}
}

impl<MaxAssets: Get<u32>> MarginAccount<MaxAssets> {
	/// No cash and no collateral: the account's storage entry can be removed.
	pub fn is_empty(&self) -> bool {
		self.cash == 0 && self.collateral.is_empty()
	}
}

/// How [`crate::Pallet::risk_with`] counts a collateral asset whose index price is unavailable
/// (stale, no quorum, or halted by the circuit breaker). The rules and why each is safe are in
/// the docs of `risk.rs`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UnpricedCollateral {
	/// The computation fails with the oracle's error: values that must be exact (the insurance
	/// fund's value, what an account can pay, the invariants).
	Fail,
	/// At zero: initial-margin checks (withdrawals, orders, risk-increasing fills).
	AtZero,
	/// At the oracle's upper bound (`PriceProvider::spot_upper_bound`), with its haircut: the
	/// liquidation test. Fails if the oracle knows no bound.
	AtUpperBound,
}

/// Risk figures of an account at current prices, priced once. All amounts in USD units
/// (6 decimals).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct RiskSnapshot {
	/// Cash (settlement asset), signed.
	pub cash: SignedBalance,
	/// Each non-settlement collateral asset: `(asset, amount, haircut value)`; for an asset in
	/// [`Self::unpriced`], the value its [`UnpricedCollateral`] rule gave it.
	pub collateral: Vec<(AssetId, Balance, Balance)>,
	/// The collateral assets whose index price was unavailable, counted by an
	/// [`UnpricedCollateral`] rule instead of at their haircut value (empty with
	/// [`UnpricedCollateral::Fail`]). A bankruptcy waits while it is not empty.
	pub unpriced: Vec<AssetId>,
	/// Sum over non-settlement collateral of `value x (1 - haircut)`, rounded down.
	pub collateral_value: Balance,
	/// Requirements and unrealized PnL of the positions and resting orders (from the position
	/// provider).
	pub requirement: MarginRequirement,
	/// Each position's figures, as the position provider priced them.
	pub positions: Vec<PositionRisk>,
	/// `cash + collateral_value + unrealized PnL`.
	pub equity: SignedBalance,
}

impl RiskSnapshot {
	/// Initial margin of the positions as a signed amount (resting orders not included).
	pub fn initial(&self) -> SignedBalance {
		to_signed(self.requirement.initial)
	}
	/// Maintenance margin as a signed amount.
	pub fn maintenance(&self) -> SignedBalance {
		to_signed(self.requirement.maintenance)
	}
	/// Health = equity / maintenance margin; `None` when the maintenance margin is zero.
	pub fn health(&self) -> Option<FixedI128> {
		if self.requirement.maintenance == 0 {
			return None;
		}
		FixedI128::checked_from_rational(self.equity, self.requirement.maintenance)
	}
	/// The figures the trade margin rule compares.
	pub fn margin(&self) -> MarginSnapshot {
		MarginSnapshot { equity: self.equity, requirement: self.requirement }
	}
	/// What the account could turn into USD without settling its shorts (USD units): the
	/// haircut value of its collateral plus the mark value of its long positions. Short
	/// positions' liabilities are not counted: they are realized when they settle.
	pub fn realizable_backing(&self) -> SignedBalance {
		self.positions
			.iter()
			.map(|p| p.mark_value)
			.filter(|v| *v > 0)
			.fold(to_signed(self.collateral_value), |a, v| a.saturating_add(v))
	}
	/// The value counted for the collateral in [`Self::unpriced`] (USD units): zero or the
	/// upper-bound value, by the [`UnpricedCollateral`] rule the snapshot was taken with.
	pub fn unpriced_value(&self) -> Balance {
		self.collateral
			.iter()
			.filter(|(asset, _, _)| self.unpriced.contains(asset))
			.fold(0, |sum: Balance, (_, _, value)| sum.saturating_add(*value))
	}
	/// Recompute `equity` from cash, collateral and unrealized PnL.
	pub fn refresh_equity(&mut self) {
		self.equity = self
			.cash
			.saturating_add(to_signed(self.collateral_value))
			.saturating_add(self.requirement.unrealized_pnl);
	}
}

pub use solvent_primitives::{checked_signed, positive_part, to_signed};

/// One collateral asset of an account, as the runtime API reports it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct CollateralView {
	/// The asset.
	pub asset: AssetId,
	/// Amount in the asset's smallest unit.
	pub amount: Balance,
	/// Index price (USD per whole unit), if available.
	pub price: Option<FixedU128>,
	/// The asset's haircut.
	pub haircut: Permill,
	/// Value counted as collateral: `amount x price x (1 - haircut)` in USD units (0 when the
	/// price is unavailable).
	pub value: Balance,
}

/// A margin account as the runtime API reports it. USD amounts in units of 10^-6 USD.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AccountView {
	/// Cash (settlement asset), signed.
	pub cash: SignedBalance,
	/// Non-settlement collateral by asset.
	pub collateral: Vec<CollateralView>,
	/// Equity = cash + haircut collateral value + unrealized PnL; `None` if a price is
	/// unavailable.
	pub equity: Option<SignedBalance>,
	/// Initial margin of the positions.
	pub initial_margin: Balance,
	/// Margin of the resting orders (counted with the initial margin by risk-increasing
	/// actions: withdrawals, fills that add risk, new resting orders).
	pub open_order_margin: Balance,
	/// Maintenance margin of the positions.
	pub maintenance_margin: Balance,
	/// The initial-margin add-on in force ([`crate::ImAddOn`], set each block from the
	/// insurance fund's coverage ratio by [`im_addon_curve`]).
	pub im_addon: Permill,
	/// What the add-on adds to the initial margin plus open-order margin (USD units, rounded
	/// up): risk-increasing actions need `equity >= (initial_margin + open_order_margin) +
	/// im_addon_margin`. Not counted by the maintenance margin or by liquidation. 0 while a
	/// price is unavailable.
	pub im_addon_margin: Balance,
	/// The insurance fund's coverage ratio now (fund value / open interest notional, a
	/// fraction): below [`MarginParams::coverage_target`] the add-on rises. `None` without
	/// open interest or while a price it needs is unavailable.
	pub coverage_ratio: Option<FixedU128>,
	/// Unrealized PnL of the positions at mark.
	pub unrealized_pnl: SignedBalance,
	/// Equity / maintenance margin (`None` when the maintenance margin is zero or a price is
	/// unavailable). Below 1 the account is liquidatable.
	pub health: Option<FixedI128>,
	/// Whether `liquidate` would accept the account now (also while `equity` is `None` because
	/// a collateral price is unavailable: see `Pallet::liquidatable_risk`).
	pub liquidatable: bool,
	/// The account's positions, priced at mark. Empty while a price they need is unavailable
	/// (`price_error` says which); their quantities stay readable in the position provider's
	/// storage (`options.positions`).
	pub positions: Vec<PositionRisk>,
	/// Socialized losses charged to the account's cash since it was last written (already
	/// deducted from `cash`; USD units).
	pub cash_haircut: Balance,
	/// Why the figures are unavailable, if they are.
	pub price_error: Option<PriceError>,
}

/// What one liquidation did (returned for weight refunds and tests).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct LiquidationOutcome {
	/// Positions (wholly or partly) moved to the insurance fund.
	pub positions_closed: u32,
	/// Series the account was in (positions or resting orders) when the liquidation started (for
	/// the weight).
	pub positions_seen: u32,
	/// Resting orders cancelled.
	pub orders_cancelled: u32,
	/// Notional of the contracts moved (USD units).
	pub notional: Balance,
	/// Penalty paid to the insurance fund (USD units).
	pub penalty: Balance,
	/// Reward paid to the keeper (USD units).
	pub keeper_reward: Balance,
	/// Bad debt left after the positions were closed and collateral seized (USD units).
	pub bad_debt: Balance,
}

/// What one block's loss-waterfall work did ([`crate::Pallet::process_bad_debt`]), USD units.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BadDebtProgress {
	/// Uncovered bad debt the fund paid.
	pub paid: Balance,
	/// Uncovered bad debt socialized because the fund could no longer pay it.
	pub socialized: Balance,
	/// The fund's realized deficit socialized.
	pub fund_deficit: Balance,
	/// Whether the fund could be priced (its equity bound applied).
	pub fund_priced: bool,
}
