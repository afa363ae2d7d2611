#include "scanner/scan_result.h"

#include <algorithm>

namespace pifind {

std::size_t ScanResult::raspberry_pi_count() const {
  return static_cast<std::size_t>(std::count_if(hosts.begin(), hosts.end(), [](const HostEntry& h) { return h.raspberry_pi; }));
}

bool ScanResultBuilder::add_reply(Ipv4Address ip, MacAddress mac, ScanDuration rtt, std::optional<std::uint16_t> vlan) {
  auto [it, inserted] = entries_.try_emplace({ip, mac});
  HostEntry& entry = it->second;
  ++entry.replies;
  if (inserted) {
    entry.ip = ip;
    entry.mac = mac;
    entry.rtt = rtt;
    entry.vlan = vlan;
  }
  return inserted;
}

ScanResult ScanResultBuilder::finish(std::string interface_name, ScanStats stats) const {
  ScanResult result;
  result.interface_name = std::move(interface_name);
  result.stats = stats;
  for (const auto& [key, entry] : entries_) result.hosts.push_back(entry);  // the map is ordered by (IP, MAC)
  for (std::size_t i = 0; i < result.hosts.size();) {
    std::size_t j = i;
    while (j < result.hosts.size() && result.hosts[j].ip == result.hosts[i].ip) ++j;
    if (j - i > 1) {
      IpConflict conflict{result.hosts[i].ip, {}};
      for (std::size_t k = i; k < j; ++k) conflict.macs.push_back(result.hosts[k].mac);
      result.conflicts.push_back(std::move(conflict));
    }
    i = j;
  }
  return result;
}

}  // namespace pifind
