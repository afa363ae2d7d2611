// The drift samples of one reference, bounded and persisted in the state directory so the estimate
// tightens over hours and survives restarts. A reboot (new boot_id) or a step of the reference starts a
// new segment: the estimator fits segments with one slope and separate offsets, never averaging a step in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "agent/drift_estimator.h"
#include "agent/running_fit.h"

namespace pifind::agent {

class SampleStore {
 public:
  /// `file` is e.g. <state>/samples-rtc0.json; nothing is read until load(). A sample further than
  /// `step_tolerance_s` (plus the rate uncertainty) from the segment's line starts a new segment: 20 ms
  /// suits RTC edges; network references need more.
  SampleStore(std::filesystem::path file, std::size_t max_samples = 2048, double step_tolerance_s = 0.020);

  /// Reads the file if it exists. A corrupt or foreign file is set aside (renamed *.corrupt) and the
  /// store starts empty; the returned line says so (empty when all went well).
  std::string load();
  /// Writes atomically. Throws pifind::Error.
  void save() const;

  /// Appends a sample taken during boot `boot_id`. Starts a new segment when the boot changed or when
  /// the sample departs from the line the measured rate predicts by more than the step tolerance plus
  /// the rate's uncertainty (the reference was stepped, e.g. the RTC was set). The rate is the newest
  /// segment's own once it has one, else the one all segments share (a step or a reboot does not change
  /// the oscillator); only the very first interval is judged against a prior alone, ±kMaxEstimatePpm, which
  /// is as far as adjtimex corrects a clock. A large rate is therefore never taken for a string of steps.
  /// Returns true if it started a new segment.
  bool add(std::int64_t reference_ns, std::int64_t raw_ns, const std::string& boot_id);

  std::span<const DriftSample> samples() const { return samples_; }
  /// The running least-squares fit of samples(), O(1) per add.
  const RunningFit& fit() const { return fit_; }
  /// The samples of the newest segment.
  std::span<const DriftSample> current_segment() const;
  std::int64_t steps_detected() const { return steps_; }
  std::size_t max_samples() const { return max_samples_; }

 private:
  void thin();
  /// The expected rate of x (dimensionless) and its slack; nothing before any interval is known.
  std::optional<std::pair<double, double>> expected_rate() const;
  std::filesystem::path file_;
  std::size_t max_samples_;
  double step_tolerance_s_;
  std::vector<DriftSample> samples_;
  std::vector<std::pair<std::uint32_t, std::string>> segments_;  ///< id, boot_id
  std::int64_t steps_ = 0;
  RunningFit fit_;
};


}  // namespace pifind::agent
