#!/usr/bin/env bash
# Integration test of pifind on a namespace LAN (tests/lan/hosts.txt): exact sets with no loss,
# recall and adaptation under 30% ARP loss, tries on a sparse network with and without loss, and the
# one-line errors. Needs root; exits 77 without.
#   scan_lan_test.sh PIFIND_BINARY exact|loss|sparse|errors|formats|responders [ARP_RESPONDER_BINARY]
set -euo pipefail
pifind=$(readlink -f "$1")
mode=$2
responder=${3:+$(readlink -f "$3")}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/netns_lan.sh"
lan_test_start "pft$$"
# The responders mode builds its own small LAN of user-space hosts.
[ "$mode" = responders ] || lan_add_hosts "$here/hosts.txt"
in_scanner() { ip netns exec "$scanner_ns" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# The expected (ip,mac) pairs from the spec, all hosts and Pis only.
grep -v '^#' "$here/hosts.txt" | awk 'NF {sub("/.*","",$3); print $3 "," $2}' | sort >"$work/expected_all"
grep -v '^#' "$here/hosts.txt" | awk 'NF && $4=="pi" {sub("/.*","",$3); print $3 "," $2}' | sort >"$work/expected_pis"

pairs_of() { tail -n +2 "$1" | cut -d, -f1,2 | sort; }

case "$mode" in
exact)
  # Default output: Raspberry Pis only, exit 0.
  in_scanner "$pifind" -I eth0 --format csv >"$work/pis.csv" 2>"$work/pis.err" || fail "exit status $? with Pis present: $(cat "$work/pis.err")"
  pairs_of "$work/pis.csv" >"$work/found_pis"
  diff -u "$work/expected_pis" "$work/found_pis" || fail "Pi set differs (- expected, + found)"
  grep -q '^14 Raspberry Pis among 35 hosts, 253 addresses in' "$work/pis.err" || fail "summary: $(cat "$work/pis.err")"
  grep -q 'IP conflict: 198.18.0.100 is answered by 2 MACs: 00:1b:21:aa:bb:cc, dc:a6:32:aa:bb:cc' "$work/pis.err" \
    || fail "conflict not reported: $(cat "$work/pis.err")"
  # --all: every host, with the Pi column right for every near miss.
  in_scanner "$pifind" -I eth0 --all --format csv >"$work/all.csv" 2>/dev/null || fail "--all exit status $?"
  pairs_of "$work/all.csv" >"$work/found_all"
  diff -u "$work/expected_all" "$work/found_all" || fail "host set differs (- expected, + found)"
  tail -n +2 "$work/all.csv" | awk -F, '$4=="true" {print $1 "," $2}' | sort >"$work/flagged"
  diff -u "$work/expected_pis" "$work/flagged" || fail "raspberry_pi flags differ"
  # Explicit targets: a range and a single address; only those are probed.
  in_scanner "$pifind" -I eth0 --all --format csv 198.18.0.10-14 198.18.0.50 >"$work/some.csv" 2>/dev/null
  [ "$(pairs_of "$work/some.csv" | cut -d, -f1 | tr '\n' ' ')" = "198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14 198.18.0.50 " ] \
    || fail "explicit targets: $(cat "$work/some.csv")"
  # Targets from standard input.
  printf '198.18.0.10 # a Pi\n198.18.0.50-51\n' | in_scanner "$pifind" -I eth0 --all --format csv -f - >"$work/stdin.csv" 2>/dev/null
  [ "$(pairs_of "$work/stdin.csv" | cut -d, -f1 | tr '\n' ' ')" = "198.18.0.10 198.18.0.50 198.18.0.51 " ] \
    || fail "targets from stdin: $(cat "$work/stdin.csv")"
  # An interface without IPv4 still scans given targets, with ARP probes from 0.0.0.0.
  ip -n "$LAN_BRIDGE_NS" link add noip type veth peer name eth1 netns "$scanner_ns"
  ip -n "$LAN_BRIDGE_NS" link set noip master br0 up
  ip -n "$scanner_ns" link set eth1 address 02:00:00:00:00:02 up
  in_scanner "$pifind" -I eth1 --format csv 198.18.0.10-21 >"$work/probe.csv" 2>/dev/null || fail "probe scan exit $?"
  grep -v '198.18.0.100\|198.18.0.254' "$work/expected_pis" >"$work/expected_probe"
  pairs_of "$work/probe.csv" | diff -u "$work/expected_probe" - || fail "ARP probes from 0.0.0.0 found another set"
  # Nobody at these addresses: exit 1, nothing listed.
  set +e
  in_scanner "$pifind" -I eth0 -q --format csv 198.18.0.200-210 >"$work/none.csv"
  status=$?
  set -e
  [ "$status" -eq 1 ] || fail "empty range exit status $status, expected 1"
  [ "$(wc -l <"$work/none.csv")" -eq 1 ] || fail "empty range listed hosts"
  ;;
loss)
  lan_set_loss 30
  in_scanner "$pifind" -I eth0 --all --format json >"$work/loss.json" 2>/dev/null || fail "exit status $?"
  jq -r '.hosts[] | "\(.ip),\(.mac)"' "$work/loss.json" | sort >"$work/found"
  found=$(wc -l <"$work/found")
  unexpected=$(comm -13 "$work/expected_all" "$work/found")
  [ -z "$unexpected" ] || fail "hosts that do not exist were reported: $unexpected"
  tries=$(jq .stats.tries_per_address "$work/loss.json")
  sent=$(jq .stats.sent "$work/loss.json")
  dropped=$(lan_loss_counters | grep -o '[0-9]*')
  echo "30% loss: found $found of 35, tries per address $tries, $sent probes, $dropped frames dropped by the bridge"
  [ "$dropped" -gt 100 ] || fail "the loss rule dropped only $dropped frames"
  [ "$tries" -gt 3 ] || fail "tries did not adapt to the loss ($tries)"
  # With 49% per-try success and >= 6 tries, missing 7 of 35 hosts has probability below 1e-9.
  [ "$found" -ge 28 ] || fail "found only $found of 35 hosts under 30% loss"
  [ "$sent" -le $((253 * 10)) ] || fail "sent $sent probes, more than --retry allows"
  ;;
sparse)
  # A sparse /20: every host also holds three addresses spread over 198.18.16.0/20, 105 live among
  # 4,094. Without loss, a few hundred answered confirmations show that one try per silent address
  # keeps the chance of missing a live host under 0.3%, and one is all they get.
  n=0
  while read -r name mac _; do
    case "$name" in ''|'#'*) continue ;; esac
    for _ in 1 2 3; do
      offset=$((1 + 39 * n++))
      address=198.18.$((16 + offset / 256)).$((offset % 256))
      ip -n "$(lan_ns "$name")" addr add "$address/16" dev eth0
      echo "$address,$mac"
    done
  done <"$here/hosts.txt" | sort >"$work/expected_sparse"
  in_scanner "$pifind" -I eth0 --all --format json 198.18.16.0/20 >"$work/sparse.json" 2>/dev/null || fail "exit status $?"
  jq -r '.hosts[] | "\(.ip),\(.mac)"' "$work/sparse.json" | sort >"$work/found_sparse"
  diff -u "$work/expected_sparse" "$work/found_sparse" || fail "sparse /20: host set differs (- expected, + found)"
  tries=$(jq .stats.tries_per_address "$work/sparse.json")
  sent=$(jq .stats.sent "$work/sparse.json")
  echo "sparse /20, no loss: 105/105 found, tries per address $tries, $sent probes for 4094 addresses"
  [ "$tries" -eq 1 ] || fail "no loss on a sparse /20: $tries tries per silent address, expected 1"
  # Every silent address once, every live one at most --retry times.
  [ "$sent" -le $((4094 + 105 * 9)) ] || fail "sent $sent probes"
  # With 30% of ARP frames dropped the confirmations show it, and silent addresses get many tries.
  lan_set_loss 30
  in_scanner "$pifind" -I eth0 --all --format json -B 4M 198.18.16.0/22 >"$work/sparse-loss.json" 2>/dev/null || fail "exit status $?"
  jq -r '.hosts[] | "\(.ip),\(.mac)"' "$work/sparse-loss.json" | sort >"$work/found_sparse_loss"
  awk -F'[.,]' '$3 < 20' "$work/expected_sparse" >"$work/expected_sparse_loss"
  live=$(wc -l <"$work/expected_sparse_loss")
  found=$(comm -12 "$work/expected_sparse_loss" "$work/found_sparse_loss" | wc -l)
  unexpected=$(comm -13 "$work/expected_sparse_loss" "$work/found_sparse_loss")
  [ -z "$unexpected" ] || fail "hosts that do not exist were reported: $unexpected"
  tries=$(jq .stats.tries_per_address "$work/sparse-loss.json")
  echo "sparse /22, 30% loss: $found/$live found, tries per address $tries, $(jq .stats.sent "$work/sparse-loss.json") probes"
  [ "$tries" -ge 5 ] || fail "tries did not adapt to the loss ($tries)"
  # Even at 5 tries (0.51^5 = 3.5% missed), missing 7 of 27 has probability below 1e-6.
  [ "$found" -ge $((live - 6)) ] || fail "found only $found of $live hosts under 30% loss"
  ;;
errors)
  expect_error() {  # expect_error STATUS PATTERN COMMAND...
    local want=$1 pattern=$2
    shift 2
    set +e
    "$@" >"$work/out" 2>"$work/err"
    local status=$?
    set -e
    [ "$status" -eq "$want" ] || fail "$* exited $status, expected $want ($(cat "$work/err"))"
    [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$*: error is not one line: $(cat "$work/err")"
    grep -q -- "$pattern" "$work/err" || fail "$*: '$(cat "$work/err")' does not match '$pattern'"
  }
  expect_error 2 "unknown interface 'eth9' (interfaces here: lo, eth0)" in_scanner "$pifind" -I eth9
  expect_error 2 "malformed target '198.18.0.0/33'" in_scanner "$pifind" -I eth0 198.18.0.0/33
  expect_error 2 "malformed target '198.18.0.300'" in_scanner "$pifind" -I eth0 198.18.0.300
  expect_error 2 "more than a /16 needs --force" in_scanner "$pifind" -I eth0 10.0.0.0/15
  # An interface without IPv4 and no targets.
  ip -n "$scanner_ns" link add noip0 type veth peer name noip1
  ip -n "$scanner_ns" link set noip0 up
  expect_error 2 "interface noip0 has no IPv4 address" in_scanner "$pifind" -I noip0
  # Without CAP_NET_RAW: the advice names root and setcap.
  as_nobody() { in_scanner setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
  expect_error 2 "run as root or .setcap cap_net_raw+ep" as_nobody "$pifind" -I eth0
  # With the file capability alone, an unprivileged user scans (and the binary drops it once open).
  chmod 755 "$work"
  cp "$pifind" "$work/pifind-cap"
  setcap cap_net_raw+ep "$work/pifind-cap"
  as_nobody "$work/pifind-cap" -I eth0 --format csv >"$work/cap.csv" 2>"$work/cap.err" || fail "as nobody with cap_net_raw: $(cat "$work/cap.err")"
  pairs_of "$work/cap.csv" >"$work/cap_pis"
  diff -u "$work/expected_pis" "$work/cap_pis" || fail "Pi set as nobody differs"
  ;;
formats)
  in_scanner "$pifind" -I eth0 --format json >"$work/out.json" 2>/dev/null
  in_scanner "$pifind" -I eth0 --all >"$work/out.table" 2>/dev/null
  # JSON: Pis only, every field typed as documented, the conflict listed with both MACs.
  jq -e '(.hosts | length) == 14 and all(.hosts[]; .raspberry_pi == true and (.ip|type) == "string"
          and (.mac|test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$")) and (.vendor|type) == "string" and (.rtt_ms|type) == "number")
        and .conflicts == [{"ip": "198.18.0.100", "macs": ["00:1b:21:aa:bb:cc", "dc:a6:32:aa:bb:cc"], "replies_over_cap": 0, "interface": "eth0"}] and .claims == []
        and .stats.targets == 253 and .stats.received >= 35 and .stats.sent >= 253 and (.stats.duration_s|type) == "number"' \
    "$work/out.json" >/dev/null || fail "json: $(cat "$work/out.json")"
  head -1 "$work/out.table" | grep -q '^IP  *MAC  *NAME  *VENDOR  *RTT_MS  *PI  *NOTE$' || fail "table header: $(head -1 "$work/out.table")"
  grep -q '^198.18.0.100  *dc:a6:32:aa:bb:cc  *-  *Raspberry Pi Trading Ltd .* yes  IP conflict$' "$work/out.table" \
    || fail "table row for the conflicting Pi: $(grep 198.18.0.100 "$work/out.table")"
  grep -q '^198.18.0.43  *02:11:22:33:44:55  *-  *(locally administered)' "$work/out.table" || fail "locally administered vendor"
  # --inventory: every device merged by MAC; a second scan adds nothing new.
  in_scanner "$pifind" -I eth0 --inventory "$work/fleet.json" >/dev/null 2>"$work/inv1.err"
  in_scanner "$pifind" -I eth0 --inventory "$work/fleet.json" >/dev/null 2>"$work/inv2.err"
  grep -q "inventory $work/fleet.json: 35 new, 0 updated" "$work/inv1.err" || fail "first merge: $(cat "$work/inv1.err")"
  grep -q "inventory $work/fleet.json: 0 new, 35 updated" "$work/inv2.err" || fail "second merge: $(cat "$work/inv2.err")"
  jq -r '.devices | keys[]' "$work/fleet.json" | sort >"$work/inventory_macs"
  cut -d, -f2 "$work/expected_all" | sort >"$work/expected_macs"
  diff -u "$work/expected_macs" "$work/inventory_macs" || fail "inventory devices differ"
  [ "$(jq -r '.devices["dc:a6:32:aa:bb:cc"].raspberry_pi' "$work/fleet.json")" = true ] || fail "Pi flag not in the inventory"
  ;;
responders)
  # User-space hosts with no address of their own (so the kernel stays silent): a Wi-Fi Pi in power
  # save answering after 300 ms, a card answering every request 40 times, and an 802.1Q-tagged reply.
  [ -x "$responder" ] || fail "arp_responder binary not given"
  start_responder() {  # NAME IP MAC OPTIONS...
    local name=$1 ip=$2 mac=$3
    shift 3
    lan_add_host "$name" "02:aa:00:00:00:0${#LAN_HOSTS[@]}" 198.18.9.${#LAN_HOSTS[@]}/24
    ip netns exec "$(lan_ns "$name")" "$responder" eth0 "$ip" "$mac" --seconds 20 "$@" >"$work/$name.log" &
  }
  start_responder wifi 198.18.0.70 d8:3a:dd:00:00:70 --delay-ms 300
  start_responder storm 198.18.0.71 2c:cf:67:00:00:71 --copies 40
  start_responder tagged 198.18.0.72 88:a2:9e:00:00:72 --vlan 7
  for name in wifi storm tagged; do
    for _ in $(seq 50); do grep -q ready "$work/$name.log" 2>/dev/null && break; sleep 0.1; done
  done
  in_scanner "$pifind" -I eth0 --format json >"$work/out.json" 2>"$work/err" || fail "exit $?: $(cat "$work/err")"
  jq -e '[.hosts[] | "\(.ip) \(.mac)"] == ["198.18.0.70 d8:3a:dd:00:00:70", "198.18.0.71 2c:cf:67:00:00:71", "198.18.0.72 88:a2:9e:00:00:72"]' \
    "$work/out.json" >/dev/null || fail "hosts: $(jq -c .hosts "$work/out.json")"
  jq -e '(.hosts[] | select(.ip == "198.18.0.71") | .replies) >= 40 and .stats.repeated_replies >= 39' "$work/out.json" >/dev/null \
    || fail "the duplicate storm was not counted: $(jq -c '.hosts, .stats' "$work/out.json")"
  jq -e '(.hosts[] | select(.ip == "198.18.0.72") | .vlan) == 7' "$work/out.json" >/dev/null || fail "VLAN tag not reported"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
echo "PASS: $mode"
