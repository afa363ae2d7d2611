// The IPv4 addresses a scan probes, from CIDR blocks, net:mask pairs, a-b ranges and single addresses.
// Duplicates collapse; network and broadcast addresses of a CIDR block (up to /30) are skipped.
#pragma once

#include <cstdint>
#include <istream>
#include <string_view>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "scanner/bounded_lines.h"

namespace pifind {

/// An inclusive range of addresses, first <= last.
struct Ipv4Range {
  Ipv4Address first;
  Ipv4Address last;
  std::uint64_t size() const { return std::uint64_t{last.value()} - first.value() + 1; }
};

/// The hosts of a network: `address`/`prefix_length` without its network and broadcast addresses
/// (a /31 or /32 keeps every address, as RFC 3021 intends).
Ipv4Range host_range(Ipv4Address address, int prefix_length);

/// Parses one target: "10.0.0.0/24", "10.0.0.0:255.255.255.0", "10.0.0.5-10.0.0.9", "10.0.0.5-9"
/// or "10.0.0.7". Throws Error("malformed target '...': reason") otherwise.
Ipv4Range parse_target(std::string_view text);

/// A targets file (-f) is read with these bounds: a /16 written one address a line is 0.8 MiB.
inline constexpr LineLimits target_file_limits{4096, 16 << 20};

class TargetSet {
 public:
  void add(const Ipv4Range& range);
  /// Adds every whitespace-separated target of `in` ('#' starts a comment); `source` names the
  /// stream in errors ("targets.txt:3: malformed target ..."). Reads within target_file_limits.
  void add_from_stream(std::istream& in, std::string_view source);
  /// Drops one address (the scanner's own, which never answers its own ARP request).
  void exclude(Ipv4Address address);

  /// Addresses counted with duplicates collapsed.
  std::uint64_t size() const;
  bool empty() const { return size() == 0; }
  /// Every address once, in ascending order.
  std::vector<Ipv4Address> addresses() const;

 private:
  std::vector<Ipv4Range> merged() const;

  std::vector<Ipv4Range> ranges_;
  std::vector<Ipv4Address> excluded_;
};

}  // namespace pifind
