#!/usr/bin/env bash
# End to end: `pifind-agent --once` against a collector that is down spools the signed report, exits 1,
# and a group-readable key file is refused with one line and exit 2. Usage: once_offline_test.sh AGENT FIXTURE
set -euo pipefail
agent=$1
fixture=$2
. "$(dirname "$0")/../support/agent_once.sh"
agent_scratch

once_offline "$agent" "$fixture"
expect_status 1 "spooled"
grep -q "unreachable" "$dir/err"
[ "$(cat "$dir/state/counter")" = 1 ]
ls "$dir/state/spool/00000000000000000001.report" > /dev/null
head -2 "$dir/state/spool/00000000000000000001.report" | tail -1 | grep -qx "b8:27:eb:12:34:56"

chmod 640 "$dir/fleet.key"
once_offline "$agent" "$fixture"
expect_status 2 "a readable key is refused"
[ "$(wc -l < "$dir/err")" -eq 1 ]
grep -q "accessible by group or others" "$dir/err"
echo "ok"
