// An IPv4 address as a host-order integer, with strict dotted-quad parsing and printing.
// Scan targets, ARP fields and inventory records all carry this, never a bare string.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pifind {

class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(std::uint32_t host_order) : value_(host_order) {}

  /// Exactly four decimal octets 0-255 separated by dots ("10.0.0.1"); no leading '+', no spaces,
  /// no octal or hex forms (inet_aton's "010.1" surprises). Returns nothing otherwise.
  static std::optional<Ipv4Address> parse(std::string_view text);

  std::string to_string() const;
  /// Host byte order: 10.0.0.1 is 0x0a000001.
  constexpr std::uint32_t value() const { return value_; }

  auto operator<=>(const Ipv4Address&) const = default;

 private:
  std::uint32_t value_ = 0;
};

/// The netmask of a prefix length 0-32, host order (24 -> 0xffffff00).
constexpr std::uint32_t netmask_of(int prefix_length) {
  return prefix_length <= 0 ? 0u : prefix_length >= 32 ? 0xffffffffu : ~0u << (32 - prefix_length);
}

}  // namespace pifind

template <>
struct std::hash<pifind::Ipv4Address> {
  std::size_t operator()(const pifind::Ipv4Address& ip) const noexcept {
    return std::hash<std::uint32_t>{}(ip.value());
  }
};
