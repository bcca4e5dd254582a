#!/usr/bin/env bash
# Runs the benchmarks and prints their figures (they assert nothing; see
# BENCHMARKS.md for what they measure and the latest results).
#   scripts/bench.sh relay    relay load: 100, 1,000 and 10,000 agents, with an in-run baseline
#   scripts/bench.sh panel    click → DOM and navigation → interactive in headless Chromium
#   scripts/bench.sh weight   the panel's bytes (raw and gzip) and the wasm's largest items
#   scripts/bench.sh supervisor  the supervisor view with 1,000 agents changing state (headless Chromium)
#   scripts/bench.sh audio    the softphone: connection set-up, Answer → first audio packet, server CPU per call
#   scripts/bench.sh voice-ai transcript → panel, the media fork's delay, the example engine's word error rate
#   scripts/bench.sh sip      SIPp at 10 calls/s for 60 s into a queue on auto-answer: failures, set-up time, CPU
#   scripts/bench.sh logins   a login storm: 1,000 concurrent logins, wrong and right passwords mixed
#   scripts/bench.sh soak     the long runs: 10,000 socket cuts at 1,000 agents and 200 calls/s, 10,000
#                             sessions for 10 minutes (RSS slope), an 8-hour day in compressed time
#   scripts/bench.sh routing  routing by skills against routing by listed agents: 10,000 agents, 50 skills, 200 calls/s
#   scripts/bench.sh recording  CPU per call recorded against unrecorded, bytes per minute, answer → first frame
#   scripts/bench.sh fuzz     the SIP edge and the Voice AI events fuzzed for 10 minutes each
#   scripts/bench.sh          all of them
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

# 10,000 agents need 10,000 sockets on each side. Its own target directory:
# `cargo bench` builds the server in the bench profile, which must not
# replace the binaries run.sh and the tests use. (Called in a subshell, so
# that the benchmarks after it build where they always do.)
bench_target() {
  ulimit -n "$(ulimit -Hn)"
  export CARGO_TARGET_DIR=target/bench
}

relay() (
  bench_target
  cargo bench -q -p server --bench relay_load --no-run
  for run in "100 20" "1000 200" "10000 200" "10000 720"; do
    set -- $run
    cargo bench -q -p server --bench relay_load -- --agents "$1" --rate "$2" --seconds 10
  done
)

panel() {
  cargo leptos build --release --split
  (cd end2end && node --experimental-websocket bench/panel.mjs 200 20)
}

supervisor() {
  cargo leptos build --release --split
  (cd end2end && node --experimental-websocket bench/supervisor.mjs 1000 10)
}

audio() {
  cargo leptos build --release --split
  (cd end2end && node bench/audio.mjs 50 8)
}

voice_ai() {
  cargo leptos build --release --split
  (cd end2end && node bench/voice-ai.mjs 100)
}

sip() {
  cargo leptos build --release --split
  (cd end2end && node --experimental-websocket bench/sip.mjs 10 60 3000 50)
}

logins() (
  bench_target
  cargo bench -q -p server --bench soak -- logins --logins 1000
)

soak() (
  bench_target
  cargo bench -q -p server --bench soak -- drops --agents 1000 --cuts-per-agent 10 --rate 200
  # The replay buffers' total bound low enough (16 MiB) to be reached during
  # the warm-up: with the default 256 MiB they fill for 20 minutes at this
  # rate, by design, and the slope would show them filling, not a leak.
  cargo bench -q -p server --bench relay_load -- --agents 10000 --rate 200 --seconds 600 \
    --replay-total-bytes 16777216
  # Optimised, beside the benchmarks' own build: unoptimised it takes longer than 15 minutes.
  cargo test -q --release -p server --test integration -- --ignored --nocapture day::an_eight_hour_day_at_scale
)

routing() (
  bench_target
  cargo bench -q -p server --bench routing -- --agents 10000 --skills 50 --rate 200
)

recording() (
  bench_target
  cargo bench -q -p server --bench recording -- --calls 50 --seconds 20
)

fuzz() {
  FUZZ_SECONDS=600 cargo test -q -p server --test integration -- --nocapture \
    fuzz::sip_messages_however_mangled fuzz::voice_ai_events_of_any_shape
}

weight() {
  cargo leptos build --release --split
  scripts/weight.sh
  if ! command -v twiggy >/dev/null; then
    cargo install twiggy --locked
  fi
  twiggy top -n 25 target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm
}

case "${1:-all}" in
  relay) relay ;;
  panel) panel ;;
  weight) weight ;;
  supervisor) supervisor ;;
  audio) audio ;;
  voice-ai) voice_ai ;;
  sip) sip ;;
  logins) logins ;;
  soak) soak ;;
  routing) routing ;;
  recording) recording ;;
  fuzz) fuzz ;;
  all) relay; panel; weight; supervisor; audio; voice_ai; sip; logins; soak; routing; recording; fuzz ;;
  *) echo "usage: scripts/bench.sh [relay|panel|weight|supervisor|audio|voice-ai|sip|logins|soak|routing|fuzz]" >&2; exit 2 ;;
esac
