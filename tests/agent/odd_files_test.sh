#!/usr/bin/env bash
# End to end on the odd-sysfs fixture (no RTC class, no clocksource files, garbage cpuinfo and os-release,
# a directory for /proc/uptime): `facts` exits 0 with each odd field defused, and `--once` signs and spools a
# valid report (exit 1: collector down) instead of refusing it (exit 2). Usage: odd_files_test.sh AGENT FIXTURE
set -euo pipefail
agent=$1
fixture=$2
. "$(dirname "$0")/../support/agent_once.sh"
agent_scratch

"$agent" facts --sysroot "$fixture" --state-dir "$dir/none" > "$dir/facts.json" 2> "$dir/err" || {
  cat "$dir/err"; echo "facts failed"; exit 1; }
expect() { grep -qF -- "$1" "$dir/facts.json" || { cat "$dir/facts.json"; echo "missing: $1"; exit 1; }; }
expect '"agent_id": "b8:27:eb:0d:d0:01"'
expect '"model": "Raspberry Pi 4 Model B Rev 1.4"'
expect '"serial": "1000??? abc"'
expect '"pretty_name": "Rasp?bian? GNU/Linux"'
expect '"devices": []'
expect '"reference": "none"'
if grep -q '"revision": {' "$dir/facts.json"; then echo "a garbage Revision was decoded"; exit 1; fi

once_offline "$agent" "$fixture"
expect_status 1 "spooled"
grep -q "unreachable" "$dir/err"
ls "$dir/state/spool/00000000000000000001.report" > /dev/null
echo "ok"
