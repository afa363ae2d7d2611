# A throw-away Ethernet LAN in network namespaces, for pifind's tests, demo and benchmarks. Source it.
# One bridge namespace, one namespace per host (veth "eth0" inside), addresses only there. The
# machine's own interfaces are never touched. Every namespace carries the LAN's id; lan_destroy
# (installed as an EXIT trap by lan_create) deletes them all, also when the caller fails. More segments
# (bridges of their own in the bridge namespace) and a router between them make a routed network of
# several LANs, as sites or VLANs have.
#
#   lan_create [ID]                      new LAN; prints nothing; sets LAN_ID, LAN_BRIDGE_NS
#   lan_test_start ID                    what a LAN test starts with: exits 77 without root, sets $work (a temp
#                                        dir) and a LAN with host "scanner" (02:00:00:00:00:01, 198.18.0.1/24,
#                                        namespace $scanner_ns), both removed on exit
#   lan_add_hosts SPEC_FILE              lines "name mac ip/prefix" (one namespace each)
#   lan_add_host NAME MAC IP/PREFIX [SEGMENT]
#                                        one host, on SEGMENT (lan_add_segment) or else the first one
#   lan_add_segment SEGMENT              another Ethernet segment, not bridged to any other ([a-z0-9], 12 at most)
#   lan_add_router NAME MAC IP/PREFIX@SEGMENT...
#                                        a host with one leg per segment (eth0, eth1, ... with MACs MAC:00,
#                                        MAC:01, ...: MAC is the first five octets) that forwards IPv4 between them
#   lan_set_default_route NAME GATEWAY   host NAME's default route goes through GATEWAY
#   lan_ns NAME                          the namespace name of host NAME
#   lan_set_loss PERCENT                 drop PERCENT% of ARP frames at every bridge egress (nftables)
#   lan_loss_counters                    "dropped_packets" of the loss rule
#   lan_set_resolver NAME SERVER_IP      host NAME's resolv.conf names SERVER_IP (ip netns exec bind-mounts
#                                        /etc/netns/NS/resolv.conf over /etc/resolv.conf)
#   lan_start_avahi NAME HOSTNAME DIR    avahi-daemon on host NAME's eth0 as HOSTNAME.local, config and log in DIR
#   lan_wait_avahi DIR NAME...           until each one's avahi-daemon has registered its name (or fail)
#   lan_start_dnsmasq NAME IP DIR PTR... dnsmasq on host NAME at IP, answering only the PTR records given
#                                        ("4.0.18.198.in-addr.arpa,name.example"); its log in DIR/dnsmasq.log
#   lan_destroy                          delete every namespace of this LAN (and its /etc/netns files)

LAN_PREFIX_DEFAULT=pfl

lan_require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "this needs root (network namespaces); skipped" >&2
    return 77
  fi
  command -v ip >/dev/null || { echo "iproute2 missing: run scripts/setup" >&2; return 1; }
}

lan_create() {
  LAN_ID=${1:-${LAN_PREFIX_DEFAULT}$$}
  LAN_BRIDGE_NS="${LAN_ID}-bridge"
  LAN_HOSTS=()
  LAN_PORTS=0
  trap lan_destroy EXIT
  trap 'exit 130' INT TERM
  ip netns add "$LAN_BRIDGE_NS"
  ip -n "$LAN_BRIDGE_NS" -b - <<BATCH
link set lo up
link add br0 type bridge stp_state 0 forward_delay 0
link set br0 addrgenmode none
link set br0 up
BATCH
}

lan_ns() { echo "${LAN_ID}-$1"; }

lan_test_start() {
  lan_require_root || exit $?
  work=$(mktemp -d)
  lan_create "$1"
  trap 'lan_destroy; rm -rf "$work"' EXIT
  lan_add_host scanner 02:00:00:00:00:01 198.18.0.1/24
  scanner_ns=$(lan_ns scanner)
}

lan_bridge_of() { if [ -n "${1:-}" ]; then echo "br-$1"; else echo br0; fi; }

# lan_add_leg NS IFNAME MAC CIDR [SEGMENT]: one veth from SEGMENT's bridge into namespace NS.
lan_add_leg() {
  local ns=$1 ifname=$2 mac=$3 cidr=$4 bridge port
  bridge=$(lan_bridge_of "${5:-}")
  port="port$((LAN_PORTS++))"
  # The bridge port lives in the bridge namespace; its peer is created directly inside the host's.
  ip -n "$LAN_BRIDGE_NS" -b - <<BATCH
link add $port type veth peer name $ifname netns $ns
link set $port addrgenmode none
link set $port master $bridge up
BATCH
  ip -n "$ns" -b - <<BATCH
link set $ifname address $mac
link set $ifname addrgenmode none
addr add $cidr dev $ifname
link set $ifname up
BATCH
}

lan_add_host() {
  local name=$1 mac=$2 cidr=$3 segment=${4:-} ns
  ns=$(lan_ns "$name")
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  lan_add_leg "$ns" eth0 "$mac" "$cidr" "$segment"
  LAN_HOSTS+=("$name")
}

lan_add_segment() {
  local bridge
  bridge=$(lan_bridge_of "$1")
  ip -n "$LAN_BRIDGE_NS" -b - <<BATCH
link add $bridge type bridge stp_state 0 forward_delay 0
link set $bridge addrgenmode none
link set $bridge up
BATCH
}

lan_add_router() {
  local name=$1 mac=$2 ns leg i=0
  shift 2
  ns=$(lan_ns "$name")
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  for leg in "$@"; do
    local segment=${leg#*@}
    [ "$segment" = "$leg" ] && segment=""
    lan_add_leg "$ns" "eth$i" "$(printf '%s:%02x' "$mac" "$i")" "${leg%@*}" "$segment"
    i=$((i + 1))
  done
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  LAN_HOSTS+=("$name")
}

lan_set_default_route() {
  ip -n "$(lan_ns "$1")" route add default via "$2"
}

lan_add_hosts() {
  local name mac cidr
  while read -r name mac cidr _; do
    case "$name" in ''|'#'*) continue ;; esac
    lan_add_host "$name" "$mac" "$cidr"
  done <"$1"
}

lan_set_loss() {
  local percent=$1
  ip netns exec "$LAN_BRIDGE_NS" nft -f - <<NFT
table bridge pifind_loss
delete table bridge pifind_loss
table bridge pifind_loss {
  chain forward {
    type filter hook forward priority 0;
    ether type arp numgen random mod 100 < $percent counter drop
  }
}
NFT
}

lan_clear_loss() {
  ip netns exec "$LAN_BRIDGE_NS" nft delete table bridge pifind_loss 2>/dev/null || true
}

lan_loss_counters() {
  ip netns exec "$LAN_BRIDGE_NS" nft list table bridge pifind_loss 2>/dev/null | grep -o 'packets [0-9]*' | head -1
}

lan_set_resolver() {
  local dir
  dir="/etc/netns/$(lan_ns "$1")"
  mkdir -p "$dir"
  echo "nameserver $2" >"$dir/resolv.conf"
}

# avahi-daemon with a private config: eth0 only, IPv4 only, no D-Bus, no wide area, and a private /run
# (pid file, socket) and services directory, so it touches neither the machine's interfaces nor its daemon.
lan_start_avahi() {
  local name=$1 hostname=$2 dir=$3
  cat >"$dir/avahi-$name.conf" <<CONF
[server]
host-name=$hostname
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=no
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
[reflector]
enable-reflector=no
CONF
  ip netns exec "$(lan_ns "$name")" unshare --mount sh -c \
    'mount -t tmpfs tmpfs /run && mkdir /run/avahi-daemon && mount -t tmpfs tmpfs /etc/avahi/services &&
     exec avahi-daemon -f "$1" --no-drop-root --no-chroot --no-rlimits' sh "$dir/avahi-$name.conf" \
    >"$dir/avahi-$name.log" 2>&1 &
}

# avahi-daemon probes for its name for about a second before it answers.
lan_wait_avahi() {
  local dir=$1 name
  shift
  for name in "$@"; do
    for _ in $(seq 100); do grep -qs 'Server startup complete' "$dir/avahi-$name.log" && break; sleep 0.1; done
    grep -q 'Server startup complete' "$dir/avahi-$name.log" || {
      echo "avahi-daemon on $name did not start: $(cat "$dir/avahi-$name.log")" >&2
      return 1
    }
  done
}

# dnsmasq bound to IP only, with no upstream and no /etc/hosts, logging its queries.
lan_start_dnsmasq() {
  local name=$1 ip=$2 dir=$3 ptr records=()
  shift 3
  for ptr in "$@"; do records+=("--ptr-record=$ptr"); done
  ip netns exec "$(lan_ns "$name")" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --bind-interfaces --listen-address="$ip" --port=53 --user=root --group=root --pid-file= \
    --log-queries --log-facility=- "${records[@]}" >"$dir/dnsmasq.log" 2>&1 &
  for _ in $(seq 50); do grep -qs 'started, version' "$dir/dnsmasq.log" && return 0; sleep 0.1; done
  echo "dnsmasq on $name did not start: $(cat "$dir/dnsmasq.log")" >&2
  return 1
}

lan_destroy() {
  [ -n "${LAN_ID:-}" ] || return 0
  local ns namespaces pids=() i
  namespaces=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${LAN_ID}-" || true)
  # Every process inside the LAN gets SIGTERM and up to 3 s to exit (a process blocked on a peer that
  # is already gone may not notice), then SIGKILL; only then do the namespaces go.
  for ns in $namespaces; do
    pids+=($(ip netns pids "$ns" 2>/dev/null))
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
      kill -0 "${pids[@]}" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  for ns in $namespaces; do
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "/etc/netns/${LAN_ID}-"*
}

# lan_fleet_spec HOSTS [PI_PERCENT]: a deterministic host spec for a /24 (198.18.0.0/24), HOSTS hosts
# at .2, .4, ... (.254 at most), PI_PERCENT (default 40) of them with Raspberry Pi MACs across every
# Pi prefix, the rest with other vendors' MACs. Lines: "name mac ip/24 pi|-".
lan_fleet_spec() {
  local hosts=$1 pi_percent=${2:-40} i pis=0 others=0
  local pi_prefixes=(b8:27:eb dc:a6:32 e4:5f:01 28:cd:c1 d8:3a:dd 2c:cf:67 88:a2:9e f0:40:af:9 8c:1f:64:34:a)
  local other_prefixes=(00:50:56 52:54:00 00:1b:21 f0:18:98 24:0a:c4 fc:ec:da 00:00:0c 3c:22:fb b8:27:ec)
  for ((i = 0; i < hosts; i++)); do
    local octet=$((2 + 2 * i)) prefix kind name digits
    [ "$octet" -le 254 ] || octet=$((3 + 2 * (i - 127)))
    # Spread the Pis evenly: host i is a Pi when the running share of Pis crosses a whole number.
    if (((i + 1) * pi_percent / 100 != i * pi_percent / 100)); then
      prefix=${pi_prefixes[$((pis++ % ${#pi_prefixes[@]}))]} kind=pi name=pi$i
    else
      prefix=${other_prefixes[$((others++ % ${#other_prefixes[@]}))]} kind=- name=host$i
    fi
    digits=${prefix//:/}
    digits=$(printf '%s%0*x' "$digits" $((12 - ${#digits})) $((i + 1)))
    echo "$name $(echo "$digits" | sed -E 's/(..)(..)(..)(..)(..)(..)/\1:\2:\3:\4:\5:\6/') 198.18.0.$octet/24 $kind"
  done
}
