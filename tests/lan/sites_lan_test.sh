#!/usr/bin/env bash
# A fleet on two sites: two Ethernet segments (berlin 198.18.1.0/24, paris 198.18.2.0/24) with a router between
# them, one collector (`pifind serve`, on berlin), a scanner on each segment posting its signed sightings with its
# site (paris's through the router, the second time stopped by SIGTERM part-way), real `pifind-agent --simulate`
# on a Pi of each segment reporting through the router, avahi-daemon answering mDNS as "raspberrypi" on a Pi of
# each segment (as every fresh Pi does) and as "pi-in-hall" on the agent's Pi in paris, and the router scanning both segments in
# one run (-I eth0 -I eth1). Then one inventory must hold every Pi with its site and name, distinct aliases for
# the two raspberrypis, the agents' facts untouched by the sightings, and the site in ssh-config, the Ansible
# export, the audit and /metrics. Then berlin's scanner, re-imaged (a new device key), is refused until its old
# key is forgotten. Needs root; exits 77 without.
#   sites_lan_test.sh PIFIND PIFIND_AGENT
set -euo pipefail
pifind=$(readlink -f "$1")
agent=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../agent/fixtures
source "$here/../../scripts/lib/netns_lan.sh"
lan_require_root || exit $?
for tool in jq curl avahi-daemon timeout; do
  command -v "$tool" >/dev/null || { echo "$tool missing: run scripts/setup" >&2; exit 1; }
done

work=$(mktemp -d)
lan_create "pfs$$"
trap 'lan_destroy; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
in_ns() { local host=$1; shift; ip netns exec "$(lan_ns "$host")" "$@"; }

# --- the network ------------------------------------------------------------------------------------
lan_add_segment paris
lan_add_router router 02:00:00:00:fe 198.18.1.254/24 198.18.2.254/24@paris
lan_add_host collector 02:00:00:00:01:02 198.18.1.2/24
lan_add_host scanner-berlin 02:00:00:00:01:01 198.18.1.1/24
lan_add_host scanner-paris 02:00:00:00:02:01 198.18.2.1/24 paris
# Berlin: a fresh Pi (mDNS "raspberrypi"), a Pi with an agent, a PC. Paris: the same, its agent's Pi also
# answering mDNS, as "pi-in-hall" (the agent's own hostname, "hall", must win). Two "raspberrypi" on one
# segment would not stay so: avahi-daemon renames the second "raspberrypi-2".
lan_add_host pi-berlin-fresh b8:27:eb:01:00:0a 198.18.1.10/24
lan_add_host pi-berlin-agent dc:a6:32:01:00:0b 198.18.1.11/24
lan_add_host pc-berlin 00:1b:21:01:00:0c 198.18.1.12/24
lan_add_host pi-paris-fresh e4:5f:01:02:00:0a 198.18.2.10/24 paris
lan_add_host pi-paris-agent 2c:cf:67:02:00:0b 198.18.2.11/24 paris
lan_add_host pc-paris 00:50:56:02:00:0c 198.18.2.12/24 paris
for host in collector pi-berlin-agent; do lan_set_default_route "$host" 198.18.1.254; done
for host in scanner-paris pi-paris-agent; do lan_set_default_route "$host" 198.18.2.254; done

printf 'fleet-key-for-the-sites-test-0123456789abcdef\n' >"$work/fleet.key"
chmod 600 "$work/fleet.key"
collector=http://198.18.1.2:9477

# --- the collector ----------------------------------------------------------------------------------
in_ns collector "$pifind" serve --inventory "$work/fleet.json" --listen 198.18.1.2:9477 --key-file "$work/fleet.key" \
  2>"$work/serve.log" &
for _ in $(seq 50); do grep -q 'http://198.18.1.2:9477' "$work/serve.log" && break; sleep 0.1; done
grep -q 'http://198.18.1.2:9477' "$work/serve.log" || fail "pifind serve did not start: $(cat "$work/serve.log")"
# What the collector holds: the file alone is up to --compact-after behind its journal (pifind-inventory(5)).
curl_collector() { in_ns collector curl -sf --max-time 5 "$collector$1"; }
# ARP does not cross the router: paris reaches berlin's collector by IP only.
in_ns scanner-paris curl -sf --max-time 5 "$collector/healthz" >/dev/null || fail "paris cannot reach the collector"

# --- names: avahi-daemon as a fresh Pi runs it --------------------------------------------------------
lan_start_avahi pi-berlin-fresh raspberrypi "$work"
lan_start_avahi pi-paris-fresh raspberrypi "$work"
lan_start_avahi pi-paris-agent pi-in-hall "$work"
lan_wait_avahi "$work" pi-berlin-fresh pi-paris-fresh pi-paris-agent

# --- agents: one report each, an hour of a simulated clock measured in no time -----------------------
# run_agent HOST HOSTNAME MAC CIDR CLOCK
run_agent() {
  local host=$1 hostname=$2 mac=$3 cidr=$4 clock=$5 root=$work/root-$1
  cp -r "$fixtures/pi5-rpirtc" "$root"
  rm -rf "$root/sys/class/net/wlan0"
  echo "$mac" >"$root/sys/class/net/eth0/address"
  mkdir -p "$root/etc/pifind-agent"
  echo "eth0 $cidr" >"$root/etc/pifind-agent/addresses"
  echo "$hostname" >"$root/proc/sys/kernel/hostname"
  in_ns "$host" timeout 60 "$agent" --once --measure 3600 --server "$collector" --key-file "$work/fleet.key" \
    --state-dir "$work/state-$host" --sysroot "$root" --simulate "$clock,speed=0" >/dev/null 2>"$work/agent-$host.log" \
    || fail "agent on $host: exit $?: $(cat "$work/agent-$host.log")"
}
run_agent pi-berlin-agent kitchen dc:a6:32:01:00:0b 198.18.1.11/24 drift=12.5,rtc=1.5
run_agent pi-paris-agent hall 2c:cf:67:02:00:0b 198.18.2.11/24 drift=-3.25,rtc=0.25
curl_collector /v1/inventory | jq -S '.devices["dc:a6:32:01:00:0b"], .devices["2c:cf:67:02:00:0b"]' >"$work/agents.before"

# --- a scanner on each segment ----------------------------------------------------------------------
# scan HOST SITE [OPTIONS...]: the scan into the collector, with its own state directory
scan() {
  local host=$1 site=$2
  shift 2
  in_ns "$host" timeout 60 "$pifind" -I eth0 --collector "$collector" --key-file "$work/fleet.key" --site "$site" \
    --state-dir "$work/scan-state-$host" "$@"
}
scan scanner-berlin berlin --all --format json >"$work/berlin.json" 2>"$work/berlin.err" \
  || fail "berlin's scan: exit $?: $(cat "$work/berlin.err")"
grep -q "^pifind: collector $collector: 5 sightings delivered (counter 1)$" "$work/berlin.err" \
  || fail "berlin's delivery: $(cat "$work/berlin.err")"
scan scanner-paris paris --all --format json >"$work/paris.json" 2>"$work/paris.err" \
  || fail "paris's scan: exit $?: $(cat "$work/paris.err")"
grep -q "^pifind: collector $collector: 4 sightings delivered (counter 1)$" "$work/paris.err" \
  || fail "paris's delivery: $(cat "$work/paris.err")"
# Each scan saw its own segment only: the router's leg, and no host of the other site.
jq -e '[.hosts[].ip] == ["198.18.2.10", "198.18.2.11", "198.18.2.12", "198.18.2.254"]' "$work/paris.json" >/dev/null \
  || fail "paris's scan found: $(jq -c '[.hosts[].ip]' "$work/paris.json")"

# SIGTERM part-way through a slow scan (20 ms a frame): what was found goes to the collector all the same.
ip netns exec "$(lan_ns scanner-paris)" "$pifind" -I eth0 --collector "$collector" --key-file "$work/fleet.key" \
  --site paris --state-dir "$work/scan-state-scanner-paris" -N --all --format jsonl -i 20 \
  >"$work/term.jsonl" 2>"$work/term.err" &
pid=$!
for _ in $(seq 100); do
  [ "$(grep -c '"type":"host"' "$work/term.jsonl" || true)" -ge 2 ] && break
  sleep 0.05
done
kill -TERM "$pid"
set +e
wait "$pid"
status=$?
set -e
[ "$status" -eq 143 ] || fail "the scan stopped by SIGTERM exited $status: $(cat "$work/term.err")"
found=$(grep -c '"type":"host"' "$work/term.jsonl")
grep -q "^pifind: collector $collector: $found sightings\? delivered (counter 2)$" "$work/term.err" \
  || fail "the interrupted scan's delivery ($found hosts printed): $(cat "$work/term.err")"
jq -e -s '.[-1].stats.interrupted_by == "SIGTERM" and .[-1].stats.sent < 253' "$work/term.jsonl" >/dev/null \
  || fail "the interrupted scan was not cut short: $(tail -1 "$work/term.jsonl")"

# --- one inventory: every Pi with its site and name, the agents' facts as they reported them --------------
curl_collector /v1/inventory >"$work/inventory.json" || fail "GET /v1/inventory"
device() { jq -c --arg mac "$1" '.devices[$mac]' "$work/inventory.json"; }
expect_device() {  # MAC SITE NAME SOURCE
  local d
  d=$(device "$1")
  jq -e --arg site "$2" --arg name "$3" --arg source "$4" '.raspberry_pi and .site == $site
      and ((.hostname // .seen_name.name) == $name)
      and (if $source == "agent" then .hostname == $name else .seen_name.source == $source end)' <<<"$d" >/dev/null \
    || fail "device $1: expected site $2, name $3 from $4: $d"
}
expect_device b8:27:eb:01:00:0a berlin raspberrypi.local mdns
expect_device e4:5f:01:02:00:0a paris raspberrypi.local mdns
expect_device dc:a6:32:01:00:0b berlin kitchen agent
expect_device 2c:cf:67:02:00:0b paris hall agent
jq -e '.devices["2c:cf:67:02:00:0b"].seen_name.name == "pi-in-hall.local"' "$work/inventory.json" >/dev/null \
  || fail "the paris agent's Pi keeps its mDNS name beside the agent's: $(device 2c:cf:67:02:00:0b)"
for mac in 00:1b:21:01:00:0c:berlin 00:50:56:02:00:0c:paris; do
  jq -e --arg mac "${mac%:*}" --arg site "${mac##*:}" '.devices[$mac].site == $site and (.devices[$mac].raspberry_pi | not)' \
    "$work/inventory.json" >/dev/null || fail "the PC ${mac%:*}: $(device "${mac%:*}")"
done
# Every address with the site that saw it; the scanners on their own devices, with their counters.
jq -e '[.devices[] | .ips[] | select(.seen_via | startswith("scan:")) | .site] | unique == ["berlin", "paris"]' \
  "$work/inventory.json" >/dev/null || fail "addresses without their site"
# Each scanner's device key (made in its state directory) pinned on its first scan.
berlin_key=$("$pifind" keys self --state-dir "$work/scan-state-scanner-berlin" | cut -d' ' -f1)
jq -e --arg key "$berlin_key" '.devices["02:00:00:00:01:01"].scanners == [{"id": "02:00:00:00:01:01", "site": "berlin",
       "last_counter": 1, "interfaces": ["eth0"], "last_scan": .devices["02:00:00:00:01:01"].scanners[0].last_scan,
       "key": $key, "pinned_by": "first-use", "key_pinned": .devices["02:00:00:00:01:01"].scanners[0].key_pinned}]' \
  "$work/inventory.json" >/dev/null || fail "berlin's scanner (key $berlin_key): $(device 02:00:00:00:01:01)"
jq -e '.devices["02:00:00:00:02:01"].scanners[0] | .site == "paris" and .last_counter == 2' \
  "$work/inventory.json" >/dev/null || fail "paris's scanner: $(device 02:00:00:00:02:01)"

# The sightings changed nothing the agents said about their own Pis: only when they were seen, and where.
for mac in dc:a6:32:01:00:0b 2c:cf:67:02:00:0b; do
  jq -S --arg mac "$mac" '.devices[$mac] | {hostname, model, serial, time, drift, agent, drift_history}' \
    "$work/inventory.json" >"$work/after"
  jq -S --arg mac "$mac" '.devices[$mac] | {hostname, model, serial, time, drift, agent, drift_history}' \
    <(jq -s '{devices: {"dc:a6:32:01:00:0b": .[0], "2c:cf:67:02:00:0b": .[1]}}' "$work/agents.before") \
    >"$work/before"
  diff -u "$work/before" "$work/after" || fail "a scan changed what the agent on $mac reported"
done
jq -e '.devices["dc:a6:32:01:00:0b"].drift.drift_ppm | (. > 10.9 and . < 11.1)' "$work/inventory.json" >/dev/null \
  || fail "kitchen's drift: $(jq -c '.devices["dc:a6:32:01:00:0b"].drift' "$work/inventory.json")"

# --- the outputs: aliases, site filters and groups, the audit's site, /metrics' site label --------------
"$pifind" export --inventory "$work/fleet.json" --format json >"$work/export.json"
jq -e '[.[] | .name] | sort == ["hall", "kitchen", "raspberrypi", "raspberrypi-02000a"]' "$work/export.json" >/dev/null \
  || fail "aliases: $(jq -c '[.[] | {name, mac, site}]' "$work/export.json")"
jq -e '[.[] | select(.name | startswith("raspberrypi")) | .site] | sort == ["berlin", "paris"]' "$work/export.json" \
  >/dev/null || fail "the raspberrypis' sites: $(jq -c '[.[] | {name, site}]' "$work/export.json")"
"$pifind" ssh-config --inventory "$work/fleet.json" --site paris >"$work/paris.ssh"
[ "$(grep '^Host ' "$work/paris.ssh" | sort | tr '\n' ' ')" = "Host hall Host raspberrypi-02000a " ] \
  || fail "ssh-config --site paris: $(grep '^Host ' "$work/paris.ssh")"
"$pifind" export --inventory "$work/fleet.json" --list >"$work/list.json"
jq -e '.site_berlin.hosts == ["kitchen", "raspberrypi"] and .site_paris.hosts == ["hall", "raspberrypi-02000a"]' \
  "$work/list.json" >/dev/null || fail "Ansible site groups: $(jq -c '{site_berlin, site_paris}' "$work/list.json")"
set +e
"$pifind" audit --inventory "$work/fleet.json" --site berlin >"$work/audit.txt"
set -e
grep -q '^kitchen  *198.18.1.11  *berlin  *+1[01]\.[0-9]* .* ok$' "$work/audit.txt" || fail "audit --site berlin: $(cat "$work/audit.txt")"
! grep -q '^hall ' "$work/audit.txt" || fail "audit --site berlin lists paris's hall"
curl_collector /metrics >"$work/metrics" || fail "GET /metrics"
grep -q '^pifind_host_drift_ppm{host="hall",mac="2c:cf:67:02:00:0b",site="paris"} ' "$work/metrics" \
  || fail "metrics: $(grep pifind_host_drift_ppm "$work/metrics")"
grep -q '^pifind_collector_scans_total{result="accepted"} 3$' "$work/metrics" || fail "scans counted: $(grep scans_total "$work/metrics")"

# --- berlin's scanner re-imaged: a new device key, refused until the operator forgets the old one ----------
reimaged() {
  in_ns scanner-berlin timeout 60 "$pifind" -I eth0 --collector "$collector" --key-file "$work/fleet.key" \
    --site berlin --state-dir "$work/scan-state-reimaged" -N --all --format json >/dev/null 2>"$work/reimaged.err"
}
set +e
reimaged
status=$?
set -e
[ "$status" -ne 0 ] || fail "the re-imaged scanner exited 0: $(cat "$work/reimaged.err")"
grep -q "^pifind: refused: the collector $collector does not accept this scanner's scans (device key SHA256:.*): \
scanner 02:00:00:00:01:01 has key SHA256:.* pinned, .*\`pifind keys forget --scanner 02:00:00:00:01:01\`" \
  "$work/reimaged.err" || fail "the re-imaged scanner's refusal: $(cat "$work/reimaged.err")"
grep -q 'refused scans from scanner 02:00:00:00:01:01 (key_changed): ' "$work/serve.log" \
  || fail "no log line for the re-imaged scanner: $(cat "$work/serve.log")"
# /metrics is rendered at most once a second, on a low-priority thread: on a loaded machine (CI runs two
# suites side by side) the next rendering can take longer, so wait up to 10 s for it.
for _ in $(seq 1 40); do
  curl_collector /metrics | grep -q '^pifind_reports_refused_total{sender="scanner",reason="key_changed"} 1$' && break
  sleep 0.25
done
curl_collector /metrics | grep -q '^pifind_reports_refused_total{sender="scanner",reason="key_changed"} 1$' \
  || fail "the refused scan on /metrics: $(curl_collector /metrics | grep refused_total)"
"$pifind" keys forget --scanner 02:00:00:00:01:01 --inventory "$work/fleet.json" >/dev/null
for _ in $(seq 1 20); do  # the collector re-reads the file within a second, later on a loaded machine
  sleep 0.5
  if reimaged; then break; fi
done
grep -q "^pifind: collector $collector: 5 sightings delivered (counter [0-9]*)$" "$work/reimaged.err" \
  || fail "the re-imaged scanner after keys forget: $(cat "$work/reimaged.err")"

# --- the router scans both segments in one run, in parallel ---------------------------------------
in_ns router timeout 60 "$pifind" -I eth0 -I eth1 -N --all --format json --inventory "$work/router.json" \
  --site hq >"$work/both.json" 2>"$work/both.err" || fail "-I eth0 -I eth1: exit $?: $(cat "$work/both.err")"
jq -e '.interface == "eth0,eth1"
       and ([.hosts[] | select(.interface == "eth0") | .ip] | all(startswith("198.18.1.")) and length == 5)
       and ([.hosts[] | select(.interface == "eth1") | .ip] | all(startswith("198.18.2.")) and length == 4)' \
  "$work/both.json" >/dev/null || fail "-I eth0 -I eth1 found: $(jq -c '[.hosts[] | {ip, interface}]' "$work/both.json")"
jq -e '[.devices[] | .ips[].seen_via] | unique == ["scan:eth0", "scan:eth1"]' "$work/router.json" >/dev/null \
  || fail "the two interfaces' sightings in --inventory: $(jq -c '[.devices[] | .ips[].seen_via]' "$work/router.json")"
echo "PASS: two sites, one inventory: $(jq '.devices | length' "$work/inventory.json") devices, 4 Pis with their sites and names"
