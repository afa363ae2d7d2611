#include "tests/lan/broken_arp_frames.h"

namespace pifind::test {
namespace {

constexpr std::size_t arp_at = 14;  // untagged

std::vector<std::uint8_t> padded(std::vector<std::uint8_t> bytes) {
  if (bytes.size() < 60) bytes.resize(60, 0);
  return bytes;
}

std::vector<std::uint8_t> with_byte(std::vector<std::uint8_t> bytes, std::size_t at, std::uint8_t value) {
  bytes.at(at) = value;
  return padded(std::move(bytes));
}

}  // namespace

std::vector<BrokenFrame> broken_variants(const ArpFrame& reply) {
  ArpFrame untagged = reply;
  untagged.vlan.reset();
  const std::vector<std::uint8_t> good = encode_arp_frame(untagged);
  std::vector<BrokenFrame> frames;
  for (std::size_t length : {22u, 34u, 41u}) {
    frames.push_back({"truncated", std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length))});
  }
  frames.push_back({"not_ethernet_ipv4", with_byte(good, arp_at + 1, 6)});       // hardware type 6 (IEEE 802)
  frames.push_back({"not_ethernet_ipv4", with_byte(good, arp_at + 2, 0x86)});    // protocol 0x8600
  frames.push_back({"not_ethernet_ipv4", with_byte(good, arp_at + 4, 8)});       // hardware length 8
  frames.push_back({"not_ethernet_ipv4", with_byte(good, arp_at + 5, 16)});      // protocol length 16
  for (std::uint8_t operation : {0, 3, 9}) frames.push_back({"unknown_operation", with_byte(good, arp_at + 7, operation)});
  for (std::uint64_t sender : {0x000000000000ULL, 0xffffffffffffULL, 0x01005e000001ULL}) {
    ArpFrame bad = untagged;
    bad.sender_mac = MacAddress::from_u64(sender);
    frames.push_back({"bad_sender", padded(encode_arp_frame(bad))});
  }
  return frames;
}

}  // namespace pifind::test
