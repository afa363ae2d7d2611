#include "agent/simulated_pi.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "agent/drift_estimator.h"
#include "inventory/core/error.h"

namespace pifind::agent {
namespace {

double parse_number(std::string_view text, std::string_view item) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    throw Error("--simulate: '" + std::string(item) + "' needs a number after '='");
  return value;
}

void apply_item(SimulationSpec& spec, std::string_view item, std::vector<DriftSegment>& later) {
  const auto eq = item.find('=');
  if (eq == std::string_view::npos) throw Error("--simulate: '" + std::string(item) + "' is not key=value");
  const std::string_view key = item.substr(0, eq);
  const double value = parse_number(item.substr(eq + 1), item);
  auto ppm = [&] {
    // As far as a clock can be corrected (adjtimex's ±10 %): the big-drift cases of issue 13.
    if (std::abs(value) > kMaxEstimatePpm)
      throw Error(fmt::format("--simulate: '{}' is beyond ±{:.0f} ppm", item, kMaxEstimatePpm));
    return value;
  };
  if (key == "drift") {
    spec.config.system_drift.front().ppm = ppm();
  } else if (key.starts_with("drift@")) {
    const double from_s = parse_number(key.substr(6), item);
    if (from_s <= 0) throw Error("--simulate: '" + std::string(item) + "' needs a time after 0 s");
    later.push_back({from_s, ppm()});
  } else if (key == "rtc") {
    spec.config.rtc_ppm = ppm();
  } else if (key == "speed") {
    if (value < 0 || value > 1e6) throw Error("--simulate: speed must be between 0 and 1000000");
    spec.speed = value;
  } else if (key == "seed") {
    if (value < 0 || value != std::floor(value)) throw Error("--simulate: seed must be a whole number");
    spec.config.seed = static_cast<std::uint64_t>(value);
  } else {
    throw Error("--simulate: unknown key '" + std::string(key) + "' (drift, drift@SECONDS, rtc, speed, seed)");
  }
}

// The config with its Unix time chosen so that the world's true time reads as now.
SimulationConfig starting_now(SimulationConfig config) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  config.start_unix_s = now.tv_sec - static_cast<std::int64_t>(SimulatedWorld::kStartTrueS);
  return config;
}

}  // namespace

SimulationSpec parse_simulation_spec(std::string_view text) {
  SimulationSpec spec;
  spec.config.system_drift = {{0, 0}};
  std::vector<DriftSegment> later;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (!item.empty()) apply_item(spec, item, later);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  // drift@ times count from the agent's start, the world's true time from kStartTrueS.
  std::sort(later.begin(), later.end(), [](const auto& a, const auto& b) { return a.from_true_s < b.from_true_s; });
  for (auto segment : later) {
    segment.from_true_s += SimulatedWorld::kStartTrueS;
    spec.config.system_drift.push_back(segment);
  }
  return spec;
}

namespace {
std::int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * kNsPerS + now.tv_nsec;
}
}  // namespace

PacedSimulatedClock::PacedSimulatedClock(SimulatedWorld& world, double speed)
    : inner_(world), speed_(speed), start_raw_ns_(inner_.monotonic_raw_ns()), start_real_ns_(monotonic_ns()) {}

void PacedSimulatedClock::sleep_for_ns(std::int64_t duration_ns) {
  if (duration_ns <= 0) return;
  inner_.sleep_for_ns(duration_ns);
  if (speed_ <= 0) return;
  const auto due_ns = start_real_ns_ + static_cast<std::int64_t>(
                                           static_cast<double>(inner_.monotonic_raw_ns() - start_raw_ns_) / speed_);
  const timespec due{static_cast<time_t>(due_ns / kNsPerS), static_cast<long>(due_ns % kNsPerS)};
  // EINTR: the agent is stopping; it re-plans from the simulated clock, which has advanced anyway.
  ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nullptr);
}

SimulatedPi::SimulatedPi(const SimulationSpec& spec)
    : world_(starting_now(spec.config)), clock_(world_, spec.speed), opener_(world_) {}

}  // namespace pifind::agent
