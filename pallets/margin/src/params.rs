//! Risk parameters: liquidation parameters and collateral haircuts, within hard bounds and
//! maximum steps.

use crate::{pallet::*, types::*};
use frame_support::{ensure, pallet_prelude::*, traits::fungibles::Inspect};
use solvent_primitives::{
	fraction_distance as abs_step, within_step, AssetId, OracleKey, PriceProvider,
};
use sp_runtime::DispatchResult;

impl<T: Config> Pallet<T> {
	/// Validate liquidation parameters against their hard bounds: penalty at most
	/// [`MAX_LIQUIDATION_PENALTY`], keeper reward at most [`MAX_KEEPER_REWARD`], batch size in
	/// `1..=MaxLiquidationsPerBlock`, minimum deposit at most [`MAX_MIN_DEPOSIT`], coverage
	/// target at most [`MAX_COVERAGE_TARGET`], maximum initial-margin add-on at most
	/// [`MAX_IM_ADDON`].
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
		ensure!(params.min_deposit <= MAX_MIN_DEPOSIT, Error::<T>::ParamOutOfBounds);
		ensure!(params.coverage_target <= MAX_COVERAGE_TARGET, Error::<T>::ParamOutOfBounds);
		ensure!(params.max_im_addon <= MAX_IM_ADDON, Error::<T>::ParamOutOfBounds);
		Ok(())
	}

	/// Bounds ([`Pallet::check_params`]) and steps: the penalty and the keeper reward move by
	/// at most [`MAX_RATE_STEP`], the minimum deposit by at most [`MAX_MIN_DEPOSIT_STEP`] of
	/// its value, the coverage target by at most [`MAX_COVERAGE_TARGET_STEP`] and the maximum
	/// initial-margin add-on by at most [`MAX_IM_ADDON_STEP`]. A new curve takes effect at the
	/// next block's `on_initialize` (the add-on in force then rises by at most
	/// [`MAX_IM_ADDON_RISE_PER_BLOCK`] per block, and falls at once).
	pub(crate) fn do_set_params(params: MarginParams) -> DispatchResult {
		Self::check_params(&params)?;
		let old = Params::<T>::get();
		ensure!(
			abs_step(old.liquidation_penalty, params.liquidation_penalty) <= MAX_RATE_STEP
				&& abs_step(old.keeper_reward, params.keeper_reward) <= MAX_RATE_STEP
				&& within_step(old.min_deposit, params.min_deposit, MAX_MIN_DEPOSIT_STEP)
				&& abs_step(old.coverage_target, params.coverage_target)
					<= MAX_COVERAGE_TARGET_STEP
				&& abs_step(old.max_im_addon, params.max_im_addon) <= MAX_IM_ADDON_STEP,
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
}
