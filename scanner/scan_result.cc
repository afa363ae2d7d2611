#include "scanner/scan_result.h"

#include <algorithm>

namespace pifind {

std::size_t ScanResult::raspberry_pi_count() const {
  return static_cast<std::size_t>(std::count_if(hosts.begin(), hosts.end(), [](const HostEntry& h) { return h.raspberry_pi; }));
}

ReplyRecord ScanResultBuilder::add_reply(Ipv4Address ip, MacAddress mac, ScanDuration rtt, std::optional<std::uint16_t> vlan) {
  if (const auto it = entries_.find({ip, mac}); it != entries_.end()) {
    ++it->second.replies;
    return ReplyRecord::kRepeat;
  }
  const auto known = per_ip_.find(ip);
  const bool first_of_ip = known == per_ip_.end();
  const bool room = entries_.size() < limits_.max_pairs &&
                    (first_of_ip || (known->second.macs < limits_.macs_per_ip && extra_macs_ < limits_.max_extra_macs));
  if (!room) {
    ++replies_over_cap_;
    if (!first_of_ip) ++known->second.replies_over_cap;
    return ReplyRecord::kOverCap;
  }
  HostEntry& entry = entries_[{ip, mac}];
  entry.ip = ip;
  entry.mac = mac;
  entry.rtt = rtt;
  entry.vlan = vlan;
  entry.replies = 1;
  ++per_ip_[ip].macs;
  if (!first_of_ip) ++extra_macs_;
  return ReplyRecord::kNewPair;
}

ScanResult ScanResultBuilder::finish(std::string interface_name, ScanStats stats) const {
  ScanResult result;
  result.interface_name = std::move(interface_name);
  result.stats = stats;
  result.stats.replies_over_cap += replies_over_cap_;
  for (const auto& [key, entry] : entries_) result.hosts.push_back(entry);  // the map is ordered by (IP, MAC)
  for (std::size_t i = 0; i < result.hosts.size();) {
    std::size_t j = i;
    while (j < result.hosts.size() && result.hosts[j].ip == result.hosts[i].ip) ++j;
    const std::uint64_t over_cap = per_ip_.at(result.hosts[i].ip).replies_over_cap;
    // One kept MAC and replies from others that did not fit is a conflict all the same.
    if (j - i > 1 || over_cap > 0) {
      IpConflict conflict{result.hosts[i].ip, {}, over_cap};
      for (std::size_t k = i; k < j; ++k) conflict.macs.push_back(result.hosts[k].mac);
      result.conflicts.push_back(std::move(conflict));
    }
    i = j;
  }
  return result;
}

}  // namespace pifind
