//! Benchmarks of the validator set (frame-benchmarking v2). Worst cases: a set one short of
//! `MaxValidators` for an addition, a full set for a removal, and a full replacement.

#![cfg(feature = "runtime-benchmarks")]

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};

/// `n` accounts with session keys.
fn keyed<T: Config>(seed: u32, n: u32) -> Vec<T::AccountId> {
	(0..n)
		.map(|i| {
			let who: T::AccountId = account("validator", i, seed);
			T::BenchmarkHelper::register_keys(&who);
			who
		})
		.collect()
}

/// Store `set` (sorted) as the validator set.
fn store<T: Config>(mut set: Vec<T::AccountId>) {
	set.sort();
	Validators::<T>::put(BoundedVec::<_, T::MaxValidators>::truncate_from(set));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_validator() -> Result<(), BenchmarkError> {
		let max = T::MaxValidators::get();
		store::<T>(keyed::<T>(0, max.saturating_sub(1)));
		let who = keyed::<T>(1, 1).pop().ok_or(BenchmarkError::Stop("no account"))?;
		let origin =
			T::ManagerOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(Validators::<T>::get().contains(&who));
		assert_eq!(Validators::<T>::get().len() as u32, max);
		Ok(())
	}

	#[benchmark]
	fn remove_validator() -> Result<(), BenchmarkError> {
		let max = T::MaxValidators::get();
		let set = keyed::<T>(0, max);
		let who = set.last().cloned().ok_or(BenchmarkError::Stop("no account"))?;
		store::<T>(set);
		let origin =
			T::ManagerOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(!Validators::<T>::get().contains(&who));
		assert_eq!(Validators::<T>::get().len() as u32, max - 1);
		Ok(())
	}

	#[benchmark]
	fn set_validators(
		n: Linear<{ T::MinValidators::get() }, { T::MaxValidators::get() }>,
	) -> Result<(), BenchmarkError> {
		store::<T>(keyed::<T>(0, T::MaxValidators::get()));
		// Members of the current set (more than two thirds must be): every one is checked.
		let new = keyed::<T>(0, n);
		let bounded = BoundedVec::<_, T::MaxValidators>::truncate_from(new);
		let origin =
			T::ManagerOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, bounded);

		assert_eq!(Validators::<T>::get().len() as u32, n);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
