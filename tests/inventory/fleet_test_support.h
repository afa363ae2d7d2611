// Helpers shared by the fleet tests: a scratch directory removed afterwards, fixed instants, sightings.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "inventory/scan_merge.h"
#include "inventory/time_text.h"

namespace pifind::test {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// 2026-11-01T00:00:00Z plus `seconds`.
TimePoint at(long long seconds);

/// A sighting of `mac` at `ip` at `at(seconds)`, a Raspberry Pi when the MAC is b8:27:eb:*.
ScanSighting sighting(const std::string& mac, const std::string& ip, long long seconds);

/// Writes `content` to `file` (plain, non-atomic: for fixtures).
void write_text(const std::filesystem::path& file, const std::string& content);



struct ProcessResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] is looked up in PATH) with `stdin_text` on its standard input, waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_text = "");

/// Path of the test-only `pifind` stand-in that runs the fleet subcommands.
std::string fleet_cli();

}  // namespace pifind::test
