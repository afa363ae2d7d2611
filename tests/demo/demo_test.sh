#!/usr/bin/env bash
# scripts/demo end to end (root): the whole story passes, and a run interrupted while the agents report
# leaves no namespace, process or temp directory behind. Usage: demo_test.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
cd "$(dirname "$0")/../.."
source scripts/lib/netns_lan.sh
lan_require_root || exit $?
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

leftovers() {  # prints what a demo run left behind
  ip netns list | awk '{print $1}' | grep '^pfdemo' || true
  pgrep -a -f '/tmp/pifind-demo\.' || true  # the agents and the collector name files in the demo's temp dir
  pgrep -a -f 'socat TCP-LISTEN:9477' || true
  ls -d /tmp/pifind-demo.* 2>/dev/null || true
}
[ -z "$(leftovers)" ] || { echo "a demo is already running or left things behind:"; leftovers; exit 1; }

echo "== the whole story"
set +e
PIFIND_BUILD_DIR=$build PIFIND_DEMO_OUT=$out timeout 120 scripts/demo >"$out/log" 2>&1
status=$?
set -e
cat "$out/log"
[ "$status" -eq 0 ] || { echo "FAIL: demo exited $status"; exit 1; }
grep -q "^24 Raspberry Pis among 61 hosts" "$out/log" || { echo "FAIL: the scan did not find the 24 Pis"; exit 1; }
accepted=$(sed -n 's/^demo: the collector accepted \([0-9]*\) reports$/\1/p' "$out/log")
[ "${accepted:-0}" -ge 30 ] || { echo "FAIL: only ${accepted:-no} reports accepted"; exit 1; }
# The audit: the +62 ppm Pi fails on drift, the one without an RTC has no drift to show, the others pass.
verdict() { awk -v h="$1" '$1 == h {print $10}' "$out/log"; }
[ "$(verdict pi-rack-1)" = ok ] || { echo "FAIL: pi-rack-1 should pass: $(verdict pi-rack-1)"; exit 1; }
[ "$(verdict pi-rack-3)" != ok ] || { echo "FAIL: pi-rack-3 at +62 ppm passed the audit"; exit 1; }
for host in pi-rack-2 pi-lab-4; do
  [ "$(verdict "$host")" = ok ] || { echo "FAIL: $host should pass: $(verdict "$host")"; exit 1; }
done
# No RTC: nothing to measure the oscillator against. A drift that changed midway: flagged, not averaged.
[ "$(verdict pi-lab-5)" = no-estimate ] || { echo "FAIL: pi-lab-5 (no RTC): $(verdict pi-lab-5)"; exit 1; }
[ "$(verdict pi-lab-6)" = not-constant ] || { echo "FAIL: pi-lab-6 (drift changed): $(verdict pi-lab-6)"; exit 1; }
drift() { awk -v h="$1" '$1 == h {print $3}' "$out/log"; }
awk -v d="$(drift pi-rack-3)" 'BEGIN {exit !(d > 60 && d < 61)}' ||
  { echo "FAIL: pi-rack-3 measured $(drift pi-rack-3) ppm, simulated 62 - 1.5"; exit 1; }
[ -s "$out/drift.svg" ] && grep -q "<svg" "$out/drift.svg" || { echo "FAIL: no drift plot"; exit 1; }
grep -q "^Host pi-rack-1$" "$out/ssh_config" || { echo "FAIL: pi-rack-1 missing from the ssh config"; exit 1; }
ssh -G -F "$out/ssh_config" pi-rack-1 </dev/null 2>/dev/null | grep -q "^hostname 198\.18\.0\." || { echo "FAIL: ssh -G"; exit 1; }
[ -z "$(leftovers)" ] || { echo "FAIL: the demo left behind:"; leftovers; exit 1; }

echo "== interrupted while the agents report"
rm -rf "${out:?}"/*
PIFIND_BUILD_DIR=$build PIFIND_DEMO_OUT=$out setsid scripts/demo >"$out/log" 2>&1 &
demo=$!
for _ in $(seq 600); do
  grep -q "the agents measure" "$out/log" 2>/dev/null && break
  sleep 0.1
done
grep -q "the agents measure" "$out/log" || { cat "$out/log"; echo "FAIL: the demo never started its agents"; exit 1; }
[ -n "$(leftovers)" ] || { echo "FAIL: nothing running mid-demo, so the check below proves nothing"; exit 1; }
# Ctrl-C signals the whole process group. SIGINT cannot stand in for it here: a script's background
# jobs start with SIGINT ignored, and bash cannot undo that. SIGTERM takes the same trap in the demo.
kill -TERM -- "-$demo"
set +e
wait "$demo"
status=$?
set -e
echo "demo exited $status after SIGTERM"
[ "$status" -eq 130 ] || { echo "FAIL: an interrupted demo exited $status, not 130"; exit 1; }
sleep 0.5
[ -z "$(leftovers)" ] || { echo "FAIL: the interrupted demo left behind:"; leftovers; exit 1; }
echo "== --keep-running: the dashboard on loopback while the agents go on reporting"
rm -rf "${out:?}"/*
port=$((20000 + $$ % 20000))
PIFIND_BUILD_DIR=$build PIFIND_DEMO_OUT=$out PIFIND_DEMO_PORT=$port setsid scripts/demo --keep-running >"$out/log" 2>&1 &
demo=$!
for _ in $(seq 900); do
  grep -q "demo: dashboard: http://127.0.0.1:$port/" "$out/log" 2>/dev/null && break
  kill -0 "$demo" 2>/dev/null || break
  sleep 0.1
done
accepted_at() { curl -sf "http://127.0.0.1:$port/metrics" | awk '/^pifind_collector_reports_total\{result="accepted"/ {print $2}'; }
first=$(accepted_at || true)
page=$(curl -sf "http://127.0.0.1:$port/" || true)
sleep 2
second=$(accepted_at || true)
kill -TERM -- "-$demo" 2>/dev/null || true  # gone already if the demo ended early: its log says why, below
wait "$demo" || true
sleep 0.5
[ -n "$first" ] || { cat "$out/log"; echo "FAIL: no dashboard on 127.0.0.1:$port"; exit 1; }
grep -q "pi-rack-3" <<<"$page" || { echo "FAIL: the dashboard page does not list pi-rack-3"; exit 1; }
[ "$second" -gt "$first" ] || { echo "FAIL: no reports arrived while running ($first, then $second)"; exit 1; }
echo "accepted reports: $first, 2 s later $second"
[ -z "$(leftovers)" ] || { echo "FAIL: the kept-running demo left behind:"; leftovers; exit 1; }
echo ok
