//! Equity and the margin rules: the haircut value of collateral, an account priced once
//! ([`Pallet::risk`], [`Pallet::risk_with`]), the initial margin of risk-increasing actions,
//! the trade margin rule, and when an account is liquidatable.
//!
//! ## Unavailable prices (issue 15, "oracle degradation")
//!
//! An unavailable price (no quorum of fresh feeds, or halted by the oracle's circuit breaker)
//! blocks only what depends on it. Before, any unavailable price made [`Pallet::risk`] fail,
//! so one unit of a second collateral asset (a dust deposit of ETH) tied its owner's
//! withdrawals, trades and liquidation to that asset's oracle key: while ETH was halted or
//! stale, an account of BTC options below maintenance margin could not be liquidated. The
//! rules ([`UnpricedCollateral`] says which applies where):
//!
//! 1. **Initial-margin checks** (a withdrawal, a resting order, a risk-increasing fill: the
//!    trade margin rule, and the `MarginLedger::margin_snapshot` the position provider takes
//!    before a trade) count a collateral asset whose index price is unavailable at **zero**
//!    ([`UnpricedCollateral::AtZero`]). Safe: zero is the least the asset can be worth, so an
//!    account that passes is fully margined whatever its price turns out to be, and every
//!    comparison of the trade margin rule only gets stricter (its `before` and `after` are
//!    priced alike and the amount of collateral does not change in a trade, so the
//!    `min(0, before)` floors are lower or equal). The owner keeps trading and withdrawing on
//!    what it can price. **Withdrawing the unavailable asset itself** is allowed on the same
//!    check: counted at zero, removing it leaves the measured equity unchanged, so it leaves
//!    only if the account is fully margined without it, and then the pool never relied on it.
//!    (Blocking it would only hold the owner's tokens hostage to the oracle.)
//! 2. **Positions** whose underlying's price is unavailable cannot be priced (no mark, no
//!    margin requirement): every check on their account fails with
//!    [`Error::PriceUnavailable`], as before, and the account is not liquidated (its
//!    positions could not be moved at a mark).
//! 3. **Liquidation** counts a collateral asset whose price is unavailable at the oracle's
//!    credible **upper bound** of its price, with its haircut as when priced
//!    ([`UnpricedCollateral::AtUpperBound`], `PriceProvider::spot_upper_bound`: the highest
//!    price at least half of the feeders stand behind (their lower median), the pre-halt
//!    price after a crash, the last accepted price when the feeds are stale). An
//!    account whose positions can all be priced is liquidatable if it is below maintenance
//!    margin *even with* that most favourable value: dust never saves an account that is
//!    liquidatable without it, and a large holding never gets its owner liquidated because
//!    its price is missing. Such a liquidation moves positions until equity covers the
//!    initial margin at that same value (the least the owner can be made to close); its
//!    penalty and keeper reward come only out of equity without that value (a value the
//!    oracle cannot confirm must not pay a keeper out of the pool). If the oracle knows no
//!    bound at all (the asset never had a price, or every trace of it is gone), the account
//!    is not liquidated until it does.
//!
//!    **Bankruptcy waits.** If the positions are all closed and equity is still negative,
//!    the bad debt is not declared and the collateral is not seized while any collateral
//!    price is unavailable ([`Event::BankruptcyDeferred`]): the deficit depends on that price,
//!    and seizing at a guess would move the loss between the owner, the fund and the cash
//!    holders. The account keeps its negative cash (it stays in [`Debtors`]), has no positions
//!    left to lose more on, and cannot withdraw (rule 1 counts the asset at zero). A halt is
//!    bounded: the key resumes by itself after the breaker's cool-off (at most
//!    `MAX_BREAKER_COOLOFF`, 6 hours; 5 minutes by default) or at a risk-admin reset. A stale
//!    key (no quorum) has no such bound: it waits for the feeders, or for governance to
//!    replace them. As soon as the price is available, the liquidation scan finds the account
//!    through [`Debtors`] and the automatic batch runs the bankruptcy. Until then the loss
//!    (at least `-equity` at the upper bound) is not yet in the insurance fund's value: the
//!    fund holds the positions it took over at mark and the account's debt as its cash.
//! 4. **The automatic batch** is never held up by an account it cannot price or act on.
//!    [`Pallet::liquidatable_risk`] leaves out an account whose positions cannot be priced
//!    and one whose only remaining step is a bankruptcy that waits, so the scan does not put
//!    it at the head of every batch (its deficit would rank it first); in a batch, an account
//!    that fails is skipped ([`Event::LiquidationSkipped`]) and the batch goes on. Pricing an
//!    account costs at most its positions (the batch's witness) and, per unavailable
//!    collateral asset (at most `MaxCollateralAssets`), the oracle's bounded upper-bound
//!    read. An account without exposure to the unavailable asset is liquidated as before.
//!
//! Values that must be exact keep failing on an unavailable price
//! ([`UnpricedCollateral::Fail`], [`Pallet::risk`]): the insurance fund's value (its share
//! price: a value at zero would let a staker buy in cheap before the price returns), what an
//! account can pay at a settlement (`payable`, which then counts cash only), and `try_state`.

use crate::{pallet::*, types::*};
use frame_support::{ensure, traits::fungibles::metadata::Inspect};
use solvent_primitives::{
	value_in_usd, AssetId, Balance, MarginSnapshot, PositionProvider, PriceError, PriceProvider,
	ProtocolAccounts,
};
use sp_arithmetic::{traits::Zero, PerThing, Rounding};
use sp_runtime::DispatchResult;

impl<T: Config> Pallet<T> {
	/// Haircut value of `amount` of collateral `asset` (USD units, rounded down):
	/// `value_in_usd(amount, decimals, index price) x (1 - haircut)`.
	///
	/// Errors with the oracle's [`PriceError`] if the index price is unavailable. An asset
	/// without parameters counts at a 100% haircut.
	pub fn collateral_value(asset: AssetId, amount: Balance) -> Result<Balance, PriceError> {
		Self::collateral_value_with(asset, amount, UnpricedCollateral::Fail).map(|(v, _)| v)
	}

	/// Value of `amount` of collateral `asset` (USD units) and whether its index price was
	/// unavailable: the haircut value ([`Pallet::collateral_value`]) if the price is
	/// available; otherwise, by `rule`, the oracle's error, zero, or
	/// `value_in_usd(amount, decimals, upper bound) x (1 - haircut)`, rounded up (the most the
	/// holding can count for when priced; the haircut stays so that a halt never makes an
	/// account that was liquidatable look healthier).
	///
	/// Errors: the oracle's [`PriceError`] with [`UnpricedCollateral::Fail`], or with
	/// [`UnpricedCollateral::AtUpperBound`] if the oracle knows no bound.
	pub fn collateral_value_with(
		asset: AssetId,
		amount: Balance,
		rule: UnpricedCollateral,
	) -> Result<(Balance, bool), PriceError> {
		if amount.is_zero() {
			return Ok((0, false));
		}
		let price = match T::Prices::spot(asset) {
			Ok(price) => price,
			Err(e) => {
				let value = match rule {
					UnpricedCollateral::Fail => return Err(e),
					UnpricedCollateral::AtZero => 0,
					UnpricedCollateral::AtUpperBound => {
						// With its haircut, as when priced: a halt must not make an account
						// that was liquidatable look healthier (red-team review).
						let bound = T::Prices::spot_upper_bound(asset)?;
						let Some(params) = Collateral::<T>::get(asset) else {
							return Ok((0, true));
						};
						let value =
							value_in_usd(amount, T::Assets::decimals(asset), bound, Rounding::Up);
						params.haircut.left_from_one().mul_ceil(value)
					}
				};
				return Ok((value, true));
			}
		};
		let Some(params) = Collateral::<T>::get(asset) else { return Ok((0, false)) };
		let decimals = T::Assets::decimals(asset);
		let value = value_in_usd(amount, decimals, price, Rounding::Down);
		Ok((params.haircut.left_from_one().mul_floor(value), false))
	}

	/// Risk figures of `who` at current prices, priced once: cash, haircut collateral value,
	/// the position provider's portfolio (every position's figures, the requirements and the
	/// margin of the resting orders), and `equity = cash + collateral value + PnL`.
	///
	/// Errors if any price needed (a collateral asset's index price or a price the position
	/// provider reads) is unavailable: [`Pallet::risk_with`] with [`UnpricedCollateral::Fail`].
	pub fn risk(who: &T::AccountId) -> Result<RiskSnapshot, PriceError> {
		Self::risk_with(who, UnpricedCollateral::Fail)
	}

	/// [`Pallet::risk`], counting a collateral asset whose index price is unavailable by
	/// `rule` (listed in [`RiskSnapshot::unpriced`]). See the module docs for which rule
	/// applies where.
	///
	/// Errors if a price the position provider reads is unavailable, or as
	/// [`Pallet::collateral_value_with`].
	pub fn risk_with(
		who: &T::AccountId,
		rule: UnpricedCollateral,
	) -> Result<RiskSnapshot, PriceError> {
		let account = Self::account(who);
		let mut snapshot = RiskSnapshot { cash: account.cash, ..Default::default() };
		for (asset, amount) in account.collateral.iter() {
			let (value, unpriced) = Self::collateral_value_with(*asset, *amount, rule)?;
			snapshot.collateral_value = snapshot.collateral_value.saturating_add(value);
			snapshot.collateral.push((*asset, *amount, value));
			if unpriced {
				snapshot.unpriced.push(*asset);
			}
		}
		let portfolio = T::Positions::portfolio(who)?;
		snapshot.requirement = portfolio.requirement;
		snapshot.positions = portfolio.positions;
		snapshot.refresh_equity();
		Ok(snapshot)
	}

	/// The figures of the initial-margin checks: collateral whose price is unavailable counts
	/// at zero (rule 1 of the module docs). Errors if a position cannot be priced (rule 2).
	pub fn initial_margin_risk(who: &T::AccountId) -> Result<RiskSnapshot, PriceError> {
		Self::risk_with(who, UnpricedCollateral::AtZero)
	}

	/// The figures of the liquidation test: collateral whose price is unavailable counts at the
	/// oracle's upper bound, with its haircut (rule 3 of the module docs). Errors if a position
	/// cannot be priced or the oracle knows no bound.
	pub fn liquidation_risk(who: &T::AccountId) -> Result<RiskSnapshot, PriceError> {
		Self::risk_with(who, UnpricedCollateral::AtUpperBound)
	}

	/// `Ok` if `who`'s positions can be priced and its equity is at least its initial margin
	/// plus the margin of its resting orders, times one plus the initial-margin add-on in force
	/// ([`Pallet::initial_margin_required`]), collateral whose price is unavailable counted at
	/// zero ([`Pallet::initial_margin_risk`]): the rule of every risk-increasing action (a
	/// withdrawal, a fill that adds risk, a resting order).
	///
	/// Errors: [`Error::PriceUnavailable`] (a position cannot be priced),
	/// [`Error::InsufficientMargin`].
	pub fn ensure_initial_margin_of(who: &T::AccountId) -> DispatchResult {
		let snapshot = Self::initial_margin_risk(who).map_err(|_| Error::<T>::PriceUnavailable)?;
		ensure!(
			snapshot.equity >= to_signed(Self::initial_margin_required(&snapshot.requirement)),
			Error::<T>::InsufficientMargin
		);
		Ok(())
	}

	/// **The trade margin rule**, applied by the position provider to both sides of every fill
	/// (`MarginLedger::ensure_trade_margin`). After the trade, `who` must be fully margined
	/// (equity >= (initial margin + open-order margin) x (1 + the initial-margin add-on in
	/// force), [`Pallet::initial_margin_required`]), or, if `before` (its snapshot from
	/// before the trade) is given because the trade only closed part of its positions:
	///
	/// ```text
	/// IM + open-order margin  <=  before's
	/// equity - MM             >=  min(0, before's equity - MM)
	/// equity                  >=  min(0, before's equity)
	/// ```
	///
	/// so a trade never leaves an account below its maintenance margin unless it was already
	/// below and is no worse: only price moves make an account liquidatable, and no trade at
	/// any premium can move an account's loss onto the pool (buying back a short at an absurd
	/// premium, selling a long that backs shorts for 1 unit). The last line matters for an
	/// account already below maintenance: buying back a short releases more maintenance margin
	/// than the band lets the premium exceed the mark, so the surplus alone would let such an
	/// account pay its last equity and more to a colluding seller; no trade may create bad
	/// debt (negative equity) or deepen it. Protocol accounts are exempt: the fund takes
	/// positions over as the backstop by design. The second branch compares figures without
	/// the add-on, so the add-on never blocks a trade that only reduces risk (`coverage.rs`).
	///
	/// Collateral whose price is unavailable counts at zero, after as before (the position
	/// provider takes `before` through `MarginLedger::margin_snapshot`, which does the same):
	/// rule 1 of the module docs.
	///
	/// Errors: [`Error::PriceUnavailable`] (a position cannot be priced),
	/// [`Error::InsufficientMargin`].
	pub fn check_trade_margin(
		who: &T::AccountId,
		before: Option<&MarginSnapshot>,
	) -> DispatchResult {
		if T::ProtocolAccounts::is_protocol_account(who) {
			return Ok(());
		}
		let after =
			Self::initial_margin_risk(who).map_err(|_| Error::<T>::PriceUnavailable)?.margin();
		if after.equity >= to_signed(Self::initial_margin_required(&after.requirement)) {
			return Ok(());
		}
		let before = before.ok_or(Error::<T>::InsufficientMargin)?;
		ensure!(
			after.requirement.initial_with_orders() <= before.requirement.initial_with_orders()
				&& after.maintenance_surplus() >= before.maintenance_surplus().min(0)
				&& after.equity >= before.equity.min(0),
			Error::<T>::InsufficientMargin
		);
		Ok(())
	}

	/// Whether `who`, with risk figures `snapshot`, is liquidatable: `equity < maintenance
	/// margin`, except a protocol account (never liquidated). An account with no positions
	/// and negative equity (a short settled against its last cash) is liquidatable too: its
	/// liquidation is the bankruptcy that puts the debt through the loss waterfall.
	pub fn is_liquidatable(who: &T::AccountId, snapshot: &RiskSnapshot) -> bool {
		snapshot.equity < snapshot.maintenance() && !T::ProtocolAccounts::is_protocol_account(who)
	}

	/// Whether the only step left in `who`'s liquidation is a bankruptcy that must wait for a
	/// collateral price (rule 3 of the module docs): no position, no resting order, and
	/// collateral whose price is unavailable in `snapshot`.
	pub fn bankruptcy_awaits_price(who: &T::AccountId, snapshot: &RiskSnapshot) -> bool {
		!snapshot.unpriced.is_empty()
			&& snapshot.positions.is_empty()
			&& T::Positions::position_count(who) == 0
	}

	/// Risk figures of `who` (at [`Pallet::liquidation_risk`]) if a liquidation can act on it
	/// now: its positions can be priced, it is liquidatable with its unavailable collateral at
	/// the oracle's upper bound, and its liquidation is not only a bankruptcy that waits for a
	/// price ([`Pallet::bankruptcy_awaits_price`]). The scan and the batch's validation use it.
	pub fn liquidatable_risk(who: &T::AccountId) -> Option<RiskSnapshot> {
		if T::ProtocolAccounts::is_protocol_account(who) {
			return None;
		}
		let snapshot = Self::liquidation_risk(who).ok()?;
		(Self::is_liquidatable(who, &snapshot) && !Self::bankruptcy_awaits_price(who, &snapshot))
			.then_some(snapshot)
	}
}
