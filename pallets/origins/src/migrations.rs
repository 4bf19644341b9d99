//! Storage migrations of the origins pallet, each a `VersionedMigration` the runtime lists in
//! its `Migrations`.

/// Version 0 -> 1: removes `FastTracks`, the genesis flag that selected the fast referendum
/// periods. The runtime's `fast-runtime` cargo feature selects them since (a dev or test build
/// has them, a production build never), so a chain's governance speed can no longer be set by
/// whoever writes its genesis.
///
/// Single block: one read and one removal.
pub mod v1 {
	use crate::pallet::*;
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{Get, UncheckedOnRuntimeUpgrade},
	};

	/// The storage of version 0.
	pub mod v0 {
		use super::*;

		/// Whether the referendum tracks used the fast (dev) periods; set at genesis only.
		#[frame_support::storage_alias]
		pub type FastTracks<T: Config> = StorageValue<Pallet<T>, bool, ValueQuery>;
	}

	/// The migration's body; run it through [`MigrateV0ToV1`].
	pub struct MigrateToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			v0::FastTracks::<T>::kill();
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, frame_support::sp_runtime::TryRuntimeError> {
			Ok(Vec::new())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: Vec<u8>) -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
			frame_support::ensure!(!v0::FastTracks::<T>::exists(), "FastTracks still stored");
			Ok(())
		}
	}

	/// Version 0 -> 1 of the origins pallet, run only while the on-chain version is 0.
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, MigrateToV1<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

#[cfg(test)]
mod tests {
	use super::v1;
	use crate as pallet_solvent_origins;
	use frame_support::{
		derive_impl,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	use sp_runtime::BuildStorage;

	type Block = frame_system::mocking::MockBlock<Test>;

	frame_support::construct_runtime!(
		pub enum Test {
			System: frame_system,
			Origins: pallet_solvent_origins,
		}
	);

	#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
	impl frame_system::Config for Test {
		type Block = Block;
	}

	impl pallet_solvent_origins::Config for Test {}

	fn ext() -> sp_io::TestExternalities {
		frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into()
	}

	#[test]
	fn v1_removes_the_fast_tracks_flag_once() {
		ext().execute_with(|| {
			// A chain built before version 1: the flag set at genesis, storage version 0.
			StorageVersion::new(0).put::<Origins>();
			v1::v0::FastTracks::<Test>::put(true);
			v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert!(!v1::v0::FastTracks::<Test>::exists());
			assert_eq!(Origins::on_chain_storage_version(), StorageVersion::new(1));
			// Run again (version 1 on chain): a no-op, the flag written back stays.
			v1::v0::FastTracks::<Test>::put(true);
			v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert!(v1::v0::FastTracks::<Test>::get());
		});
	}
}
