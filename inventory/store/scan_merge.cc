#include "inventory/store/scan_merge.h"

#include <algorithm>
#include <cmath>

#include "inventory/protocol/report.h"
#include "inventory/store/host_alias.h"
#include "inventory/store/inventory_file.h"

namespace pifind {
namespace {

// A name found now replaces the one kept unless that one ranks higher; the same name is refreshed.
void merge_name(InventoryRecord& record, const ScanSighting& s) {
  if (!s.name_origin || *s.name_origin == NameOrigin::kAgent || !is_clean_text(s.name, kMaxHostNameBytes) ||
      s.name.empty())
    return;
  if (record.seen_name && record.seen_name->origin > *s.name_origin) return;
  if (record.seen_name && record.seen_name->name == s.name && record.seen_name->origin == *s.name_origin) {
    record.seen_name->last_seen = std::max(record.seen_name->last_seen, s.seen);
    return;
  }
  if (record.seen_name && record.seen_name->origin == *s.name_origin && record.seen_name->last_seen > s.seen) return;
  record.seen_name = SeenName{s.name, *s.name_origin, s.seen};
}

// The scanner's own device: its first interface's MAC. On a device with no agent, also its other interfaces
// unless another device holds them (a scan speaks for its sightings and its scanner, never for another device);
// an agent's device keeps the interfaces its agent listed, whose addresses the scan refreshes as a sighting would.
void record_scanner(Inventory& inventory, const ScanReport& scan, const ReportAuthority& authority, TimePoint received) {
  InventoryRecord& self = inventory.record_for_mac(scan.scanner_id, received);
  std::vector<std::string> interfaces;
  for (const auto& i : scan.interfaces) {
    interfaces.push_back(i.name);
    const InventoryRecord* owner = inventory.find_by_mac(i.mac);
    if ((owner && owner != &self) || (!owner && self.agent)) continue;
    inventory.attach_mac(self, i.mac, self.agent ? "" : i.name, received);
    if (i.address) inventory.assign_ip(self, i.mac, *i.address, "scanner", received, scan.site);
  }
  ScannerState& state = inventory.scanner_for(self, scan.scanner_id, received);
  state.last_counter = std::max(state.last_counter, scan.counter);
  state.last_scan = received;
  state.site = scan.site;
  state.interfaces = std::move(interfaces);
  record_scanner_key(inventory, state, authority, received);
  if (!scan.site.empty()) self.site = scan.site;
  self.last_seen = std::max(self.last_seen, received);
}

}  // namespace

MergeSummary merge_scan(Inventory& inventory, const std::vector<ScanSighting>& sightings,
                        const std::string& interface_name, const std::string& site) {
  MergeSummary summary;
  for (const auto& s : sightings) {
    if (s.mac.is_zero() || s.mac.is_multicast()) continue;
    bool created = false;
    InventoryRecord& record = inventory.record_for_mac(s.mac, s.seen, &created);
    inventory.attach_mac(record, s.mac, "", s.seen);
    const std::string seen_via = "scan:" + (s.interface_name.empty() ? interface_name : s.interface_name);
    if (inventory.assign_ip(record, s.mac, s.ip, seen_via, s.seen, site)) ++summary.ip_moves;
    // The scanner's vendor lookup is the best we have, but an agent-reported device keeps what it knows.
    if (record.vendor.empty() || !record.agent) {
      if (!s.vendor.empty()) record.vendor = s.vendor;
    }
    record.raspberry_pi = record.raspberry_pi || s.raspberry_pi;
    merge_name(record, s);
    // The device is where it was seen last: a sighting older than the last one leaves the site alone.
    if (s.seen >= record.last_seen || record.site.empty()) record.site = site;
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
                                       const std::string& interface_name, const std::string& site) {
  MergeSummary summary;
  update_inventory_file(file,
                        [&](Inventory& inventory) { summary = merge_scan(inventory, sightings, interface_name, site); });
  return summary;
}

Admission merge_scan_report(Inventory& inventory, const ScanReport& scan, const ReportAuthority& authority,
                            TimePoint received, MergeSummary* summary) {
  Admission admission;
  if (scan.counter != 0) {
    admission = admit_scan(inventory, scan, authority, received);
    if (!admission.admitted()) return admission;
  }
  std::vector<ScanSighting> sightings;
  sightings.reserve(scan.sightings.size());
  for (const auto& h : scan.sightings) {
    const auto age = std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(h.age_s));
    sightings.push_back({h.mac, h.ip, h.vendor, h.raspberry_pi, received - age, h.name, h.name_origin, h.interface_name});
  }
  const MergeSummary merged = merge_scan(inventory, sightings, "", scan.site);
  if (summary) *summary = merged;
  // A signed scan's counter lives on its scanner's device; a file merge (no counter) records no scanner.
  if (scan.counter != 0) record_scanner(inventory, scan, authority, received);
  return admission;
}

MergeSummary merge_scan_report_into_inventory(const std::filesystem::path& file, const ScanReport& scan,
                                              TimePoint received) {
  MergeSummary summary;
  update_inventory_file(file, [&](Inventory& inventory) { merge_scan_report(inventory, scan, received, &summary); });
  return summary;
}

}  // namespace pifind
