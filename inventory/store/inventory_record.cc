#include "inventory/store/inventory_record.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace pifind {

std::optional<Ipv4Address> InventoryRecord::current_ip() const {
  const IpAssignment* best = nullptr;
  for (const auto& a : ips)
    if (a.current && (!best || a.last_seen > best->last_seen)) best = &a;
  if (!best) return std::nullopt;
  return best->ip;
}

std::optional<Ipv6Address> InventoryRecord::reachable_ipv6() const {
  const Ipv6Assignment* best = nullptr;
  // Smaller is better: global before unique local, then held longest, then the lower address (a stable tie).
  auto rank = [](const Ipv6Assignment& a) { return std::tuple(a.ip.is_unique_local(), a.first_seen, a.ip); };
  for (const auto& a : ipv6)
    if (a.current && !a.ip.is_link_local() && (!best || rank(a) < rank(*best))) best = &a;
  if (!best) return std::nullopt;
  return best->ip;
}

std::vector<Ipv6Address> InventoryRecord::current_ipv6() const {
  std::vector<Ipv6Address> current;
  for (const auto& a : ipv6)
    if (a.current) current.push_back(a.ip);
  return current;
}

void InventoryRecord::set_current_ipv6(const std::vector<std::pair<Ipv6Address, MacAddress>>& listed, TimePoint seen) {
  for (auto& a : ipv6) a.current = false;
  for (const auto& entry : listed) {
    const Ipv6Address& ip = entry.first;  // not a structured binding: clang 14 cannot capture those
    const MacAddress& mac = entry.second;
    const auto known = std::find_if(ipv6.begin(), ipv6.end(), [&](const Ipv6Assignment& a) { return a.ip == ip; });
    if (known != ipv6.end()) {
      known->mac = mac;
      known->first_seen = std::min(known->first_seen, seen);
      known->last_seen = std::max(known->last_seen, seen);
      known->current = true;
      continue;
    }
    if (ipv6.size() >= kIpv6AddressesLimit) {
      // The entry to drop: one no longer current before a current one, the least recently seen first.
      ipv6.erase(std::min_element(ipv6.begin(), ipv6.end(), [](const Ipv6Assignment& a, const Ipv6Assignment& b) {
        return std::tuple(a.current, a.last_seen) < std::tuple(b.current, b.last_seen);
      }));
    }
    ipv6.push_back({ip, mac, seen, seen, true});
  }
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
