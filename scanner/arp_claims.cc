#include "scanner/arp_claims.h"

#include <algorithm>

namespace pifind {

void ArpClaimLog::add(Ipv4Address ip, MacAddress mac) {
  const auto it = frames_.find({ip, mac});
  if (it != frames_.end()) {
    if (it->second < UINT32_MAX) ++it->second;
  } else if (frames_.size() < max_pairs_) {
    frames_.emplace(std::pair{ip, mac}, 1);
  } else {
    ++over_cap_;
  }
}

std::vector<ArpClaim> ArpClaimLog::foreign_claims(const std::vector<HostEntry>& hosts) const {
  std::vector<ArpClaim> claims;
  for (const auto& [key, frames] : frames_) {
    const auto& [ip, mac] = key;
    ArpClaim claim{ip, mac, frames, {}, {}};
    bool answered_as_claimed = false;
    // hosts is sorted by IP: the ones for `ip` are contiguous.
    auto host = std::lower_bound(hosts.begin(), hosts.end(), ip, [](const HostEntry& h, Ipv4Address a) { return h.ip < a; });
    for (; host != hosts.end() && host->ip == ip; ++host) {
      claim.answered_by.push_back(host->mac);
      answered_as_claimed = answered_as_claimed || host->mac == mac;
    }
    if (!answered_as_claimed) claims.push_back(std::move(claim));
  }
  return claims;
}

}  // namespace pifind
