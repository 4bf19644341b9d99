//! # Validator set
//!
//! Solvent's session manager (`pallet_session::SessionManager`): the set of block-producing
//! (Aura) and finalizing (GRANDPA) validators, changed only by a governance origin
//! ([`Config::ManagerOrigin`]: Root, i.e. a referendum on the root track).
//!
//! - [`Pallet::add_validator`], [`Pallet::remove_validator`] and [`Pallet::set_validators`]
//!   change the stored set [`Validators`] at once and mark it changed ([`SetChanged`]).
//! - At the next session rotation `pallet-session` asks for the set of the session after the
//!   next one ([`pallet_session::SessionManager::new_session`]); a changed set is handed over
//!   then ([`Event::NewSetQueued`]) and becomes the Aura and GRANDPA authority set one session
//!   later. A change made during session `N` is therefore queued at the start of session
//!   `N + 1` and authors blocks from session `N + 2` on (`pallet-session` keeps one session
//!   between planning a set and activating it).
//! - A validator must have registered its session keys (`session.setKeys`) before it is
//!   added ([`Error::NoSessionKeys`]): `pallet-session` silently skips a validator without
//!   keys, so adding one would leave the set smaller than it reads.
//! - The set holds at most [`Config::MaxValidators`] and, after a removal, at least
//!   [`Config::MinValidators`] validators: governance cannot remove the last validators and
//!   halt the chain.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

/// Benchmark setup in the concrete runtime: registering session keys for an account.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Make `who` count as having session keys (`Config::KeysRegistered`).
	fn register_keys(who: &AccountId);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{pallet_prelude::*, traits::ValidatorRegistration};
	use frame_system::pallet_prelude::*;

	/// The in-code storage version (0: first version).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Origin allowed to change the set (runtime: Root, i.e. a root-track referendum).
		type ManagerOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Whether an account has registered session keys (runtime: `pallet_session`, which
		/// reads its `NextKeys`).
		type KeysRegistered: ValidatorRegistration<Self::AccountId>;

		/// Most validators in the set (bounds storage and the session handlers' work).
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Fewest validators a removal may leave (at least 1). The genesis set may be smaller
		/// (a one-validator dev chain); it can then grow but not shrink.
		#[pallet::constant]
		type MinValidators: Get<u32>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Benchmark setup in the concrete runtime.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The validator set, sorted by account id, without duplicates. It is the authority set
	/// of the session after next once [`SetChanged`] has been handed to `pallet-session`.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// True when [`Validators`] changed since it was last handed to `pallet-session`.
	#[pallet::storage]
	pub type SetChanged<T: Config> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validators of sessions 0 and 1 (each needs session keys in
		/// `pallet_session::GenesisConfig::keys`), without duplicates, at most
		/// `MaxValidators`. A chain needs at least one; empty (the default) leaves the genesis
		/// set to `pallet-session`'s keys and is only for tests of other pallets.
		pub initial_validators: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// A genesis that breaks these invariants cannot start a chain: rejecting it (the
			// only way a genesis build can) is intended.
			let mut set = self.initial_validators.clone();
			set.sort();
			set.dedup();
			assert_eq!(set.len(), self.initial_validators.len(), "duplicate initial validator");
			assert!(
				set.len() <= T::MaxValidators::get() as usize,
				"more initial validators than MaxValidators"
			);
			Validators::<T>::put(BoundedVec::<_, T::MaxValidators>::truncate_from(set));
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` joined the set; it authors from the session after next.
		ValidatorAdded { who: T::AccountId },
		/// `who` left the set; it stops authoring from the session after next.
		ValidatorRemoved { who: T::AccountId },
		/// The whole set was replaced by `count` validators.
		ValidatorsReplaced { count: u32 },
		/// The changed set (`count` validators) was handed to `pallet-session` for session
		/// `session_index`, in which it authors.
		NewSetQueued { session_index: u32, count: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a validator.
		AlreadyValidator,
		/// The account is not a validator.
		NotValidator,
		/// The set would exceed `MaxValidators`.
		TooManyValidators,
		/// The set would fall below `MinValidators`.
		TooFewValidators,
		/// The account has not registered session keys (`session.setKeys`).
		NoSessionKeys,
		/// The same account appears twice in a new set.
		DuplicateValidator,
		/// Two thirds or more of a new set are not members of the current set (GRANDPA would
		/// stall if their nodes were down): replace validators a few at a time.
		TooManyNewValidators,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			let (min, max) = (T::MinValidators::get(), T::MaxValidators::get());
			assert!(min >= 1, "MinValidators must be at least 1");
			assert!(min <= max, "MinValidators must not exceed MaxValidators");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Add `who` to the validator set. It authors blocks from the session after next.
		///
		/// Origin: [`Config::ManagerOrigin`]. `who` must have registered session keys and not
		/// be a validator, and the set must have room.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator())]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::ManagerOrigin::ensure_origin(origin)?;
			let mut set = Validators::<T>::get();
			let pos = match set.binary_search(&who) {
				Ok(_) => return Err(Error::<T>::AlreadyValidator.into()),
				Err(pos) => pos,
			};
			ensure!(T::KeysRegistered::is_registered(&who), Error::<T>::NoSessionKeys);
			set.try_insert(pos, who.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
			Validators::<T>::put(set);
			SetChanged::<T>::put(true);
			Self::deposit_event(Event::ValidatorAdded { who });
			Ok(())
		}

		/// Remove `who` from the validator set. It stops authoring from the session after next.
		///
		/// Origin: [`Config::ManagerOrigin`]. `who` must be a validator and the set must keep
		/// at least `MinValidators`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator())]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::ManagerOrigin::ensure_origin(origin)?;
			let mut set = Validators::<T>::get();
			let pos = set.binary_search(&who).map_err(|_| Error::<T>::NotValidator)?;
			ensure!(
				(set.len() as u32).saturating_sub(1) >= T::MinValidators::get(),
				Error::<T>::TooFewValidators
			);
			set.remove(pos);
			Validators::<T>::put(set);
			SetChanged::<T>::put(true);
			Self::deposit_event(Event::ValidatorRemoved { who });
			Ok(())
		}

		/// Replace the whole set by `validators` (any order), e.g. to swap a compromised
		/// validator for a new one in one referendum. Applies like the other calls.
		///
		/// Origin: [`Config::ManagerOrigin`]. Between `MinValidators` and `MaxValidators`
		/// accounts, no duplicate, each with session keys registered, and more than two thirds
		/// of them members of the current set ([`Error::TooManyNewValidators`]): GRANDPA
		/// finalizes only while more than two thirds of its set vote, and a newcomer's node is
		/// not proven to run until it authors, so a referendum that swapped in a mostly new set
		/// whose nodes are down would stop finality, with no referendum able to finalize the
		/// repair (recovery then needs `grandpa.noteStalled` from Root).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_validators(validators.len() as u32))]
		pub fn set_validators(
			origin: OriginFor<T>,
			validators: BoundedVec<T::AccountId, T::MaxValidators>,
		) -> DispatchResult {
			T::ManagerOrigin::ensure_origin(origin)?;
			let count = validators.len() as u32;
			ensure!(count >= T::MinValidators::get(), Error::<T>::TooFewValidators);
			let mut set = validators;
			set.sort();
			for pair in set.windows(2) {
				ensure!(pair[0] != pair[1], Error::<T>::DuplicateValidator);
			}
			for who in set.iter() {
				ensure!(T::KeysRegistered::is_registered(who), Error::<T>::NoSessionKeys);
			}
			let current = Validators::<T>::get();
			let kept = set.iter().filter(|who| current.binary_search(who).is_ok()).count();
			ensure!(
				kept.saturating_mul(3) > set.len().saturating_mul(2),
				Error::<T>::TooManyNewValidators
			);
			Validators::<T>::put(set);
			SetChanged::<T>::put(true);
			Self::deposit_event(Event::ValidatorsReplaced { count });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The current validator set (sorted).
		pub fn validators() -> Vec<T::AccountId> {
			Validators::<T>::get().into_inner()
		}

		/// The invariants: the set is non-empty, sorted and without duplicates (its bound is
		/// checked by decoding it).
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let set = Validators::<T>::get();
			ensure!(!set.is_empty(), "the validator set is empty");
			ensure!(
				set.windows(2).all(|p| p[0] < p[1]),
				"the validator set is not strictly sorted"
			);
			Ok(())
		}
	}
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	/// The set of session `new_index` (planned one session ahead): the stored set if it
	/// changed since it was last handed over, otherwise `None` (the set stays).
	fn new_session(new_index: u32) -> Option<alloc::vec::Vec<T::AccountId>> {
		if !SetChanged::<T>::take() {
			return None;
		}
		let set = Self::validators();
		Self::deposit_event(Event::NewSetQueued {
			session_index: new_index,
			count: set.len() as u32,
		});
		log::info!(target: "runtime::validator-set", "session {new_index}: {} validators", set.len());
		Some(set)
	}

	/// The genesis sessions 0 and 1 use the genesis set (if empty, `pallet-session`'s genesis
	/// keys).
	fn new_session_genesis(_new_index: u32) -> Option<alloc::vec::Vec<T::AccountId>> {
		let set = Self::validators();
		(!set.is_empty()).then_some(set)
	}

	fn end_session(_end_index: u32) {}

	fn start_session(_start_index: u32) {}
}
