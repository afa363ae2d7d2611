// An IPv6 address as its 16 bytes, parsed by inet_pton and printed in RFC 5952's canonical form, with the
// scope tests the exports need to choose an address ssh can reach (a global one, not a link-local one).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pifind {

class Ipv6Address {
 public:
  using Bytes = std::array<std::uint8_t, 16>;

  constexpr Ipv6Address() = default;
  constexpr explicit Ipv6Address(const Bytes& bytes) : bytes_(bytes) {}

  /// Any textual form inet_pton(AF_INET6) accepts ("2001:db8::1", "::ffff:10.0.0.1"), nothing else: no
  /// zone ("%eth0"), no prefix length, no brackets, no spaces.
  static std::optional<Ipv6Address> parse(std::string_view text);

  /// RFC 5952's canonical text: lower case, longest run of zero groups as "::" ("2001:db8::1").
  std::string to_string() const;
  constexpr const Bytes& bytes() const { return bytes_; }

  /// fe80::/10: only meaningful together with the interface it was seen on.
  bool is_link_local() const { return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80; }
  /// fc00::/7, unique local addresses: routed inside a site, not on the internet.
  bool is_unique_local() const { return (bytes_[0] & 0xfe) == 0xfc; }
  bool is_loopback() const;
  bool is_unspecified() const;
  /// ff00::/8.
  bool is_multicast() const { return bytes_[0] == 0xff; }
  /// ::ffff:0:0/96, an IPv4 address in IPv6 clothing.
  bool is_v4_mapped() const;

  auto operator<=>(const Ipv6Address&) const = default;

 private:
  Bytes bytes_{};
};

}  // namespace pifind

template <>
struct std::hash<pifind::Ipv6Address> {
  std::size_t operator()(const pifind::Ipv6Address& ip) const noexcept {
    std::uint64_t h = 14695981039346656037ull;  // 64-bit FNV-1a, folded to size_t (32 bits on armhf)
    for (const auto b : ip.bytes()) h = (h ^ b) * 1099511628211ull;
    return std::hash<std::uint64_t>{}(h);
  }
};
