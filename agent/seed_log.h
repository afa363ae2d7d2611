// Reads logs in the format of the seed experiment: `date -u +'# Generated at: %F %T UTC %s %N'` lines,
// each followed by an `adjtimex --compare` row (cmos time, system-cmos, then optionally error_ppm, tick,
// freq and suggested tick/freq), and turns them into drift samples for `pifind-agent analyze`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/drift_estimator.h"
#include "inventory/protocol/adjtimex_correction.h"

namespace pifind::agent {

struct SeedLog {
  /// reference = cmos time (s), "raw" = cmos + (system - cmos): the system clock at the comparison.
  /// Segments split where the system-cmos difference steps (someone set a clock).
  std::vector<DriftSample> samples;
  std::size_t rows = 0;          ///< comparison rows read
  std::size_t ignored_lines = 0;  ///< lines that were neither headers, comments nor rows
  std::size_t steps = 0;          ///< steps that started a new segment
  double endpoint_ppm = 0;        ///< (x_last - x_first)/(t_last - t_first), the seed's own arithmetic
  /// The kernel's tick and frequency while the log ran, from the rows' "current" columns (Debian's
  /// adjtimex prints them on every row, upstream's from the second row on); nothing if no row has them.
  std::optional<AdjtimexSettings> settings;
  /// The row at which the current tick or frequency changed (someone adjusted the clock mid-log), or 0.
  std::size_t settings_changed_at_row = 0;
};

/// Parses the log text. Throws pifind::Error (one line) if it holds no comparison rows.
SeedLog parse_seed_log(std::string_view text);

}  // namespace pifind::agent
