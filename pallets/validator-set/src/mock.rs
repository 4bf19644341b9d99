//! A runtime with `pallet-session` managed by this pallet: sessions of 5 blocks, validators
//! 1..=4 at genesis (keys `UintAuthorityId(i)`), `MinValidators` 2, `MaxValidators` 6, Root
//! as the manager. The session handler records the authorities of each session.

use crate as pallet_validator_set;
use codec::Encode;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use pallet_session::{PeriodicSessions, SessionHandler};
use sp_runtime::{
	impl_opaque_keys,
	testing::UintAuthorityId,
	traits::{ConvertInto, OpaqueKeys},
	BuildStorage, RuntimeAppPublic,
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		ValidatorSet: pallet_validator_set,
		Session: pallet_session,
	}
);

impl_opaque_keys! {
	pub struct MockSessionKeys {
		pub dummy: UintAuthorityId,
	}
}

impl From<UintAuthorityId> for MockSessionKeys {
	fn from(dummy: UintAuthorityId) -> Self {
		Self { dummy }
	}
}

/// Blocks per session.
pub const PERIOD: u64 = 5;

parameter_types! {
	/// The authorities (validator ids) the session handler was last given.
	pub static Authorities: Vec<u64> = vec![];
}

pub struct TestSessionHandler;
impl SessionHandler<u64> for TestSessionHandler {
	const KEY_TYPE_IDS: &'static [sp_runtime::KeyTypeId] = &[UintAuthorityId::ID];
	fn on_genesis_session<T: OpaqueKeys>(validators: &[(u64, T)]) {
		Authorities::set(validators.iter().map(|(v, _)| *v).collect());
	}
	fn on_new_session<T: OpaqueKeys>(_changed: bool, validators: &[(u64, T)], _: &[(u64, T)]) {
		Authorities::set(validators.iter().map(|(v, _)| *v).collect());
	}
	fn on_disabled(_validator_index: u32) {}
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

impl pallet_session::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = u64;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = PeriodicSessions<ConstU64<PERIOD>, ConstU64<0>>;
	type NextSessionRotation = PeriodicSessions<ConstU64<PERIOD>, ConstU64<0>>;
	type SessionManager = ValidatorSet;
	type SessionHandler = TestSessionHandler;
	type Keys = MockSessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = ();
	type Currency = Balances;
	type KeyDeposit = ConstU64<0>;
}

impl pallet_validator_set::Config for Test {
	type ManagerOrigin = EnsureRoot<u64>;
	type KeysRegistered = Session;
	type MaxValidators = ConstU32<6>;
	type MinValidators = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = KeysHelper;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct KeysHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for KeysHelper {
	fn register_keys(who: &u64) {
		pallet_session::NextKeys::<Test>::insert(who, MockSessionKeys::from(UintAuthorityId(*who)));
	}
}

/// `who` registers session keys `UintAuthorityId(key)` through `session.set_keys`, with the
/// ownership proof (the key's signature of the encoded account).
pub fn set_keys(who: u64, key: u64) -> sp_runtime::DispatchResult {
	let public = UintAuthorityId(key);
	let proof = public.sign(&who.encode()).map(|s| s.encode()).unwrap_or_default();
	Session::set_keys(RuntimeOrigin::signed(who), public.into(), proof)
}

/// Genesis: accounts 1..=10 endowed, validators 1..=4 with keys.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=10).map(|i| (i, 1_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_validator_set::GenesisConfig::<Test> { initial_validators: vec![4, 2, 3, 1] }
		.assimilate_storage(&mut t)
		.unwrap();
	pallet_session::GenesisConfig::<Test> {
		keys: (1..=4).map(|i| (i, i, UintAuthorityId(i).into())).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Run blocks up to and including `n`, with the session pallet's `on_initialize`.
pub fn run_to_block(n: u64) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Session::on_initialize(next);
	}
}
