#include "agent/clock.h"

#include <time.h>

namespace pifind::agent {
namespace {

std::int64_t read_clock(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * kNsPerS + ts.tv_nsec;
}

}  // namespace

std::int64_t SystemClock::monotonic_raw_ns() { return read_clock(CLOCK_MONOTONIC_RAW); }
std::int64_t SystemClock::realtime_ns() { return read_clock(CLOCK_REALTIME); }

void SystemClock::sleep_for_ns(std::int64_t duration_ns) {
  if (duration_ns <= 0) return;
  timespec ts{static_cast<time_t>(duration_ns / kNsPerS), static_cast<long>(duration_ns % kNsPerS)};
  ::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);  // EINTR: return early, the caller re-plans
}

}  // namespace pifind::agent
