#include "inventory/core/host_port.h"

#include <charconv>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {

HostPort HostPort::parse(std::string_view text, std::optional<std::uint16_t> default_port, std::string_view what) {
  auto fail = [&](std::string_view problem) -> HostPort {
    throw Error(fmt::format("{} '{}' {}", what, text.substr(0, 80), problem));
  };
  std::string_view host = text, port;
  bool has_port = false;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail("has an unclosed '['");
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return fail("has text after ']' that is not :PORT");
    has_port = !rest.empty();
    port = rest.substr(has_port ? 1 : 0);
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return fail("has no host");
  HostPort out{std::string(host), 0};
  if (!has_port) {
    if (!default_port) return fail("is not ADDR:PORT (an IPv6 address in brackets: [::1]:PORT)");
    out.port = *default_port;
    return out;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return fail("has no valid port (0-65535)");
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

}  // namespace pifind
