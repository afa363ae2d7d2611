// Who the agent is on the network: host name, interfaces with their MACs and addresses, and the
// primary interface (the default route's), whose MAC is the agent id the collector keys by.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

/// /proc/sys/kernel/hostname, else (an offline image) the first name in /etc/hostname; empty if it is
/// unset ("(none)") or not an RFC 1123 name.
std::string read_hostname(const Sysroot& root);

/// Interfaces with a non-zero MAC (/sys/class/net/IF/address), loopback excluded, sorted by name.
/// Addresses: getifaddrs() on the live system; under a fixture sysroot, /etc/pifind-agent/addresses
/// ("IF ADDRESS/PREFIX" per line), since a fixture tree has no kernel behind it.
std::vector<NetworkInterface> read_interfaces(const Sysroot& root);

/// The interface of the IPv4 default route (/proc/net/route); else the first backed by hardware
/// (/sys/class/net/IF/device exists); else the first with a globally administered MAC; else the first.
/// Empty if there are none.
std::string primary_interface(const Sysroot& root, const std::vector<NetworkInterface>& interfaces);

}  // namespace pifind::agent
