// One event loop for a whole scan: the ARP sweep, each host's name lookups as soon as it answers, and
// SIGINT/SIGTERM, which end the scan with what was found so far. Hosts are handed on as they complete,
// so outputs can stream; the finished result carries every host with its name.
#pragma once

#include <functional>
#include <optional>

#include "scanner/arp_scanner.h"
#include "scanner/name_resolver.h"

namespace pifind {

struct ScanLoop {
  /// The scan (its on_host is the loop's own).
  ScanRequest request;
  /// Where and how names are looked up; none with -N.
  std::optional<NameResolverConfig> names;
  /// Sets what is known of a host the moment it answers (the Raspberry Pi flag, the vendor).
  std::function<void(HostEntry&)> classify;
  /// Whether a classified host's name is worth a lookup (listed ones, all with --inventory).
  std::function<bool(const HostEntry&)> wants_name;
  /// A host is complete: classified, and named if a name was wanted (within the lookup's budget).
  std::function<void(const HostEntry&)> on_host_complete;
};

/// Runs the scan to its end or to SIGINT/SIGTERM and returns the result, names filled in, with
/// stats.names, stats.names_wait_s and stats.interrupted_by_signal set (vendor fields as classify left
/// them in on_host_complete; the result's own are empty). Throws Error as ArpScan does.
ScanResult run_scan_loop(ScanLoop& loop);

}  // namespace pifind
