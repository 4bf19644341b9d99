//! Storage migrations of the options pallet, each a `VersionedMigration` the runtime lists in
//! its `Migrations`.

/// Version 0 -> 1: the price band, tick and minimum order quantity join [`OptionsParams`]
/// (their defaults; written in version 1's layout, [`v3::v2::OptionsParams`]), and each
/// account's resting-order index gains its per-series totals, rebuilt from [`Orders`].
///
/// Single block: reads every entry of `AccountOrders` and every order it lists (a chain with
/// fewer than a few thousand resting orders; a larger one needs a multi-block migration).
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
	use solvent_primitives::{Moment, OrderId};
	use sp_arithmetic::{FixedI128, Permill};

	/// The storage layout of version 0.
	pub mod v0 {
		use super::*;

		/// [`OptionsParams`] before the price band, tick and minimum quantity.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct OptionsParams {
			pub maker_fee_rate: Permill,
			pub taker_fee_rate: Permill,
			pub im_base: Permill,
			pub im_min: Permill,
			pub mm_rate: Permill,
			pub rate: FixedI128,
			pub settlement_window: Moment,
			pub expiry_interval: Moment,
			pub expiry_offset: Moment,
			pub min_time_to_expiry: Moment,
		}

		/// Version 0's parameters.
		#[frame_support::storage_alias]
		pub type Params<T: Config> = StorageValue<Pallet<T>, OptionsParams>;

		/// Version 0's resting-order index: ids only.
		#[frame_support::storage_alias]
		pub type AccountOrders<T: Config> = StorageMap<
			Pallet<T>,
			Blake2_128Concat,
			<T as frame_system::Config>::AccountId,
			BoundedVec<OrderId, <T as Config>::MaxOpenOrdersPerAccount>,
		>;
	}

	/// The migration's body; run it through [`MigrateV0ToV1`].
	pub struct MigrateToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads: u64 = 1;
			let mut writes: u64 = 0;
			if let Some(old) = v0::Params::<T>::get() {
				// Version 1's layout (the same in version 2; version 3 extends it).
				crate::migrations::v3::v2::Params::<T>::put(
					crate::migrations::v3::v2::OptionsParams {
						maker_fee_rate: old.maker_fee_rate,
						taker_fee_rate: old.taker_fee_rate,
						im_base: old.im_base,
						im_min: old.im_min,
						mm_rate: old.mm_rate,
						rate: old.rate,
						settlement_window: old.settlement_window,
						expiry_interval: old.expiry_interval,
						expiry_offset: old.expiry_offset,
						min_time_to_expiry: old.min_time_to_expiry,
						price_band_rate: DEFAULT_PRICE_BAND_RATE,
						price_band_floor: DEFAULT_PRICE_BAND_FLOOR,
						tick_size: DEFAULT_TICK_SIZE,
						min_order_quantity: DEFAULT_MIN_ORDER_QUANTITY,
					},
				);
				writes += 1;
			}
			AccountOrders::<T>::translate::<BoundedVec<OrderId, T::MaxOpenOrdersPerAccount>, _>(
				|_who, ids| {
					reads += 1;
					writes += 1;
					let mut index = OpenOrders::<T::MaxOpenOrdersPerAccount>::default();
					for id in ids {
						reads += 1;
						let Some(order) = Orders::<T>::get(id) else { continue };
						if index.ids.try_push(id).is_err() {
							continue;
						}
						if let Ok(totals) = Pallet::<T>::series_totals(&mut index, order.series) {
							totals.side_mut(order.side).apply(order.price, order.remaining, true);
						}
					}
					(!index.is_empty()).then_some(index)
				},
			);
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let orders =
				v0::AccountOrders::<T>::iter_values().map(|ids| ids.len() as u64).sum::<u64>();
			Ok(orders.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			let after = AccountOrders::<T>::iter_values().map(|o| o.ids.len() as u64).sum::<u64>();
			ensure!(before == after, "resting orders lost by the migration");
			ensure!(Params::<T>::exists(), "parameters lost by the migration");
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 0 -> 1 of the options pallet, run once (the storage version guards it).
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, MigrateToV1<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

/// Version 1 -> 2: settlement no longer socializes losses (the margin ledger charges them when
/// they arise), so [`Settlement`] loses its `socialized` field (written in version 2's layout,
/// [`v3::v2::Settlement`]).
///
/// Every [`Settlements`] entry is rewritten without it, its `socialized` added to `paid`: like
/// a payout, it left the settlement account, so `paid + dust == collected` (the conservation
/// `try_state` checks) holds for every record, finished or not. A finished record keeps its
/// dust. A settlement in flight with `socialized > 0` pays its remaining longs their full
/// payout, so its dust ends negative by the share of `socialized` they no longer bear, which
/// the insurance fund pays in at the end (logged at the upgrade).
///
/// Single block: one read and one write per settlement record (one per series that ever
/// started settling), plus one read of the series of each record with `socialized > 0`.
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
	use solvent_primitives::{Balance, Price, SeriesId, SignedBalance};

	/// The storage layout of version 1.
	pub mod v1 {
		use super::*;

		/// [`Settlement`] with the losses socialized at its start.
		#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct Settlement {
			pub price: Price,
			pub payout_per_contract: Balance,
			pub total_payout: Balance,
			/// Losses taken from the payouts at the start and paid to the debtors (USD units,
			/// at most `total_payout`).
			pub socialized: Balance,
			pub collected: Balance,
			pub paid: Balance,
			pub dust: SignedBalance,
			pub longs_settled: u64,
			pub shorts_settled: u64,
			pub cursor: Option<BoundedVec<u8, ConstU32<MAX_CURSOR_LEN>>>,
		}

		/// Version 1's settlement records.
		#[frame_support::storage_alias]
		pub type Settlements<T: Config> = StorageMap<Pallet<T>, Twox64Concat, SeriesId, Settlement>;
	}

	/// The migration's body; run it through [`MigrateV1ToV2`].
	pub struct MigrateToV2<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads: u64 = 0;
			let mut writes: u64 = 0;
			crate::migrations::v3::v2::Settlements::<T>::translate::<v1::Settlement, _>(
				|id, old| {
					reads = reads.saturating_add(1);
					writes = writes.saturating_add(1);
					if old.socialized > 0 {
						reads = reads.saturating_add(1);
						if Series::<T>::get(id).is_some_and(|s| s.status == SeriesStatus::Settling)
						{
							log::warn!(
								target: "runtime::options",
								"series {id} settling across the v2 migration: {} socialized, the \
								 insurance fund pays in the part its remaining longs no longer bear",
								old.socialized
							);
						}
					}
					Some(crate::migrations::v3::v2::Settlement {
						price: old.price,
						payout_per_contract: old.payout_per_contract,
						total_payout: old.total_payout,
						collected: old.collected,
						paid: old.paid.saturating_add(old.socialized),
						dust: old.dust,
						longs_settled: old.longs_settled,
						shorts_settled: old.shorts_settled,
						cursor: old.cursor,
					})
				},
			);
			T::DbWeight::get().reads_writes(reads, writes)
		}

		/// The number of records and the sum of their `paid + socialized`.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let (count, out) =
				v1::Settlements::<T>::iter_values().fold((0u64, 0u128), |(count, out), st| {
					(
						count.saturating_add(1),
						out.saturating_add(st.paid).saturating_add(st.socialized),
					)
				});
			Ok((count, out).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (count, out) =
				<(u64, u128)>::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			let settlements = crate::migrations::v3::v2::Settlements::<T>::iter_values();
			let (count_after, paid) = settlements.fold((0u64, 0u128), |(count, paid), st| {
				(count.saturating_add(1), paid.saturating_add(st.paid))
			});
			ensure!(count_after == count, "settlement records lost by the migration");
			ensure!(paid == out, "paid != paid + socialized before the migration");
			// The pallet's invariants read version 3's layout: checked after `v3`.
			Ok(())
		}
	}

	/// Version 1 -> 2 of the options pallet, run once (the storage version guards it).
	pub type MigrateV1ToV2<T> =
		VersionedMigration<1, 2, MigrateToV2<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

/// Version 2 -> 3: the settlement never stalls.
/// - [`OptionsParams`] gains `min_twap_coverage`, `settlement_lookback` and
///   `settlement_price_band` at their defaults ([`DEFAULT_MIN_TWAP_COVERAGE`] 50%,
///   [`DEFAULT_SETTLEMENT_LOOKBACK`] 1 hour, [`DEFAULT_SETTLEMENT_PRICE_BAND`] 20%).
/// - Every [`Settlement`] record gains its price's `source`: [`SettlementSource::Twap`], the
///   only source before this version.
/// - Every active series waiting for its settlement price (`Expired { price_wait_reported:
///   true }`) is reset to `price_wait_reported: false`: it is looked up once more, with the
///   last-price fallback, and reported again if the oracle still has nothing (then it waits for
///   the risk admin instead of asking the oracle every block).
///
/// Single block: the parameters, one read and one write per settlement record (one per series
/// that ever started settling), and one read per active series (at most `MaxActiveSeries`) plus
/// a write per waiting one.
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
	use solvent_primitives::{Balance, Moment, Price, SeriesId, SignedBalance};
	use sp_arithmetic::{FixedI128, Permill};

	/// The storage layout of version 2 (the parameters' layout is also version 1's).
	pub mod v2 {
		use super::*;

		/// [`OptionsParams`] before the settlement fallbacks' parameters.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct OptionsParams {
			pub maker_fee_rate: Permill,
			pub taker_fee_rate: Permill,
			pub im_base: Permill,
			pub im_min: Permill,
			pub mm_rate: Permill,
			pub rate: FixedI128,
			pub settlement_window: Moment,
			pub expiry_interval: Moment,
			pub expiry_offset: Moment,
			pub min_time_to_expiry: Moment,
			pub price_band_rate: Permill,
			pub price_band_floor: Permill,
			pub tick_size: Balance,
			pub min_order_quantity: u64,
		}

		/// [`Settlement`] without the price's source.
		#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct Settlement {
			pub price: Price,
			pub payout_per_contract: Balance,
			pub total_payout: Balance,
			pub collected: Balance,
			pub paid: Balance,
			pub dust: SignedBalance,
			pub longs_settled: u64,
			pub shorts_settled: u64,
			pub cursor: Option<BoundedVec<u8, ConstU32<MAX_CURSOR_LEN>>>,
		}

		/// Version 2's parameters.
		#[frame_support::storage_alias]
		pub type Params<T: Config> = StorageValue<Pallet<T>, OptionsParams>;

		/// Version 2's settlement records.
		#[frame_support::storage_alias]
		pub type Settlements<T: Config> = StorageMap<Pallet<T>, Twox64Concat, SeriesId, Settlement>;
	}

	/// Version 3's parameters from version 2's: the new fields at their defaults (in version 3's
	/// layout, [`crate::migrations::v4::v3::OptionsParams`]).
	pub fn migrate_params(old: v2::OptionsParams) -> crate::migrations::v4::v3::OptionsParams {
		crate::migrations::v4::v3::OptionsParams {
			maker_fee_rate: old.maker_fee_rate,
			taker_fee_rate: old.taker_fee_rate,
			im_base: old.im_base,
			im_min: old.im_min,
			mm_rate: old.mm_rate,
			rate: old.rate,
			settlement_window: old.settlement_window,
			expiry_interval: old.expiry_interval,
			expiry_offset: old.expiry_offset,
			min_time_to_expiry: old.min_time_to_expiry,
			price_band_rate: old.price_band_rate,
			price_band_floor: old.price_band_floor,
			tick_size: old.tick_size,
			min_order_quantity: old.min_order_quantity,
			min_twap_coverage: DEFAULT_MIN_TWAP_COVERAGE,
			settlement_lookback: DEFAULT_SETTLEMENT_LOOKBACK,
			settlement_price_band: DEFAULT_SETTLEMENT_PRICE_BAND,
		}
	}

	/// Version 3's settlement record from version 2's: priced by the TWAP.
	pub fn migrate_settlement(old: v2::Settlement) -> Settlement {
		Settlement {
			price: old.price,
			source: SettlementSource::Twap,
			payout_per_contract: old.payout_per_contract,
			total_payout: old.total_payout,
			fund_shortfall: 0,
			collected: old.collected,
			paid: old.paid,
			dust: old.dust,
			longs_settled: old.longs_settled,
			shorts_settled: old.shorts_settled,
			cursor: old.cursor,
		}
	}

	/// The migration's body; run it through [`MigrateV2ToV3`].
	pub struct MigrateToV3<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads: u64 = 2;
			let mut writes: u64 = 0;
			if let Some(old) = v2::Params::<T>::get() {
				crate::migrations::v4::v3::Params::<T>::put(migrate_params(old));
				writes = writes.saturating_add(1);
			}
			Settlements::<T>::translate::<v2::Settlement, _>(|_, old| {
				reads = reads.saturating_add(1);
				writes = writes.saturating_add(1);
				Some(migrate_settlement(old))
			});
			for (_, id) in ActiveSeries::<T>::get() {
				reads = reads.saturating_add(1);
				let Some(mut info) = Series::<T>::get(id) else { continue };
				if info.status == (SeriesStatus::Expired { price_wait_reported: true }) {
					info.status = SeriesStatus::Expired { price_wait_reported: false };
					Series::<T>::insert(id, info);
					writes = writes.saturating_add(1);
				}
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}

		/// The number of settlement records, the sum of their `paid`, and whether the
		/// parameters exist.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let (count, paid) = v2::Settlements::<T>::iter_values()
				.fold((0u64, 0u128), |(count, paid), st| {
					(count.saturating_add(1), paid.saturating_add(st.paid))
				});
			Ok((count, paid, v2::Params::<T>::exists()).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (count, paid, had_params) =
				<(u64, u128, bool)>::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			// `iter_values` skips the entries that do not decode in the new layout.
			let (count_after, paid_after) = Settlements::<T>::iter_values()
				.fold((0u64, 0u128), |(count, paid), st| {
					(count.saturating_add(1), paid.saturating_add(st.paid))
				});
			ensure!(count_after == count, "settlement records lost by the migration");
			ensure!(paid_after == paid, "settlement records changed by the migration");
			ensure!(Params::<T>::exists() == had_params, "parameters lost by the migration");
			if let Some(p) = crate::migrations::v4::v3::Params::<T>::get() {
				Pallet::<T>::check_bounds(&crate::migrations::v4::migrate_params(p))
					.map_err(|_| "migrated parameters out of bounds")?;
			}
			for (_, id) in ActiveSeries::<T>::get() {
				let status = Series::<T>::get(id).map(|s| s.status);
				ensure!(
					status != Some(SeriesStatus::Expired { price_wait_reported: true }),
					"a series still waits for the risk admin without a new lookup"
				);
			}
			// The pallet's invariants read version 4's layout: checked after `v4`.
			Ok(())
		}
	}

	/// Version 2 -> 3 of the options pallet, run once (the storage version guards it).
	pub type MigrateV2ToV3<T> =
		VersionedMigration<2, 3, MigrateToV3<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

/// Version 3 -> 4: the insurance fund's inventory is unwound (`unwind.rs`): [`OptionsParams`]
/// gains `unwind_spread` at its default ([`DEFAULT_UNWIND_SPREAD`], 1%). The new maps
/// ([`FundQuotes`], [`UnwindCursor`]) start empty.
///
/// Single block: one read and one write of the parameters.
pub mod v4 {
	use crate::{pallet::*, types::*};
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{Get, UncheckedOnRuntimeUpgrade},
	};
	use solvent_primitives::{Balance, Moment};
	use sp_arithmetic::{FixedI128, Permill};

	/// The storage layout of version 3.
	pub mod v3 {
		use super::*;

		/// [`OptionsParams`] before `unwind_spread`.
		#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct OptionsParams {
			pub maker_fee_rate: Permill,
			pub taker_fee_rate: Permill,
			pub im_base: Permill,
			pub im_min: Permill,
			pub mm_rate: Permill,
			pub rate: FixedI128,
			pub settlement_window: Moment,
			pub expiry_interval: Moment,
			pub expiry_offset: Moment,
			pub min_time_to_expiry: Moment,
			pub price_band_rate: Permill,
			pub price_band_floor: Permill,
			pub tick_size: Balance,
			pub min_order_quantity: u64,
			pub min_twap_coverage: Permill,
			pub settlement_lookback: Moment,
			pub settlement_price_band: Permill,
		}

		/// Version 3's parameters.
		#[frame_support::storage_alias]
		pub type Params<T: Config> = StorageValue<Pallet<T>, OptionsParams>;
	}

	/// Version 4's parameters from version 3's: `unwind_spread` at its default.
	pub fn migrate_params(old: v3::OptionsParams) -> OptionsParams {
		OptionsParams {
			maker_fee_rate: old.maker_fee_rate,
			taker_fee_rate: old.taker_fee_rate,
			im_base: old.im_base,
			im_min: old.im_min,
			mm_rate: old.mm_rate,
			rate: old.rate,
			settlement_window: old.settlement_window,
			expiry_interval: old.expiry_interval,
			expiry_offset: old.expiry_offset,
			min_time_to_expiry: old.min_time_to_expiry,
			price_band_rate: old.price_band_rate,
			price_band_floor: old.price_band_floor,
			tick_size: old.tick_size,
			min_order_quantity: old.min_order_quantity,
			min_twap_coverage: old.min_twap_coverage,
			settlement_lookback: old.settlement_lookback,
			settlement_price_band: old.settlement_price_band,
			unwind_spread: DEFAULT_UNWIND_SPREAD,
		}
	}

	/// The migration's body; run it through [`MigrateV3ToV4`].
	pub struct MigrateToV4<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV4<T> {
		fn on_runtime_upgrade() -> Weight {
			match v3::Params::<T>::get() {
				Some(old) => {
					Params::<T>::put(migrate_params(old));
					T::DbWeight::get().reads_writes(1, 1)
				}
				None => T::DbWeight::get().reads(1),
			}
		}

		/// Version 3's parameters, if any.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(v3::Params::<T>::get().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = Option::<v3::OptionsParams>::decode(&mut &state[..])
				.map_err(|_| "pre-upgrade state")?;
			if let Some(old) = before {
				ensure!(
					Params::<T>::get() == migrate_params(old),
					"parameters changed by the migration"
				);
				Pallet::<T>::check_bounds(&Params::<T>::get())
					.map_err(|_| "migrated parameters out of bounds")?;
			}
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 3 -> 4 of the options pallet, run once (the storage version guards it).
	pub type MigrateV3ToV4<T> =
		VersionedMigration<3, 4, MigrateToV4<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
