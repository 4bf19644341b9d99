#!/usr/bin/env bash
# Liquidation at scale (issue 8), on the real runtime (dev genesis, native execution): 10,000
# margin accounts; one price update makes 1,000 liquidatable, a second one 5,000. Prints blocks
# until all are liquidated, the automatic batch's weight per block and the offchain worker's
# candidate scan time. Also runs the 1,000-writer test (one batch per block at the cap).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
cargo test --release --locked -p solvent-runtime --features fast-runtime --test liquidation_at_scale -- --include-ignored --nocapture --test-threads 1
