#!/usr/bin/env python3
"""Series degrees and continued-fraction depths of N(x) in src/math.rs (SERIES_DEGREE, CF_DEPTH).

For the series N(t) = 1/2 + n(t) * t * sum_{j<=N} t^{2j} / (1*3*...*(2j+1)), prints the
smallest N with truncation error times t n(t) below 1e-21 at the top of each interval of t.
For Laplace's continued fraction N(-t) = n(t) / (t + 1/(t + 2/(t + ...))) evaluated backwards
from depth D, prints the smallest D with absolute error below 1e-21 and relative error below
1e-19 at the bottom of each interval. The tables in src/math.rs add a margin of 1-3.

Usage: pip install mpmath==1.3.0 && python3 normal_depths.py
"""
import mpmath as mp

mp.mp.dps = 50


def series_degree(x):
    x = mp.mpf(x)
    w = x * x
    n = 0
    while True:
        k = n + 1
        term = w**k / mp.fac2(2 * k + 1)
        ratio = w / (2 * k + 3)
        if ratio < 1 and term / (1 - ratio) * x * mp.npdf(x) < mp.mpf("1e-21"):
            return n
        n += 1


def cf_depth(x):
    x = mp.mpf(x)
    mills = (1 - mp.ncdf(x)) / mp.npdf(x)
    for n in range(1, 500):
        c = x
        for k in range(n, 0, -1):
            c = x + k / c
        err = abs(1 / c - mills)
        if err * mp.npdf(x) < mp.mpf("1e-21") and err / mills < mp.mpf("1e-19"):
            return n
    raise RuntimeError(x)


if __name__ == "__main__":
    print("series: t <= bound -> degree")
    for t in ["0.25", "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2", "2.25", "2.5", "2.75", "3"]:
        print(f"  {t:>5} {series_degree(t)}")
    print("continued fraction: t >= bound -> depth")
    for t in ["3", "3.25", "3.5", "4", "4.5", "5", "6", "7", "8"]:
        print(f"  {t:>5} {cf_depth(t)}")
