// The drift estimator's least-squares fit (one slope, one intercept per segment) kept as running,
// centred sums, so that adding a sample costs O(1) however many came before (issue 15).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "agent/drift_estimator.h"

namespace pifind::agent {

/// Slope and its statistics, as fit_common_slope() gives them but without residuals.
struct SlopeFit {
  double slope = 0;         ///< dx/dt, dimensionless (1e-6 = 1 ppm)
  double slope_stderr = 0;  ///< σ_b; 0 without degrees of freedom
  std::size_t samples = 0;
  std::size_t segments = 0;
  int dof = 0;              ///< samples - segments - 1
  double residual_ss = 0;   ///< Σr²
  double stt_s2 = 0;        ///< Σ(t - t̄_segment)²: how much the samples spread in time
  double span_s = 0;        ///< reference time from the first sample to the last
};

/// Welford's co-moments per segment (t and x centred on their running means, which keeps the sums
/// well conditioned where raw Σt² and (Σt)² would cancel), summed over segments for the common slope.
/// x is also detrended by the first interval's rate, fixed once known: at 5 % drift x spans hundreds of
/// seconds against millisecond residuals, and Σr² = Sxx - b·Stx would lose six digits to cancellation.
class RunningFit {
 public:
  /// Appends a sample. Samples of one segment arrive together and in time order.
  void add(const DriftSample& s);
  /// Forgets everything (the store thinned or set samples aside) and refits `samples` in one pass.
  void rebuild(std::span<const DriftSample> samples);

  /// The common slope over every segment; nothing while no segment spans time.
  std::optional<SlopeFit> common() const;
  /// The newest segment on its own; nothing while it does not span time.
  std::optional<SlopeFit> newest_segment() const;
  std::size_t samples() const { return samples_; }

 private:
  struct Moments {
    double n = 0, mean_t = 0, mean_x = 0, stt = 0, stx = 0, sxx = 0;
    double first_t = 0, last_t = 0;
  };
  std::optional<SlopeFit> fit(double stt, double stx, double sxx, std::size_t n, std::size_t groups,
                              double span_s) const;
  void accumulate(double t, double x_raw);

  // Times are kept relative to the first sample and phases to each segment's first sample, in integer
  // nanoseconds before they become doubles: 1.7e18 ns would leave no digits for the microseconds.
  bool started_ = false;
  std::int64_t origin_reference_ns_ = 0;
  std::uint32_t segment_ = 0;
  DriftSample segment_first_;
  std::vector<Moments> groups_;
  double trend_ = 0;  ///< subtracted from every slope before summing, added back after
  bool trend_known_ = false;
  struct Pending {
    double t, x;
    bool new_group;
  };
  std::vector<Pending> pending_;  ///< samples before the trend is known (the first segment's first)
  std::size_t samples_ = 0;
  double stt_ = 0, stx_ = 0, sxx_ = 0;  ///< Σ over segments of the centred co-moments
};

}  // namespace pifind::agent
