// What a scan found: one entry per (IP, MAC), IP conflicts made explicit, and counts of everything
// else that arrived (repeats, late answers, strangers, malformed frames). Keyed by MAC, never by IP alone.
// Bounded: a flood of replies from invented MACs is counted, never kept beyond ScanResultLimits.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"
#include "scanner/arp_frame.h"
#include "scanner/host_name.h"
#include "scanner/network_interface.h"
#include "scanner/scan_clock.h"
#include "scanner/scan_rounds.h"

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
  /// The host's name, from mDNS or reverse DNS, when a lookup found one (none with -N).
  std::optional<HostName> name;
  /// The scanned interface it answered on.
  std::string interface_name;
  /// When its first reply arrived.
  ScanTime answered_at{};
};

/// One IP answered by several MACs: a misconfiguration, a spoofer, or two devices fighting over DHCP.
struct IpConflict {
  Ipv4Address ip;
  /// The MACs kept, at most ScanResultLimits::macs_per_ip.
  std::vector<MacAddress> macs;
  /// Replies from further MACs, counted but not kept (a reply flood).
  std::uint64_t replies_over_cap = 0;
  /// The interface (the segment) the conflict is on.
  std::string interface_name;
};

/// A gratuitous ARP (sender IP == target IP) by which a MAC claimed a scanned address, when that MAC
/// is not among those that answered for it: a spoofer, a conflict, or a device that just left.
struct ArpClaim {
  Ipv4Address ip;
  MacAddress mac;
  /// Gratuitous ARP frames seen from this (IP, MAC).
  std::uint32_t frames = 0;
  /// The MACs that answered our requests for `ip` (none: nothing answered there).
  std::vector<MacAddress> answered_by;
  /// The interface it was seen on.
  std::string interface_name;
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
  /// malformed_frames by ArpDecodeError, indexed by its value.
  std::array<std::uint64_t, arp_decode_error_count> malformed_by_reason{};
  /// Gratuitous ARP frames seen (announcements of any address, ours or not).
  std::uint64_t gratuitous_frames = 0;
  /// Replies from (IP, MAC) pairs beyond ScanResultLimits, counted but not kept.
  std::uint64_t replies_over_cap = 0;
  /// Frames the kernel dropped before pcap saw them.
  std::uint64_t capture_drops = 0;
  int tries_per_address = 0;
  double probe_failure_probability = 0;
  /// The ARP sweep, from the first probe to the end of the last address's time.
  double duration_s = 0;
  /// Name lookups (none asked with -N), and how long after the sweep the last of them took.
  NameLookupStats names;
  double names_wait_s = 0;
  /// Ended by SIGINT or SIGTERM (the signal's number), not by finishing.
  int interrupted_by_signal = 0;
};

struct ScanResult {
  /// The interface scanned; several joined by ',' ("eth0,wlan0") in a combined result.
  std::string interface_name;
  /// What was known of each scanned interface (its MAC and IPv4 network).
  std::vector<ScanInterface> interfaces;
  /// Sorted by IP, then MAC (then interface, in a combined result).
  std::vector<HostEntry> hosts;
  std::vector<IpConflict> conflicts;
  /// Sorted by IP, then MAC.
  std::vector<ArpClaim> claims;
  ScanStats stats;
  /// The rounds of probes, when they were tracked (-v).
  std::vector<ScanRound> rounds;

  std::size_t raspberry_pi_count() const;
};

/// One result of scans on several interfaces at once (-I eth0 -I wlan0): hosts, conflicts and claims
/// together (each tagged with its interface), counts summed, the sweep's duration and tries the largest,
/// rounds one after another. A single part is returned as it is.
ScanResult combine_scan_results(std::vector<ScanResult> parts);

/// How much of a reply flood a scan keeps. At most `max_pairs` (IP, MAC) entries in all, of which at
/// most `max_extra_macs` are second or later MACs of an IP; so with max_pairs = targets + max_extra_macs
/// every address's first answer is always kept, whatever floods the others.
struct ScanResultLimits {
  /// Distinct MACs kept for one IP; 8 is far above any real conflict.
  std::size_t macs_per_ip = 8;
  std::size_t max_extra_macs = 1024;
  std::size_t max_pairs = 65536 + 1024;
};

enum class ReplyRecord {
  kNewPair,  ///< the first reply from this (IP, MAC): kept
  kRepeat,   ///< this (IP, MAC) is already kept; its reply count grows
  kOverCap   ///< a new MAC beyond the limits: counted, not kept
};

/// Collects replies during a scan; `finish` sorts and derives the conflicts.
class ScanResultBuilder {
 public:
  explicit ScanResultBuilder(ScanResultLimits limits = {}) : limits_(limits) {}

  /// A reply from (ip, mac) at `answered_at`, with the round trip from the latest probe to `ip`.
  ReplyRecord add_reply(Ipv4Address ip, MacAddress mac, ScanDuration rtt, std::optional<std::uint16_t> vlan,
                        ScanTime answered_at = {});

  /// (IP, MAC) entries held now; never more than limits.max_pairs.
  std::size_t pairs() const { return entries_.size(); }

  /// Adds replies_over_cap to `stats`.
  ScanResult finish(std::string interface_name, ScanStats stats) const;

 private:
  struct PerIp {
    std::size_t macs = 0;
    std::uint64_t replies_over_cap = 0;
  };

  ScanResultLimits limits_;
  std::map<std::pair<Ipv4Address, MacAddress>, HostEntry> entries_;
  /// Only IPs with at least one kept MAC, so never more entries than entries_.
  std::map<Ipv4Address, PerIp> per_ip_;
  std::size_t extra_macs_ = 0;
  std::uint64_t replies_over_cap_ = 0;
};

}  // namespace pifind
