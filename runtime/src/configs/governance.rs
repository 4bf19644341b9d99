//! OpenGov: referenda with conviction voting, the scheduler and preimages, and three tracks:
//! **root** (any call, as Root), **risk_admin** (dispatches as the `RiskAdmin` origin, which
//! every risk-parameter setter of our pallets accepts within its hard bounds and step limits)
//! and **emergency** (dispatches as the `EmergencyAdmin` origin: the emergency brake of
//! [`super::emergency`] (safe mode, call pauses), cancelling and killing referenda, and
//! adding or removing oracle feeders; short periods and a high approval threshold).
//!
//! Track periods are fast in a runtime built with the `fast-runtime` cargo feature (a
//! referendum passes in about half a minute: dev chains, CI, zombienet and end-to-end tests)
//! and realistic otherwise (production builds). The feature, not the genesis, selects them, so
//! no chain spec can give a production runtime minute-long governance.

use alloc::borrow::Cow;
use frame_support::{
	parameter_types,
	traits::{
		fungible::HoldConsideration, tokens::currency::ActiveIssuanceOf, ConstU32, EitherOfDiverse,
		EqualPrivilegeOnly, LinearStoragePrice, OriginTrait,
	},
	weights::Weight,
};
use frame_system::{EnsureRoot, EnsureSigned};
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{str_array as s, Perbill};

use super::RuntimeBlockWeights;
use crate::{
	AccountId, Balance, Balances, BlockNumber, OriginCaller, Preimage, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System, DAYS, HOURS, MINUTES, UNIT,
};

/// Origin of every risk-parameter change: Root, or a passed risk-admin referendum.
pub type RiskAdminOrigin =
	EitherOfDiverse<EnsureRoot<AccountId>, pallet_solvent_origins::RiskAdmin>;

/// Origin of the emergency actions: Root, or a passed referendum on the emergency track. Used
/// by the safe mode's force exit, the call pauses, the referenda's cancel and kill, and the
/// oracle's feeder management (`pallet_price_oracle::Config::FeederOrigin`, which covers both
/// `add_feeder` and `remove_feeder`: the oracle does not separate them).
pub type EmergencyAdminOrigin =
	EitherOfDiverse<EnsureRoot<AccountId>, pallet_solvent_origins::EmergencyAdmin>;

impl pallet_solvent_origins::Config for Runtime {}

parameter_types! {
	pub MaximumSchedulerWeight: Weight = Perbill::from_percent(80) * RuntimeBlockWeights::get().max_block;
	pub const PreimageBaseDeposit: Balance = UNIT;
	pub const PreimageByteDeposit: Balance = UNIT / 1_000;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	pub const VoteLockingPeriod: BlockNumber = 7 * DAYS;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type Polls = crate::Referenda;
	type MaxTurnout = ActiveIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<512>;
	type VoteLockingPeriod = VoteLockingPeriod;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

parameter_types! {
	pub const AlarmInterval: BlockNumber = 1;
	pub const SubmissionDeposit: Balance = UNIT;
	pub const UndecidingTimeout: BlockNumber = 14 * DAYS;
}

impl pallet_referenda::Config for Runtime {
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type Scheduler = Scheduler;
	type Currency = Balances;
	type SubmitOrigin = EnsureSigned<AccountId>;
	/// Cancel (deposits refunded) or kill (decision deposit slashed) an ongoing referendum:
	/// Root or the emergency track, whose one-hour decision is faster than any referendum it
	/// may have to stop (root: 14 days, risk_admin: 7 days).
	type CancelOrigin = EmergencyAdminOrigin;
	type KillOrigin = EmergencyAdminOrigin;
	type Slash = ();
	type Votes = pallet_conviction_voting::VotesOf<Runtime>;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	type UndecidingTimeout = UndecidingTimeout;
	type AlarmInterval = AlarmInterval;
	type Tracks = TracksInfo;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

/// Track ids.
pub mod track {
	/// Any call, dispatched as Root.
	pub const ROOT: u16 = 0;
	/// Risk-parameter changes, dispatched as `RiskAdmin`.
	pub const RISK_ADMIN: u16 = 1;
	/// The emergency brake, referendum cancel/kill and feeder management, dispatched as
	/// `EmergencyAdmin`.
	pub const EMERGENCY: u16 = 2;
}

const fn pct(x: u32) -> Perbill {
	Perbill::from_percent(x)
}

const fn linear(floor: u32, ceil: u32) -> Curve {
	Curve::LinearDecreasing { length: pct(100), floor: pct(floor), ceil: pct(ceil) }
}

/// A referendum track of this runtime.
pub type SolventTrack = Track<u16, Balance, BlockNumber>;

/// The emergency track's approval threshold: 90% of the conviction-weighted votes at the start
/// of the decision period, falling linearly to 80% at its end. A brake that halts trading for
/// everyone needs a near-consensus of the voters, at every point of its short decision period.
const EMERGENCY_APPROVAL: Curve = linear(80, 90);

/// Realistic periods (local testnet and production): days to decide, hours to confirm. The
/// emergency track: 10 minutes to place the decision deposit, 1 hour to decide, 5 minutes of
/// confirmation, enacted the next block; approval 90% -> 80%, support 10% -> 5% of the active
/// issuance over the hour; a 50,000 SLV decision deposit (half the root track's), because a
/// passed emergency referendum halts trading and may cancel or kill any other referendum.
static REALISTIC: [SolventTrack; 3] = [
	Track {
		id: track::ROOT,
		info: TrackInfo {
			name: s("root"),
			max_deciding: 1,
			decision_deposit: 100_000 * UNIT,
			prepare_period: 2 * HOURS,
			decision_period: 14 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			min_approval: linear(50, 100),
			min_support: linear(0, 50),
		},
	},
	Track {
		id: track::RISK_ADMIN,
		info: TrackInfo {
			name: s("risk_admin"),
			max_deciding: 10,
			decision_deposit: 10_000 * UNIT,
			prepare_period: HOURS,
			decision_period: 7 * DAYS,
			confirm_period: 3 * HOURS,
			min_enactment_period: HOURS,
			min_approval: linear(50, 100),
			min_support: linear(1, 20),
		},
	},
	Track {
		id: track::EMERGENCY,
		info: TrackInfo {
			name: s("emergency"),
			max_deciding: 5,
			decision_deposit: 50_000 * UNIT,
			prepare_period: 10 * MINUTES,
			decision_period: HOURS,
			confirm_period: 5 * MINUTES,
			min_enactment_period: 1,
			min_approval: EMERGENCY_APPROVAL,
			min_support: linear(5, 10),
		},
	},
];

/// Fast periods (dev chain): a referendum with enough support passes in about 30 seconds (the
/// emergency track in about 15: 1 block of preparation, 2 of confirmation, enacted the next
/// block; the same approval curve as its realistic periods, support 10% -> 1%).
static FAST: [SolventTrack; 3] = [
	Track {
		id: track::ROOT,
		info: TrackInfo {
			name: s("root"),
			max_deciding: 10,
			decision_deposit: 10 * UNIT,
			prepare_period: 2,
			decision_period: 5 * MINUTES,
			confirm_period: 3,
			min_enactment_period: 2,
			min_approval: linear(50, 100),
			min_support: linear(1, 10),
		},
	},
	Track {
		id: track::RISK_ADMIN,
		info: TrackInfo {
			name: s("risk_admin"),
			max_deciding: 10,
			decision_deposit: 10 * UNIT,
			prepare_period: 2,
			decision_period: 5 * MINUTES,
			confirm_period: 3,
			min_enactment_period: 2,
			min_approval: linear(50, 100),
			min_support: linear(1, 10),
		},
	},
	Track {
		id: track::EMERGENCY,
		info: TrackInfo {
			name: s("emergency"),
			max_deciding: 10,
			decision_deposit: 10 * UNIT,
			prepare_period: 1,
			decision_period: 5 * MINUTES,
			confirm_period: 2,
			min_enactment_period: 1,
			min_approval: EMERGENCY_APPROVAL,
			min_support: linear(1, 10),
		},
	},
];

/// Whether this runtime uses the fast track periods: built with the `fast-runtime` feature.
pub const FAST_TRACKS: bool = cfg!(feature = "fast-runtime");

/// The fast (`true`) or realistic (`false`) track table, whichever this runtime was built with
/// ([`FAST_TRACKS`]); both are exposed so that tests check each.
pub fn track_table(fast: bool) -> &'static [SolventTrack] {
	if fast {
		&FAST
	} else {
		&REALISTIC
	}
}

/// The referendum tracks.
pub struct TracksInfo;
impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = u16;
	type RuntimeOrigin = <RuntimeOrigin as OriginTrait>::PalletsOrigin;

	fn tracks() -> impl Iterator<Item = Cow<'static, SolventTrack>> {
		track_table(FAST_TRACKS).iter().map(Cow::Borrowed)
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		if let Ok(system) = frame_system::RawOrigin::try_from(origin.clone()) {
			match system {
				frame_system::RawOrigin::Root => Ok(track::ROOT),
				_ => Err(()),
			}
		} else if let Ok(custom) = pallet_solvent_origins::Origin::try_from(origin.clone()) {
			match custom {
				pallet_solvent_origins::Origin::RiskAdmin => Ok(track::RISK_ADMIN),
				pallet_solvent_origins::Origin::EmergencyAdmin => Ok(track::EMERGENCY),
			}
		} else {
			Err(())
		}
	}
}
