#!/usr/bin/env bash
# Checks every #include of pifind's own code against the layering the README and inventory/CMakeLists.txt
# describe: the rooms of inventory/ in dependency order (core <- protocol <- store <- outputs <- collector <- cli,
# and transport on core and protocol beside store..collector, for the agent and cli), the agent on core, protocol
# and transport only, the scanner on core and store only. Also: the agent includes no pcap or scanner code, the scanner no HTTP.
# Prints one line per violation and exits 1; exits 0 when the tree is clean.
# Usage: tests/layering/check_includes.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"

# The rooms each room may include, itself included.
allowed_rooms() {
  case $1 in
    inventory/core) echo "inventory/core" ;;
    inventory/protocol) echo "inventory/core inventory/protocol" ;;
    inventory/transport) echo "inventory/core inventory/protocol inventory/transport" ;;
    inventory/store) echo "inventory/core inventory/protocol inventory/store" ;;
    inventory/outputs) echo "inventory/core inventory/protocol inventory/store inventory/outputs" ;;
    inventory/collector) echo "inventory/core inventory/protocol inventory/store inventory/outputs inventory/collector" ;;
    inventory/cli) echo "inventory/core inventory/protocol inventory/store inventory/outputs inventory/collector inventory/transport inventory/cli" ;;
    agent) echo "inventory/core inventory/protocol inventory/transport agent" ;;
    scanner) echo "inventory/core inventory/store scanner" ;;
    # The pifind binary's entry point dispatches to the fleet subcommands as well as to the scan, and turns a
    # scan's hosts into a scan report for --inventory and --collector (the scanner library stays without them).
    scanner/main.cc) echo "inventory/core inventory/protocol inventory/store inventory/cli scanner" ;;
    *) return 1 ;;
  esac
}

# Sets $room_of to the room of a path: inventory/<room>/..., or the top-level folder. (A variable, not output:
# a subshell per include made this check take seconds.)
room_of() {
  case $1 in
    inventory/*/*) room_of=${1#inventory/}; room_of="inventory/${room_of%%/*}" ;;
    inventory/*) room_of="inventory" ;;  # nothing may live directly in inventory/
    */*) room_of="${1%%/*}" ;;
    *) room_of="$1" ;;
  esac
}

# System headers a room must never include: "room regex why".
forbidden_system_includes=(
  "agent <pcap pifind-agent links no pcap"
  "agent <libnet pifind-agent builds no frames"
  "scanner <boost/beast the scanner knows nothing of HTTP"
  "inventory/core <boost/beast core is below the HTTP server"
  "inventory/protocol <boost/beast the report protocol is transport-free"
  "inventory/store <boost/beast the store is transport-free"
)

violations=0
report() {
  echo "$1" >&2
  violations=$((violations + 1))
}

while IFS= read -r file; do
  room_of "$file"
  room=$room_of
  if [ "$room" = inventory ]; then
    report "$file: sources belong in a room of inventory/ (core, protocol, transport, store, outputs, collector, cli)"
    continue
  fi
  allowed=$(allowed_rooms "$file" 2>/dev/null || allowed_rooms "$room")
  while IFS=: read -r line text; do
    target=${text#*\"}
    target=${target%%\"*}
    case $target in
      */*) ;;
      *) continue ;;  # a header beside the file (tests only)
    esac
    room_of "$target"
    [[ " $allowed " == *" $room_of "* ]] ||
      report "$file:$line: includes $target, but $room may include only: $allowed"
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
  for rule in "${forbidden_system_includes[@]}"; do
    read -r rule_room pattern why <<<"$rule"
    [ "$room" = "$rule_room" ] || continue
    while IFS=: read -r line _; do
      report "$file:$line: includes $pattern...>, but $why"
    done < <(grep -n "^[[:space:]]*#[[:space:]]*include[[:space:]]*$pattern" "$file" || true)
  done
done < <(find inventory agent scanner -type f \( -name '*.h' -o -name '*.cc' \) | sort)

if [ "$violations" -gt 0 ]; then
  echo "check_includes: $violations include(s) against the layering (see inventory/CMakeLists.txt and the README's layout)" >&2
  exit 1
fi
echo "check_includes: every include of scanner/, agent/ and inventory/ follows the layering"
