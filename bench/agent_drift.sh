#!/usr/bin/env bash
# bench/agent_drift.sh: the agent's figures in one run (not a test).
#   1. drift estimate error versus window, from the simulation (bench/agent_drift.cc);
#   2. resident memory and CPU of one report (`pifind-agent facts`), on this machine and on the Pi 1
#      fixture tree, via /usr/bin/time -v; plus the stripped binary size.
# Usage: bench/agent_drift.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-agent}
runs=${2:-40}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target pifind-agent agent_drift_bench >/dev/null

echo "== 1. drift estimate vs window (simulation)"
"$build/bench/agent_drift_bench" "$runs"

echo
echo "== 2. one report: RSS and CPU (/usr/bin/time -v pifind-agent facts)"
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
measure() {
  local label=$1; shift
  local out
  out=$( { /usr/bin/time -v "$@" >/dev/null; } 2>&1 )
  local rss user sys
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' <<<"$out")
  user=$(awk -F': ' '/User time/ {print $2}' <<<"$out")
  sys=$(awk -F': ' '/System time/ {print $2}' <<<"$out")
  printf '%-34s max RSS %6s KiB   CPU user %ss sys %ss\n' "$label" "$rss" "$user" "$sys"
}
measure "facts (this machine)" "$build/agent/pifind-agent" facts --state-dir "$state"
measure "facts (Pi 1 fixture tree)" "$build/agent/pifind-agent" facts --sysroot tests/agent/fixtures/pi1-rasclock --state-dir "$state"
measure "analyze (seed-format slice)" "$build/agent/pifind-agent" analyze tests/agent/fixtures/seed_pi1_slice.log
stripped=$(mktemp)
strip -o "$stripped" "$build/agent/pifind-agent"
printf 'binary: %s bytes stripped (%s with debug info); links pcap: %s\n' "$(stat -c %s "$stripped")" \
  "$(stat -c %s "$build/agent/pifind-agent")" "$(ldd "$build/agent/pifind-agent" | grep -c pcap || true)"
rm -f "$stripped"
