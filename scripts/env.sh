# Sourced by the scripts: one warm build directory outside the clone, shared by CI and developers.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/solvent/target}"
export SOLVENT_NODE="${SOLVENT_NODE:-$CARGO_TARGET_DIR/release/solvent-node}"
export SOLVENT_LOADGEN="${SOLVENT_LOADGEN:-$CARGO_TARGET_DIR/release/solvent-loadgen}"
export SOLVENT_FEEDER="${SOLVENT_FEEDER:-$CARGO_TARGET_DIR/release/solvent-feeder}"
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
