// The adjtimex(8) settings that cancel a measured drift (tick: µs per 10 ms tick, about 100 ppm a unit;
// frequency: 2^-16 ppm units, at most ±500 ppm), for the agent's reports, analyze and the fleet audit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pifind {

/// The kernel's rate settings. The system clock advances tick/10000 + frequency/65536·1e-6 seconds per
/// second of its oscillator (kernel/time/ntp.c: second_length = tick·1000·USER_HZ + freq).
struct AdjtimexSettings {
  std::int64_t tick_us = 10'000;
  std::int64_t frequency = 0;  ///< 2^-16 ppm
};

inline constexpr std::int64_t kNominalTickUs = 10'000;
inline constexpr std::int64_t kMinTickUs = 9'000;    ///< 900000 / USER_HZ
inline constexpr std::int64_t kMaxTickUs = 11'000;   ///< 1100000 / USER_HZ
inline constexpr std::int64_t kFrequencyPerPpm = 65'536;
inline constexpr double kMaxFrequencyPpm = 500;      ///< the kernel clamps freq to ±MAXFREQ

/// What the clock's oscillator is multiplied by under `s` (1 at tick 10000, frequency 0).
double rate_factor(const AdjtimexSettings& s);

struct AdjtimexCorrection {
  AdjtimexSettings settings;
  double residual_ppm = 0;  ///< the rate error the whole-unit rounding leaves (below 1e-5 ppm)
  /// "adjtimex --tick 10000 --frequency -2703838": applies it now (needs root).
  std::string command() const;
  /// "TICK=10000 FREQ=-2703838": the lines of /etc/default/adjtimex that apply it at every boot.
  std::string default_file_lines() const;
};

/// "adjtimex --tick 10000 --frequency -2703838": the command line that applies these settings now.
std::string adjtimex_command(std::int64_t tick_us, std::int64_t frequency);

/// The settings that make a clock that gains `drift_ppm` per reference second while running under
/// `current` keep the reference's time: tick rounded to the nearest unit, the rest in frequency.
/// Nothing, with the reason in `why_not`, when that needs a tick outside 9000..11000.
std::optional<AdjtimexCorrection> adjtimex_correction(double drift_ppm, const AdjtimexSettings& current = {},
                                                      std::string* why_not = nullptr);

/// adjtimex --compare's error_ppm convention: the same rate error per second of the clock itself.
inline double per_system_second_ppm(double per_reference_second_ppm) {
  return per_reference_second_ppm / (1 + per_reference_second_ppm * 1e-6);
}

}  // namespace pifind
