#include "scanner/arp_frame.h"

namespace pifind {
namespace {

constexpr std::size_t ethernet_header_bytes = 14;
constexpr std::size_t vlan_tag_bytes = 4;
constexpr std::size_t arp_ipv4_bytes = 28;
constexpr std::uint16_t ethertype_arp = 0x0806;
constexpr std::uint16_t ethertype_vlan = 0x8100;

std::uint16_t read_u16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

MacAddress read_mac(std::span<const std::uint8_t> bytes, std::size_t at) {
  MacAddress::Bytes mac{};
  for (std::size_t i = 0; i < mac.size(); ++i) mac[i] = bytes[at + i];
  return MacAddress(mac);
}

Ipv4Address read_ipv4(std::span<const std::uint8_t> bytes, std::size_t at) {
  return Ipv4Address(static_cast<std::uint32_t>(bytes[at]) << 24 | static_cast<std::uint32_t>(bytes[at + 1]) << 16 |
                     static_cast<std::uint32_t>(bytes[at + 2]) << 8 | bytes[at + 3]);
}

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_mac(std::vector<std::uint8_t>& out, const MacAddress& mac) {
  out.insert(out.end(), mac.bytes().begin(), mac.bytes().end());
}
void put_ipv4(std::vector<std::uint8_t>& out, Ipv4Address ip) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(ip.value() >> shift));
}

ArpDecodeResult failure(ArpDecodeError error) { return {std::nullopt, error}; }

}  // namespace

std::string_view to_string(ArpDecodeError error) {
  switch (error) {
    case ArpDecodeError::kTruncated: return "truncated";
    case ArpDecodeError::kNotArp: return "not ARP";
    case ArpDecodeError::kNotEthernetIpv4: return "not Ethernet/IPv4 ARP";
    case ArpDecodeError::kUnknownOperation: return "unknown ARP operation";
    case ArpDecodeError::kBadSender: return "bad sender MAC";
  }
  return "unknown";
}

ArpDecodeResult decode_arp_frame(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < ethernet_header_bytes) return failure(ArpDecodeError::kTruncated);
  ArpFrame frame;
  frame.ethernet_destination = read_mac(bytes, 0);
  frame.ethernet_source = read_mac(bytes, 6);
  std::size_t at = 12;
  std::uint16_t ethertype = read_u16(bytes, at);
  if (ethertype == ethertype_vlan) {
    if (bytes.size() < ethernet_header_bytes + vlan_tag_bytes) return failure(ArpDecodeError::kTruncated);
    frame.vlan = static_cast<std::uint16_t>(read_u16(bytes, at + 2) & 0x0fff);
    at += vlan_tag_bytes;
    ethertype = read_u16(bytes, at);
  }
  if (ethertype != ethertype_arp) return failure(ArpDecodeError::kNotArp);
  at += 2;
  if (bytes.size() < at + 8) return failure(ArpDecodeError::kTruncated);
  const std::uint16_t hardware_type = read_u16(bytes, at);
  const std::uint16_t protocol_type = read_u16(bytes, at + 2);
  const std::uint8_t hardware_length = bytes[at + 4];
  const std::uint8_t protocol_length = bytes[at + 5];
  const std::uint16_t operation = read_u16(bytes, at + 6);
  if (hardware_type != 1 || protocol_type != 0x0800 || hardware_length != 6 || protocol_length != 4) {
    return failure(ArpDecodeError::kNotEthernetIpv4);
  }
  if (bytes.size() < at + arp_ipv4_bytes) return failure(ArpDecodeError::kTruncated);
  if (operation != 1 && operation != 2) return failure(ArpDecodeError::kUnknownOperation);
  frame.operation = static_cast<ArpOperation>(operation);
  frame.sender_mac = read_mac(bytes, at + 8);
  // The group bit covers broadcast and multicast.
  if (frame.sender_mac.is_zero() || (frame.sender_mac.bytes()[0] & 0x01) != 0) return failure(ArpDecodeError::kBadSender);
  frame.sender_ip = read_ipv4(bytes, at + 14);
  frame.target_mac = read_mac(bytes, at + 18);
  frame.target_ip = read_ipv4(bytes, at + 24);
  return {frame, ArpDecodeError::kTruncated};
}

std::vector<std::uint8_t> encode_arp_frame(const ArpFrame& frame) {
  std::vector<std::uint8_t> out;
  out.reserve(ethernet_header_bytes + vlan_tag_bytes + arp_ipv4_bytes);
  put_mac(out, frame.ethernet_destination);
  put_mac(out, frame.ethernet_source);
  if (frame.vlan) {
    put_u16(out, ethertype_vlan);
    put_u16(out, *frame.vlan);
  }
  put_u16(out, ethertype_arp);
  put_u16(out, 1);
  put_u16(out, 0x0800);
  out.push_back(6);
  out.push_back(4);
  put_u16(out, static_cast<std::uint16_t>(frame.operation));
  put_mac(out, frame.sender_mac);
  put_ipv4(out, frame.sender_ip);
  put_mac(out, frame.target_mac);
  put_ipv4(out, frame.target_ip);
  return out;
}

}  // namespace pifind
