// DNS messages on the wire (RFC 1035) as far as pifind's name lookups need them: PTR queries for
// in-addr.arpa names, and a decoder for replies that trusts nothing a hostile LAN may send.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/core/ipv4_address.h"

namespace pifind {

inline constexpr std::uint16_t dns_type_cname = 5;
inline constexpr std::uint16_t dns_type_ptr = 12;
inline constexpr std::uint16_t dns_class_in = 1;
inline constexpr std::uint8_t dns_rcode_nxdomain = 3;

/// A domain name as its labels (raw bytes, 1 to 63 each), without the empty root label.
using DnsName = std::vector<std::string>;

struct DnsQuestion {
  DnsName name;
  std::uint16_t type = 0;
  /// The class without mDNS's top bit (the "QU" unicast-response request).
  std::uint16_t klass = 0;
};

struct DnsRecord {
  DnsName name;
  std::uint16_t type = 0;
  /// The class without mDNS's top bit (cache-flush).
  std::uint16_t klass = 0;
  std::uint32_t ttl_s = 0;
  /// For PTR and CNAME records, the name the data holds (decompressed); empty for other types.
  DnsName target;
};

struct DnsMessage {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::vector<DnsQuestion> questions;
  /// The answer section only: authority and additional records are not read.
  std::vector<DnsRecord> answers;

  bool is_response() const { return (flags & 0x8000) != 0; }
  std::uint8_t opcode() const { return static_cast<std::uint8_t>((flags >> 11) & 0x0f); }
  bool truncated() const { return (flags & 0x0200) != 0; }
  std::uint8_t rcode() const { return static_cast<std::uint8_t>(flags & 0x000f); }
};

enum class DnsDecodeError {
  kTruncated,       ///< shorter than its header, counts or lengths announce
  kBadLabel,        ///< a label type other than a length or a compression pointer (0x40, 0x80)
  kPointerLoop,     ///< a compression pointer not strictly before the previous one's target
  kNameTooLong,     ///< a name over 255 bytes on the wire
  kTooManyRecords,  ///< more than max_dns_records questions or answers
  kBadRdata,        ///< a PTR or CNAME whose name does not fill its data exactly
};
inline constexpr std::size_t dns_decode_error_count = 6;
/// The most questions, and the most answers, a reply may carry; a PTR answer has one or two.
inline constexpr std::size_t max_dns_records = 32;

std::string_view to_string(DnsDecodeError error);

struct DnsDecodeResult {
  std::optional<DnsMessage> message;
  DnsDecodeError error = DnsDecodeError::kTruncated;  ///< meaningful only without a message
};

/// Decodes one message. Never reads past `bytes`; each compression pointer must point strictly before
/// the name it ends (for the first) or the previous pointer's target, so every name ends.
DnsDecodeResult decode_dns_message(std::span<const std::uint8_t> bytes);

/// A query with one question, and the RD (recursion desired) bit for a unicast resolver, not for mDNS.
std::vector<std::uint8_t> encode_dns_query(std::uint16_t id, const DnsQuestion& question, bool recursion_desired);

/// The reverse-lookup name of `address`: 1.2.3.4 -> 4.3.2.1.in-addr.arpa (RFC 1035 section 3.5).
DnsName reverse_pointer_name(Ipv4Address address);

/// The address a reverse-lookup name stands for (4.3.2.1.in-addr.arpa -> 1.2.3.4), if it is one.
std::optional<Ipv4Address> address_of_reverse_name(const DnsName& name);

/// Equal names, ASCII letters compared without case (RFC 4343).
bool same_dns_name(const DnsName& a, const DnsName& b);

/// The name printed as a host name ("pi-rack-1.local"), or nothing when it could mislead a reader or a
/// parser: an empty name, or a label with other than letters, digits, '-', '_' and printable UTF-8.
std::optional<std::string> printable_host_name(const DnsName& name);

}  // namespace pifind
