#include "scanner/vendor_table.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "scanner/bounded_lines.h"
#include "scanner/error_text.h"

namespace pifind {

void VendorTable::add(const MacPrefix& prefix, VendorEntry entry) {
  auto& map = by_length_[prefix.bits()];
  if (map.empty()) {
    lengths_.push_back(prefix.bits());
    std::sort(lengths_.begin(), lengths_.end(), std::greater<>());
  }
  auto [it, inserted] = map.try_emplace(prefix.value(), entry);
  if (inserted) {
    ++size_;
  } else if (entry.raspberry_pi || !it->second.raspberry_pi) {
    it->second = std::move(entry);
  }
}

const VendorEntry* VendorTable::lookup(const MacAddress& mac) const {
  const std::uint64_t value = mac.to_u64();
  for (int bits : lengths_) {
    const auto& map = by_length_.at(bits);
    if (auto it = map.find(value & mac_mask(bits)); it != map.end()) return &it->second;
  }
  return nullptr;
}

std::string VendorTable::vendor_name(const MacAddress& mac) const {
  if (const VendorEntry* entry = lookup(mac)) return entry->vendor;
  return mac.is_locally_administered() ? "(locally administered)" : "(unknown)";
}

bool VendorTable::is_raspberry_pi(const MacAddress& mac) const {
  const VendorEntry* entry = lookup(mac);
  return entry != nullptr && entry->raspberry_pi;
}

void add_builtin_raspberry_pi_prefixes(VendorTable& table) {
  struct Builtin {
    const char* prefix;
    const char* registrant;
  };
  // IEEE registrations held by Raspberry Pi, at their registered lengths. Debian's ieee-data and
  // arp-scan lists lack several of them, which is why pifind carries its own.
  static constexpr Builtin builtins[] = {
      {"B8:27:EB", "Raspberry Pi Foundation"},
      {"DC:A6:32", "Raspberry Pi Trading Ltd"},
      {"E4:5F:01", "Raspberry Pi Trading Ltd"},
      {"28:CD:C1", "Raspberry Pi Trading Ltd"},
      {"D8:3A:DD", "Raspberry Pi Trading Ltd"},
      {"2C:CF:67", "Raspberry Pi (Trading) Ltd"},
      {"88:A2:9E", "Raspberry Pi (Trading) Ltd"},
      {"F0:40:AF:9", "Raspberry Pi (Trading) Ltd"},     // MA-M, 28 bits
      {"8C:1F:64:34:A", "Raspberry Pi (Trading) Ltd"},  // MA-S, 36 bits
  };
  for (const auto& builtin : builtins) table.add(*MacPrefix::parse(builtin.prefix), {builtin.registrant, true});
}

namespace {

std::ifstream open_or_throw(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  return in;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The second CSV field and the third (organisation name, possibly quoted with "" escapes).
bool split_ieee_csv_line(std::string_view line, std::string_view& assignment, std::string& name) {
  const auto first_comma = line.find(',');
  if (first_comma == std::string_view::npos) return false;
  const auto second_comma = line.find(',', first_comma + 1);
  if (second_comma == std::string_view::npos) return false;
  assignment = line.substr(first_comma + 1, second_comma - first_comma - 1);
  std::string_view rest = line.substr(second_comma + 1);
  name.clear();
  if (!rest.empty() && rest.front() == '"') {
    for (std::size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] == '"') {
        if (i + 1 < rest.size() && rest[i + 1] == '"') {
          name += '"';
          ++i;
        } else {
          break;
        }
      } else {
        name += rest[i];
      }
    }
  } else {
    name = std::string(rest.substr(0, rest.find(',')));
  }
  name = std::string(trim(name));
  return !name.empty();
}

bool wanted(const MacPrefix& prefix, const OuiFilter& only) {
  return only.empty() || only.count(static_cast<std::uint32_t>(prefix.value() >> 24)) != 0;
}

}  // namespace

std::size_t load_ieee_csv(VendorTable& table, const std::filesystem::path& file, const OuiFilter& only) {
  std::ifstream in = open_or_throw(file);
  std::size_t added = 0;
  std::string line, name;
  while (std::getline(in, line)) {
    std::string_view assignment;
    if (!split_ieee_csv_line(line, assignment, name)) continue;
    const auto prefix = MacPrefix::parse(assignment);
    if (!prefix || assignment.size() < 6) continue;  // the header row, or damage
    if (!wanted(*prefix, only)) continue;
    table.add(*prefix, {name, false});
    ++added;
  }
  return added;
}

std::size_t load_arp_scan_oui(VendorTable& table, const std::filesystem::path& file, const OuiFilter& only) {
  std::ifstream in = open_or_throw(file);
  std::size_t added = 0;
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view view = trim(line);
    if (view.empty() || view.front() == '#') continue;
    const auto tab = view.find_first_of("\t ");
    if (tab == std::string_view::npos) continue;
    const auto prefix = MacPrefix::parse(view.substr(0, tab));
    const std::string_view name = trim(view.substr(tab));
    if (!prefix || prefix->bits() < 24 || name.empty() || !wanted(*prefix, only)) continue;
    table.add(*prefix, {std::string(name), false});
    ++added;
  }
  return added;
}

std::size_t load_pi_prefix_file(VendorTable& table, const std::filesystem::path& file) {
  std::ifstream in = open_or_throw(file);
  BoundedLineReader lines(in, file.string(), pi_prefix_file_limits,
                          "--oui-file lists extra Raspberry Pi prefixes, not a vendor registry "
                          "(pifind reads the installed registries itself)");
  std::size_t added = 0;
  std::string line;
  while (lines.next(line)) {
    std::string_view view = trim(line);
    if (const auto hash = view.find('#'); hash != std::string_view::npos) view = trim(view.substr(0, hash));
    if (view.empty()) continue;
    const auto space = view.find_first_of("\t ");
    const std::string_view prefix_text = view.substr(0, space);
    const auto prefix = MacPrefix::parse(prefix_text);
    if (!prefix) {
      throw Error(fmt::format("{}:{}: malformed MAC prefix '{}' (expected hex digits such as B8:27:EB or F0:40:AF:9)",
                              file.string(), lines.line_number(), error_excerpt(prefix_text)));
    }
    const std::string_view name = space == std::string_view::npos ? std::string_view{} : trim(view.substr(space));
    table.add(*prefix, {name.empty() ? std::string("Raspberry Pi") : std::string(name), true});
    ++added;
  }
  return added;
}

std::size_t load_installed_registries(VendorTable& table, const OuiFilter& only) {
  std::size_t added = 0;
  const std::filesystem::path ieee = "/usr/share/ieee-data";
  for (const char* csv : {"oui.csv", "mam.csv", "oui36.csv", "iab.csv"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(ieee / csv, ec)) added += load_ieee_csv(table, ieee / csv, only);
  }
  std::error_code ec;
  const std::filesystem::path arp_scan = "/usr/share/arp-scan/ieee-oui.txt";
  if (std::filesystem::is_regular_file(arp_scan, ec)) added += load_arp_scan_oui(table, arp_scan, only);
  return added;
}

}  // namespace pifind
