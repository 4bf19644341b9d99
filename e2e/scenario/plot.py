"""Plot of a crash scenario report: oracle price, unhealthy accounts and insurance fund value per block.

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
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(10, 8))
    axes[0].plot(n, price, color="tab:blue")
    axes[0].set_ylabel("BTC oracle price (USD)")
    axes[1].step(n, unhealthy, where="post", color="tab:red")
    axes[1].set_ylabel("liquidatable accounts")
    for liq in report["liquidations"]:
        axes[1].axvline(liq["block"], color="tab:gray", alpha=0.3, linewidth=0.8)
    axes[2].plot(n, fund, color="tab:green")
    axes[2].set_ylabel("insurance fund value (USD)")
    axes[2].set_xlabel("block")
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
