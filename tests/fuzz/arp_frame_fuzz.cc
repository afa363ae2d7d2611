// libFuzzer target: decode_arp_frame() on any bytes pcap may hand the scanner. An accepted frame must
// encode back to the bytes it was read from (802.1Q priority bits aside) and decode to itself again.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "scanner/arp_frame.h"
#include "tests/fuzz/fuzz_check.h"

using namespace pifind;
using pifind::fuzz::require;

namespace {

bool same(const ArpFrame& a, const ArpFrame& b) {
  return a.ethernet_destination == b.ethernet_destination && a.ethernet_source == b.ethernet_source &&
         a.vlan == b.vlan && a.operation == b.operation && a.sender_mac == b.sender_mac &&
         a.sender_ip == b.sender_ip && a.target_mac == b.target_mac && a.target_ip == b.target_ip;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ArpDecodeResult decoded = decode_arp_frame(std::span<const std::uint8_t>(data, size));
  if (!decoded.frame) {
    require(!to_string(decoded.error).empty(), "every decode error has a name");
    return 0;
  }
  const ArpFrame& frame = *decoded.frame;
  const std::vector<std::uint8_t> encoded = encode_arp_frame(frame);
  require(encoded.size() == (frame.vlan ? 46u : 42u), "encoded frame is 42 bytes, 46 with a VLAN tag");
  require(encoded.size() <= size, "an accepted frame is at least as long as its encoding");
  std::vector<std::uint8_t> read(data, data + encoded.size());
  if (frame.vlan) read[14] &= 0x0f;  // the decoder keeps the VLAN id, not the priority and DEI bits
  require(encoded == read, "encode(decode(bytes)) equals the bytes decoded");
  const ArpDecodeResult again = decode_arp_frame(encoded);
  require(again.frame && same(*again.frame, frame), "decode(encode(frame)) equals frame");
  return 0;
}
