//! Liquidation: partial close-out to the insurance fund at mark, liquidation penalty, keeper
//! reward, bankruptcy (collateral seizure, bad debt into the loss waterfall of `losses.rs`), and
//! the automatic batch of the offchain workers. An account is priced once per liquidation
//! ([`Pallet::liquidation_risk`]); its figures follow each move exactly, without pricing it
//! again. Collateral whose price is unavailable counts at the oracle's upper bound, and a
//! bankruptcy waits for its price: see "Unavailable prices" in `risk.rs`.

use crate::{pallet::*, types::*, weights::WeightInfo};
use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*, storage::with_storage_layer};
use solvent_primitives::{
	BadDebtCover, Balance, PositionProvider, PositionRisk, ProtocolAccounts, SignedBalance,
	TransferOutcome,
};

use sp_arithmetic::{
	traits::{Saturating, Zero},
	Permill,
};

/// What a liquidation charges for moving contracts: the liquidation penalty (to the insurance
/// fund) and the keeper reward (to the keeper), USD units.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct LiquidationFees {
	/// Paid to the insurance fund.
	pub penalty: Balance,
	/// Paid to the keeper (zero for an automatic liquidation).
	pub keeper_reward: Balance,
}

impl<T: Config> Pallet<T> {
	/// The fees of moving contracts in a liquidation (USD units, rounded up before the caps):
	///
	/// ```text
	/// cap     = min(|value moved|, MM released, room)
	/// penalty = min(penalty rate x notional moved, cap)
	/// reward  = min(reward rate x notional moved, cap - penalty)      (keeper only)
	/// ```
	///
	/// `value moved` is the mark value of the contracts (Deribit caps its option fees at a share
	/// of the option's price: a fee on the underlying's notional can exceed what a cheap option
	/// is worth); `MM released` the maintenance margin they carried, so a liquidation never
	/// lowers the account's maintenance surplus (`equity - MM`: it was below zero and only
	/// rises); `room` the account's positive equity left (a bankrupt account pays nothing: the
	/// fund would be paying itself), not counting collateral whose price is unavailable (its
	/// upper-bound value may not be there: the keeper would be paid out of the pool).
	pub fn liquidation_fees(
		params: &MarginParams,
		keeper: bool,
		notional: Balance,
		value: SignedBalance,
		maintenance_released: Balance,
		room: Balance,
	) -> LiquidationFees {
		let cap = value.unsigned_abs().min(maintenance_released).min(room);
		let penalty = params.liquidation_penalty.mul_ceil(notional).min(cap);
		let keeper_reward = if keeper {
			params.keeper_reward.mul_ceil(notional).min(cap.saturating_sub(penalty))
		} else {
			0
		};
		LiquidationFees { penalty, keeper_reward }
	}

	/// Number of contracts of `position` to close so that `deficit = IM - equity` (USD units,
	/// > 0) is restored, given the rates charged on the notional moved (`fee_rate` = penalty +
	/// keeper reward, capped per contract as in [`Pallet::liquidation_fees`]).
	///
	/// Closing `k` contracts releases `k x IM per contract` of initial margin, moves the mark
	/// value (equity-neutral) and costs `k x fee per contract` of equity, so
	/// `k = ceil(deficit / (IM per contract - fee per contract))`, capped at the position. A
	/// position whose contracts release no more margin than they cost is closed in full.
	pub fn contracts_to_close(
		position: &PositionRisk,
		deficit: SignedBalance,
		fee_rate: Permill,
	) -> u64 {
		let quantity = position.quantity.unsigned_abs();
		if quantity == 0 {
			return 0;
		}
		let q = quantity as u128;
		let im_per_contract = position.initial_margin / q;
		let cap_per_contract = (position.mark_value.unsigned_abs().div_ceil(q))
			.min(position.maintenance_margin.div_ceil(q));
		let fee_per_contract =
			fee_rate.mul_ceil(position.notional.div_ceil(q)).min(cap_per_contract);
		let relief = im_per_contract.saturating_sub(fee_per_contract);
		if relief.is_zero() {
			return quantity;
		}
		let needed = positive_part(deficit).div_ceil(relief);
		u64::try_from(needed).unwrap_or(u64::MAX).min(quantity)
	}

	/// Liquidate `who` if it is liquidatable; `keeper` (if any, never `who`) earns the keeper
	/// reward.
	///
	/// Priced at [`Pallet::liquidation_risk`]: collateral whose index price is unavailable
	/// counts at the oracle's upper bound, with its haircut (rule 3 of `risk.rs`).
	///
	/// All or nothing: if any step fails, nothing changes. Errors: [`Error::SelfLiquidation`],
	/// [`Error::PriceUnavailable`] (a position cannot be priced, or the oracle knows no bound
	/// of a collateral price), [`Error::NotLiquidatable`], [`Error::BankruptcyAwaitsPrice`]
	/// (only a bankruptcy is left to do, and it waits for a collateral price), or the position
	/// provider's error.
	pub fn do_liquidate(
		who: &T::AccountId,
		keeper: Option<&T::AccountId>,
	) -> Result<LiquidationOutcome, DispatchError> {
		ensure!(keeper != Some(who), Error::<T>::SelfLiquidation);
		ensure!(!T::ProtocolAccounts::is_protocol_account(who), Error::<T>::NotLiquidatable);
		let snapshot = Self::liquidation_risk(who).map_err(|_| Error::<T>::PriceUnavailable)?;
		ensure!(Self::is_liquidatable(who, &snapshot), Error::<T>::NotLiquidatable);
		ensure!(!Self::bankruptcy_awaits_price(who, &snapshot), Error::<T>::BankruptcyAwaitsPrice);
		let outcome = with_storage_layer(|| Self::close_out(who, keeper, snapshot))?;
		// The fund may have paid cash for what it took over: no later call in this block may
		// find its books unbacked.
		Self::settle_fund_losses();
		Ok(outcome)
	}

	/// The liquidation of `who`, priced once in `s`: cancel its orders, move positions to the
	/// fund (largest maintenance margin first) until equity covers the initial margin, then,
	/// with no position left and negative equity, the bankruptcy, or, while a collateral
	/// price is unavailable, [`Event::BankruptcyDeferred`].
	fn close_out(
		who: &T::AccountId,
		keeper: Option<&T::AccountId>,
		mut s: RiskSnapshot,
	) -> Result<LiquidationOutcome, DispatchError> {
		let params = Params::<T>::get();
		let fund = T::BadDebt::fund_account();
		let before = (s.equity, s.requirement.maintenance);
		// Charged per series the account is in, positions or orders only: each was priced (its
		// open-order margin) and each book is written when its orders are cancelled.
		let footprint = T::Positions::position_count(who).max(s.positions.len() as u32);
		let mut outcome = LiquidationOutcome { positions_seen: footprint, ..Default::default() };

		// 1. Resting orders could only add risk.
		outcome.orders_cancelled = T::Positions::cancel_orders(who);
		s.requirement.open_orders = 0;

		// 2. Positions, largest maintenance margin first, until equity >= IM.
		let mut positions = core::mem::take(&mut s.positions);
		positions.sort_by(|a, b| b.maintenance_margin.cmp(&a.maintenance_margin));
		let fee_rate = params.liquidation_penalty.saturating_add(if keeper.is_some() {
			params.keeper_reward
		} else {
			Permill::zero()
		});
		// Fees come only out of equity the oracle confirms: not out of the upper-bound value of
		// collateral whose price is unavailable (rule 3 of `risk.rs`), which may not be there.
		let unconfirmed = to_signed(s.unpriced_value());
		let mut remaining = Vec::with_capacity(positions.len());
		for position in positions {
			let deficit = s.initial().saturating_sub(s.equity);
			let k = if deficit > 0 {
				Self::contracts_to_close(&position, deficit, fee_rate)
			} else {
				0
			};
			if k == 0 {
				remaining.push(position);
				continue;
			}
			let moved = T::Positions::transfer_position(who, &fund, &position, k)?;
			let released =
				position.maintenance_margin.saturating_sub(moved.remaining.maintenance_margin);
			Self::apply_move(&mut s, &position, &moved);
			let fees = Self::liquidation_fees(
				&params,
				keeper.is_some(),
				moved.notional,
				moved.value,
				released,
				positive_part(s.equity.saturating_sub(unconfirmed)),
			);
			Self::move_cash(who, &fund, fees.penalty)?;
			if let Some(keeper) = keeper {
				Self::move_cash(who, keeper, fees.keeper_reward)?;
			}
			let paid = fees.penalty.saturating_add(fees.keeper_reward);
			s.cash = s.cash.saturating_sub(to_signed(paid));
			s.refresh_equity();
			outcome.positions_closed = outcome.positions_closed.saturating_add(1);
			outcome.notional = outcome.notional.saturating_add(moved.notional);
			outcome.penalty = outcome.penalty.saturating_add(fees.penalty);
			outcome.keeper_reward = outcome.keeper_reward.saturating_add(fees.keeper_reward);
			Self::deposit_event(Event::PositionLiquidated {
				who: who.clone(),
				position_id: position.id,
				quantity: moved.quantity,
				value: moved.value,
				notional: moved.notional,
			});
			if moved.remaining.quantity != 0 {
				remaining.push(moved.remaining);
			}
		}
		s.positions = remaining;

		// 3. Bankruptcy: no position left and negative equity. Not while a collateral price is
		// unavailable: the deficit depends on it (rule 3 of `risk.rs`); the scan finds the
		// account again through `Debtors` once the price is back.
		if s.equity < 0 && s.positions.is_empty() {
			if s.unpriced.is_empty() {
				outcome.bad_debt = Self::settle_bad_debt(who, &fund, &mut s)?;
			} else {
				Self::deposit_event(Event::BankruptcyDeferred {
					who: who.clone(),
					equity: s.equity,
					assets: s.unpriced.clone(),
				});
			}
		}

		Self::deposit_event(Event::Liquidated {
			who: who.clone(),
			keeper: keeper.cloned(),
			equity_before: before.0,
			maintenance_margin_before: before.1,
			equity_after: s.equity,
			initial_margin_after: s.requirement.initial,
			notional: outcome.notional,
			penalty: outcome.penalty,
			keeper_reward: outcome.keeper_reward,
			positions_closed: outcome.positions_closed,
		});
		Ok(outcome)
	}

	/// Update `s` for contracts of `position` moved as `moved` says: the cash the account
	/// received, and the position's figures replaced by what is left of it. Exact: equity
	/// after = cash + collateral + the remaining positions' mark value.
	fn apply_move(s: &mut RiskSnapshot, position: &PositionRisk, moved: &TransferOutcome) {
		let r = &mut s.requirement;
		r.initial = r
			.initial
			.saturating_sub(position.initial_margin)
			.saturating_add(moved.remaining.initial_margin);
		r.maintenance = r
			.maintenance
			.saturating_sub(position.maintenance_margin)
			.saturating_add(moved.remaining.maintenance_margin);
		r.unrealized_pnl = r
			.unrealized_pnl
			.saturating_sub(position.mark_value)
			.saturating_add(moved.remaining.mark_value);
		s.cash = s.cash.saturating_add(moved.value);
		s.refresh_equity();
	}

	/// Seize `who`'s collateral into the insurance fund at the haircut value `s` priced it at,
	/// then put the remaining negative cash (the bad debt) through the loss waterfall
	/// ([`Pallet::absorb_bad_debt`]: the fund, then socialization) and clear it from `who`'s
	/// account, which ends empty. Returns the bad debt (USD units).
	pub(crate) fn settle_bad_debt(
		who: &T::AccountId,
		fund: &T::AccountId,
		s: &mut RiskSnapshot,
	) -> Result<Balance, DispatchError> {
		let (stored, mut account) = Self::load_account(who);
		let (fund_stored, mut fund_account) = Self::load_account(fund);
		let mut events = Vec::new();
		for (asset, amount, value) in core::mem::take(&mut s.collateral) {
			account.collateral.remove(&asset);
			let held = fund_account.collateral.get(&asset).copied().unwrap_or(0);
			fund_account
				.collateral
				.try_insert(asset, held.checked_add(amount).ok_or(Error::<T>::Overflow)?)
				.map_err(|_| Error::<T>::TooManyCollateralAssets)?;
			let value_signed = checked_signed(value).ok_or(Error::<T>::Overflow)?;
			account.cash = account.cash.checked_add(value_signed).ok_or(Error::<T>::Overflow)?;
			fund_account.cash =
				fund_account.cash.checked_sub(value_signed).ok_or(Error::<T>::Overflow)?;
			events.push(Event::CollateralSeized { who: who.clone(), asset, amount, value });
		}
		let debt = positive_part(account.cash.saturating_neg());
		// The debt leaves the account: the fund and the other accounts take it over below.
		account.cash = account.cash.saturating_add(to_signed(debt));
		s.cash = account.cash;
		s.collateral_value = 0;
		s.refresh_equity();
		Self::write_account(who, &stored, account);
		Self::write_account(fund, &fund_stored, fund_account);
		for event in events {
			Self::deposit_event(event);
		}
		if debt.is_zero() {
			return Ok(0);
		}
		let (to_fund, paid, socialized) = Self::absorb_bad_debt(debt);
		Self::deposit_event(Event::BadDebt {
			who: who.clone(),
			amount: debt,
			to_fund,
			paid,
			socialized,
		});
		Ok(debt)
	}

	/// Checks of an automatic batch in a block: its shape ([`Pallet::check_batch_shape`]), at
	/// most `witness` positions in total (the position provider's counts, no pricing), and at
	/// least one account liquidatable now (accounts are priced in order until one is: the
	/// offchain worker puts the worst first, so usually one).
	///
	/// One liquidatable account is enough: a batch computed after block N may meet prices moved
	/// by block N+1's feeds, and the accounts still liquidatable must not wait for the next
	/// batch because another one recovered (`liquidate_batch` skips those).
	pub fn check_batch(accounts: &[T::AccountId], witness: u32) -> DispatchResult {
		Self::check_batch_shape(accounts)?;
		let positions = accounts
			.iter()
			.fold(0u32, |n, who| n.saturating_add(T::Positions::position_count(who)));
		ensure!(positions <= witness, Error::<T>::WitnessTooLow);
		ensure!(
			accounts.iter().any(|who| Self::liquidatable_risk(who).is_some()),
			Error::<T>::NotLiquidatable
		);
		Ok(())
	}

	/// Non-empty, within the per-block cap, no account twice.
	pub(crate) fn check_batch_shape(accounts: &[T::AccountId]) -> DispatchResult {
		let cap = Params::<T>::get().max_liquidations_per_block as usize;
		ensure!(!accounts.is_empty() && accounts.len() <= cap, Error::<T>::InvalidBatch);
		let mut sorted: Vec<&T::AccountId> = accounts.iter().collect();
		sorted.sort();
		sorted.dedup();
		ensure!(sorted.len() == accounts.len(), Error::<T>::InvalidBatch);
		Ok(())
	}

	/// Liquidate the accounts of an automatic batch; accounts no longer liquidatable are
	/// skipped, as are accounts whose positions would exceed `witness`. Returns the positions
	/// processed (for the weight).
	pub(crate) fn do_liquidate_batch(
		accounts: &[T::AccountId],
		witness: u32,
	) -> Result<u32, DispatchError> {
		Self::check_batch_shape(accounts)?;
		let mut positions: u32 = 0;
		for who in accounts {
			let count = T::Positions::position_count(who);
			if positions.saturating_add(count) > witness {
				Self::deposit_event(Event::LiquidationSkipped { who: who.clone() });
				continue;
			}
			positions = positions.saturating_add(count);
			if let Err(e) = Self::do_liquidate(who, None) {
				log::debug!(target: "runtime::margin", "batch: skipped {who:?}: {e:?}");
				Self::deposit_event(Event::LiquidationSkipped { who: who.clone() });
			}
		}
		Ok(positions)
	}

	/// Liquidatable accounts, largest maintenance deficit (`MM - equity`, USD units) first, at
	/// most `limit`, and their total number of positions (the batch's witness). The deficit,
	/// not the health ratio, orders them: the loss the pool is exposed to grows with it, and a
	/// ratio would put dust accounts (near-zero maintenance margin, so a health far below any
	/// real account's) ahead of every large one, letting cheap accounts fill every batch of a
	/// crash. Scans the position provider's holders and the [`Debtors`] (an account with
	/// neither cannot be liquidatable), pricing each once; protocol accounts are never priced.
	/// Accounts are taken in that order only while the
	/// batch's weight (`liquidate_batch(n, witness)`) fits one operational extrinsic: a batch
	/// over the limit would never be included, so the rest wait, in order, for the next block.
	/// For the offchain worker and the runtime API, not for on-chain execution.
	pub fn liquidation_candidates(limit: u32) -> (Vec<T::AccountId>, u32) {
		let mut scan = T::Positions::position_holders();
		scan.extend(Debtors::<T>::iter_keys());
		scan.sort();
		scan.dedup();
		let mut found: Vec<(SignedBalance, u32, T::AccountId)> = scan
			.into_iter()
			.filter_map(|who| {
				let snapshot = Self::liquidatable_risk(&who)?;
				let count = T::Positions::position_count(&who);
				Some((snapshot.margin().maintenance_surplus(), count, who))
			})
			.collect();
		// Most negative surplus (largest deficit) first; ties in account order.
		found.sort_by(|a, b| a.0.cmp(&b.0));
		let max = Self::max_batch_weight();
		let mut accounts = Vec::new();
		let mut witness: u32 = 0;
		for (_, count, who) in found {
			if accounts.len() >= limit as usize {
				break;
			}
			let with = witness.saturating_add(count);
			let n = (accounts.len() as u32).saturating_add(1);
			if !Self::liquidate_batch_weight(n, with).all_lte(max) {
				break;
			}
			accounts.push(who);
			witness = with;
		}
		(accounts, witness)
	}

	/// Weight of an automatic batch of `accounts` holding `positions` positions in total. The
	/// `liquidate_batch(n, p)` benchmark gives each account one position (plus `p` more on the
	/// first, a range too small for its fit to find a compute cost per position), so every
	/// position beyond one per account is also charged as the keeper's `liquidate` charges it
	/// (its slope per position: pricing, closing, events; storage counted in both, on the safe
	/// side).
	pub fn liquidate_batch_weight(accounts: u32, positions: u32) -> Weight {
		let extra = positions.saturating_sub(accounts);
		T::WeightInfo::liquidate_batch(accounts, positions).saturating_add(
			T::WeightInfo::liquidate(extra).saturating_sub(T::WeightInfo::liquidate(0)),
		)
	}

	/// Most weight one automatic batch may declare: the operational class's per-extrinsic
	/// maximum (the whole block if the class has none).
	pub fn max_batch_weight() -> Weight {
		let weights = <T as frame_system::Config>::BlockWeights::get();
		weights.get(DispatchClass::Operational).max_extrinsic.unwrap_or(weights.max_block)
	}
}
