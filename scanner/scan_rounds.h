// The rounds of a scan, for -v: round k starts when the first address is sent its k-th probe, and a
// first reply counts for the round of the probe it answered (the latest sent to that address).
#pragma once

#include <cstdint>
#include <vector>

namespace pifind {

struct ScanRound {
  /// 1 for first probes, 2 for the first retransmissions, ...
  int number = 0;
  /// When the round's first probe went out, in seconds since the scan started.
  double started_s = 0;
  std::uint64_t probes = 0;
  /// Addresses whose first reply answered this round's probe.
  std::uint64_t answered = 0;
  /// When the round started: addresses answered so far, and the scheduler's tries per silent address
  /// and per-probe failure probability (the loss it estimates).
  std::uint64_t answered_before = 0;
  int allowed_tries = 0;
  double failure_probability = 0;
};

class ScanRoundTracker {
 public:
  /// Records a probe that was the `nth` sent to its address (ProbeScheduler::probes_sent()); returns true
  /// when it starts a new round (then fill in rounds().back()).
  bool on_probe(int nth);
  /// Records an address's first reply, to the `nth` probe sent to it.
  void on_first_reply(int nth);
  std::vector<ScanRound>& rounds() { return rounds_; }

 private:
  std::vector<ScanRound> rounds_;
};

}  // namespace pifind
