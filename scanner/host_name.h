// A host's name as a scan reports it, where it came from, and what the lookups that found it saw.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "scanner/dns_message.h"

namespace pifind {

enum class NameSource { kMdns, kDns };

/// "mdns" or "dns", as the JSON and CSV outputs write it.
std::string_view to_string(NameSource source);

struct HostName {
  /// Printable as it is (printable_host_name): "pi-rack-1.local".
  std::string name;
  NameSource source = NameSource::kMdns;
};

struct NameLookupStats {
  std::uint64_t asked = 0;
  std::uint64_t mdns_names = 0;
  std::uint64_t dns_names = 0;
  std::uint64_t unnamed = 0;
  std::uint64_t mdns_unicast_queries = 0;
  std::uint64_t mdns_multicast_queries = 0;
  std::uint64_t dns_queries = 0;
  /// Hosts that answered a unicast mDNS query with an ICMP error (nothing listens on port 5353).
  std::uint64_t mdns_refused = 0;
  /// Replies that could not be decoded, and why (indexed by DnsDecodeError).
  std::uint64_t malformed_replies = 0;
  std::array<std::uint64_t, dns_decode_error_count> malformed_by_reason{};
  /// Replies that decoded but answered nothing asked: a wrong ID, source, question or record, or a name
  /// that is not printable.
  std::uint64_t rejected_replies = 0;
};

}  // namespace pifind
