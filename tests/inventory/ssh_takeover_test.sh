#!/usr/bin/env bash
# Issue 14's alias attack with a real ssh against real sshd: two sshd in a network namespace of their own
# (192.0.2.10, the real Pi, and 192.0.2.66, the attacker, on its loopback, port 2222, their own configs and
# host keys in a temporary directory), two real pifind-agent --once reporting the same hostname to a real
# pifind serve on loopback. The attacker's MAC sorts first: before issue 14 it took `Host pi4-kitchen` and
# ssh's accept-new trusted its key. Now `ssh pi4-kitchen` still reaches the real Pi, with the key it knew.
# Then the real Pi is re-imaged (its state directory lost): its agent is refused (exit 2, "refused"), the
# collector logs why once, and after `pifind keys forget` it is accepted again.
# Usage: ssh_takeover_test.sh FLEET_CLI AGENT FIXTURE. Needs root (namespaces, sshd); exits 77 without.
set -euo pipefail
cli=$1
agent=$2
fixture=$3

if [ "$(id -u)" -ne 0 ] || ! command -v /usr/sbin/sshd >/dev/null || ! command -v ssh >/dev/null; then
  echo "skipped: needs root, sshd (openssh-server) and ssh"
  exit 77
fi

ns="pifind-ssh-$$"
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  echo "--- serve log"; cat "$dir/serve.log" || true
  exit 1
}

# --- the LAN: a namespace whose loopback holds both hosts' addresses (no dummy module needed) -------------
ip netns add "$ns"
ip -n "$ns" addr add 192.0.2.10/32 dev lo
ip -n "$ns" addr add 192.0.2.66/32 dev lo
ip -n "$ns" link set lo up

# --- two sshd: the real Pi and the attacker, told apart by what they answer ------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$dir/id" -C test-user
cp "$dir/id.pub" "$dir/authorized_keys"
chmod 600 "$dir/authorized_keys"
mkdir -p /run/sshd  # sshd's privilege separation directory (Debian creates it only when its service starts)
for host in real:192.0.2.10 attacker:192.0.2.66; do
  name=${host%%:*}
  address=${host#*:}
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_$name" -C "$name"
  cat >"$dir/sshd_$name.conf" <<EOF
ListenAddress $address:2222
HostKey $dir/host_$name
PidFile $dir/sshd_$name.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
ForceCommand echo answered-by-$name
EOF
  timeout 120 ip netns exec "$ns" /usr/sbin/sshd -D -e -f "$dir/sshd_$name.conf" 2>"$dir/sshd_$name.log" &
  pids+=($!)
done

# --- the collector on loopback, with an ephemeral port read from its startup line ------------------------
printf 'fleet-key-for-the-ssh-takeover-test-0123456789\n' >"$dir/fleet.key"
chmod 600 "$dir/fleet.key"
timeout 120 "$cli" serve --inventory "$dir/fleet.json" --key-file "$dir/fleet.key" --listen 127.0.0.1:0 \
  2>"$dir/serve.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "^pifind serve: http://" "$dir/serve.log" && break; sleep 0.1; done
server=$(sed -n 's|^pifind serve: \(http://[0-9.:]*\) .*|\1|p' "$dir/serve.log" | head -1)
[ -n "$server" ] || fail "collector did not start"

# --- two Pis as the agent sees them: a fixture tree with the hostname, MAC and address changed -----------
make_pi() {  # make_pi NAME MAC ADDRESS
  local root="$dir/root_$1"
  cp -a "$fixture" "$root"
  echo pi4-kitchen >"$root/proc/sys/kernel/hostname"
  echo "$2" >"$root/sys/class/net/eth0/address"
  rm -rf "$root/sys/class/net/wlan0"
  echo "eth0 $3/24" >"$root/etc/pifind-agent/addresses"
}
make_pi real dc:a6:32:aa:bb:05 192.0.2.10
make_pi attacker dc:a6:32:aa:bb:02 192.0.2.66

report() {  # report NAME: one signed report from that Pi's agent; sets $status, stderr in $dir/agent.err
  set +e
  "$agent" --once --server "$server" --key-file "$dir/fleet.key" --state-dir "$dir/state_$1" \
    --sysroot "$dir/root_$1" 2>"$dir/agent.err"
  status=$?
  set -e
}

ssh_to() {  # ssh_to ALIAS: what the host behind ALIAS answers, through the generated ssh config
  "$cli" ssh-config --inventory "$dir/fleet.json" --user root --identity-file "$dir/id" >"$dir/ssh_config"
  ip netns exec "$ns" ssh -F "$dir/ssh_config" -p 2222 -o BatchMode=yes -o ConnectTimeout=5 \
    -o UserKnownHostsFile="$dir/known_hosts" -o GlobalKnownHostsFile=/dev/null "$1" 2>>"$dir/ssh.err"
}

for _ in $(seq 50); do
  ip netns exec "$ns" ss -ltn | grep -q 192.0.2.66:2222 && ip netns exec "$ns" ss -ltn | grep -q 192.0.2.10:2222 &&
    break
  sleep 0.1
done

report real
[ "$status" -eq 0 ] || fail "the real Pi's report was not delivered ($status): $(cat "$dir/agent.err")"
[ "$(ssh_to pi4-kitchen)" = answered-by-real ] || fail "ssh pi4-kitchen did not reach the real Pi: $(cat "$dir/ssh.err")"
known_before=$(cat "$dir/known_hosts")

report attacker
[ "$status" -eq 0 ] || fail "the attacker's report was refused outright ($status)"
grep -A1 "^Host pi4-kitchen$" "$dir/ssh_config" >/dev/null
[ "$(ssh_to pi4-kitchen)" = answered-by-real ] || fail "ssh pi4-kitchen now reaches the attacker"
[ "$(cat "$dir/known_hosts")" = "$known_before" ] || fail "known_hosts changed"
grep -q "^Host pi4-kitchen-aabb02$" "$dir/ssh_config" || fail "the newcomer did not get the suffixed alias"
[ "$(ssh_to pi4-kitchen-aabb02)" = answered-by-attacker ] || fail "the newcomer's own alias does not reach it"
grep -A3 "^Host pi4-kitchen$" "$dir/ssh_config" | grep -q "HostKeyAlias pifind-dca632aabb05" ||
  fail "pi4-kitchen lost its HostKeyAlias"

# --- the real Pi re-imaged: a new state directory, so a new device key, same MAC -------------------------
rm -rf "$dir/state_real"
report real
[ "$status" -eq 2 ] || fail "a re-imaged Pi's agent exited $status, not 2"
grep -q "refused" "$dir/agent.err" || fail "the agent did not say refused: $(cat "$dir/agent.err")"
grep -q "delivered" "$dir/agent.err" && fail "the agent said delivered"
report real
[ "$(grep -c "refused reports from dc:a6:32:aa:bb:05 (key_changed)" "$dir/serve.log")" -eq 1 ] ||
  fail "the collector did not log the refusal exactly once"
"$cli" keys forget dc:a6:32:aa:bb:05 --inventory "$dir/fleet.json" >/dev/null
for _ in $(seq 30); do
  report real
  [ "$status" -eq 0 ] && break
  sleep 0.2
done
[ "$status" -eq 0 ] || fail "after keys forget the re-imaged Pi is still refused: $(cat "$dir/agent.err")"
[ "$(ssh_to pi4-kitchen)" = answered-by-real ] || fail "pi4-kitchen moved after the re-image"
echo "ok"
