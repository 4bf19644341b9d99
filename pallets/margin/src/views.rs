//! The runtime API's view of an account, and the invariants `try_state` checks.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{ensure, traits::Get};
use solvent_primitives::{AssetId, Balance, PriceProvider, SignedBalance};
use sp_arithmetic::{traits::Zero, Permill};

impl<T: Config> Pallet<T> {
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
		let pending_loss = PendingLosses::<T>::get(who).unwrap_or(0);
		match Self::risk(who) {
			Ok(snapshot) => AccountView {
				cash: account.cash,
				collateral,
				equity: Some(snapshot.equity),
				initial_margin: snapshot.requirement.initial,
				open_order_margin: snapshot.requirement.open_orders,
				maintenance_margin: snapshot.requirement.maintenance,
				unrealized_pnl: snapshot.requirement.unrealized_pnl,
				health: snapshot.health(),
				liquidatable: Self::is_liquidatable(who, &snapshot),
				positions: snapshot.positions,
				pending_loss,
				price_error: None,
			},
			Err(e) => AccountView {
				cash: account.cash,
				collateral,
				equity: None,
				initial_margin: 0,
				open_order_margin: 0,
				maintenance_margin: 0,
				unrealized_pnl: 0,
				health: None,
				liquidatable: false,
				positions: Vec::new(),
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
	/// 4. [`Debtors`] lists exactly the accounts with negative cash (the liquidation scan reads
	///    it, with the position provider's index, instead of every account).
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
			ensure!(
				Debtors::<T>::contains_key(&who) == (account.cash < 0),
				"debtor index out of step with negative cash"
			);
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
		for who in Debtors::<T>::iter_keys() {
			ensure!(
				Accounts::<T>::get(&who).is_some_and(|a| a.cash < 0),
				"debtor index lists an account without debt"
			);
		}
		ensure!(
			Debtors::<T>::count() as usize == Debtors::<T>::iter_keys().count(),
			"Debtors counter"
		);
		Ok(())
	}
}
