//! Coverage drives margin: the initial-margin add-on in force ([`ImAddOn`]), set once per block
//! from the insurance fund's coverage ratio by the curve [`im_addon_curve`], and the initial
//! margin a risk-increasing action needs with it ([`Pallet::initial_margin_required`]).
//!
//! ## Why it never blocks a risk-reducing trade
//! The add-on only changes in `on_initialize`, so every check within a block uses one value.
//! It raises the bar of "fully margined" (`equity >= (IM + open-order margin) x (1 +
//! add-on)`), and nothing else: the trade margin rule's second branch (a trade that only
//! reduced risk: IM + open-order margin does not rise, maintenance surplus and equity do not
//! worsen below zero, [`Pallet::check_trade_margin`]) compares the figures without the add-on,
//! and the maintenance margin (liquidation) never carries it. A trade that the rule accepts
//! without the add-on and that does not raise IM + open-order margin is accepted with it: if
//! it passed the first branch, `equity >= IM + orders >= MM` after it, so it passes the
//! second (maintenance surplus and equity non-negative); if it passed the second, that
//! branch is unchanged. (The add-on is applied to the sum `IM + orders` once, rounded up, so
//! no rounding of separate components can make a smaller requirement look larger.)
//!
//! ## Liquidation
//! A liquidation restores `equity >= IM` without the add-on: the positions it closes go to the
//! insurance fund, and a thin fund should not take over more of them because it is thin.

use crate::{pallet::*, types::*, WeightInfo};
use frame_support::traits::Get;
use solvent_primitives::{BadDebtCover, Balance, MarginRequirement, PositionProvider};
use sp_arithmetic::{FixedU128, Permill};
use sp_runtime::{traits::Saturating, DispatchError, Weight};

impl<T: Config> Pallet<T> {
	/// What a risk-increasing action needs in equity (USD units): `(IM + open-order margin) x
	/// (1 + add-on in force)`, the add-on's part rounded up.
	pub fn initial_margin_required(requirement: &MarginRequirement) -> Balance {
		let base = requirement.initial_with_orders();
		base.saturating_add(ImAddOn::<T>::get().mul_ceil(base))
	}

	/// The insurance fund's coverage ratio now (`BadDebtCover::coverage_ratio`): `Ok(None)`
	/// without open interest.
	pub fn coverage_ratio() -> Result<Option<FixedU128>, DispatchError> {
		T::BadDebt::coverage_ratio()
	}

	/// `on_initialize`: move the add-on in force toward the curve's value at the coverage
	/// ratio now ([`im_addon_curve`] with [`MarginParams`]): down to it at once, up by at most
	/// [`MAX_IM_ADDON_RISE_PER_BLOCK`]. While a price the coverage ratio needs is unavailable
	/// the add-on in force is kept. Emits [`Event::ImAddOnChanged`] when it changes.
	///
	/// Returns the coverage ratio and the add-on now in force, or the error that kept it.
	pub fn update_im_addon() -> Result<(Option<FixedU128>, Permill), DispatchError> {
		let coverage = Self::coverage_ratio().inspect_err(|e| {
			log::debug!(target: "runtime::margin", "coverage ratio unavailable: {e:?}");
		})?;
		let curve = im_addon_curve(coverage, &Params::<T>::get());
		let old = ImAddOn::<T>::get();
		let new = if curve <= old {
			curve
		} else {
			curve.min(old.saturating_add(MAX_IM_ADDON_RISE_PER_BLOCK))
		};
		if new != old {
			ImAddOn::<T>::put(new);
			Self::deposit_event(Event::ImAddOnChanged {
				coverage_ratio: coverage,
				curve,
				im_addon: new,
			});
		}
		Ok((coverage, new))
	}

	/// Weight of [`Pallet::update_im_addon`]: the fund's positions and every series with open
	/// interest are priced; the series are counted by the position provider
	/// (`PositionProvider::open_interest_series`), at most [`Config::MaxActiveSeries`] (charged
	/// when the provider does not tell).
	pub(crate) fn update_im_addon_weight() -> Weight {
		let fund_positions = T::Positions::position_count(&T::BadDebt::fund_account());
		let series = T::Positions::open_interest_series().min(T::MaxActiveSeries::get());
		T::WeightInfo::update_im_addon(fund_positions.max(series))
	}
}
