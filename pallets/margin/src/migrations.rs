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
				// Version 1's layout (version 3 added the coverage parameters).
				crate::migrations::v3::v2::Params::<T>::put(
					crate::migrations::v3::v2::MarginParams {
						liquidation_penalty: old.liquidation_penalty,
						keeper_reward: old.keeper_reward,
						max_liquidations_per_block: old.max_liquidations_per_block,
						min_deposit: DEFAULT_MIN_DEPOSIT,
					},
				);
				writes += 1;
			}
			// The account layout of versions 0 and 1 (v2 added the cash index).
			for (who, account) in crate::migrations::v2::v1::Accounts::<T>::iter() {
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
			let debtors = crate::migrations::v2::v1::Accounts::<T>::iter_values()
				.filter(|a| a.cash < 0)
				.count() as u64;
			Ok(debtors.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let debtors = u64::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			ensure!(u64::from(Debtors::<T>::count()) == debtors, "debtor index incomplete");
			ensure!(
				crate::migrations::v3::v2::Params::<T>::exists(),
				"parameters lost by the migration"
			);
			Ok(())
		}
	}

	/// Version 0 -> 1 of the margin pallet, run once (the storage version guards it).
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, MigrateToV1<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

/// Version 1 -> 2: the loss waterfall. [`MarginAccount`] gains `cash_index` (the initial
/// [`CashIndex`]); the per-debtor queue of losses waiting for an option settlement
/// (`PendingLosses`, `PendingLossTotal`) is replaced by [`UncoveredBadDebt`]: each queued loss
/// is credited back to its debtor's cash and added to it, so the next block's `on_initialize`
/// has the insurance fund pay it or socializes it. [`PositiveCashTotal`] is built from the
/// accounts.
///
/// Single block: reads every margin account once (as v1).
pub mod v2 {
	use crate::{pallet::*, types::*};
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		BoundedBTreeMap,
	};
	use solvent_primitives::{AssetId, Balance, ProtocolAccounts, SignedBalance};

	/// The storage layout of version 1.
	pub mod v1 {
		use super::*;

		/// [`MarginAccount`] before the cash index.
		#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		#[scale_info(skip_type_params(MaxAssets))]
		#[codec(mel_bound())]
		pub struct MarginAccount<MaxAssets: Get<u32>> {
			pub cash: SignedBalance,
			pub collateral: BoundedBTreeMap<AssetId, Balance, MaxAssets>,
		}

		/// Version 1's accounts.
		#[frame_support::storage_alias]
		pub type Accounts<T: Config> = StorageMap<
			Pallet<T>,
			Blake2_128Concat,
			<T as frame_system::Config>::AccountId,
			MarginAccount<<T as Config>::MaxCollateralAssets>,
		>;

		/// Version 1's queue of losses waiting for a settlement.
		#[frame_support::storage_alias]
		pub type PendingLosses<T: Config> = CountedStorageMap<
			Pallet<T>,
			Blake2_128Concat,
			<T as frame_system::Config>::AccountId,
			Balance,
		>;

		/// Version 1's sum of the queue.
		#[frame_support::storage_alias]
		pub type PendingLossTotal<T: Config> = StorageValue<Pallet<T>, Balance>;
	}

	/// The migration's body; run it through [`MigrateV1ToV2`].
	pub struct MigrateToV2<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads: u64 = 0;
			let mut writes: u64 = 0;
			let mut uncovered: Balance = 0;
			let index = CashIndex::default();
			let mut positive = PositiveCash::default();
			Accounts::<T>::translate::<v1::MarginAccount<T::MaxCollateralAssets>, _>(|who, old| {
				reads += 2;
				writes += 1;
				let credit = v1::PendingLosses::<T>::get(&who).unwrap_or(0);
				uncovered = uncovered.saturating_add(credit);
				let cash = old.cash.saturating_add(to_signed(credit));
				if cash > 0 && !T::ProtocolAccounts::is_protocol_account(&who) {
					positive.scaled = positive.scaled.saturating_add(positive_part(cash));
					positive.accounts = positive.accounts.saturating_add(1);
				}
				if cash >= 0 {
					Debtors::<T>::remove(&who);
				}
				let account = MarginAccount { cash, collateral: old.collateral, cash_index: index };
				(!account.is_empty()).then_some(account)
			});
			UncoveredBadDebt::<T>::put(uncovered);
			CurrentCashIndex::<T>::put(index);
			PositiveCashTotal::<T>::put(positive);
			let cleared = v1::PendingLosses::<T>::clear(u32::MAX, None);
			v1::PendingLossTotal::<T>::kill();
			writes += 4 + u64::from(cleared.unique);
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let accounts = v1::Accounts::<T>::iter_keys().count() as u64;
			let pending = v1::PendingLossTotal::<T>::get().unwrap_or(0);
			Ok((accounts, pending).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (accounts, pending) =
				<(u64, Balance)>::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			ensure!(
				Accounts::<T>::iter_keys().count() as u64 <= accounts,
				"accounts appeared in the migration"
			);
			ensure!(UncoveredBadDebt::<T>::get() == pending, "queued losses not carried over");
			ensure!(v1::PendingLosses::<T>::count() == 0, "old queue left");
			Ok(())
		}
	}

	/// Version 1 -> 2 of the margin pallet, run once (the storage version guards it).
	pub type MigrateV1ToV2<T> =
		VersionedMigration<1, 2, MigrateToV2<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

/// Version 2 -> 3: [`MarginParams`] gains the coverage parameters, `coverage_target`
/// ([`DEFAULT_COVERAGE_TARGET`]) and `max_im_addon` ([`DEFAULT_MAX_IM_ADDON`]). The add-on in
/// force ([`ImAddOn`]) starts at zero and rises by at most [`MAX_IM_ADDON_RISE_PER_BLOCK`] per
/// block, so the upgrade moves no account's initial margin by more than that in a block.
///
/// One read and one write.
pub mod v3 {
	use crate::{pallet::*, types::*};
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{Get, UncheckedOnRuntimeUpgrade},
	};
	use solvent_primitives::Balance;
	use sp_arithmetic::Permill;

	/// The storage layout of versions 1 and 2.
	pub mod v2 {
		use super::*;

		/// [`MarginParams`] before the coverage parameters.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct MarginParams {
			pub liquidation_penalty: Permill,
			pub keeper_reward: Permill,
			pub max_liquidations_per_block: u32,
			pub min_deposit: Balance,
		}

		/// Version 2's parameters.
		#[frame_support::storage_alias]
		pub type Params<T: Config> = StorageValue<Pallet<T>, MarginParams>;
	}

	/// The migration's body; run it through [`MigrateV2ToV3`].
	pub struct MigrateToV3<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			let Some(old) = v2::Params::<T>::get() else {
				return T::DbWeight::get().reads(1);
			};
			Params::<T>::put(MarginParams {
				liquidation_penalty: old.liquidation_penalty,
				keeper_reward: old.keeper_reward,
				max_liquidations_per_block: old.max_liquidations_per_block,
				min_deposit: old.min_deposit,
				coverage_target: DEFAULT_COVERAGE_TARGET,
				max_im_addon: DEFAULT_MAX_IM_ADDON,
			});
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(v2::Params::<T>::get().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let old = Option::<v2::MarginParams>::decode(&mut &state[..])
				.map_err(|_| "pre-upgrade state")?;
			if let Some(old) = old {
				let new = Params::<T>::get();
				ensure!(
					new.liquidation_penalty == old.liquidation_penalty
						&& new.keeper_reward == old.keeper_reward
						&& new.max_liquidations_per_block == old.max_liquidations_per_block
						&& new.min_deposit == old.min_deposit,
					"parameters changed by the migration"
				);
				ensure!(
					Pallet::<T>::check_params(&new).is_ok(),
					"migrated parameters out of bounds"
				);
			}
			Ok(())
		}
	}

	/// Version 2 -> 3 of the margin pallet, run once (the storage version guards it).
	pub type MigrateV2ToV3<T> =
		VersionedMigration<2, 3, MigrateToV3<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
