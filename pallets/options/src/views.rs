//! Read-only views behind the runtime API, and the invariants checked by `try_state`.

use crate::{mark::contracts_value, pallet::*, types::*};
use alloc::vec::Vec;
use solvent_option_pricing::Greeks;
use solvent_primitives::{AssetId, SeriesId, Side};
use sp_arithmetic::{traits::Saturating, FixedI128, FixedPointNumber, FixedU128, Rounding};

/// `10^12`: from 18 decimals to USD units (6 decimals).
const TO_UNITS: i128 = 1_000_000_000_000;

fn to_signed_fixed(v: FixedU128) -> FixedI128 {
	FixedI128::from_inner(i128::try_from(v.into_inner()).unwrap_or(i128::MAX))
}

/// Greeks per contract: the per-unit Greeks times the contract size.
pub fn per_contract(g: &Greeks, contract_size: FixedU128) -> Greeks {
	let size = to_signed_fixed(contract_size);
	Greeks {
		price: g.price.saturating_mul(contract_size),
		delta: g.delta.saturating_mul(size),
		gamma: g.gamma.saturating_mul(size),
		theta: g.theta.saturating_mul(size),
		vega: g.vega.saturating_mul(size),
	}
}

impl PortfolioGreeks {
	fn add(&mut self, o: &PortfolioGreeks) {
		self.delta = self.delta.saturating_add(o.delta);
		self.gamma = self.gamma.saturating_add(o.gamma);
		self.theta = self.theta.saturating_add(o.theta);
		self.vega = self.vega.saturating_add(o.vega);
	}
}

impl<T: Config> Pallet<T> {
	/// Every series ever listed, by id.
	pub fn series_list() -> Vec<SeriesView> {
		let mut out: Vec<SeriesView> = Series::<T>::iter()
			.map(|(id, info)| SeriesView {
				id,
				terms: info.terms,
				status: info.status,
				open_interest: info.open_interest,
			})
			.collect();
		out.sort_by_key(|v| v.id);
		out
	}

	/// Mark price and Greeks of series `id` now; `None` if unknown or a price is unavailable.
	pub fn mark_view(id: SeriesId) -> Option<MarkView> {
		let info = Series::<T>::get(id)?;
		let m = Self::unit_mark(id, &info, Self::now(), true).ok()?;
		let pc = per_contract(&m.greeks, info.terms.contract_size);
		Some(MarkView {
			series: id,
			spot: m.spot,
			volatility: m.volatility,
			time_to_expiry: m.time_to_expiry,
			per_unit: m.greeks,
			per_contract: pc,
			mark_per_contract: contracts_value(
				1,
				info.terms.contract_size,
				m.greeks.price,
				Rounding::Down,
			),
			theta_per_contract: pc.theta.into_inner() / TO_UNITS,
			vega_per_contract: pc.vega.into_inner() / TO_UNITS,
		})
	}

	/// Positions of `who` with their risk and Greeks, and totals.
	pub fn account_view(who: &T::AccountId) -> AccountView {
		let now = Self::now();
		let params = Params::<T>::get();
		let mut positions = Vec::new();
		let mut totals = PortfolioGreeks::default();
		let mut by_underlying: Vec<(AssetId, PortfolioGreeks)> = Vec::new();
		for id in AccountSeries::<T>::get(who) {
			let (Some(info), Some(q)) = (Series::<T>::get(id), Positions::<T>::get(id, who)) else {
				continue;
			};
			let mark = Self::unit_mark(id, &info, now, true).ok();
			let risk = mark
				.as_ref()
				.map(|m| Self::position_risk(id, &info.terms, q, m.greeks.price, m.spot, &params));
			let greeks = mark.as_ref().map(|m| {
				let pc = per_contract(&m.greeks, info.terms.contract_size);
				let n = FixedI128::saturating_from_integer(q);
				PortfolioGreeks {
					delta: pc.delta.saturating_mul(n),
					gamma: pc.gamma.saturating_mul(n),
					theta: pc.theta.saturating_mul(n),
					vega: pc.vega.saturating_mul(n),
				}
			});
			if let Some(g) = &greeks {
				totals.add(g);
				match by_underlying.iter_mut().find(|(a, _)| *a == info.terms.underlying) {
					Some((_, t)) => t.add(g),
					None => by_underlying.push((info.terms.underlying, *g)),
				}
			}
			positions.push(PositionView {
				series: id,
				terms: info.terms,
				quantity: q,
				risk,
				greeks,
			});
		}
		let margin = Self::portfolio(who).ok().map(|p| p.requirement);
		AccountView { positions, totals, totals_by_underlying: by_underlying, margin }
	}

	/// The book of series `id` aggregated by price level, at most `depth` levels per side.
	pub fn order_book_view(id: SeriesId, depth: u32) -> Option<OrderBookView> {
		Series::<T>::get(id)?;
		let levels = |side: Side| {
			let mut out: Vec<PriceLevel> = Vec::new();
			for entry in Book::<T>::get(id, side) {
				let qty = Orders::<T>::get(entry.order_id).map_or(0, |o| o.remaining);
				match out.last_mut() {
					Some(level) if level.price == entry.price => {
						level.quantity = level.quantity.saturating_add(qty);
						level.orders = level.orders.saturating_add(1);
					}
					_ => {
						if out.len() >= depth as usize {
							break;
						}
						out.push(PriceLevel { price: entry.price, quantity: qty, orders: 1 });
					}
				}
			}
			out
		};
		Some(OrderBookView { series: id, bids: levels(Side::Buy), asks: levels(Side::Sell) })
	}

	/// Resting orders of `who`, oldest first.
	pub fn open_orders(who: &T::AccountId) -> Vec<OrderView<T::AccountId>> {
		AccountOrders::<T>::get(who)
			.ids
			.into_iter()
			.filter_map(|id| Orders::<T>::get(id).map(|order| OrderView { id, order }))
			.collect()
	}

	/// The pallet's invariants:
	/// - per unsettled series: open interest == sum of long positions (+ longs already
	///   settled) == sum of short positions (+ shorts already settled);
	/// - no zero position; [`AccountSeries`] lists exactly the series with a position;
	/// - every book side sorted (best price first, then lower id), each entry a resting
	///   order of that series, side and price with a non-zero remainder; every order in
	///   exactly one book entry and in its owner's [`AccountOrders`], and vice versa; each
	///   account's per-series order totals equal the sums over its orders;
	/// - a trader's footprint (series with a position or a resting order) is at most
	///   `MaxPositionsPerAccount`;
	/// - [`ActiveSeries`] sorted and exactly the series not settled;
	/// - per settled series: `paid + dust == collected`, every contract settled;
	/// - no resting order in a series waiting for the risk admin's settlement price.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::{ensure, traits::Get};
		use solvent_primitives::ProtocolAccounts;
		use solvent_primitives::SignedBalance;

		// Positions and the account index.
		let mut longs: alloc::collections::BTreeMap<SeriesId, u128> = Default::default();
		let mut shorts: alloc::collections::BTreeMap<SeriesId, u128> = Default::default();
		let mut position_count: usize = 0;
		for (id, who, q) in Positions::<T>::iter() {
			ensure!(q != 0, "zero position stored");
			ensure!(AccountSeries::<T>::get(&who).contains(&id), "position missing from index");
			let side = if q > 0 { &mut longs } else { &mut shorts };
			*side.entry(id).or_default() += u128::from(q.unsigned_abs());
			position_count += 1;
		}
		let mut indexed: usize = 0;
		for (who, ids) in AccountSeries::<T>::iter() {
			ensure!(!ids.is_empty(), "empty account index stored");
			for id in ids.iter() {
				ensure!(Positions::<T>::contains_key(id, &who), "index lists a missing position");
			}
			let mut sorted = ids.to_vec();
			sorted.sort();
			sorted.dedup();
			ensure!(sorted.len() == ids.len(), "duplicate series in account index");
			indexed += ids.len();
		}
		ensure!(indexed == position_count, "account index and positions differ");

		// Series, open interest, settlement records.
		let active = ActiveSeries::<T>::get();
		ensure!(active.windows(2).all(|w| w[0] < w[1]), "active series not sorted");
		for (id, info) in Series::<T>::iter() {
			let is_active = active.contains(&(info.terms.expiry, id));
			let long = longs.get(&id).copied().unwrap_or(0);
			let short = shorts.get(&id).copied().unwrap_or(0);
			let oi = u128::from(info.open_interest);
			match info.status {
				SeriesStatus::Trading | SeriesStatus::Expired { .. } => {
					ensure!(is_active, "unsettled series not active");
					ensure!(long == oi && short == oi, "open interest != sum of positions");
				}
				SeriesStatus::Settling => {
					ensure!(is_active, "settling series not active");
					let st = Settlements::<T>::get(id).ok_or("settling without record")?;
					ensure!(
						long + u128::from(st.longs_settled) == oi
							&& short + u128::from(st.shorts_settled) == oi,
						"open interest != remaining + settled positions"
					);
				}
				SeriesStatus::Settled => {
					ensure!(!is_active, "settled series still active");
					ensure!(long == 0 && short == 0, "positions left in a settled series");
					let st = Settlements::<T>::get(id).ok_or("settled without record")?;
					ensure!(
						u128::from(st.longs_settled) == oi && u128::from(st.shorts_settled) == oi,
						"not every contract settled"
					);
					let out = SignedBalance::try_from(st.paid)
						.map_err(|_| "overflow")?
						.saturating_add(st.dust);
					ensure!(
						SignedBalance::try_from(st.collected).map_err(|_| "overflow")? == out,
						"settlement not conserved"
					);
					ensure!(st.collected <= st.total_payout, "collected more than the payout");
					ensure!(
						st.total_payout
							== st
								.payout_per_contract
								.saturating_mul(u128::from(info.open_interest)),
						"total payout != open interest x payout per contract"
					);
				}
			}
			ensure!(SeriesIndex::<T>::get(info.terms) == Some(id), "series index mismatch");
		}
		ensure!(
			active.iter().all(|(_, id)| Series::<T>::contains_key(id)),
			"active series unknown"
		);

		// Books, orders and the per-account order index.
		let mut booked: usize = 0;
		for (id, side, entries) in Book::<T>::iter() {
			ensure!(!entries.is_empty(), "empty book side stored");
			let info = Series::<T>::get(id).ok_or("book of an unknown series")?;
			ensure!(
				matches!(
					info.status,
					SeriesStatus::Trading | SeriesStatus::Expired { price_wait_reported: false }
				),
				"book of a settling series or of one waiting for the risk admin's price"
			);
			let sorted = entries.windows(2).all(|w| {
				let better = match side {
					Side::Buy => w[0].price > w[1].price,
					Side::Sell => w[0].price < w[1].price,
				};
				better || (w[0].price == w[1].price && w[0].order_id < w[1].order_id)
			});
			ensure!(sorted, "book side not in price-time order");
			for e in entries.iter() {
				let o = Orders::<T>::get(e.order_id).ok_or("book entry without order")?;
				ensure!(
					o.series == id && o.side == side && o.price == e.price,
					"book entry does not match its order"
				);
				ensure!(o.remaining > 0 && o.remaining <= o.quantity, "bad order remainder");
				ensure!(
					AccountOrders::<T>::get(&o.owner).ids.contains(&e.order_id),
					"order missing from account index"
				);
			}
			booked += entries.len();
		}
		ensure!(Orders::<T>::iter().count() == booked, "orders not all in the book");
		let mut account_orders: usize = 0;
		for (who, index) in AccountOrders::<T>::iter() {
			ensure!(!index.is_empty(), "empty account order index stored");
			let mut totals: alloc::collections::BTreeMap<SeriesId, SeriesOrders> =
				Default::default();
			for id in index.ids.iter() {
				let o = Orders::<T>::get(id).ok_or("account index lists a missing order")?;
				ensure!(o.owner == who, "order index of the wrong account");
				totals
					.entry(o.series)
					.or_insert(SeriesOrders {
						series: o.series,
						bids: Default::default(),
						asks: Default::default(),
					})
					.side_mut(o.side)
					.apply(o.price, o.remaining, true);
			}
			ensure!(index.by_series.len() == totals.len(), "order totals list other series");
			for s in index.by_series.iter() {
				ensure!(totals.get(&s.series) == Some(s), "order totals differ from the orders");
			}
			if !T::ProtocolAccounts::is_protocol_account(&who) {
				ensure!(
					Self::footprint(&who) <= T::MaxPositionsPerAccount::get(),
					"a trader's footprint exceeds MaxPositionsPerAccount"
				);
			}
			account_orders += index.ids.len();
		}
		for (who, ids) in AccountSeries::<T>::iter() {
			if !T::ProtocolAccounts::is_protocol_account(&who) {
				ensure!(
					ids.len() as u32 <= T::MaxPositionsPerAccount::get(),
					"a trader holds more than MaxPositionsPerAccount positions"
				);
			}
		}
		ensure!(account_orders == booked, "account order index and book differ");

		// The insurance fund's unwind quotes: one per series, each a resting order of the fund
		// in that series on the closing side of its position, for at most that position
		// (reduce-only), and every resting order of the fund is one of them.
		let fund = T::InsuranceFundAccount::get();
		let mut quotes: usize = 0;
		for (id, order_id) in FundQuotes::<T>::iter() {
			let o = Orders::<T>::get(order_id).ok_or("fund quote without order")?;
			ensure!(o.owner == fund && o.series == id, "fund quote of another account or series");
			let held = Positions::<T>::get(id, &fund).unwrap_or(0);
			ensure!(
				o.remaining <= Self::closable(held, o.side),
				"fund quote exceeds what closes the fund's position"
			);
			quotes += 1;
		}
		ensure!(
			AccountOrders::<T>::get(&fund).ids.len() == quotes,
			"a resting order of the fund is not its unwind quote"
		);
		Ok(())
	}
}
