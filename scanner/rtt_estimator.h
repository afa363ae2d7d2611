// The retransmission timeout of a scan, from round-trip times measured on the LAN itself.
// Robust to a few slow hosts (Wi-Fi in power save): it follows a high quantile, not the mean.
#pragma once

#include <cstddef>
#include <vector>

#include "scanner/scan_clock.h"

namespace pifind {

class RttEstimator {
 public:
  /// Until the first sample, `initial` is the timeout.
  explicit RttEstimator(ScanDuration initial) : initial_(initial) {}

  /// One unambiguous round trip (a host that answered its first and only probe: Karn's rule).
  void add_sample(ScanDuration rtt);

  /// 2 x the 90th percentile of the samples plus 1 ms of scheduling slack, or `initial` without samples.
  /// Not clamped: the caller applies its floor and ceiling.
  ScanDuration timeout() const;

  std::size_t samples() const { return count_; }

 private:
  ScanDuration initial_;
  // A bounded reservoir keeps the quantile cheap on /16 scans; the first samples are representative enough.
  static constexpr std::size_t reservoir_size = 512;
  std::vector<ScanDuration> reservoir_;
  std::size_t count_ = 0;
  mutable bool cached_ = false;
  mutable ScanDuration cached_timeout_{};
};

}  // namespace pifind
