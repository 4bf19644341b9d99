//! Pure arithmetic of the oracle: median, dispersion, time-weighted average of a step function
//! (and of the coarse history's buckets), the coarse history's fold, and the circuit breaker's
//! deviation test. No storage access; all `FixedU128` (18 decimals).

use crate::types::{HistoryBucket, HistoryEntry, HISTORY_BUCKET, HISTORY_BUCKETS};
use alloc::vec::Vec;
use solvent_primitives::Moment;
use sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, FixedPointNumber, FixedU128, Permill,
	Rounding,
};

/// Median of `values` (reordered in place); `None` if empty.
///
/// Odd count: the middle value. Even count: the mean of the two middle values, rounded down to
/// the last of the 18 decimals (`a + (b - a) / 2` with `a <= b`, which cannot overflow).
pub fn median(values: &mut [FixedU128]) -> Option<FixedU128> {
	let n = values.len();
	if n == 0 {
		return None;
	}
	values.sort_unstable();
	let upper = *values.get(n / 2)?;
	if n % 2 == 1 {
		return Some(upper);
	}
	let lower = *values.get(n / 2 - 1)?;
	let (a, b) = (lower.into_inner(), upper.into_inner());
	Some(FixedU128::from_inner(a.saturating_add(b.saturating_sub(a) / 2)))
}

/// Dispersion of values whose extremes are `min` and `max` around their `median`:
/// `(max - min) / median`, a fraction of the median, rounded **up** at the last of the 18
/// decimals (saturating at `FixedU128`'s maximum). Rounding up makes
/// [`within_dispersion`] exact. `None` for a zero median.
pub fn dispersion(min: FixedU128, max: FixedU128, median: FixedU128) -> Option<FixedU128> {
	let median = median.into_inner();
	if median == 0 {
		return None;
	}
	let spread = max.into_inner().saturating_sub(min.into_inner());
	let inner = multiply_by_rational_with_rounding(
		spread,
		<FixedU128 as FixedPointNumber>::DIV,
		median,
		Rounding::Up,
	)
	.unwrap_or(u128::MAX);
	Some(FixedU128::from_inner(inner))
}

/// Whether a [`dispersion`] is at most `max_dispersion`. Exact: `max_dispersion` is a whole
/// number of 10^-18 (a `Permill` is 10^12 of them per part) and the dispersion is rounded up,
/// so `ceil(x) <= n` iff `x <= n`, i.e. iff `max - min <= max_dispersion x median` exactly.
pub fn within_dispersion(dispersion: FixedU128, max_dispersion: Permill) -> bool {
	dispersion <= FixedU128::from(max_dispersion)
}

/// The available steps of `history` clipped to `[start, end)`: `(value, ms)` pieces. An entry
/// holds from its timestamp until the next entry's (the last one until `end`); unavailable
/// steps (`None`), the time before the first entry and entries at or after `end` give nothing.
/// `history` must be sorted by timestamp.
pub fn step_pieces(
	history: &[HistoryEntry],
	start: Moment,
	end: Moment,
) -> impl Iterator<Item = (FixedU128, Moment)> + Clone + '_ {
	history.iter().enumerate().filter_map(move |(i, entry)| {
		if entry.timestamp >= end {
			return None;
		}
		let value = entry.value?;
		let step_end = history.get(i + 1).map_or(end, |next| next.timestamp.min(end));
		let step_start = entry.timestamp.max(start);
		(step_end > step_start).then(|| (value, step_end - step_start))
	})
}

/// The buckets of a coarse history clipped to `[start, end)`: `(average, ms)` pieces, the
/// available ms of a bucket cut by the window taken pro rata of the part of its interval inside
/// the window (rounded down), as if its values were spread evenly over it.
pub fn bucket_pieces(
	buckets: &[HistoryBucket],
	start: Moment,
	end: Moment,
) -> impl Iterator<Item = (FixedU128, Moment)> + Clone + '_ {
	buckets.iter().filter_map(move |b| {
		let (lo, hi) = (b.start.max(start), b.end.min(end));
		if hi <= lo || b.available == 0 {
			return None;
		}
		let span = b.end.saturating_sub(b.start);
		let inside = hi - lo;
		let ms = if inside >= span {
			b.available
		} else {
			// `available <= span`, so the share fits a `Moment`.
			let share = u128::from(b.available).saturating_mul(u128::from(inside))
				/ u128::from(span.max(1));
			Moment::try_from(share).unwrap_or(b.available)
		};
		(ms > 0).then_some((b.average, ms))
	})
}

/// Time-weighted average of `(value, ms)` pieces and their total duration:
/// `(sum(value_i x ms_i) / sum(ms_i), sum(ms_i))`, the average rounded down to the last of the
/// 18 decimals. `None` if the total duration is zero.
pub fn weighted_average<I>(pieces: I) -> Option<(FixedU128, Moment)>
where
	I: Iterator<Item = (FixedU128, Moment)> + Clone,
{
	let total: Moment = pieces.clone().fold(0, |acc: Moment, (_, d)| acc.saturating_add(d));
	if total == 0 {
		return None;
	}
	// Exact numerator in u128 when it fits (it does for any price below ~10^12 USD over a day);
	// otherwise each piece's share `value x d / total` is rounded down separately.
	let exact = pieces.clone().try_fold(0u128, |acc, (v, d)| {
		v.into_inner().checked_mul(u128::from(d)).and_then(|x| acc.checked_add(x))
	});
	let inner = match exact {
		Some(sum) => sum / u128::from(total),
		None => pieces.fold(0u128, |acc, (v, d)| {
			let share = multiply_by_rational_with_rounding(
				v.into_inner(),
				u128::from(d),
				u128::from(total),
				Rounding::Down,
			)
			.unwrap_or(u128::MAX);
			acc.saturating_add(share)
		}),
	};
	Some((FixedU128::from_inner(inner), total))
}

/// Time-weighted average over `[start, end]` (ms) of the step function `history`, skipping the
/// unavailable steps (`None`) and the time before the first entry. `history` must be sorted by
/// timestamp; an entry holds from its timestamp until the next entry's (the last one until
/// `end`); entries at or after `end` are ignored.
///
/// `TWAP = sum(value_i x duration_i) / sum(duration_i)` over the available steps, rounded down
/// to the last of the 18 decimals. `None` if no available time falls in the window (including
/// `start >= end`).
pub fn time_weighted_average(
	history: &[HistoryEntry],
	start: Moment,
	end: Moment,
) -> Option<FixedU128> {
	if start >= end {
		return None;
	}
	weighted_average(step_pieces(history, start, end)).map(|(value, _)| value)
}

/// [`time_weighted_average`] over the exact steps `history` and, for the part of the window
/// before the first of them, the coarse `buckets` ([`bucket_pieces`]); with the available ms
/// it averaged over (the *coverage* of the window). `None` if no available time falls in the
/// window (including `start >= end`).
pub fn twap_with_coverage(
	history: &[HistoryEntry],
	buckets: &[HistoryBucket],
	start: Moment,
	end: Moment,
) -> Option<(FixedU128, Moment)> {
	if start >= end {
		return None;
	}
	let coarse_end = history.first().map_or(end, |first| first.timestamp.min(end));
	weighted_average(
		bucket_pieces(buckets, start, coarse_end).chain(step_pieces(history, start, end)),
	)
}

/// The last value available at or before `end` and the end (ms, exclusive, at most `end`) of
/// the time it was available: from the exact steps `history` if one of those starting before
/// `end` is available, else from the coarse `buckets` before the first exact step (the last
/// value of the newest bucket whose last available time ends by then; a bucket cut by that
/// instant whose last value ran past it is skipped). `None` if there is none.
pub fn last_available(
	history: &[HistoryEntry],
	buckets: &[HistoryBucket],
	end: Moment,
) -> Option<(Moment, FixedU128)> {
	for (i, entry) in history.iter().enumerate().rev() {
		if entry.timestamp >= end {
			continue;
		}
		if let Some(value) = entry.value {
			let until = history.get(i + 1).map_or(end, |next| next.timestamp.min(end));
			return Some((until, value));
		}
	}
	let coarse_end = history.first().map_or(end, |first| first.timestamp.min(end));
	buckets
		.iter()
		.rev()
		.filter(|b| b.start < coarse_end)
		.find_map(|b| b.last.filter(|(until, _)| *until <= coarse_end))
}

/// `(average_a x ms_a + value x ms_b) / (ms_a + ms_b)`, each part rounded down.
fn combine(average: FixedU128, ms_a: Moment, value: FixedU128, ms_b: Moment) -> FixedU128 {
	let total = u128::from(ms_a.saturating_add(ms_b));
	if total == 0 {
		return value;
	}
	let part = |v: FixedU128, ms: Moment| {
		multiply_by_rational_with_rounding(v.into_inner(), u128::from(ms), total, Rounding::Down)
			.unwrap_or(u128::MAX)
	};
	FixedU128::from_inner(part(average, ms_a).saturating_add(part(value, ms_b)))
}

/// Fold the step `value` on `[start, end)` (ms; `None`: unavailable) into the coarse history
/// `buckets` (oldest first, one bucket per [`HISTORY_BUCKET`] slot at most), then drop the
/// buckets of slots before the last [`HISTORY_BUCKETS`] slots up to the slot of `end - 1`.
///
/// Steps must be folded in time order, each starting where the previous one ended. An
/// available part extends its slot's bucket (or creates it); an unavailable part extends an
/// existing bucket of its slot only. Only the last `HISTORY_BUCKETS` slots of a long step are
/// visited, so a fold takes at most `HISTORY_BUCKETS + 1` iterations.
pub fn fold_into_buckets(
	buckets: &mut Vec<HistoryBucket>,
	start: Moment,
	end: Moment,
	value: Option<FixedU128>,
) {
	if end <= start {
		return;
	}
	let last_slot = (end - 1) / HISTORY_BUCKET;
	let first_kept = last_slot.saturating_sub(Moment::from(HISTORY_BUCKETS).saturating_sub(1));
	let mut t = start.max(first_kept.saturating_mul(HISTORY_BUCKET));
	while t < end {
		let slot = t / HISTORY_BUCKET;
		let segment_end = end.min(slot.saturating_add(1).saturating_mul(HISTORY_BUCKET));
		let ms = segment_end.saturating_sub(t);
		match buckets.last_mut() {
			Some(bucket) if bucket.slot() == slot => {
				bucket.end = segment_end;
				if let Some(v) = value {
					bucket.average = combine(bucket.average, bucket.available, v, ms);
					bucket.available = bucket.available.saturating_add(ms);
					bucket.last = Some((segment_end, v));
				}
			}
			_ => {
				if let Some(v) = value {
					buckets.push(HistoryBucket {
						start: t,
						end: segment_end,
						available: ms,
						average: v,
						last: Some((segment_end, v)),
					});
				}
			}
		}
		t = segment_end;
	}
	let old = buckets.iter().take_while(|b| b.slot() < first_kept).count();
	buckets.drain(..old);
}

/// The value of the step function `history` at instant `at`: the entry with the greatest
/// timestamp `<= at`. `None` before the first entry or if that step is unavailable.
pub fn value_at(history: &[HistoryEntry], at: Moment) -> Option<FixedU128> {
	history.iter().take_while(|e| e.timestamp <= at).last().and_then(|e| e.value)
}

/// The circuit breaker's test: `|value - reference| > max_deviation x reference`, exactly
/// (the product is rounded down; the difference is an integer count of 10^-18, so comparing
/// with the floor is the same as comparing with the exact product).
pub fn deviates(value: FixedU128, reference: FixedU128, max_deviation: Permill) -> bool {
	let diff = value.into_inner().abs_diff(reference.into_inner());
	diff > max_deviation.mul_floor(reference.into_inner())
}

/// [`deviates`] with a band that may exceed 100% of the reference (implied volatility can
/// triple in a crash): `|value - reference| > band x reference`, the product rounded down.
pub fn deviates_by(value: FixedU128, reference: FixedU128, band: FixedU128) -> bool {
	let diff = value.into_inner().abs_diff(reference.into_inner());
	diff > FixedPointNumber::saturating_mul_int(band, reference.into_inner())
}
