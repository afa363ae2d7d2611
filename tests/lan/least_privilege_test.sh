#!/usr/bin/env bash
# Issue 14: a copy of pifind carrying cap_net_raw+ep (as the package's postinst sets it), run by a user who is
# not root. `pifind serve` must hold no capability at all (CapEff and CapPrm 0 in /proc/PID/status: before,
# CapEff was 0x2000, an HTTP server with a raw-socket capability it never uses), and so must `pifind keys`;
# the scan still finds the Pis of a namespace LAN with that capability, and holds none once its socket is open.
# Usage: least_privilege_test.sh PIFIND. Needs root to set it up; exits 77 without.
set -euo pipefail
pifind=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib/netns_lan.sh"
lan_require_root || exit $?
command -v setcap >/dev/null && command -v runuser >/dev/null || { echo "skipped: setcap (libcap2-bin), runuser"; exit 77; }

work=$(mktemp -d)
chmod 755 "$work"
lan_create "pflp$$"
# runuser does not pass a SIGTERM on to its child: the processes themselves are killed, by their pids.
cleanup() {
  for p in ${collector:-} ${scanner:-} ${serve_pid:-} ${scan_pid:-}; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  lan_destroy
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

cp "$pifind" "$work/pifind"
chmod 755 "$work/pifind"
setcap cap_net_raw+ep "$work/pifind" || { echo "skipped: the file system of $work takes no file capabilities"; exit 77; }
getcap "$work/pifind" | grep -q 'cap_net_raw[=+]ep' || fail "setcap did not stick: $(getcap "$work/pifind")"

# runuser, not setpriv: it leaves nothing permitted when it changes user, as a login shell would, so what the
# process holds comes from the file capability alone.
as_user() { runuser -u nobody -- "$@"; }
caps_of() { grep -E '^Cap(Prm|Eff):' "/proc/$1/status" | tr '\n' ' '; }
no_caps() { grep -q '^CapPrm:[[:space:]]*0*$' "/proc/$1/status" && grep -q '^CapEff:[[:space:]]*0*$' "/proc/$1/status"; }

# --- pifind serve as nobody, from the setcap'd copy ----------------------------------------------------
mkdir "$work/serve"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/serve/fleet.key"
chmod 600 "$work/serve/fleet.key"
chown -R nobody "$work/serve"
as_user "$work/pifind" serve --inventory "$work/serve/fleet.json" --listen 127.0.0.1:0 \
  --key-file "$work/serve/fleet.key" >/dev/null 2>"$work/serve.err" &
serve_pid=$!
for _ in $(seq 100); do grep -q "^pifind serve: http://" "$work/serve.err" && break; sleep 0.1; done
grep -q "^pifind serve: http://" "$work/serve.err" || fail "pifind serve did not start: $(cat "$work/serve.err")"
collector=$(pgrep -u nobody -f "^$work/pifind serve") || fail "no collector process"
no_caps "$collector" || fail "pifind serve holds capabilities: $(caps_of "$collector")"
echo "pifind serve as nobody: $(caps_of "$collector")"
kill "$collector"
wait "$serve_pid" 2>/dev/null || true
serve_pid= collector=

# --- the scan still works, with the capability and only until its socket is open ----------------------
lan_add_host scanner 02:00:00:00:00:01 198.18.0.1/24
lan_add_host pi1 dc:a6:32:00:00:10 198.18.0.10/24
lan_add_host pi2 2c:cf:67:00:00:11 198.18.0.11/24
scan_as_user() { ip netns exec "$(lan_ns scanner)" runuser -u nobody -- "$work/pifind" -I eth0 "$@"; }
scan_as_user --format csv >"$work/pis.csv" 2>"$work/pis.err" || fail "scan as nobody: exit $?: $(cat "$work/pis.err")"
tail -n +2 "$work/pis.csv" | cut -d, -f1,2 | sort >"$work/found"
printf '198.18.0.10,dc:a6:32:00:00:10\n198.18.0.11,2c:cf:67:00:00:11\n' | diff -u - "$work/found" ||
  fail "Pis found as nobody differ (- expected, + found)"
# A long scan (an address that never answers, 20 s to do so; killed sooner): look at it while it runs.
scan_as_user --timeout 20000 198.18.0.99 >/dev/null 2>&1 &
scan_pid=$!
for _ in $(seq 50); do
  scanner=$(pgrep -u nobody -f "^$work/pifind -I eth0 --timeout" || true)
  [ -n "$scanner" ] && no_caps "$scanner" && break
  sleep 0.1
done
[ -n "$scanner" ] || fail "the long scan did not run"
no_caps "$scanner" || fail "the scan still holds capabilities with its socket open: $(caps_of "$scanner")"
kill "$scanner" 2>/dev/null || true
wait "$scan_pid" 2>/dev/null || true
scan_pid= scanner=
echo "ok"
