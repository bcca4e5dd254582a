#!/usr/bin/env bash
# Installs what is missing, builds the panel in release mode and serves it with
# the embedded default: reference CTI adapter, demo agents and call simulator.
# Extra arguments go to the server, e.g. scripts/run.sh --addr 0.0.0.0:8080
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

cargo leptos build --release --split
exec target/release/server --site-root target/site "$@"
