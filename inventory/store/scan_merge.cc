#include "inventory/store/scan_merge.h"

#include <algorithm>

#include "inventory/store/host_alias.h"
#include "inventory/store/inventory_file.h"

namespace pifind {

MergeSummary merge_scan(Inventory& inventory, const std::vector<ScanSighting>& sightings,
                        const std::string& interface_name) {
  MergeSummary summary;
  const std::string seen_via = "scan:" + interface_name;
  for (const auto& s : sightings) {
    if (s.mac.is_zero() || s.mac.is_multicast()) continue;
    bool created = false;
    InventoryRecord& record = inventory.record_for_mac(s.mac, s.seen, &created);
    inventory.attach_mac(record, s.mac, "", s.seen);
    if (inventory.assign_ip(record, s.mac, s.ip, seen_via, s.seen)) ++summary.ip_moves;
    // The scanner's vendor lookup is the best we have, but an agent-reported device keeps what it knows.
    if (record.vendor.empty() || !record.agent) {
      if (!s.vendor.empty()) record.vendor = s.vendor;
    }
    record.raspberry_pi = record.raspberry_pi || s.raspberry_pi;
    record.last_seen = std::max(record.last_seen, s.seen);
    if (is_fleet_member(record)) give_alias(inventory, record, s.seen);
    if (created)
      ++summary.new_devices;
    else
      ++summary.updated;
  }
  return summary;
}

MergeSummary merge_scan_into_inventory(const std::filesystem::path& file, const std::vector<ScanSighting>& sightings,
                                       const std::string& interface_name) {
  MergeSummary summary;
  update_inventory_file(file, [&](Inventory& inventory) { summary = merge_scan(inventory, sightings, interface_name); });
  return summary;
}

}  // namespace pifind
