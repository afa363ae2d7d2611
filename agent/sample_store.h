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
  /// the sample departs from the segment's line by more than 20 ms plus the rate uncertainty (the
  /// reference was stepped, e.g. the RTC was set). Returns true if it started a new segment.
  bool add(std::int64_t reference_ns, std::int64_t raw_ns, const std::string& boot_id);

  std::span<const DriftSample> samples() const { return samples_; }
  /// The samples of the newest segment.
  std::span<const DriftSample> current_segment() const;
  std::int64_t steps_detected() const { return steps_; }
  std::size_t max_samples() const { return max_samples_; }

 private:
  void thin();
  std::filesystem::path file_;
  std::size_t max_samples_;
  double step_tolerance_s_;
  std::vector<DriftSample> samples_;
  std::vector<std::pair<std::uint32_t, std::string>> segments_;  ///< id, boot_id
  std::int64_t steps_ = 0;
  // The current segment's fitted rate, refreshed as the segment grows (refitting on every add would
  // make long logs quadratic).
  std::size_t fitted_size_ = 0;
  double fitted_rate_ = 0;
  double fitted_slack_ = 600e-6;
};

}  // namespace pifind::agent
