#include "inventory/core/ipv6_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace pifind {

std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) {
  // inet_pton needs a terminated string; nothing it accepts is longer than INET6_ADDRSTRLEN - 1.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, text.data(), text.size());
  in6_addr address{};
  if (::inet_pton(AF_INET6, buffer, &address) != 1) return std::nullopt;
  Bytes bytes{};
  std::memcpy(bytes.data(), address.s6_addr, bytes.size());
  return Ipv6Address(bytes);
}

std::string Ipv6Address::to_string() const {
  // glibc's inet_ntop follows RFC 5952 (lower case, the longest zero run shortened, a single zero group kept).
  in6_addr address{};
  std::memcpy(address.s6_addr, bytes_.data(), bytes_.size());
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, &address, text, sizeof text);
  return text;
}

bool Ipv6Address::is_loopback() const {
  return std::all_of(bytes_.begin(), bytes_.end() - 1, [](std::uint8_t b) { return b == 0; }) && bytes_[15] == 1;
}

bool Ipv6Address::is_v4_mapped() const {
  return std::all_of(bytes_.begin(), bytes_.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
         bytes_[10] == 0xff && bytes_[11] == 0xff;
}

bool Ipv6Address::is_unspecified() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace pifind
