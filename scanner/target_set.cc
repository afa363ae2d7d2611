#include "scanner/target_set.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "scanner/bounded_lines.h"
#include "scanner/error_text.h"

namespace pifind {
namespace {

[[noreturn]] void malformed(std::string_view text, std::string_view reason) {
  throw Error(fmt::format("malformed target '{}': {}", error_excerpt(text), reason));
}

// "fd00::1", "fd00::/64", "fe80::1%eth0-fe80::9": anything that is an IPv6 address before its '/', '%'
// or '-' gets its own message rather than "not an IPv4 address".
bool is_ipv6_target(std::string_view text) {
  const std::string address(text.substr(0, text.find_first_of("/%-")));
  in6_addr parsed{};
  return address.find(':') != std::string::npos && inet_pton(AF_INET6, address.c_str(), &parsed) == 1;
}

Ipv4Address parse_address_or_throw(std::string_view whole, std::string_view part) {
  const auto address = Ipv4Address::parse(part);
  if (!address) malformed(whole, fmt::format("'{}' is not an IPv4 address", error_excerpt(part)));
  return *address;
}

// A netmask must be contiguous ones followed by zeros; returns its prefix length.
int prefix_length_of_mask(std::string_view whole, Ipv4Address mask) {
  const std::uint32_t m = mask.value();
  const int ones = static_cast<int>(__builtin_popcount(m));
  if (netmask_of(ones) != m) malformed(whole, fmt::format("{} is not a contiguous netmask", mask.to_string()));
  return ones;
}

}  // namespace

Ipv4Range host_range(Ipv4Address address, int prefix_length) {
  const std::uint32_t mask = netmask_of(prefix_length);
  const std::uint32_t network = address.value() & mask;
  const std::uint32_t broadcast = network | ~mask;
  if (prefix_length >= 31) return {Ipv4Address(network), Ipv4Address(broadcast)};
  return {Ipv4Address(network + 1), Ipv4Address(broadcast - 1)};
}

Ipv4Range parse_target(std::string_view text) {
  if (text.empty()) malformed(text, "empty");
  if (is_ipv6_target(text)) {
    throw Error(fmt::format("'{}' is IPv6: pifind finds hosts with ARP, which is IPv4 only; IPv6 is not scanned",
                            error_excerpt(text)));
  }
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    const Ipv4Address address = parse_address_or_throw(text, text.substr(0, slash));
    const std::string_view bits = text.substr(slash + 1);
    int prefix_length = -1;
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix_length);
    if (ec != std::errc() || end != bits.data() + bits.size() || prefix_length < 0 || prefix_length > 32) {
      malformed(text, "the prefix length must be 0-32");
    }
    return host_range(address, prefix_length);
  }
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    const Ipv4Address address = parse_address_or_throw(text, text.substr(0, colon));
    const Ipv4Address mask = parse_address_or_throw(text, text.substr(colon + 1));
    return host_range(address, prefix_length_of_mask(text, mask));
  }
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    const Ipv4Address first = parse_address_or_throw(text, text.substr(0, dash));
    const std::string_view end_text = text.substr(dash + 1);
    Ipv4Address last;
    if (end_text.find('.') == std::string_view::npos) {
      // "10.0.0.5-9": the last octet only.
      int octet = -1;
      const auto [end, ec] = std::from_chars(end_text.data(), end_text.data() + end_text.size(), octet);
      if (ec != std::errc() || end != end_text.data() + end_text.size() || octet < 0 || octet > 255) {
        malformed(text, "the range end must be an address or a last octet 0-255");
      }
      last = Ipv4Address((first.value() & 0xffffff00u) | static_cast<std::uint32_t>(octet));
    } else {
      last = parse_address_or_throw(text, end_text);
    }
    if (last < first) malformed(text, "the range ends before it starts");
    return {first, last};
  }
  const Ipv4Address address = parse_address_or_throw(text, text);
  return {address, address};
}

void TargetSet::add(const Ipv4Range& range) { ranges_.push_back(range); }

void TargetSet::add_from_stream(std::istream& in, std::string_view source) {
  BoundedLineReader lines(in, std::string(source), target_file_limits,
                          "give ranges or CIDR blocks instead of one address per line");
  std::string line;
  while (lines.next(line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::size_t pos = 0;
    while (true) {
      const auto start = line.find_first_not_of(" \t\r,", pos);
      if (start == std::string::npos) break;
      const auto end = line.find_first_of(" \t\r,", start);
      const std::string_view token = std::string_view(line).substr(start, end - start);
      try {
        add(parse_target(token));
      } catch (const Error& e) {
        throw Error(fmt::format("{}:{}: {}", source, lines.line_number(), e.what()));
      }
      if (end == std::string::npos) break;
      pos = end;
    }
  }
}

void TargetSet::exclude(Ipv4Address address) { excluded_.push_back(address); }

std::vector<Ipv4Range> TargetSet::merged() const {
  std::vector<Ipv4Range> sorted = ranges_;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Ipv4Range> out;
  for (const auto& range : sorted) {
    if (!out.empty() && std::uint64_t{range.first.value()} <= std::uint64_t{out.back().last.value()} + 1) {
      out.back().last = std::max(out.back().last, range.last);
    } else {
      out.push_back(range);
    }
  }
  return out;
}

std::uint64_t TargetSet::size() const {
  std::uint64_t total = 0;
  const auto ranges = merged();
  for (const auto& range : ranges) total += range.size();
  std::vector<Ipv4Address> excluded = excluded_;
  std::sort(excluded.begin(), excluded.end());
  excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
  for (const auto& address : excluded) {
    for (const auto& range : ranges) {
      if (range.first <= address && address <= range.last) --total;
    }
  }
  return total;
}

std::vector<Ipv4Address> TargetSet::addresses() const {
  std::vector<Ipv4Address> out;
  out.reserve(size());
  for (const auto& range : merged()) {
    for (std::uint64_t v = range.first.value(); v <= range.last.value(); ++v) {
      const Ipv4Address address(static_cast<std::uint32_t>(v));
      if (std::find(excluded_.begin(), excluded_.end(), address) == excluded_.end()) out.push_back(address);
    }
  }
  return out;
}

}  // namespace pifind
