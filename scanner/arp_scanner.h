// Runs one ARP scan on a Boost.Asio event loop: a timer paces probes and retransmissions, and the
// capture descriptor wakes the loop for replies. No sleeps, no thread per host. The loop may be shared
// with name lookups and signals (scan_loop.h), which run beside the scan.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inventory/core/asio.h"
#include "inventory/core/ipv4_address.h"
#include "scanner/network_interface.h"
#include "scanner/probe_scheduler.h"
#include "scanner/scan_result.h"
#include "scanner/scan_rounds.h"

namespace pifind {

struct ScanRequest {
  ScanInterface interface;
  std::vector<Ipv4Address> targets;
  ScanPolicy policy;
  /// Called now and then with (probes sent, hosts found, targets) while the scan runs.
  std::function<void(std::uint64_t, std::uint64_t, std::uint64_t)> on_progress;
  /// Called on the loop when an (IP, MAC) pair is first kept: a host answered (vendor fields empty).
  std::function<void(const HostEntry&)> on_host;
  /// -v: called when a round of probes starts (see ScanRound); the finished rounds are in the result.
  std::function<void(const ScanRound&)> on_round;
  /// -S: the requests' Ethernet source address (the ARP sender address stays the interface's).
  std::optional<MacAddress> frame_source_mac;
  /// -Q: tag the requests with this 802.1Q VLAN id.
  std::optional<std::uint16_t> vlan;
  /// -W: save every captured frame to this pcap file.
  std::optional<std::string> pcap_save_file;
};

/// One scan on a loop the caller runs.
class ArpScan {
 public:
  /// Opens the capture (the one step that needs CAP_NET_RAW: the caller drops it once every scan's capture
  /// is open, see scan_loop.h) and the -W file (after dropping it). Throws Error when the interface cannot be
  /// opened (permissions, no such interface, not Ethernet).
  ArpScan(boost::asio::io_context& io, const ScanRequest& request);
  ~ArpScan();
  ArpScan(const ArpScan&) = delete;
  ArpScan& operator=(const ArpScan&) = delete;

  /// Starts probing; `on_done` runs on the loop once every address has had its tries and its time,
  /// or the scan met an error (which result() rethrows).
  void start(std::function<void()> on_done);
  /// Stops probing and capturing now (SIGINT); `on_done` does not run. Idempotent.
  void stop();
  /// What answered until now (vendor fields left empty for the caller to fill); after on_done or stop().
  /// Rethrows an error the loop met.
  ScanResult result();

 private:
  class Session;
  std::unique_ptr<Session> session_;
};

}  // namespace pifind
