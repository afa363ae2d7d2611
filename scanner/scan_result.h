// What a scan found: one entry per (IP, MAC), IP conflicts made explicit, and counts of everything
// else that arrived (repeats, late answers, strangers, malformed frames). Keyed by MAC, never by IP alone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "inventory/ipv4_address.h"
#include "inventory/mac_address.h"
#include "scanner/scan_clock.h"

namespace pifind {

struct HostEntry {
  Ipv4Address ip;
  MacAddress mac;
  std::string vendor;
  bool raspberry_pi = false;
  /// From the latest probe sent to `ip` before its first reply.
  ScanDuration rtt{};
  /// Replies received from this (IP, MAC), the first included.
  std::uint32_t replies = 0;
  /// The VLAN id when replies came 802.1Q-tagged.
  std::optional<std::uint16_t> vlan;
};

/// One IP answered by several MACs: a misconfiguration, a spoofer, or two devices fighting over DHCP.
struct IpConflict {
  Ipv4Address ip;
  std::vector<MacAddress> macs;
};

struct ScanStats {
  std::uint64_t targets = 0;
  std::uint64_t sent = 0;
  /// ARP replies to us from probed addresses, repeats included.
  std::uint64_t received = 0;
  std::uint64_t repeated_replies = 0;
  /// First replies that came after the address's tries and answer window had run out.
  std::uint64_t late_replies = 0;
  /// Replies from addresses not probed (or not yet probed), ignored.
  std::uint64_t unsolicited_replies = 0;
  std::uint64_t malformed_frames = 0;
  /// Frames the kernel dropped before pcap saw them.
  std::uint64_t capture_drops = 0;
  int tries_per_address = 0;
  double probe_failure_probability = 0;
  double duration_s = 0;
};

struct ScanResult {
  std::string interface_name;
  /// Sorted by IP, then MAC.
  std::vector<HostEntry> hosts;
  std::vector<IpConflict> conflicts;
  ScanStats stats;

  std::size_t raspberry_pi_count() const;
};

/// Collects replies during a scan; `finish` sorts and derives the conflicts.
class ScanResultBuilder {
 public:
  /// A reply from (ip, mac), with the round trip from the latest probe to `ip`.
  /// Returns true when this (IP, MAC) had not been seen before.
  bool add_reply(Ipv4Address ip, MacAddress mac, ScanDuration rtt, std::optional<std::uint16_t> vlan);

  ScanResult finish(std::string interface_name, ScanStats stats) const;

 private:
  std::map<std::pair<Ipv4Address, MacAddress>, HostEntry> entries_;
};

}  // namespace pifind
