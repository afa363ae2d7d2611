#!/usr/bin/env bash
# bench/dashboard: the dashboard of a fleet of 10,000 devices (3,000 Pis whose agents report, with a day of
# drift history each, 6,000 unmanaged Pis, 1,000 other devices), served by the real `pifind serve` on
# 127.0.0.1 and loaded 3 times in headless Chromium: the page's size, the server's time, first contentful
# paint, the first render of the table, the load event, the first frame after it, when the page is
# interactive (the end of the last long task, Lighthouse's idea), the total blocking time, the DOM's size;
# then a sort by a header click, a scroll to the middle and one refresh, each until the next frame.
# With --baseline REV it builds `pifind` at git revision REV (say, the dashboard before issue 12) in a
# temporary tree and measures it the same way in the same run, and prints the ratios.
# Usage: bench/dashboard.sh [BUILD_DIR] [--baseline REV] [--runs N] [-- dashboard_bench generate options]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
baseline=
runs=3
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then build=$1; shift; fi
while [ $# -gt 0 ]; do
  case $1 in
    --baseline) baseline=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "dashboard.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
cmake --build "$build" --target dashboard_bench pifind >/dev/null
build=$(realpath "$build")

work=$(mktemp -d /tmp/pifind-dashboard-bench.XXXXXX)
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$build/bench/dashboard_bench" generate -o "$work/fleet.json" "$@"
openssl rand -hex 32 >"$work/fleet.key"
chmod 600 "$work/fleet.key"

# measure LABEL PIFIND: serves a copy of the fleet with that binary on an ephemeral port and loads its page.
measure() {
  local label=$1 binary=$2
  cp "$work/fleet.json" "$work/$label.json"
  "$binary" serve --inventory "$work/$label.json" --listen 127.0.0.1:0 --key-file "$work/fleet.key" \
    2>"$work/$label.log" &
  server=$!
  local port=
  for _ in $(seq 300); do
    port=$(sed -n 's|^pifind serve: http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$work/$label.log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/$label.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "dashboard.sh: $label's pifind serve did not start" >&2; exit 1; }
  "$build/bench/dashboard_bench" measure --url "http://127.0.0.1:$port/" --runs "$runs" --label "$label" |
    tee -a "$work/results"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
}

measure new "$build/scanner/pifind"

if [ -n "$baseline" ]; then
  echo "building pifind at $baseline for the comparison..."
  mkdir "$work/baseline"
  git archive "$baseline" | tar -x -C "$work/baseline"
  cmake -S "$work/baseline" --preset default -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
  cmake --build "$work/baseline/build" --target pifind -j2 >/dev/null
  measure baseline "$work/baseline/build/scanner/pifind"
  echo
  echo "baseline / new (medians; above 1: the new dashboard is faster or smaller):"
  awk '$1 == "RESULT" { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$2, kv[1]] = kv[2]; keys[kv[1]] = 1 } }
       END { for (k in keys) if (v["baseline", k] != "" && v["new", k] > 0)
               printf "  %-16s %10.1f / %8.1f = %6.2fx\n", k, v["baseline", k], v["new", k], v["baseline", k] / v["new", k] }' \
    "$work/results" | sort
fi
