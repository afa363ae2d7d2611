// Broken ARP replies for the hostile-LAN tests: every way a reply from a scanned address can be
// unusable (cut short, another hardware or protocol, another operation, an impossible sender MAC).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scanner/arp_frame.h"

namespace pifind::test {

struct BrokenFrame {
  /// The reason pifind must count it under (the ArpDecodeError's enumerator name).
  std::string reason;
  std::vector<std::uint8_t> bytes;
};

/// Thirteen broken variants of `reply`: 3 truncated (22, 34 and 41 bytes, unpadded as on a veth; the
/// Linux bridge drops frames under 22 bytes before any socket sees them),
/// 4 with another hardware type, protocol type, hardware or protocol length, 3 with operations 0, 3
/// and 9, and 3 with a zero, broadcast or multicast sender MAC. All but the truncated ones are padded
/// to 60 bytes.
std::vector<BrokenFrame> broken_variants(const ArpFrame& reply);

}  // namespace pifind::test
