// One event loop for a whole scan: the ARP sweep of every interface asked for (-I eth0 -I wlan0, each on its
// own segment, in parallel), each host's name lookups as soon as it answers, and SIGINT/SIGTERM, which end the
// scan with what was found so far. Hosts are handed on as they complete, so outputs can stream; the finished
// results carry every host with its name.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "scanner/arp_scanner.h"
#include "scanner/name_resolver.h"

namespace pifind {

/// One interface's part of the scan.
struct InterfaceScan {
  /// The sweep (its on_host is the loop's own).
  ScanRequest request;
  /// Where and how names are looked up on this interface's segment; none with -N.
  std::optional<NameResolverConfig> names;
};

struct ScanLoop {
  std::vector<InterfaceScan> scans;
  /// Sets what is known of a host the moment it answers (the Raspberry Pi flag, the vendor).
  std::function<void(HostEntry&)> classify;
  /// Whether a classified host's name is worth a lookup (listed ones, all with --inventory).
  std::function<bool(const HostEntry&)> wants_name;
  /// A host is complete: classified, and named if a name was wanted (within the lookup's budget).
  std::function<void(const HostEntry&)> on_host_complete;
};

/// Opens every interface's capture, then drops CAP_NET_RAW (nothing after needs it), runs the sweeps to their
/// end or to SIGINT/SIGTERM and returns one result per interface, in order, names filled in, with stats.names,
/// stats.names_wait_s and stats.interrupted_by_signal set (vendor fields as classify left them in
/// on_host_complete; the results' own are empty). Throws Error as ArpScan does.
std::vector<ScanResult> run_scan_loop(ScanLoop& loop);

}  // namespace pifind
