// Gratuitous ARP seen during a scan: which MAC announced which scanned address, bounded so a flood of
// announcements from invented MACs costs counts, not memory. Never a source of hosts, only of warnings.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"
#include "scanner/scan_result.h"

namespace pifind {

class ArpClaimLog {
 public:
  /// At most `max_pairs` distinct (IP, MAC) claims are kept; further ones are only counted.
  explicit ArpClaimLog(std::size_t max_pairs = 256) : max_pairs_(max_pairs) {}

  /// A gratuitous ARP from `mac` announcing `ip`.
  void add(Ipv4Address ip, MacAddress mac);

  /// Claims whose MAC is not among those that answered for the same IP in `hosts` (sorted by IP, MAC).
  /// A host announcing its own address is no news and is left out.
  std::vector<ArpClaim> foreign_claims(const std::vector<HostEntry>& hosts) const;

  /// Announcements from claims beyond max_pairs, not kept.
  std::uint64_t over_cap() const { return over_cap_; }

 private:
  std::size_t max_pairs_;
  std::map<std::pair<Ipv4Address, MacAddress>, std::uint32_t> frames_;
  std::uint64_t over_cap_ = 0;
};

}  // namespace pifind
