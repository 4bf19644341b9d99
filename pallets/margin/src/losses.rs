//! The loss waterfall after a bankruptcy: the insurance fund, then a pro-rata haircut of
//! positive cash. A bankrupt account's debt is taken over in the block of the bankruptcy;
//! nothing waits for a governance call.
//!
//! 1. **Insurance fund.** A bankrupt account's debt is taken over by the fund for as much as
//!    its cash can pay ([`Pallet::fund_capacity`]: its cash less what it already owes). The fund pays within its per-block payout cap ([`BadDebtCover::cover`]); the rest
//!    is [`UncoveredBadDebt`], earmarked against the fund's cash (its stakers cannot withdraw
//!    it) and paid first, oldest first, in the next blocks' `on_initialize`.
//! 2. **Socialization.** What the fund's cash cannot pay is charged at once to every account
//!    with positive cash, pro rata, by lowering the [`CashIndex`] ([`Pallet::socialize`]). Owed
//!    debt the fund's cash no longer backs is paid at once for as much as its equity covers
//!    and socialized beyond ([`Pallet::settle_fund_losses`], at the end of every block and
//!    after every liquidation), as is the fund's realized deficit (negative cash its
//!    collateral and long positions do not cover). A loss the fund's short positions will
//!    realize at settlement is charged then, to the cash holders of that block.
//!
//! After every block, the settlement asset's custody covers every claim on it:
//! `custody = sum of effective cash - UncoveredBadDebt + rounding dust` (dust >= 0, from the
//! haircut rounding each account's cash down), and `UncoveredBadDebt <= fund cash`, so what
//! traders and the fund's free cash can withdraw never exceeds what the pallet holds.
//!
//! Why a haircut of cash and not auto-deleveraging (dYdX v4, Hyperliquid): ADL closes the most
//! profitable opposing positions at the bankruptcy price, which needs a ranking of every
//! position on every loss (an offchain worker and a block of delay, during which custody is
//! short). Drift's PnL-pool haircut and this index charge the loss in the block it appears, in
//! O(1) work. See `docs/DESIGN.md`, "Loss waterfall".

use crate::{pallet::*, types::*};
use solvent_primitives::{BadDebtCover, Balance, ProtocolAccounts, SignedBalance};
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, traits::Zero, FixedPointNumber, FixedU128,
	Rounding,
};

impl<T: Config> Pallet<T> {
	// ------------------------------------------------------------------ the cash index

	/// What `account`'s cash is worth at index `now` (USD units): negative cash and the cash
	/// of protocol accounts are not haircut; positive cash stored at index `a` is worth
	/// `floor(cash x now / a)` in the same epoch, `floor(cash x now / (a x 10^(9k)))` `k`
	/// rescales later in the same wipe epoch ([`CashIndex`]'s epoch packs both, see
	/// [`wipe_epoch`], [`rescales`]), nothing after a wipe.
	pub fn effective_cash(
		who: &T::AccountId,
		account: &MarginAccount<T::MaxCollateralAssets>,
		now: CashIndex,
	) -> SignedBalance {
		if account.cash <= 0
			|| account.cash_index == now
			|| T::ProtocolAccounts::is_protocol_account(who)
		{
			return account.cash;
		}
		let value = rescaled(account.cash.unsigned_abs(), account.cash_index, now, Rounding::Down)
			.unwrap_or(0);
		to_signed(value).min(account.cash)
	}

	/// `who`'s account as stored, and as it is now: cash at the current index (see
	/// [`Pallet::effective_cash`]). Read paths use the second; write paths pass both to
	/// [`Pallet::write_account`].
	pub(crate) fn load_account(
		who: &T::AccountId,
	) -> (MarginAccount<T::MaxCollateralAssets>, MarginAccount<T::MaxCollateralAssets>) {
		let stored = Accounts::<T>::get(who).unwrap_or_default();
		let now = CurrentCashIndex::<T>::get();
		let mut current = stored.clone();
		current.cash = Self::effective_cash(who, &stored, now);
		current.cash_index = now;
		(stored, current)
	}

	/// `who`'s account at the current index (read only).
	pub(crate) fn account(who: &T::AccountId) -> MarginAccount<T::MaxCollateralAssets> {
		Self::load_account(who).1
	}

	/// Scaled value of `cash` at `index`: `ceil(cash / index value)`, USD units at index one.
	pub(crate) fn scaled_cash(cash: SignedBalance, index: CashIndex) -> Balance {
		multiply_by_rational_with_rounding(
			positive_part(cash),
			FixedU128::DIV,
			index.value.into_inner().max(1),
			Rounding::Up,
		)
		.unwrap_or(Balance::MAX)
	}

	/// Keep [`PositiveCashTotal`] in step with `who`'s cash going from `stored` (at its own
	/// index) to `new` (at the current index).
	pub(crate) fn track_positive_cash(
		who: &T::AccountId,
		stored: &MarginAccount<T::MaxCollateralAssets>,
		new: &MarginAccount<T::MaxCollateralAssets>,
	) {
		if stored.cash <= 0 && new.cash <= 0 || T::ProtocolAccounts::is_protocol_account(who) {
			return;
		}
		let now = CurrentCashIndex::<T>::get();
		PositiveCashTotal::<T>::mutate(|total| {
			// An entry of an earlier wipe epoch left the total when its epoch ended; one of an
			// earlier rescale leaves its rounding unit (and its count) behind.
			if let Some(scaled) = Self::positive_cash_entry(who, stored, now) {
				total.scaled = total.scaled.saturating_sub(scaled);
				total.accounts = total.accounts.saturating_sub(1);
			} else if let Some(scaled) = Self::carried_cash_entry(who, stored, now, Rounding::Down)
			{
				total.scaled = total.scaled.saturating_sub(scaled);
			}
			if let Some(scaled) = Self::positive_cash_entry(who, new, now) {
				total.scaled = total.scaled.saturating_add(scaled);
				total.accounts = total.accounts.saturating_add(1);
			}
		});
	}

	/// What `who`'s stored account adds to [`PositiveCashTotal`] at index `now`: its scaled
	/// cash ([`Pallet::scaled_cash`]) if its cash is positive, stored in the current epoch and
	/// `who` is not a protocol account; `None` otherwise. The one rule both
	/// [`Pallet::track_positive_cash`] (incrementally) and [`Pallet::positive_cash_step`] (from
	/// scratch) follow.
	pub fn positive_cash_entry(
		who: &T::AccountId,
		account: &MarginAccount<T::MaxCollateralAssets>,
		now: CashIndex,
	) -> Option<Balance> {
		(account.cash > 0
			&& account.cash_index.epoch == now.epoch
			&& !T::ProtocolAccounts::is_protocol_account(who))
		.then(|| Self::scaled_cash(account.cash, account.cash_index))
	}

	/// What `who`'s stored account, stored in an earlier rescale of the current wipe epoch,
	/// still adds to [`PositiveCashTotal`] in the current index's units: its scaled cash
	/// divided by `10^(9k)` (`k` rescales since), rounded by `rounding`; `None` for an entry
	/// of the current index's epoch (see [`Pallet::positive_cash_entry`]) or one that no
	/// longer counts. The total holds such entries at most one unit above this rounded down
	/// (the total is rounded up at each rescale), so taking one out subtracts it rounded down
	/// and leaves its account counted (its unit of rounding stays in the total).
	pub fn carried_cash_entry(
		who: &T::AccountId,
		account: &MarginAccount<T::MaxCollateralAssets>,
		now: CashIndex,
		rounding: Rounding,
	) -> Option<Balance> {
		let k = rescales(now.epoch).checked_sub(rescales(account.cash_index.epoch))?;
		(account.cash > 0
			&& k > 0 && wipe_epoch(account.cash_index.epoch) == wipe_epoch(now.epoch)
			&& !T::ProtocolAccounts::is_protocol_account(who))
		.then(|| {
			divide_by_rescales(Self::scaled_cash(account.cash, account.cash_index), k, rounding)
		})
	}

	/// Recompute [`PositiveCashTotal`] from the accounts, bounded by design: adds to `sum` the
	/// entries ([`Pallet::positive_cash_entry`], and [`Pallet::carried_cash_entry`] rounded
	/// up) of at most `limit` accounts after `cursor`
	/// (from the first account if `None`), in storage order, and returns the new sum and the
	/// cursor to continue from (`None` once every account is counted). Reads `limit` accounts
	/// per call and writes nothing: a migration (one block, or several with the cursor kept
	/// between them) calls it until the cursor is `None`, then puts the sum
	/// ([`Pallet::recompute_positive_cash`], [`RecomputePositiveCashTotal`]).
	///
	/// Why it is needed (red-team finding 9): [`PositiveCashTotal`] is a running sum that
	/// leaves out protocol accounts. If the runtime's `ProtocolAccounts` set changes (a new
	/// protocol account, or one that stops being one), the accounts it gained or lost keep
	/// their entries as they were counted, and the total no longer matches the accounts a
	/// socialized loss charges (`try_state` reports "PositiveCashTotal out of step"). A
	/// runtime upgrade that changes the set must ship [`RecomputePositiveCashTotal`]. (An
	/// account that leaves the set is valued from the index its cash was stored at, so it
	/// bears the losses socialized while it was exempt; such an upgrade should first rewrite
	/// its record at the current index.)
	pub fn positive_cash_step(
		cursor: Option<T::AccountId>,
		limit: u32,
		mut sum: PositiveCash,
	) -> (PositiveCash, Option<T::AccountId>) {
		let now = CurrentCashIndex::<T>::get();
		let mut iter = match &cursor {
			Some(who) => Accounts::<T>::iter_from(Accounts::<T>::hashed_key_for(who)),
			None => Accounts::<T>::iter(),
		};
		let mut last = None;
		for _ in 0..limit {
			let Some((who, account)) = iter.next() else { return (sum, None) };
			let entry = Self::positive_cash_entry(&who, &account, now)
				.or_else(|| Self::carried_cash_entry(&who, &account, now, Rounding::Up));
			if let Some(scaled) = entry {
				sum.scaled = sum.scaled.saturating_add(scaled);
				sum.accounts = sum.accounts.saturating_add(1);
			}
			last = Some(who);
		}
		match iter.next() {
			None => (sum, None),
			Some(_) => (sum, last),
		}
	}

	/// [`PositiveCashTotal`] recomputed from every account (see
	/// [`Pallet::positive_cash_step`]): `(total, accounts read)`. Entries of an earlier
	/// rescale are rounded up, so the result is a valid total (at least the positive cash, at
	/// most two units per account above it). Reads every account: for `try_state` and
	/// single-block migrations only.
	pub fn recompute_positive_cash() -> (PositiveCash, u64) {
		let now = CurrentCashIndex::<T>::get();
		let (mut sum, mut read) = (PositiveCash::default(), 0u64);
		for (who, account) in Accounts::<T>::iter() {
			read = read.saturating_add(1);
			let entry = Self::positive_cash_entry(&who, &account, now)
				.or_else(|| Self::carried_cash_entry(&who, &account, now, Rounding::Up));
			if let Some(scaled) = entry {
				sum.scaled = sum.scaled.saturating_add(scaled);
				sum.accounts = sum.accounts.saturating_add(1);
			}
		}
		(sum, read)
	}

	/// Charge `loss` USD units to every account with positive cash, pro rata, by lowering the
	/// [`CashIndex`]. Returns the amount charged: `loss`, or less only if the loss takes all
	/// positive cash (then every account's positive cash goes to zero and a new wipe epoch
	/// starts).
	///
	/// With `P = floor(scaled x index)` (at least the positive cash, at most `2n` units more,
	/// `n` accounts counted) the index is multiplied by `r = (P - 3n - loss) / (P - 2n)`,
	/// rounded down: each account loses `floor(x) - floor(x r) > x (1 - r) - 1` of its `x`,
	/// so the accounts together lose more than `(P - 2n)(1 - r) - n = loss`. The custody
	/// therefore always covers the cash left; the excess (bounded below) stays in the custody
	/// as rounding dust.
	///
	/// **The charge never exceeds the loss by more than rounding** (red-team finding 8; before,
	/// an index that would fall below [`MIN_CASH_INDEX`] wiped all positive cash whatever the
	/// loss). Each account loses `floor(x) - floor(x r') <= x (1 - r') + 1` with `r' <= r` the
	/// rounded ratio, `r - r' < 1 / (new index value in units of 10^-18) <= 10^-9`; with
	/// `sum x <= P` and `loss + n <= P - 2n` (`left >= 0`), `P (1 - r) = (loss + n) P / (P -
	/// 2n) <= loss + 3n`, so together at most `loss + 4n + 10^-9 P` units. When `index x r` is below [`MIN_CASH_INDEX`], the
	/// index is **rescaled** instead of wiped: the value is stored `10^9` (or `10^18`) times
	/// larger in a new rescale of the same wipe epoch, and cash stored before is divided by
	/// `10^9` per rescale when valued ([`Pallet::effective_cash`]): the same `r`, exact.
	/// Positive cash is **wiped** (a new wipe epoch) only when no representable index is left:
	/// `left = P - 3n - loss` is zero (then the loss is at least `P - 3n`: zeroing takes at
	/// most `loss + 3n`), or `index x r x 10^18 < MIN_CASH_INDEX`, i.e. `left < 10^-18 (P -
	/// 2n)` (with `index >= MIN_CASH_INDEX`): zeroing takes at most `loss + 3n + 10^-18 P`
	/// units, below one unit plus rounding for any `P` under 10^18 units (10^12 USD). The 255th
	/// rescale of a wipe epoch also wipes (it needs a cumulative haircut below 10^-2295).
	///
	/// Emits [`Event::LossSocialized`].
	pub fn socialize(loss: Balance) -> Balance {
		if loss.is_zero() {
			return 0;
		}
		let index = CurrentCashIndex::<T>::get();
		let total = PositiveCashTotal::<T>::get();
		let n = Balance::from(total.accounts);
		let positive = multiply_by_rational_with_rounding(
			total.scaled,
			index.value.into_inner(),
			FixedU128::DIV,
			Rounding::Down,
		)
		.unwrap_or(Balance::MAX);
		let base = positive.saturating_sub(n.saturating_mul(2));
		if base.is_zero() {
			// No positive cash to charge (beyond the rounding allowance): nothing changes.
			return 0;
		}
		let left = positive.saturating_sub(n.saturating_mul(3)).saturating_sub(loss);
		// The new index value in units of 10^(-18 - 9 steps), for the fewest rescale steps
		// (0, 1 or 2) that keep it at least MIN_CASH_INDEX.
		let rescaled_value = (0u32..=2).find_map(|steps| {
			if left.is_zero() || rescales(index.epoch).saturating_add(steps) > MAX_RESCALES {
				return None;
			}
			let scaled_index = index.value.into_inner().checked_mul(RESCALE.checked_pow(steps)?)?;
			let value =
				multiply_by_rational_with_rounding(scaled_index, left, base, Rounding::Down)?;
			(value >= MIN_CASH_INDEX.into_inner()).then_some((steps, value))
		});
		let (new_index, charged) = match rescaled_value {
			Some((0, value)) => {
				(CashIndex { epoch: index.epoch, value: FixedU128::from_inner(value) }, loss)
			}
			Some((steps, value)) => {
				// A rescale: the same real index, stored 10^(9 steps) larger. The total is
				// rounded up into the new units; its one unit of rounding is counted as an
				// account, so the bound `P <= positive cash + 2n` holds.
				PositiveCashTotal::<T>::mutate(|t| {
					t.scaled = divide_by_rescales(t.scaled, steps, Rounding::Up);
					t.accounts = t.accounts.saturating_add(1);
				});
				let epoch = index.epoch.saturating_add(steps.saturating_mul(RESCALE_STEP));
				(CashIndex { epoch, value: FixedU128::from_inner(value) }, loss)
			}
			None => {
				// The loss takes all positive cash: a new wipe epoch, in which every earlier
				// positive balance is worth nothing.
				PositiveCashTotal::<T>::kill();
				let epoch = wipe_epoch(index.epoch).saturating_add(1).min(RESCALE_STEP - 1);
				(CashIndex { epoch, value: FixedU128::from_u32(1) }, loss.min(base))
			}
		};
		CurrentCashIndex::<T>::put(new_index);
		Self::deposit_event(Event::LossSocialized {
			amount: charged,
			requested: loss,
			cash_index: new_index,
		});
		charged
	}

	// ------------------------------------------------------------------ the fund

	/// What the fund can still take on (USD units): its cash less what it already owes
	/// ([`UncoveredBadDebt`]), at least zero.
	///
	/// Cash, not equity: the fund's equity also counts the mark value of the positions it took
	/// over, and when those lose (the shorts of a crash) the profit is the longs' unrealized
	/// PnL, which a haircut of cash cannot reach. Charging cash holders now for a mark-to-market
	/// loss would make the wrong accounts pay for a loss that may not happen. The fund pays
	/// from its cash; if its positions then lose more than it kept, the loss is realized as
	/// negative cash (at settlement, or when it buys them back) and socialized then
	/// ([`Pallet::process_bad_debt`]), when the profit it paid is someone's cash. Until then
	/// the fund's value is negative: no stake, no withdrawal.
	pub fn fund_capacity() -> Balance {
		positive_part(Self::account(&T::BadDebt::fund_account()).cash)
			.saturating_sub(UncoveredBadDebt::<T>::get())
	}

	/// What `who` can pay now (USD units): cash + collateral at haircut value + long positions
	/// at mark, less [`UncoveredBadDebt`] if `who` is the fund; its cash alone (less that) if
	/// a price is unavailable. See `MarginLedger::payable`.
	pub fn payable_of(who: &T::AccountId) -> Balance {
		let owed =
			if *who == T::BadDebt::fund_account() { UncoveredBadDebt::<T>::get() } else { 0 };
		let assets = match Self::risk(who) {
			Ok(r) => r.cash.saturating_add(r.realizable_backing()),
			Err(_) => Self::account(who).cash,
		};
		positive_part(assets).saturating_sub(owed)
	}

	/// Put `debt` (USD units, a bankrupt account's negative cash, already credited back to it)
	/// through the waterfall: to the fund within its capacity, paid within the per-block cap
	/// or left as [`UncoveredBadDebt`]; the rest socialized. Returns `(to the fund, paid by the
	/// fund now, socialized)`; a part beyond all positive cash becomes the fund's negative cash
	/// (its deficit).
	pub(crate) fn absorb_bad_debt(debt: Balance) -> (Balance, Balance, Balance) {
		let to_fund = debt.min(Self::fund_capacity());
		let socialized = Self::socialize(debt.saturating_sub(to_fund));
		let unabsorbed = debt.saturating_sub(to_fund).saturating_sub(socialized);
		UncoveredBadDebt::<T>::mutate(|u| *u = u.saturating_add(to_fund));
		if !unabsorbed.is_zero() {
			// More than all positive cash: the fund owes it (its deficit, charged to positive
			// cash as it appears, or recapitalized by a donation).
			let fund = T::BadDebt::fund_account();
			let (stored, mut account) = Self::load_account(&fund);
			account.cash = account.cash.saturating_sub(to_signed(unabsorbed));
			Self::write_account(&fund, &stored, account);
			log::error!(target: "runtime::margin", "bad debt {unabsorbed} above all positive cash");
		}
		let paid = Self::pay_uncovered();
		(to_fund, paid, socialized)
	}

	/// The fund pays [`UncoveredBadDebt`] from its cash, as much as its per-block payout cap
	/// allows. Returns the amount paid (USD units).
	pub(crate) fn pay_uncovered() -> Balance {
		let uncovered = UncoveredBadDebt::<T>::get();
		if uncovered.is_zero() {
			return 0;
		}
		let paid = T::BadDebt::cover(uncovered).min(uncovered);
		if paid.is_zero() {
			return 0;
		}
		let fund = T::BadDebt::fund_account();
		let (stored, mut account) = Self::load_account(&fund);
		account.cash = account.cash.saturating_sub(to_signed(paid));
		Self::write_account(&fund, &stored, account);
		UncoveredBadDebt::<T>::put(uncovered.saturating_sub(paid));
		paid
	}

	/// `on_initialize`: the fund pays uncovered bad debt (oldest first: it is one amount, in
	/// the order it was taken on) within its payout cap, then [`Pallet::settle_fund_losses`].
	/// Returns what it did (for tests).
	pub fn process_bad_debt() -> BadDebtProgress {
		let paid = Self::pay_uncovered();
		let progress = Self::settle_fund_losses();
		BadDebtProgress { paid: paid.saturating_add(progress.paid), ..progress }
	}

	/// `on_initialize` and `on_finalize`, and after a liquidation: keep the fund's books
	/// backed, cheaply when they are (two reads), pricing the fund only when its cash is
	/// negative or below what it owes.
	///
	/// 1. [`UncoveredBadDebt`] above the fund's positive cash is no longer earmarked cash (the
	///    fund paid cash for positions or collateral it took over, or its shorts settled): the
	///    fund pays it now, beyond its per-block cap, for as much as its realizable assets
	///    (cash, collateral, long positions at mark) cover, its cash going negative against
	///    them; the rest is socialized. Without a price for the fund's assets, its cash alone
	///    counts.
	/// 2. The fund's realized deficit is socialized and credited to its cash: negative cash that
	///    its realizable assets (collateral and long positions at their value, not counting its
	///    short positions' liabilities, which are only realized when they settle) do not
	///    cover: `max(0, -(cash + collateral + longs))`.
	pub fn settle_fund_losses() -> BadDebtProgress {
		let mut progress = BadDebtProgress::default();
		let fund = T::BadDebt::fund_account();
		let uncovered = UncoveredBadDebt::<T>::get();
		let cash = Self::account(&fund).cash;
		if cash >= 0 && uncovered <= positive_part(cash) {
			return progress;
		}
		let Ok(risk) = Self::risk(&fund) else {
			progress.socialized = Self::enforce_fund_cash();
			return progress;
		};
		progress.fund_priced = true;
		let backing = risk.realizable_backing();
		let mut cash = risk.cash;
		if uncovered > positive_part(cash) {
			let paid = uncovered.min(positive_part(cash.saturating_add(backing)));
			let rest = uncovered.saturating_sub(paid);
			let charged = Self::socialize(rest);
			if !paid.is_zero() {
				let (stored, mut account) = Self::load_account(&fund);
				account.cash = account.cash.saturating_sub(to_signed(paid));
				cash = account.cash;
				Self::write_account(&fund, &stored, account);
			}
			UncoveredBadDebt::<T>::put(rest.saturating_sub(charged));
			progress.paid = paid;
			progress.socialized = charged;
		}
		if cash < 0 {
			let assets = cash.saturating_add(backing);
			let charged = Self::socialize(positive_part(assets.saturating_neg()));
			if !charged.is_zero() {
				let (stored, mut account) = Self::load_account(&fund);
				account.cash = account.cash.saturating_add(to_signed(charged));
				Self::write_account(&fund, &stored, account);
				Self::deposit_event(Event::FundDeficitSocialized { amount: charged });
			}
			progress.fund_deficit = charged;
		}
		progress
	}

	/// Socialize the uncovered bad debt the fund's positive cash no longer backs (when the
	/// fund's equity cannot be priced). Returns the amount socialized.
	pub(crate) fn enforce_fund_cash() -> Balance {
		let uncovered = UncoveredBadDebt::<T>::get();
		if uncovered.is_zero() {
			return 0;
		}
		let cash = positive_part(Self::account(&T::BadDebt::fund_account()).cash);
		if uncovered <= cash {
			return 0;
		}
		let charged = Self::socialize(uncovered - cash);
		UncoveredBadDebt::<T>::put(uncovered.saturating_sub(charged));
		charged
	}
}

/// The factor of one rescale of the cash index (see [`Pallet::socialize`]): `10^9`, the
/// inverse of [`MIN_CASH_INDEX`], so a rescaled value is back in `[MIN_CASH_INDEX, 1)`.
pub const RESCALE: Balance = 1_000_000_000;
/// [`CashIndex::epoch`] packs the wipe epoch (low 24 bits: incremented when a loss takes all
/// positive cash) and the rescales in it (high 8 bits): one rescale adds this. Epochs written
/// before rescales existed have no rescale bits and mean what they meant (wipes).
pub const RESCALE_STEP: u32 = 1 << 24;
/// Most rescales in one wipe epoch.
pub const MAX_RESCALES: u32 = u8::MAX as u32;

/// The wipe epoch of a packed [`CashIndex::epoch`]: cash stored in an earlier one is worth
/// nothing.
pub fn wipe_epoch(epoch: u32) -> u32 {
	epoch % RESCALE_STEP
}

/// The rescales of a packed [`CashIndex::epoch`] since its wipe epoch began.
pub fn rescales(epoch: u32) -> u32 {
	epoch / RESCALE_STEP
}

/// `x / 10^(9k)`, rounded by `rounding` (a divisor beyond `u128` gives `0`, or `1` rounded up
/// from a non-zero `x`).
pub fn divide_by_rescales(x: Balance, k: u32, rounding: Rounding) -> Balance {
	match RESCALE.checked_pow(k) {
		Some(d) => multiply_by_rational_with_rounding(x, 1, d, rounding).unwrap_or(0),
		None => Balance::from(matches!(rounding, Rounding::Up) && !x.is_zero()),
	}
}

/// `cash` (positive, stored at index `at`) valued at index `now`: `cash x now / at`, divided
/// by `10^9` per rescale between them, rounded by `rounding`; `0` across a wipe (or from a
/// later index). `None` only if the result does not fit in `u128`.
pub fn rescaled(
	cash: Balance,
	at: CashIndex,
	now: CashIndex,
	rounding: Rounding,
) -> Option<Balance> {
	if wipe_epoch(at.epoch) != wipe_epoch(now.epoch) || at.value.is_zero() {
		return Some(0);
	}
	let Some(k) = rescales(now.epoch).checked_sub(rescales(at.epoch)) else { return Some(0) };
	// floor(floor(y / a) / b) = floor(y / (a b)): two rescales in the divisor (at most
	// 10^18 x 10^18, fits), the rest after.
	let near = k.min(2);
	let divisor = at.value.into_inner().checked_mul(RESCALE.checked_pow(near)?)?;
	let value =
		multiply_by_rational_with_rounding(cash, now.value.into_inner(), divisor, rounding)?;
	Some(divide_by_rescales(value, k - near, rounding))
}

/// Runtime upgrade that recomputes [`PositiveCashTotal`] from every account (red-team finding
/// 9): list it in the runtime's migrations with any upgrade that changes the
/// `ProtocolAccounts` set. Not versioned (it changes no stored type and is idempotent); one
/// block, reading every margin account once. A chain with too many accounts for one block
/// runs [`Pallet::positive_cash_step`] over several blocks instead.
pub struct RecomputePositiveCashTotal<T>(core::marker::PhantomData<T>);

impl<T: Config> frame_support::traits::OnRuntimeUpgrade for RecomputePositiveCashTotal<T> {
	fn on_runtime_upgrade() -> frame_support::weights::Weight {
		use frame_support::traits::Get;
		let old = PositiveCashTotal::<T>::get();
		let (new, read) = Pallet::<T>::recompute_positive_cash();
		if new != old {
			log::warn!(
				target: "runtime::margin",
				"PositiveCashTotal recomputed: {old:?} -> {new:?}"
			);
			PositiveCashTotal::<T>::put(new);
		}
		T::DbWeight::get().reads_writes(read.saturating_add(2), 1)
	}
}
