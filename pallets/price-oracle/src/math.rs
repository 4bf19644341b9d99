//! Pure arithmetic of the oracle: median, dispersion, time-weighted average of a step function
//! and the circuit breaker's deviation test. No storage access; all `FixedU128` (18 decimals).

use crate::types::HistoryEntry;
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
	// The available steps clipped to the window: (value, duration ms).
	let steps = || {
		history.iter().enumerate().filter_map(move |(i, entry)| {
			if entry.timestamp >= end {
				return None;
			}
			let value = entry.value?;
			let step_end = history.get(i + 1).map_or(end, |next| next.timestamp.min(end));
			let step_start = entry.timestamp.max(start);
			(step_end > step_start).then(|| (value, step_end - step_start))
		})
	};
	let total: Moment = steps().fold(0, |acc: Moment, (_, d)| acc.saturating_add(d));
	if total == 0 {
		return None;
	}
	// Exact numerator in u128 when it fits (it does for any price below ~10^12 USD over a day);
	// otherwise each step's share `value x d / total` is rounded down separately.
	let exact = steps().try_fold(0u128, |acc, (v, d)| {
		v.into_inner().checked_mul(u128::from(d)).and_then(|x| acc.checked_add(x))
	});
	let inner = match exact {
		Some(sum) => sum / u128::from(total),
		None => steps().fold(0u128, |acc, (v, d)| {
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
	Some(FixedU128::from_inner(inner))
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
