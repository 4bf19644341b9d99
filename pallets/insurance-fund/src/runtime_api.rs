//! Runtime API of the insurance fund: the fund's balance, value, shares, share value and
//! coverage ratio, and a staker's position. Implemented in the runtime by calling
//! [`crate::Pallet::fund_info`] and [`crate::Pallet::staker_info`].

use crate::types::{FundInfo, StakerInfo};
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Read-only view of the insurance fund.
	pub trait InsuranceFundApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// Cash, value (equity), total shares, USD per whole share, coverage ratio, payout cap
		/// and cover paid in the current block, fee share. USD amounts in 6-decimal units.
		fn fund_info() -> FundInfo;
		/// Active shares, pending unstake (shares and unlock block) and the USD units they are
		/// worth now.
		fn staker_info(who: AccountId) -> StakerInfo<BlockNumber>;
	}
}
