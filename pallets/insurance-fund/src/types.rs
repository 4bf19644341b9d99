//! Domain types of the insurance fund: risk parameters, pending unstakes, the per-block payout
//! record and the shapes returned by the runtime API.
//!
//! ## Units
//! - USD amounts ([`Balance`], [`SignedBalance`]) are in the settlement asset's smallest unit
//!   (6 decimals: `1_000_000` = 1 USD).
//! - Shares ([`Balance`]) also carry 6 decimals: the first stake into an empty fund mints one
//!   share unit per USD unit, so a whole share (`1_000_000` share units) starts at 1 USD.
//! - Share value is `FixedU128` USD per whole share = fund value (USD units) / total shares
//!   (share units).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use solvent_primitives::{Balance, SignedBalance};
use sp_arithmetic::{FixedU128, Permill};

/// Hard lower bound of [`FundParams::payout_cap_per_block`]: 1,000 USD (USD units). A zero cap
/// would switch the fund off and send every bad debt to socialization.
pub const MIN_PAYOUT_CAP_PER_BLOCK: Balance = 1_000 * 1_000_000;
/// Hard upper bound of [`FundParams::payout_cap_per_block`]: 1,000,000,000 USD (USD units).
pub const MAX_PAYOUT_CAP_PER_BLOCK: Balance = 1_000_000_000 * 1_000_000;
/// Hard upper bound of [`FundParams::fee_share`]: the fund takes at most half of trading fees.
/// (The lower bound is 0: the fund may live on liquidation penalties alone.)
pub const MAX_FEE_SHARE: Permill = Permill::from_percent(50);
/// Largest change of any parameter in one `set_params` call, as a fraction of its current
/// value (checked with [`solvent_primitives::within_step`]; from zero any in-bounds value is a
/// valid step). Larger moves need several governance decisions.
pub const MAX_PARAM_STEP: Permill = Permill::from_percent(50);

/// Virtual share units in the share price (one unit, OpenZeppelin ERC-4626's default offset):
/// see `Pallet::shares_for_stake`.
pub const VIRTUAL_SHARES: Balance = 1;
/// Virtual USD units in the share price (one unit, with [`VIRTUAL_SHARES`] keeping 1 USD per
/// share).
pub const VIRTUAL_USD: Balance = 1;

/// The fund is **wiped out** when its value is below one USD unit per this many share units
/// (a share worth less than 10^-6 of the 1 USD it started at: the fund lost more than
/// 99.9999% of what backed its shares) and it owes nothing: the next stake writes the
/// outstanding shares off (a new [`ShareEpoch`]) and mints one share unit per USD unit.
///
/// Why a write-off and not the ERC-4626 virtual offset alone (finding 7 of the red-team
/// review): with one virtual unit, a stake into a fund worth `v` USD units with `S` shares
/// outstanding mints `amount x (S + 1) / (v + 1)` shares, `S` times as many per USD as at
/// 1:1 when `v = 0`, so the supply grows by the factor `S` per insolvency and overflows
/// `u128` after about three. With the write-off no stake mints at a share value below
/// 10^-6 USD unit per share unit, so `total shares <= 10^6 x fund value` after every stake
/// (no overflow for any fund below 10^26 USD units). A supply cap would instead refuse the
/// recapitalizing stake, and a minimum share price would make new money pay for old
/// stakers' shares. What the written-off stakers lose is less than `total shares / 10^6` USD
/// units (10^-6 of what their shares cost at 1:1), the dust a fund this far gone still
/// holds, which goes to the new epoch's first stakers; while the fund is worth more, claims
/// are exact.
pub const WIPED_OUT_SHARES_PER_USD_UNIT: Balance = 1_000_000;

/// Index of a generation of shares: incremented when the outstanding shares are written off
/// (see [`WIPED_OUT_SHARES_PER_USD_UNIT`]). A stake or pending unstake recorded in an
/// earlier epoch is worth nothing.
pub type ShareEpoch = u32;

/// Default payout cap in genesis and before genesis sets one: 100,000 USD per block.
pub const DEFAULT_PAYOUT_CAP_PER_BLOCK: Balance = 100_000 * 1_000_000;
/// Default share of trading fees paid to the fund: 10%.
pub const DEFAULT_FEE_SHARE: Permill = Permill::from_percent(10);

// The defaults are within the hard bounds (checked at compile time).
const _: () = {
	assert!(MIN_PAYOUT_CAP_PER_BLOCK <= DEFAULT_PAYOUT_CAP_PER_BLOCK);
	assert!(DEFAULT_PAYOUT_CAP_PER_BLOCK <= MAX_PAYOUT_CAP_PER_BLOCK);
	assert!(DEFAULT_FEE_SHARE.deconstruct() <= MAX_FEE_SHARE.deconstruct());
};

/// The fund's risk parameters, set at genesis and changed only by the risk-admin origin within
/// the hard bounds and the maximum step ([`MAX_PARAM_STEP`]).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FundParams<BlockNumber> {
	/// Most USD (units) the fund pays out in bad-debt cover within one block. Bounds:
	/// [`MIN_PAYOUT_CAP_PER_BLOCK`], [`MAX_PAYOUT_CAP_PER_BLOCK`].
	pub payout_cap_per_block: Balance,
	/// Blocks between `request_unstake` and the earliest `withdraw_unstaked`. Bounds: the
	/// runtime constants `MinUnstakeCooldown`, `MaxUnstakeCooldown`.
	pub unstake_cooldown: BlockNumber,
	/// Blocks after the cooldown in which `withdraw_unstaked` is allowed; a staker who misses
	/// the window cancels and requests again (a new cooldown). Without it a staker could sit
	/// on an unlocked unstake, a free option to leave in the block an account becomes
	/// liquidatable. Bounds: as the cooldown.
	pub unstake_window: BlockNumber,
	/// Share of every trading fee that the fee-charging pallets (options) pay to the fund's
	/// margin account. Bounds: 0, [`MAX_FEE_SHARE`]. Read by other pallets through
	/// [`crate::InsuranceFeeShare`].
	pub fee_share: Permill,
}

/// A staker's active shares and the share epoch they were minted in (worth nothing once the
/// epoch is over).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct Stake {
	/// Active share units (6 decimals).
	pub shares: Balance,
	/// The [`ShareEpoch`] the shares belong to.
	pub epoch: ShareEpoch,
}

/// Shares waiting for the end of their unstake cooldown. They still carry the fund's gains and
/// losses until withdrawn.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct PendingUnstake<BlockNumber> {
	/// Share units requested for unstake (6 decimals).
	pub shares: Balance,
	/// First block in which `withdraw_unstaked` succeeds.
	pub unlock_at: BlockNumber,
	/// The [`ShareEpoch`] the shares belong to (worth nothing once it is over).
	pub epoch: ShareEpoch,
}

/// What the fund has paid out in bad-debt cover in one block.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct BlockPayouts<BlockNumber> {
	/// The block the record is about; a record of an earlier block means nothing paid yet now.
	pub block: BlockNumber,
	/// USD units paid in `block`.
	pub paid: Balance,
	/// The payout cap in force for `block`: the parameter as of the block's first payout, so a
	/// cap change in the middle of a block takes effect from the next block.
	pub cap: Balance,
}

/// State of the fund, as returned by the runtime API `InsuranceFundApi::fund_info`.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct FundInfo {
	/// Cash of the fund's margin account (USD units; negative is a debt to the ledger).
	pub cash: SignedBalance,
	/// Value of the fund (USD units) = equity of its margin account (cash + haircut value of
	/// collateral taken over + mark value of positions taken over) - bad debt taken over and
	/// not yet paid. `None` when a price the equity needs is unavailable.
	pub value: Option<SignedBalance>,
	/// Share units outstanding, pending unstakes included (6 decimals).
	pub total_shares: Balance,
	/// USD per whole share = value / total shares; `0` when the value is not positive, `None`
	/// when there are no shares or the value is unavailable.
	pub share_value: Option<FixedU128>,
	/// Fund value / open interest notional (a fraction, `0.05` = 5%); `0` when the value is not
	/// positive, `None` when open interest is zero or a needed price is unavailable.
	pub coverage_ratio: Option<FixedU128>,
	/// Payout cap in force for the current block (USD units).
	pub payout_cap_per_block: Balance,
	/// Bad-debt cover paid in the current block (USD units).
	pub paid_this_block: Balance,
	/// Share of trading fees paid to the fund.
	pub fee_share: Permill,
}

/// A staker's position, as returned by the runtime API `InsuranceFundApi::staker_info`.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct StakerInfo<BlockNumber> {
	/// Active share units (6 decimals), not including pending unstakes.
	pub shares: Balance,
	/// Shares waiting for their cooldown, if any.
	pub pending_unstake: Option<PendingUnstake<BlockNumber>>,
	/// USD units that active + pending shares are worth now (rounded down); `0` when the fund's
	/// value is not positive, `None` when the value is unavailable.
	pub value: Option<Balance>,
}
