// The `pifind` scan command line (arp-scan's option names where the idea is the same), parsed into
// ScanOptions; parsing checks syntax only, resolving interfaces and targets happens in scan_command.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scanner/output_format.h"
#include "scanner/probe_scheduler.h"

namespace pifind {

struct ScanOptions {
  std::optional<std::string> interface_name;
  bool localnet = false;
  std::vector<std::string> targets;
  std::vector<std::string> target_files;  ///< "-" is standard input
  bool all_hosts = false;
  OutputFormat format = OutputFormat::table;
  ScanPolicy policy;
  std::vector<std::string> oui_files;
  bool force = false;
  bool random_order = false;
  bool quiet = false;
  /// Merge what was found into this inventory file (see pifind-inventory(5)).
  std::optional<std::string> inventory_file;
};

/// What the command line asks for: a scan, or an early exit (help or version already printed).
struct ParsedCommandLine {
  std::optional<ScanOptions> options;
  int exit_status = 0;
};

/// Parses argv; prints help/version itself; throws Error on a bad option or value.
ParsedCommandLine parse_scan_command_line(int argc, const char* const* argv);

/// "256K", "1M", "10000000" bits per second -> the gap between minimum-size frames, as arp-scan computes it.
ScanDuration interval_from_bandwidth(std::string_view text);
/// "2" (ms) or "500u" (us) -> a gap.
ScanDuration parse_interval(std::string_view text);

}  // namespace pifind
