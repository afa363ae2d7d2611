#include "agent/sample_schedule.h"

#include <algorithm>

#include "agent/edge_sampler.h"

namespace pifind::agent {

SampleSchedule::SampleSchedule(Clock& clock, DriftMonitor& monitor, SampleIntervals intervals,
                               std::function<void(const std::string&)> log)
    : clock_(clock), monitor_(monitor), intervals_(intervals), log_(std::move(log)) {}

void SampleSchedule::step(std::int64_t until_ns) {
  const std::int64_t now = clock_.monotonic_raw_ns();
  if (now >= next_rtc_ns_) {
    if (auto problem = monitor_.sample_rtc()) log_once(*problem);
    // The next edge is one interval after the one just timed: wake a little before it, not an interval after
    // the (variable) end of this sample.
    next_rtc_ns_ = clock_.monotonic_raw_ns() + static_cast<std::int64_t>(intervals_.rtc_s * 1e9) - kWakeEarlyNs;
  }
  if (intervals_.ntp_s && now >= next_ntp_ns_) {
    if (auto problem = monitor_.sample_ntp()) log_once(*problem);
    next_ntp_ns_ = now + static_cast<std::int64_t>(*intervals_.ntp_s * 1e9);
  }
  std::int64_t wake = std::min(until_ns, next_rtc_ns_);
  if (intervals_.ntp_s) wake = std::min(wake, next_ntp_ns_);
  clock_.sleep_for_ns(wake - clock_.monotonic_raw_ns());
}

void SampleSchedule::run_until(std::int64_t until_ns, const std::atomic<bool>* stop) {
  while (!(stop && *stop) && clock_.monotonic_raw_ns() < until_ns) step(until_ns);
}

void SampleSchedule::run_for(double seconds, const std::atomic<bool>* stop) {
  run_until(clock_.monotonic_raw_ns() + static_cast<std::int64_t>(seconds * 1e9), stop);
}

void SampleSchedule::log_once(const std::string& line) {
  if (line != last_logged_ && log_) log_(line);
  last_logged_ = line;
}

}  // namespace pifind::agent
