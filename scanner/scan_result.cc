#include "scanner/scan_result.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace pifind {

std::size_t ScanResult::raspberry_pi_count() const {
  return static_cast<std::size_t>(std::count_if(hosts.begin(), hosts.end(), [](const HostEntry& h) { return h.raspberry_pi; }));
}

ReplyRecord ScanResultBuilder::add_reply(Ipv4Address ip, MacAddress mac, ScanDuration rtt, std::optional<std::uint16_t> vlan,
                                         ScanTime answered_at) {
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
  entry.answered_at = answered_at;
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
  for (const auto& [key, entry] : entries_) {  // the map is ordered by (IP, MAC)
    result.hosts.push_back(entry);
    result.hosts.back().interface_name = result.interface_name;
  }
  for (std::size_t i = 0; i < result.hosts.size();) {
    std::size_t j = i;
    while (j < result.hosts.size() && result.hosts[j].ip == result.hosts[i].ip) ++j;
    const std::uint64_t over_cap = per_ip_.at(result.hosts[i].ip).replies_over_cap;
    // One kept MAC and replies from others that did not fit is a conflict all the same.
    if (j - i > 1 || over_cap > 0) {
      IpConflict conflict{result.hosts[i].ip, {}, over_cap, result.interface_name};
      for (std::size_t k = i; k < j; ++k) conflict.macs.push_back(result.hosts[k].mac);
      result.conflicts.push_back(std::move(conflict));
    }
    i = j;
  }
  return result;
}

ScanResult combine_scan_results(std::vector<ScanResult> parts) {
  if (parts.size() == 1) return std::move(parts.front());
  ScanResult all;
  for (auto& part : parts) {
    all.interface_name += (all.interface_name.empty() ? "" : ",") + part.interface_name;
    all.interfaces.insert(all.interfaces.end(), part.interfaces.begin(), part.interfaces.end());
    all.hosts.insert(all.hosts.end(), part.hosts.begin(), part.hosts.end());
    all.conflicts.insert(all.conflicts.end(), part.conflicts.begin(), part.conflicts.end());
    all.claims.insert(all.claims.end(), part.claims.begin(), part.claims.end());
    all.rounds.insert(all.rounds.end(), part.rounds.begin(), part.rounds.end());
    ScanStats& s = all.stats;
    const ScanStats& p = part.stats;
    s.targets += p.targets;
    s.sent += p.sent;
    s.received += p.received;
    s.repeated_replies += p.repeated_replies;
    s.late_replies += p.late_replies;
    s.unsolicited_replies += p.unsolicited_replies;
    s.malformed_frames += p.malformed_frames;
    for (std::size_t i = 0; i < s.malformed_by_reason.size(); ++i) s.malformed_by_reason[i] += p.malformed_by_reason[i];
    s.gratuitous_frames += p.gratuitous_frames;
    s.replies_over_cap += p.replies_over_cap;
    s.capture_drops += p.capture_drops;
    s.tries_per_address = std::max(s.tries_per_address, p.tries_per_address);
    s.probe_failure_probability = std::max(s.probe_failure_probability, p.probe_failure_probability);
    s.duration_s = std::max(s.duration_s, p.duration_s);
    s.names_wait_s = std::max(s.names_wait_s, p.names_wait_s);
    s.interrupted_by_signal = std::max(s.interrupted_by_signal, p.interrupted_by_signal);
    NameLookupStats& n = s.names;
    const NameLookupStats& q = p.names;
    for (auto [into, from] : {std::pair{&n.asked, q.asked}, {&n.mdns_names, q.mdns_names}, {&n.dns_names, q.dns_names},
                              {&n.unnamed, q.unnamed}, {&n.mdns_unicast_queries, q.mdns_unicast_queries},
                              {&n.mdns_multicast_queries, q.mdns_multicast_queries}, {&n.dns_queries, q.dns_queries},
                              {&n.mdns_refused, q.mdns_refused}, {&n.malformed_replies, q.malformed_replies},
                              {&n.rejected_replies, q.rejected_replies}})
      *into += from;
    for (std::size_t i = 0; i < n.malformed_by_reason.size(); ++i) n.malformed_by_reason[i] += q.malformed_by_reason[i];
  }
  const auto by_address = [](const auto& a, const auto& b) {
    return std::tie(a.ip, a.mac, a.interface_name) < std::tie(b.ip, b.mac, b.interface_name);
  };
  std::sort(all.hosts.begin(), all.hosts.end(), by_address);
  std::sort(all.claims.begin(), all.claims.end(), by_address);
  std::sort(all.conflicts.begin(), all.conflicts.end(),
            [](const IpConflict& a, const IpConflict& b) { return std::tie(a.ip, a.interface_name) < std::tie(b.ip, b.interface_name); });
  return all;
}

}  // namespace pifind
