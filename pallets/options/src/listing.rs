//! Listing of series: one by one or as a grid. Verify everything first, then write.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult},
	traits::{Get, Time},
	BoundedVec,
};
use solvent_primitives::{AssetId, Moment, OracleKey, Price, PriceProvider, SeriesId};
use sp_arithmetic::{traits::Zero, FixedU128};

impl<T: Config> Pallet<T> {
	/// Current time, ms since the Unix epoch.
	pub fn now() -> Moment {
		T::Time::now()
	}

	/// The listing rules of one series' terms, except uniqueness and capacity.
	///
	/// Errors: [`Error::UnsupportedUnderlying`], [`Error::ZeroStrike`],
	/// [`Error::StrikeTooHigh`], [`Error::ZeroContractSize`], [`Error::ExpiryOffSchedule`],
	/// [`Error::ExpiryTooSoon`], [`Error::ExpiryTooFar`].
	pub fn check_terms(terms: &SeriesTerms, now: Moment, p: &OptionsParams) -> DispatchResult {
		ensure!(
			T::Prices::supports(&OracleKey::Spot(terms.underlying))
				&& T::Prices::supports(&OracleKey::ImpliedVol(terms.underlying)),
			Error::<T>::UnsupportedUnderlying
		);
		ensure!(!terms.strike.is_zero(), Error::<T>::ZeroStrike);
		ensure!(terms.strike <= MAX_STRIKE, Error::<T>::StrikeTooHigh);
		ensure!(!terms.contract_size.is_zero(), Error::<T>::ZeroContractSize);
		ensure!(
			terms.expiry.checked_rem(p.expiry_interval) == Some(p.expiry_offset),
			Error::<T>::ExpiryOffSchedule
		);
		ensure!(
			terms.expiry >= now.saturating_add(p.min_time_to_expiry),
			Error::<T>::ExpiryTooSoon
		);
		ensure!(terms.expiry <= now.saturating_add(MAX_TIME_TO_EXPIRY), Error::<T>::ExpiryTooFar);
		Ok(())
	}

	/// List one series (rules in [`Pallet::list_series`]). Returns its id.
	pub(crate) fn do_list_series(terms: SeriesTerms) -> Result<SeriesId, DispatchError> {
		let now = Self::now();
		let params = Params::<T>::get();
		Self::check_terms(&terms, now, &params)?;
		ensure!(!SeriesIndex::<T>::contains_key(terms), Error::<T>::SeriesExists);
		ensure!(
			ActiveSeries::<T>::decode_len().unwrap_or(0) < T::MaxActiveSeries::get() as usize,
			Error::<T>::TooManySeries
		);
		let mut active = ActiveSeries::<T>::get();
		let id = Self::insert_series(&mut active, terms)?;
		ActiveSeries::<T>::put(active);
		Ok(id)
	}

	/// List a grid (rules in [`Pallet::list_grid`]); all or nothing.
	pub(crate) fn do_list_grid(
		underlying: AssetId,
		kinds: KindSet,
		strikes: &[Price],
		expiries: &[Moment],
		contract_size: FixedU128,
	) -> DispatchResult {
		ensure!(!strikes.is_empty() && !expiries.is_empty(), Error::<T>::EmptyGrid);
		// A repeated strike or expiry would list the same terms twice.
		let mut sorted_strikes = strikes.to_vec();
		sorted_strikes.sort();
		sorted_strikes.dedup();
		let mut sorted_expiries = expiries.to_vec();
		sorted_expiries.sort();
		sorted_expiries.dedup();
		ensure!(
			sorted_strikes.len() == strikes.len() && sorted_expiries.len() == expiries.len(),
			Error::<T>::SeriesExists
		);

		let now = Self::now();
		let params = Params::<T>::get();
		let mut grid = Vec::with_capacity(
			kinds.kinds().len().saturating_mul(strikes.len()).saturating_mul(expiries.len()),
		);
		for kind in kinds.kinds() {
			for expiry in expiries {
				for strike in strikes {
					let terms = SeriesTerms {
						underlying,
						kind: *kind,
						strike: *strike,
						expiry: *expiry,
						contract_size,
					};
					Self::check_terms(&terms, now, &params)?;
					ensure!(!SeriesIndex::<T>::contains_key(terms), Error::<T>::SeriesExists);
					grid.push(terms);
				}
			}
		}
		let active = ActiveSeries::<T>::decode_len().unwrap_or(0);
		ensure!(
			active.saturating_add(grid.len()) <= T::MaxActiveSeries::get() as usize,
			Error::<T>::TooManySeries
		);
		let mut active_list = ActiveSeries::<T>::get();
		for terms in grid {
			Self::insert_series(&mut active_list, terms)?;
		}
		ActiveSeries::<T>::put(active_list);
		Ok(())
	}

	/// Write a verified series: id, record, index; insert it into `active` (sorted by expiry
	/// then id), which the caller writes back.
	fn insert_series(
		active: &mut BoundedVec<(Moment, SeriesId), T::MaxActiveSeries>,
		terms: SeriesTerms,
	) -> Result<SeriesId, DispatchError> {
		let id = NextSeriesId::<T>::get();
		let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		// Ids grow, so the new entry goes after every entry with the same expiry.
		let at = active.partition_point(|(expiry, _)| *expiry <= terms.expiry);
		active.try_insert(at, (terms.expiry, id)).map_err(|_| Error::<T>::TooManySeries)?;
		NextSeriesId::<T>::put(next);
		Series::<T>::insert(
			id,
			SeriesInfo { terms, status: SeriesStatus::Trading, open_interest: 0 },
		);
		SeriesIndex::<T>::insert(terms, id);
		Self::deposit_event(Event::SeriesListed { series: id, terms });
		Ok(id)
	}
}
