//! Runtime API of the margin pallet, for wallets and keepers (polkadot.js: `api.call.marginApi`).

use crate::types::{AccountView, CashIndex, CollateralParams, MarginParams};
use alloc::vec::Vec;
use codec::Codec;
use solvent_primitives::{AssetId, Balance};

sp_api::decl_runtime_apis! {
	/// Margin accounts and liquidation candidates.
	pub trait MarginApi<AccountId> where AccountId: Codec {
		/// Margin account of `who`: cash, collateral by asset, equity, initial and maintenance
		/// margin, health, liquidatable flag and positions. USD amounts in units of 10^-6 USD.
		fn account(who: AccountId) -> AccountView;
		/// Liquidatable accounts now, largest maintenance deficit first, at most `max`.
		fn liquidatable(max: u32) -> Vec<AccountId>;
		/// Accepted collateral assets and their parameters, and the liquidation parameters.
		fn params() -> (Vec<(AssetId, CollateralParams)>, MarginParams);
		/// Bad debt the insurance fund has taken over and not yet paid (its per-block payout
		/// cap), USD units, and the cash index (how much socialized losses have taken from
		/// positive cash: an account's cash stored at index one is worth `cash x value` now).
		fn losses() -> (Balance, CashIndex);
	}
}
