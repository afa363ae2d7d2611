#!/usr/bin/env bash
# The Debian packages end to end on this machine: cpack builds both .debs from the build tree, dpkg
# installs them, files, capability, man pages, units and group are checked, the installed pifind finds
# the Pis of a namespace LAN as nobody through its file capability alone, `pifind serve` holds no
# capability under pifind-serve.service's privileges, and the installed scan sends what it found to it under
# pifind-scan@.service's (an unprivileged user, CAP_NET_RAW ambient, no new privileges). The units' enablement follows debhelper's rules: dpkg -r
# keeps an administrator's enablement (masking the unit) and a reinstall restores it; --purge leaves nothing.
# Needs root; exits 77 without, or when pifind is already installed here.
#   deb_test.sh CPACK BUILD_DIR VERSION
set -euo pipefail
cpack=$1
build=$(readlink -f "$2")
version=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/netns_lan.sh"
lan_require_root || exit $?
packages=(pifind pifind-agent)

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skipped: $*" >&2; exit 77; }

command -v dpkg >/dev/null || skip "not a dpkg system"
for tool in dpkg-shlibdeps getcap systemd-analyze systemd-sysusers mandoc man setpriv runuser curl flock jq; do
  command -v "$tool" >/dev/null || fail "$tool missing: run scripts/setup"
done
# One at a time on this machine, whichever build tree runs it (CTest's RESOURCE_LOCK covers one run).
exec 9>/run/lock/pifind-deb-test.lock
flock -w 240 9 || skip "another pifind .deb test held /run/lock/pifind-deb-test.lock for 4 minutes"
# Never clobber a real installation (a package, a `cmake --install` to /usr, or an agent's state).
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ -z "$status" ] || [ "$status" = not-installed ] || skip "package $p is $status here; not touching it"
done
services=(pifind-agent pifind-serve)
wants=/etc/systemd/system/multi-user.target.wants
# What deb-systemd-helper keeps: the links enabling makes (enabled/), and the units a removal masked (masked/).
dsh=/var/lib/systemd/deb-systemd-helper
for f in /usr/bin/pifind /usr/sbin/pifind-agent /etc/default/pifind-agent /etc/default/pifind-serve \
  /etc/default/pifind-scan /var/lib/pifind-scan /var/lib/private/pifind-scan \
  /etc/systemd/system/timers.target.wants/pifind-scan@eth0.timer \
  /var/lib/pifind-agent /var/lib/private/pifind-agent /var/lib/pifind-serve /var/lib/private/pifind-serve \
  "$wants/pifind-agent.service" "$wants/pifind-serve.service" \
  /etc/systemd/system/pifind-agent.service /etc/systemd/system/pifind-serve.service \
  "$dsh-enabled/pifind-agent.service.dsh-also" "$dsh-enabled/pifind-serve.service.dsh-also" \
  "$dsh-enabled/multi-user.target.wants/pifind-agent.service" "$dsh-enabled/multi-user.target.wants/pifind-serve.service" \
  "$dsh-masked/pifind-agent.service" "$dsh-masked/pifind-serve.service"; do
  [ ! -e "$f" ] && [ ! -L "$f" ] || skip "$f exists already; not touching it"
done
rtc_existed=0
getent group rtc >/dev/null && rtc_existed=1
private_existed=0
[ -d /var/lib/private ] && private_existed=1

# dpkg refuses at once while another dpkg or apt holds its lock (unattended-upgrades, a setup run): wait
# for it, up to 2 minutes, rather than fail or, in cleanup, leave the packages installed.
dpkg_waiting() {
  local output
  for _ in $(seq 240); do
    if output=$(dpkg "$@" 2>&1); then printf '%s\n' "$output"; return 0; fi
    grep -q 'lock was locked by another process' <<<"$output" || { printf '%s\n' "$output"; return 1; }
    sleep 0.5
  done
  printf '%s\n' "$output"
  return 1
}

work=$(mktemp -d)
lan_create "pfd$$"
cleanup() {
  local status=$?
  dpkg_waiting --purge "${packages[@]}" >/dev/null 2>&1 || true
  # What the test itself made (none of it existed before: checked above), should a script have left it.
  for service in "${services[@]}"; do
    rm -f "$wants/$service.service" "$dsh-enabled/$service.service.dsh-also" \
      "$dsh-enabled/multi-user.target.wants/$service.service" "$dsh-masked/$service.service"
    [ "$(readlink "/etc/systemd/system/$service.service" 2>/dev/null)" != /dev/null ] ||
      rm -f "/etc/systemd/system/$service.service"
  done
  rm -rf /var/lib/pifind-agent /var/lib/private/pifind-agent /var/lib/pifind-serve /var/lib/private/pifind-serve \
    /var/lib/pifind-scan /var/lib/private/pifind-scan /etc/systemd/system/timers.target.wants/pifind-scan@eth0.timer
  [ "$rtc_existed" = 1 ] || groupdel rtc 2>/dev/null || true
  [ "$private_existed" = 1 ] || rmdir /var/lib/private 2>/dev/null || true
  lan_destroy
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# --- build ------------------------------------------------------------------------------------
start_ms=$(($(date +%s%N) / 1000000))
"$cpack" --config "$build/CPackConfig.cmake" -B "$work/deb" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
end_ms=$(($(date +%s%N) / 1000000))
arch=$(dpkg --print-architecture)
deb() { echo "$work/deb/$1_${version}-1_${arch}.deb"; }
for p in "${packages[@]}"; do
  [ -f "$(deb "$p")" ] || fail "no $(basename "$(deb "$p")") in: $(ls "$work/deb")"
  echo "$p: $(stat -c %s "$(deb "$p")") bytes"
done
echo "cpack: $((end_ms - start_ms)) ms"

field() { dpkg-deb -f "$(deb "$1")" "$2"; }
for p in "${packages[@]}"; do
  [ "$(field "$p" Package)" = "$p" ] || fail "$p: Package is $(field "$p" Package)"
  [ "$(field "$p" Version)" = "${version}-1" ] || fail "$p: Version is $(field "$p" Version)"
  [ "$(field "$p" Architecture)" = "$arch" ] || fail "$p: Architecture is $(field "$p" Architecture)"
  field "$p" Maintainer | grep -q '<.*@.*>' || fail "$p: Maintainer $(field "$p" Maintainer)"
  # Shared libraries found by dpkg-shlibdeps: the C++ runtime at least.
  field "$p" Depends | grep -q 'libstdc++6' || fail "$p: Depends lacks the shared libraries: $(field "$p" Depends)"
done
field pifind Depends | grep -q 'libcap2-bin' || fail "pifind: Depends lacks libcap2-bin (setcap)"
field pifind Depends | grep -q 'libpcap0.8' || fail "pifind: Depends lacks libpcap: $(field pifind Depends)"
[ "$(field pifind Section)" = net ] && [ "$(field pifind-agent Section)" = admin ] || fail "sections"

# --- install ----------------------------------------------------------------------------------
dpkg_waiting -i "$(deb pifind)" "$(deb pifind-agent)" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "dpkg -i failed"; }

files_of() { dpkg -L "$1" | while read -r f; do [ -d "$f" ] || echo "$f"; done | sort; }
files_of pifind >"$work/pifind.files"
files_of pifind-agent >"$work/agent.files"
diff -u - "$work/pifind.files" <<'FILES' || fail "pifind ships other files (- expected, + shipped)"
/etc/default/pifind-scan
/etc/default/pifind-serve
/usr/bin/pifind
/usr/lib/systemd/system-generators/pifind-scan-generator
/usr/lib/systemd/system/pifind-scan@.service
/usr/lib/systemd/system/pifind-scan@.timer
/usr/lib/systemd/system/pifind-serve.service
/usr/share/bash-completion/completions/pifind
/usr/share/doc/pifind/changelog.Debian.gz
/usr/share/doc/pifind/copyright
/usr/share/lintian/overrides/pifind
/usr/share/man/man1/pifind-audit.1.gz
/usr/share/man/man1/pifind-export.1.gz
/usr/share/man/man1/pifind-ssh-config.1.gz
/usr/share/man/man1/pifind.1.gz
/usr/share/man/man5/pifind-inventory.5.gz
/usr/share/man/man8/pifind-serve.8.gz
FILES
diff -u - "$work/agent.files" <<'FILES' || fail "pifind-agent ships other files (- expected, + shipped)"
/etc/default/pifind-agent
/usr/lib/systemd/system/pifind-agent.service
/usr/lib/sysusers.d/pifind-agent.conf
/usr/lib/udev/rules.d/60-pifind-rtc.rules
/usr/sbin/pifind-agent
/usr/share/bash-completion/completions/pifind-agent
/usr/share/doc/pifind-agent/changelog.Debian.gz
/usr/share/doc/pifind-agent/copyright
/usr/share/lintian/overrides/pifind-agent
/usr/share/man/man8/pifind-agent.8.gz
FILES
for f in $(cat "$work/pifind.files" "$work/agent.files"); do [ -f "$f" ] || fail "$f not installed"; done
[ "$(stat -c %a /usr/bin/pifind)" = 755 ] && [ "$(stat -c %a /usr/sbin/pifind-agent)" = 755 ] || fail "binary modes"
for p in "pifind:pifind-scan pifind-serve" "pifind-agent:pifind-agent"; do
  package=${p%%:*} conffiles=${p#*:}
  # shellcheck disable=SC2086 # the list of names
  [ "$(dpkg-query -W -f='${Conffiles}' "$package" | awk 'NF {print $1}' | sort | tr '\n' ' ')" = \
    "$(printf '/etc/default/%s\n' $conffiles | sort | tr '\n' ' ')" ] \
    || fail "$package's conffiles: $(dpkg-query -W -f='${Conffiles}' "$package")"
  for conffile in $conffiles; do
    # A template: every setting commented out, so the units' defaults hold until the administrator chooses.
    ! grep -v '^#' "/etc/default/$conffile" | grep -q . || fail "/etc/default/$conffile sets something"
  done
done

getcap /usr/bin/pifind | grep -q 'cap_net_raw[=+]ep' || fail "no cap_net_raw on /usr/bin/pifind: $(getcap /usr/bin/pifind)"
getent group rtc >/dev/null || fail "group rtc not created"
/usr/sbin/pifind-agent --help >/dev/null || fail "pifind-agent --help"

for page in pifind.1 pifind-audit.1 pifind-export.1 pifind-ssh-config.1 pifind-inventory.5 pifind-agent.8 \
  pifind-serve.8; do
  name=${page%.*} section=${page##*.}
  path=/usr/share/man/man$section/$page.gz
  gzip -t "$path" || fail "$path is not gzip"
  [ "$(man -w "$section" "$name")" = "$path" ] || fail "man -w $section $name: $(man -w "$section" "$name" 2>&1)"
  MANPAGER=cat MANWIDTH=80 man -l "$path" 2>/dev/null | grep -q "^NAME" || fail "man -l $path shows no NAME section"
  mandoc -Tlint -W warning "$path" || fail "$path does not lint clean"
done

for unit in pifind-agent.service pifind-serve.service pifind-scan@eth0.service pifind-scan@eth0.timer; do
  systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 \
    || { cat "$work/verify.log" >&2; fail "systemd-analyze verify $unit"; }
done
# The generator gives every scan timer the interval of /etc/default/pifind-scan, and ignores what is not one.
generator=/usr/lib/systemd/system-generators/pifind-scan-generator
[ -x "$generator" ] || fail "$generator is not executable"
"$generator" "$work/gen-none" && [ ! -e "$work/gen-none" ] || fail "the generator wrote a drop-in for a template file"
printf 'PIFIND_SCAN_INTERVAL=15min\n' >"$work/scan.default"
PIFIND_SCAN_DEFAULTS=$work/scan.default "$generator" "$work/gen"
grep -qx 'OnUnitActiveSec=15min' "$work/gen/pifind-scan@.timer.d/50-interval.conf" || fail "generator: $(cat "$work/gen"/*/*)"
mkdir -p "$work/units/pifind-scan@.timer.d"
cp "$work/gen/pifind-scan@.timer.d/50-interval.conf" "$work/units/pifind-scan@.timer.d/"
# verify only warns about a value it cannot parse: its output must be empty too.
SYSTEMD_UNIT_PATH=$work/units: systemd-analyze verify pifind-scan@eth0.timer >"$work/verify.log" 2>&1 &&
  [ ! -s "$work/verify.log" ] || { cat "$work/verify.log" >&2; fail "systemd-analyze verify with the generator's drop-in"; }
printf 'PIFIND_SCAN_INTERVAL=$(reboot)\n' >"$work/scan.default"
PIFIND_SCAN_DEFAULTS=$work/scan.default "$generator" "$work/gen-bad" 2>"$work/gen.err"
[ ! -e "$work/gen-bad" ] && grep -q 'is not a time span' "$work/gen.err" || fail "the generator took a bad interval"

# --- the installed pifind scans as nobody, with its file capability and nothing else -------------
lan_add_host scanner 02:00:00:00:00:01 198.18.0.1/24
lan_add_host pi1 dc:a6:32:00:00:10 198.18.0.10/24
lan_add_host pi2 2c:cf:67:00:00:11 198.18.0.11/24
lan_add_host other 00:1b:21:00:00:12 198.18.0.12/24
as_nobody() { ip netns exec "$(lan_ns scanner)" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
as_nobody /usr/bin/pifind -I eth0 --format csv >"$work/pis.csv" 2>"$work/pis.err" \
  || fail "installed pifind as nobody: exit $?: $(cat "$work/pis.err")"
tail -n +2 "$work/pis.csv" | cut -d, -f1,2 | sort >"$work/found"
printf '198.18.0.10,dc:a6:32:00:00:10\n198.18.0.11,2c:cf:67:00:00:11\n' | diff -u - "$work/found" \
  || fail "Pis found as nobody differ (- expected, + found)"
# The same binary without the capability (cp drops it) must fail: the capability is what works.
chmod 755 "$work"
cp /usr/bin/pifind "$work/pifind-nocap"
if as_nobody "$work/pifind-nocap" -I eth0 >/dev/null 2>&1; then
  fail "pifind scanned as nobody without cap_net_raw: the test proves nothing"
fi

# --- the collector under pifind-serve.service's privileges (no systemd here to run the unit itself):
# an unprivileged user, no new privileges, CAP_NET_RAW in the bounding set. runuser, like systemd,
# leaves nothing permitted when it changes user (setpriv would keep root's permitted set, and the
# kernel would then grant the file capability despite no_new_privs).
as_collector() {  # as_collector BOUNDING_SET COMMAND...
  local bounding=$1
  shift
  ip netns exec "$(lan_ns scanner)" setpriv --no-new-privs --bounding-set="-all,+setuid,+setgid$bounding" \
    runuser -u nobody -- "$@"
}
# Without CAP_NET_RAW in the bounding set the kernel refuses to execute the capability-carrying binary.
if as_collector "" /usr/bin/pifind serve --help >/dev/null 2>&1; then
  fail "an empty bounding set ran /usr/bin/pifind: pifind-serve.service's comment is wrong"
fi
mkdir "$work/serve"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/serve/fleet.key"
chmod 600 "$work/serve/fleet.key"
chown -R 65534:65534 "$work/serve"
as_collector ,+net_raw /usr/bin/pifind serve --inventory "$work/serve/inventory.json" \
  --listen 127.0.0.1:0 --key-file "$work/serve/fleet.key" 2>"$work/serve.err" &
serve_pid=$!
port=
for _ in $(seq 50); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.err" | cut -d: -f3 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || fail "pifind serve did not start: $(cat "$work/serve.err")"
health=$(ip netns exec "$(lan_ns scanner)" curl -sS --max-time 5 "http://127.0.0.1:$port/healthz") || fail "GET /healthz"
[ "$health" = ok ] || fail "/healthz answered '$health'"

# --- the installed scan into that collector, as pifind-scan@eth0.service runs it: an unprivileged user with
# CAP_NET_RAW (systemd's AmbientCapabilities=; here setpriv's kept set), no new privileges, the unit's arguments
# with PIFIND_SCAN_SITE unset (an empty --site), the counter in a state directory of its own.
mkdir -m 700 "$work/scan-state"
cp -p "$work/serve/fleet.key" "$work/scan.key"
chown 65534:65534 "$work/scan-state" "$work/scan.key"
ip netns exec "$(lan_ns scanner)" setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
  --bounding-set=-all,+net_raw /usr/bin/pifind -I eth0 --collector "http://127.0.0.1:$port" \
  --key-file "$work/scan.key" --site '' --state-dir "$work/scan-state" >/dev/null 2>"$work/scan.err" \
  || fail "the scan as pifind-scan@.service runs it: exit $?: $(cat "$work/scan.err")"
grep -q "pifind: collector http://127.0.0.1:$port: 3 sightings delivered (counter 1)" "$work/scan.err" \
  || fail "the scan's delivery: $(cat "$work/scan.err")"
[ "$(cat "$work/scan-state/counter")" = 1 ] || fail "the scan's counter: $(cat "$work/scan-state/counter")"
jq -e '.devices["dc:a6:32:00:00:10"].raspberry_pi and .devices["02:00:00:00:00:01"].scanners[0].last_counter == 1' \
  "$work/serve/inventory.json" >/dev/null || fail "the collector's inventory after the scan: $(cat "$work/serve/inventory.json")"
collector_pid=$(pgrep -u nobody -f "^/usr/bin/pifind serve --inventory $work/serve/") || fail "no collector process"
grep -q '^CapPrm:[[:space:]]*0*$' "/proc/$collector_pid/status" && grep -q '^CapEff:[[:space:]]*0*$' "/proc/$collector_pid/status" \
  || fail "the collector holds capabilities: $(grep Cap "/proc/$collector_pid/status")"
kill "$collector_pid"
wait "$serve_pid" || true

# --- remove, reinstall and purge --------------------------------------------------------------
# Enabled units and their state, as an administrator and systemd (DynamicUser=yes) would leave them.
mkdir -p -m 0700 /var/lib/private
for service in "${services[@]}"; do
  systemctl enable "$service.service" >/dev/null 2>&1 || fail "systemctl enable $service.service"
  [ -L "$wants/$service.service" ] || fail "enable made no $wants/$service.service"
  mkdir /var/lib/private/$service
  echo state >/var/lib/private/$service/state
  ln -s private/$service /var/lib/$service
done
# A scan timer an administrator enabled for eth0, and the scans' counter.
timer_link=/etc/systemd/system/timers.target.wants/pifind-scan@eth0.timer
systemctl enable pifind-scan@eth0.timer >/dev/null 2>&1 || fail "systemctl enable pifind-scan@eth0.timer"
[ -L "$timer_link" ] || fail "enable made no $timer_link"
mkdir /var/lib/private/pifind-scan
echo 7 >/var/lib/private/pifind-scan/counter
ln -s private/pifind-scan /var/lib/pifind-scan

dpkg_waiting -r "${packages[@]}" >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "dpkg -r failed"; }
for f in $(cat "$work/pifind.files" "$work/agent.files"); do
  case $f in /etc/default/*) continue ;; esac  # conffiles: they stay until purge
  [ ! -e "$f" ] || fail "$f left behind by dpkg -r"
done
[ -f /etc/default/pifind-agent ] && [ -f /etc/default/pifind-serve ] && [ -f /etc/default/pifind-scan ] \
  || fail "dpkg -r removed a conffile"
[ -L "$timer_link" ] && [ -f /var/lib/private/pifind-scan/counter ] || fail "dpkg -r dropped the scan timer's enablement or counter"
# Like a conffile, the administrator's enablement stays until purge; the unit, whose file is gone, is masked.
for service in "${services[@]}"; do
  [ -L "$wants/$service.service" ] || fail "dpkg -r dropped $service's enablement (only purge should)"
  [ "$(readlink "/etc/systemd/system/$service.service")" = /dev/null ] || fail "dpkg -r did not mask $service"
  [ -f /var/lib/private/$service/state ] || fail "dpkg -r removed $service's state (only purge should)"
done

# A reinstall unmasks the units and keeps them enabled.
dpkg_waiting -i "$(deb pifind)" "$(deb pifind-agent)" >"$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log" >&2; fail "dpkg -i after -r failed"; }
for service in "${services[@]}"; do
  [ ! -L "/etc/systemd/system/$service.service" ] || fail "the reinstall left $service masked"
  [ -L "$wants/$service.service" ] || fail "the reinstall lost $service's enablement"
done

dpkg_waiting --purge "${packages[@]}" >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge failed"; }
for f in /etc/default/pifind-agent /etc/default/pifind-serve /var/lib/pifind-agent /var/lib/private/pifind-agent \
  /var/lib/pifind-serve /var/lib/private/pifind-serve /etc/default/pifind-scan /var/lib/pifind-scan \
  /var/lib/private/pifind-scan "$timer_link"; do
  [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f left behind by dpkg --purge"
done
for service in "${services[@]}"; do
  for f in "$wants/$service.service" "/etc/systemd/system/$service.service" "$dsh-enabled/$service.service.dsh-also" \
    "$dsh-enabled/multi-user.target.wants/$service.service" "$dsh-masked/$service.service"; do
    [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f left behind by dpkg --purge"
  done
done
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ -z "$status" ] || [ "$status" = not-installed ] || fail "$p is $status after purge"
done
echo "PASS: both packages built, installed, scanned as nobody, removed, reinstalled and purged"
