// A 48-bit Ethernet MAC address: parsing from the notations people and tools use, canonical printing.
// The identity of every device pifind knows (scan replies, agent interfaces, inventory records).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pifind {

class MacAddress {
 public:
  using Bytes = std::array<std::uint8_t, 6>;

  /// 00:00:00:00:00:00.
  constexpr MacAddress() = default;
  constexpr explicit MacAddress(const Bytes& bytes) : bytes_(bytes) {}

  /// Accepts aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff and aabbccddeeff, any case.
  /// Returns nothing for anything else (wrong length, stray characters, a missing octet).
  static std::optional<MacAddress> parse(std::string_view text);
  /// The address whose low 48 bits are `value` (first octet most significant).
  static MacAddress from_u64(std::uint64_t value);

  /// Lowercase, colon-separated: "b8:27:eb:00:11:22".
  std::string to_string() const;
  /// The 48 bits as an integer, first octet most significant.
  std::uint64_t to_u64() const;
  const Bytes& bytes() const { return bytes_; }

  bool is_zero() const { return to_u64() == 0; }
  bool is_broadcast() const { return to_u64() == 0xffffffffffffULL; }
  /// The I/G bit: group addresses never identify a device.
  bool is_multicast() const { return (bytes_[0] & 0x01) != 0; }
  /// The U/L bit: set on randomised and other locally administered addresses.
  bool is_locally_administered() const { return (bytes_[0] & 0x02) != 0; }

  auto operator<=>(const MacAddress&) const = default;

 private:
  Bytes bytes_{};
};

}  // namespace pifind

template <>
struct std::hash<pifind::MacAddress> {
  std::size_t operator()(const pifind::MacAddress& mac) const noexcept {
    return std::hash<std::uint64_t>{}(mac.to_u64());
  }
};
