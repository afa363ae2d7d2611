// Merging a scan's (MAC, IP) sightings into the inventory: new devices, refreshed addresses, and IPs that
// DHCP moved to another MAC (the old holder keeps its history, marked not current). Nothing is deleted.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"
#include "inventory/store/inventory.h"

namespace pifind {

/// One host that answered a scan.
struct ScanSighting {
  MacAddress mac;
  Ipv4Address ip;
  std::string vendor;
  bool raspberry_pi = false;
  std::chrono::system_clock::time_point seen;
};

/// What a merge changed.
struct MergeSummary {
  std::size_t new_devices = 0, updated = 0, ip_moves = 0;
};

/// Merges sightings into an inventory in memory. `interface_name` is the scanner's interface, recorded as
/// "scan:<name>" on each address. Multicast, broadcast and all-zero MACs are ignored (they are not devices).
MergeSummary merge_scan(Inventory& inventory, const std::vector<ScanSighting>& sightings,
                        const std::string& interface_name);

/// Merges one scan's sightings into the inventory file under its lock (creating it if absent); throws Error.
MergeSummary merge_scan_into_inventory(const std::filesystem::path& file, const std::vector<ScanSighting>& sightings,
                                       const std::string& interface_name);

}  // namespace pifind
