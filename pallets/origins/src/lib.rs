//! # Solvent governance origins
//!
//! The custom origins that OpenGov tracks dispatch with, in the style of the Polkadot runtimes'
//! `pallet_custom_origins`:
//!
//! - [`Origin::RiskAdmin`]: the origin of the **risk-admin** referendum track. Every risk
//!   parameter of the oracle, margin, options and insurance-fund pallets accepts it (or Root)
//!   through [`RiskAdmin`], and each pallet still enforces its own hard bounds and maximum step
//!   per change, so even a passed referendum cannot set an out-of-range value.
//!
//! - [`Origin::EmergencyAdmin`]: the origin of the **emergency** track (safe mode, call pauses,
//!   referendum cancel/kill, feeder management).
//!
//! The pallet has no storage. Storage version 1 removed `FastTracks`, the genesis flag that
//! used to select the fast referendum periods: the runtime's `fast-runtime` cargo feature
//! selects them now ([`migrations::v1`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod migrations;

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use frame_support::pallet_prelude::*;

	/// Configuration: no associated types.
	#[pallet::config]
	pub trait Config: frame_system::Config {}

	/// Version 1: `FastTracks` removed ([`crate::migrations::v1`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// The custom governance origins.
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// A referendum on the risk-admin track passed: may change risk parameters within
		/// their bounds.
		RiskAdmin,
		/// A referendum on the emergency track passed: may brake (safe mode, call pauses),
		/// cancel or kill referenda and manage oracle feeders.
		EmergencyAdmin,
	}
}

/// `EnsureOrigin` that accepts only [`Origin::RiskAdmin`] (combine with `EnsureRoot` in the
/// runtime: `EitherOfDiverse<EnsureRoot<_>, RiskAdmin>`).
pub struct RiskAdmin;
impl<O: Into<Result<Origin, O>> + From<Origin>> frame_support::traits::EnsureOrigin<O>
	for RiskAdmin
{
	type Success = ();

	fn try_origin(o: O) -> Result<Self::Success, O> {
		o.into().and_then(|o| match o {
			Origin::RiskAdmin => Ok(()),
			other => Err(O::from(other)),
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<O, ()> {
		Ok(O::from(Origin::RiskAdmin))
	}
}

/// `EnsureOrigin` that accepts only [`Origin::EmergencyAdmin`] (combine with `EnsureRoot` in
/// the runtime: `EitherOfDiverse<EnsureRoot<_>, EmergencyAdmin>`). A `RiskAdmin` origin is
/// refused, and so is any signed or unsigned origin.
pub struct EmergencyAdmin;
impl<O: Into<Result<Origin, O>> + From<Origin>> frame_support::traits::EnsureOrigin<O>
	for EmergencyAdmin
{
	type Success = ();

	fn try_origin(o: O) -> Result<Self::Success, O> {
		o.into().and_then(|o| match o {
			Origin::EmergencyAdmin => Ok(()),
			other => Err(O::from(other)),
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<O, ()> {
		Ok(O::from(Origin::EmergencyAdmin))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::traits::EnsureOrigin;

	/// A stand-in for the runtime origin: either a custom origin or something else.
	#[derive(Debug, PartialEq, Clone)]
	enum TestOrigin {
		Custom(Origin),
		Signed(u64),
	}
	impl From<Origin> for TestOrigin {
		fn from(o: Origin) -> Self {
			TestOrigin::Custom(o)
		}
	}
	impl From<TestOrigin> for Result<Origin, TestOrigin> {
		fn from(o: TestOrigin) -> Self {
			match o {
				TestOrigin::Custom(c) => Ok(c),
				other => Err(other),
			}
		}
	}

	#[test]
	fn each_custom_origin_passes_only_its_own_check() {
		let risk = TestOrigin::Custom(Origin::RiskAdmin);
		let emergency = TestOrigin::Custom(Origin::EmergencyAdmin);
		let signed = TestOrigin::Signed(1);
		assert_eq!(<RiskAdmin as EnsureOrigin<TestOrigin>>::try_origin(risk.clone()), Ok(()));
		assert_eq!(
			<EmergencyAdmin as EnsureOrigin<TestOrigin>>::try_origin(emergency.clone()),
			Ok(())
		);
		// The attack: a risk-admin referendum cannot brake, an emergency one cannot change
		// risk parameters, and a signed account is neither; each refusal hands the origin back.
		assert_eq!(
			<EmergencyAdmin as EnsureOrigin<TestOrigin>>::try_origin(risk.clone()),
			Err(risk.clone())
		);
		assert_eq!(
			<RiskAdmin as EnsureOrigin<TestOrigin>>::try_origin(emergency.clone()),
			Err(emergency)
		);
		assert_eq!(
			<EmergencyAdmin as EnsureOrigin<TestOrigin>>::try_origin(signed.clone()),
			Err(signed.clone())
		);
		assert_eq!(
			<RiskAdmin as EnsureOrigin<TestOrigin>>::try_origin(signed.clone()),
			Err(signed)
		);
	}
}
