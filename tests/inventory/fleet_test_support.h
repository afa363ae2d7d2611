// Helpers shared by the fleet tests: fixed instants, sightings, and running the fleet CLI as a process.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "inventory/core/time_text.h"
#include "inventory/store/scan_merge.h"
#include "tests/support/temp_dir.h"

namespace pifind::test {

/// 2026-11-01T00:00:00Z plus `seconds`.
TimePoint at(long long seconds);

/// The MAC address `text`, which must be one.
MacAddress mac(const char* text);

/// A sighting of `mac` at `ip` at `at(seconds)`, a Raspberry Pi when the MAC is b8:27:eb:*.
ScanSighting sighting(const std::string& mac, const std::string& ip, long long seconds);



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
