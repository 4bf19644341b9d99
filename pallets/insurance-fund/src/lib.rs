//! # Insurance fund pallet
//!
//! The insurance fund covers bad debt left by liquidations, within a per-block payout cap, and
//! is underwritten by stakers who share its gains and losses pro rata to their shares.
//!
//! ## The fund is a margin account
//! The fund is the margin account of this pallet's [`Config::PalletId`] account
//! ([`Pallet::fund_account`]). Its USD is that account's **cash** in the margin ledger
//! ([`Config::Ledger`], `pallet-margin`), and its **value** is the account's equity
//! ([`solvent_primitives::MarginLedger::equity`]): cash + non-USD collateral taken over from
//! bankrupt accounts at haircut value + mark value of positions taken over as the backstop
//! liquidator. Money reaches the fund as cash transfers made by other pallets; this pallet
//! does nothing on arrival:
//! - liquidation penalties (`penalty rate x notional moved`), paid by `pallet-margin`;
//! - the fund's share of trading fees ([`FundParams::fee_share`]), paid by the fee-charging
//!   pallet (options), which reads the share through [`InsuranceFeeShare`].
//!
//! Arrivals raise the value per share; bad-debt payouts and losses on positions taken over
//! lower it.
//!
//! ## Bad-debt cover
//! [`solvent_primitives::BadDebtCover`] is implemented for [`Pallet`]. After a bankruptcy,
//! `pallet-margin` hands the fund the bad debt its cash can pay (the loss waterfall, in
//! `pallet-margin`'s `losses.rs`): `cover(amount)` agrees to pay
//! `min(amount, cap remaining this block, max(fund cash, 0))`, and `pallet-margin` takes that
//! from the fund's cash. The rest of what the fund took on is paid in the next blocks, first
//! thing in each (the per-block cap is a rate limit, not a limit on the loss the fund bears);
//! while it is owed, it counts against the fund's value and stakers cannot withdraw. What the
//! fund cannot pay at all is socialized by `pallet-margin`.
//!
//! ## Underwriting
//! - [`Pallet::stake`]: deposit `amount` USD units from the staker's token account into the
//!   fund's margin account for shares at the share value (below), rounded down (the first
//!   stake into a fund without shares mints one share unit per USD unit). Staking is rejected
//!   while the value is negative: new money must not pay old losses.
//! - [`Pallet::request_unstake`]: move shares into a pending unstake that unlocks after
//!   [`FundParams::unstake_cooldown`] blocks. Pending shares keep bearing losses and earning
//!   gains; [`Pallet::cancel_unstake`] makes them active again.
//! - [`Pallet::withdraw_unstaked`]: in the window after the cooldown
//!   ([`FundParams::unstake_window`]), while the fund owes no unpaid bad debt, burn the pending
//!   shares for their value at withdrawal, paid out of the fund's cash.
//! - [`Pallet::donate`]: give USD to the fund for no shares (top-up, recapitalization).
//!
//! Shares are priced with a virtual offset (OpenZeppelin's ERC-4626 defence against share
//! inflation): `shares = amount x (total + VIRTUAL_SHARES) / (value + VIRTUAL_USD)`. A fund
//! that is wiped out (worth less than one USD unit per
//! [`types::WIPED_OUT_SHARES_PER_USD_UNIT`] share units, owing nothing) is recapitalized by
//! the next stake: the outstanding shares are written off (a new share epoch,
//! [`CurrentShareEpoch`]; every record of an earlier epoch is worth nothing and is removed
//! when its staker next acts) and the stake mints one share unit per USD unit, so the share
//! supply does not grow by orders of magnitude per insolvency.
//!
//! While an oracle key that valuing margin accounts depends on is halted or stale
//! ([`Config::OracleGuard`]), [`Pallet::withdraw_unstaked`] is refused: an account bankrupt
//! at the true price cannot be priced, so the fund's value could hide its bad debt.
//!
//! This is the model of the Deribit and BitMEX insurance funds (a per-exchange fund that takes
//! liquidation penalties and absorbs bankrupt positions) with the staked-underwriter shares of
//! DeFi backstop pools (Aave Safety Module, dYdX insurance: cooldown before withdrawal, losses
//! shared pro rata during the cooldown).
//!
//! ## Parameters
//! [`FundParams`] (payout cap per block, unstake cooldown, fee share) live in [`Params`],
//! are set at genesis and changed only by [`Config::RiskAdminOrigin`] through
//! [`Pallet::set_params`], within hard bounds and at most [`types::MAX_PARAM_STEP`] of the
//! current value per change.
//!
//! ## Genesis
//! [`GenesisConfig::initial_shares`] mints shares (e.g. to the protocol treasury). The runtime
//! must deposit the matching USD into the fund's margin account in the margin pallet's genesis
//! (one USD unit per share unit keeps the share value at 1 USD); this pallet does not move
//! money at genesis.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod runtime_api;
pub mod types;
pub mod weights;

pub mod migrations;

mod fund;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use types::*;
pub use weights::WeightInfo;

use core::marker::PhantomData;
use frame_support::traits::Get;
use sp_arithmetic::Permill;

/// The fund's share of trading fees ([`FundParams::fee_share`]) as a `Get<Permill>`, for the
/// runtime to pass to the fee-charging pallet (e.g. `type InsuranceFeeShare =
/// pallet_insurance_fund::InsuranceFeeShare<Runtime>;`). Reads storage on every `get`.
pub struct InsuranceFeeShare<T>(PhantomData<T>);

impl<T: Config> Get<Permill> for InsuranceFeeShare<T> {
	fn get() -> Permill {
		Params::<T>::get().fee_share
	}
}

/// Sets up what the benchmarks need in the concrete runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Give `who` `amount` USD units in its **token** account, so that
	/// `MarginLedger::deposit_cash(who, fund, amount)` succeeds (runtime: mint the USD asset).
	fn fund_usd(who: &AccountId, amount: solvent_primitives::Balance);
	/// Give the fund's margin account `count` positions (as liquidations leave it) and
	/// collateral, so that valuing the fund prices them all.
	fn give_fund_positions(fund: &AccountId, count: u32);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{dispatch::DispatchResultWithPostInfo, pallet_prelude::*, PalletId};
	use frame_system::pallet_prelude::*;
	use solvent_primitives::{Balance, MarginLedger, OracleGuard, PositionProvider, SignedBalance};

	/// Shorthand for the parameters with this runtime's block number.
	pub type FundParamsOf<T> = FundParams<BlockNumberFor<T>>;

	/// The in-code storage version: 1 added [`FundParams::unstake_window`]
	/// ([`crate::migrations::v1`]); 2 the share epoch of every stake and pending unstake
	/// ([`crate::migrations::v2`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Id of the fund's account: its margin account holds the fund's cash, collateral and
		/// positions taken over.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The margin ledger (`pallet-margin`): the fund's cash and equity, and the USD
		/// transfers of stakes, withdrawals and bad-debt cover.
		type Ledger: MarginLedger<Self::AccountId>;

		/// Source of the open interest notional for the coverage ratio (`pallet-options`), and of
		/// the number of positions the fund holds (what valuing it costs).
		type Positions: PositionProvider<Self::AccountId>;

		/// Most positions the fund's margin account may hold (the position provider's active
		/// series: as the backstop it may hold one in each): bounds the weight of valuing it.
		#[pallet::constant]
		type MaxFundPositions: Get<u32>;

		/// Whether every oracle key that valuing margin accounts depends on is available
		/// (runtime: the collateral assets' and the open series' underlyings' keys). While one
		/// is not, [`Pallet::withdraw_unstaked`] is refused: bad debt the unavailable price
		/// hides would not count against the fund's value.
		type OracleGuard: OracleGuard;

		/// Origin allowed to change [`Params`] (within bounds and steps).
		type RiskAdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Hard lower bound of [`FundParams::unstake_cooldown`] (blocks, at least 1). A runtime
		/// constant because it depends on the block time.
		#[pallet::constant]
		type MinUnstakeCooldown: Get<BlockNumberFor<Self>>;

		/// Hard upper bound of [`FundParams::unstake_cooldown`] (blocks).
		#[pallet::constant]
		type MaxUnstakeCooldown: Get<BlockNumberFor<Self>>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Benchmark setup in the concrete runtime.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Default parameters (before genesis sets them): 100,000 USD payout cap per block, the
	/// minimum cooldown, 10% fee share.
	#[pallet::type_value]
	pub fn DefaultParams<T: Config>() -> FundParamsOf<T> {
		FundParams {
			payout_cap_per_block: DEFAULT_PAYOUT_CAP_PER_BLOCK,
			unstake_cooldown: T::MinUnstakeCooldown::get(),
			unstake_window: T::MinUnstakeCooldown::get(),
			fee_share: DEFAULT_FEE_SHARE,
		}
	}

	/// The fund's risk parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, FundParamsOf<T>, ValueQuery, DefaultParams<T>>;

	/// Share units outstanding (6 decimals): the sum of the [`CurrentShareEpoch`]'s
	/// [`Shares`] and of the shares in its [`PendingUnstakes`].
	#[pallet::storage]
	pub type TotalShares<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// The share epoch now: incremented when the fund is wiped out and the outstanding shares
	/// are written off ([`WIPED_OUT_SHARES_PER_USD_UNIT`]).
	#[pallet::storage]
	pub type CurrentShareEpoch<T: Config> = StorageValue<_, ShareEpoch, ValueQuery>;

	/// Active share units of each staker (not including a pending unstake) and their epoch;
	/// an entry of an earlier epoch is worth nothing and is removed when its staker next
	/// acts. No zero entries.
	#[pallet::storage]
	pub type Shares<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Stake>;

	/// The pending unstake of each staker (at most one; a new request adds to it and restarts
	/// the cooldown), with its epoch (worth nothing once the epoch is over).
	#[pallet::storage]
	pub type PendingUnstakes<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, PendingUnstake<BlockNumberFor<T>>>;

	/// Bad-debt cover paid in the latest block that paid any (and the cap in force for it).
	/// Keyed by block number instead of reset in `on_initialize`: a record of an earlier block
	/// means nothing was paid yet in the current one.
	#[pallet::storage]
	pub type Payouts<T: Config> = StorageValue<_, BlockPayouts<BlockNumberFor<T>>>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Initial parameters (must be within the hard bounds).
		pub params: FundParamsOf<T>,
		/// Share units minted at genesis, e.g. to the protocol treasury that seeds the fund.
		/// The runtime must deposit the matching USD into the fund's margin account in the
		/// margin pallet's genesis. No duplicate accounts, no zero amounts.
		pub initial_shares: Vec<(T::AccountId, Balance)>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self { params: DefaultParams::<T>::get(), initial_shares: Vec::new() }
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Err(e) = Pallet::<T>::check_bounds(&self.params) {
				panic!("insurance fund genesis params out of bounds: {e:?}");
			}
			Params::<T>::put(self.params);
			let mut total: Balance = 0;
			for (who, shares) in &self.initial_shares {
				assert!(*shares > 0, "insurance fund genesis: zero shares");
				assert!(!Shares::<T>::contains_key(who), "insurance fund genesis: duplicate");
				Shares::<T>::insert(who, Stake { shares: *shares, epoch: 0 });
				let Some(sum) = total.checked_add(*shares) else {
					panic!("insurance fund genesis: total shares overflow");
				};
				total = sum;
			}
			TotalShares::<T>::put(total);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` staked `amount` USD units for `shares` share units, at a fund value of
		/// `fund_value` USD units before the stake; `total_shares` after.
		Staked {
			who: T::AccountId,
			amount: Balance,
			shares: Balance,
			fund_value: SignedBalance,
			total_shares: Balance,
		},
		/// `who` moved `shares` into its pending unstake, which now holds `pending_shares`
		/// unlocking at block `unlock_at`.
		UnstakeRequested {
			who: T::AccountId,
			shares: Balance,
			pending_shares: Balance,
			unlock_at: BlockNumberFor<T>,
		},
		/// `who` cancelled its pending unstake: `shares` are active again.
		UnstakeCancelled { who: T::AccountId, shares: Balance },
		/// `who` burned `shares` pending share units for `amount` USD units, at a fund value of
		/// `fund_value` USD units before the withdrawal; `total_shares` after.
		Unstaked {
			who: T::AccountId,
			shares: Balance,
			amount: Balance,
			fund_value: SignedBalance,
			total_shares: Balance,
		},
		/// The fund paid `covered` of the `requested` USD units of bad debt (the rest waits for
		/// the next block's payout cap, or is socialized if the fund cannot pay it).
		BadDebtCovered { requested: Balance, covered: Balance },
		/// `who` gave `amount` USD units to the fund, for no shares (a top-up or
		/// recapitalization).
		Donated { who: T::AccountId, amount: Balance },
		/// The risk admin changed the parameters.
		ParamsUpdated { old: FundParamsOf<T>, new: FundParamsOf<T> },
		/// The fund was wiped out (worth `value` USD units, below one unit per
		/// [`WIPED_OUT_SHARES_PER_USD_UNIT`] share units, owing nothing) when a stake came
		/// in: the `shares` outstanding in share epoch `epoch` are written off (worth nothing;
		/// the `value` left goes to the new epoch) and epoch `epoch + 1` starts at one share
		/// unit per USD unit.
		SharesWrittenOff { epoch: ShareEpoch, shares: Balance, value: SignedBalance },
		/// `who`'s record of `shares` share units of the ended share epoch `epoch` (active or
		/// pending) was removed: they were written off.
		StakeWrittenOff { who: T::AccountId, shares: Balance, epoch: ShareEpoch },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The USD amount is zero.
		ZeroAmount,
		/// The number of shares is zero.
		ZeroShares,
		/// The stake is too small to mint a single share unit at the current share value.
		StakeTooSmall,
		/// The account has fewer active shares than requested.
		InsufficientShares,
		/// The account has no pending unstake.
		NothingPending,
		/// The pending unstake's cooldown has not ended yet.
		CooldownNotOver,
		/// The fund's value is not positive (it owes more than it holds): staking would make new
		/// money pay old losses, and withdrawals would pay nothing.
		FundValueNotPositive,
		/// The fund's value cannot be computed now (a price it needs is unavailable).
		FundValueUnavailable,
		/// The fund's cash is below the amount to pay out (its value is held in collateral or
		/// positions taken over); retry once they are sold or settled.
		InsufficientFundCash,
		/// An amount does not fit in the numeric type.
		Overflow,
		/// The withdrawal window after the cooldown has passed: cancel and request again.
		WithdrawalWindowMissed,
		/// The fund owes bad debt it has not yet paid (its per-block cap): withdrawals wait.
		BadDebtPending,
		/// `unstake_window` is outside its hard bounds.
		WindowOutOfBounds,
		/// `unstake_window` moves by more than the maximum step.
		WindowStepTooLarge,
		/// `payout_cap_per_block` is outside its hard bounds.
		PayoutCapOutOfBounds,
		/// `payout_cap_per_block` moves by more than the maximum step.
		PayoutCapStepTooLarge,
		/// `unstake_cooldown` is outside its hard bounds.
		CooldownOutOfBounds,
		/// `unstake_cooldown` moves by more than the maximum step.
		CooldownStepTooLarge,
		/// `fee_share` is above its hard bound.
		FeeShareOutOfBounds,
		/// `fee_share` moves by more than the maximum step.
		FeeShareStepTooLarge,
		/// The account's shares belong to a share epoch that was written off: they are worth
		/// nothing (a stake, `cancel_unstake` or `withdraw_unstaked` removes the record).
		SharesWrittenOff,
		/// An oracle key that valuing margin accounts depends on (a collateral asset's or an
		/// open series' underlying's) is halted or stale: an account bankrupt at the true price
		/// could not be priced, so the fund's value could hide bad debt. Withdrawals wait until
		/// the key is available again (a halt lifts by itself after the oracle's breaker
		/// cool-off once the feeds agree).
		OracleKeyUnavailable,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxFundPositions::get() > 0, "MaxFundPositions must be positive");
			let (min, max) = (T::MinUnstakeCooldown::get(), T::MaxUnstakeCooldown::get());
			assert!(!min.is_zero(), "MinUnstakeCooldown must be at least one block");
			assert!(min <= max, "MinUnstakeCooldown must not exceed MaxUnstakeCooldown");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Stake `amount` USD units into the fund for shares.
		///
		/// Origin: signed (the staker). Moves `amount` of the USD asset from the staker's token
		/// account into the fund's margin account (`MarginLedger::deposit_cash`) and mints
		/// `amount x (total_shares + VIRTUAL_SHARES) / (value + VIRTUAL_USD)` share units,
		/// rounded down, with `value` the fund's value before the stake
		/// ([`Pallet::shares_for_stake`]); the first stake into an empty fund mints `amount`.
		/// Into a wiped-out fund ([`Pallet::is_wiped_out`]) the stake first writes the
		/// outstanding shares off and then mints `amount`; a record of the caller's from an
		/// ended share epoch is replaced.
		///
		/// Emits [`Event::Staked`], and [`Event::SharesWrittenOff`] /
		/// [`Event::StakeWrittenOff`] on a write-off. Errors: [`Error::ZeroAmount`],
		/// [`Error::FundValueUnavailable`], [`Error::FundValueNotPositive`],
		/// [`Error::BadDebtPending`] (wiped out but still owing), [`Error::StakeTooSmall`],
		/// [`Error::Overflow`], or the ledger's error if the staker lacks the USD.
		///
		/// Weight: valuing the fund prices every position it holds; charged for
		/// [`Config::MaxFundPositions`], refunded to the positions it holds.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::stake(T::MaxFundPositions::get()))]
		pub fn stake(origin: OriginFor<T>, amount: Balance) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_stake(&who, amount)?;
			Ok(Some(T::WeightInfo::stake(Self::fund_position_count())).into())
		}

		/// Move `shares` active share units into the caller's pending unstake.
		///
		/// Origin: signed (the staker). The pending unstake unlocks `unstake_cooldown` blocks
		/// from now; adding to an existing one restarts its cooldown for all its shares.
		/// Pending shares keep bearing the fund's losses and earning its gains.
		///
		/// Emits [`Event::UnstakeRequested`] (and [`Event::StakeWrittenOff`] if it replaces a
		/// pending unstake of an ended share epoch). Errors: [`Error::ZeroShares`],
		/// [`Error::SharesWrittenOff`], [`Error::InsufficientShares`], [`Error::Overflow`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::request_unstake())]
		pub fn request_unstake(origin: OriginFor<T>, shares: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_unstake(&who, shares)
		}

		/// Cancel the caller's pending unstake: its shares become active again.
		///
		/// Origin: signed (the staker). Emits [`Event::UnstakeCancelled`]; a pending unstake of
		/// an ended share epoch is removed instead, with the caller's active shares of that
		/// epoch ([`Event::StakeWrittenOff`]). Errors: [`Error::NothingPending`],
		/// [`Error::Overflow`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::cancel_unstake())]
		pub fn cancel_unstake(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_unstake(&who)
		}

		/// Withdraw the caller's pending unstake after its cooldown.
		///
		/// Origin: signed (the staker). Burns the pending shares and pays
		/// `shares x value / total_shares` USD units (rounded down, `value` = fund equity now)
		/// from the fund's margin account to the staker's token account
		/// (`MarginLedger::withdraw_cash`). A zero payout (dust shares) burns the shares and
		/// moves nothing.
		///
		/// Allowed from `unlock_at` to `unlock_at + unstake_window`, only while the fund owes
		/// no bad debt it has not paid (it backs that debt with its cash), and only while every
		/// oracle key valuing margin accounts depends on is available
		/// ([`Config::OracleGuard`]; a halted key could hide bad debt, and the oracle lifts a
		/// halt by itself after its breaker cool-off once the feeds agree). A pending unstake
		/// of an ended share epoch is removed and pays nothing ([`Event::StakeWrittenOff`]).
		///
		/// Emits [`Event::Unstaked`]. Errors: [`Error::NothingPending`],
		/// [`Error::CooldownNotOver`], [`Error::WithdrawalWindowMissed`],
		/// [`Error::BadDebtPending`], [`Error::OracleKeyUnavailable`],
		/// [`Error::FundValueUnavailable`],
		/// [`Error::FundValueNotPositive`], [`Error::InsufficientFundCash`],
		/// [`Error::Overflow`], or the ledger's error if the withdrawal would break the fund's
		/// initial margin.
		///
		/// Weight: charged for [`Config::MaxFundPositions`] and not refunded: besides valuing
		/// the fund (its positions), the [`Config::OracleGuard`] reads every active series
		/// (`MaxFundPositions` of them at most in the runtime), whether the fund holds a
		/// position in it or not; the benchmark at its maximum has a position in each.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unstaked(T::MaxFundPositions::get()))]
		pub fn withdraw_unstaked(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unstaked(&who)?;
			Ok(().into())
		}

		/// Give `amount` USD units to the fund without receiving shares: every staker's shares
		/// are worth more. How anyone (a treasury referendum, a market maker) tops up or
		/// recapitalizes the fund.
		///
		/// Origin: signed. Moves the USD from the caller's token account into the fund's margin
		/// account (`MarginLedger::deposit_cash`). Emits [`Event::Donated`]. Errors:
		/// [`Error::ZeroAmount`], or the ledger's error if the caller lacks the USD.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::donate())]
		pub fn donate(origin: OriginFor<T>, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_donate(&who, amount)
		}

		/// Set the fund's parameters.
		///
		/// Origin: [`Config::RiskAdminOrigin`]. Every field must be within its hard bounds
		/// (`payout_cap_per_block` from [`MIN_PAYOUT_CAP_PER_BLOCK`] to
		/// [`MAX_PAYOUT_CAP_PER_BLOCK`] USD units, `unstake_cooldown` from
		/// [`Config::MinUnstakeCooldown`] to [`Config::MaxUnstakeCooldown`] blocks,
		/// `fee_share` at most [`MAX_FEE_SHARE`]) and differ from its current value by at most
		/// [`MAX_PARAM_STEP`] of it. A new payout cap applies from the next block if the fund
		/// already paid in this one; a new cooldown applies to unstakes requested afterwards.
		///
		/// Emits [`Event::ParamsUpdated`]. Errors: [`Error::PayoutCapOutOfBounds`],
		/// [`Error::CooldownOutOfBounds`], [`Error::FeeShareOutOfBounds`],
		/// [`Error::PayoutCapStepTooLarge`], [`Error::CooldownStepTooLarge`],
		/// [`Error::FeeShareStepTooLarge`], `BadOrigin`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: FundParamsOf<T>) -> DispatchResult {
			T::RiskAdminOrigin::ensure_origin(origin)?;
			Self::do_set_params(params)
		}
	}
}
