#!/usr/bin/env bash
# Install what building and testing Solvent needs, if missing. Idempotent; safe to re-run.
# Debian/Ubuntu with rustup assumed (a fresh CI machine). Uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Debian packages: protoc (litep2p), clang/libclang (bindgen), build tools, Node.js for e2e tests.
need=()
for pkg in protobuf-compiler clang libclang-dev make pkg-config git curl; do
	dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if [ ${#need[@]} -gt 0 ]; then
	echo "setup: installing Debian packages: ${need[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# The scenario report's plot (e2e/scenario/plot.py) uses matplotlib.
if ! python3 -c 'import matplotlib' >/dev/null 2>&1; then
	echo "setup: pip install --user matplotlib"
	python3 -m pip install --user --quiet matplotlib 2>/dev/null ||
		python3 -m pip install --user --quiet --break-system-packages matplotlib ||
		echo "setup: matplotlib not installed: scenario plots will be skipped"
fi

# scripts/compose-native.py reads docker/docker-compose.yml with PyYAML.
if ! python3 -c 'import yaml' >/dev/null 2>&1; then
	echo "setup: pip install --user pyyaml"
	python3 -m pip install --user --quiet pyyaml 2>/dev/null ||
		python3 -m pip install --user --quiet --break-system-packages pyyaml
fi

# Rust: the wasm target of the runtime and the std sources it is built from.
if ! command -v rustup >/dev/null 2>&1; then
	echo "setup: rustup not found; installing it (https://rustup.rs)"
	curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
	# shellcheck disable=SC1091
	. "$HOME/.cargo/env"
fi
rustup target list --installed | grep -qx wasm32v1-none || rustup target add wasm32v1-none
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src

# JavaScript test dependencies (pinned by the lockfiles).
for dir in e2e zombienet; do
	if [ -f "$dir/package-lock.json" ]; then
		if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
			echo "setup: npm ci in $dir"
			(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
		fi
	fi
done
echo "setup: ok"
