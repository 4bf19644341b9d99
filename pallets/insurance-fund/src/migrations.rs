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

/// Version 1 -> 2: every stake ([`Shares`]) and pending unstake ([`PendingUnstakes`]) records
/// its share epoch (red-team finding 7: a wiped-out fund's shares are written off by starting
/// a new epoch). Existing records belong to epoch 0, the [`CurrentShareEpoch`] default.
///
/// Reads and writes every staker's records once: one pass over the stakers, who are few on
/// the chains this runs on (a single-block migration; weight charged per record).
pub mod v2 {
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

	/// The storage layout of version 1.
	pub mod v1 {
		use super::*;

		/// [`PendingUnstake`] before the share epoch.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct PendingUnstake<BlockNumber> {
			pub shares: Balance,
			pub unlock_at: BlockNumber,
		}
	}

	/// The migration's body; run it through [`MigrateV1ToV2`].
	pub struct MigrateToV2<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut records: u64 = 0;
			Shares::<T>::translate::<Balance, _>(|_, shares| {
				records = records.saturating_add(1);
				Some(Stake { shares, epoch: 0 })
			});
			PendingUnstakes::<T>::translate::<v1::PendingUnstake<BlockNumberFor<T>>, _>(
				|_, old| {
					records = records.saturating_add(1);
					Some(PendingUnstake { shares: old.shares, unlock_at: old.unlock_at, epoch: 0 })
				},
			);
			CurrentShareEpoch::<T>::put(0);
			T::DbWeight::get().reads_writes(records, records.saturating_add(1))
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(TotalShares::<T>::get().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let total = Balance::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			ensure!(TotalShares::<T>::get() == total, "total shares changed");
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 1 -> 2 of the insurance fund, run once (the storage version guards it).
	pub type MigrateV1ToV2<T> =
		VersionedMigration<1, 2, MigrateToV2<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
