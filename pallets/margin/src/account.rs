//! Margin accounts: custody, collateral value, equity, margin checks, parameters, the
//! `MarginLedger` implementation and the socialization of pending losses.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungibles::{metadata::Inspect as MetadataInspect, Inspect, Mutate},
		tokens::Preservation,
	},
};
use solvent_primitives::{
	value_in_usd, AssetId, BadDebtCover, Balance, MarginLedger, OracleKey, PositionProvider,
	PriceError, PriceProvider, SignedBalance,
};
use sp_arithmetic::{
	traits::{Saturating, Zero},
	PerThing, Permill, Rounding,
};
use sp_runtime::DispatchResult;

impl<T: Config> Pallet<T> {
	// ------------------------------------------------------------------ risk

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

	/// Risk figures of `who` at current prices: cash, haircut collateral value, requirements
	/// and unrealized PnL of the positions, and `equity = cash + collateral value + PnL`.
	///
	/// Errors if any price needed (a collateral asset's index price or a price the position
	/// provider reads) is unavailable.
	pub fn risk(who: &T::AccountId) -> Result<RiskSnapshot, PriceError> {
		let account = Accounts::<T>::get(who).unwrap_or_default();
		let mut collateral_value: Balance = 0;
		for (asset, amount) in account.collateral.iter() {
			collateral_value =
				collateral_value.saturating_add(Self::collateral_value(*asset, *amount)?);
		}
		let requirement = T::Positions::margin_requirement(who)?;
		let equity = account
			.cash
			.saturating_add(to_signed(collateral_value))
			.saturating_add(requirement.unrealized_pnl);
		Ok(RiskSnapshot { cash: account.cash, collateral_value, requirement, equity })
	}

	/// `Ok` if every price is available and `equity >= initial margin` for `who`.
	/// Errors: [`Error::PriceUnavailable`], [`Error::InsufficientMargin`].
	pub fn ensure_initial_margin_of(who: &T::AccountId) -> DispatchResult {
		let snapshot = Self::risk(who).map_err(|_| Error::<T>::PriceUnavailable)?;
		ensure!(snapshot.equity >= snapshot.initial(), Error::<T>::InsufficientMargin);
		Ok(())
	}

	/// Whether `who`, with risk figures `snapshot`, is liquidatable: `equity < maintenance
	/// margin`, except an account already closed out (no positions, no collateral) whose
	/// remaining negative cash is covered or queued for socialization.
	pub fn is_liquidatable(who: &T::AccountId, snapshot: &RiskSnapshot) -> bool {
		if snapshot.equity >= snapshot.maintenance() || *who == T::BadDebt::fund_account() {
			return false;
		}
		if T::Positions::has_positions(who) {
			return true;
		}
		let has_collateral =
			Accounts::<T>::get(who).map(|a| !a.collateral.is_empty()).unwrap_or(false);
		let debt = positive_part(snapshot.cash.saturating_neg());
		has_collateral || debt > PendingLosses::<T>::get(who).unwrap_or(0)
	}

	/// Risk figures of `who` if it is liquidatable now (every price available).
	pub fn liquidatable_risk(who: &T::AccountId) -> Option<RiskSnapshot> {
		let snapshot = Self::risk(who).ok()?;
		Self::is_liquidatable(who, &snapshot).then_some(snapshot)
	}

	// ------------------------------------------------------------------ custody

	/// Move `amount` of `asset` from `who`'s tokens into its margin account.
	pub(crate) fn do_deposit(
		who: &T::AccountId,
		asset: AssetId,
		amount: Balance,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut account = Accounts::<T>::get(who).unwrap_or_default();
		if asset == T::SettlementAsset::get() {
			let amount = checked_signed(amount).ok_or(Error::<T>::Overflow)?;
			account.cash = account.cash.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		} else {
			let params = Collateral::<T>::get(asset).ok_or(Error::<T>::UnknownCollateral)?;
			ensure!(params.enabled, Error::<T>::CollateralDisabled);
			let held = account.collateral.get(&asset).copied().unwrap_or(0);
			let new = held.checked_add(amount).ok_or(Error::<T>::Overflow)?;
			account
				.collateral
				.try_insert(asset, new)
				.map_err(|_| Error::<T>::TooManyCollateralAssets)?;
		}
		T::Assets::transfer(asset, who, &Self::account_id(), amount, Preservation::Expendable)?;
		Self::put_account(who, account);
		if asset == T::SettlementAsset::get() {
			Self::reduce_pending_loss(who);
		}
		Self::deposit_event(Event::Deposited { who: who.clone(), asset, amount });
		Ok(())
	}

	/// Move `amount` of `asset` from `who`'s margin account to its tokens, if margin allows.
	pub(crate) fn do_withdraw(
		who: &T::AccountId,
		asset: AssetId,
		amount: Balance,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut account = Accounts::<T>::get(who).unwrap_or_default();
		if asset == T::SettlementAsset::get() {
			let amount = checked_signed(amount).ok_or(Error::<T>::InsufficientCash)?;
			ensure!(account.cash >= amount, Error::<T>::InsufficientCash);
			account.cash = account.cash.checked_sub(amount).ok_or(Error::<T>::Overflow)?;
		} else {
			let held = account.collateral.get(&asset).copied().unwrap_or(0);
			let left = held.checked_sub(amount).ok_or(Error::<T>::InsufficientCollateral)?;
			if left.is_zero() {
				account.collateral.remove(&asset);
			} else if let Some(entry) = account.collateral.get_mut(&asset) {
				*entry = left;
			}
		}
		// Check margin on the new state, then move the tokens; roll back if either fails.
		frame_support::storage::with_storage_layer(|| {
			Self::put_account(who, account);
			Self::ensure_initial_margin_of(who)?;
			T::Assets::transfer(asset, &Self::account_id(), who, amount, Preservation::Expendable)?;
			Ok::<(), DispatchError>(())
		})?;
		Self::deposit_event(Event::Withdrawn { who: who.clone(), asset, amount });
		Ok(())
	}

	/// Store `account` for `who`, removing the entry if it is empty.
	pub(crate) fn put_account(who: &T::AccountId, account: MarginAccount<T::MaxCollateralAssets>) {
		if account.is_empty() {
			Accounts::<T>::remove(who);
		} else {
			Accounts::<T>::insert(who, account);
		}
	}

	/// Add `delta` (signed USD units) to `who`'s cash.
	pub(crate) fn add_cash(who: &T::AccountId, delta: SignedBalance) -> DispatchResult {
		let mut account = Accounts::<T>::get(who).unwrap_or_default();
		account.cash = account.cash.checked_add(delta).ok_or(Error::<T>::Overflow)?;
		Self::put_account(who, account);
		Ok(())
	}

	/// Move `amount` USD units of cash from `from` to `to` (`from` may go negative).
	pub(crate) fn move_cash(
		from: &T::AccountId,
		to: &T::AccountId,
		amount: Balance,
	) -> DispatchResult {
		if amount.is_zero() || from == to {
			return Ok(());
		}
		let signed = checked_signed(amount).ok_or(Error::<T>::Overflow)?;
		let mut source = Accounts::<T>::get(from).unwrap_or_default();
		let mut dest = Accounts::<T>::get(to).unwrap_or_default();
		source.cash = source.cash.checked_sub(signed).ok_or(Error::<T>::Overflow)?;
		dest.cash = dest.cash.checked_add(signed).ok_or(Error::<T>::Overflow)?;
		Self::put_account(from, source);
		Self::put_account(to, dest);
		Self::reduce_pending_loss(to);
		Ok(())
	}

	/// A debtor whose cash rose (a deposit, a payment) owes less: its pending loss is capped
	/// at its remaining negative cash.
	pub(crate) fn reduce_pending_loss(who: &T::AccountId) {
		let Some(pending) = PendingLosses::<T>::get(who) else { return };
		let debt = positive_part(Accounts::<T>::get(who).unwrap_or_default().cash.saturating_neg());
		if debt < pending {
			Self::set_pending_loss(who, debt);
		}
	}

	/// Benchmarks of other pallets: give `who` a cash debt of `amount` USD units queued for
	/// socialization (an uncovered bad debt), as a bankrupt liquidation leaves it.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_queue_loss(who: &T::AccountId, amount: Balance) {
		let debt = SignedBalance::try_from(amount).unwrap_or(SignedBalance::MAX);
		Accounts::<T>::mutate(who, |a| {
			let mut account = a.take().unwrap_or_default();
			account.cash = account.cash.saturating_sub(debt);
			*a = Some(account);
		});
		Self::set_pending_loss(who, amount);
	}

	/// Set `who`'s pending loss to `amount` (removing the entry at zero), keeping
	/// [`PendingLossTotal`] in step.
	pub(crate) fn set_pending_loss(who: &T::AccountId, amount: Balance) {
		let old = PendingLosses::<T>::get(who).unwrap_or(0);
		if amount.is_zero() {
			PendingLosses::<T>::remove(who);
		} else {
			PendingLosses::<T>::insert(who, amount);
		}
		PendingLossTotal::<T>::mutate(|t| *t = t.saturating_sub(old).saturating_add(amount));
	}

	/// Settlement: pay queued losses from `payer`'s cash, at most `max` USD units in total and
	/// [`Config::MaxSocializationsPerCall`] debtors. Returns the amount paid.
	pub(crate) fn do_socialize_losses(payer: &T::AccountId, max: Balance) -> Balance {
		let mut taken: Balance = 0;
		let debtors: Vec<(T::AccountId, Balance)> =
			PendingLosses::<T>::iter().take(T::MaxSocializationsPerCall::get() as usize).collect();
		for (debtor, pending) in debtors {
			let pay = pending.min(max.saturating_sub(taken));
			if pay.is_zero() {
				break;
			}
			if Self::move_cash(payer, &debtor, pay).is_err() {
				break;
			}
			// `move_cash` capped the pending loss at the debtor's remaining debt; make sure the
			// queue shrinks by exactly what was paid.
			let now = PendingLosses::<T>::get(&debtor).unwrap_or(0);
			Self::set_pending_loss(&debtor, now.min(pending.saturating_sub(pay)));
			taken = taken.saturating_add(pay);
			Self::deposit_event(Event::LossSocialized {
				debtor,
				payer: payer.clone(),
				amount: pay,
			});
		}
		taken
	}

	// ------------------------------------------------------------------ parameters

	/// Validate liquidation parameters against their hard bounds.
	pub(crate) fn check_params(params: &MarginParams) -> DispatchResult {
		ensure!(
			params.liquidation_penalty <= MAX_LIQUIDATION_PENALTY,
			Error::<T>::ParamOutOfBounds
		);
		ensure!(params.keeper_reward <= MAX_KEEPER_REWARD, Error::<T>::ParamOutOfBounds);
		ensure!(
			(1..=T::MaxLiquidationsPerBlock::get()).contains(&params.max_liquidations_per_block),
			Error::<T>::ParamOutOfBounds
		);
		Ok(())
	}

	pub(crate) fn do_set_params(params: MarginParams) -> DispatchResult {
		Self::check_params(&params)?;
		let old = Params::<T>::get();
		ensure!(
			abs_step(old.liquidation_penalty, params.liquidation_penalty) <= MAX_RATE_STEP
				&& abs_step(old.keeper_reward, params.keeper_reward) <= MAX_RATE_STEP,
			Error::<T>::ParamStepTooLarge
		);
		Params::<T>::put(params);
		Self::deposit_event(Event::ParamsSet { params });
		Ok(())
	}

	pub(crate) fn do_set_collateral_params(
		asset: AssetId,
		params: CollateralParams,
	) -> DispatchResult {
		ensure!(asset != T::SettlementAsset::get(), Error::<T>::SettlementAssetNotCollateral);
		ensure!(params.haircut <= MAX_HAIRCUT, Error::<T>::ParamOutOfBounds);
		if let Some(old) = Collateral::<T>::get(asset) {
			ensure!(
				abs_step(old.haircut, params.haircut) <= MAX_HAIRCUT_STEP,
				Error::<T>::ParamStepTooLarge
			);
		} else {
			// Every account (the insurance fund too, which receives seized collateral) must be
			// able to hold every collateral asset.
			ensure!(
				(Collateral::<T>::iter_keys().count() as u32) < T::MaxCollateralAssets::get(),
				Error::<T>::TooManyCollateralAssets
			);
			ensure!(
				T::Assets::asset_exists(asset) && T::Prices::supports(&OracleKey::Spot(asset)),
				Error::<T>::UnsupportedCollateral
			);
		}
		Collateral::<T>::insert(asset, params);
		Self::deposit_event(Event::CollateralParamsSet { asset, params });
		Ok(())
	}

	// ------------------------------------------------------------------ views

	/// The runtime API's view of `who`.
	pub fn account_view(who: &T::AccountId) -> AccountView {
		let account = Accounts::<T>::get(who).unwrap_or_default();
		let collateral = account
			.collateral
			.iter()
			.map(|(asset, amount)| {
				let price = T::Prices::spot(*asset).ok();
				CollateralView {
					asset: *asset,
					amount: *amount,
					price,
					haircut: Collateral::<T>::get(asset)
						.map(|p| p.haircut)
						.unwrap_or(Permill::one()),
					value: Self::collateral_value(*asset, *amount).unwrap_or(0),
				}
			})
			.collect();
		let positions = T::Positions::positions(who).unwrap_or_default();
		let pending_loss = PendingLosses::<T>::get(who).unwrap_or(0);
		match Self::risk(who) {
			Ok(snapshot) => AccountView {
				cash: account.cash,
				collateral,
				equity: Some(snapshot.equity),
				initial_margin: snapshot.requirement.initial,
				maintenance_margin: snapshot.requirement.maintenance,
				unrealized_pnl: snapshot.requirement.unrealized_pnl,
				health: snapshot.health(),
				liquidatable: Self::is_liquidatable(who, &snapshot),
				positions,
				pending_loss,
				price_error: None,
			},
			Err(e) => AccountView {
				cash: account.cash,
				collateral,
				equity: None,
				initial_margin: 0,
				maintenance_margin: 0,
				unrealized_pnl: 0,
				health: None,
				liquidatable: false,
				positions,
				pending_loss,
				price_error: Some(e),
			},
		}
	}

	// ------------------------------------------------------------------ invariants

	/// Invariants:
	/// 1. per asset, the pallet account's token balance == the sum of the accounts' holdings
	///    (for the settlement asset: the sum of signed cash);
	/// 2. no empty account entries, no zero collateral entries;
	/// 3. [`PendingLossTotal`] == sum of [`PendingLosses`]; each pending loss is positive and at
	///    most its debtor's negative cash;
	///
	/// Not checked here: that an account with negative equity ends the block with its debt
	/// covered or queued. A settlement debit can leave a short with negative cash at the end of
	/// a block; it is then liquidatable, and the next block's automatic batch turns the
	/// shortfall into bad debt (insurance cover, then the socialization queue). The crash
	/// scenario (`e2e/scenario/crash.js`) asserts that no account is left with uncovered
	/// negative equity at its end.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungibles::Inspect;
		let mut cash_sum: SignedBalance = 0;
		let mut held: BTreeMap<AssetId, Balance> = BTreeMap::new();
		for (who, account) in Accounts::<T>::iter() {
			ensure!(!account.is_empty(), "empty margin account stored");
			cash_sum = cash_sum.checked_add(account.cash).ok_or("cash sum overflow")?;
			for (asset, amount) in account.collateral.iter() {
				ensure!(*amount > 0, "zero collateral entry");
				let e = held.entry(*asset).or_default();
				*e = e.checked_add(*amount).ok_or("collateral sum overflow")?;
			}
			let pending = PendingLosses::<T>::get(&who).unwrap_or(0);
			ensure!(
				pending <= positive_part(account.cash.saturating_neg()),
				"pending loss above the debtor's negative cash"
			);
		}
		let pallet = Self::account_id();
		let usd = T::Assets::balance(T::SettlementAsset::get(), &pallet);
		ensure!(to_signed(usd) == cash_sum, "settlement asset held != sum of cash");
		for (asset, amount) in held.iter() {
			ensure!(
				T::Assets::balance(*asset, &pallet) == *amount,
				"collateral held != sum of accounts"
			);
		}
		for asset in Collateral::<T>::iter_keys() {
			if !held.contains_key(&asset) {
				ensure!(
					T::Assets::balance(asset, &pallet).is_zero(),
					"collateral held but not recorded"
				);
			}
		}
		let mut total: Balance = 0;
		for (_, pending) in PendingLosses::<T>::iter() {
			ensure!(pending > 0, "zero pending loss stored");
			total = total.saturating_add(pending);
		}
		ensure!(total == PendingLossTotal::<T>::get(), "PendingLossTotal != sum of pending losses");
		ensure!(
			PendingLosses::<T>::count() as usize == PendingLosses::<T>::iter_keys().count(),
			"PendingLosses counter"
		);
		Ok(())
	}
}

/// `|a - b|` of two rates.
fn abs_step(a: Permill, b: Permill) -> Permill {
	if a > b {
		a.saturating_sub(b)
	} else {
		b.saturating_sub(a)
	}
}

impl<T: Config> MarginLedger<T::AccountId> for Pallet<T> {
	fn cash(who: &T::AccountId) -> SignedBalance {
		Accounts::<T>::get(who).map(|a| a.cash).unwrap_or(0)
	}

	fn transfer_cash(from: &T::AccountId, to: &T::AccountId, amount: Balance) -> DispatchResult {
		Self::move_cash(from, to, amount)
	}

	fn ensure_initial_margin(who: &T::AccountId) -> DispatchResult {
		Self::ensure_initial_margin_of(who)
	}

	fn equity(who: &T::AccountId) -> Result<SignedBalance, DispatchError> {
		Self::risk(who).map(|s| s.equity).map_err(|_| Error::<T>::PriceUnavailable.into())
	}

	fn deposit_cash(from: &T::AccountId, to: &T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let asset = T::SettlementAsset::get();
		T::Assets::transfer(asset, from, &Self::account_id(), amount, Preservation::Expendable)?;
		Self::add_cash(to, checked_signed(amount).ok_or(Error::<T>::Overflow)?)?;
		Self::reduce_pending_loss(to);
		Self::deposit_event(Event::Deposited { who: to.clone(), asset, amount });
		Ok(())
	}

	fn withdraw_cash(from: &T::AccountId, to: &T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let signed = checked_signed(amount).ok_or(Error::<T>::InsufficientCash)?;
		ensure!(Self::cash(from) >= signed, Error::<T>::InsufficientCash);
		let asset = T::SettlementAsset::get();
		frame_support::storage::with_storage_layer(|| {
			Self::add_cash(from, signed.saturating_neg())?;
			if T::Positions::has_positions(from) {
				Self::ensure_initial_margin_of(from)?;
			}
			T::Assets::transfer(asset, &Self::account_id(), to, amount, Preservation::Expendable)?;
			Ok::<(), DispatchError>(())
		})?;
		Self::deposit_event(Event::Withdrawn { who: from.clone(), asset, amount });
		Ok(())
	}

	fn socialize_losses(payer: &T::AccountId, max: Balance) -> Balance {
		Self::do_socialize_losses(payer, max)
	}
}
