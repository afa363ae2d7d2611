#include "agent/simulation.h"

#include <cmath>

namespace pifind::agent {

SimulatedWorld::SimulatedWorld(SimulationConfig config) : config_(std::move(config)), rng_(config_.seed) {
  if (config_.system_drift.empty()) config_.system_drift.push_back({0, 0});
}

double SimulatedWorld::ppm_at(double t) const {
  double ppm = config_.system_drift.front().ppm;
  for (const auto& s : config_.system_drift)
    if (t >= s.from_true_s) ppm = s.ppm;
  return ppm;
}

std::int64_t SimulatedWorld::raw_ns() const {
  // Integral of (1 + ppm(t)·1e-6) dt from boot to now, piecewise.
  double raw_s = 0;
  const auto& segments = config_.system_drift;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const double lo = std::max(segments[i].from_true_s, boot_true_s_);
    const double hi = std::min(i + 1 < segments.size() ? segments[i + 1].from_true_s : true_s_, true_s_);
    if (hi > lo) raw_s += (hi - lo) * (1 + segments[i].ppm * 1e-6);
  }
  return static_cast<std::int64_t>(std::llround(raw_s * 1e9)) + 5 * kNsPerS;
}

double SimulatedWorld::raw_to_true_s(std::int64_t raw_duration_ns) const {
  return static_cast<double>(raw_duration_ns) / 1e9 / (1 + ppm_at(true_s_) * 1e-6);
}

std::int64_t SimulatedWorld::rtc_seconds_at(double t) const {
  return config_.start_unix_s +
         static_cast<std::int64_t>(std::floor(t * (1 + config_.rtc_ppm * 1e-6) + config_.rtc_phase_s));
}

double SimulatedWorld::take_read() {
  std::uniform_real_distribution<double> latency(config_.read_latency_min_s, config_.read_latency_max_s);
  std::uniform_real_distribution<double> unit(0, 1);
  const double l = latency(rng_);
  const double sampled = true_s_ + unit(rng_) * l;
  true_s_ += l;
  ++reads_;
  return sampled;
}

double SimulatedWorld::uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }

void SimulatedWorld::reboot() {
  true_s_ += 30;
  boot_true_s_ = true_s_;
}

std::int64_t SimulatedClock::realtime_ns() {
  return world_.config().start_unix_s * kNsPerS + static_cast<std::int64_t>(std::llround(world_.true_s() * 1e9));
}

void SimulatedClock::sleep_for_ns(std::int64_t duration_ns) {
  if (duration_ns > 0) world_.advance_true_s(world_.raw_to_true_s(duration_ns));
}

RtcReading SimulatedRtc::read_time() { return {world_.rtc_seconds_at(world_.take_read()), 0}; }

bool SimulatedRtc::wait_update_interrupt(int timeout_ms) {
  // The next edge of the RTC, then a small interrupt latency (uniform 0-50 us).
  const double rate = 1 + world_.config().rtc_ppm * 1e-6;
  const double now = world_.true_s();
  const double phase = now * rate + world_.config().rtc_phase_s;
  const double next_edge = (std::floor(phase) + 1 - world_.config().rtc_phase_s) / rate;
  if (next_edge - now > timeout_ms / 1000.0) {
    world_.advance_true_s(timeout_ms / 1000.0);
    return false;
  }
  world_.advance_true_s(next_edge - now + world_.uniform(0, 50e-6));
  return true;
}

RtcOpenResult SimulatedRtcOpener::open(const std::string& name) {
  if (busy_ > 0) {
    --busy_;
    return {nullptr, true, "/dev/" + name + " is held by another process (EBUSY); retrying later"};
  }
  return {std::make_unique<SimulatedRtc>(world_), false, {}};
}

}  // namespace pifind::agent
