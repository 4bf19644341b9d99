"""Plot of a crash scenario report per block: oracle price, unhealthy accounts, insurance fund value and
coverage ratio, and the loss waterfall (bad debt the fund owes, socialized losses).

Usage: python3 e2e/scenario/plot.py report.json plot.png   (needs matplotlib)
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(report_path: str, png_path: str) -> None:
    with open(report_path) as f:
        report = json.load(f)
    blocks = sorted(report["blocks"], key=lambda b: b["block"])
    n = [b["block"] for b in blocks]
    price = [b["price"] for b in blocks]
    unhealthy = [b["unhealthy"] for b in blocks]
    fund = [int(b["fundValue"]) / 1e6 if b.get("fundValue") is not None else None for b in blocks]
    coverage = [b.get("coverageRatio") for b in blocks]
    owed = [int(b.get("uncoveredBadDebt") or 0) / 1e6 for b in blocks]
    socialized = [int(b.get("socialized") or 0) / 1e6 for b in blocks]
    fig, axes = plt.subplots(4, 1, sharex=True, figsize=(10, 10))
    axes[0].plot(n, price, color="tab:blue")
    axes[0].set_ylabel("BTC oracle price (USD)")
    axes[1].step(n, unhealthy, where="post", color="tab:red")
    axes[1].set_ylabel("liquidatable accounts")
    for liq in report["liquidations"]:
        axes[1].axvline(liq["block"], color="tab:gray", alpha=0.3, linewidth=0.8)
    axes[2].plot(n, fund, color="tab:green")
    axes[2].set_ylabel("insurance fund value (USD)")
    cov = axes[2].twinx()
    cov.plot(n, coverage, color="tab:olive", linestyle=":")
    cov.set_ylabel("coverage ratio (fund / OI notional)")
    axes[3].step(n, owed, where="post", color="tab:orange", label="bad debt the fund owes (USD)")
    axes[3].bar(n, socialized, color="tab:red", label="socialized in the block (USD)")
    axes[3].set_ylabel("loss waterfall (USD)")
    axes[3].legend(loc="upper left")
    axes[3].set_xlabel("block")
    enacted = (report.get("referendum") or {}).get("enactedAt")
    if enacted:
        for ax in axes:
            ax.axvline(enacted, color="tab:purple", linestyle="--", linewidth=1)
        axes[0].annotate("MM raised", (enacted, max(p for p in price if p is not None)), color="tab:purple")
    fig.suptitle(f"Solvent crash scenario {report['from']}..{report['to']} ({report['network']})")
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
