//! Storage migrations of the margin pallet, each a `VersionedMigration` the runtime lists in
//! its `Migrations`.

/// Version 0 -> 1: [`MarginParams`] gains `min_deposit` (its default), and the [`Debtors`]
/// index is built from the accounts whose cash is negative.
///
/// Single block: reads every margin account once (a chain with up to tens of thousands of
/// accounts; a larger one needs a multi-block migration).
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
	use sp_arithmetic::Permill;

	/// The storage layout of version 0.
	pub mod v0 {
		use super::*;

		/// [`MarginParams`] before the minimum deposit.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct MarginParams {
			pub liquidation_penalty: Permill,
			pub keeper_reward: Permill,
			pub max_liquidations_per_block: u32,
		}

		/// Version 0's parameters.
		#[frame_support::storage_alias]
		pub type Params<T: Config> = StorageValue<Pallet<T>, MarginParams>;
	}

	/// The migration's body; run it through [`MigrateV0ToV1`].
	pub struct MigrateToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads: u64 = 1;
			let mut writes: u64 = 0;
			if let Some(old) = v0::Params::<T>::get() {
				Params::<T>::put(MarginParams {
					liquidation_penalty: old.liquidation_penalty,
					keeper_reward: old.keeper_reward,
					max_liquidations_per_block: old.max_liquidations_per_block,
					min_deposit: DEFAULT_MIN_DEPOSIT,
				});
				writes += 1;
			}
			for (who, account) in Accounts::<T>::iter() {
				reads += 1;
				if account.cash < 0 {
					Debtors::<T>::insert(who, ());
					writes += 1;
				}
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let debtors = Accounts::<T>::iter_values().filter(|a| a.cash < 0).count() as u64;
			Ok(debtors.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let debtors = u64::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			ensure!(u64::from(Debtors::<T>::count()) == debtors, "debtor index incomplete");
			ensure!(Params::<T>::exists(), "parameters lost by the migration");
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 0 -> 1 of the margin pallet, run once (the storage version guards it).
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, MigrateToV1<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
