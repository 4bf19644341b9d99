//! Runtime API of the price oracle: every tracked key's aggregate, status, age and the
//! feeders' last values. Implemented in the runtime by calling [`crate::Pallet::all_key_info`]
//! and [`crate::Pallet::key_info`].

use crate::types::KeyInfo;
use alloc::vec::Vec;
use codec::Codec;
use solvent_primitives::OracleKey;

sp_api::decl_runtime_apis! {
	/// Read-only view of the price oracle. Values are `FixedU128` (18 decimals): USD per whole
	/// unit for spot keys, annualized fractions for implied vol keys; ages and timestamps in ms.
	pub trait OracleApi<AccountId>
	where
		AccountId: Codec,
	{
		/// Every tracked key (keys fed at least once), sorted.
		fn values() -> Vec<KeyInfo<AccountId>>;
		/// One key; `None` if it was never fed.
		fn value(key: OracleKey) -> Option<KeyInfo<AccountId>>;
	}
}
