#!/usr/bin/env bash
# Installs what this project needs and is missing, from the package registries
# only (crates.io, npm, PyPI, Debian). Idempotent: a second run skips what is there.
# Sourced by run.sh and test.sh; also runnable alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_LEPTOS_VERSION=0.3.10
# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [[ "$(cargo leptos --version 2>/dev/null || true)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 12 minutes, once per machine)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != *"$WASM_BINDGEN_VERSION"* ]]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked fails for this crate: one of its locked dependencies left the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian chromium"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

# PostgreSQL: the tests run the call records against it as well as SQLite
# (scripts/postgres.sh starts a throwaway server for them).
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  log "installing Debian postgresql"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y postgresql
fi

# Command, then the Debian package that has it. openssl and curl: the HTTPS
# test makes a certificate and requests with them (tls.rs). espeak-ng and
# sox: the simulated customer's voice (POST /api/sim/calls/{callId}/say).
# sipp (sip-tester) and baresip: real SIP software against the SIP edge.
for pair in openssl:openssl curl:curl espeak-ng:espeak-ng sox:sox sipp:sip-tester baresip:baresip; do
  tool=${pair%%:*} package=${pair#*:}
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "installing Debian $package"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "$package"
  fi
done

# The example Voice AI engine's Python packages, from PyPI, in a venv of its
# own (PocketSphinx carries its English model in the wheel).
VOICE_AI=examples/voice-ai
if [[ ! -x $VOICE_AI/.venv/bin/python || $VOICE_AI/requirements.txt -nt $VOICE_AI/.venv/installed ]]; then
  log "installing the example Voice AI engine's Python packages"
  python3 -m venv "$VOICE_AI/.venv"
  "$VOICE_AI/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$VOICE_AI/requirements.txt"
  touch "$VOICE_AI/.venv/installed"
fi

# npm packages: Playwright (its browser download switched off: Debian's
# chromium is used), binaryen's wasm-opt (Debian's breaks hydration) and
# the test kit from testkit/ (copied in, as a user's install would be:
# end2end/.npmrc sets install-links), installed again when it changes.
testkit_changed() {
  [[ -n $(find testkit -newer end2end/node_modules/.package-lock.json -type f 2>/dev/null | head -1) ]]
}
if [[ ! -x end2end/node_modules/.bin/wasm-opt || end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]] || testkit_changed; then
  log "installing the end2end npm packages"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# cargo-leptos finds wasm-opt on PATH (otherwise it would try to download it).
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
