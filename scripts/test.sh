#!/usr/bin/env bash
# Installs what is missing, then runs every check: formatting, clippy for the
# server (ssr) and browser (hydrate) builds, the Rust tests (with a throwaway
# PostgreSQL server for the database tests), and the Playwright suite in
# Debian Chromium against the release wasm and the server that `cargo test`
# built (a second, release compilation of the server and its ~400 crates
# would add about ten minutes on two cores and test nothing more).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy: server build (app + ssr, server)"
cargo clippy --all-targets -- -D warnings
step "clippy: browser build (app + hydrate, frontend) for wasm32"
cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

step "cargo test (app + ssr, server; call records on SQLite and on PostgreSQL)"
source scripts/postgres.sh
cargo test

step "TypeScript typings (tsc --noEmit over their usage file)"
(cd end2end && npx tsc --noEmit -p typings)

step "release build of the browser's wasm (the panel as shipped)"
cargo leptos build --release --split --frontend-only

step "panel weight (gzip budget)"
scripts/weight.sh

step "Playwright (Debian Chromium)"
export CCP_SERVER_BINARY="$PWD/target/debug/server"
cd end2end
npx playwright test
