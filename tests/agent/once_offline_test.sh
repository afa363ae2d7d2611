#!/usr/bin/env bash
# End to end: `pifind-agent --once` against a collector that is down spools the signed report, exits 1,
# and a group-readable key file is refused with one line and exit 2. Usage: once_offline_test.sh AGENT FIXTURE
set -euo pipefail
agent=$1
fixture=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'fleet-key-for-the-offline-test-0123456789\n' > "$dir/fleet.key"
chmod 600 "$dir/fleet.key"
# Port 9 on loopback: nothing listens there in the test environment.
set +e
"$agent" --once --server http://127.0.0.1:9 --key-file "$dir/fleet.key" --state-dir "$dir/state" \
  --sysroot "$fixture" 2> "$dir/err"
status=$?
set -e
cat "$dir/err"
[ "$status" -eq 1 ] || { echo "expected exit 1, got $status"; exit 1; }
grep -q "unreachable" "$dir/err"
[ "$(cat "$dir/state/counter")" = 1 ]
ls "$dir/state/spool/00000000000000000001.report" > /dev/null
head -2 "$dir/state/spool/00000000000000000001.report" | tail -1 | grep -qx "b8:27:eb:12:34:56"

chmod 640 "$dir/fleet.key"
set +e
"$agent" --once --server http://127.0.0.1:9 --key-file "$dir/fleet.key" --state-dir "$dir/state" \
  --sysroot "$fixture" 2> "$dir/err"
status=$?
set -e
cat "$dir/err"
[ "$status" -eq 2 ] || { echo "expected exit 2, got $status"; exit 1; }
[ "$(wc -l < "$dir/err")" -eq 1 ]
grep -q "accessible by group or others" "$dir/err"
echo "ok"
