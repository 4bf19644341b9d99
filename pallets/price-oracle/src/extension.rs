//! [`CheckFeeder`]: the transaction extension that keeps invalid feeds out of the transaction
//! pool, so that they never pay a fee or bump a nonce.
//!
//! Only a top-level `PriceOracle::feed_values` call is inspected (a feed nested in a batch or
//! proxy call is checked at dispatch, and pays as usual). Its validation runs
//! [`Pallet::check_feed`], the same checks as the dispatch, and maps the errors to:
//! - not signed, or not by a feeder: `InvalidTransaction::BadSigner`;
//! - a second feed by the feeder in the block being built: `InvalidTransaction::Stale`;
//! - a malformed feed: `InvalidTransaction::Custom(code)` with the codes below.
//!
//! Every other call passes untouched. The extension carries no data: its explicit payload and
//! its implicit (signed) data are both `()`, so a client that does not know it can treat it as
//! a no-op.
//!
//! Add it to the runtime's `TxExtension` tuple anywhere (all extensions validate before any
//! prepares, so it rejects before `CheckNonce` and `ChargeTransactionPayment` act).

use crate::{Call, Config, Error, Pallet, WeightInfo};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionSource, traits::IsSubType, traits::OriginTrait, weights::Weight,
	DefaultNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, Implication, TransactionExtension, ValidateResult},
	transaction_validity::{InvalidTransaction, TransactionValidityError},
};

/// `InvalidTransaction::Custom` code: the feed has no values.
pub const INVALID_EMPTY_FEED: u8 = 80;
/// `InvalidTransaction::Custom` code: the feed has the same key twice.
pub const INVALID_DUPLICATE_KEY: u8 = 81;
/// `InvalidTransaction::Custom` code: a value is zero.
pub const INVALID_ZERO_VALUE: u8 = 82;
/// `InvalidTransaction::Custom` code: an implied vol is above `MAX_IMPLIED_VOL`.
pub const INVALID_IMPLIED_VOL_TOO_HIGH: u8 = 83;
/// `InvalidTransaction::Custom` code: a key is not supported.
pub const INVALID_UNKNOWN_KEY: u8 = 84;
/// `InvalidTransaction::Custom` code: the feed would track more than `MaxKeys` keys.
pub const INVALID_TOO_MANY_KEYS: u8 = 85;
/// `InvalidTransaction::Custom` code: any other rejection of the feed.
pub const INVALID_FEED: u8 = 86;

/// Rejects invalid `feed_values` transactions during validation. See the module docs.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckFeeder<T>(PhantomData<T>);

impl<T: Config + Send + Sync> CheckFeeder<T> {
	/// The extension (it carries no data).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for CheckFeeder<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckFeeder")
	}
}

/// The transaction validity error of a feed rejected by [`Pallet::check_feed`].
pub fn feed_validity_error<T: Config>(error: Error<T>) -> TransactionValidityError {
	let invalid = match error {
		Error::<T>::NotFeeder => InvalidTransaction::BadSigner,
		Error::<T>::AlreadyFed => InvalidTransaction::Stale,
		Error::<T>::EmptyFeed => InvalidTransaction::Custom(INVALID_EMPTY_FEED),
		Error::<T>::DuplicateKey => InvalidTransaction::Custom(INVALID_DUPLICATE_KEY),
		Error::<T>::ZeroValue => InvalidTransaction::Custom(INVALID_ZERO_VALUE),
		Error::<T>::ImpliedVolTooHigh => InvalidTransaction::Custom(INVALID_IMPLIED_VOL_TOO_HIGH),
		Error::<T>::UnknownKey => InvalidTransaction::Custom(INVALID_UNKNOWN_KEY),
		Error::<T>::TooManyKeys => InvalidTransaction::Custom(INVALID_TOO_MANY_KEYS),
		_ => InvalidTransaction::Custom(INVALID_FEED),
	};
	invalid.into()
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for CheckFeeder<T>
where
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "CheckFeeder";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		match call.is_sub_type() {
			Some(Call::feed_values { .. }) => T::WeightInfo::check_feeder(),
			_ => Weight::zero(),
		}
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Implication,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, <T as frame_system::Config>::RuntimeCall> {
		if let Some(Call::feed_values { values }) = call.is_sub_type() {
			let Some(who) = origin.as_signer() else {
				return Err(InvalidTransaction::BadSigner.into());
			};
			Pallet::<T>::check_feed(who, values).map_err(feed_validity_error::<T>)?;
		}
		Ok((Default::default(), (), origin))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
