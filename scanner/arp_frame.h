// Ethernet ARP frames (IPv4 over Ethernet, optionally 802.1Q-tagged): decoding what pcap captured,
// and the pure encoder the tests compare libnet's requests against.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"

namespace pifind {

enum class ArpOperation : std::uint16_t { kRequest = 1, kReply = 2 };

struct ArpFrame {
  MacAddress ethernet_destination;
  MacAddress ethernet_source;
  /// The VLAN id when the frame carried an 802.1Q tag.
  std::optional<std::uint16_t> vlan;
  ArpOperation operation = ArpOperation::kRequest;
  MacAddress sender_mac;
  Ipv4Address sender_ip;
  MacAddress target_mac;
  Ipv4Address target_ip;
};

enum class ArpDecodeError {
  kTruncated,         ///< shorter than the headers it announces
  kNotArp,            ///< another ethertype
  kNotEthernetIpv4,   ///< ARP for another hardware or protocol type, or wrong address lengths
  kUnknownOperation,  ///< neither request nor reply (RARP, InARP, garbage)
  kBadSender,         ///< the sender MAC is zero, broadcast or multicast: no station has it
};
inline constexpr std::size_t arp_decode_error_count = 5;

/// Why a frame was rejected, for the scanner's "malformed frames" counts and for tests.
std::string_view to_string(ArpDecodeError error);

struct ArpDecodeResult {
  std::optional<ArpFrame> frame;
  ArpDecodeError error = ArpDecodeError::kTruncated;  ///< meaningful only without a frame
};

/// Decodes an Ethernet II frame carrying ARP. Never reads past `bytes`; trailing bytes are padding,
/// ignored whatever they hold (Ethernet pads short frames, some cards with garbage).
ArpDecodeResult decode_arp_frame(std::span<const std::uint8_t> bytes);

/// The 42-byte frame (no padding) of `frame`, for tests and for comparing with libnet's output.
std::vector<std::uint8_t> encode_arp_frame(const ArpFrame& frame);

}  // namespace pifind
