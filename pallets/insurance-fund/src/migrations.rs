//! Storage migrations of the insurance fund, each a `VersionedMigration` the runtime lists in
//! its `Migrations`.

/// Version 0 -> 1: [`FundParams`] gains `unstake_window` (set to the unstake cooldown, within
/// the same bounds).
pub mod v1 {
	use crate::{pallet::*, types::*};
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{Get, UncheckedOnRuntimeUpgrade},
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use solvent_primitives::Balance;
	use sp_arithmetic::Permill;

	/// The storage layout of version 0.
	pub mod v0 {
		use super::*;

		/// [`FundParams`] before the withdrawal window.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct FundParams<BlockNumber> {
			pub payout_cap_per_block: Balance,
			pub unstake_cooldown: BlockNumber,
			pub fee_share: Permill,
		}

		/// Version 0's parameters.
		#[frame_support::storage_alias]
		pub type Params<T: Config> = StorageValue<Pallet<T>, FundParams<BlockNumberFor<T>>>;
	}

	/// The migration's body; run it through [`MigrateV0ToV1`].
	pub struct MigrateToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			if let Some(old) = v0::Params::<T>::get() {
				Params::<T>::put(FundParams {
					payout_cap_per_block: old.payout_cap_per_block,
					unstake_cooldown: old.unstake_cooldown,
					unstake_window: old.unstake_cooldown,
					fee_share: old.fee_share,
				});
			}
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(v0::Params::<T>::get().map(|p| p.payout_cap_per_block).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let cap =
				Option::<Balance>::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			if let Some(cap) = cap {
				ensure!(Params::<T>::get().payout_cap_per_block == cap, "payout cap lost");
			}
			Pallet::<T>::check_bounds(&Params::<T>::get()).map_err(|_| "params out of bounds")?;
			Ok(())
		}
	}

	/// Version 0 -> 1 of the insurance fund, run once (the storage version guards it).
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, MigrateToV1<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
