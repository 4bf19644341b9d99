//! Benchmarks of the options pallet (frame-benchmarking v2). Every path is set up at its worst
//! case: full books, full per-account indexes, margin checks on every fill, transfers on every
//! settled position. The runtime supplies prices, time and cash through
//! [`crate::BenchmarkHelper`].

#![cfg(feature = "runtime-benchmarks")]

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use solvent_primitives::{AssetId, Balance, Moment, OptionKind, PositionProvider, SeriesId, Side};
use sp_arithmetic::{traits::Saturating, FixedI128, FixedU128, Permill};

const USD: Balance = 1_000_000;
/// 2024-01-01 00:00 UTC.
const T0: Moment = 1_704_067_200_000;
const ASSET: AssetId = 2;

/// Time and prices: BTC-like underlying at 60,000 USD, 80% implied volatility.
fn setup_market<T: Config>() {
	T::BenchmarkHelper::set_time(T0);
	T::BenchmarkHelper::set_prices(
		ASSET,
		FixedU128::from_u32(60_000),
		FixedU128::from_rational(8, 10),
	);
}

/// The `k`-th expiry on the schedule at or after `now + min_time_to_expiry` (k = 0 first).
fn expiry<T: Config>(k: u64) -> Moment {
	let p = Params::<T>::get();
	let base = T0.saturating_add(p.min_time_to_expiry);
	let mut e = base - base % p.expiry_interval + p.expiry_offset;
	while e < base {
		e = e.saturating_add(p.expiry_interval);
	}
	e.saturating_add(k.saturating_mul(p.expiry_interval))
}

fn terms(kind: OptionKind, strike: u32, expiry: Moment) -> SeriesTerms {
	SeriesTerms {
		underlying: ASSET,
		kind,
		strike: FixedU128::from_u32(strike),
		expiry,
		contract_size: FixedU128::from_u32(1),
	}
}

fn new_series<T: Config>(
	kind: OptionKind,
	strike: u32,
	k: u64,
) -> Result<SeriesId, BenchmarkError> {
	Pallet::<T>::do_list_series(terms(kind, strike, expiry::<T>(k)))
		.map_err(|_| BenchmarkError::Stop("listing failed"))
}

/// An account with plenty of cash.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	T::BenchmarkHelper::fund_account(&who, 1_000_000_000 * USD);
	who
}

/// `long` buys and `short` writes `qty` contracts of `id` (no premium, no checks).
fn open_pair<T: Config>(
	id: SeriesId,
	long: &T::AccountId,
	short: &T::AccountId,
	qty: i64,
) -> Result<(), BenchmarkError> {
	let info = Series::<T>::get(id).ok_or(BenchmarkError::Stop("no series"))?;
	let stop = |_| BenchmarkError::Stop("position failed");
	let mut d = Pallet::<T>::change_position(id, &info.terms, long, qty).map_err(stop)?;
	d += Pallet::<T>::change_position(id, &info.terms, short, -qty).map_err(stop)?;
	Pallet::<T>::apply_open_interest(id, d).map_err(stop)
}

fn place<T: Config>(
	who: &T::AccountId,
	id: SeriesId,
	side: Side,
	price: Balance,
	qty: u64,
) -> Result<(), BenchmarkError> {
	Pallet::<T>::do_place_order(who, id, side, price, qty, TimeInForce::GoodTilCancelled)
		.map(|_| ())
		.map_err(|_| BenchmarkError::Stop("order failed"))
}

/// The lowest (`upper = false`) or highest premium on the tick inside series `id`'s band now.
fn band_price<T: Config>(id: SeriesId, upper: bool) -> Result<Balance, BenchmarkError> {
	let info = Series::<T>::get(id).ok_or(BenchmarkError::Stop("no series"))?;
	let mark = Pallet::<T>::current_mark(id, &info).map_err(|_| BenchmarkError::Stop("no mark"))?;
	let params = Params::<T>::get();
	let size = info.terms.contract_size;
	let band = Pallet::<T>::price_band(size, mark.greeks.price, mark.spot, &params);
	let tick = Pallet::<T>::tick(size, &params);
	Ok(if upper { band.upper / tick * tick } else { band.lower.div_ceil(tick) * tick })
}

/// Move the series past its expiry with its book emptied and the settlement started.
fn start_settling<T: Config>(id: SeriesId) -> Result<SeriesInfo, BenchmarkError> {
	let mut info = Series::<T>::get(id).ok_or(BenchmarkError::Stop("no series"))?;
	T::BenchmarkHelper::set_time(info.terms.expiry);
	T::BenchmarkHelper::set_prices(
		ASSET,
		FixedU128::from_u32(60_000),
		FixedU128::from_rational(8, 10),
	);
	Pallet::<T>::expire_series(id, &mut info);
	if !Pallet::<T>::try_start_settlement(id, &mut info) {
		return Err(BenchmarkError::Stop("settlement price unavailable"));
	}
	Ok(info)
}

/// The book of the `place_order` benchmarks: a full ask side whose first `n` makers (at most
/// the side) offer at 100 USD and the rest at 200 USD, a full bid side at 50 USD (a resting
/// remainder evicts one), and a funded taker (the whitelisted caller) with an almost full order
/// index in another series and no position. Returns the series, the taker and `n`.
fn order_book<T: Config>(n: u32) -> Result<(SeriesId, T::AccountId, u32), BenchmarkError> {
	order_book_with::<T>(n, false)
}

/// [`order_book`], or with `held`: the taker already long and each of the first `n` makers
/// already short one contract of the series, and the `n`-th maker offering 2 contracts, so a
/// buy of `n` contracts changes positions only (none opened or closed) and leaves the last
/// visited order partly filled in the book.
fn order_book_with<T: Config>(
	n: u32,
	held: bool,
) -> Result<(SeriesId, T::AccountId, u32), BenchmarkError> {
	setup_market::<T>();
	let per_side = T::MaxOrdersPerSide::get();
	let n = n.min(per_side);
	let id = new_series::<T>(OptionKind::Call, 65_000, 1)?;
	let caller: T::AccountId = whitelisted_caller();
	T::BenchmarkHelper::fund_account(&caller, 1_000_000_000 * USD);
	for i in 0..per_side {
		let maker = funded::<T>("maker", i);
		let price = if i < n { 100 * USD } else { 200 * USD };
		let qty = if held && i + 1 == n { 2 } else { 1 };
		if held && i < n {
			open_pair::<T>(id, &caller, &maker, 1)?;
		}
		place::<T>(&maker, id, Side::Sell, price, qty)?;
	}
	if held && n == 0 {
		open_pair::<T>(id, &caller, &funded::<T>("counterparty", 0), 1)?;
	}
	// A full bid side: the remainder that rests evicts its worst order.
	for i in 0..per_side {
		let bidder = funded::<T>("bidder", i);
		place::<T>(&bidder, id, Side::Buy, 50 * USD, 1)?;
	}
	let other = new_series::<T>(OptionKind::Put, 40_000, 1)?;
	let open = T::MaxOpenOrdersPerAccount::get().saturating_sub(1).min(per_side);
	for i in 0..open {
		place::<T>(&caller, other, Side::Buy, (10 + u128::from(i)) * USD, 1)?;
	}
	Ok((id, caller, n))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Listing at the front of an almost full active list.
	#[benchmark]
	fn list_series() -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let origin =
			T::ListingOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		for i in 0..T::MaxActiveSeries::get().saturating_sub(1) {
			new_series::<T>(OptionKind::Call, 10_000 + i, 2)?;
		}
		let e = expiry::<T>(1);

		#[extrinsic_call]
		_(
			origin as T::RuntimeOrigin,
			ASSET,
			OptionKind::Put,
			FixedU128::from_u32(65_000),
			e,
			FixedU128::from_u32(1),
		);

		assert_eq!(ActiveSeries::<T>::get().first().map(|(x, _)| *x), Some(e));
		Ok(())
	}

	/// `s` strikes x `MaxGridExpiries` expiries x both kinds, in front of an active list that
	/// ends full.
	#[benchmark]
	fn list_grid(s: Linear<1, { T::MaxGridStrikes::get() }>) -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let origin =
			T::ListingOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let e_max = T::MaxGridExpiries::get();
		let grid_max = 2 * T::MaxGridStrikes::get() * e_max;
		for i in 0..T::MaxActiveSeries::get().saturating_sub(grid_max) {
			new_series::<T>(OptionKind::Call, 10_000 + i, u64::from(e_max) + 1)?;
		}
		let strikes: Vec<_> = (0..s).map(|i| FixedU128::from_u32(50_000 + i * 1_000)).collect();
		let expiries: Vec<_> = (0..e_max).map(|k| expiry::<T>(u64::from(k))).collect();
		let before = ActiveSeries::<T>::get().len();

		#[extrinsic_call]
		_(
			origin as T::RuntimeOrigin,
			ASSET,
			KindSet::Both,
			BoundedVec::truncate_from(strikes),
			BoundedVec::truncate_from(expiries),
			FixedU128::from_u32(1),
		);

		assert_eq!(ActiveSeries::<T>::get().len(), before + (2 * s * e_max) as usize);
		Ok(())
	}

	/// A buy that fills `n` makers (each opening a short: margin check, premium, fees, order
	/// totals) out of a full ask side, then rests its last contract at the front of a full bid
	/// side, evicting the side's worst order; the taker has an almost full order index. The band
	/// check prices the series. Taker and makers hold no position before the call, so each is
	/// priced once, after its fill, for the one series it trades: the pricing of larger
	/// footprints and of the snapshots taken before closing fills is charged per account from
	/// `margin_requirement(p)` ([`Pallet::place_order_actual_weight`]), not twice.
	#[benchmark]
	fn place_order(n: Linear<0, { T::MaxFillsPerCall::get() }>) -> Result<(), BenchmarkError> {
		let (id, caller, n) = order_book::<T>(n)?;

		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			id,
			Side::Buy,
			100 * USD,
			u64::from(n) + 1,
			TimeInForce::GoodTilCancelled,
		);

		assert_eq!(Positions::<T>::get(id, &caller).unwrap_or(0), i64::from(n));
		assert_eq!(Book::<T>::get(id, Side::Buy).first().map(|e| e.price), Some(100 * USD));
		assert_eq!(Book::<T>::get(id, Side::Buy).len() as u32, T::MaxOrdersPerSide::get());
		Ok(())
	}

	/// An immediate-or-cancel buy of `n + 1` contracts that fills `n` makers (each opening a
	/// short: margin check, premium, fees) out of a full ask side; the rest is cancelled, so
	/// nothing rests (the weight of `ImmediateOrCancel` and `FillOrKill` orders). Same book,
	/// taker and makers as `place_order`.
	#[benchmark]
	fn place_order_immediate(
		n: Linear<0, { T::MaxFillsPerCall::get() }>,
	) -> Result<(), BenchmarkError> {
		let (id, caller, n) = order_book::<T>(n)?;

		#[extrinsic_call]
		place_order(
			RawOrigin::Signed(caller.clone()),
			id,
			Side::Buy,
			100 * USD,
			u64::from(n) + 1,
			TimeInForce::ImmediateOrCancel,
		);

		assert_eq!(Positions::<T>::get(id, &caller).unwrap_or(0), i64::from(n));
		assert_eq!(Book::<T>::get(id, Side::Buy).len() as u32, T::MaxOrdersPerSide::get());
		Ok(())
	}

	/// The common case of a matching order: an immediate-or-cancel buy of `n` contracts (1 if
	/// `n = 0`, then nothing crosses) that
	/// fills one contract from each of `n` makers, where the taker and every maker already
	/// hold a position in the series (no position opened or closed, no position index
	/// written) and the last maker's order is only partly filled (its book entry unchanged;
	/// with `n = 1` the book is not written). Charged instead of `place_order_immediate` when
	/// the call did no more than this ([`crate::PlaceOrderOutcome::held`]).
	#[benchmark]
	fn place_order_immediate_held(
		n: Linear<0, { T::MaxFillsPerCall::get() }>,
	) -> Result<(), BenchmarkError> {
		let (id, caller, n) = order_book_with::<T>(n, true)?;
		let before = Positions::<T>::get(id, &caller).unwrap_or(0);

		#[extrinsic_call]
		place_order(
			RawOrigin::Signed(caller.clone()),
			id,
			Side::Buy,
			100 * USD,
			u64::from(n.max(1)),
			TimeInForce::ImmediateOrCancel,
		);

		assert_eq!(Positions::<T>::get(id, &caller).unwrap_or(0), before + i64::from(n));
		if n > 0 {
			let best = Book::<T>::get(id, Side::Sell).first().copied();
			let order = best.and_then(|e| Orders::<T>::get(e.order_id));
			assert_eq!(order.map(|o| (o.price, o.remaining)), Some((100 * USD, 1)));
		}
		Ok(())
	}

	/// Cancel the last order of a full book side, owned by an account with a full order index.
	#[benchmark]
	fn cancel_order() -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let id = new_series::<T>(OptionKind::Call, 65_000, 1)?;
		let other = new_series::<T>(OptionKind::Put, 40_000, 1)?;
		let caller: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::fund_account(&caller, 1_000_000_000 * USD);
		let per_side = T::MaxOrdersPerSide::get();
		for i in 0..per_side.saturating_sub(1) {
			place::<T>(&funded::<T>("bidder", i), id, Side::Buy, 50 * USD, 1)?;
		}
		let open = T::MaxOpenOrdersPerAccount::get().min(per_side);
		for i in 0..open.saturating_sub(1) {
			place::<T>(&caller, other, Side::Buy, (10 + u128::from(i)) * USD, 1)?;
		}
		place::<T>(&caller, id, Side::Buy, 40 * USD, 1)?;
		let order_id = NextOrderId::<T>::get() - 1;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), order_id);

		assert!(Orders::<T>::get(order_id).is_none());
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::RiskAdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let old = Params::<T>::get();
		let tenth = |p: Permill| Permill::from_parts(p.deconstruct() / 10);
		// Every field moves within its step and bounds.
		let new = OptionsParams {
			maker_fee_rate: old
				.maker_fee_rate
				.saturating_add(tenth(old.maker_fee_rate))
				.min(MAX_FEE_RATE),
			taker_fee_rate: old.taker_fee_rate.saturating_sub(tenth(old.taker_fee_rate)),
			im_base: old.im_base.saturating_add(tenth(old.im_base)).min(IM_BASE_BOUNDS.1),
			im_min: old.im_min,
			mm_rate: old.mm_rate.saturating_sub(tenth(old.mm_rate)).max(MM_RATE_BOUNDS.0),
			rate: {
				let half_step = MAX_RATE_STEP.into_inner() / 2;
				let up = old.rate.into_inner().saturating_add(half_step);
				if up <= RATE_BOUNDS.1.into_inner() {
					FixedI128::from_inner(up)
				} else {
					FixedI128::from_inner(old.rate.into_inner() - half_step)
				}
			},
			settlement_window: (old.settlement_window + old.settlement_window / 10)
				.min(SETTLEMENT_WINDOW_BOUNDS.1),
			expiry_interval: old.expiry_interval,
			expiry_offset: old.expiry_offset - old.expiry_offset / 10,
			min_time_to_expiry: (old.min_time_to_expiry + old.min_time_to_expiry / 10)
				.min(MIN_TIME_TO_EXPIRY_BOUNDS.1),
			price_band_rate: old
				.price_band_rate
				.saturating_sub(tenth(old.price_band_rate))
				.max(PRICE_BAND_RATE_BOUNDS.0),
			price_band_floor: old
				.price_band_floor
				.saturating_sub(tenth(old.price_band_floor))
				.max(PRICE_BAND_FLOOR_BOUNDS.0),
			tick_size: (old.tick_size + old.tick_size / 10).min(TICK_SIZE_BOUNDS.1),
			min_order_quantity: old.min_order_quantity,
			min_twap_coverage: old
				.min_twap_coverage
				.saturating_sub(tenth(old.min_twap_coverage))
				.max(MIN_TWAP_COVERAGE_BOUNDS.0),
			settlement_lookback: (old.settlement_lookback + old.settlement_lookback / 10)
				.min(SETTLEMENT_LOOKBACK_BOUNDS.1),
			settlement_price_band: old
				.settlement_price_band
				.saturating_sub(tenth(old.settlement_price_band))
				.max(SETTLEMENT_PRICE_BAND_BOUNDS.0),
			unwind_spread: old
				.unwind_spread
				.saturating_add(tenth(old.unwind_spread))
				.min(UNWIND_SPREAD_BOUNDS.1),
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, new);

		assert_eq!(Params::<T>::get(), new);
		Ok(())
	}

	/// `on_initialize` with a full active list and nothing expired.
	#[benchmark]
	fn on_initialize_idle() -> Result<(), BenchmarkError> {
		setup_market::<T>();
		for i in 0..T::MaxActiveSeries::get() {
			new_series::<T>(OptionKind::Call, 10_000 + i, 1)?;
		}

		#[block]
		{
			Pallet::<T>::process_expiries();
		}

		assert!(Series::<T>::get(0).is_some_and(|s| s.status == SeriesStatus::Trading));
		Ok(())
	}

	#[benchmark]
	fn expire_series() -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let id = new_series::<T>(OptionKind::Call, 65_000, 1)?;
		let mut info = Series::<T>::get(id).ok_or(BenchmarkError::Stop("no series"))?;
		T::BenchmarkHelper::set_time(info.terms.expiry);

		#[block]
		{
			Pallet::<T>::expire_series(id, &mut info);
		}

		assert!(matches!(
			Series::<T>::get(id).map(|s| s.status),
			Some(SeriesStatus::Expired { .. })
		));
		Ok(())
	}

	/// Cancel `n` resting orders of an expired series.
	#[benchmark]
	fn cancel_expired_orders(
		n: Linear<0, { T::MaxSettlementsPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let id = new_series::<T>(OptionKind::Call, 65_000, 1)?;
		let per_side = T::MaxOrdersPerSide::get();
		let n = n.min(per_side.saturating_mul(2));
		for i in 0..n {
			let who = funded::<T>("owner", i);
			if i < per_side {
				place::<T>(&who, id, Side::Buy, (10 + u128::from(i)) * USD, 1)?;
			} else {
				place::<T>(&who, id, Side::Sell, (1_000 + u128::from(i)) * USD, 1)?;
			}
		}
		let mut info = Series::<T>::get(id).ok_or(BenchmarkError::Stop("no series"))?;
		T::BenchmarkHelper::set_time(info.terms.expiry);
		Pallet::<T>::expire_series(id, &mut info);
		let left;

		#[block]
		{
			left = Pallet::<T>::cancel_expired_orders(id, n).1;
		}

		assert!(!left);
		assert_eq!(Orders::<T>::iter().count(), 0);
		Ok(())
	}

	/// Look up the settlement price, fix it and compute the payouts (an in-the-money series with
	/// open interest). The longest settlement window and full coverage required: the oracle's
	/// TWAP reaches into its coarse history and, short of coverage, the last price is looked up
	/// too (both queries, as in the fallback).
	#[benchmark]
	fn start_settlement() -> Result<(), BenchmarkError> {
		setup_market::<T>();
		Params::<T>::mutate(|p| {
			p.settlement_window = SETTLEMENT_WINDOW_BOUNDS.1;
			p.min_twap_coverage = MIN_TWAP_COVERAGE_BOUNDS.1;
		});
		let id = new_series::<T>(OptionKind::Call, 50_000, 1)?;
		open_pair::<T>(id, &funded::<T>("long", 0), &funded::<T>("short", 0), 10)?;
		let mut info = Series::<T>::get(id).ok_or(BenchmarkError::Stop("no series"))?;
		T::BenchmarkHelper::set_time(info.terms.expiry);
		T::BenchmarkHelper::set_prices(
			ASSET,
			FixedU128::from_u32(60_000),
			FixedU128::from_rational(8, 10),
		);
		Pallet::<T>::expire_series(id, &mut info);
		let started;

		#[block]
		{
			started = Pallet::<T>::try_start_settlement(id, &mut info);
		}

		assert!(started);
		assert_eq!(Series::<T>::get(id).map(|s| s.status), Some(SeriesStatus::Settling));
		Ok(())
	}

	/// The risk admin sets the settlement price of an in-the-money series with open interest
	/// that waits for it, at the reference price (the last oracle price before the expiry).
	#[benchmark]
	fn set_settlement_price() -> Result<(), BenchmarkError> {
		let origin =
			T::RiskAdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		setup_market::<T>();
		let id = new_series::<T>(OptionKind::Call, 50_000, 1)?;
		open_pair::<T>(id, &funded::<T>("long", 0), &funded::<T>("short", 0), 10)?;
		let mut info = Series::<T>::get(id).ok_or(BenchmarkError::Stop("no series"))?;
		T::BenchmarkHelper::set_time(info.terms.expiry);
		T::BenchmarkHelper::set_prices(
			ASSET,
			FixedU128::from_u32(60_000),
			FixedU128::from_rational(8, 10),
		);
		Pallet::<T>::expire_series(id, &mut info);
		// The oracle had no settlement price: the series waits for the risk admin.
		info.status = SeriesStatus::Expired { price_wait_reported: true };
		Series::<T>::insert(id, info);
		let price = Pallet::<T>::settlement_reference(&info.terms)
			.ok_or(BenchmarkError::Stop("no reference price"))?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id, price);

		assert_eq!(Series::<T>::get(id).map(|s| s.status), Some(SeriesStatus::Settling));
		assert_eq!(Settlements::<T>::get(id).map(|s| s.source), Some(SettlementSource::Governance));
		Ok(())
	}

	/// Settle `n` in-the-money positions (a transfer each) from the cursor.
	#[benchmark]
	fn settle_positions(
		n: Linear<0, { T::MaxSettlementsPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let id = new_series::<T>(OptionKind::Call, 50_000, 1)?;
		// n + 1 positions or more: the extra one is read but not settled.
		for i in 0..(n / 2 + 1) {
			open_pair::<T>(id, &funded::<T>("long", i), &funded::<T>("short", i), 1)?;
		}
		start_settling::<T>(id)?;
		let settled;

		#[block]
		{
			settled = Pallet::<T>::settle_positions(id, n).0;
		}

		assert_eq!(settled, n);
		Ok(())
	}

	/// Pay the dust to the insurance fund and close the record.
	#[benchmark]
	fn finish_settlement() -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let id = new_series::<T>(OptionKind::Call, 50_000, 1)?;
		open_pair::<T>(id, &funded::<T>("long", 0), &funded::<T>("short", 0), 3)?;
		let mut info = start_settling::<T>(id)?;
		let (count, done) = Pallet::<T>::settle_positions(id, 2);
		if count != 2 || !done {
			return Err(BenchmarkError::Stop("positions not settled"));
		}
		// Force a non-zero dust.
		let account = Pallet::<T>::settlement_account(id);
		T::BenchmarkHelper::fund_account(&account, 1);
		Settlements::<T>::mutate(id, |st| {
			if let Some(st) = st {
				st.collected = st.collected.saturating_add(1);
			}
		});

		#[block]
		{
			Pallet::<T>::finish_settlement(id, &mut info);
		}

		assert!(Settlements::<T>::get(id).is_some_and(|s| s.dust >= 1));
		assert_eq!(Series::<T>::get(id).map(|s| s.status), Some(SeriesStatus::Settled));
		Ok(())
	}

	/// Pricing of an account with `p` short positions (Black–Scholes mark and the short-option
	/// margin for each) and, in each of them while its order index allows, a resting bid and
	/// ask (the open-order margin of both sides of every series).
	#[benchmark]
	fn margin_requirement(
		p: Linear<1, { T::MaxPositionsPerAccount::get() }>,
	) -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let who = funded::<T>("writer", 0);
		let long = funded::<T>("long", 0);
		let orders = T::MaxOpenOrdersPerAccount::get() / 2;
		for i in 0..p {
			let id = new_series::<T>(OptionKind::Put, 50_000 + i * 1_000, 1)?;
			open_pair::<T>(id, &long, &who, 1)?;
			if i < orders {
				place::<T>(&who, id, Side::Buy, band_price::<T>(id, false)?, 1)?;
				place::<T>(&who, id, Side::Sell, band_price::<T>(id, true)?, 1)?;
			}
		}
		let result;

		#[block]
		{
			result = <Pallet<T> as PositionProvider<T::AccountId>>::margin_requirement(&who);
		}

		assert!(result.is_ok_and(|r| r.initial > 0 && r.open_orders > 0));
		Ok(())
	}

	/// Liquidation transfer of a long at its mark to the insurance fund, a protocol account
	/// holding positions in every other active series (its position index at its largest).
	#[benchmark]
	fn transfer_position() -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let id = new_series::<T>(OptionKind::Call, 65_000, 1)?;
		let from = funded::<T>("from", 0);
		let to = T::InsuranceFundAccount::get();
		open_pair::<T>(id, &from, &funded::<T>("short", 0), 2)?;
		// One counterparty per series: a trader's own footprint is bounded.
		for i in 0..T::MaxActiveSeries::get().saturating_sub(1) {
			let other = new_series::<T>(OptionKind::Put, 10_000 + i, 2)?;
			open_pair::<T>(other, &funded::<T>("counterparty", i), &to, 1)?;
		}
		let position = <Pallet<T> as PositionProvider<T::AccountId>>::portfolio(&from)
			.map_err(|_| BenchmarkError::Stop("no prices"))?
			.positions
			.into_iter()
			.find(|p| p.id == id)
			.ok_or(BenchmarkError::Stop("no position"))?;
		let result;

		#[block]
		{
			result = <Pallet<T> as PositionProvider<T::AccountId>>::transfer_position(
				&from, &to, &position, 1,
			);
		}

		assert!(result.is_ok());
		assert_eq!(Positions::<T>::get(id, &to), Some(1));
		Ok(())
	}

	/// Liquidation: cancel the `n` resting orders of an account in a full book.
	#[benchmark]
	fn cancel_orders(
		n: Linear<0, { T::MaxOpenOrdersPerAccount::get() }>,
	) -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let id = new_series::<T>(OptionKind::Call, 65_000, 1)?;
		let per_side = T::MaxOrdersPerSide::get();
		let n = n.min(per_side);
		let who = funded::<T>("liquidated", 0);
		for i in 0..n {
			place::<T>(&who, id, Side::Buy, (10 + u128::from(i)) * USD, 1)?;
		}
		for i in 0..per_side.saturating_sub(n) {
			place::<T>(&funded::<T>("bidder", i), id, Side::Buy, 5 * USD, 1)?;
		}

		#[block]
		{
			let _ = <Pallet<T> as PositionProvider<T::AccountId>>::cancel_orders(&who);
		}

		assert!(AccountOrders::<T>::get(&who).is_empty());
		Ok(())
	}

	/// The unwinding of `n` series of the insurance fund's inventory in one block: each holds a
	/// quote from before the mark moved, so each visit cancels it and places the new one (which
	/// rests without fills; fills are charged on top as `place_order` charges them).
	#[benchmark]
	fn unwind_inventory(
		n: Linear<0, { T::MaxUnwindQuotesPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		setup_market::<T>();
		let fund = T::InsuranceFundAccount::get();
		let mut ids = Vec::new();
		// Calls and puts near the money, 30 expiry intervals out (about an hour on the dev
		// runtime's 2-minute grid, a month on the mock's daily one), so every series has a mark
		// well above the tick: far out-of-the-money strikes a few minutes from expiry have a
		// mark of zero on the dev runtime and are not quoted.
		for i in 0..n {
			let kind = if i % 2 == 0 { OptionKind::Call } else { OptionKind::Put };
			let id = new_series::<T>(kind, 60_000 + (i / 2) * 100, 30)?;
			open_pair::<T>(id, &fund, &funded::<T>("unwind-writer", i), 1)?;
			ids.push(id);
		}
		// Quoted at the current mark; then the underlying moves, so every quote is replaced.
		let _ = Pallet::<T>::do_unwind_inventory(n);
		let before: Vec<_> = ids.iter().map(FundQuotes::<T>::get).collect();
		if before.iter().any(|q| q.is_none()) {
			return Err(BenchmarkError::Stop("fund not quoted"));
		}
		T::BenchmarkHelper::set_prices(
			ASSET,
			FixedU128::from_u32(61_000),
			FixedU128::from_rational(8, 10),
		);

		#[block]
		{
			let _ = Pallet::<T>::do_unwind_inventory(n);
		}

		for (id, old) in ids.iter().zip(before) {
			let new = FundQuotes::<T>::get(id);
			assert!(new.is_some() && new != old, "quote not replaced");
		}
		Ok(())
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
