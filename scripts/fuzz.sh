#!/usr/bin/env bash
# Fuzz Solvent's runtime calls (issue 7); the harness is fuzz/src/lib.rs.
#
#   scripts/fuzz.sh libfuzzer [SECONDS]   coverage-guided, cargo-fuzz + libFuzzer (default 600 s);
#                                         corpus in fuzz/corpus/runtime, crashes in fuzz/artifacts/runtime;
#                                         FUZZ_ARGS adds libFuzzer flags (e.g. -len_control=0 to try
#                                         long programs at once)
#   scripts/fuzz.sh random [RUNS]         seeded random inputs, no instrumentation (default 10,000)
#   scripts/fuzz.sh replay FILE...        run inputs (e.g. a crash) through the harness once
#
# libFuzzer needs nightly-only rustc flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain accept
# them. The instrumented build skips the wasm runtime (SKIP_WASM_BUILD=1: the harness runs the
# runtime natively) and goes to its own triple directory under CARGO_TARGET_DIR. The random and
# replay modes reuse the node's release build (do not set SKIP_WASM_BUILD for them: flipping it
# makes cargo rebuild the runtime).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mode="${1:-random}"
case "$mode" in
	libfuzzer)
		secs="${2:-600}"
		command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.1
		mkdir -p fuzz/corpus/runtime
		SKIP_WASM_BUILD=1 RUSTC_BOOTSTRAP=1 cargo fuzz run runtime --features libfuzzer --sanitizer none \
			--debug-assertions -- -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
			${FUZZ_ARGS:-} fuzz/corpus/runtime
		;;
	random)
		cargo run --release --locked -p solvent-fuzz --bin fuzz-random -- --runs "${2:-10000}" --seed "${SEED:-1}"
		;;
	replay)
		shift
		[ $# -gt 0 ] || { echo "usage: scripts/fuzz.sh replay FILE..." >&2; exit 2; }
		for f in "$@"; do cp "$f" "fuzz/regressions/$(basename "$f")"; done
		echo "copied to fuzz/regressions/; running them through the harness test"
		cargo test --release --locked -p solvent-fuzz -- --nocapture
		;;
	*) echo "usage: scripts/fuzz.sh libfuzzer [SECONDS] | random [RUNS] | replay FILE..." >&2; exit 2 ;;
esac
