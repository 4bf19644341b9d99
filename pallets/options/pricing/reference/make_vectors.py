#!/usr/bin/env python3
"""Reference vectors for solvent-option-pricing.

Writes, next to this script:

* ``vectors.csv`` -- Black-Scholes-Merton price and Greeks (no dividends) for a grid of
  calls and puts, from QuantLib (the binding reference, double precision) and from mpmath at
  30 significant digits (the "exact" values, used to measure the library's own error).
* ``math.csv`` -- exact (mpmath, 30 digits) values of N(x), n(x), ln(x) and exp(x) for the
  fixed-point kernels in ``src/math.rs``.

Conventions (identical to the Rust crate):
  time_to_expiry = expiry_ms / 31,536,000,000 rounded half-up to 18 decimals (ACT/365), exactly
  what ``year_fraction(0, expiry_ms)`` returns; every input is an exact decimal with at most
  18 fractional digits; theta is per calendar day (per-year theta / 365); vega is per
  volatility point (per-unit vega / 100).

QuantLib is used through ``BlackCalculator(payoff, forward = S e^{rT}, stdDev = sigma sqrt(T),
discount = e^{-rT})`` so that T is exactly the year fraction above (a date-based engine would
round T to whole days). ``BlackCalculator.thetaPerDay`` is ``theta / 365`` and ``vega`` is per
unit of volatility, so vega is divided by 100 here. A subset with whole-day maturities is
cross-checked against ``AnalyticEuropeanEngine`` with flat curves and ``Actual365Fixed``.

Usage:  pip install QuantLib==1.44 mpmath  &&  python3 make_vectors.py
"""

import csv
import math
import os
import random
from decimal import Decimal

import QuantLib as ql
import mpmath as mp

mp.mp.dps = 60  # working precision; values are written with 30 significant digits
HERE = os.path.dirname(os.path.abspath(__file__))
MS_PER_YEAR = 365 * 24 * 3600 * 1000
SCALE = 10**18
HOUR = 3600 * 1000
DAY = 24 * HOUR


def fx(value):
    """An exact decimal string with at most 18 fractional digits (rounded half-up)."""
    d = Decimal(value)
    q = d.quantize(Decimal(1).scaleb(-18), rounding="ROUND_HALF_UP")
    s = format(q.normalize(), "f")
    return s


def year_fraction_str(ms):
    """ms / MS_PER_YEAR rounded half-up at 18 decimals, as year_fraction() does."""
    raw = (2 * ms * SCALE + MS_PER_YEAR) // (2 * MS_PER_YEAR)
    return fx(Decimal(raw).scaleb(-18))


def e17(v):
    return format(float(v), ".17e")


def e30(v):
    return mp.nstr(mp.mpf(v), 30, strip_zeros=False, min_fixed=1, max_fixed=0)


def quantlib_bsm(kind, S, K, T, vol, r):
    """Price, delta, gamma, theta per day, vega per vol point from QuantLib's BlackCalculator."""
    option_type = ql.Option.Call if kind == "call" else ql.Option.Put
    discount = math.exp(-r * T)
    forward = S / discount
    calc = ql.BlackCalculator(ql.PlainVanillaPayoff(option_type, K), forward, vol * math.sqrt(T), discount)
    return (
        calc.value(),
        calc.delta(S),
        calc.gamma(S),
        calc.thetaPerDay(S, T),
        calc.vega(T) / 100.0,
    )


def exact_bsm(kind, S, K, T, vol, r):
    """The same quantities from the closed forms (Hull ch. 15 and 19) at 60 digits."""
    S, K, T, vol, r = (mp.mpf(x) for x in (S, K, T, vol, r))
    sd = vol * mp.sqrt(T)
    d1 = (mp.log(S / K) + (r + vol * vol / 2) * T) / sd
    d2 = d1 - sd
    D = mp.exp(-r * T)
    pdf1 = mp.npdf(d1)
    decay = S * pdf1 * vol / (2 * mp.sqrt(T))
    if kind == "call":
        price = S * mp.ncdf(d1) - K * D * mp.ncdf(d2)
        delta = mp.ncdf(d1)
        theta = -decay - r * K * D * mp.ncdf(d2)
    else:
        price = K * D * mp.ncdf(-d2) - S * mp.ncdf(-d1)
        delta = mp.ncdf(d1) - 1
        theta = -decay + r * K * D * mp.ncdf(-d2)
    gamma = pdf1 / (S * sd)
    vega = S * pdf1 * mp.sqrt(T)
    return price, delta, gamma, theta / 365, vega / 100


def cases():
    """(kind, spot, strike, expiry_ms, vol, rate) as exact decimal strings (ms as int)."""
    out = []
    kinds = ("call", "put")
    # Grid around S = 100: strikes from S/K = 2.0 down to 0.5.
    moneyness = ["0.5", "0.6", "0.75", "0.8", "0.9", "0.95", "1", "1.05", "1.1", "1.25", "1.5", "2"]
    vols = ["0.05", "0.1", "0.2", "0.4", "0.8", "1.5", "3"]
    times = [HOUR, 6 * HOUR, DAY, 7 * DAY, 30 * DAY, 91 * DAY, 365 * DAY, 730 * DAY]
    for rate in ("0", "0.05"):
        for m in moneyness:
            for vol in vols:
                for ms in times:
                    for kind in kinds:
                        out.append((kind, "100", fx(Decimal(100) / Decimal(m)), ms, vol, rate))
    # BTC-like spot.
    for rate in ("0", "0.05"):
        for m in ["0.5", "0.8", "0.95", "1", "1.1", "1.25", "2"]:
            for vol in ["0.05", "0.3", "0.8", "1.5", "3"]:
                for ms in [HOUR, DAY, 30 * DAY, 365 * DAY, 730 * DAY]:
                    for kind in kinds:
                        out.append((kind, "60000", fx(Decimal(60000) / Decimal(m)), ms, vol, rate))
    # Other rates, including a negative one.
    for rate in ("-0.01", "0.1"):
        for m in ["0.5", "0.9", "1", "1.1", "2"]:
            for vol in ["0.05", "0.5", "3"]:
                for ms in [HOUR, 30 * DAY, 730 * DAY]:
                    for kind in kinds:
                        out.append((kind, "100", fx(Decimal(100) / Decimal(m)), ms, vol, rate))
    # Random cases inside the grid's ranges, at assorted spot levels.
    rng = random.Random(20240521)
    for _ in range(300):
        spot = fx(Decimal(str(round(10 ** rng.uniform(-1, 5), 6))))
        m = Decimal(str(round(rng.uniform(0.5, 2.0), 9)))
        strike = fx(Decimal(spot) / m)
        ms = rng.randint(HOUR, 730 * DAY)
        vol = fx(Decimal(str(round(rng.uniform(0.05, 3.0), 6))))
        rate = fx(Decimal(str(round(rng.uniform(-0.02, 0.10), 6))))
        out.append((rng.choice(kinds), spot, strike, ms, vol, rate))
    return out


def write_vectors():
    rows = []
    for i, (kind, spot, strike, ms, vol, rate) in enumerate(cases()):
        t = year_fraction_str(ms)
        qlv = quantlib_bsm(kind, float(spot), float(strike), float(t), float(vol), float(rate))
        mpv = exact_bsm(kind, spot, strike, t, vol, rate)
        rows.append([i, kind, spot, strike, ms, t, vol, rate] + [e17(v) for v in qlv] + [e30(v) for v in mpv])
    header = ["case", "kind", "spot", "strike", "expiry_ms", "time_to_expiry", "volatility", "rate"]
    header += ["ql_" + g for g in ("price", "delta", "gamma", "theta", "vega")]
    header += ["exact_" + g for g in ("price", "delta", "gamma", "theta", "vega")]
    with open(os.path.join(HERE, "vectors.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    # How far QuantLib (double precision) is from the exact values, for the README.
    worst = [0.0] * 5
    for row in rows:
        spot = float(row[2])
        for g in range(5):
            q, e = float(row[8 + g]), float(mp.mpf(row[13 + g]))
            worst[g] = max(worst[g], abs(q - e) / max(abs(e), 1e-2 * spot))
    print(f"vectors.csv: {len(rows)} cases; QuantLib vs exact, max |diff| / max(|exact|, 0.01 S):")
    for g, name in enumerate(("price", "delta", "gamma", "theta", "vega")):
        print(f"  {name:5}: {worst[g]:.2e}")
    return len(rows)


def cross_check_engine():
    """BlackCalculator usage agrees with AnalyticEuropeanEngine on whole-day maturities."""
    today = ql.Date(2, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    worst = 0.0
    for kind in ("call", "put"):
        for S, K in ((100.0, 80.0), (100.0, 100.0), (100.0, 125.0), (60000.0, 75000.0)):
            for vol in (0.05, 0.5, 3.0):
                for days in (1, 7, 30, 365, 730):
                    for r in (0.0, 0.05):
                        T = days / 365.0
                        spot = ql.QuoteHandle(ql.SimpleQuote(S))
                        rts = ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc, ql.Continuous))
                        qts = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc, ql.Continuous))
                        vts = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc))
                        process = ql.BlackScholesMertonProcess(spot, qts, rts, vts)
                        otype = ql.Option.Call if kind == "call" else ql.Option.Put
                        opt = ql.VanillaOption(ql.PlainVanillaPayoff(otype, K), ql.EuropeanExercise(today + days))
                        opt.setPricingEngine(ql.AnalyticEuropeanEngine(process))
                        engine = (opt.NPV(), opt.delta(), opt.gamma(), opt.thetaPerDay(), opt.vega() / 100.0)
                        calc = quantlib_bsm(kind, S, K, T, vol, r)
                        for a, b in zip(engine, calc):
                            worst = max(worst, abs(a - b) / max(abs(b), 1e-2 * S))
    assert worst < 1e-12, worst
    print(f"AnalyticEuropeanEngine vs BlackCalculator (whole days): max rel diff {worst:.1e}")


def write_math():
    rows = []
    grid = [Decimal(i) / 100 for i in range(-1000, 1001)]  # -10.00 .. 10.00
    extra = ["0.000000000000000001", "0.000001", "2.99", "2.999999999999999999", "3.000000000000000001",
             "8.999999999999999999", "9.000000000000000001", "12.5", "17.9", "18", "18.000000000000000001"]
    xs = grid + [Decimal(e) for e in extra] + [-Decimal(e) for e in extra]
    for x in xs:
        s = fx(x)
        rows.append(["cdf", s, e30(mp.ncdf(mp.mpf(s)))])
        rows.append(["pdf", s, e30(mp.npdf(mp.mpf(s)))])
    for i in range(-180, 203):  # up to x = 46.47 (e^x < 1.7e20)
        s = fx(Decimal(i) * Decimal("0.23") + Decimal("0.0123456789"))
        rows.append(["exp", s, e30(mp.exp(mp.mpf(s)))])
    lns = ["0.000000000000000001", "0.000000001", "0.5", "0.7071", "0.9999999999", "1", "1.000000000000000001",
           "1.4142", "2", "2.718281828459045235", "10", "100", "60000", "123456789.123456789", "170141183460469231731.687303715884"]
    for i in range(1, 400):
        lns.append(fx(Decimal(i) * Decimal("0.0123456789") + Decimal("0.5")))
    for s in lns:
        rows.append(["ln", s, e30(mp.log(mp.mpf(s)))])
    with open(os.path.join(HERE, "math.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["function", "x", "exact"])
        w.writerows(rows)
    print(f"math.csv: {len(rows)} rows")


if __name__ == "__main__":
    print(f"QuantLib {ql.__version__}, mpmath {mp.__version__}")
    cross_check_engine()
    write_vectors()
    write_math()
