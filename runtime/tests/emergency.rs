//! Runtime-level tests of the emergency brake (issue 16, point 4; `configs/emergency.rs`): on
//! the dev genesis, every call below is dispatched as a transaction's call is (through
//! `RuntimeCall::dispatch`, so the `BaseCallFilter` applies; Root bypasses it).
//!
//! - Safe mode entered by the emergency origin halts trading (`options.place_order`),
//!   `margin.withdraw`, fund staking and token transfers with `CallFiltered`, while price feeds,
//!   keeper and offchain-worker liquidations, margin deposits, order cancels and donations
//!   dispatch, a series expiring during the halt settles in `on_initialize`, and a force exit
//!   restores trading. Only Root and the emergency origin may enter it; it ends by itself after
//!   one hour.
//! - `tx_pause` pauses one call, refuses to pause the unpausable ones, and unpause restores it.
//! - The emergency track itself: a referendum on it enters safe mode in a few blocks (fast
//!   periods), another one submitted and voted during the halt exits it; its origin cancels
//!   and kills referenda and removes a feeder; its realistic periods are as documented.

mod common;

use common::*;
use frame_support::{
	dispatch::DispatchResult,
	traits::{Currency, GetCallMetadata, StorePreimage},
	BoundedVec,
};
use pallet_referenda::{ReferendumInfo, TracksInfo as _};
use solvent_primitives::{assets, MarginLedger, OracleKey, PriceProvider, Side};
use solvent_runtime::{
	configs::{
		emergency::{listed, SAFE_MODE_ALLOWED, UNPAUSABLE},
		governance::{track, track_table, TracksInfo, FAST_TRACKS},
	},
	AccountId, BlockNumber, Margin, OriginCaller, PriceOracle, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeOrigin, System, HOURS, MINUTES, UNIT,
};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{Dispatchable, StaticLookup},
	DispatchError, FixedU128, Perbill,
};

type SafeModeCall = pallet_safe_mode::Call<Runtime>;
type TxPauseCall = pallet_tx_pause::Call<Runtime>;

fn emergency() -> RuntimeOrigin {
	pallet_solvent_origins::Origin::EmergencyAdmin.into()
}

fn risk_admin() -> RuntimeOrigin {
	pallet_solvent_origins::Origin::RiskAdmin.into()
}

fn signed(who: &AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.clone())
}

/// Dispatch `call` as a transaction would: through the origin's call filter.
fn dispatch(origin: RuntimeOrigin, call: impl Into<RuntimeCall>) -> DispatchResult {
	call.into().dispatch(origin).map(|_| ()).map_err(|e| e.error)
}

fn filtered() -> Result<(), DispatchError> {
	Err(frame_system::Error::<Runtime>::CallFiltered.into())
}

fn place_order_call(series: u32, side: Side, price: u128, quantity: u64) -> RuntimeCall {
	pallet_options::Call::<Runtime>::place_order {
		series,
		side,
		limit_premium: price,
		quantity,
		time_in_force: TimeInForce::GoodTilCancelled,
	}
	.into()
}

fn withdraw_call(usd: u128) -> RuntimeCall {
	pallet_margin::Call::<Runtime>::withdraw { asset: assets::USD, amount: usd }.into()
}

/// Alice, Bob and Charlie feed BTC at `btc_usd` through the call filter.
fn feed_dispatched(btc_usd: u32) {
	let values = BoundedVec::truncate_from(vec![
		(OracleKey::Spot(assets::BTC), FixedU128::from_u32(btc_usd)),
		(OracleKey::ImpliedVol(assets::BTC), FixedU128::from_rational(8, 10)),
	]);
	for k in [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie] {
		let call = pallet_price_oracle::Call::<Runtime>::feed_values { values: values.clone() };
		assert_eq!(dispatch(signed(&k.to_account_id()), call), Ok(()));
	}
}

fn btc_spot() -> FixedU128 {
	PriceOracle::get(&OracleKey::Spot(assets::BTC)).unwrap().value
}

fn cash(who: &AccountId) -> i128 {
	<Margin as MarginLedger<AccountId>>::cash(who)
}

fn position(series: u32, who: &AccountId) -> i64 {
	pallet_options::Positions::<Runtime>::get(series, who).unwrap_or(0)
}

fn entered_until() -> Option<BlockNumber> {
	pallet_safe_mode::EnteredUntil::<Runtime>::get()
}

fn safe_mode_events() -> Vec<pallet_safe_mode::Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::SafeMode(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn last_order_id() -> u64 {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Options(pallet_options::Event::OrderPlaced { order_id, .. }) => {
				Some(order_id)
			}
			_ => None,
		})
		.last()
		.unwrap()
}

#[test]
fn safe_mode_halts_trading_while_feeds_liquidations_deposits_and_settlement_go_on() {
	dev_ext().execute_with(|| {
		next_block();
		feed(50_000);
		// A put on the second dev expiry ahead, so its 1-minute settlement window lies after
		// the crash below: two writers with 8,000 USD each (liquidatable at 45,000), one buyer.
		let series = list(solvent_primitives::OptionKind::Put, 50_000, 1, FixedU128::from_u32(1));
		let buyer = trader(100);
		let trader_ = trader(101);
		let keeper = trader(102);
		let (w1, w2) = (trader(1), trader(2));
		fund_margin(&buyer, 1_000_000 * USD);
		fund_margin(&trader_, 100_000 * USD);
		fund_margin(&keeper, 1_000 * USD);
		for w in [&w1, &w2] {
			fund_margin(w, 8_000 * USD);
			write_put(w.clone(), &buyer, series);
		}
		assert_eq!(position(series, &buyer), 2);
		// The trader rests a bid before the halt (cancelled during it below).
		let (low, _) = band_edges(series);
		assert_eq!(dispatch(signed(&trader_), place_order_call(series, Side::Buy, low, 1)), Ok(()));
		let resting = last_order_id();

		// The attack: nobody but Root and the emergency track may halt the market. A signed
		// account cannot force it, a risk-admin referendum neither, and there is no paid entry.
		assert_eq!(
			dispatch(signed(&trader_), SafeModeCall::force_enter {}),
			Err(DispatchError::BadOrigin)
		);
		assert_eq!(
			dispatch(risk_admin(), SafeModeCall::force_enter {}),
			Err(DispatchError::BadOrigin)
		);
		assert_eq!(
			dispatch(signed(&trader_), SafeModeCall::enter {}),
			Err(pallet_safe_mode::Error::<Runtime>::NotConfigured.into())
		);
		assert_eq!(entered_until(), None);

		// The emergency origin enters safe mode for 1 hour (1,200 blocks).
		next_block();
		feed(50_000);
		let entered_at = System::block_number();
		assert_eq!(dispatch(emergency(), SafeModeCall::force_enter {}), Ok(()));
		assert_eq!(entered_until(), Some(entered_at + 1_200));
		assert_eq!(
			safe_mode_events(),
			vec![pallet_safe_mode::Event::Entered { until: entered_at + 1_200 }]
		);

		// Trading, withdrawals, fund staking and token transfers are refused; nothing changed.
		let trader_cash = cash(&trader_);
		let (_, high) = band_edges(series);
		assert_eq!(
			dispatch(signed(&trader_), place_order_call(series, Side::Buy, high, 1)),
			filtered()
		);
		assert_eq!(dispatch(signed(&trader_), withdraw_call(1_000 * USD)), filtered());
		assert_eq!(
			dispatch(
				signed(&trader_),
				pallet_insurance_fund::Call::<Runtime>::stake { amount: 1_000 * USD }
			),
			filtered()
		);
		assert_eq!(
			dispatch(
				signed(&Sr25519Keyring::Dave.to_account_id()),
				pallet_balances::Call::<Runtime>::transfer_keep_alive {
					dest: <Runtime as frame_system::Config>::Lookup::unlookup(trader_.clone()),
					value: UNIT,
				}
			),
			filtered()
		);
		assert_eq!(cash(&trader_), trader_cash);
		assert_eq!(position(series, &trader_), 0);
		// The attack: wrapping the trade in a whitelisted pallet's call does not get it through
		// (Sudo is whitelisted, but only the sudo key passes it; the runtime has no utility or
		// proxy pallet that would dispatch an inner call as the signer).
		let wrapped = pallet_sudo::Call::<Runtime>::sudo_as {
			who: <Runtime as frame_system::Config>::Lookup::unlookup(trader_.clone()),
			call: Box::new(place_order_call(series, Side::Buy, high, 1)),
		};
		assert_eq!(
			dispatch(signed(&trader_), wrapped),
			Err(pallet_sudo::Error::<Runtime>::RequireSudo.into())
		);
		assert_eq!(position(series, &trader_), 0);
		// A risk-admin referendum may still change risk parameters during the halt.
		let params = pallet_options::Params::<Runtime>::get();
		let raised = pallet_options::OptionsParams {
			mm_rate: sp_runtime::Permill::from_parts(params.mm_rate.deconstruct() * 11 / 10),
			..params.clone()
		};
		assert_eq!(
			dispatch(
				risk_admin(),
				pallet_options::Call::<Runtime>::set_params { params: raised.clone() }
			),
			Ok(())
		);
		assert_eq!(pallet_options::Params::<Runtime>::get(), raised);
		assert_eq!(
			dispatch(risk_admin(), pallet_options::Call::<Runtime>::set_params { params }),
			Ok(())
		);

		// The trader may cancel its resting bid (releases its open-order margin) and add margin.
		assert_eq!(
			dispatch(
				signed(&trader_),
				pallet_options::Call::<Runtime>::cancel_order { order_id: resting }
			),
			Ok(())
		);
		assert!(pallet_options::Orders::<Runtime>::get(resting).is_none());
		<solvent_runtime::Assets as frame_support::traits::fungibles::Mutate<AccountId>>::mint_into(
			assets::USD,
			&trader_,
			2_000 * USD,
		)
		.unwrap();
		assert_eq!(
			dispatch(
				signed(&trader_),
				pallet_margin::Call::<Runtime>::deposit { asset: assets::USD, amount: 500 * USD }
			),
			Ok(())
		);
		assert_eq!(cash(&trader_), trader_cash + 500 * USD as i128);
		// Anyone may donate to the insurance fund.
		let fund = pallet_insurance_fund::Pallet::<Runtime>::fund_account();
		let fund_cash = cash(&fund);
		assert_eq!(
			dispatch(
				signed(&trader_),
				pallet_insurance_fund::Call::<Runtime>::donate { amount: 1_000 * USD }
			),
			Ok(())
		);
		assert_eq!(cash(&fund), fund_cash + 1_000 * USD as i128);

		// The feeders keep feeding: BTC falls 10%, the new value is served at once.
		next_block();
		feed_dispatched(45_000);
		assert_eq!(btc_spot(), FixedU128::from_u32(45_000));
		// Both writers are now below maintenance: a keeper liquidates one, the offchain
		// worker's unsigned batch the other. Their shorts go to the insurance fund.
		let (candidates, witness) = Margin::liquidation_candidates(10);
		assert_eq!(candidates.len(), 2);
		let keeper_cash = cash(&keeper);
		assert_eq!(
			dispatch(
				signed(&keeper),
				pallet_margin::Call::<Runtime>::liquidate { account: w1.clone() }
			),
			Ok(())
		);
		assert_eq!(position(series, &w1), 0);
		assert!(cash(&keeper) > keeper_cash, "the keeper is paid its reward");
		assert_eq!(
			dispatch(
				RuntimeOrigin::none(),
				pallet_margin::Call::<Runtime>::liquidate_batch {
					accounts: BoundedVec::truncate_from(vec![w2.clone()]),
					position_witness: witness,
				}
			),
			Ok(())
		);
		assert_eq!(position(series, &w2), 0);
		assert_eq!(position(series, &fund), -2);
		assert_eq!(Margin::liquidation_candidates(10).0.len(), 0);

		// The series expires and settles during the halt (hooks are not calls).
		let buyer_cash = cash(&buyer);
		let mut started = None;
		let mut settled = false;
		for _ in 0..200 {
			next_block();
			feed_dispatched(45_000);
			for r in System::events() {
				match r.event {
					RuntimeEvent::Options(pallet_options::Event::SettlementStarted {
						series: s,
						price,
						payout_per_contract,
						fund_shortfall,
						..
					}) if s == series => started = Some((price, payout_per_contract, fund_shortfall)),
					RuntimeEvent::Options(pallet_options::Event::SeriesSettled {
						series: s,
						..
					}) if s == series => settled = true,
					_ => {}
				}
			}
			if settled {
				break;
			}
		}
		assert!(settled, "the series settled");
		assert!(entered_until().is_some(), "still in safe mode");
		let (price, per_contract, shortfall) = started.unwrap();
		// A 1-minute TWAP entirely at 45,000: 5,000 USD per contract, the fund paying in full.
		assert_eq!(price, FixedU128::from_u32(45_000));
		assert_eq!(per_contract, 5_000 * USD);
		assert_eq!(shortfall, 0);
		assert_eq!(cash(&buyer), buyer_cash + 10_000 * USD as i128);
		assert_eq!(
			pallet_options::Series::<Runtime>::get(series).unwrap().status,
			pallet_options::SeriesStatus::Settled
		);
		// Still refused after many blocks of the halt.
		assert_eq!(dispatch(signed(&trader_), withdraw_call(1_000 * USD)), filtered());

		// The emergency origin exits: trading and withdrawals are back.
		assert_eq!(dispatch(emergency(), SafeModeCall::force_exit {}), Ok(()));
		assert_eq!(entered_until(), None);
		assert!(safe_mode_events().contains(&pallet_safe_mode::Event::Exited {
			reason: pallet_safe_mode::ExitReason::Force
		}));
		let open = list(solvent_primitives::OptionKind::Put, 45_000, 1, FixedU128::from_u32(1));
		let (low, _) = band_edges(open);
		assert_eq!(dispatch(signed(&trader_), place_order_call(open, Side::Buy, low, 1)), Ok(()));
		assert_eq!(pallet_options::Orders::<Runtime>::get(last_order_id()).unwrap().owner, trader_);
		let before = cash(&trader_);
		assert_eq!(dispatch(signed(&trader_), withdraw_call(1_000 * USD)), Ok(()));
		assert_eq!(cash(&trader_), before - 1_000 * USD as i128);
		Margin::do_try_state().unwrap();
	});
}

#[test]
fn safe_mode_is_bounded_extended_by_the_emergency_origin_and_ends_by_itself() {
	dev_ext().execute_with(|| {
		next_block();
		let start = System::block_number();
		// Root (Sudo on --dev, the root track) also enters it.
		assert_eq!(dispatch(RuntimeOrigin::root(), SafeModeCall::force_enter {}), Ok(()));
		assert_eq!(entered_until(), Some(start + HOURS));
		assert_eq!(
			dispatch(emergency(), SafeModeCall::force_enter {}),
			Err(pallet_safe_mode::Error::<Runtime>::Entered.into())
		);
		// Extending: the emergency origin, one hour per call; not a signed account.
		assert_eq!(
			dispatch(signed(&trader(1)), SafeModeCall::force_extend {}),
			Err(DispatchError::BadOrigin)
		);
		assert_eq!(dispatch(emergency(), SafeModeCall::force_extend {}), Ok(()));
		let until = start + 2 * HOURS;
		assert_eq!(entered_until(), Some(until));
		// Still entered in its last block, exited by the next block's `on_initialize`.
		while System::block_number() < until {
			next_block();
		}
		assert_eq!(entered_until(), Some(until));
		next_block();
		assert_eq!(entered_until(), None);
		assert_eq!(
			safe_mode_events(),
			vec![pallet_safe_mode::Event::Exited { reason: pallet_safe_mode::ExitReason::Timeout }]
		);
		assert_eq!(
			dispatch(emergency(), SafeModeCall::force_exit {}),
			Err(pallet_safe_mode::Error::<Runtime>::Exited.into())
		);
	});
}

fn call_name(pallet: &str, call: &str) -> pallet_tx_pause::RuntimeCallNameOf<Runtime> {
	(
		BoundedVec::truncate_from(pallet.as_bytes().to_vec()),
		BoundedVec::truncate_from(call.as_bytes().to_vec()),
	)
}

#[test]
fn tx_pause_pauses_one_call_refuses_the_unpausable_and_unpause_restores_it() {
	dev_ext().execute_with(|| {
		next_block();
		feed(50_000);
		let series = list_put(50_000);
		let t = trader(1);
		fund_margin(&t, 100_000 * USD);
		let place = call_name("Options", "place_order");

		// The attack: a trader or a risk-admin referendum cannot pause a competitor's calls.
		assert_eq!(
			dispatch(signed(&t), TxPauseCall::pause { full_name: place.clone() }),
			Err(DispatchError::BadOrigin)
		);
		assert_eq!(
			dispatch(risk_admin(), TxPauseCall::pause { full_name: place.clone() }),
			Err(DispatchError::BadOrigin)
		);
		// The lifelines cannot be paused, not even by the emergency origin.
		for (p, c) in [
			("PriceOracle", "feed_values"),
			("PriceOracle", "remove_feeder"),
			("Margin", "liquidate"),
			("Margin", "liquidate_batch"),
			("System", "remark"),
			("Timestamp", "set"),
			("Referenda", "submit"),
			("SafeMode", "force_exit"),
			("TxPause", "unpause"),
		] {
			assert_eq!(
				dispatch(emergency(), TxPauseCall::pause { full_name: call_name(p, c) }),
				Err(pallet_tx_pause::Error::<Runtime>::Unpausable.into()),
				"{p}.{c}"
			);
		}

		// The emergency origin pauses `place_order` only.
		assert_eq!(dispatch(emergency(), TxPauseCall::pause { full_name: place.clone() }), Ok(()));
		assert!(pallet_tx_pause::PausedCalls::<Runtime>::contains_key(&place));
		let (low, _) = band_edges(series);
		assert_eq!(dispatch(signed(&t), place_order_call(series, Side::Buy, low, 1)), filtered());
		assert_eq!(position(series, &t), 0);
		// Other calls of the same pallets run; safe mode is not entered.
		assert_eq!(entered_until(), None);
		let before = cash(&t);
		assert_eq!(dispatch(signed(&t), withdraw_call(1_000 * USD)), Ok(()));
		assert_eq!(cash(&t), before - 1_000 * USD as i128);
		// A deposit, allowed in safe mode, may still be paused on its own.
		let deposit = call_name("Margin", "deposit");
		assert_eq!(
			dispatch(emergency(), TxPauseCall::pause { full_name: deposit.clone() }),
			Ok(())
		);
		assert_eq!(
			dispatch(
				signed(&t),
				pallet_margin::Call::<Runtime>::deposit { asset: assets::USD, amount: 500 * USD }
			),
			filtered()
		);
		assert_eq!(cash(&t), before - 1_000 * USD as i128);

		// Unpause restores trading.
		assert_eq!(dispatch(emergency(), TxPauseCall::unpause { ident: place.clone() }), Ok(()));
		assert_eq!(
			dispatch(emergency(), TxPauseCall::unpause { ident: place.clone() }),
			Err(pallet_tx_pause::Error::<Runtime>::IsUnpaused.into())
		);
		assert_eq!(dispatch(signed(&t), place_order_call(series, Side::Buy, low, 1)), Ok(()));
		assert_eq!(pallet_options::Orders::<Runtime>::get(last_order_id()).unwrap().owner, t);
		assert!(pallet_tx_pause::PausedCalls::<Runtime>::contains_key(&deposit));
	});
}

#[test]
fn every_listed_call_exists_and_the_lists_are_as_documented() {
	let mut names = 0;
	for (list, name) in [(UNPAUSABLE, "UNPAUSABLE"), (SAFE_MODE_ALLOWED, "SAFE_MODE_ALLOWED")] {
		for (pallet, calls) in list {
			let known = RuntimeCall::get_call_names(pallet);
			assert!(!known.is_empty(), "{name}: no pallet {pallet} with calls");
			if let solvent_runtime::configs::emergency::Calls::Only(only) = calls {
				for c in *only {
					assert!(known.contains(c), "{name}: no call {pallet}.{c}");
					names += 1;
				}
			}
		}
	}
	assert_eq!(names, 11);
	let unpausable = |p: &str, c: &str| listed(UNPAUSABLE, p.as_bytes(), c.as_bytes());
	let in_safe_mode = |p: &str, c: &str| {
		unpausable(p, c) || listed(SAFE_MODE_ALLOWED, p.as_bytes(), c.as_bytes())
	};
	for (p, c) in [
		("PriceOracle", "feed_values"),
		("Margin", "liquidate"),
		("Margin", "liquidate_batch"),
		("Margin", "deposit"),
		("Options", "cancel_order"),
		("Options", "set_settlement_price"),
		("InsuranceFund", "donate"),
		("Referenda", "cancel"),
		("Sudo", "sudo"),
	] {
		assert!(in_safe_mode(p, c), "{p}.{c} runs in safe mode");
	}
	for (p, c) in [
		("Options", "place_order"),
		("Options", "list_series"),
		("Options", "list_grid"),
		("Margin", "withdraw"),
		("InsuranceFund", "stake"),
		("InsuranceFund", "request_unstake"),
		("InsuranceFund", "withdraw_unstaked"),
		("Balances", "transfer_keep_alive"),
		("Assets", "transfer"),
	] {
		assert!(!in_safe_mode(p, c), "{p}.{c} is halted by safe mode");
	}
	assert!(!unpausable("Margin", "deposit") && !unpausable("Options", "cancel_order"));
}

/// A referendum on the emergency track for `call`, submitted, deposited and voted aye by Dave,
/// Eve and Ferdie (900,000 SLV each, 1x conviction) through the call filter. Returns its index.
fn emergency_referendum(call: RuntimeCall) -> u32 {
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	let proposer = Sr25519Keyring::Alice.to_account_id();
	let proposal = <solvent_runtime::Preimage as StorePreimage>::bound(call).unwrap();
	let submit = pallet_referenda::Call::<Runtime>::submit {
		proposal_origin: Box::new(OriginCaller::Origins(
			pallet_solvent_origins::Origin::EmergencyAdmin,
		)),
		proposal,
		enactment_moment: frame_support::traits::schedule::DispatchTime::After(1),
	};
	assert_eq!(dispatch(signed(&proposer), submit), Ok(()));
	assert_eq!(
		dispatch(
			signed(&proposer),
			pallet_referenda::Call::<Runtime>::place_decision_deposit { index }
		),
		Ok(())
	);
	for k in [Sr25519Keyring::Dave, Sr25519Keyring::Eve, Sr25519Keyring::Ferdie] {
		let vote = pallet_conviction_voting::AccountVote::Standard {
			vote: pallet_conviction_voting::Vote {
				aye: true,
				conviction: pallet_conviction_voting::Conviction::Locked1x,
			},
			balance: 900_000 * UNIT,
		};
		let call = pallet_conviction_voting::Call::<Runtime>::vote { poll_index: index, vote };
		assert_eq!(dispatch(signed(&k.to_account_id()), call), Ok(()));
	}
	assert_eq!(
		pallet_referenda::ReferendumInfoFor::<Runtime>::get(index).map(|i| match i {
			ReferendumInfo::Ongoing(s) => s.track,
			_ => u16::MAX,
		}),
		Some(track::EMERGENCY)
	);
	index
}

/// Blocks until `done()`, at most `max`; returns the number of blocks.
fn blocks_until(max: u32, done: impl Fn() -> bool) -> u32 {
	for n in 1..=max {
		next_block();
		if done() {
			return n;
		}
	}
	panic!("not done in {max} blocks");
}

#[test]
#[cfg_attr(
	not(feature = "fast-runtime"),
	ignore = "needs the fast tracks: --features fast-runtime"
)]
fn the_emergency_track_enters_and_exits_safe_mode_and_may_cancel_kill_and_remove_feeders() {
	dev_ext().execute_with(|| {
		next_block();
		assert!(FAST_TRACKS);
		// Enter by referendum: 1 block of preparation, 2 of confirmation, enacted the next.
		let enter = emergency_referendum(SafeModeCall::force_enter {}.into());
		let blocks = blocks_until(10, || entered_until().is_some());
		assert!(blocks <= 6, "entered {blocks} blocks after the vote");
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(enter),
			Some(ReferendumInfo::Approved(..))
		));

		// During the halt governance works: a second referendum is submitted and voted (all
		// through the call filter) and its enactment, as `EmergencyAdmin`, exits safe mode.
		let exit = emergency_referendum(SafeModeCall::force_exit {}.into());
		blocks_until(10, || entered_until().is_none());
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(exit),
			Some(ReferendumInfo::Approved(..))
		));

		// The emergency origin cancels (deposits refunded) and kills (decision deposit slashed)
		// referenda of any track; a risk-admin origin may not.
		let root_call: RuntimeCall =
			frame_system::Call::<Runtime>::remark { remark: b"upgrade".to_vec() }.into();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let mut indices = vec![];
		for _ in 0..2 {
			let index = pallet_referenda::ReferendumCount::<Runtime>::get();
			let submit = pallet_referenda::Call::<Runtime>::submit {
				proposal_origin: Box::new(OriginCaller::system(frame_system::RawOrigin::Root)),
				proposal: <solvent_runtime::Preimage as StorePreimage>::bound(root_call.clone())
					.unwrap(),
				enactment_moment: frame_support::traits::schedule::DispatchTime::After(1),
			};
			assert_eq!(dispatch(signed(&bob), submit), Ok(()));
			assert_eq!(
				dispatch(
					signed(&bob),
					pallet_referenda::Call::<Runtime>::place_decision_deposit { index }
				),
				Ok(())
			);
			indices.push(index);
		}
		let (cancel, kill) = (indices[0], indices[1]);
		assert_eq!(
			dispatch(risk_admin(), pallet_referenda::Call::<Runtime>::cancel { index: cancel }),
			Err(DispatchError::BadOrigin)
		);
		assert_eq!(
			dispatch(signed(&bob), pallet_referenda::Call::<Runtime>::kill { index: kill }),
			Err(DispatchError::BadOrigin)
		);
		let bob_total = solvent_runtime::Balances::total_balance(&bob);
		assert_eq!(
			dispatch(emergency(), pallet_referenda::Call::<Runtime>::cancel { index: cancel }),
			Ok(())
		);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(cancel),
			Some(ReferendumInfo::Cancelled(..))
		));
		assert_eq!(
			dispatch(emergency(), pallet_referenda::Call::<Runtime>::kill { index: kill }),
			Ok(())
		);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(kill),
			Some(ReferendumInfo::Killed(..))
		));
		// The killed referendum's submission (1 SLV) and decision (10 SLV, fast) deposits.
		assert_eq!(solvent_runtime::Balances::total_balance(&bob), bob_total - 11 * UNIT);

		// A compromised feeder is removed by the emergency origin, not by a risk-admin one.
		let eve = Sr25519Keyring::Eve.to_account_id();
		let remove = pallet_price_oracle::Call::<Runtime>::remove_feeder { who: eve.clone() };
		assert_eq!(dispatch(risk_admin(), remove.clone()), Err(DispatchError::BadOrigin));
		assert!(pallet_price_oracle::Feeders::<Runtime>::get().contains(&eve));
		assert_eq!(dispatch(emergency(), remove), Ok(()));
		assert!(!pallet_price_oracle::Feeders::<Runtime>::get().contains(&eve));
	});
}

#[test]
fn the_emergency_track_has_the_documented_periods_and_thresholds() {
	dev_ext().execute_with(|| {
		let find = |fast: bool| {
			track_table(fast).iter().find(|t| t.id == track::EMERGENCY).unwrap().info.clone()
		};
		// The runtime uses the table its build selects (`fast-runtime`), whatever the genesis.
		let live = TracksInfo::tracks()
			.find(|t| t.id == track::EMERGENCY)
			.map(|t| t.into_owned().info)
			.unwrap();
		assert_eq!(live.prepare_period, find(FAST_TRACKS).prepare_period);
		assert_eq!(live.decision_deposit, find(FAST_TRACKS).decision_deposit);
		let fast = find(true);
		assert_eq!(
			(fast.prepare_period, fast.decision_period, fast.confirm_period),
			(1, 5 * MINUTES, 2)
		);
		let real = find(false);
		assert_eq!(&real.name[..9], b"emergency");
		assert_eq!(real.decision_deposit, 50_000 * UNIT);
		assert_eq!(
			(real.prepare_period, real.decision_period, real.confirm_period),
			(200, 1_200, 100)
		);
		assert_eq!(real.min_enactment_period, 1);
		assert_eq!(real.max_deciding, 5);
		// Approval 90% -> 80%, support 10% -> 5% over the decision period.
		let at = |p: u32| Perbill::from_percent(p);
		assert_eq!(real.min_approval.threshold(at(0)), at(90));
		assert_eq!(real.min_approval.threshold(at(50)), at(85));
		assert_eq!(real.min_approval.threshold(at(100)), at(80));
		assert_eq!(real.min_support.threshold(at(0)), at(10));
		assert_eq!(real.min_support.threshold(at(100)), at(5));
		// The emergency origin maps to this track; the others keep theirs.
		let origin = |o: OriginCaller| TracksInfo::track_for(&o);
		assert_eq!(
			origin(OriginCaller::Origins(pallet_solvent_origins::Origin::EmergencyAdmin)),
			Ok(track::EMERGENCY)
		);
		assert_eq!(
			origin(OriginCaller::Origins(pallet_solvent_origins::Origin::RiskAdmin)),
			Ok(track::RISK_ADMIN)
		);
		assert_eq!(origin(OriginCaller::system(frame_system::RawOrigin::Root)), Ok(track::ROOT));
	});
}

#[test]
fn no_genesis_selects_the_fast_tracks() {
	// The attack: a chain spec that asks for the fast tracks (the removed `origins.fastTracks`
	// flag) on a production runtime. The genesis has no such field any more, so the spec is
	// refused; the periods come from the build (`fast-runtime`) alone.
	let mut config =
		serde_json::to_value(solvent_runtime::RuntimeGenesisConfig::default()).unwrap();
	config["origins"] = serde_json::json!({ "fastTracks": true });
	let json = serde_json::to_vec(&config).unwrap();
	let mut ext = sp_io::TestExternalities::new_empty();
	let built = ext.execute_with(|| {
		frame_support::genesis_builder_helper::build_state::<solvent_runtime::RuntimeGenesisConfig>(
			json,
		)
	});
	let err = built.expect_err("a genesis with origins.fastTracks must be refused");
	assert!(err.contains("origins"), "refused for the unknown field: {err}");
}

#[test]
fn a_runtime_upgrade_fits_the_scheduler_and_a_block() {
	// A referendum's `system.setCode` must fit the scheduler's budget (80% of the block), or it
	// is permanently overweight and the chain cannot be upgraded by governance; likewise
	// `apply_authorized_upgrade` must fit an operational extrinsic. polkadot-sdk's benchmarked
	// weights (about 0.164 s of ref time each) fit.
	use frame_support::dispatch::DispatchClass;
	use frame_system::WeightInfo;
	type W = <Runtime as frame_system::Config>::SystemWeightInfo;
	let scheduler = solvent_runtime::configs::governance::MaximumSchedulerWeight::get();
	let block = solvent_runtime::configs::RuntimeBlockWeights::get();
	let operational = block.get(DispatchClass::Operational).max_extrinsic.unwrap();
	assert!(
		W::set_code().all_lte(scheduler),
		"set_code {:?} > scheduler {scheduler:?}",
		W::set_code()
	);
	assert!(
		W::apply_authorized_upgrade().all_lte(operational),
		"apply_authorized_upgrade {:?} > operational max {operational:?}",
		W::apply_authorized_upgrade()
	);
}
