//! OpenGov: referenda with conviction voting, the scheduler and preimages, and two tracks:
//! **root** (any call, as Root) and **risk_admin** (dispatches as the `RiskAdmin` origin, which
//! every risk-parameter setter of our pallets accepts within its hard bounds and step limits).
//!
//! Track periods are fast on the dev preset (a referendum passes in about half a minute) and
//! realistic on the local/production presets; `pallet_solvent_origins::FastTracks`, set at
//! genesis, selects them.

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
	type CancelOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
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
}

const fn pct(x: u32) -> Perbill {
	Perbill::from_percent(x)
}

const fn linear(floor: u32, ceil: u32) -> Curve {
	Curve::LinearDecreasing { length: pct(100), floor: pct(floor), ceil: pct(ceil) }
}

type SolventTrack = Track<u16, Balance, BlockNumber>;

/// Realistic periods (local testnet and production): days to decide, hours to confirm.
static REALISTIC: [SolventTrack; 2] = [
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
];

/// Fast periods (dev chain): a referendum with enough support passes in about 30 seconds.
static FAST: [SolventTrack; 2] = [
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
];

/// The referendum tracks.
pub struct TracksInfo;
impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = u16;
	type RuntimeOrigin = <RuntimeOrigin as OriginTrait>::PalletsOrigin;

	fn tracks() -> impl Iterator<Item = Cow<'static, SolventTrack>> {
		let fast = pallet_solvent_origins::FastTracks::<Runtime>::get();
		let data: &'static [SolventTrack] = if fast { &FAST } else { &REALISTIC };
		data.iter().map(Cow::Borrowed)
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
			}
		} else {
			Err(())
		}
	}
}
