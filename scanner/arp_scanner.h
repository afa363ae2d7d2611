// Runs one ARP scan on one Boost.Asio event loop: a timer paces probes and retransmissions, and the
// capture descriptor wakes the loop for replies. No sleeps, no thread per host.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "scanner/network_interface.h"
#include "scanner/probe_scheduler.h"
#include "scanner/scan_result.h"

namespace pifind {

struct ScanRequest {
  ScanInterface interface;
  std::vector<Ipv4Address> targets;
  ScanPolicy policy;
  /// Called now and then with (probes sent, hosts found, targets) while the scan runs.
  std::function<void(std::uint64_t, std::uint64_t, std::uint64_t)> on_progress;
};

/// Scans and returns what answered (vendor fields left empty for the caller to fill).
/// Throws Error when the interface cannot be opened (permissions, no IPv4, not Ethernet).
ScanResult run_arp_scan(const ScanRequest& request);

}  // namespace pifind
