#include "scanner/mac_prefix.h"

#include <charconv>

#include <fmt/format.h>

namespace pifind {

MacPrefix::MacPrefix(MacAddress address, int bits) : value_(address.to_u64() & mac_mask(bits)), bits_(bits) {}

std::optional<MacPrefix> MacPrefix::parse(std::string_view text) {
  std::string_view digits_part = text;
  int bits = -1;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    digits_part = text.substr(0, slash);
    const std::string_view bits_text = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
    if (ec != std::errc() || end != bits_text.data() + bits_text.size() || bits < 1 || bits > 48) return std::nullopt;
  }
  std::uint64_t value = 0;
  int digits = 0;
  char previous = ':';
  for (char c : digits_part) {
    if (c == ':' || c == '-' || c == '.') {
      if (previous == ':' || previous == '-' || previous == '.') return std::nullopt;  // empty group
      previous = c;
      continue;
    }
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return std::nullopt;
    if (++digits > 12) return std::nullopt;
    value = value << 4 | static_cast<std::uint64_t>(v);
    previous = c;
  }
  if (digits == 0 || previous == ':' || previous == '-' || previous == '.') return std::nullopt;
  const int given_bits = digits * 4;
  if (bits < 0) bits = given_bits;
  if (bits > given_bits) return std::nullopt;
  return MacPrefix(MacAddress::from_u64(value << (48 - given_bits)), bits);
}

bool MacPrefix::contains(const MacAddress& mac) const { return (mac.to_u64() & mac_mask(bits_)) == value_; }

std::string MacPrefix::to_string() const {
  const MacAddress address = MacAddress::from_u64(value_);
  if (bits_ == 24) return address.to_string().substr(0, 8) + "/24";
  return fmt::format("{}/{}", address.to_string(), bits_);
}

}  // namespace pifind
