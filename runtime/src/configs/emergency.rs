//! The emergency brake (issue 16, point 4): `pallet-safe-mode` halts trading for a bounded time,
//! `pallet-tx-pause` pauses single calls, both commanded by Root or a referendum on the
//! **emergency** track ([`EmergencyAdminOrigin`]). The runtime's `BaseCallFilter` is
//! `InsideBoth<SafeMode, TxPause>`: a call dispatches only if neither refuses it. A refused
//! call is included and fails with `frame_system::Error::CallFiltered` (it pays its fee).
//!
//! Root bypasses the filter (Sudo on `--dev`, the root track), hooks are not calls, so neither
//! safe mode nor a pause ever stops `on_initialize`/`on_finalize`: the options settlement
//! (`pallet_options` `on_initialize`), the oracle's refresh of aged-out values, the margin
//! pallet's loss waterfall, and the offchain worker that builds liquidation batches all go on.
//!
//! ## What keeps running
//! Two lists of `(pallet, call)` names (as in the metadata):
//! - [`UNPAUSABLE`]: never paused, neither by safe mode nor by `tx_pause.pause` (which fails
//!   with `Unpausable`): the chain itself (System, Timestamp's inherent, Grandpa), Sudo, the
//!   governance pallets (Scheduler, Preimage, ConvictionVoting, Referenda) and the brake
//!   (SafeMode, TxPause), every call of the oracle (feeders' `feed_values`; `add_feeder`,
//!   `remove_feeder`, `set_params`, `reset_breaker`, which only governance origins pass), and
//!   the liquidations (`margin.liquidate` by keepers, `margin.liquidate_batch` unsigned from the
//!   offchain worker). Prices and liquidations must never stop while positions are open: a halt
//!   that froze them would let losses grow past the margin held against them.
//! - [`SAFE_MODE_ALLOWED`]: also let through by safe mode, but each pausable on its own by
//!   `tx_pause` (should one of them be the faulty call):
//!   - `margin.deposit`: it only adds collateral, so it can neither take value out nor create
//!     bad debt; a trader who may not trade out of a position during the halt can still meet a
//!     margin call instead of being liquidated;
//!   - `options.cancel_order`: cancelling only releases open-order margin and removes the
//!     order; it lets makers pull quotes that would otherwise fill at pre-halt prices the
//!     moment trading resumes;
//!   - `insurance_fund.donate` (USD for no shares) and `insurance_fund.cancel_unstake` (pending
//!     shares become active again): both only add to the fund's capital at risk;
//!   - the risk-admin setters (`margin.set_params`, `margin.set_collateral_params`,
//!     `options.set_params`, `options.set_settlement_price`, `insurance_fund.set_params`): no
//!     signed account passes their origin, and a risk-admin referendum must be able to raise
//!     margins or price a series the oracle could not settle during the halt.
//!
//! Everything else is halted by safe mode: `options.place_order` (trading), `options.list_*`
//! (new markets), `margin.withdraw` (equity may be misstated during an incident), insurance
//! fund `stake`, `request_unstake`, `withdraw_unstaked` (the fund's share price may be too),
//! and the token pallets (Balances, Assets: no value leaves the accounts the incident may
//! concern; fees are still paid, being no call).
//!
//! ## Parameters
//! - Safe mode: entered by `safe_mode.force_enter` for [`SafeModeEnterDuration`] (1 hour,
//!   1,200 blocks), extended by `force_extend` by [`SafeModeExtendDuration`] (1 hour) per
//!   call, left by `force_exit` or automatically after the last block it was entered until;
//!   each of the three is Root or the emergency track. There is **no permissionless entry**
//!   (`EnterDepositAmount`, `ExtendDepositAmount` = `None`): on a derivatives venue a halt is
//!   not neutral: it freezes every hedge while liquidations continue, so anyone able to buy a
//!   halt for a deposit could trap the other side of a position at the worst moment.
//! - Call pauses: `tx_pause.pause((pallet, call))` and `unpause`, Root or the emergency track,
//!   names up to [`TxPauseMaxNameLen`] bytes.

use frame_support::{
	parameter_types,
	traits::{Contains, EitherOf, GetCallMetadata, MapSuccess},
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess};
use sp_runtime::traits::Replace;

pub use super::governance::EmergencyAdminOrigin;
use crate::{
	AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeHoldReason, HOURS,
};

/// Which calls of a pallet a list names.
pub enum Calls {
	/// Every call of the pallet.
	All,
	/// These calls only (names as in the metadata: the Rust function names).
	Only(&'static [&'static str]),
}

/// Calls neither safe mode nor `tx_pause` may stop (see the module docs).
pub const UNPAUSABLE: &[(&str, Calls)] = &[
	("System", Calls::All),
	("Timestamp", Calls::All),
	("Grandpa", Calls::All),
	("Sudo", Calls::All),
	("Scheduler", Calls::All),
	("Preimage", Calls::All),
	("ConvictionVoting", Calls::All),
	("Referenda", Calls::All),
	("SafeMode", Calls::All),
	("TxPause", Calls::All),
	("PriceOracle", Calls::All),
	("Margin", Calls::Only(&["liquidate", "liquidate_batch"])),
];

/// Calls safe mode lets through beyond [`UNPAUSABLE`]; `tx_pause` may pause each of them.
pub const SAFE_MODE_ALLOWED: &[(&str, Calls)] = &[
	("Margin", Calls::Only(&["deposit", "set_collateral_params", "set_params"])),
	("Options", Calls::Only(&["cancel_order", "set_params", "set_settlement_price"])),
	("InsuranceFund", Calls::Only(&["donate", "cancel_unstake", "set_params"])),
];

/// Whether `list` names the call `pallet.call`.
pub fn listed(list: &[(&str, Calls)], pallet: &[u8], call: &[u8]) -> bool {
	list.iter().any(|(p, calls)| {
		p.as_bytes() == pallet
			&& match calls {
				Calls::All => true,
				Calls::Only(names) => names.iter().any(|n| n.as_bytes() == call),
			}
	})
}

/// Safe mode's whitelist: [`UNPAUSABLE`] and [`SAFE_MODE_ALLOWED`].
pub struct SafeModeWhitelist;
impl Contains<RuntimeCall> for SafeModeWhitelist {
	fn contains(call: &RuntimeCall) -> bool {
		let meta = call.get_call_metadata();
		let (pallet, name) = (meta.pallet_name.as_bytes(), meta.function_name.as_bytes());
		listed(UNPAUSABLE, pallet, name) || listed(SAFE_MODE_ALLOWED, pallet, name)
	}
}

/// `tx_pause`'s whitelist: [`UNPAUSABLE`].
pub struct Unpausable;
impl Contains<pallet_tx_pause::RuntimeCallNameOf<Runtime>> for Unpausable {
	fn contains((pallet, call): &pallet_tx_pause::RuntimeCallNameOf<Runtime>) -> bool {
		listed(UNPAUSABLE, pallet, call)
	}
}

parameter_types! {
	/// Blocks a `force_enter` halts trading for: 1 hour (1,200 blocks of 3 s).
	pub const SafeModeEnterDuration: BlockNumber = HOURS;
	/// Blocks each `force_extend` adds: 1 hour.
	pub const SafeModeExtendDuration: BlockNumber = HOURS;
	/// No permissionless (deposit-based) entry or extension (see the module docs).
	pub const SafeModeDeposit: Option<Balance> = None;
	/// No permissionless release of deposits (none are ever taken).
	pub const SafeModeReleaseDelay: Option<BlockNumber> = None;
	/// Longest pallet or call name `tx_pause` takes, bytes.
	pub const TxPauseMaxNameLen: u32 = 256;
}

/// Root or the emergency track, each entering safe mode for [`SafeModeEnterDuration`].
pub type SafeModeEnterOrigin = EitherOf<
	EnsureRootWithSuccess<AccountId, SafeModeEnterDuration>,
	MapSuccess<pallet_solvent_origins::EmergencyAdmin, Replace<SafeModeEnterDuration>>,
>;

/// Root or the emergency track, each extending safe mode by [`SafeModeExtendDuration`].
pub type SafeModeExtendOrigin = EitherOf<
	EnsureRootWithSuccess<AccountId, SafeModeExtendDuration>,
	MapSuccess<pallet_solvent_origins::EmergencyAdmin, Replace<SafeModeExtendDuration>>,
>;

impl pallet_safe_mode::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type WhitelistedCalls = SafeModeWhitelist;
	type EnterDuration = SafeModeEnterDuration;
	type ExtendDuration = SafeModeExtendDuration;
	type EnterDepositAmount = SafeModeDeposit;
	type ExtendDepositAmount = SafeModeDeposit;
	type ForceEnterOrigin = SafeModeEnterOrigin;
	type ForceExtendOrigin = SafeModeExtendOrigin;
	type ForceExitOrigin = EmergencyAdminOrigin;
	/// Deposits are never taken; their management stays with Root.
	type ForceDepositOrigin = EnsureRoot<AccountId>;
	type Notify = ();
	type ReleaseDelay = SafeModeReleaseDelay;
	type WeightInfo = pallet_safe_mode::weights::SubstrateWeight<Runtime>;
}

impl pallet_tx_pause::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PauseOrigin = EmergencyAdminOrigin;
	type UnpauseOrigin = EmergencyAdminOrigin;
	type WhitelistedCalls = Unpausable;
	type MaxNameLen = TxPauseMaxNameLen;
	type WeightInfo = pallet_tx_pause::weights::SubstrateWeight<Runtime>;
}
