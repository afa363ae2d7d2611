#!/usr/bin/env bash
# pifind on a hostile namespace LAN (tests/lan/hosts.txt plus arp_responder hosts): reply floods (one
# address or many), a capture buffer overflow, gratuitous ARP claims, broken and 802.1Q/QinQ-tagged
# frames. Asserts the exact host set and the counters pifind reports. Needs root; exits 77 without.
#   hostile_lan_test.sh PIFIND_BINARY ARP_RESPONDER_BINARY flood|flood-ips|overflow|gratuitous|malformed|tagged
set -euo pipefail
pifind=$(readlink -f "$1")
responder=$(readlink -f "$2")
mode=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/netns_lan.sh"
lan_test_start "pfh$$"
scanner_mac=02:00:00:00:00:01
scanner_ip=198.18.0.1
lan_add_hosts "$here/hosts.txt"
in_scanner() { ip netns exec "$scanner_ns" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

grep -v '^#' "$here/hosts.txt" | awk 'NF {sub("/.*","",$3); print $3 "," $2}' | sort >"$work/expected_all"

# start_responder NAME IP MAC OPTIONS...: a user-space host in its own namespace, whose own address
# (198.18.9.x) is not a target, so only the responder speaks for IP. Waits until it listens.
responders=()
start_responder() {
  local name=$1 ip=$2 mac=$3
  shift 3
  lan_add_host "$name" "02:aa:00:00:00:$(printf %02x ${#LAN_HOSTS[@]})" 198.18.9.${#LAN_HOSTS[@]}/24
  ip netns exec "$(lan_ns "$name")" "$responder" eth0 "$ip" "$mac" --seconds 30 "$@" >"$work/$name.log" &
  eval "pid_$name=$!"
  responders+=("$name")
  for _ in $(seq 50); do grep -q ready "$work/$name.log" 2>/dev/null && return 0; sleep 0.1; done
  fail "responder $name did not start"
}
# stop_responders: SIGTERM each, wait for its count line ("sent KIND N ...").
stop_responders() {
  local name pid
  for name in "${responders[@]}"; do
    pid=$(eval echo "\$pid_$name")
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || true
  done
}
sent_count() {  # NAME KIND: frames of KIND the responder sent (0 if none)
  grep -o "sent.*" "$work/$1.log" | tr ' ' '\n' | awk -v kind="$2" 'prev == kind {print; found=1} {prev=$0} END {if (!found) print 0}'
}
# scan NAME [TARGET...]: pifind --all --format json, with its maximum resident set (kB) in NAME.rss_kb.
scan() {
  local name=$1
  shift
  in_scanner /usr/bin/time -f %M -o "$work/$name.rss_kb" "$pifind" -I eth0 --all --format json "$@" >"$work/$name.json" \
    2>"$work/$name.err" || fail "$name: exit status $?: $(cat "$work/$name.err")"
  jq -r '.hosts[] | "\(.ip),\(.mac)"' "$work/$name.json" | sort >"$work/$name.found"
}
stat_of() { jq -r ".stats.$2" "$work/$1.json"; }

case "$mode" in
flood)
  # Baseline on the quiet LAN.
  scan quiet
  diff -u "$work/expected_all" "$work/quiet.found" || fail "quiet LAN: host set differs"
  # For the whole scan: a duplicate storm of the Pi at .12 (its own IP and MAC, 3000 per second), and
  # 3000 replies per second for the Pi address .10 from 5000 invented MACs. Both stop at 30000 frames.
  # FLOOD_RATE_PER_S, FLOOD_FRAMES and FLOOD_MACS change the rate, count and MACs (for measuring, not CI).
  rate=${FLOOD_RATE_PER_S:-3000}
  start_responder storm 198.18.0.12 dc:a6:32:12:34:56 --silent --to $scanner_mac $scanner_ip --flood "${FLOOD_FRAMES:-30000}" --rate "$rate"
  start_responder macs 198.18.0.10 02:00:00:00:00:00 --silent --to $scanner_mac $scanner_ip --flood "${FLOOD_FRAMES:-30000}" --rate "$rate" \
    --flood-macs "${FLOOD_MACS:-5000}"
  sleep 0.5  # the floods are running before the scan starts
  scan flood
  stop_responders
  storm_sent=$(sent_count storm flood)
  macs_sent=$(sent_count macs flood)
  # Every true host, with its MAC, and nothing else outside .10; at .10 the Pi among exactly 8 MACs.
  grep -v '^198.18.0.10,' "$work/expected_all" >"$work/expected_rest"
  grep -v '^198.18.0.10,' "$work/flood.found" | diff -u "$work/expected_rest" - || fail "flood: host set outside .10 differs"
  grep -qx '198.18.0.10,b8:27:eb:00:00:01' "$work/flood.found" || fail "flood: the Pi at .10 was lost"
  at10=$(grep -c '^198.18.0.10,' "$work/flood.found")
  [ "$at10" -eq 8 ] || fail "flood: $at10 MACs kept for .10, expected the cap of 8"
  [ "$(grep '^198.18.0.10,' "$work/flood.found" | grep -vc ',b8:27:eb:00:00:01$')" -eq 7 ] || fail "flood: MACs at .10"
  [ "$(jq '.hosts | length' "$work/flood.json")" -eq 42 ] || fail "flood: $(jq '.hosts | length' "$work/flood.json") hosts held, expected 35 + 7"
  over_cap=$(stat_of flood replies_over_cap)
  jq -e --argjson n "$over_cap" '[.conflicts[] | select(.ip == "198.18.0.10")] | length == 1 and .[0].replies_over_cap == $n and (.[0].macs | length) == 8' \
    "$work/flood.json" >/dev/null || fail "flood: conflict at .10: $(jq -c .conflicts "$work/flood.json")"
  [ "$over_cap" -gt 100 ] || fail "flood: only $over_cap replies over the cap"
  grep -q "reply flood: $over_cap replies to 198.18.0.10 from further MACs were counted, not kept" "$work/flood.err" \
    || fail "flood: no warning: $(cat "$work/flood.err")"
  storm_replies=$(jq '.hosts[] | select(.ip == "198.18.0.12") | .replies' "$work/flood.json")
  repeated=$(stat_of flood repeated_replies)
  [ "$storm_replies" -gt 100 ] && [ "$repeated" -ge $((storm_replies - 1)) ] || fail "flood: storm replies $storm_replies, repeats $repeated"
  drops=$(stat_of flood capture_drops)
  echo "flood: storm sent $storm_sent, random-MAC flood sent $macs_sent; pifind received $(stat_of flood received)," \
       "repeated $repeated (.12 replies $storm_replies), over cap $over_cap, unsolicited $(stat_of flood unsolicited_replies)," \
       "kernel drops $drops, hosts held 42, found 35/35 true hosts;" \
       "max RSS $(cat "$work/quiet.rss_kb") kB quiet, $(cat "$work/flood.rss_kb") kB flooded;" \
       "scan $(stat_of quiet duration_s) s quiet, $(stat_of flood duration_s) s flooded"
  ;;
flood-ips)
  # The total cap: 20,000 replies a second for every address of 198.18.1.0/24 (nobody lives there)
  # from 100,000 invented MACs, while pifind scans 198.18.0.0/23. Each of those 254 addresses keeps
  # its first MAC; second and later MACs share the pool of 1,024 extras (one already taken by the real
  # conflict at 198.18.0.100), so exactly 35 + 254 + 1,023 pairs are held, whatever the flood sends.
  scan quiet 198.18.0.0/23
  diff -u "$work/expected_all" "$work/quiet.found" || fail "quiet /23: host set differs"
  start_responder spread 198.18.1.1 02:00:00:00:00:00 --silent --to $scanner_mac $scanner_ip --flood 60000 --rate 20000 \
    --flood-macs 100000 --flood-ips 254
  scan spread 198.18.0.0/23
  stop_responders
  grep -v '^198.18.1.' "$work/spread.found" | diff -u "$work/expected_all" - || fail "flood-ips: host set in 198.18.0.0/24 differs"
  held=$(jq '.hosts | length' "$work/spread.json")
  [ "$held" -eq $((35 + 254 + 1023)) ] || fail "flood-ips: $held pairs held, expected 35 + 254 + 1023"
  [ "$(grep -c '^198.18.1.' "$work/spread.found" | tr -d ' ')" -eq $((254 + 1023)) ] || fail "flood-ips: pairs in 198.18.1.0/24"
  jq -e '[.hosts[] | select(.ip | startswith("198.18.1.")) | .ip] | unique | length == 254' "$work/spread.json" >/dev/null \
    || fail "flood-ips: not every flooded address kept its first MAC"
  over_cap=$(stat_of spread replies_over_cap)
  jq -e --argjson n "$over_cap" '$n > 1000 and ([.conflicts[].replies_over_cap] | add) == $n' "$work/spread.json" >/dev/null \
    || fail "flood-ips: over cap $over_cap does not add up over the conflicts"
  echo "flood-ips: sent $(sent_count spread flood) over 254 addresses; pifind received $(stat_of spread received)," \
       "held $held pairs (35 true + 254 first + 1023 extra), $over_cap over the cap, kernel drops $(stat_of spread capture_drops);" \
       "max RSS $(cat "$work/quiet.rss_kb") kB quiet, $(cat "$work/spread.rss_kb") kB flooded;" \
       "scan $(stat_of quiet duration_s) s quiet, $(stat_of spread duration_s) s flooded"
  ;;
overflow)
  # The capture buffer overflows: pifind is stopped (SIGSTOP) for 3 s in the middle of a /23 scan
  # while a storm sends 20,000 replies a second, far more than its 4 MB buffer holds. The kernel's
  # drops must be reported, and retries must still find every true host once pifind runs again.
  start_responder storm 198.18.0.12 dc:a6:32:12:34:56 --silent --to $scanner_mac $scanner_ip --flood 100000 --rate 20000
  in_scanner /usr/bin/time -f %M -o "$work/overflow.rss_kb" "$pifind" -I eth0 --all --format json 198.18.0.0/23 \
    >"$work/overflow.json" 2>"$work/overflow.err" &
  scan_pid=$!
  # Stop it once its capture socket is open (the only packet socket in the scanner's namespace).
  pifind_pid=
  for _ in $(seq 500); do
    for pid in $(ip netns pids "$scanner_ns"); do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pifind ] && pifind_pid=$pid
    done
    [ -n "$pifind_pid" ] && [ "$(wc -l <"/proc/$pifind_pid/net/packet" 2>/dev/null || echo 0)" -gt 1 ] && break
    sleep 0.01
  done
  [ -n "$pifind_pid" ] || fail "overflow: pifind did not start"
  sleep 0.1
  kill -STOP "$pifind_pid"
  sleep 3
  kill -CONT "$pifind_pid"
  wait "$scan_pid" || fail "overflow: exit status $?: $(cat "$work/overflow.err")"
  stop_responders
  jq -r '.hosts[] | "\(.ip),\(.mac)"' "$work/overflow.json" | sort >"$work/overflow.found"
  diff -u "$work/expected_all" "$work/overflow.found" || fail "overflow: host set differs"
  drops=$(stat_of overflow capture_drops)
  [ "$drops" -gt 0 ] || fail "overflow: no kernel drops reported (the test did not overflow the buffer)"
  grep -q "pifind: the kernel dropped $drops captured frames; results may be incomplete" "$work/overflow.err" \
    || fail "overflow: warning: $(cat "$work/overflow.err")"
  echo "overflow: storm sent $(sent_count storm flood); pifind stopped 3 s, kernel dropped $drops frames (reported)," \
       "read $(stat_of overflow received) replies, tries per address $(stat_of overflow tries_per_address);" \
       "hosts 35/35; max RSS $(cat "$work/overflow.rss_kb") kB; scan $(stat_of overflow duration_s) s"
  ;;
gratuitous)
  # During the scan, every 10 ms: a stranger claims the Pi address .10, another claims .90 where
  # nobody lives, the Pi .11 announces itself (its own MAC), and someone announces 198.18.1.5 (not a
  # target). Requests and replies alternate, as arping -U and -A send them.
  start_responder thief 198.18.0.10 02:66:00:00:00:10 --silent --gratuitous 400 --interval-ms 10
  start_responder squatter 198.18.0.90 02:66:00:00:00:90 --silent --gratuitous 400 --interval-ms 10
  start_responder self 198.18.0.11 b8:27:eb:ff:ff:ff --silent --gratuitous 400 --interval-ms 10
  start_responder outside 198.18.1.5 02:66:00:00:01:05 --silent --gratuitous 400 --interval-ms 10
  scan garp
  in_scanner "$pifind" -I eth0 >"$work/garp.table" 2>"$work/garp-table.err" || fail "table scan: exit $?"
  stop_responders
  diff -u "$work/expected_all" "$work/garp.found" || fail "gratuitous: host set differs (a claim replaced or added a host)"
  jq -e '[.claims[] | {ip, mac, answered_by}] == [{"ip": "198.18.0.10", "mac": "02:66:00:00:00:10", "answered_by": ["b8:27:eb:00:00:01"]},
                                                 {"ip": "198.18.0.90", "mac": "02:66:00:00:00:90", "answered_by": []}]
         and all(.claims[]; .frames >= 1) and ([.conflicts[].ip] == ["198.18.0.100"])' "$work/garp.json" >/dev/null \
    || fail "gratuitous: claims $(jq -c '.claims, .conflicts' "$work/garp.json")"
  claimed=$(jq '[.claims[].frames] | add' "$work/garp.json")
  seen=$(stat_of garp gratuitous_frames)
  [ "$seen" -gt "$claimed" ] || fail "gratuitous: $seen frames seen, not more than the $claimed of foreign claims"
  thief_frames=$(jq '.claims[0].frames' "$work/garp.json")
  grep -q "pifind: 198.18.0.10 claimed by 02:66:00:00:00:10 in gratuitous ARP ($thief_frames frames); it answered as b8:27:eb:00:00:01" \
    "$work/garp.err" || fail "gratuitous: warning: $(cat "$work/garp.err")"
  grep -q "pifind: 198.18.0.90 claimed by 02:66:00:00:00:90 in gratuitous ARP (.*); nothing answered there" "$work/garp.err" \
    || fail "gratuitous: warning for .90: $(cat "$work/garp.err")"
  grep -q '^198.18.0.10  *b8:27:eb:00:00:01 .* claimed by another MAC$' "$work/garp.table" || fail "table note: $(cat "$work/garp.table")"
  echo "gratuitous: sent $(sent_count thief gratuitous)+$(sent_count squatter gratuitous)+$(sent_count self gratuitous)+$(sent_count outside gratuitous);" \
       "pifind saw $seen during the scan, $claimed in the 2 foreign claims; hosts 35/35 unchanged"
  ;;
malformed)
  # Each request for .80 (nobody else there) and for the Pi address .10 is answered with 13 broken
  # replies; .81 answers properly with 100 bytes of garbage after the ARP header (padding).
  start_responder broken80 198.18.0.80 2c:cf:67:00:00:80 --malformed
  start_responder broken10 198.18.0.10 b8:27:eb:00:00:99 --malformed
  start_responder trailer 198.18.0.81 2c:cf:67:00:00:81 --trailer 100
  scan bad
  stop_responders
  { cat "$work/expected_all"; echo "198.18.0.81,2c:cf:67:00:00:81"; } | sort >"$work/expected_bad"
  diff -u "$work/expected_bad" "$work/bad.found" || fail "malformed: host set differs"
  total=0
  for reason in truncated not_ethernet_ipv4 unknown_operation bad_sender; do
    want=$(($(sent_count broken80 "$reason") + $(sent_count broken10 "$reason")))
    got=$(jq ".stats.malformed_by_reason.$reason" "$work/bad.json")
    [ "$want" -gt 0 ] && [ "$got" -eq "$want" ] || fail "malformed: $reason: sent $want, pifind counted $got"
    total=$((total + want))
  done
  [ "$(stat_of bad malformed_frames)" -eq "$total" ] || fail "malformed: total $(stat_of bad malformed_frames), sent $total"
  [ "$(stat_of bad capture_drops)" -eq 0 ] || fail "malformed: kernel drops"
  grep -q "pifind: ignored $total malformed ARP frames" "$work/bad.err" || fail "malformed: warning: $(cat "$work/bad.err")"
  echo "malformed: $total broken frames sent ($(jq -c .stats.malformed_by_reason "$work/bad.json")), all counted;" \
       "hosts 36/36 (the garbage-trailer host included), none from broken frames"
  ;;
tagged)
  # 802.1Q on VLAN 7: the Pi .72 answers tagged and storms its tagged answer 3000 times a second;
  # 3000 tagged replies a second for .73 from 5000 invented MACs (nobody real there); .74 answers
  # double-tagged (802.1ad 100 outside 802.1Q 7), which pifind does not decode.
  start_responder tagged72 198.18.0.72 88:a2:9e:00:00:72 --vlan 7 --to $scanner_mac $scanner_ip --flood 30000 --rate 3000
  start_responder tagged73 198.18.0.73 02:00:00:00:00:00 --silent --vlan 7 --to $scanner_mac $scanner_ip --flood 30000 \
    --rate 3000 --flood-macs 5000
  start_responder qinq74 198.18.0.74 88:a2:9e:00:00:74 --vlan 7 --outer-vlan 100
  sleep 0.5
  scan tagged
  stop_responders
  { cat "$work/expected_all"; echo "198.18.0.72,88:a2:9e:00:00:72"; } | sort >"$work/expected_tagged"
  grep -v '^198.18.0.73,' "$work/tagged.found" | diff -u "$work/expected_tagged" - || fail "tagged: host set outside .73 differs"
  jq -e '(.hosts[] | select(.ip == "198.18.0.72") | .vlan == 7 and .replies > 100)
         and ([.hosts[] | select(.ip == "198.18.0.73")] | length == 8 and all(.[]; .vlan == 7 and (.mac | startswith("02:"))))
         and ([.hosts[] | select(.vlan != null) | .ip] | unique == ["198.18.0.72", "198.18.0.73"])' "$work/tagged.json" >/dev/null \
    || fail "tagged: $(jq -c '[.hosts[] | select(.vlan != null)]' "$work/tagged.json")"
  over_cap=$(stat_of tagged replies_over_cap)
  jq -e --argjson n "$over_cap" '$n > 100 and [.conflicts[] | select(.ip == "198.18.0.73") | .replies_over_cap] == [$n]' \
    "$work/tagged.json" >/dev/null || fail "tagged: over cap $over_cap, conflicts $(jq -c .conflicts "$work/tagged.json")"
  qinq_sent=$(sent_count qinq74 answered)
  not_arp=$(jq .stats.malformed_by_reason.not_arp "$work/tagged.json")
  [ "$qinq_sent" -gt 0 ] && [ "$not_arp" -eq "$qinq_sent" ] || fail "tagged: $qinq_sent double-tagged replies sent, $not_arp counted"
  echo "tagged: .72 storm sent $(sent_count tagged72 flood) (pifind counted $(jq '.hosts[] | select(.ip == "198.18.0.72") | .replies' "$work/tagged.json") replies, VLAN 7)," \
       ".73 flood sent $(sent_count tagged73 flood) (8 MACs kept, $over_cap over the cap), $qinq_sent double-tagged replies all counted malformed;" \
       "hosts 36/36 + 7 invented at .73; kernel drops $(stat_of tagged capture_drops); max RSS $(cat "$work/tagged.rss_kb") kB"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
echo "PASS: $mode"
