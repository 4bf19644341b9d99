//! What a block's `System.Events` say happened, decoded with the static types generated from
//! the runtime metadata. Every event must decode: an event the metadata does not describe, a
//! field of the wrong layout, fewer events than the count in front, or bytes left over is an
//! error, never "no events" (the node's own load generator used to read a decoding failure as
//! an empty list, which made its "0 failed extrinsics" check pass without checking anything).

use crate::{config::SolventConfig, solvent, Error};
use std::collections::BTreeMap;
use subxt::{
	events::{Events, Phase},
	ext::codec::{Compact, CompactLen},
};

/// BTC's asset id (`solvent_primitives::assets::BTC`).
pub const BTC: u32 = 2;
/// `FixedU128`'s accuracy: the inner value of 1.0.
pub const FIXED_ONE: u128 = 1_000_000_000_000_000_000;

/// The outcome of one block, from its events.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BlockEvents {
	/// Events decoded.
	pub events: u32,
	/// Extrinsics that succeeded, by index in the block.
	pub succeeded: Vec<u32>,
	/// Extrinsics that failed (`System.ExtrinsicFailed`), by index, with the error.
	pub failed: BTreeMap<u32, String>,
	/// `Options.OrderFilled` events.
	pub fills: u32,
	/// `Options.OrderCancelled` events.
	pub cancels: u32,
	/// `Margin.Liquidated` events.
	pub liquidated: u32,
	/// BTC spot aggregated in this block (whole USD, rounded down), if it changed.
	pub btc_spot: Option<u32>,
	/// The oracle's circuit breaker tripped on BTC spot in this block.
	pub btc_breaker_tripped: bool,
}

fn extrinsic_index(phase: Phase) -> Option<u32> {
	match phase {
		Phase::ApplyExtrinsic(i) => Some(i),
		_ => None,
	}
}

fn is_btc_spot(key: &solvent::runtime_types::solvent_primitives::OracleKey) -> bool {
	matches!(key, solvent::runtime_types::solvent_primitives::OracleKey::Spot(BTC))
}

/// Decode every event of a block; any decoding failure is an error naming the event.
pub fn decode(events: &Events<SolventConfig>) -> Result<BlockEvents, Error> {
	use solvent::{margin::events as margin, options::events as options};
	use solvent::{price_oracle::events as oracle, system::events as system};
	let mut out = BlockEvents::default();
	let mut consumed = Compact::<u32>::compact_len(&events.len());
	let err = |e: subxt::error::EventsError| format!("cannot decode System.Events: {e}");
	for ev in events.iter() {
		let ev = ev.map_err(err)?;
		out.events += 1;
		consumed += ev.bytes().len();
		let name = || format!("{}.{}", ev.pallet_name(), ev.event_name());
		if let Some(e) = ev.decode_fields_as::<system::ExtrinsicSuccess>() {
			e.map_err(err)?;
			let i = extrinsic_index(ev.phase())
				.ok_or_else(|| format!("{} outside an extrinsic", name()))?;
			out.succeeded.push(i);
		} else if let Some(e) = ev.decode_fields_as::<system::ExtrinsicFailed>() {
			let e = e.map_err(err)?;
			let i = extrinsic_index(ev.phase())
				.ok_or_else(|| format!("{} outside an extrinsic", name()))?;
			out.failed.insert(i, format!("{:?}", e.dispatch_error));
		} else if let Some(e) = ev.decode_fields_as::<options::OrderFilled>() {
			e.map_err(err)?;
			out.fills += 1;
		} else if let Some(e) = ev.decode_fields_as::<options::OrderCancelled>() {
			e.map_err(err)?;
			out.cancels += 1;
		} else if let Some(e) = ev.decode_fields_as::<margin::Liquidated>() {
			e.map_err(err)?;
			out.liquidated += 1;
		} else if let Some(e) = ev.decode_fields_as::<oracle::AggregateUpdated>() {
			let e = e.map_err(err)?;
			if let (true, Some(v)) = (is_btc_spot(&e.key), e.value) {
				out.btc_spot = u32::try_from(v.0 / FIXED_ONE).ok();
			}
		} else if let Some(e) = ev.decode_fields_as::<oracle::BreakerTripped>() {
			let e = e.map_err(err)?;
			out.btc_breaker_tripped |= is_btc_spot(&e.key);
		}
	}
	if out.events != events.len() || consumed != events.bytes().len() {
		return Err(format!(
			"cannot decode System.Events: {} of {} events decoded, {} of {} bytes read",
			out.events,
			events.len(),
			consumed,
			events.bytes().len()
		));
	}
	Ok(out)
}

impl BlockEvents {
	/// Check that each of the block's `extrinsics` has exactly one outcome event
	/// (`ExtrinsicSuccess` or `ExtrinsicFailed`): a block whose events are missing or were
	/// not all read is an error, not a block without failures.
	pub fn check_outcomes(&self, extrinsics: usize) -> Result<(), Error> {
		let mut seen: Vec<u32> = self.succeeded.clone();
		seen.extend(self.failed.keys());
		seen.sort_unstable();
		let expected: Vec<u32> = (0..extrinsics as u32).collect();
		if seen != expected {
			return Err(format!(
				"{extrinsics} extrinsics but outcome events for {} ({} succeeded, {} failed)",
				seen.len(),
				self.succeeded.len(),
				self.failed.len()
			));
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use subxt::{
		client::OfflineClient,
		ext::codec::{Decode, Encode},
		metadata::Metadata,
		utils::{AccountId32, H256},
	};

	fn metadata() -> Metadata {
		let bytes = include_bytes!("../../metadata/solvent.scale");
		Metadata::decode(&mut &bytes[..]).expect("tools/metadata/solvent.scale decodes")
	}

	/// `(pallet index, event index)` of `pallet.event` in the metadata.
	fn index(md: &Metadata, pallet: &str, event: &str) -> (u8, u8) {
		let p = md.pallet_by_name(pallet).expect("pallet");
		let v = p.event_variants().and_then(|v| v.iter().find(|v| v.name == event)).expect("event");
		(p.event_index(), v.index)
	}

	/// An `EventRecord`: phase, pallet and event index, `fields`, no topics.
	fn record(phase: Phase, (p, e): (u8, u8), fields: &[u8]) -> Vec<u8> {
		let mut r = phase.encode();
		r.extend([p, e]);
		r.extend(fields);
		r.extend(Vec::<H256>::new().encode());
		r
	}

	fn events_of(md: Metadata, count: u32, records: &[Vec<u8>]) -> Result<BlockEvents, Error> {
		let client = OfflineClient::new_with_config(SolventConfig::offline(1, md.into()));
		let at = client.at_block(0u64).expect("offline block");
		let mut bytes = Compact(count).encode();
		for r in records {
			bytes.extend(r);
		}
		decode(&at.events().from_bytes(bytes))
	}

	/// `Options.OrderFilled` fields as the runtime encodes them, `quantity` as `Q`.
	fn order_filled<Q: Encode>(quantity: Q) -> Vec<u8> {
		let alice = AccountId32([1; 32]);
		let bob = AccountId32([2; 32]);
		let mut f = (7u32, 1u64, 2u64, alice, bob).encode();
		f.push(0); // taker_side: Buy
		f.extend((2_000_000u128, quantity, 2_000_000u128, 0u128, 0u128).encode());
		f
	}

	/// `System.ExtrinsicSuccess { dispatch_info }`: weight (2 compact u64), class, pays_fee.
	fn success() -> Vec<u8> {
		let mut f = (Compact(1_000u64), Compact(0u64)).encode();
		f.extend([0u8, 0u8]);
		f
	}

	#[test]
	fn decodes_the_runtime_layout() {
		let md = metadata();
		let filled = index(&md, "Options", "OrderFilled");
		let ok = index(&md, "System", "ExtrinsicSuccess");
		let records = [
			record(Phase::ApplyExtrinsic(1), filled, &order_filled(1u64)),
			record(Phase::ApplyExtrinsic(1), ok, &success()),
			record(Phase::ApplyExtrinsic(2), filled, &order_filled(3u64)),
			record(Phase::ApplyExtrinsic(2), ok, &success()),
		];
		let out = events_of(md, 4, &records).expect("the runtime's layout decodes");
		assert_eq!(out.events, 4);
		assert_eq!(out.fills, 2);
		assert_eq!(out.succeeded, vec![1, 2]);
		assert!(out.failed.is_empty());
	}

	#[test]
	fn a_wrong_event_layout_is_an_error_not_zero_failures() {
		let md = metadata();
		let filled = index(&md, "Options", "OrderFilled");
		let ok = index(&md, "System", "ExtrinsicSuccess");
		// `quantity` as a u32 (4 bytes short): the fields no longer match the metadata.
		let records = [
			record(Phase::ApplyExtrinsic(1), filled, &order_filled(1u32)),
			record(Phase::ApplyExtrinsic(1), ok, &success()),
		];
		let e = events_of(md, 2, &records).expect_err("a wrong layout must not decode");
		assert!(e.contains("cannot decode System.Events"), "{e}");
	}

	#[test]
	fn every_extrinsic_needs_one_outcome_event() {
		let md = metadata();
		let ok = index(&md, "System", "ExtrinsicSuccess");
		let two = [
			record(Phase::ApplyExtrinsic(0), ok, &success()),
			record(Phase::ApplyExtrinsic(1), ok, &success()),
		];
		let out = events_of(md, 2, &two).expect("decodes");
		assert_eq!(out.check_outcomes(2), Ok(()));
		// A third extrinsic without an outcome, and an empty event list (storage missing).
		assert!(out.check_outcomes(3).is_err());
		assert!(BlockEvents::default().check_outcomes(1).is_err());
	}

	#[test]
	fn missing_events_and_trailing_bytes_are_errors() {
		let md = metadata();
		let ok = index(&md, "System", "ExtrinsicSuccess");
		let one = [record(Phase::ApplyExtrinsic(0), ok, &success())];
		// The count says 2, the bytes hold 1.
		let e = events_of(metadata(), 2, &one).expect_err("a short list must not decode");
		assert!(e.contains("1 of 2 events"), "{e}");
		// The count says 1, a second record follows.
		let two = [one[0].clone(), one[0].clone()];
		let e = events_of(metadata(), 1, &two).expect_err("trailing bytes must not decode");
		assert!(e.contains("bytes read"), "{e}");
		// A pallet index the metadata does not have.
		let e = events_of(md, 1, &[record(Phase::ApplyExtrinsic(0), (250, 0), &[])])
			.expect_err("an unknown pallet must not decode");
		assert!(e.contains("cannot decode System.Events"), "{e}");
	}
}
