// What the scanner needs to know about a local interface (its MAC and first IPv4 network), read
// with getifaddrs(3), which needs no privilege. Unknown names fail naming the interfaces that exist.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"

namespace pifind {

/// Not "NetworkInterface": the agent report has a type of that name, and two different types of one
/// name in one program (pifind links both) break the ODR; the collector crashed on it.
struct ScanInterface {
  std::string name;
  MacAddress mac;
  /// The interface's first IPv4 address and its prefix length, if it has one.
  std::optional<Ipv4Address> address;
  int prefix_length = 0;
  bool up = false;
  bool loopback = false;
};

/// Every interface with a link-layer address, in the kernel's order.
std::vector<ScanInterface> list_network_interfaces();

/// The named interface; throws Error("unknown interface 'eth9' (interfaces here: lo, eth0)").
ScanInterface find_network_interface(const std::string& name);

/// The first interface that is up, not loopback and has IPv4 (what `pifind` scans without -I);
/// throws Error when there is none.
ScanInterface default_network_interface();

}  // namespace pifind
