#include "inventory/protocol/adjtimex_correction.h"

#include <cmath>

#include <fmt/format.h>

namespace pifind {

double rate_factor(const AdjtimexSettings& s) {
  return static_cast<double>(s.tick_us) / static_cast<double>(kNominalTickUs) +
         static_cast<double>(s.frequency) / static_cast<double>(kFrequencyPerPpm) * 1e-6;
}

std::string adjtimex_command(std::int64_t tick_us, std::int64_t frequency) {
  return fmt::format("adjtimex --tick {} --frequency {}", tick_us, frequency);
}

std::string AdjtimexCorrection::command() const { return adjtimex_command(settings.tick_us, settings.frequency); }

std::string AdjtimexCorrection::default_file_lines() const {
  return fmt::format("TICK={} FREQ={}", settings.tick_us, settings.frequency);
}

std::optional<AdjtimexCorrection> adjtimex_correction(double drift_ppm, const AdjtimexSettings& current,
                                                      std::string* why_not) {
  auto refuse = [&](std::string why) -> std::optional<AdjtimexCorrection> {
    if (why_not) *why_not = std::move(why);
    return std::nullopt;
  };
  if (!std::isfinite(drift_ppm) || drift_ppm <= -1e6) return refuse("no finite drift to correct");
  // The clock runs at (1 + drift) reference seconds per second under `current`, so its oscillator at
  // (1 + drift) / factor(current); the factor that makes it 1 is factor(current) / (1 + drift).
  const double oscillator = (1 + drift_ppm * 1e-6) / rate_factor(current);
  const double wanted = 1 / oscillator;
  AdjtimexCorrection c;
  c.settings.tick_us = std::llround(wanted * static_cast<double>(kNominalTickUs));
  if (c.settings.tick_us < kMinTickUs || c.settings.tick_us > kMaxTickUs)
    return refuse(fmt::format("cancelling {:+.0f} ppm needs tick {}, outside the kernel's {}..{}", drift_ppm,
                              c.settings.tick_us, kMinTickUs, kMaxTickUs));
  const double rest_ppm =
      (wanted - static_cast<double>(c.settings.tick_us) / static_cast<double>(kNominalTickUs)) * 1e6;
  c.settings.frequency = std::llround(rest_ppm * static_cast<double>(kFrequencyPerPpm));
  // Rounding the tick leaves at most ±50 ppm for the frequency, well inside its ±500 ppm.
  c.residual_ppm = (oscillator * rate_factor(c.settings) - 1) * 1e6;
  return c;
}

}  // namespace pifind
