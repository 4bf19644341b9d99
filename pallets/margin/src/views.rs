//! The runtime API's view of an account, and the invariants `try_state` checks.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{ensure, traits::Get};
use solvent_primitives::{AssetId, Balance, PriceProvider, SignedBalance};
use sp_arithmetic::{traits::Zero, Permill};

impl<T: Config> Pallet<T> {
	/// The runtime API's view of `who`.
	pub fn account_view(who: &T::AccountId) -> AccountView {
		let (stored, account) = Self::load_account(who);
		let cash_haircut = positive_part(stored.cash.saturating_sub(account.cash));
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
		let im_addon = ImAddOn::<T>::get();
		let coverage_ratio = Self::coverage_ratio().ok().flatten();
		match Self::risk(who) {
			Ok(snapshot) => AccountView {
				cash: account.cash,
				collateral,
				equity: Some(snapshot.equity),
				initial_margin: snapshot.requirement.initial,
				open_order_margin: snapshot.requirement.open_orders,
				maintenance_margin: snapshot.requirement.maintenance,
				im_addon,
				im_addon_margin: im_addon.mul_ceil(snapshot.requirement.initial_with_orders()),
				coverage_ratio,
				unrealized_pnl: snapshot.requirement.unrealized_pnl,
				health: snapshot.health(),
				liquidatable: Self::is_liquidatable(who, &snapshot),
				positions: snapshot.positions,
				cash_haircut,
				price_error: None,
			},
			Err(e) => AccountView {
				cash: account.cash,
				collateral,
				equity: None,
				initial_margin: 0,
				open_order_margin: 0,
				maintenance_margin: 0,
				im_addon,
				im_addon_margin: 0,
				coverage_ratio,
				unrealized_pnl: 0,
				health: None,
				// Collateral whose price is unavailable does not keep the account from being
				// liquidated (rule 3 of `risk.rs`); positions that cannot be priced do.
				liquidatable: Self::liquidatable_risk(who).is_some(),
				positions: Vec::new(),
				cash_haircut,
				price_error: Some(e),
			},
		}
	}

	// ------------------------------------------------------------------ invariants

	/// Invariants:
	/// 1. per asset other than the settlement asset, the pallet account's token balance == the
	///    sum of the accounts' holdings;
	/// 2. the settlement asset (the loss waterfall's custody invariant, `losses.rs`):
	///    `held + UncoveredBadDebt >= sum of effective cash` (the difference is the rounding
	///    dust of socialized losses, and zero while none was), and
	///    `UncoveredBadDebt <= max(fund cash, 0)`, and a negative fund cash is backed by the
	///    fund's collateral and long positions (else it is a realized deficit, socialized at
	///    the end of the block):
	///    what the accounts can withdraw is held;
	/// 3. no empty account entries, no zero collateral entries;
	/// 4. [`PositiveCashTotal`] is the sum of the scaled positive cash of the accounts of the
	///    current epoch (protocol accounts excluded) and their number;
	/// 5. [`Debtors`] lists exactly the accounts with negative cash (the liquidation scan reads
	///    it, with the position provider's index, instead of every account).
	///
	/// Not checked here: that an account with negative equity ends the block liquidated. A
	/// settlement debit can leave a short with negative cash at the end of a block; it is then
	/// liquidatable, and the next block's automatic batch puts the shortfall through the loss
	/// waterfall. Until then its debt is a claim of the pool on it, not yet a loss.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungibles::Inspect;
		use solvent_primitives::BadDebtCover;
		use sp_arithmetic::Rounding;
		let now = CurrentCashIndex::<T>::get();
		let mut cash_sum: SignedBalance = 0;
		let mut positive = PositiveCash::default();
		// Entries of an earlier rescale of the wipe epoch (rounded down, up) and their number.
		let (mut carried, mut carried_accounts): ((Balance, Balance), u32) = ((0, 0), 0);
		let mut held: BTreeMap<AssetId, Balance> = BTreeMap::new();
		for (who, account) in Accounts::<T>::iter() {
			ensure!(!account.is_empty(), "empty margin account stored");
			let cash = Self::effective_cash(&who, &account, now);
			cash_sum = cash_sum.checked_add(cash).ok_or("cash sum overflow")?;
			if let Some(scaled) = Self::positive_cash_entry(&who, &account, now) {
				positive.scaled =
					positive.scaled.checked_add(scaled).ok_or("scaled cash overflow")?;
				positive.accounts += 1;
			}
			if let Some(down) = Self::carried_cash_entry(&who, &account, now, Rounding::Down) {
				let up =
					Self::carried_cash_entry(&who, &account, now, Rounding::Up).unwrap_or(down);
				carried = (carried.0.saturating_add(down), carried.1.saturating_add(up));
				carried_accounts += 1;
			}
			for (asset, amount) in account.collateral.iter() {
				ensure!(*amount > 0, "zero collateral entry");
				let e = held.entry(*asset).or_default();
				*e = e.checked_add(*amount).ok_or("collateral sum overflow")?;
			}
			ensure!(
				Debtors::<T>::contains_key(&who) == (account.cash < 0),
				"debtor index out of step with negative cash"
			);
		}
		// The running sum against the sum recomputed from the accounts (red-team finding 9:
		// it drifts if the protocol-account set changes without `RecomputePositiveCashTotal`).
		// Exact until a rescale; after one, within the rounding each rescale and each removed
		// carried entry leaves (one unit each, counted as an account: see `socialize`).
		let stored = PositiveCashTotal::<T>::get();
		if crate::losses::rescales(now.epoch) == 0 {
			ensure!(positive == stored, "PositiveCashTotal out of step");
		} else {
			let accounts = positive.accounts.saturating_add(carried_accounts);
			let ghosts = Balance::from(stored.accounts.saturating_sub(accounts));
			let low = positive.scaled.saturating_add(carried.0);
			let high = positive.scaled.saturating_add(carried.1).saturating_add(ghosts);
			ensure!(
				accounts <= stored.accounts && low <= stored.scaled && stored.scaled <= high,
				"PositiveCashTotal out of step (rescaled)"
			);
		}
		let pallet = Self::account_id();
		let usd = T::Assets::balance(T::SettlementAsset::get(), &pallet);
		let uncovered = UncoveredBadDebt::<T>::get();
		ensure!(
			to_signed(usd).saturating_add(to_signed(uncovered)) >= cash_sum,
			"settlement asset held < sum of cash - uncovered bad debt"
		);
		if CurrentCashIndex::<T>::get() == CashIndex::default() {
			ensure!(
				to_signed(usd).saturating_add(to_signed(uncovered)) == cash_sum,
				"settlement asset held != sum of cash - uncovered bad debt (nothing socialized)"
			);
		}
		let fund = T::BadDebt::fund_account();
		let fund_cash = Self::account(&fund).cash;
		ensure!(uncovered <= positive_part(fund_cash), "uncovered bad debt above the fund's cash");
		if fund_cash < 0 {
			if let Ok(risk) = Self::risk(&fund) {
				ensure!(
					risk.cash.saturating_add(risk.realizable_backing()) >= 0,
					"the fund's realized deficit was not socialized"
				);
			}
		}
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
