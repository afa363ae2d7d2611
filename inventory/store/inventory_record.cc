#include "inventory/store/inventory_record.h"

#include <algorithm>
#include <utility>

namespace pifind {

std::optional<Ipv4Address> InventoryRecord::current_ip() const {
  const IpAssignment* best = nullptr;
  for (const auto& a : ips)
    if (a.current && (!best || a.last_seen > best->last_seen)) best = &a;
  if (!best) return std::nullopt;
  return best->ip;
}

InterfaceMac* InventoryRecord::find_mac(const MacAddress& mac) {
  for (auto& m : macs)
    if (m.mac == mac) return &m;
  return nullptr;
}

const InterfaceMac* InventoryRecord::find_mac(const MacAddress& mac) const {
  for (const auto& m : macs)
    if (m.mac == mac) return &m;
  return nullptr;
}

std::string InventoryRecord::name() const {
  if (!hostname.empty()) return hostname;
  return seen_name ? seen_name->name : std::string();
}

std::optional<NameOrigin> InventoryRecord::name_origin() const {
  if (!hostname.empty()) return NameOrigin::kAgent;
  if (seen_name && !seen_name->name.empty()) return seen_name->origin;
  return std::nullopt;
}

const ScannerState* InventoryRecord::find_scanner(const MacAddress& scanner) const {
  for (const auto& s : scanners)
    if (s.id == scanner) return &s;
  return nullptr;
}

ScannerState* InventoryRecord::find_scanner(const MacAddress& scanner) {
  return const_cast<ScannerState*>(std::as_const(*this).find_scanner(scanner));
}

ScannerState& InventoryRecord::scanner_for(const MacAddress& scanner, std::optional<ScannerState>* evicted) {
  for (auto& s : scanners)
    if (s.id == scanner) return s;
  if (scanners.size() >= kScannersPerDevice) {
    const auto oldest = std::min_element(scanners.begin(), scanners.end(), [](const ScannerState& a, const ScannerState& b) {
      return a.last_scan < b.last_scan;
    });
    if (evicted) *evicted = std::move(*oldest);
    scanners.erase(oldest);
  }
  ScannerState& added = scanners.emplace_back();
  added.id = scanner;
  return added;
}

void InventoryRecord::add_drift_sample(const DriftSample& sample) {
  drift_history.push_back(sample);
  if (drift_history.size() > kDriftHistoryLimit)
    drift_history.erase(drift_history.begin(),
                        drift_history.begin() + static_cast<std::ptrdiff_t>(drift_history.size() - kDriftHistoryLimit));
}

}  // namespace pifind

namespace pifind {

const char* pinned_by_name(PinnedBy how) { return how == PinnedBy::kOperator ? "operator" : "first-use"; }

const char* sender_kind_name(SenderKind kind) { return kind == SenderKind::kScanner ? "scanner" : "agent"; }

void InventoryRecord::note_conflict(const std::string& kind, const std::string& value, const MacAddress& owner,
                                    TimePoint seen) {
  for (auto& c : conflicts)
    if (c.kind == kind && c.value == value && c.owner == owner) {
      c.last_seen = std::max(c.last_seen, seen);
      return;
    }
  conflicts.push_back({kind, value, owner, seen, seen});
  if (conflicts.size() > kConflictsLimit) conflicts.erase(conflicts.begin());
}

}  // namespace pifind
