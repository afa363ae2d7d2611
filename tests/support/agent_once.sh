# Shared by the agent's shell tests (source it): a scratch directory with a fleet key, and `pifind-agent --once`
# against a collector that is down.
#   agent_scratch                     sets $dir (removed on exit) holding fleet.key, mode 0600
#   once_offline AGENT FIXTURE        runs AGENT --once against port 9 on loopback (nothing listens there) with
#                                     $dir/fleet.key and $dir/state; sets $once_status; stderr in $dir/err, printed
#   expect_status N WHY               fails unless $once_status is N

agent_scratch() {
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  printf 'fleet-key-for-the-agent-shell-tests-0123456789\n' >"$dir/fleet.key"
  chmod 600 "$dir/fleet.key"
}

once_offline() {
  set +e
  "$1" --once --server http://127.0.0.1:9 --key-file "$dir/fleet.key" --state-dir "$dir/state" \
    --sysroot "$2" 2>"$dir/err"
  once_status=$?
  set -e
  cat "$dir/err"
}

expect_status() {
  [ "$once_status" -eq "$1" ] || { echo "expected exit $1 ($2), got $once_status"; exit 1; }
}
