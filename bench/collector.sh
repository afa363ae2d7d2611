#!/usr/bin/env bash
# bench/collector: 1,000 simulated agents posting signed reports concurrently over loopback (127.0.0.1 only)
# into a collector whose inventory holds 10,000 devices, while readers GET /v1/inventory, /metrics, / and
# /v1/audit (the dashboard's refresh).
# Prints accepted reports/s, p50/p99 latency of reports and of each page, fsyncs per report, and exits 1 if any
# acknowledged report is missing from the file and its journal afterwards.
# Usage: bench/collector.sh [BUILD_DIR] [-- collector_bench options, e.g. --devices 100000 --agents 2000]
#   --serve BUILD_DIR/scanner/pifind runs the collector as a real `pifind serve` process and prints its CPU
#   time and peak RSS; without it the collector runs inside the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  build=$1
  shift
fi
[ "${1:-}" = "--" ] && shift
cmake --build "$build" --target collector_bench >/dev/null
# 1,000 client sockets and 1,000 server sockets live in one process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# The defaults (1,000 agents x 40 reports, 10,000 devices) are collector_bench's own, so any of them can be
# given here once without CLI11 refusing it as given twice.
exec "$build/bench/collector_bench" "$@"
