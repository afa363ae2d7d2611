// Longest-prefix lookup from MAC prefixes to vendor names, with a Raspberry Pi flag per entry.
// Filled from the built-in Pi table, the IEEE registry files when installed, and --oui-file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "scanner/bounded_lines.h"
#include "scanner/mac_prefix.h"

namespace pifind {

struct VendorEntry {
  std::string vendor;
  /// True for prefixes registered to Raspberry Pi (built in, or given with --oui-file).
  bool raspberry_pi = false;
};

class VendorTable {
 public:
  /// Adds or replaces the entry for `prefix`. A Pi entry is never replaced by a non-Pi one, so the
  /// registry files loaded after the built-in table cannot un-flag a Pi prefix.
  void add(const MacPrefix& prefix, VendorEntry entry);

  /// The entry of the longest prefix containing `mac`, or nullptr.
  const VendorEntry* lookup(const MacAddress& mac) const;

  /// The vendor to print for `mac`: the registered name, "(locally administered)" or "(unknown)".
  std::string vendor_name(const MacAddress& mac) const;
  bool is_raspberry_pi(const MacAddress& mac) const;

  std::size_t size() const { return size_; }

 private:
  // One hash map per prefix length, longest first in `lengths_`: a lookup costs one probe per length.
  std::unordered_map<int, std::unordered_map<std::uint64_t, VendorEntry>> by_length_;
  std::vector<int> lengths_;
  std::size_t size_ = 0;
};

/// The prefixes Raspberry Pi holds, each at its registered length (7 MA-L, 1 MA-M, 1 MA-S).
void add_builtin_raspberry_pi_prefixes(VendorTable& table);

/// The first 24 bits of the MACs whose vendors are wanted: registry loads skip every other entry,
/// which keeps a scan from spending tens of milliseconds on 90,000 names it will not print.
/// Empty means everything.
using OuiFilter = std::unordered_set<std::uint32_t>;

/// IEEE registry CSV (ieee-data's oui.csv, mam.csv, oui36.csv, iab.csv): "MA-L,B827EB,Name,Address".
/// Returns the number of entries added; throws Error if the file cannot be read.
std::size_t load_ieee_csv(VendorTable& table, const std::filesystem::path& file, const OuiFilter& only = {});

/// arp-scan's ieee-oui.txt / mac-vendor.txt: "B827EB<TAB>Name", 6 to 12 hex digits, '#' comments.
std::size_t load_arp_scan_oui(VendorTable& table, const std::filesystem::path& file, const OuiFilter& only = {});

/// --oui-file is read with these bounds: Raspberry Pi holds nine prefixes, and arp-scan's whole vendor
/// list (1.3 MB), given out of habit (-O), is refused rather than flagging every vendor as a Pi.
inline constexpr LineLimits pi_prefix_file_limits{1024, 1 << 20};

/// A user's Pi prefix file (--oui-file): one "PREFIX [name...]" per line, '#' comments; every entry
/// is flagged as a Raspberry Pi. Throws Error naming the file and line of a malformed prefix, and on
/// a file beyond pi_prefix_file_limits.
std::size_t load_pi_prefix_file(VendorTable& table, const std::filesystem::path& file);

/// Loads the registry files that are installed (ieee-data CSVs, arp-scan's ieee-oui.txt); missing
/// ones are skipped. Returns how many entries were added.
std::size_t load_installed_registries(VendorTable& table, const OuiFilter& only = {});

}  // namespace pifind
