#!/usr/bin/env bash
# bench/collector: 1,000 simulated agents posting signed reports concurrently over loopback (127.0.0.1 only)
# into a collector whose inventory holds 10,000 devices. Prints accepted reports/s, p50/p99 latency, fsyncs
# per report, and exits 1 if any acknowledged report is missing from the file afterwards.
# Usage: bench/collector.sh [BUILD_DIR] [-- extra collector_bench options such as --agents 2000 --reports 20]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
cmake --build "$build" --target collector_bench >/dev/null
# 1,000 client sockets and 1,000 server sockets live in one process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec "$build/bench/collector_bench" --agents 1000 --devices 10000 --reports 40 "$@"
