// Where the agent reads the system from: "/" on a Pi, a fixture tree in tests (--sysroot DIR).
// Every /sys, /proc, /etc, /var and /dev path the agent opens goes through here.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pifind::agent {

class Sysroot {
 public:
  /// `root` "/" (the default) means the live system.
  explicit Sysroot(std::filesystem::path root = "/");

  /// True when reading the live system rather than a fixture tree.
  bool is_live() const { return live_; }
  /// The path of the absolute system path `absolute` ("/proc/uptime") under the root.
  std::filesystem::path path(std::string_view absolute) const;
  /// The file's content, or nothing if it is missing or unreadable. Bounded to `max_bytes`.
  std::optional<std::string> read(std::string_view absolute, std::size_t max_bytes = 64 * 1024) const;
  /// The file's first line without trailing whitespace, or nothing.
  std::optional<std::string> read_line(std::string_view absolute) const;
  /// Names of the entries of a directory, sorted; empty if it does not exist.
  std::vector<std::string> list(std::string_view absolute_dir) const;

 private:
  std::filesystem::path root_;
  bool live_;
};

/// `s` without leading and trailing whitespace (and NULs, which device-tree strings end with).
std::string trim(std::string_view s);

/// `raw` (text read from a system file) fit for a report text field: trimmed, then every character the
/// collector refuses (pifind::is_clean_text) and every byte that is not valid UTF-8 replaced by '?', and
/// cut to at most `max_bytes` on a character boundary. A garbage file then shows as garbage in its own
/// field instead of making the whole report invalid (or unencodable as JSON).
std::string report_text(std::string_view raw, std::size_t max_bytes);

}  // namespace pifind::agent
