//! Runtime-level tests of the governed validator set (issue 16, point 1;
//! `configs/validators.rs`), on the dev genesis (Alice alone, fast tracks):
//!
//! - Aura's and GRANDPA's genesis authorities come from the session keys of the preset.
//! - A new validator (Eve) registers session keys with `session.set_keys` and an ownership
//!   proof, a root-track referendum adds her, and she is an Aura and GRANDPA authority from
//!   the session after the next one (sessions of `SESSION_PERIOD` = 10 blocks).
//! - The cheapest attacks: a signed account cannot add itself; keys registered without the
//!   private keys (someone else's public keys, no proof) are refused; an account without keys
//!   cannot be added.

mod common;

use codec::Encode;
use common::*;
use frame_support::traits::{schedule::DispatchTime, StorePreimage};
use solvent_runtime::{
	configs::validators::SESSION_PERIOD, AccountId, Grandpa, OriginCaller, Runtime, RuntimeCall,
	RuntimeOrigin, SessionKeys, System, ValidatorSetCall, UNIT,
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::{ed25519, sr25519, Pair};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{traits::Dispatchable, DispatchError};

fn session() -> u32 {
	pallet_session::CurrentIndex::<Runtime>::get()
}

fn aura_authorities() -> Vec<AuraId> {
	pallet_aura::Authorities::<Runtime>::get().into_inner()
}

fn grandpa_authorities() -> Vec<GrandpaId> {
	Grandpa::grandpa_authorities().into_iter().map(|(id, _)| id).collect()
}

/// Fresh session keys (from `seed`) for `owner` and their ownership proof: each key signs
/// `b"POP_" ++ owner` (what `author_rotateKeysWithOwner` returns on a node).
fn keys_with_proof(seed: &str, owner: &AccountId) -> (SessionKeys, Vec<u8>) {
	let aura = sr25519::Pair::from_string(&format!("//{seed}//aura"), None).unwrap();
	let grandpa = ed25519::Pair::from_string(&format!("//{seed}//grandpa"), None).unwrap();
	let statement = [b"POP_".as_slice(), owner.encode().as_slice()].concat();
	let proof = (aura.sign(&statement), grandpa.sign(&statement)).encode();
	(SessionKeys { aura: aura.public().into(), grandpa: grandpa.public().into() }, proof)
}

fn set_keys(who: &AccountId, keys: SessionKeys, proof: Vec<u8>) -> Result<(), DispatchError> {
	RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof })
		.dispatch(RuntimeOrigin::signed(who.clone()))
		.map(|_| ())
		.map_err(|e| e.error)
}

/// A root-track referendum on `call`, submitted by Alice and voted aye by Bob, Charlie, Dave
/// (900,000 SLV each, 1x conviction). Returns its index.
fn root_referendum(call: RuntimeCall) -> u32 {
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	let alice = Sr25519Keyring::Alice.to_account_id();
	let proposal = <solvent_runtime::Preimage as StorePreimage>::bound(call).unwrap();
	let signed = |who: &AccountId| RuntimeOrigin::signed(who.clone());
	pallet_referenda::Pallet::<Runtime>::submit(
		signed(&alice),
		Box::new(OriginCaller::system(frame_system::RawOrigin::Root)),
		proposal,
		DispatchTime::After(1),
	)
	.unwrap();
	pallet_referenda::Pallet::<Runtime>::place_decision_deposit(signed(&alice), index).unwrap();
	for k in [Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave] {
		let vote = pallet_conviction_voting::AccountVote::Standard {
			vote: pallet_conviction_voting::Vote {
				aye: true,
				conviction: pallet_conviction_voting::Conviction::Locked1x,
			},
			balance: 900_000 * UNIT,
		};
		pallet_conviction_voting::Pallet::<Runtime>::vote(signed(&k.to_account_id()), index, vote)
			.unwrap();
	}
	index
}

#[test]
fn genesis_authorities_come_from_the_session_keys() {
	dev_ext().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(pallet_validator_set::Pallet::<Runtime>::validators(), vec![alice.clone()]);
		assert_eq!(pallet_session::Validators::<Runtime>::get(), vec![alice]);
		assert_eq!(aura_authorities(), vec![AuraId::from(Sr25519Keyring::Alice.public())]);
		assert_eq!(grandpa_authorities(), vec![GrandpaId::from(Ed25519Keyring::Alice.public())]);
		assert_eq!(session(), 0);
	});
}

#[test]
fn local_preset_has_four_validators_with_session_keys() {
	let patch = solvent_runtime::genesis_config_presets::local_config_genesis();
	let keys = patch["session"]["keys"].as_array().unwrap();
	assert_eq!(keys.len(), 4);
	assert_eq!(patch["validatorSet"]["initialValidators"].as_array().unwrap().len(), 4);
	// No authorities of their own: Aura and GRANDPA take the session's.
	assert!(patch.get("aura").is_none() && patch.get("grandpa").is_none());
}

#[test]
fn a_validator_added_by_referendum_authors_from_the_session_after_next() {
	dev_ext().execute_with(|| {
		next_block();
		let eve = Sr25519Keyring::Eve.to_account_id();
		let (keys, proof) = keys_with_proof("EveValidator", &eve);
		assert_eq!(set_keys(&eve, keys.clone(), proof), Ok(()));

		let index = root_referendum(ValidatorSetCall::add_validator { who: eve.clone() }.into());
		let mut blocks = 0;
		while !pallet_validator_set::Pallet::<Runtime>::validators().contains(&eve) {
			next_block();
			blocks += 1;
			assert!(blocks < 30, "referendum {index} not enacted in 30 blocks");
		}
		// Fast root track: 2 blocks of preparation, 3 of confirmation, enacted 2 blocks later.
		assert!(blocks <= 10, "enacted {blocks} blocks after the vote");
		let added_in = session();
		assert_eq!(aura_authorities().len(), 1);

		// The session after next: Eve's keys are Aura's and GRANDPA's.
		while session() < added_in + 2 {
			next_block();
		}
		assert_eq!(System::block_number() % SESSION_PERIOD, 0);
		assert!(aura_authorities().contains(&keys.aura));
		assert_eq!(aura_authorities().len(), 2);
		// GRANDPA enacts the change at the end of the block (`on_finalize`).
		next_block();
		assert!(grandpa_authorities().contains(&keys.grandpa));
		assert_eq!(grandpa_authorities().len(), 2);
	});
}

#[test]
fn rotated_keys_replace_the_old_ones_from_the_session_after_next() {
	dev_ext().execute_with(|| {
		next_block();
		let alice = Sr25519Keyring::Alice.to_account_id();
		let (keys, proof) = keys_with_proof("AliceRotated", &alice);
		assert_eq!(set_keys(&alice, keys.clone(), proof), Ok(()));
		let start = session();
		while session() < start + 2 {
			next_block();
		}
		assert_eq!(aura_authorities(), vec![keys.aura.clone()]);
		next_block();
		assert_eq!(grandpa_authorities(), vec![keys.grandpa]);
	});
}

#[test]
fn the_cheapest_attacks_are_refused() {
	dev_ext().execute_with(|| {
		next_block();
		let eve = Sr25519Keyring::Eve.to_account_id();
		// An account cannot add itself.
		let add = RuntimeCall::ValidatorSet(ValidatorSetCall::add_validator { who: eve.clone() });
		assert_eq!(
			add.clone().dispatch(RuntimeOrigin::signed(eve.clone())).map_err(|e| e.error),
			Err(DispatchError::BadOrigin)
		);
		// Without session keys even Root cannot add it.
		assert_eq!(
			add.dispatch(RuntimeOrigin::root()).map_err(|e| e.error),
			Err(pallet_validator_set::Error::<Runtime>::NoSessionKeys.into())
		);
		// Someone else's public keys without their private keys: no valid proof.
		let (_, eves_proof) = keys_with_proof("EveValidator", &eve);
		let alices = SessionKeys {
			aura: Sr25519Keyring::Alice.public().into(),
			grandpa: Ed25519Keyring::Alice.public().into(),
		};
		assert_eq!(
			set_keys(&eve, alices.clone(), vec![]),
			Err(pallet_session::Error::<Runtime>::InvalidProof.into())
		);
		assert_eq!(
			set_keys(&eve, alices, eves_proof),
			Err(pallet_session::Error::<Runtime>::InvalidProof.into())
		);
		// The one dev validator cannot be removed (MinValidators = 4 > 0 left).
		assert_eq!(
			RuntimeCall::ValidatorSet(ValidatorSetCall::remove_validator {
				who: Sr25519Keyring::Alice.to_account_id()
			})
			.dispatch(RuntimeOrigin::root())
			.map_err(|e| e.error),
			Err(pallet_validator_set::Error::<Runtime>::TooFewValidators.into())
		);
		assert_eq!(aura_authorities().len(), 1);
	});
}
