#!/usr/bin/env bash
# pifind's front end on namespace LANs: names from real responders (avahi-daemon, dnsmasq), scans that
# stream (jsonl, a table on a terminal) and end cleanly on SIGINT/SIGTERM, 802.1Q probes with -Q, -W and
# -S, and the one-line errors of bad input. Needs root; exits 77 without.
#   frontend_lan_test.sh PIFIND_BINARY names|stream|vlan|errors [PIFIND_AGENT_BINARY [ARP_RESPONDER_BINARY]]
set -euo pipefail
pifind=$(readlink -f "$1")
mode=$2
agent=${3:+$(readlink -f "$3")}
responder=${4:+$(readlink -f "$4")}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/netns_lan.sh"
lan_test_start "pff$$"
in_scanner() { ip netns exec "$scanner_ns" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

case "$mode" in
names)
  # .2 runs avahi and has a DNS name too (mDNS wins); .3 runs avahi behind a firewall that drops unicast
  # queries to port 5353 (only the multicast query reaches it); .4 has only a DNS name; .5 has neither;
  # .53 is the DNS server.
  lan_add_host avahi b8:27:eb:00:00:02 198.18.0.2/24
  lan_add_host mcast dc:a6:32:00:00:03 198.18.0.3/24
  lan_add_host dnsonly e4:5f:01:00:00:04 198.18.0.4/24
  lan_add_host nameless 00:50:56:00:00:05 198.18.0.5/24
  lan_add_host dns 02:00:00:00:00:53 198.18.0.53/24
  ip netns exec "$(lan_ns mcast)" nft -f - <<'NFT'
table inet unicast_mdns {
  chain input { type filter hook input priority 0; udp dport 5353 ip daddr != 224.0.0.251 drop; }
}
NFT
  lan_start_avahi avahi pi-rack-2 "$work"
  lan_start_avahi mcast pi-rack-3 "$work"
  lan_start_dnsmasq dns 198.18.0.53 "$work" 2.0.18.198.in-addr.arpa,pi2-from-dns.lab.example \
    4.0.18.198.in-addr.arpa,pi-four.lab.example || fail "no DNS server"
  lan_set_resolver scanner 198.18.0.53
  lan_wait_avahi "$work" avahi mcast || fail "no mDNS responder"

  in_scanner "$pifind" -I eth0 --all --format json >"$work/names.json" 2>"$work/names.err" || fail "exit $?: $(cat "$work/names.err")"
  jq -e '[.hosts[] | [.ip, .name, .name_source]] == [
           ["198.18.0.2", "pi-rack-2.local", "mdns"], ["198.18.0.3", "pi-rack-3.local", "mdns"],
           ["198.18.0.4", "pi-four.lab.example", "dns"], ["198.18.0.5", null, null], ["198.18.0.53", null, null]]' \
    "$work/names.json" >/dev/null || fail "names: $(jq -c '[.hosts[] | [.ip, .name, .name_source]]' "$work/names.json")"
  # Every host asked; the silent ports answered ICMP (.4, .5, .53); .3 needed the multicast query.
  jq -e '.stats.names | .asked == 5 and .mdns == 2 and .dns == 1 and .unnamed == 2 and .mdns_refused == 3
           and .mdns_multicast_queries == 1 and .malformed_replies == 0' "$work/names.json" >/dev/null \
    || fail "name stats: $(jq -c .stats.names "$work/names.json")"
  echo "names: $(jq -c '.stats.names | {mdns, dns, unnamed, mdns_refused, mdns_multicast_queries, wait_s}' "$work/names.json")"
  grep -q 'query\[PTR\] 4.0.18.198.in-addr.arpa from 198.18.0.1' "$work/dnsmasq.log" || fail "dnsmasq saw no query"

  # The table and CSV carry the name too.
  in_scanner "$pifind" -I eth0 >"$work/names.table" 2>/dev/null
  head -1 "$work/names.table" | grep -q '^IP  *MAC  *NAME  *VENDOR  *RTT_MS  *NOTE$' || fail "table header: $(head -1 "$work/names.table")"
  grep -q '^198.18.0.3  *dc:a6:32:00:00:03  *pi-rack-3.local  *Raspberry Pi' "$work/names.table" || fail "table: $(cat "$work/names.table")"
  in_scanner "$pifind" -I eth0 --format csv >"$work/names.csv" 2>/dev/null
  grep -qx '198.18.0.4,e4:5f:01:00:00:04,Raspberry Pi Trading Ltd,true,[0-9.]*,pi-four.lab.example,dns,eth0' "$work/names.csv" \
    || fail "csv: $(cat "$work/names.csv")"

  # -N: no lookups at all, and no NAME column.
  queries_before=$(grep -c 'query\[PTR\]' "$work/dnsmasq.log")
  in_scanner "$pifind" -I eth0 -N --all --format json >"$work/numeric.json" 2>/dev/null
  jq -e 'all(.hosts[]; .name == null) and .stats.names.asked == 0' "$work/numeric.json" >/dev/null || fail "-N looked names up"
  [ "$(grep -c 'query\[PTR\]' "$work/dnsmasq.log")" -eq "$queries_before" ] || fail "-N sent DNS queries"
  in_scanner "$pifind" -I eth0 -N >"$work/numeric.table" 2>/dev/null
  head -1 "$work/numeric.table" | grep -q '^IP  *MAC  *VENDOR  *RTT_MS  *NOTE$' || fail "-N table header: $(head -1 "$work/numeric.table")"
  ;;
stream)
  lan_add_hosts "$here/hosts.txt"
  # JSON lines: one object per host, then the stats; with -x, the hosts only.
  in_scanner "$pifind" -I eth0 -N --all --format jsonl >"$work/all.jsonl" 2>/dev/null || fail "jsonl exit $?"
  jq -e -s 'length == 36 and (.[:35] | all(.type == "host")) and .[35].type == "stats" and .[35].stats.hosts_found == 35' \
    "$work/all.jsonl" >/dev/null || fail "jsonl: $(head -3 "$work/all.jsonl")"
  in_scanner "$pifind" -I eth0 -N -x --format jsonl >"$work/plain.jsonl" 2>"$work/plain.err"
  jq -e -s 'length == 14 and all(.type == "host" and .raspberry_pi)' "$work/plain.jsonl" >/dev/null || fail "jsonl -x"
  # No summary or progress; the warnings stay (they are not decoration).
  [ "$(cat "$work/plain.err")" = "pifind: IP conflict: 198.18.0.100 is answered by 2 MACs: 00:1b:21:aa:bb:cc, dc:a6:32:aa:bb:cc" ] \
    || fail "-x printed on stderr: $(cat "$work/plain.err")"

  # -v: each round as it starts, then the rounds' requests and first answers (34 addresses: .100 has two
  # MACs), and the loss seen.
  in_scanner "$pifind" -I eth0 -N -v >/dev/null 2>"$work/verbose.err"
  grep -q '^pifind: round 1 at 0\.[0-9]* s: first probes to 253 addresses$' "$work/verbose.err" || fail "-v: $(cat "$work/verbose.err")"
  grep -q '^pifind: round 2 at [0-9.]* s: [0-9]* of 253 addresses answered so far; loss [0-9.]*% per probe, up to [0-9]* tries' \
    "$work/verbose.err" || fail "-v round 2: $(cat "$work/verbose.err")"
  grep -q '^pifind: round 1: 253 probes, 34 first answers$' "$work/verbose.err" || fail "-v rounds: $(cat "$work/verbose.err")"
  grep -q '^pifind: loss seen: [0-9.]*% per probe; [0-9]* tries per silent address$' "$work/verbose.err" || fail "-v loss"

  # interrupt SIGNAL STATUS: a slow scan (100 requests/s) interrupted once a few hosts have been printed.
  interrupt() {
    local signal=$1 want=$2 name=$3 pid status lines
    # ip netns exec execs pifind: $! is pifind's own PID.
    ip netns exec "$scanner_ns" "$pifind" -I eth0 -N --all --format jsonl -i 10 --inventory "$work/$name.inv.json" \
      >"$work/$name.jsonl" 2>"$work/$name.err" &
    pid=$!
    for _ in $(seq 100); do
      [ "$(wc -l <"$work/$name.jsonl")" -ge 3 ] && break
      sleep 0.05
    done
    kill "-$signal" "$pid"
    set +e
    wait "$pid"
    status=$?
    set -e
    [ "$status" -eq "$want" ] || fail "$signal: exit $status, expected $want ($(cat "$work/$name.err"))"
    jq -e -s --arg signal "$signal" '(.[-1].type == "stats") and (.[-1].stats.interrupted_by == "SIG" + $signal)
           and (.[:-1] | length >= 3 and all(.type == "host")) and .[-1].stats.sent < 253
           and .[-1].stats.hosts_found == (.[:-1] | length)' "$work/$name.jsonl" >/dev/null \
      || fail "$signal: output $(tail -2 "$work/$name.jsonl")"
    lines=$(($(wc -l <"$work/$name.jsonl") - 1))
    # Sightings are facts: what was found is merged, and the summary says the scan was cut short.
    jq -r '.[:-1][] | .mac' -s "$work/$name.jsonl" | sort >"$work/$name.streamed"
    jq -r '.devices | keys[]' "$work/$name.inv.json" | sort >"$work/$name.merged"
    diff -u "$work/$name.streamed" "$work/$name.merged" || fail "$signal: inventory differs from what was printed"
    grep -q "inventory $work/$name.inv.json: $lines new" "$work/$name.err" || fail "$signal: merge line: $(cat "$work/$name.err")"
    grep -q "among $lines hosts\?, 253 addresses in .* (interrupted by SIG$signal)$" "$work/$name.err" \
      || fail "$signal: summary: $(cat "$work/$name.err")"
    echo "$signal: exit $status after $lines hosts, $(jq -s '.[-1].stats.sent' "$work/$name.jsonl") of at least 253 probes"
  }
  interrupt INT 130 sigint
  interrupt TERM 143 sigterm

  # On a terminal the table grows as hosts answer, the progress line below it (script(1) gives a pty).
  script -qec "ip netns exec $scanner_ns $pifind -I eth0 -N --all" /dev/null >"$work/tty.out" </dev/null
  # What the terminal shows: each line as its last carriage return left it.
  sed 's/\x1b\[K//g; s/\r$//; s/.*\r//' "$work/tty.out" >"$work/tty.clean"
  head -1 "$work/tty.clean" | grep -q '^IP  *MAC  *VENDOR  *RTT_MS  *PI  *NOTE$' || fail "tty header: $(head -3 "$work/tty.clean")"
  [ "$(grep -c '^198\.18\.0\.[0-9]*  *[0-9a-f:]\{17\}  ' "$work/tty.clean")" -eq 35 ] || fail "tty rows: $(cat "$work/tty.clean")"
  grep -q 'probes sent' "$work/tty.out" || fail "no progress line on the terminal"
  # The later of the two MACs at .100 says so as it comes.
  grep '^198\.18\.0\.100 ' "$work/tty.clean" | tail -1 | grep -q 'IP conflict$' || fail "tty conflict: $(grep '^198.18.0.100 ' "$work/tty.clean")"
  tail -1 "$work/tty.clean" | grep -q '14 Raspberry Pis among 35 hosts' || fail "tty summary: $(tail -2 "$work/tty.clean")"
  ;;
vlan)
  # A host on VLAN 42 behind the scanner's trunk port: it answers only requests tagged 42, tagged. (A
  # user-space host: this kernel may lack 8021q, and the test must not depend on it.)
  [ -x "$responder" ] || fail "arp_responder binary not given"
  lan_add_host tagged 02:aa:00:00:00:42 198.18.1.2/24
  ip netns exec "$(lan_ns tagged)" "$responder" eth0 198.18.42.2 88:a2:9e:00:00:42 --vlan 42 --only-vlan 42 \
    --seconds 30 >"$work/tagged.log" &
  for _ in $(seq 50); do grep -q ready "$work/tagged.log" 2>/dev/null && break; sleep 0.1; done
  set +e
  in_scanner "$pifind" -I eth0 -N --all --format json 198.18.42.0/24 >"$work/untagged.json" 2>/dev/null
  status=$?
  set -e
  [ "$status" -eq 1 ] || fail "untagged probes found something (exit $status)"
  in_scanner "$pifind" -I eth0 -N --all --format json -Q 42 -S 02:00:00:00:00:99 -W "$work/replies.pcap" \
    198.18.42.0/24 >"$work/tagged.json" 2>"$work/tagged.err" || fail "-Q 42: exit $?: $(cat "$work/tagged.err")"
  jq -e '[.hosts[] | [.ip, .mac, .vlan]] == [["198.18.42.2", "88:a2:9e:00:00:42", 42]]' "$work/tagged.json" >/dev/null \
    || fail "-Q 42: $(jq -c .hosts "$work/tagged.json")"
  # -W: tcpdump reads the savefile, tagged replies and all.
  tcpdump -r "$work/replies.pcap" -nn -e 2>/dev/null >"$work/replies.txt"
  grep -q '88:a2:9e:00:00:42 > 02:00:00:00:00:01, .*vlan 42, .*Reply 198.18.42.2 is-at 88:a2:9e:00:00:42' "$work/replies.txt" \
    || fail "pcap savefile: $(cat "$work/replies.txt")"
  # -S: the switch learnt the requests' Ethernet source, not the interface's own for them.
  ip netns exec "$LAN_BRIDGE_NS" bridge fdb show br br0 >"$work/fdb"
  grep -q '^02:00:00:00:00:99 dev port0 ' "$work/fdb" || fail "-S: the bridge never saw 02:00:00:00:00:99: $(cat "$work/fdb")"
  echo "vlan: $(wc -l <"$work/replies.txt") frames in the savefile, $(jq .stats.sent "$work/tagged.json") tagged probes"
  ;;
errors)
  expect_error() {  # expect_error PATTERN COMMAND...: exit 2, one line on stderr matching PATTERN, no output
    local pattern=$1 status
    shift
    set +e
    "$@" >"$work/out" 2>"$work/err"
    status=$?
    set -e
    [ "$status" -eq 2 ] || fail "$*: exit $status, expected 2 ($(head -c 300 "$work/err"))"
    [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$*: error is not one line: $(head -c 300 "$work/err")"
    [ "$(wc -c <"$work/err")" -lt 300 ] || fail "$*: error of $(wc -c <"$work/err") bytes"
    [ ! -s "$work/out" ] || fail "$*: printed $(head -c 300 "$work/out")"
    grep -q -- "$pattern" "$work/err" || fail "$*: '$(cat "$work/err")' does not match '$pattern'"
  }
  expect_error "lo is a loopback interface: loopback has no ARP" in_scanner "$pifind" -I lo
  expect_error "'fd00::/64' is IPv6: .* IPv6 is not scanned" in_scanner "$pifind" -I eth0 fd00::/64
  expect_error "--inventory /nonexistent/fleet.json: cannot create files in /nonexistent" \
    in_scanner "$pifind" -I eth0 --inventory /nonexistent/fleet.json
  expect_error "interval '1e30' out of range" in_scanner "$pifind" -I eth0 -i 1e30
  expect_error "interval '1e15u' out of range" in_scanner "$pifind" -I eth0 -i 1e15u
  expect_error "bandwidth '1e-30' out of range" in_scanner "$pifind" -I eth0 -B 1e-30
  expect_error "/dev/zero:1: line longer than 4 KiB" in_scanner "$pifind" -I eth0 -f /dev/zero
  expect_error "stdin: more than 16 MiB" sh -c "yes 198.18.0.7 | ip netns exec $scanner_ns $pifind -I eth0 -f -"
  head -c 3000000 /dev/zero | tr '\0' 'Z' >"$work/huge-line.oui"
  expect_error "huge-line.oui:1: line longer than 1 KiB" in_scanner "$pifind" -I eth0 --oui-file "$work/huge-line.oui"
  expect_error "more than 1 MiB; --oui-file lists extra Raspberry Pi prefixes" \
    in_scanner "$pifind" -I eth0 -O /usr/share/arp-scan/ieee-oui.txt
  # -V: both programs, one text.
  if [ -n "$agent" ]; then
    [ "$("$pifind" -V)" = "$("$agent" -V)" ] || fail "-V differs: '$("$pifind" -V)' and '$("$agent" -V)'"
    "$pifind" -V | grep -qx '[0-9]*\.[0-9]*\.[0-9]*' || fail "-V: $("$pifind" -V)"
  fi
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
echo "PASS: $mode"
