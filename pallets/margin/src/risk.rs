//! Equity and the margin rules: the haircut value of collateral, an account priced once
//! ([`Pallet::risk`]), the initial margin of risk-increasing actions, the trade margin rule,
//! and when an account is liquidatable.

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
		if amount.is_zero() {
			return Ok(0);
		}
		let price = T::Prices::spot(asset)?;
		let Some(params) = Collateral::<T>::get(asset) else { return Ok(0) };
		let decimals = T::Assets::decimals(asset);
		let value = value_in_usd(amount, decimals, price, Rounding::Down);
		Ok(params.haircut.left_from_one().mul_floor(value))
	}

	/// Risk figures of `who` at current prices, priced once: cash, haircut collateral value,
	/// the position provider's portfolio (every position's figures, the requirements and the
	/// margin of the resting orders), and `equity = cash + collateral value + PnL`.
	///
	/// Errors if any price needed (a collateral asset's index price or a price the position
	/// provider reads) is unavailable.
	pub fn risk(who: &T::AccountId) -> Result<RiskSnapshot, PriceError> {
		let account = Self::account(who);
		let mut snapshot = RiskSnapshot { cash: account.cash, ..Default::default() };
		for (asset, amount) in account.collateral.iter() {
			let value = Self::collateral_value(*asset, *amount)?;
			snapshot.collateral_value = snapshot.collateral_value.saturating_add(value);
			snapshot.collateral.push((*asset, *amount, value));
		}
		let portfolio = T::Positions::portfolio(who)?;
		snapshot.requirement = portfolio.requirement;
		snapshot.positions = portfolio.positions;
		snapshot.refresh_equity();
		Ok(snapshot)
	}

	/// `Ok` if every price is available and `who`'s equity is at least its initial margin plus
	/// the margin of its resting orders, times one plus the initial-margin add-on in force
	/// ([`Pallet::initial_margin_required`]): the rule of every risk-increasing action (a
	/// withdrawal, a fill that adds risk, a resting order).
	///
	/// Errors: [`Error::PriceUnavailable`], [`Error::InsufficientMargin`].
	pub fn ensure_initial_margin_of(who: &T::AccountId) -> DispatchResult {
		let snapshot = Self::risk(who).map_err(|_| Error::<T>::PriceUnavailable)?;
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
	/// Errors: [`Error::PriceUnavailable`], [`Error::InsufficientMargin`].
	pub fn check_trade_margin(
		who: &T::AccountId,
		before: Option<&MarginSnapshot>,
	) -> DispatchResult {
		if T::ProtocolAccounts::is_protocol_account(who) {
			return Ok(());
		}
		let after = Self::risk(who).map_err(|_| Error::<T>::PriceUnavailable)?.margin();
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

	/// Risk figures of `who` if it is liquidatable now (every price available).
	pub fn liquidatable_risk(who: &T::AccountId) -> Option<RiskSnapshot> {
		if T::ProtocolAccounts::is_protocol_account(who) {
			return None;
		}
		let snapshot = Self::risk(who).ok()?;
		Self::is_liquidatable(who, &snapshot).then_some(snapshot)
	}
}
