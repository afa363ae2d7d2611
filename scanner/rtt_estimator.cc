#include "scanner/rtt_estimator.h"

#include <algorithm>

namespace pifind {

void RttEstimator::add_sample(ScanDuration rtt) {
  ++count_;
  if (reservoir_.size() < reservoir_size) {
    reservoir_.push_back(rtt);
  } else {
    // Deterministic replacement keeps later samples represented without a random source.
    reservoir_[count_ % reservoir_size] = rtt;
  }
  cached_ = false;
}

ScanDuration RttEstimator::timeout() const {
  if (reservoir_.empty()) return initial_;
  if (!cached_) {
    std::vector<ScanDuration> sorted = reservoir_;
    const std::size_t index = (sorted.size() * 9) / 10;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(index), sorted.end());
    cached_timeout_ = 2 * sorted[index] + std::chrono::milliseconds(1);
    cached_ = true;
  }
  return cached_timeout_;
}

}  // namespace pifind
