//! Liquidation: partial close-out to the insurance fund at mark, liquidation penalty, keeper
//! reward, bankruptcy (collateral seizure, bad debt, insurance cover, socialization queue), and
//! the automatic batch of the offchain workers.

use crate::{pallet::*, types::*, weights::WeightInfo};
use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*, storage::with_storage_layer};
use solvent_primitives::{BadDebtCover, Balance, PositionProvider, PositionRisk, SignedBalance};
use sp_arithmetic::{
	traits::{Bounded, Saturating, Zero},
	FixedI128, Permill,
};

impl<T: Config> Pallet<T> {
	/// Number of contracts of `position` to close so that `deficit = IM - equity` (USD units,
	/// > 0) is restored, given the rate charged on the notional moved (`fee_rate` = penalty +
	/// keeper reward).
	///
	/// Closing `k` contracts releases `k x IM per contract` of initial margin, moves the mark
	/// value (equity-neutral) and costs `k x fee_rate x notional per contract` of equity, so
	/// `k = ceil(deficit / (IM per contract - fee per contract))`, capped at the position. A
	/// position whose contracts release no more margin than they cost (a long whose mark value,
	/// its initial margin, is below the fee on its notional) is closed in full.
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
		let fee_per_contract = fee_rate.mul_ceil(position.notional.div_ceil(q));
		let relief = im_per_contract.saturating_sub(fee_per_contract);
		if relief.is_zero() {
			return quantity;
		}
		let needed = positive_part(deficit).div_ceil(relief);
		u64::try_from(needed).unwrap_or(u64::MAX).min(quantity)
	}

	/// Liquidate `who` if it is liquidatable; `keeper` (if any) earns the keeper reward.
	///
	/// All or nothing: if any step fails, nothing changes. Errors:
	/// [`Error::PriceUnavailable`], [`Error::NotLiquidatable`], or the position provider's
	/// error.
	pub fn do_liquidate(
		who: &T::AccountId,
		keeper: Option<&T::AccountId>,
	) -> Result<LiquidationOutcome, DispatchError> {
		let before = Self::risk(who).map_err(|_| Error::<T>::PriceUnavailable)?;
		ensure!(Self::is_liquidatable(who, &before), Error::<T>::NotLiquidatable);
		with_storage_layer(|| Self::close_out(who, keeper, &before))
	}

	fn close_out(
		who: &T::AccountId,
		keeper: Option<&T::AccountId>,
		before: &RiskSnapshot,
	) -> Result<LiquidationOutcome, DispatchError> {
		let params = Params::<T>::get();
		let fund = T::BadDebt::fund_account();
		let mut outcome = LiquidationOutcome::default();

		// 1. Resting orders could only add risk.
		T::Positions::cancel_orders(who)?;

		// 2. Positions, largest maintenance margin first, until equity >= IM.
		let mut positions =
			T::Positions::positions(who).map_err(|_| Error::<T>::PriceUnavailable)?;
		outcome.positions_seen = positions.len() as u32;
		positions.sort_by(|a, b| b.maintenance_margin.cmp(&a.maintenance_margin));
		let current = Self::risk(who).map_err(|_| Error::<T>::PriceUnavailable)?;
		let mut equity = current.equity;
		let mut initial = current.initial();
		let fee_rate = params.liquidation_penalty.saturating_add(if keeper.is_some() {
			params.keeper_reward
		} else {
			Permill::zero()
		});
		for position in positions.iter() {
			let deficit = initial.saturating_sub(equity);
			if deficit <= 0 {
				break;
			}
			let k = Self::contracts_to_close(position, deficit, fee_rate);
			if k == 0 {
				continue;
			}
			let moved = T::Positions::transfer_position(who, &fund, position.id, k)?;
			// Penalty and reward come out of what is left of the account's equity, never out of
			// the insurance fund's cover.
			let mut room = positive_part(equity);
			let penalty = params.liquidation_penalty.mul_ceil(moved.notional).min(room);
			room = room.saturating_sub(penalty);
			let reward = match keeper {
				Some(_) => params.keeper_reward.mul_ceil(moved.notional).min(room),
				None => 0,
			};
			Self::move_cash(who, &fund, penalty)?;
			if let Some(keeper) = keeper {
				Self::move_cash(who, keeper, reward)?;
			}
			equity = equity.saturating_sub(to_signed(penalty.saturating_add(reward)));
			let quantity = position.quantity.unsigned_abs().max(1) as u128;
			let released =
				position.initial_margin.saturating_mul(moved.quantity as u128) / quantity;
			initial = initial.saturating_sub(to_signed(released));
			outcome.positions_closed = outcome.positions_closed.saturating_add(1);
			outcome.notional = outcome.notional.saturating_add(moved.notional);
			outcome.penalty = outcome.penalty.saturating_add(penalty);
			outcome.keeper_reward = outcome.keeper_reward.saturating_add(reward);
			Self::deposit_event(Event::PositionLiquidated {
				who: who.clone(),
				position_id: position.id,
				quantity: moved.quantity,
				value: moved.value,
				notional: moved.notional,
			});
		}

		// 3. Bankruptcy: no position left and negative equity.
		let mut after = Self::risk(who).map_err(|_| Error::<T>::PriceUnavailable)?;
		if after.equity < 0 && !T::Positions::has_positions(who) {
			outcome.bad_debt = Self::settle_bad_debt(who, &fund)?;
			after = Self::risk(who).map_err(|_| Error::<T>::PriceUnavailable)?;
		}

		Self::deposit_event(Event::Liquidated {
			who: who.clone(),
			keeper: keeper.cloned(),
			equity_before: before.equity,
			maintenance_margin_before: before.requirement.maintenance,
			equity_after: after.equity,
			initial_margin_after: after.requirement.initial,
			notional: outcome.notional,
			penalty: outcome.penalty,
			keeper_reward: outcome.keeper_reward,
			positions_closed: outcome.positions_closed,
		});
		Ok(outcome)
	}

	/// Seize `who`'s collateral into the insurance fund at haircut value, then cover the
	/// remaining negative cash (the bad debt) from the fund within its per-block cap and queue
	/// the rest for socialization. Returns the bad debt (USD units).
	pub(crate) fn settle_bad_debt(
		who: &T::AccountId,
		fund: &T::AccountId,
	) -> Result<Balance, DispatchError> {
		let mut account = Accounts::<T>::get(who).unwrap_or_default();
		let mut fund_account = Accounts::<T>::get(fund).unwrap_or_default();
		let seized = core::mem::take(&mut account.collateral);
		let mut events = Vec::new();
		for (asset, amount) in seized.into_iter() {
			let value =
				Self::collateral_value(asset, amount).map_err(|_| Error::<T>::PriceUnavailable)?;
			let held = fund_account.collateral.get(&asset).copied().unwrap_or(0);
			fund_account
				.collateral
				.try_insert(asset, held.checked_add(amount).ok_or(Error::<T>::Overflow)?)
				.map_err(|_| Error::<T>::TooManyCollateralAssets)?;
			account.cash =
				account.cash.checked_add(to_signed(value)).ok_or(Error::<T>::Overflow)?;
			fund_account.cash =
				fund_account.cash.checked_sub(to_signed(value)).ok_or(Error::<T>::Overflow)?;
			events.push(Event::CollateralSeized { who: who.clone(), asset, amount, value });
		}
		Self::put_account(who, account);
		Self::put_account(fund, fund_account);
		Self::reduce_pending_loss(who);
		for event in events {
			Self::deposit_event(event);
		}

		let pending = PendingLosses::<T>::get(who).unwrap_or(0);
		let debt = positive_part(Self::cash_of(who).saturating_neg()).saturating_sub(pending);
		if debt.is_zero() {
			return Ok(0);
		}
		let covered = T::BadDebt::cover(who, debt).min(debt);
		let uncovered = debt.saturating_sub(covered);
		if !uncovered.is_zero() {
			let queued = PendingLosses::<T>::get(who).unwrap_or(0).saturating_add(uncovered);
			Self::set_pending_loss(who, queued);
			Self::deposit_event(Event::LossSocializationPending {
				who: who.clone(),
				amount: uncovered,
			});
		}
		Self::deposit_event(Event::BadDebt { who: who.clone(), amount: debt, covered, uncovered });
		Ok(debt)
	}

	/// Cash of `who` (USD units).
	pub(crate) fn cash_of(who: &T::AccountId) -> SignedBalance {
		Accounts::<T>::get(who).map(|a| a.cash).unwrap_or(0)
	}

	/// Checks of an automatic batch: non-empty, within the per-block cap, no account twice, at
	/// least one account liquidatable now, and at most `witness` positions in total.
	///
	/// One liquidatable account is enough: a batch computed after block N may meet prices moved
	/// by block N+1's feeds, and the accounts still liquidatable must not wait for the next
	/// batch because another one recovered (`liquidate_batch` skips those).
	pub fn check_batch(accounts: &[T::AccountId], witness: u32) -> DispatchResult {
		Self::check_batch_shape(accounts)?;
		let mut positions: u32 = 0;
		let mut liquidatable = false;
		for who in accounts {
			liquidatable = liquidatable || Self::liquidatable_risk(who).is_some();
			positions = positions.saturating_add(Self::position_count(who));
		}
		ensure!(liquidatable, Error::<T>::NotLiquidatable);
		ensure!(positions <= witness, Error::<T>::WitnessTooLow);
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

	/// Number of positions of `who` (0 if its prices are unavailable).
	fn position_count(who: &T::AccountId) -> u32 {
		T::Positions::positions(who).map(|p| p.len() as u32).unwrap_or(0)
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
			let count = Self::position_count(who);
			if positions.saturating_add(count) > witness {
				Self::deposit_event(Event::LiquidationSkipped { who: who.clone() });
				continue;
			}
			match Self::do_liquidate(who, None) {
				Ok(outcome) => positions = positions.saturating_add(outcome.positions_seen),
				Err(e) => {
					log::debug!(target: "runtime::margin", "batch: skipped {who:?}: {e:?}");
					Self::deposit_event(Event::LiquidationSkipped { who: who.clone() });
				}
			}
		}
		Ok(positions)
	}

	/// Liquidatable accounts, worst health first, at most `limit`, and their total number of
	/// positions (the batch's witness). Accounts are taken in health order only while the
	/// batch's weight (`liquidate_batch(n, witness)`) fits one operational extrinsic: a batch
	/// over the limit would never be included, so the rest wait, in order, for the next block.
	/// Scans every margin account: for the offchain worker and the runtime API, not for
	/// on-chain execution.
	pub fn liquidation_candidates(limit: u32) -> (Vec<T::AccountId>, u32) {
		let mut found: Vec<(FixedI128, T::AccountId)> = Accounts::<T>::iter_keys()
			.filter_map(|who| {
				let snapshot = Self::liquidatable_risk(&who)?;
				Some((snapshot.health().unwrap_or(FixedI128::min_value()), who))
			})
			.collect();
		found.sort_by(|a, b| a.0.cmp(&b.0));
		let max = Self::max_batch_weight();
		let mut accounts = Vec::new();
		let mut witness: u32 = 0;
		for (_, who) in found {
			if accounts.len() >= limit as usize {
				break;
			}
			let with = witness.saturating_add(Self::position_count(&who));
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
