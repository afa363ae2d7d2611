#!/usr/bin/env bash
# Issue 14 end to end: the agent binary on a copy of a fixture whose system files are FIFOs (and one a
# symlink loop) finishes `facts` at once with those fields empty, where it used to block for ever in
# open(). A SIGTERM during `--measure` ends it. Usage: fifo_tree_test.sh AGENT FIXTURE
set -euo pipefail
agent=$1
fixture=$2
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cp -a "$fixture" "$dir/tree"
for f in proc/cpuinfo etc/os-release sys/class/rtc/rtc0/name proc/uptime var/lib/chrony/chrony.drift; do
  rm -f "$dir/tree/$f"
  mkfifo "$dir/tree/$f"
done
rm -f "$dir/tree/proc/sys/kernel/hostname"
ln -s hostname2 "$dir/tree/proc/sys/kernel/hostname"
ln -s hostname "$dir/tree/proc/sys/kernel/hostname2"

# A hang is what this tests: `timeout` turns one into a failure instead of a stuck test run.
timeout 60 "$agent" facts --sysroot "$dir/tree" --state-dir "$dir/none" > "$dir/facts.json" 2> "$dir/err" || {
  cat "$dir/err"; echo "facts failed or hung on FIFOs"; exit 1; }
grep -q '"hostname": ""' "$dir/facts.json" || { cat "$dir/facts.json"; echo "hostname not empty"; exit 1; }
if grep -q '"revision": {' "$dir/facts.json"; then echo "a revision came from a FIFO"; exit 1; fi

# One SIGTERM ends a measuring agent (simulated hardware, real time: speed=1).
"$agent" facts --sysroot "$dir/tree" --state-dir "$dir/none" --simulate drift=10,speed=1 --measure 600 \
  > "$dir/measure.json" 2> "$dir/err2" &
pid=$!
sleep 1
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "one SIGTERM did not end the agent within 10 s"; exit 1; fi
pid=
echo "ok"
