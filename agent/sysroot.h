// Where the agent reads the system from: "/" on a Pi, a copied tree or an offline image (--sysroot DIR).
// Every /sys, /proc, /etc, /var and /dev path the agent opens goes through here.
#pragma once

#include <chrono>
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
  /// The host path of the system path `absolute` ("/proc/uptime"). Under a sysroot every symlink on the
  /// way resolves inside the root, as the kernel resolves it on the running system: /proc/device-tree ->
  /// /sys/firmware/devicetree/base is the tree's own, never the host's; ".." stops at the root. A path
  /// that cannot be resolved (a missing directory, a symlink loop) comes back joined as written.
  std::filesystem::path path(std::string_view absolute) const;
  /// The file's content, or nothing if it is missing, unreadable, larger than `max_bytes`, slower to
  /// read than a few seconds, or not a regular file: a FIFO or a device node where a system file should
  /// be is never opened for reading, so it cannot block the agent.
  std::optional<std::string> read(std::string_view absolute, std::size_t max_bytes = 64 * 1024) const;
  /// The file's first line without trailing whitespace, or nothing.
  std::optional<std::string> read_line(std::string_view absolute) const;
  /// Names of the entries of a directory, sorted; empty if it does not exist.
  std::vector<std::string> list(std::string_view absolute_dir) const;
  /// The path names something (its symlinks resolved inside the root).
  bool exists(std::string_view absolute) const;
  /// The entry itself exists, a symlink counting even when its target is missing (a copied tree keeps
  /// /sys/class/net/eth0/device but rarely the device directory it points to).
  bool has_entry(std::string_view absolute) const;

 private:
  std::optional<std::filesystem::path> resolve(std::string_view absolute, bool follow_last) const;
  std::filesystem::path root_;
  bool live_;
};

/// How long one read of a system file may take before it is given up.
inline constexpr std::chrono::milliseconds kSystemFileReadLimit{2000};

/// `s` without leading and trailing whitespace (and NULs, which device-tree strings end with).
std::string trim(std::string_view s);

/// `raw` (text read from a system file) fit for a report text field: trimmed, then every character the
/// collector refuses (pifind::is_clean_text) and every byte that is not valid UTF-8 replaced by '?', and
/// cut to at most `max_bytes` on a character boundary. A garbage file then shows as garbage in its own
/// field instead of making the whole report invalid (or unencodable as JSON).
std::string report_text(std::string_view raw, std::size_t max_bytes);

}  // namespace pifind::agent
