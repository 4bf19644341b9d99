//! # Margin pallet
//!
//! Margin accounts of Solvent: multi-asset collateral with haircuts, initial and maintenance
//! margin checks, liquidation (permissionless and automatic), and the loss waterfall of bad
//! debt (insurance fund, then socialization). The design is in `docs/DESIGN.md`; the rules live here:
//!
//! | rule | function |
//! | --- | --- |
//! | collateral value, equity, health | [`Pallet::risk`] (`account.rs`) |
//! | risk-increasing actions need `equity >= IM` | [`Pallet::ensure_initial_margin_of`] |
//! | initial-margin add-on from the fund's coverage ratio | [`im_addon_curve`], `coverage.rs` |
//! | liquidatable | [`Pallet::is_liquidatable`] |
//! | partial liquidation, penalty, keeper reward | [`Pallet::do_liquidate`] (`liquidation.rs`) |
//! | bad debt: insurance fund, then socialization | [`Pallet::settle_bad_debt`], `losses.rs` |
//! | automatic liquidation | [`Pallet::liquidation_candidates`], offchain worker |
//!
//! ## Custody
//! Deposited tokens (pallet-assets, through the `fungibles` traits) are held by this pallet's
//! account ([`Config::PalletId`]); the ledger records each account's share: `cash` for the
//! settlement asset (USD, 6 decimals, signed, stored at the [`CashIndex`]) and `collateral` for
//! other assets. `try_state` checks, per collateral asset, that the pallet account's balance
//! equals the sum over accounts, and for USD that the balance plus the bad debt the fund owes
//! is at least the sum of cash (rounding dust of socialized losses aside, equal).
//!
//! ## Equity and margin
//! `equity = cash + sum(amount x index price x (1 - haircut)) + unrealized PnL`, with prices
//! from [`Config::Prices`] (only available prices: fresh, quorum, not halted) and requirements
//! and PnL from [`Config::Positions`], which knows the products. An account is liquidatable
//! when `equity < maintenance margin`. Withdrawals (and, through
//! [`solvent_primitives::MarginLedger::ensure_trade_margin`], every risk-increasing trade)
//! need `equity >= initial margin` afterwards.
//!
//! An unavailable price blocks only what depends on it (`risk.rs`, "Unavailable prices"):
//! initial-margin checks count collateral whose price is unavailable at zero; the liquidation
//! test counts it at the oracle's upper bound (so dust never saves an account and a large
//! holding never condemns one); a bankruptcy waits for the price; positions that cannot be
//! priced block their account's checks and liquidation.
//!
//! ## Coverage drives margin
//! Each block's `on_initialize` reads the insurance fund's coverage ratio (fund value / open
//! interest notional) and sets the initial-margin add-on in force ([`ImAddOn`]) by the curve
//! [`im_addon_curve`]: zero at or above [`MarginParams::coverage_target`], rising linearly to
//! [`MarginParams::max_im_addon`] at a coverage of zero, rising by at most
//! [`MAX_IM_ADDON_RISE_PER_BLOCK`] per block. Risk-increasing actions then need `equity >=
//! (IM + open-order margin) x (1 + add-on)`; the maintenance margin, and so liquidation, is
//! untouched, and a trade that only reduces risk is never blocked by it (`coverage.rs`).
//!
//! ## Liquidation
//! Positions move to the insurance fund's margin account (the backstop liquidator) at mark,
//! largest maintenance margin first, just enough contracts to restore `equity >= IM`. The
//! account pays the liquidation penalty (to the fund) and, for a keeper's `liquidate`, the
//! keeper reward, both as a rate of the notional moved and never more than the account's
//! remaining positive equity. An account left with no positions and negative equity has its
//! collateral seized at haircut value; the remaining negative cash is bad debt. The insurance
//! fund ([`Config::BadDebt`]) takes it over for as much as its cash can pay, within a per-block
//! payout cap (the rest, [`UncoveredBadDebt`], is paid in the next blocks); what the fund
//! cannot pay is charged at once to every account's positive cash, pro rata, through the
//! [`CashIndex`] (`losses.rs`). After every block the settlement asset held covers every
//! account's cash.
//!
//! Every validator's offchain worker submits an unsigned [`Pallet::liquidate_batch`] after each
//! block with the liquidatable accounts, largest maintenance deficit first, at most
//! [`MarginParams::max_liquidations_per_block`]; the call is `Operational`, so it is included
//! in the next block even when that block is full of normal transactions.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod runtime_api;
pub mod types;
pub mod weights;

pub mod migrations;

mod coverage;
mod custody;
mod ledger;
mod liquidation;
pub mod losses;
mod params;
mod risk;
mod views;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_coverage;

pub use losses::RecomputePositiveCashTotal;
pub use types::*;
pub use weights::WeightInfo;

/// Hooks the benchmarks need from the runtime: prices and a product position that can be made
/// liquidatable.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Create (if needed) collateral asset `asset` and give `who` `amount` of it.
	fn fund(
		asset: solvent_primitives::AssetId,
		who: &AccountId,
		amount: solvent_primitives::Balance,
	);
	/// Make every price the pallet and the position provider read available at normal levels.
	fn set_prices();
	/// Open `count` short positions for `who` (who has enough margin at normal prices).
	fn open_positions(who: &AccountId, count: u32);
	/// Give the insurance fund's margin account `count` positions, one per series, as
	/// liquidations leave it (up to `BadDebtCover::max_fund_positions`, beyond what one
	/// trader may hold).
	fn give_fund_positions(fund: &AccountId, count: u32);
	/// Rest `count` orders of `who` (in the series of its positions; `who` has the margin).
	fn open_orders(who: &AccountId, count: u32);
	/// Move prices so that accounts with short positions become liquidatable.
	fn crash_prices();
	/// A non-settlement collateral asset of index `i` (`0..MaxCollateralAssets - 1`).
	fn collateral_asset(i: u32) -> solvent_primitives::AssetId;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		dispatch::{DispatchClass, Pays},
		pallet_prelude::*,
		traits::{
			fungibles::{metadata::Inspect as MetadataInspect, Mutate},
			EnsureOrigin,
		},
		PalletId,
	};
	use frame_system::{
		offchain::{CreateBare, SubmitTransaction},
		pallet_prelude::*,
	};
	use solvent_primitives::{
		AssetId, BadDebtCover, Balance, PositionProvider, PriceProvider, ProtocolAccounts,
		SignedBalance,
	};
	use sp_arithmetic::Permill;

	/// The in-code storage version: 1 added [`MarginParams::min_deposit`] and the [`Debtors`]
	/// index ([`crate::migrations::v1`]); 2 the cash index and the loss waterfall's storage
	/// ([`crate::migrations::v2`]); 3 the coverage target and the maximum initial-margin
	/// add-on in [`MarginParams`] ([`crate::migrations::v3`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateBare<Call<Self>>
	{
		/// Token balances of the collateral assets (pallet-assets).
		type Assets: Mutate<Self::AccountId, AssetId = AssetId, Balance = Balance>
			+ MetadataInspect<Self::AccountId>;
		/// Index prices (USD per whole unit, `FixedU128`) of the collateral assets.
		type Prices: PriceProvider;
		/// Positions of the products (options) and their margin requirements.
		type Positions: PositionProvider<Self::AccountId>;
		/// The insurance fund: backstop liquidator and bad-debt cover.
		type BadDebt: BadDebtCover<Self::AccountId>;
		/// The protocol's own accounts: never liquidated, exempt from the trade margin rule and
		/// from the minimum deposit.
		type ProtocolAccounts: ProtocolAccounts<Self::AccountId>;
		/// Origin that sets haircuts and liquidation parameters (Root or the risk-admin track).
		type RiskAdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The pallet's id; its account holds all deposited tokens.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// The settlement asset (USD stablecoin, 6 decimals): deposits of it become `cash`.
		#[pallet::constant]
		type SettlementAsset: Get<AssetId>;
		/// Most non-settlement collateral assets one account may hold.
		#[pallet::constant]
		type MaxCollateralAssets: Get<u32>;
		/// Most positions one account may hold in the position provider (for weights).
		#[pallet::constant]
		type MaxPositions: Get<u32>;
		/// Most resting orders one account may have in the position provider: a liquidation
		/// cancels them (for weights).
		#[pallet::constant]
		type MaxOpenOrders: Get<u32>;
		/// Most option series with open interest at once (the position provider's bound on
		/// active series): what computing the open interest notional, each block, may cost.
		#[pallet::constant]
		type MaxActiveSeries: Get<u32>;
		/// Hard upper bound of [`MarginParams::max_liquidations_per_block`].
		#[pallet::constant]
		type MaxLiquidationsPerBlock: Get<u32>;
		/// Pool priority of the offchain worker's `liquidate_batch`.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;
		/// Weights from the benchmarks.
		type WeightInfo: WeightInfo;
		/// Benchmark setup.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::BenchmarkHelper<Self::AccountId>;
	}

	/// Margin accounts. An account without cash and collateral has no entry.
	#[pallet::storage]
	pub type Accounts<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		MarginAccount<T::MaxCollateralAssets>,
		OptionQuery,
	>;

	/// Risk parameters of each accepted collateral asset (non-settlement). An asset without an
	/// entry cannot be deposited.
	#[pallet::storage]
	pub type Collateral<T: Config> =
		StorageMap<_, Blake2_128Concat, AssetId, CollateralParams, OptionQuery>;

	/// Liquidation parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, MarginParams, ValueQuery>;

	/// Bad debt the insurance fund has taken over and not yet paid, because of its per-block
	/// payout cap (USD units). Earmarked against the fund's cash: never more than it at the end
	/// of a block ([`Pallet::settle_fund_losses`]), and the fund's stakers cannot withdraw while
	/// it is non-zero.
	#[pallet::storage]
	pub type UncoveredBadDebt<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// The value of positive cash ([`CashIndex`]), lowered by every socialized loss.
	#[pallet::storage]
	pub type CurrentCashIndex<T: Config> = StorageValue<_, CashIndex, ValueQuery>;

	/// Scaled positive cash of the accounts socialization charges, and their number
	/// ([`PositiveCash`]): what a loss is divided by.
	#[pallet::storage]
	pub type PositiveCashTotal<T: Config> = StorageValue<_, PositiveCash, ValueQuery>;

	/// The initial-margin add-on in force: risk-increasing actions need `equity >= (IM +
	/// open-order margin) x (1 + ImAddOn)`. Set only in `on_initialize` from the insurance
	/// fund's coverage ratio ([`Pallet::update_im_addon`], curve [`im_addon_curve`]), so
	/// constant within a block. At most [`MAX_IM_ADDON`].
	#[pallet::storage]
	pub type ImAddOn<T: Config> = StorageValue<_, Permill, ValueQuery>;

	/// Accounts whose cash is negative (a debt their collateral backs, or bad debt). With the
	/// position provider's index of position holders, this is what the liquidation scan
	/// reads: an account with neither positions nor debt cannot be liquidatable, so dust
	/// accounts cost the scan nothing.
	#[pallet::storage]
	pub type Debtors<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, (), OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Accepted collateral assets and their parameters.
		pub collateral: Vec<(AssetId, CollateralParams)>,
		/// Liquidation parameters.
		pub params: MarginParams,
		/// Initial cash (USD units) of margin accounts; the matching settlement-asset tokens
		/// are minted to the pallet account (used to seed the insurance fund).
		pub cash: Vec<(T::AccountId, Balance)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				Pallet::<T>::check_params(&self.params).is_ok(),
				"margin: invalid genesis params"
			);
			for (asset, params) in &self.collateral {
				assert!(*asset != T::SettlementAsset::get(), "margin: settlement asset is cash");
				assert!(params.haircut <= MAX_HAIRCUT, "margin: genesis haircut too large");
				Collateral::<T>::insert(asset, params);
			}
			Params::<T>::put(self.params);
			for (who, amount) in &self.cash {
				let minted = T::Assets::mint_into(
					T::SettlementAsset::get(),
					&Pallet::<T>::account_id(),
					*amount,
				);
				assert!(minted.is_ok(), "margin: cannot mint genesis cash");
				let (stored, mut account) = Pallet::<T>::load_account(who);
				account.cash = account.cash.saturating_add(to_signed(*amount));
				Pallet::<T>::write_account(who, &stored, account);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `amount` (smallest units of `asset`) moved from `who`'s tokens into its margin
		/// account.
		Deposited { who: T::AccountId, asset: AssetId, amount: Balance },
		/// `amount` (smallest units of `asset`) moved from `who`'s margin account to its tokens.
		Withdrawn { who: T::AccountId, asset: AssetId, amount: Balance },
		/// `who` was liquidated. USD units; `keeper` is `None` for automatic liquidation;
		/// `penalty` and `keeper_reward` are what `who` paid the fund and the keeper. Equity
		/// counts collateral whose price is unavailable at the oracle's upper bound
		/// ([`Pallet::liquidation_risk`]).
		Liquidated {
			who: T::AccountId,
			keeper: Option<T::AccountId>,
			equity_before: SignedBalance,
			maintenance_margin_before: Balance,
			equity_after: SignedBalance,
			initial_margin_after: Balance,
			notional: Balance,
			penalty: Balance,
			keeper_reward: Balance,
			positions_closed: u32,
		},
		/// `quantity` contracts of position `position_id` moved from `who` to the insurance
		/// fund at mark; `value` is what the fund paid `who` (negative: `who` paid the fund).
		PositionLiquidated {
			who: T::AccountId,
			position_id: u32,
			quantity: u64,
			value: SignedBalance,
			notional: Balance,
		},
		/// Collateral of a bankrupt account moved to the insurance fund at its haircut `value`
		/// (USD units), credited to `who`'s cash.
		CollateralSeized { who: T::AccountId, asset: AssetId, amount: Balance, value: Balance },
		/// Bad debt of `who` (USD units), cleared from its account: `to_fund` taken over by the
		/// insurance fund (`paid` of it in this block, the rest added to
		/// [`UncoveredBadDebt`]), `socialized` charged to positive cash.
		BadDebt {
			who: T::AccountId,
			amount: Balance,
			to_fund: Balance,
			paid: Balance,
			socialized: Balance,
		},
		/// A loss of `requested` USD units was charged to every account's positive cash, pro
		/// rata: `amount` (less than `requested` only if it exceeded all positive cash) by
		/// lowering the index to `cash_index`.
		LossSocialized { amount: Balance, requested: Balance, cash_index: CashIndex },
		/// The insurance fund's realized deficit (`amount`, USD units) was socialized and
		/// credited to its cash.
		FundDeficitSocialized { amount: Balance },
		/// `who`'s share of socialized losses since its cash was last written (USD units),
		/// deducted as the account is written. Its cash was worth this much less from the
		/// block of each loss on.
		CashHaircut { who: T::AccountId, amount: Balance },
		/// An account of an automatic batch was no longer liquidatable when its turn came, or
		/// could not be liquidated (a price it needs is unavailable).
		LiquidationSkipped { who: T::AccountId },
		/// `who`'s liquidation closed its last position with negative equity (`equity`, USD
		/// units, its collateral at the oracle's upper bound where unavailable), but the
		/// bankruptcy (collateral seizure, bad debt) waits: the index price of collateral
		/// `assets` is unavailable. The automatic batch runs it once the prices are back.
		BankruptcyDeferred { who: T::AccountId, equity: SignedBalance, assets: Vec<AssetId> },
		/// Parameters of collateral `asset` set.
		CollateralParamsSet { asset: AssetId, params: CollateralParams },
		/// Liquidation parameters set.
		ParamsSet { params: MarginParams },
		/// The initial-margin add-on in force ([`ImAddOn`]) changed to `im_addon`, moving
		/// toward `curve` ([`im_addon_curve`] at `coverage_ratio`, the insurance fund's value
		/// / open interest notional; `None`: no open interest).
		ImAddOnChanged {
			coverage_ratio: Option<sp_arithmetic::FixedU128>,
			curve: Permill,
			im_addon: Permill,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Amount is zero.
		ZeroAmount,
		/// The asset is not an accepted collateral asset.
		UnknownCollateral,
		/// The asset is not accepting deposits.
		CollateralDisabled,
		/// The account would hold more collateral assets than `MaxCollateralAssets`.
		TooManyCollateralAssets,
		/// Not enough cash (settlement asset) in the margin account.
		InsufficientCash,
		/// Not enough of this collateral asset in the margin account.
		InsufficientCollateral,
		/// Equity would be below the initial margin.
		InsufficientMargin,
		/// A price the computation needs is unavailable (stale, no quorum or halted).
		PriceUnavailable,
		/// The account is not liquidatable (equity >= maintenance margin).
		NotLiquidatable,
		/// Empty batch, batch larger than the per-block cap, or an account twice.
		InvalidBatch,
		/// The batch's positions exceed its `position_witness`.
		WitnessTooLow,
		/// A parameter is outside its hard bounds.
		ParamOutOfBounds,
		/// A parameter changes by more than the allowed step.
		ParamStepTooLarge,
		/// The settlement asset is cash, not a collateral asset with parameters.
		SettlementAssetNotCollateral,
		/// Arithmetic overflow.
		Overflow,
		/// A new collateral asset must exist (in `Config::Assets`) and have its spot price
		/// tracked by the oracle; this one does not.
		UnsupportedCollateral,
		/// A keeper cannot liquidate its own account.
		SelfLiquidation,
		/// The account is bankrupt (no positions, negative equity), but the bankruptcy waits
		/// for the index price of a collateral asset it holds (see [`Event::BankruptcyDeferred`]).
		BankruptcyAwaitsPrice,
		/// A deposit that opens a margin account is below [`MarginParams::min_deposit`].
		DepositBelowMinimum,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// The loss waterfall's per-block work ([`Pallet::process_bad_debt`], pricing the
		/// fund's positions now), then the initial-margin add-on of the block, from the fund's
		/// coverage ratio after the waterfall ([`Pallet::update_im_addon`]). The returned weight
		/// also charges this block's `on_finalize` (the FRAME convention: `on_finalize` returns
		/// no weight), whose [`Pallet::settle_fund_losses`] prices the fund as it is at the end
		/// of the block: the block's liquidations (a keeper's `liquidate` calls, not bounded in
		/// number, as well as the batch) may have moved positions to it, so it is charged for
		/// the most positions the fund may hold (`BadDebtCover::max_fund_positions`, the
		/// position provider's active series; red-team finding 11).
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			let positions = T::Positions::position_count(&T::BadDebt::fund_account());
			Self::process_bad_debt();
			let addon_weight = Self::update_im_addon_weight();
			let _ = Self::update_im_addon();
			T::WeightInfo::process_bad_debt(positions)
				.saturating_add(T::WeightInfo::process_bad_debt(T::BadDebt::max_fund_positions()))
				.saturating_add(addon_weight)
		}

		/// The loss waterfall's end of block: the settlement asset held covers every account's
		/// cash ([`Pallet::settle_fund_losses`]).
		fn on_finalize(_n: BlockNumberFor<T>) {
			Self::settle_fund_losses();
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::offchain_liquidations(now);
		}

		fn integrity_test() {
			assert!(T::MaxCollateralAssets::get() > 0, "MaxCollateralAssets must be > 0");
			assert!(T::MaxLiquidationsPerBlock::get() > 0, "MaxLiquidationsPerBlock must be > 0");
			assert!(
				Pallet::<T>::check_params(&MarginParams {
					max_liquidations_per_block: T::MaxLiquidationsPerBlock::get(),
					..Default::default()
				})
				.is_ok(),
				"default params must be within bounds"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Deposit `amount` of `asset` (smallest units) from the signer's tokens into its margin
		/// account. The settlement asset becomes cash; any other asset must be an enabled
		/// collateral asset. The deposit that opens an account must be worth at least
		/// [`MarginParams::min_deposit`] USD units (another asset at its haircut value).
		///
		/// Origin: signed. Emits [`Event::Deposited`].
		/// Errors: [`Error::ZeroAmount`], [`Error::UnknownCollateral`],
		/// [`Error::CollateralDisabled`], [`Error::TooManyCollateralAssets`],
		/// [`Error::DepositBelowMinimum`], [`Error::PriceUnavailable`] (opening with an asset
		/// whose price is unavailable), [`Error::Overflow`], token errors if the signer lacks
		/// the tokens.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::deposit())]
		pub fn deposit(origin: OriginFor<T>, asset: AssetId, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deposit(&who, &who, asset, amount)
		}

		/// Withdraw `amount` of `asset` (smallest units) from the signer's margin account to its
		/// tokens. Needs the account's positions priced and equity >= initial margin + the
		/// margin of its resting orders afterwards, collateral whose price is unavailable
		/// counted at zero (that asset itself may be withdrawn on the same check).
		///
		/// Origin: signed. Emits [`Event::Withdrawn`].
		/// Errors: [`Error::ZeroAmount`], [`Error::InsufficientCash`],
		/// [`Error::InsufficientCollateral`], [`Error::PriceUnavailable`],
		/// [`Error::InsufficientMargin`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::withdraw(T::MaxPositions::get()))]
		pub fn withdraw(origin: OriginFor<T>, asset: AssetId, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw(&who, &who, asset, amount)
		}

		/// Liquidate `account` (see the crate docs); the signer receives the keeper reward
		/// (see [`Pallet::liquidation_fees`], USD units) in its margin cash.
		///
		/// Origin: signed (anyone but `account`). Emits [`Event::Liquidated`],
		/// [`Event::PositionLiquidated`] per position, and on bankruptcy
		/// [`Event::CollateralSeized`], [`Event::BadDebt`], [`Event::LossSocialized`] (or
		/// [`Event::BankruptcyDeferred`] while a collateral price is unavailable).
		/// Errors: [`Error::SelfLiquidation`], [`Error::NotLiquidatable`],
		/// [`Error::PriceUnavailable`], [`Error::BankruptcyAwaitsPrice`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::liquidate(T::MaxPositions::get()))]
		pub fn liquidate(
			origin: OriginFor<T>,
			account: T::AccountId,
		) -> DispatchResultWithPostInfo {
			let keeper = ensure_signed(origin)?;
			let outcome = Self::do_liquidate(&account, Some(&keeper))?;
			let seen = outcome.positions_seen.min(T::MaxPositions::get());
			Ok(Some(T::WeightInfo::liquidate(seen)).into())
		}

		/// Liquidate up to [`MarginParams::max_liquidations_per_block`] accounts, submitted by
		/// the offchain workers. `position_witness` is at least the total number of positions
		/// of the accounts (it bounds the weight). Accounts no longer liquidatable are skipped.
		///
		/// Origin: none (unsigned; `validate_unsigned` accepts it only in a block, where at
		/// least one account must be liquidatable and `position_witness` high enough, or from
		/// the local node's offchain worker, where only its shape is checked; it is not
		/// propagated). Operational, no fee.
		/// Emits what [`Pallet::liquidate`] emits per account, or [`Event::LiquidationSkipped`].
		/// Errors: [`Error::InvalidBatch`], [`Error::WitnessTooLow`].
		#[pallet::call_index(3)]
		#[pallet::weight((
			Pallet::<T>::liquidate_batch_weight(accounts.len() as u32, *position_witness),
			DispatchClass::Operational,
			Pays::No
		))]
		pub fn liquidate_batch(
			origin: OriginFor<T>,
			accounts: BoundedVec<T::AccountId, T::MaxLiquidationsPerBlock>,
			position_witness: u32,
		) -> DispatchResultWithPostInfo {
			ensure_none(origin)?;
			let positions = Self::do_liquidate_batch(&accounts, position_witness)?;
			Ok(Some(Self::liquidate_batch_weight(accounts.len() as u32, positions)).into())
		}

		/// Set the haircut and enabled flag of non-settlement collateral `asset` (adds the
		/// asset if new). The haircut is at most [`MAX_HAIRCUT`] and moves by at most
		/// [`MAX_HAIRCUT_STEP`] per call (a new asset may start at any allowed haircut).
		///
		/// Origin: [`Config::RiskAdminOrigin`]. Emits [`Event::CollateralParamsSet`].
		/// Errors: [`Error::SettlementAssetNotCollateral`], [`Error::UnsupportedCollateral`]
		/// (a new asset that does not exist or has no oracle spot price),
		/// [`Error::ParamOutOfBounds`], [`Error::ParamStepTooLarge`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_collateral_params())]
		pub fn set_collateral_params(
			origin: OriginFor<T>,
			asset: AssetId,
			params: CollateralParams,
		) -> DispatchResult {
			T::RiskAdminOrigin::ensure_origin(origin)?;
			Self::do_set_collateral_params(asset, params)
		}

		/// Set the liquidation parameters. Penalty at most [`MAX_LIQUIDATION_PENALTY`], keeper
		/// reward at most [`MAX_KEEPER_REWARD`], each moving by at most [`MAX_RATE_STEP`] per
		/// call; `max_liquidations_per_block` in `1..=MaxLiquidationsPerBlock`; minimum deposit
		/// at most [`MAX_MIN_DEPOSIT`], moving by at most [`MAX_MIN_DEPOSIT_STEP`] of its
		/// value; coverage target at most [`MAX_COVERAGE_TARGET`], moving by at most
		/// [`MAX_COVERAGE_TARGET_STEP`]; maximum initial-margin add-on at most [`MAX_IM_ADDON`],
		/// moving by at most [`MAX_IM_ADDON_STEP`]. The new coverage curve applies from the
		/// next block ([`Pallet::update_im_addon`]).
		///
		/// Origin: [`Config::RiskAdminOrigin`]. Emits [`Event::ParamsSet`].
		/// Errors: [`Error::ParamOutOfBounds`], [`Error::ParamStepTooLarge`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: MarginParams) -> DispatchResult {
			T::RiskAdminOrigin::ensure_origin(origin)?;
			Self::do_set_params(params)
		}
	}

	// The offchain worker's unsigned batch is validated here. `ValidateUnsigned` is deprecated
	// in favour of `#[pallet::authorize]` (removal planned after April 2027); moving to it
	// needs `frame_system::AuthorizeCall` in the runtime's transaction extensions.
	#[allow(deprecated)]
	#[pallet::validate_unsigned]
	impl<T: Config> ValidateUnsigned for Pallet<T> {
		type Call = Call<T>;

		fn validate_unsigned(source: TransactionSource, call: &Self::Call) -> TransactionValidity {
			let Call::liquidate_batch { accounts, position_witness } = call else {
				return InvalidTransaction::Call.into();
			};
			let checked = match source {
				// In a block (built or imported): the batch must liquidate someone at this
				// state, so no block space goes to a useless batch.
				TransactionSource::InBlock => Self::check_batch(accounts, *position_witness),
				// From this node's offchain worker. The transaction pool may validate it at the
				// parent of the block the worker ran on (the fork-aware pool validates a local
				// submission at its active views, and the new block's view may not exist yet),
				// where the accounts the new price made liquidatable are still healthy; only the
				// shape is checked here, and inclusion re-checks everything (`InBlock`).
				TransactionSource::Local => Self::check_batch_shape(accounts),
				// Other nodes' batches are theirs to include.
				TransactionSource::External => return InvalidTransaction::Call.into(),
			};
			if checked.is_err() {
				return InvalidTransaction::Stale.into();
			}
			ValidTransaction::with_tag_prefix("SolventLiquidation")
				.priority(T::UnsignedPriority::get())
				.and_provides(accounts.encode())
				.longevity(3)
				// Peers reject it (`External`), and would lower this node's reputation.
				.propagate(false)
				.build()
		}
	}

	impl<T: Config> Pallet<T> {
		/// The pallet's account, which holds every deposited token.
		pub fn account_id() -> T::AccountId {
			use sp_runtime::traits::AccountIdConversion;
			T::PalletId::get().into_account_truncating()
		}

		/// Offchain worker: submit the liquidatable accounts as one unsigned batch.
		pub(crate) fn offchain_liquidations(now: BlockNumberFor<T>) {
			if !sp_io::offchain::is_validator() {
				return;
			}
			let limit = Params::<T>::get().max_liquidations_per_block;
			let (accounts, witness) = Self::liquidation_candidates(limit);
			if accounts.is_empty() {
				return;
			}
			let count = accounts.len();
			let Ok(accounts) = BoundedVec::try_from(accounts) else { return };
			let call = Call::<T>::liquidate_batch { accounts, position_witness: witness };
			let xt = T::create_bare(call.into());
			// The worker starts when block `now` is imported, as the transaction pool builds its
			// view of that block; a transaction submitted while the view is being built can miss
			// it (the fork-aware pool snapshots its mempool into the new view first) and wait a
			// block. Submitting a little later lands it in the new view, ready for the next block.
			let at = sp_io::offchain::timestamp()
				.add(sp_runtime::offchain::Duration::from_millis(OCW_SUBMIT_DELAY_MS));
			sp_io::offchain::sleep_until(at);
			match SubmitTransaction::<T, Call<T>>::submit_transaction(xt) {
				Ok(()) => log::info!(
					target: "runtime::margin",
					"block {now:?}: submitted liquidation of {count} accounts"
				),
				Err(()) => log::warn!(
					target: "runtime::margin",
					"block {now:?}: could not submit liquidation of {count} accounts"
				),
			}
		}
	}
}
