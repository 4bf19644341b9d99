//! Parameters: hard bounds, maximum steps, and `set_params`.

use crate::{pallet::*, types::*};
use frame_support::{ensure, pallet_prelude::DispatchResult};
use solvent_primitives::{
	fraction_distance, fraction_within_step as permill_step, in_bounds, within_step,
};

impl<T: Config> Pallet<T> {
	/// Hard bounds and consistency of `p` (no step check). Used at genesis and by
	/// [`Pallet::set_params`].
	///
	/// Errors: [`Error::MakerFeeOutOfBounds`], [`Error::TakerFeeOutOfBounds`],
	/// [`Error::ImBaseOutOfBounds`], [`Error::ImMinOutOfBounds`], [`Error::MmRateOutOfBounds`],
	/// [`Error::MarginFractionsInconsistent`], [`Error::RateOutOfBounds`],
	/// [`Error::SettlementWindowOutOfBounds`], [`Error::ExpiryIntervalOutOfBounds`],
	/// [`Error::ExpiryOffsetOutOfBounds`], [`Error::MinTimeToExpiryOutOfBounds`],
	/// [`Error::PriceBandRateOutOfBounds`], [`Error::PriceBandFloorOutOfBounds`],
	/// [`Error::TickSizeOutOfBounds`], [`Error::MinOrderQuantityOutOfBounds`],
	/// [`Error::MinTwapCoverageOutOfBounds`], [`Error::SettlementLookbackOutOfBounds`],
	/// [`Error::SettlementPriceBandOutOfBounds`], [`Error::UnwindSpreadOutOfBounds`].
	pub fn check_bounds(p: &OptionsParams) -> Result<(), Error<T>> {
		ensure!(p.maker_fee_rate <= MAX_FEE_RATE, Error::<T>::MakerFeeOutOfBounds);
		ensure!(p.taker_fee_rate <= MAX_FEE_RATE, Error::<T>::TakerFeeOutOfBounds);
		ensure!(in_bounds(p.im_base, IM_BASE_BOUNDS), Error::<T>::ImBaseOutOfBounds);
		ensure!(in_bounds(p.im_min, IM_MIN_BOUNDS), Error::<T>::ImMinOutOfBounds);
		ensure!(in_bounds(p.mm_rate, MM_RATE_BOUNDS), Error::<T>::MmRateOutOfBounds);
		ensure!(
			p.mm_rate <= p.im_min && p.im_min <= p.im_base,
			Error::<T>::MarginFractionsInconsistent
		);
		ensure!(in_bounds(p.rate, RATE_BOUNDS), Error::<T>::RateOutOfBounds);
		ensure!(
			in_bounds(p.settlement_window, SETTLEMENT_WINDOW_BOUNDS),
			Error::<T>::SettlementWindowOutOfBounds
		);
		ensure!(
			in_bounds(p.expiry_interval, EXPIRY_INTERVAL_BOUNDS),
			Error::<T>::ExpiryIntervalOutOfBounds
		);
		ensure!(p.expiry_offset < p.expiry_interval, Error::<T>::ExpiryOffsetOutOfBounds);
		ensure!(
			in_bounds(p.min_time_to_expiry, MIN_TIME_TO_EXPIRY_BOUNDS),
			Error::<T>::MinTimeToExpiryOutOfBounds
		);
		ensure!(
			in_bounds(p.price_band_rate, PRICE_BAND_RATE_BOUNDS),
			Error::<T>::PriceBandRateOutOfBounds
		);
		ensure!(
			in_bounds(p.price_band_floor, PRICE_BAND_FLOOR_BOUNDS),
			Error::<T>::PriceBandFloorOutOfBounds
		);
		ensure!(in_bounds(p.tick_size, TICK_SIZE_BOUNDS), Error::<T>::TickSizeOutOfBounds);
		ensure!(
			in_bounds(p.min_order_quantity, MIN_ORDER_QUANTITY_BOUNDS),
			Error::<T>::MinOrderQuantityOutOfBounds
		);
		ensure!(
			in_bounds(p.min_twap_coverage, MIN_TWAP_COVERAGE_BOUNDS),
			Error::<T>::MinTwapCoverageOutOfBounds
		);
		ensure!(
			in_bounds(p.settlement_lookback, SETTLEMENT_LOOKBACK_BOUNDS),
			Error::<T>::SettlementLookbackOutOfBounds
		);
		ensure!(
			in_bounds(p.settlement_price_band, SETTLEMENT_PRICE_BAND_BOUNDS),
			Error::<T>::SettlementPriceBandOutOfBounds
		);
		ensure!(
			in_bounds(p.unwind_spread, UNWIND_SPREAD_BOUNDS),
			Error::<T>::UnwindSpreadOutOfBounds
		);
		Ok(())
	}

	/// Maximum steps from `old` to `new`.
	///
	/// Errors: the `*StepTooLarge` error of the first field that moves too far.
	pub fn check_steps(old: &OptionsParams, new: &OptionsParams) -> Result<(), Error<T>> {
		ensure!(
			permill_step(old.maker_fee_rate, new.maker_fee_rate, MAX_PARAM_STEP),
			Error::<T>::MakerFeeStepTooLarge
		);
		ensure!(
			permill_step(old.taker_fee_rate, new.taker_fee_rate, MAX_PARAM_STEP),
			Error::<T>::TakerFeeStepTooLarge
		);
		ensure!(
			permill_step(old.im_base, new.im_base, MAX_MARGIN_STEP),
			Error::<T>::ImBaseStepTooLarge
		);
		ensure!(
			permill_step(old.im_min, new.im_min, MAX_MARGIN_STEP),
			Error::<T>::ImMinStepTooLarge
		);
		ensure!(
			permill_step(old.mm_rate, new.mm_rate, MAX_MARGIN_STEP),
			Error::<T>::MmRateStepTooLarge
		);
		ensure!(
			old.rate.into_inner().abs_diff(new.rate.into_inner())
				<= MAX_RATE_STEP.into_inner().unsigned_abs(),
			Error::<T>::RateStepTooLarge
		);
		ensure!(
			within_step(old.settlement_window.into(), new.settlement_window.into(), MAX_PARAM_STEP),
			Error::<T>::SettlementWindowStepTooLarge
		);
		ensure!(
			within_step(old.expiry_interval.into(), new.expiry_interval.into(), MAX_PARAM_STEP),
			Error::<T>::ExpiryIntervalStepTooLarge
		);
		ensure!(
			within_step(old.expiry_offset.into(), new.expiry_offset.into(), MAX_PARAM_STEP),
			Error::<T>::ExpiryOffsetStepTooLarge
		);
		ensure!(
			within_step(
				old.min_time_to_expiry.into(),
				new.min_time_to_expiry.into(),
				MAX_PARAM_STEP
			),
			Error::<T>::MinTimeToExpiryStepTooLarge
		);
		ensure!(
			permill_step(old.price_band_rate, new.price_band_rate, MAX_PARAM_STEP),
			Error::<T>::PriceBandRateStepTooLarge
		);
		ensure!(
			permill_step(old.price_band_floor, new.price_band_floor, MAX_PARAM_STEP),
			Error::<T>::PriceBandFloorStepTooLarge
		);
		ensure!(
			within_step(old.tick_size, new.tick_size, MAX_PARAM_STEP),
			Error::<T>::TickSizeStepTooLarge
		);
		ensure!(
			within_step(
				old.min_order_quantity.into(),
				new.min_order_quantity.into(),
				MAX_PARAM_STEP
			),
			Error::<T>::MinOrderQuantityStepTooLarge
		);
		ensure!(
			permill_step(old.min_twap_coverage, new.min_twap_coverage, MAX_PARAM_STEP),
			Error::<T>::MinTwapCoverageStepTooLarge
		);
		ensure!(
			within_step(
				old.settlement_lookback.into(),
				new.settlement_lookback.into(),
				MAX_PARAM_STEP
			),
			Error::<T>::SettlementLookbackStepTooLarge
		);
		ensure!(
			permill_step(old.settlement_price_band, new.settlement_price_band, MAX_PARAM_STEP),
			Error::<T>::SettlementPriceBandStepTooLarge
		);
		ensure!(
			fraction_distance(old.unwind_spread, new.unwind_spread) <= MAX_UNWIND_SPREAD_STEP,
			Error::<T>::UnwindSpreadStepTooLarge
		);
		Ok(())
	}

	/// Check bounds and steps, store, emit [`Event::ParamsSet`].
	pub(crate) fn do_set_params(new: OptionsParams) -> DispatchResult {
		Self::check_bounds(&new)?;
		let old = Params::<T>::get();
		Self::check_steps(&old, &new)?;
		Params::<T>::put(new);
		Self::deposit_event(Event::ParamsSet { old, new });
		Ok(())
	}
}
