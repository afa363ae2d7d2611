// The drift estimator: from (reference time, MONOTONIC_RAW) pairs to the system oscillator's rate error
// in ppm, with its statistics. Segments (boots, reference steps) share one slope, each its own offset.
//
// Notation (as in chrony's regress.c): t_i reference time (s), x_i = system - reference (s), both
// relative to the first sample of the sample's segment. Ordinary least squares with one intercept per
// segment: b = Σ(t-t̄_seg)(x-x̄_seg) / Σ(t-t̄_seg)², s² = Σr²/(n-k-1), σ_b = √(s²/Σ(t-t̄_seg)²).
// ppm = 1e6·b: positive means the system oscillator gains on the reference.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "inventory/protocol/report.h"

namespace pifind::agent {

/// One comparison: at MONOTONIC_RAW `raw_ns` the reference read `reference_ns`.
struct DriftSample {
  std::int64_t reference_ns = 0;
  std::int64_t raw_ns = 0;
  std::uint32_t segment = 0;  ///< samples of one segment are comparable; across segments only the rate is
};

struct LinearFit {
  double slope = 0;            ///< dx/dt, dimensionless (1e-6 = 1 ppm)
  double slope_stderr = 0;     ///< σ_b
  std::size_t samples = 0;
  std::size_t segments = 0;
  int dof = 0;                 ///< n - segments - 1
  double residual_rms_s = 0;
  std::vector<double> residuals_s;  ///< in input order (which must be time order)
};

/// Least squares with a common slope; nothing if there are fewer than segments + 3 samples or the
/// reference times do not spread.
std::optional<LinearFit> fit_common_slope(std::span<const DriftSample> samples);

/// Wald-Wolfowitz runs test on the signs of `residuals`: z = (runs - μ)/σ. Strongly negative z (too few
/// runs) means the residuals are not random: the drift is not constant. Nothing below 10 residuals.
std::optional<double> runs_test_z(const std::vector<double>& residuals);

/// Overlapping Allan deviation (NIST SP1065 eq. 11) of one segment's phase data, resampled onto a
/// uniform grid of the median spacing τ0, at τ = τ0, 10τ0, 100τ0, 1000τ0 where the data allow.
std::vector<AllanPoint> overlapping_adev(std::span<const DriftSample> one_segment);

/// The two-sided 95 % quantile of Student's t with `dof` degrees of freedom.
double student_t_975(int dof);

/// Everything the report says about one reference. `reference` names it ("rtc0", "ntp:host").
/// Status "collecting" below `min_samples` samples (or when steps leave no segment long enough for a
/// rate), "unavailable" for a rate beyond ±kMaxEstimatePpm: never a number that cannot be a clock's.
DriftEstimate estimate_drift(const std::string& reference, std::span<const DriftSample> samples,
                             std::size_t min_samples = 8);

/// The largest rate an estimate reports: adjtimex corrects a clock by up to ±10 % through the tick.
inline constexpr double kMaxEstimatePpm = 100'000;

/// Thresholds of the non-constant-drift test (documented in pifind-agent(8)).
inline constexpr double kRunsZThreshold = -3.0;
inline constexpr double kSplitZThreshold = 4.0;

}  // namespace pifind::agent
