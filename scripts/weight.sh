#!/usr/bin/env bash
# Prints the built panel's weight (wasm, JS, CSS; raw and gzip -9) and fails
# when the gzip total exceeds the budget. Sizes are deterministic for a given
# toolchain, so this is a check, not a benchmark. Needs a release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The budget reached so far (BENCHMARKS.md explains where the bytes go).
BUDGET_GZIP_BYTES=${BUDGET_GZIP_BYTES:-473400}

total=0
for file in target/site/pkg/ccp.wasm target/site/pkg/ccp.js target/site/pkg/ccp.css; do
  raw=$(stat -c %s "$file")
  gz=$(gzip -9c "$file" | wc -c)
  total=$((total + gz))
  printf '%-26s %9s bytes raw, %8s bytes gzip\n' "$(basename "$file")" "$raw" "$gz"
done
printf '%-26s %28s bytes gzip (budget %s)\n' "panel total" "$total" "$BUDGET_GZIP_BYTES"
if (( total > BUDGET_GZIP_BYTES )); then
  echo "weight: the panel is over its budget by $((total - BUDGET_GZIP_BYTES)) bytes gzip" >&2
  exit 1
fi
