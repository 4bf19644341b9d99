//! The set at each session, the origin, and every rejection.

use crate::{mock::*, Error, Event, SetChanged, Validators};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_runtime::{BuildStorage, DispatchError};

fn session() -> u32 {
	pallet_session::CurrentIndex::<Test>::get()
}

/// Advance to the first block of session `s` (blocks 5s with a period of 5).
fn to_session(s: u32) {
	run_to_block(PERIOD * s as u64);
	assert_eq!(session(), s);
}

fn try_state() {
	assert_ok!(ValidatorSet::do_try_state());
}

#[test]
fn genesis_set_is_sorted_and_active() {
	new_test_ext().execute_with(|| {
		assert_eq!(ValidatorSet::validators(), vec![1, 2, 3, 4]);
		assert_eq!(session(), 0);
		assert_eq!(Authorities::get(), vec![1, 2, 3, 4]);
		assert_eq!(pallet_session::Validators::<Test>::get(), vec![1, 2, 3, 4]);
		assert!(!SetChanged::<Test>::get());
		try_state();
	});
}

#[test]
fn added_validator_authors_from_the_session_after_next() {
	new_test_ext().execute_with(|| {
		assert_ok!(set_keys(5, 5));
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 5));
		System::assert_last_event(Event::ValidatorAdded { who: 5 }.into());
		assert_eq!(ValidatorSet::validators(), vec![1, 2, 3, 4, 5]);
		try_state();
		// Session 1: the new set is planned for session 2, the active set is unchanged.
		to_session(1);
		System::assert_has_event(Event::NewSetQueued { session_index: 2, count: 5 }.into());
		assert!(!SetChanged::<Test>::get());
		assert_eq!(Authorities::get(), vec![1, 2, 3, 4]);
		// Session 2: 5 is an authority.
		to_session(2);
		assert_eq!(Authorities::get(), vec![1, 2, 3, 4, 5]);
		assert_eq!(pallet_session::Validators::<Test>::get(), vec![1, 2, 3, 4, 5]);
		// No change: the set stays over the next sessions, and no new set is queued.
		System::reset_events();
		to_session(4);
		assert_eq!(Authorities::get(), vec![1, 2, 3, 4, 5]);
		assert!(System::events()
			.iter()
			.all(|e| !matches!(e.event, RuntimeEvent::ValidatorSet(Event::NewSetQueued { .. }))));
	});
}

#[test]
fn removed_validator_stops_from_the_session_after_next() {
	new_test_ext().execute_with(|| {
		to_session(1);
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 3));
		System::assert_last_event(Event::ValidatorRemoved { who: 3 }.into());
		assert_eq!(ValidatorSet::validators(), vec![1, 2, 4]);
		assert_eq!(Authorities::get(), vec![1, 2, 3, 4]);
		to_session(2);
		System::assert_has_event(Event::NewSetQueued { session_index: 3, count: 3 }.into());
		assert_eq!(Authorities::get(), vec![1, 2, 3, 4]);
		to_session(3);
		assert_eq!(Authorities::get(), vec![1, 2, 4]);
		try_state();
	});
}

#[test]
fn rotated_keys_apply_from_the_session_after_next() {
	new_test_ext().execute_with(|| {
		// Validator 2 rotates to key 20: its validator id stays, its key changes.
		assert_ok!(set_keys(2, 20));
		to_session(1);
		let key_of = |v: u64| {
			pallet_session::QueuedKeys::<Test>::get()
				.into_iter()
				.find(|(id, _)| *id == v)
				.map(|(_, k)| k.dummy)
		};
		assert_eq!(key_of(2), Some(sp_runtime::testing::UintAuthorityId(20)));
		to_session(2);
		assert_eq!(Authorities::get(), vec![1, 2, 3, 4]);
		assert_eq!(
			pallet_session::Pallet::<Test>::load_keys(&2).map(|k| k.dummy),
			Some(sp_runtime::testing::UintAuthorityId(20))
		);
	});
}

#[test]
fn set_validators_replaces_the_set() {
	new_test_ext().execute_with(|| {
		assert_ok!(set_keys(6, 6));
		assert_ok!(set_keys(5, 5));
		// {1, 5, 6} keeps 1 member of 3: refused, two thirds or more of the new set would be
		// newcomers whose nodes are not proven to run.
		assert_noop!(
			ValidatorSet::set_validators(
				RuntimeOrigin::root(),
				BoundedVec::truncate_from(vec![6, 1, 5])
			),
			Error::<Test>::TooManyNewValidators
		);
		// 3 of 4 kept (more than two thirds): 4 swapped for 5.
		let new = BoundedVec::truncate_from(vec![5, 1, 3, 2]);
		assert_ok!(ValidatorSet::set_validators(RuntimeOrigin::root(), new));
		System::assert_last_event(Event::ValidatorsReplaced { count: 4 }.into());
		assert_eq!(ValidatorSet::validators(), vec![1, 2, 3, 5]);
		to_session(2);
		assert_eq!(Authorities::get(), vec![1, 2, 3, 5]);
		try_state();
	});
}

#[test]
fn only_the_manager_origin_changes_the_set() {
	new_test_ext().execute_with(|| {
		assert_ok!(set_keys(5, 5));
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::signed(5), 5),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::signed(1), 2),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::set_validators(
				RuntimeOrigin::signed(1),
				BoundedVec::truncate_from(vec![1, 5])
			),
			DispatchError::BadOrigin
		);
		assert_eq!(ValidatorSet::validators(), vec![1, 2, 3, 4]);
	});
}

#[test]
fn every_rejection_has_its_error() {
	new_test_ext().execute_with(|| {
		// Duplicate.
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 2),
			Error::<Test>::AlreadyValidator
		);
		// Unknown.
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 9),
			Error::<Test>::NotValidator
		);
		// No session keys: an account that never called `set_keys`.
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 7),
			Error::<Test>::NoSessionKeys
		);
		// Too many: 4 + 2 = 6 = MaxValidators, the 7th is refused.
		for who in [5, 6, 7] {
			assert_ok!(set_keys(who, who));
		}
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 5));
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 6));
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 7),
			Error::<Test>::TooManyValidators
		);
		// Too few: down to MinValidators = 2, then the last two cannot be removed.
		for who in [3, 4, 5, 6] {
			assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), who));
		}
		assert_eq!(ValidatorSet::validators(), vec![1, 2]);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 1),
			Error::<Test>::TooFewValidators
		);
		assert_noop!(
			ValidatorSet::set_validators(RuntimeOrigin::root(), BoundedVec::truncate_from(vec![1])),
			Error::<Test>::TooFewValidators
		);
		assert_noop!(
			ValidatorSet::set_validators(
				RuntimeOrigin::root(),
				BoundedVec::truncate_from(vec![1, 2, 1])
			),
			Error::<Test>::DuplicateValidator
		);
		assert_noop!(
			ValidatorSet::set_validators(
				RuntimeOrigin::root(),
				BoundedVec::truncate_from(vec![1, 2, 8])
			),
			Error::<Test>::NoSessionKeys
		);
		try_state();
		// The set that reaches the session is the one left: 1 and 2.
		to_session(2);
		assert_eq!(Authorities::get(), vec![1, 2]);
	});
}

#[test]
fn a_validator_that_purges_its_keys_is_skipped_not_fatal() {
	new_test_ext().execute_with(|| {
		assert_ok!(set_keys(5, 5));
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 5));
		assert_ok!(pallet_session::Pallet::<Test>::purge_keys(RuntimeOrigin::signed(5)));
		to_session(2);
		// The session pallet skips a validator without keys; the others keep authoring.
		assert_eq!(Authorities::get(), vec![1, 2, 3, 4]);
		assert_eq!(Validators::<Test>::get().len(), 5);
	});
}

#[test]
#[should_panic(expected = "duplicate initial validator")]
fn genesis_rejects_duplicates() {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	crate::GenesisConfig::<Test> { initial_validators: vec![1, 1] }
		.assimilate_storage(&mut t)
		.unwrap();
}

#[test]
fn integrity() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		<ValidatorSet as Hooks<u64>>::integrity_test();
	});
}
