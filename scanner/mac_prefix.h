// A MAC address prefix of any length (24-bit MA-L, 28-bit MA-M, 36-bit MA-S, ...) and membership tests.
// The key of the vendor table and of the Raspberry Pi recognition table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "inventory/core/mac_address.h"

namespace pifind {

class MacPrefix {
 public:
  /// `bits` is 1-48; address bits past it are cleared.
  MacPrefix(MacAddress address, int bits);

  /// Hex digits with optional ':', '-' or '.' separators and an optional "/bits" suffix:
  /// "B8:27:EB", "F0:40:AF:9" (28 bits: four bits per digit), "8C1F6434A", "8c:1f:64:34:a0:00/36".
  /// Returns nothing when malformed, or when "/bits" is longer than the digits given.
  static std::optional<MacPrefix> parse(std::string_view text);

  bool contains(const MacAddress& mac) const;
  int bits() const { return bits_; }
  /// The prefix bits left-aligned in 48 bits, the rest zero.
  std::uint64_t value() const { return value_; }
  /// "b8:27:eb/24", "f0:40:af:90:00:00/28".
  std::string to_string() const;

  bool operator==(const MacPrefix&) const = default;

 private:
  std::uint64_t value_ = 0;
  int bits_ = 0;
};

/// The 48-bit mask of a prefix length.
constexpr std::uint64_t mac_mask(int bits) {
  return bits <= 0 ? 0 : bits >= 48 ? 0xffffffffffffULL : (0xffffffffffffULL << (48 - bits)) & 0xffffffffffffULL;
}

}  // namespace pifind
