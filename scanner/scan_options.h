// The `pifind` scan command line (arp-scan's option names where the idea is the same), parsed into
// ScanOptions; parsing checks syntax only, resolving interfaces and targets happens in scan_command.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inventory/core/mac_address.h"
#include "scanner/output_format.h"
#include "scanner/probe_scheduler.h"

namespace pifind {

struct ScanOptions {
  /// -I, once or more: each interface scans its own segment, in parallel. None: the default interface.
  std::vector<std::string> interface_names;
  bool localnet = false;
  std::vector<std::string> targets;
  std::vector<std::string> target_files;  ///< "-" is standard input
  bool all_hosts = false;
  OutputFormat format = OutputFormat::kTable;
  ScanPolicy policy;
  std::vector<std::string> oui_files;
  bool force = false;
  bool random_order = false;
  bool quiet = false;
  /// -x (arp-scan's --plain): hosts only; no header, progress, summary or final stats line.
  bool plain = false;
  /// -N: no name lookups (no NAME column, name fields null).
  bool numeric = false;
  /// How long a host's name lookups may take from the moment it answered.
  std::chrono::milliseconds name_timeout{300};
  /// -v: 1 reports each round of retries and the loss seen on standard error.
  int verbosity = 0;
  /// -S: the Ethernet source address of the requests; the ARP sender address stays the interface's,
  /// so replies still come to it (arp-scan's --srcaddr).
  std::optional<MacAddress> frame_source_mac;
  /// -Q: send the requests 802.1Q-tagged with this VLAN id (0-4094).
  std::optional<std::uint16_t> vlan;
  /// -W: write every captured ARP frame to this pcap savefile.
  std::optional<std::string> pcap_save_file;
  /// Merge what was found into this inventory file (see pifind-inventory(5)).
  std::optional<std::string> inventory_file;
  /// Send what was found to this collector (http(s)://host:port), signed with the key in key_file.
  std::optional<std::string> collector_url;
  std::optional<std::string> key_file;
  /// --ca-file: trust these CAs for an https collector instead of the system's.
  std::optional<std::string> ca_file;
  /// Where the scan counter lives (default: $STATE_DIRECTORY, else /var/lib/pifind-scan).
  std::optional<std::string> state_dir;
  /// The site the scanned segments are at, recorded with every sighting (--inventory and --collector).
  std::optional<std::string> site;
};

/// What the command line asks for: a scan, or an early exit (help or version already printed).
struct ParsedCommandLine {
  std::optional<ScanOptions> options;
  int exit_status = 0;
};

/// Parses argv; prints help/version itself; throws Error on a bad option or value.
ParsedCommandLine parse_scan_command_line(int argc, const char* const* argv);

/// The most interfaces one scan runs on (a scan report lists at most as many).
inline constexpr std::size_t max_interfaces = 16;

/// The sending rates and gaps accepted: from one frame in 5 s to 100 Gbit/s.
inline constexpr double min_bandwidth_bits_per_s = 100;
inline constexpr double max_bandwidth_bits_per_s = 100e9;
inline constexpr double min_interval_ms = 0.001;
inline constexpr double max_interval_ms = 10000;

/// "256K", "1M", "10000000" bits per second -> the gap between minimum-size frames, as arp-scan computes it.
/// Throws Error outside min/max_bandwidth_bits_per_s.
ScanDuration interval_from_bandwidth(std::string_view text);
/// "2" (ms) or "500u" (us) -> a gap. Throws Error outside min/max_interval_ms.
ScanDuration parse_interval(std::string_view text);

}  // namespace pifind
