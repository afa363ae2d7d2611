#include "inventory/core/mac_address.h"

#include <fmt/format.h>

namespace pifind {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads exactly 12 hex digits, allowing `separator` only at the positions `group` apart.
std::optional<MacAddress> parse_grouped(std::string_view text, char separator, std::size_t group) {
  const std::size_t groups = 12 / group;
  if (text.size() != 12 + (groups - 1)) return std::nullopt;
  std::uint64_t value = 0;
  std::size_t digits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool separator_position = (i + 1) % (group + 1) == 0;
    if (separator_position) {
      if (text[i] != separator) return std::nullopt;
      continue;
    }
    const int v = hex_value(text[i]);
    if (v < 0) return std::nullopt;
    value = value << 4 | static_cast<std::uint64_t>(v);
    ++digits;
  }
  if (digits != 12) return std::nullopt;
  return MacAddress::from_u64(value);
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  switch (text.size()) {
    case 17:
      return parse_grouped(text, text[2] == '-' ? '-' : ':', 2);
    case 14:
      return parse_grouped(text, '.', 4);
    case 12: {
      std::uint64_t value = 0;
      for (char c : text) {
        const int v = hex_value(c);
        if (v < 0) return std::nullopt;
        value = value << 4 | static_cast<std::uint64_t>(v);
      }
      return from_u64(value);
    }
    default:
      return std::nullopt;
  }
}

MacAddress MacAddress::from_u64(std::uint64_t value) {
  Bytes bytes{};
  for (int i = 5; i >= 0; --i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  return MacAddress(bytes);
}

std::uint64_t MacAddress::to_u64() const {
  std::uint64_t value = 0;
  for (std::uint8_t b : bytes_) value = value << 8 | b;
  return value;
}

std::string MacAddress::to_string() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes_[0], bytes_[1], bytes_[2], bytes_[3],
                     bytes_[4], bytes_[5]);
}

}  // namespace pifind
