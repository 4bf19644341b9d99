//! Runtime API of the options pallet: series, mark prices and Greeks, account positions with
//! Greeks and margin, order books and open orders. Implemented in the runtime by calling
//! [`crate::Pallet::series_list`], [`crate::Pallet::mark_view`],
//! [`crate::Pallet::account_view`], [`crate::Pallet::order_book_view`] and
//! [`crate::Pallet::open_orders`].

use crate::types::{AccountView, MarkView, OrderBookView, OrderView, SeriesView};
use alloc::vec::Vec;
use codec::Codec;
use solvent_primitives::SeriesId;

sp_api::decl_runtime_apis! {
	/// Read-only view of the options market. USD amounts in 6-decimal units, prices in USD per
	/// whole unit of the underlying (`FixedU128`), Greeks as in `solvent_option_pricing::Greeks`
	/// (theta per calendar day, vega per volatility point).
	pub trait OptionsApi<AccountId>
	where
		AccountId: Codec,
	{
		/// Every series listed, with its status and open interest, by id.
		fn series() -> Vec<SeriesView>;
		/// Mark price and Greeks (per unit and per contract) of a series now; `None` if the
		/// series is unknown or a price is unavailable.
		fn mark(series: SeriesId) -> Option<MarkView>;
		/// Positions of `who` with margin figures and Greeks, and portfolio totals.
		fn account(who: AccountId) -> AccountView;
		/// The book of a series aggregated by price level, at most `depth` levels per side
		/// (best first); `None` if the series is unknown.
		fn order_book(series: SeriesId, depth: u32) -> Option<OrderBookView>;
		/// Resting orders of `who`, oldest first.
		fn open_orders(who: AccountId) -> Vec<OrderView<AccountId>>;
	}
}
