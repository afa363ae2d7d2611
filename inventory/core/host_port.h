// "host", "host:port", "[IPv6]:port" or a bare IPv6 address, as users write servers and listen addresses: the one
// parser behind the agent's --server and --ntp-server and the collector's --listen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pifind {

struct HostPort {
  /// A name or an address as written, IPv6 without its brackets. Never empty.
  std::string host;
  std::uint16_t port = 0;

  /// Parses `text`. An IPv6 address with a port is written in brackets ("[fe80::1]:123"); more than one ':'
  /// without brackets is an IPv6 address alone. Without a port, `default_port`, or an error if there is none.
  /// Throws pifind::Error, one line, starting "<what> '<text>'" (text cut to 80 bytes).
  static HostPort parse(std::string_view text, std::optional<std::uint16_t> default_port, std::string_view what);
};

}  // namespace pifind
