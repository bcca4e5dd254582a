#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png (shown in the README) from a release
# build: starts a server on a free port, drives it with Playwright, stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
cargo leptos build --release --split
port=3190
target/release/server --addr "127.0.0.1:$port" --site-root target/site --database sqlite::memory: --ring-timeout-seconds 2 &
server=$!
trap 'kill $server' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
cd end2end && node support/screenshots.mjs "http://127.0.0.1:$port" ../docs/screenshots
