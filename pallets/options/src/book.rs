//! The order book: resting orders, each book side in price-time priority (a full side takes a
//! better-priced order by evicting its worst one), and each account's open-order index (the ids
//! and, per series, the totals its open-order margin is computed from).

use crate::{pallet::*, types::*};
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult},
	traits::Get,
};
use solvent_primitives::{Balance, OrderId, ProtocolAccounts, SeriesId, Side};

/// Whether `price` is strictly better than `than` for a resting order on `side` (a higher bid,
/// a lower ask).
fn better(side: Side, price: Balance, than: Balance) -> bool {
	match side {
		Side::Buy => price > than,
		Side::Sell => price < than,
	}
}

impl<T: Config> Pallet<T> {
	/// Put the unfilled part of an order in its book side. A full side takes it only if it is
	/// better priced than the side's worst order (the last: lowest bid or highest ask, at one
	/// price the latest), which is cancelled ([`CancelReason::Evicted`]); so a side can never
	/// be frozen by orders priced away from the market. Returns whether an order was evicted.
	///
	/// Errors: [`Error::TooManyPositions`] (a new series would take the owner's footprint beyond
	/// `MaxPositionsPerAccount`), [`Error::TooManyOpenOrders`], [`Error::BookSideFull`] (the
	/// side is full of orders at least as good).
	pub(crate) fn rest_order(
		order_id: OrderId,
		order: Order<T::AccountId>,
	) -> Result<bool, DispatchError> {
		let who = &order.owner;
		// Verify first.
		let index = AccountOrders::<T>::get(who);
		if !index.has_series(order.series)
			&& !Positions::<T>::contains_key(order.series, who)
			&& !T::ProtocolAccounts::is_protocol_account(who)
		{
			ensure!(
				Self::footprint(who) < T::MaxPositionsPerAccount::get(),
				Error::<T>::TooManyPositions
			);
		}
		let mut own = Book::<T>::get(order.series, order.side);
		let full = own.len() >= T::MaxOrdersPerSide::get() as usize;
		let worst = if full {
			let worst = own.last().copied().ok_or(Error::<T>::BookSideFull)?;
			ensure!(better(order.side, order.price, worst.price), Error::<T>::BookSideFull);
			Some(worst)
		} else {
			None
		};
		let evicts_own =
			worst.and_then(|w| Orders::<T>::get(w.order_id)).is_some_and(|o| o.owner == *who);
		ensure!(
			index.ids.len() < T::MaxOpenOrdersPerAccount::get() as usize || evicts_own,
			Error::<T>::TooManyOpenOrders
		);

		// Then write.
		if let Some(worst) = worst {
			own.pop();
			if let Some(evicted) = Orders::<T>::get(worst.order_id) {
				Self::drop_order(worst.order_id, &evicted, CancelReason::Evicted);
			}
		}
		// Best price first; at one price, behind the earlier orders (time priority).
		let at = match order.side {
			Side::Buy => own.partition_point(|e| e.price >= order.price),
			Side::Sell => own.partition_point(|e| e.price <= order.price),
		};
		own.try_insert(at, BookEntry { order_id, price: order.price })
			.map_err(|_| Error::<T>::BookSideFull)?;
		AccountOrders::<T>::try_mutate(who, |index| -> DispatchResult {
			index.ids.try_push(order_id).map_err(|_| Error::<T>::TooManyOpenOrders)?;
			Self::series_totals(index, order.series)?.side_mut(order.side).apply(
				order.price,
				order.remaining,
				true,
			);
			Ok(())
		})?;
		Book::<T>::insert(order.series, order.side, own);
		Orders::<T>::insert(order_id, order);
		Ok(worst.is_some())
	}

	/// The totals of `series` in `index`, added if missing.
	pub(crate) fn series_totals(
		index: &mut OpenOrders<T::MaxOpenOrdersPerAccount>,
		series: SeriesId,
	) -> Result<&mut SeriesOrders, DispatchError> {
		let at = match index.by_series.iter().position(|s| s.series == series) {
			Some(at) => at,
			None => {
				index
					.by_series
					.try_push(SeriesOrders {
						series,
						bids: Default::default(),
						asks: Default::default(),
					})
					.map_err(|_| Error::<T>::TooManyOpenOrders)?;
				index.by_series.len().saturating_sub(1)
			}
		};
		index.by_series.get_mut(at).ok_or_else(|| Error::<T>::TooManyOpenOrders.into())
	}

	/// Record a fill of `quantity` contracts of the resting order `order_id`: its remainder in
	/// [`Orders`] (removed when filled) and its owner's totals. The caller keeps the book side.
	pub(crate) fn note_maker_fill(
		order_id: OrderId,
		order: &mut Order<T::AccountId>,
		quantity: u64,
	) {
		order.remaining = order.remaining.saturating_sub(quantity);
		let done = order.remaining == 0;
		Self::update_index(
			&order.owner,
			order.series,
			order.side,
			order.price,
			quantity,
			done.then_some(order_id),
		);
		if done {
			Orders::<T>::remove(order_id);
			Self::forget_fund_quote(order_id, order);
		} else {
			Orders::<T>::insert(order_id, &*order);
		}
	}

	/// Take `quantity` contracts at `price` off `who`'s totals of `series`/`side` and, if
	/// `removed` is given, that order id off its ids; an empty index is removed.
	fn update_index(
		who: &T::AccountId,
		series: SeriesId,
		side: Side,
		price: Balance,
		quantity: u64,
		removed: Option<OrderId>,
	) {
		AccountOrders::<T>::mutate_exists(who, |maybe| {
			let Some(index) = maybe else { return };
			if let Some(id) = removed {
				index.ids.retain(|x| *x != id);
			}
			if let Some(totals) = index.by_series.iter_mut().find(|s| s.series == series) {
				totals.side_mut(side).apply(price, quantity, false);
			}
			index.by_series.retain(|s| !s.is_empty());
			if index.is_empty() {
				*maybe = None;
			}
		});
	}

	/// Cancel `who`'s resting order `order_id` (rules in [`Pallet::cancel_order`]).
	pub(crate) fn do_cancel_order(who: &T::AccountId, order_id: OrderId) -> DispatchResult {
		let order = Orders::<T>::get(order_id).ok_or(Error::<T>::UnknownOrder)?;
		ensure!(order.owner == *who, Error::<T>::NotOrderOwner);
		Self::remove_from_book(order.series, order.side, order_id);
		Self::drop_order(order_id, &order, CancelReason::ByOwner);
		Ok(())
	}

	/// Cancel every resting order of `who` (at most `MaxOpenOrdersPerAccount`). Returns how
	/// many.
	pub(crate) fn cancel_all_orders(who: &T::AccountId, reason: CancelReason) -> u32 {
		let index = AccountOrders::<T>::take(who);
		let mut n: u32 = 0;
		for id in index.ids {
			if let Some(order) = Orders::<T>::take(id) {
				Self::remove_from_book(order.series, order.side, id);
				Self::forget_fund_quote(id, &order);
				Self::deposit_event(Event::OrderCancelled {
					order_id: id,
					who: order.owner,
					series: order.series,
					remaining: order.remaining,
					reason,
				});
				n = n.saturating_add(1);
			}
		}
		n
	}

	/// Remove a resting order from [`Orders`] and its owner's index and emit
	/// [`Event::OrderCancelled`]; the caller removes its book entry.
	pub(crate) fn drop_order(order_id: OrderId, order: &Order<T::AccountId>, reason: CancelReason) {
		Orders::<T>::remove(order_id);
		Self::forget_fund_quote(order_id, order);
		Self::update_index(
			&order.owner,
			order.series,
			order.side,
			order.price,
			order.remaining,
			Some(order_id),
		);
		Self::deposit_event(Event::OrderCancelled {
			order_id,
			who: order.owner.clone(),
			series: order.series,
			remaining: order.remaining,
			reason,
		});
	}

	/// Drop the insurance fund's [`FundQuotes`] entry of `order`'s series if `order_id` is the
	/// fund's quote there: the order left the book.
	fn forget_fund_quote(order_id: OrderId, order: &Order<T::AccountId>) {
		if order.owner == T::InsuranceFundAccount::get()
			&& FundQuotes::<T>::get(order.series) == Some(order_id)
		{
			FundQuotes::<T>::remove(order.series);
		}
	}

	/// Take the resting order `order_id` down to `remaining` contracts (no more than it has):
	/// its [`Orders`] entry and its owner's totals. The book entry (id and price) is unchanged.
	pub(crate) fn shrink_order(order_id: OrderId, order: &mut Order<T::AccountId>, remaining: u64) {
		let removed = order.remaining.saturating_sub(remaining);
		if removed == 0 {
			return;
		}
		order.remaining = order.remaining.saturating_sub(removed);
		Self::update_index(&order.owner, order.series, order.side, order.price, removed, None);
		Orders::<T>::insert(order_id, &*order);
	}

	/// Remove `order_id` from its book side (removing an empty side).
	pub(crate) fn remove_from_book(series: SeriesId, side: Side, order_id: OrderId) {
		Book::<T>::mutate_exists(series, side, |maybe| {
			if let Some(entries) = maybe {
				entries.retain(|e| e.order_id != order_id);
				if entries.is_empty() {
					*maybe = None;
				}
			}
		});
	}
}
