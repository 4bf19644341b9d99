//! Storage migrations of the price oracle, each a `VersionedMigration` the runtime lists in its
//! `Migrations`.

/// Version 0 -> 1: the circuit breaker's cool-off. [`OracleParams`] gains `breaker_cooloff` and
/// `max_dispersion` (their defaults, [`DEFAULT_BREAKER_COOLOFF`] and
/// [`DEFAULT_MAX_DISPERSION`]); the [`Halt`] of every [`KeyStates`] entry gains `agreed_since`
/// (`None`: a key halted at the upgrade starts its cool-off at the first recompute on which
/// the feeds agree).
///
/// Single block: reads and writes the parameters and every key state (at most `MaxKeys`).
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
	use solvent_primitives::{Moment, OracleKey};
	use sp_arithmetic::{FixedU128, Permill};

	/// The storage layout of version 0.
	pub mod v0 {
		use super::*;

		/// [`OracleParams`] before the cool-off parameters.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct OracleParams {
			pub max_age: Moment,
			pub min_quorum: u32,
			pub max_deviation: Permill,
			pub max_vol_deviation: FixedU128,
			pub breaker_window: Moment,
		}

		/// [`Halt`] before `agreed_since`.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct Halt {
			pub reference: FixedU128,
			pub since: Moment,
		}

		/// [`KeyState`] with version 0's [`Halt`].
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct KeyState {
			pub aggregate: Option<FixedU128>,
			pub fresh: u32,
			pub computed_at: Moment,
			pub valid_until: Moment,
			pub halt: Option<Halt>,
			pub reference_from: Moment,
		}

		/// Version 0's parameters.
		#[frame_support::storage_alias]
		pub type Params<T: Config> = StorageValue<Pallet<T>, OracleParams>;

		/// Version 0's key states.
		#[frame_support::storage_alias]
		pub type KeyStates<T: Config> =
			StorageMap<Pallet<T>, Blake2_128Concat, OracleKey, KeyState>;
	}

	/// Version 1's parameters from version 0's: the new fields at their defaults.
	pub fn migrate_params(old: v0::OracleParams) -> OracleParams {
		OracleParams {
			max_age: old.max_age,
			min_quorum: old.min_quorum,
			max_deviation: old.max_deviation,
			max_vol_deviation: old.max_vol_deviation,
			breaker_window: old.breaker_window,
			breaker_cooloff: DEFAULT_BREAKER_COOLOFF,
			max_dispersion: DEFAULT_MAX_DISPERSION,
		}
	}

	/// Version 1's key state from version 0's: a halt has not agreed yet.
	pub fn migrate_key_state(old: v0::KeyState) -> KeyState {
		KeyState {
			aggregate: old.aggregate,
			fresh: old.fresh,
			computed_at: old.computed_at,
			valid_until: old.valid_until,
			halt: old.halt.map(|h| Halt {
				reference: h.reference,
				since: h.since,
				agreed_since: None,
			}),
			reference_from: old.reference_from,
		}
	}

	/// The migration's body; run it through [`MigrateV0ToV1`].
	pub struct MigrateToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads: u64 = 1;
			let mut writes: u64 = 0;
			if let Some(old) = v0::Params::<T>::get() {
				Params::<T>::put(migrate_params(old));
				writes = writes.saturating_add(1);
			}
			KeyStates::<T>::translate::<v0::KeyState, _>(|_, old| {
				reads = reads.saturating_add(1);
				writes = writes.saturating_add(1);
				Some(migrate_key_state(old))
			});
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let states = v0::KeyStates::<T>::iter_values().collect::<Vec<_>>();
			let halted = states.iter().filter(|s| s.halt.is_some()).count() as u64;
			Ok((states.len() as u64, halted, v0::Params::<T>::exists()).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (states, halted, had_params) =
				<(u64, u64, bool)>::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			// `iter_values` skips the entries that do not decode in the new layout.
			let new = KeyStates::<T>::iter_values().collect::<Vec<_>>();
			ensure!(new.len() as u64 == states, "key states lost by the migration");
			ensure!(
				new.iter().filter(|s| s.halt.is_some()).count() as u64 == halted,
				"halts lost by the migration"
			);
			ensure!(
				new.iter().all(|s| s.halt.is_none_or(|h| h.agreed_since.is_none())),
				"a migrated halt already agreed"
			);
			ensure!(Params::<T>::exists() == had_params, "parameters lost by the migration");
			Pallet::<T>::check_bounds(&Params::<T>::get())
				.map_err(|_| "migrated parameters out of bounds")?;
			Ok(())
		}
	}

	/// Version 0 -> 1 of the price oracle, run once (the storage version guards it).
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, MigrateToV1<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
