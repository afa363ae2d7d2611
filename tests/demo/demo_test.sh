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
# A scan of each segment: 12 Pis in each, named by mDNS where they answer it, delivered to the collector.
grep -q "^12 Raspberry Pis among 32 hosts" "$out/log" || { echo "FAIL: the rack's scan did not find its 12 Pis"; exit 1; }
grep -q "^12 Raspberry Pis among 31 hosts" "$out/log" || { echo "FAIL: the lab's scan did not find its 12 Pis"; exit 1; }
[ "$(grep -c '^pifind: collector http://198.18.1.3:9477: 3[12] sightings delivered (counter 1)$' "$out/log")" -eq 2 ] ||
  { echo "FAIL: the two scans did not both reach the collector"; exit 1; }
for name in kiosk-1.local printer-pi.local raspberrypi.local; do
  grep -q " $name " "$out/log" || { echo "FAIL: no Pi named $name by mDNS in the scans"; exit 1; }
done
accepted=$(sed -n 's/^demo: the collector accepted \([0-9]*\) reports$/\1/p' "$out/log")
[ "${accepted:-0}" -ge 30 ] || { echo "FAIL: only ${accepted:-no} reports accepted"; exit 1; }
# The audit fails only the +62 ppm Pi; the 18 Pis without an agent are counted apart, by the names mDNS gave.
column() {  # column HOST NAME: HOST's cell under the audit table's header NAME
  awk -v h="$1" -v name="$2" '$1 == "HOST" && $2 == "ADDRESS" { for (i = 1; i <= NF; i++) if ($i == name) c = i }
                              c && $1 == h { print $c; exit }' "$out/log"
}
verdict() { column "$1" VERDICT; }
[ "$(verdict pi-rack-3)" = drift ] || { echo "FAIL: pi-rack-3 at +62 ppm: $(verdict pi-rack-3)"; exit 1; }
for host in pi-rack-1 pi-rack-2 pi-lab-4 pi-lab-5 pi-lab-6; do
  [ "$(verdict "$host")" = ok ] || { echo "FAIL: $host should pass: $(verdict "$host")"; exit 1; }
done
[ "$(column pi-lab-4 SITE)" = lab ] && [ "$(column pi-rack-1 SITE)" = rack ] || { echo "FAIL: the sites"; exit 1; }
grep -q "^6 managed hosts: 5 pass, 1 fail " "$out/log" || { echo "FAIL: the audit's count"; exit 1; }
grep -q "^18 unmanaged Pis (found by scans" "$out/log" || { echo "FAIL: the unmanaged Pis are not counted apart"; exit 1; }
unmanaged=$(sed -n '/^18 unmanaged Pis/,/^$/p' "$out/log")
for name in kiosk-1 printer-pi raspberrypi raspberrypi-000026; do
  grep -qw -- "$name" <<<"$unmanaged" || { echo "FAIL: $name is not among the unmanaged Pis: $unmanaged"; exit 1; }
done
grep -q "^demo: audit exited 1 " "$out/log" || { echo "FAIL: the audit's exit status"; exit 1; }
! grep -q "^identity:" "$out/log" || { echo "FAIL: the audit notes identity problems in a clean demo"; exit 1; }
awk -v d="$(column pi-rack-3 DRIFT_PPM)" 'BEGIN {exit !(d > 60 && d < 61)}' ||
  { echo "FAIL: pi-rack-3 measured $(column pi-rack-3 DRIFT_PPM) ppm, simulated 62 - 1.5"; exit 1; }
[ -s "$out/drift.svg" ] && grep -q "<svg" "$out/drift.svg" || { echo "FAIL: no drift plot"; exit 1; }
grep -q "^Host pi-rack-1$" "$out/ssh_config" || { echo "FAIL: pi-rack-1 missing from the ssh config"; exit 1; }
ssh -G -F "$out/ssh_config" pi-rack-1 </dev/null 2>/dev/null | grep -q "^hostname 198\.18\.1\.12$" || { echo "FAIL: ssh -G"; exit 1; }
ssh -G -F "$out/ssh_config" kiosk-1 </dev/null 2>/dev/null | grep -q "^hostname 198\.18\.1\.14$" || { echo "FAIL: ssh -G kiosk-1"; exit 1; }
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
# Below the ephemeral range (32768-60999), as collector_crash_test's servers: a port up there can be the local
# port of any test's client connection (a fresh Debian 12 root running the suite met one), and not in use now.
port=$((20000 + $$ % 10000))
while ss -Htan "sport = :$port" | grep -q .; do port=$((20000 + (port - 19999) % 10000)); done
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
