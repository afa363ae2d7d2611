// Merging a scan's (MAC, IP) sightings into the inventory: new devices, refreshed addresses, and IPs that
// DHCP moved to another MAC (the old holder keeps its history, marked not current); the names scans found,
// with their precedence; the site. A sighting only adds: what an agent reported about its own device (its
// hostname, model, serial, clock) is never overwritten. Nothing is deleted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"
#include "inventory/protocol/scan_report.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/inventory.h"

namespace pifind {

/// One host that answered a scan, dated.
struct ScanSighting {
  MacAddress mac;
  Ipv4Address ip;
  std::string vendor;
  bool raspberry_pi = false;
  std::chrono::system_clock::time_point seen;
  /// The host's name as the scan looked it up ("" for none), and where from (kMdns or kDns).
  std::string name;
  std::optional<NameOrigin> name_origin;
  /// The scanning interface it answered on; "" for the merge's `interface_name`.
  std::string interface_name;
};

/// What a merge changed.
struct MergeSummary {
  std::size_t new_devices = 0, updated = 0, ip_moves = 0;
};

/// Merges sightings into an inventory in memory. Each address is recorded as seen via "scan:<interface>" at
/// `site` ("" for none), which becomes the device's site. A name replaces the device's seen name unless that
/// one ranks higher (mDNS over reverse DNS); no name leaves it. Multicast, broadcast and all-zero MACs are
/// ignored (they are not devices).
MergeSummary merge_scan(Inventory& inventory, const std::vector<ScanSighting>& sightings,
                        const std::string& interface_name, const std::string& site = {});

/// Merges one scan's sightings into the inventory file under its lock (creating it if absent); throws Error.
MergeSummary merge_scan_into_inventory(const std::filesystem::path& file, const std::vector<ScanSighting>& sightings,
                                       const std::string& interface_name, const std::string& site = {});

/// The counter of the last scan accepted from `scanner` (also when its device was pruned), if known.
inline std::optional<std::uint64_t> last_scan_counter(const Inventory& inventory, const MacAddress& scanner) {
  return last_accepted_counter(inventory, SenderKind::kScanner, scanner);
}

/// Merges a scan report (verified and validated; counter 0 for a local --inventory merge, which is neither
/// admitted nor recorded) received at `received`: its sightings as merge_scan() does, at the scan's site, each
/// dated by the receiver's clock (`received` minus its age). A signed scan (counter above 0) is admitted first
/// (admit_scan(): its scanner's pinned key, `authority`'s enrolment mode, its counter), and a refused one
/// changes nothing but a pending key. An admitted one also records its scanner on the device of the scanner's
/// identity (its first interface's MAC): the last counter, time, site and interfaces, and its key on first
/// use; on a device with no agent, also the scanner's interfaces no other device holds and their addresses (an
/// agent lists its own device's interfaces). `summary` gets what the sightings changed.
Admission merge_scan_report(Inventory& inventory, const ScanReport& scan, const ReportAuthority& authority,
                            TimePoint received, MergeSummary* summary = nullptr);
/// The same for a scan without a device key, under --enroll first-use (and for a local --inventory merge).
inline Admission merge_scan_report(Inventory& inventory, const ScanReport& scan, TimePoint received,
                                   MergeSummary* summary = nullptr) {
  return merge_scan_report(inventory, scan, ReportAuthority{}, received, summary);
}

/// merge_scan_report() into the inventory file under its lock (creating it if absent); throws Error.
MergeSummary merge_scan_report_into_inventory(const std::filesystem::path& file, const ScanReport& scan,
                                              TimePoint received);

}  // namespace pifind
