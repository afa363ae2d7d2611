// A LAN simulated in simulated time for the probe scheduler: live hosts answer each probe after their
// delay unless the request or the reply is lost. Shared by the scheduler's tests and bench/scan_policy.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "scanner/probe_scheduler.h"

namespace pifind::test {

struct SimulatedLan {
  std::map<std::uint32_t, ScanDuration> live;  // address -> reply delay
  /// The chance that any one frame (request or reply) is lost.
  double frame_loss = 0;
  std::uint32_t seed = 1;
  /// The driver wakes this late for every event (a loaded machine); replies are not delayed.
  ScanDuration timer_lateness{};
  /// Hosts answer their first answered probe only, as if every later reply were lost.
  bool answer_once = false;
  /// The kernel dropped captured frames before the scan began.
  bool capture_drops = false;

  struct Outcome {
    std::set<std::uint32_t> found;
    std::uint64_t sent = 0;
    int allowed_tries = 0;
    ScanDuration elapsed{};
    ScanDuration min_gap = ScanDuration::max();
    std::unordered_map<std::uint32_t, int> probes_per_address;
    std::uint64_t late = 0;
    ProbeCounters counters;
  };

  /// Runs a whole scan of `targets`; throws std::logic_error if the scheduler asks to go back in time or
  /// never finishes.
  Outcome scan(const std::vector<Ipv4Address>& targets, const ScanPolicy& policy) const;
};

/// 198.18.0.0, the simulated LAN's network.
inline constexpr std::uint32_t kSimulatedNet = 0xc6120000u;

/// The hosts of 198.18.0.0/prefix, without the scanner's own .1.
std::vector<Ipv4Address> simulated_block(int prefix);
/// `hosts` live hosts spread evenly over 198.18.0.0/prefix.
SimulatedLan spread_hosts(int hosts, int prefix, ScanDuration delay = std::chrono::microseconds(200));
/// The /24 of bench/scan: 100 hosts at .2, .4, ... .200.
SimulatedLan dense_24(ScanDuration delay = std::chrono::microseconds(200));

}  // namespace pifind::test
