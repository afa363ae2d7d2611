#include "agent/edge_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "agent/drift_estimator.h"

namespace pifind::agent {
namespace {

std::string read_error_text(int error) {
  if (error == EINVAL) return "RTC_RD_TIME failed: time not set or oscillator stopped (EINVAL)";
  return std::string("RTC_RD_TIME failed: ") + std::strerror(error);
}

// An RTC read failed: the sample ends here, saying why.
EdgeResult read_failed(EdgeResult result, int error) {
  result.outcome = EdgeOutcome::kReadFailed;
  result.message = read_error_text(error);
  result.read_errno = error;
  return result;
}

constexpr std::int64_t kMaxHalfWindowNs = 400'000'000;

}  // namespace

EdgeSampler::EdgeSampler(Clock& clock, EdgeSamplerConfig config)
    : clock_(clock), config_(config), dither_(static_cast<std::minstd_rand::result_type>(clock.monotonic_raw_ns())) {}

EdgeSampler::TimedRead EdgeSampler::timed_read(RtcDevice& rtc) {
  TimedRead r;
  r.start_raw_ns = clock_.monotonic_raw_ns();
  r.reading = rtc.read_time();
  r.end_raw_ns = clock_.monotonic_raw_ns();
  return r;
}

EdgeResult EdgeSampler::sample(RtcDevice& rtc) {
  if (uie_.value_or(true)) {
    if (rtc.enable_update_interrupt()) {
      uie_ = true;
      return via_interrupt(rtc);
    }
    uie_ = false;
  }
  EdgeResult result;
  if (!locked_) return acquire(rtc, std::move(result));
  return fine(rtc, std::move(result));
}

EdgeResult EdgeSampler::finish(EdgeResult result, std::int64_t second, std::int64_t lo_raw_ns,
                               std::int64_t hi_raw_ns) {
  EdgeSample s;
  s.reference_ns = second * kNsPerS;
  s.raw_ns = lo_raw_ns + (hi_raw_ns - lo_raw_ns) / 2;
  s.uncertainty_ns = (hi_raw_ns - lo_raw_ns) / 2;
  const std::int64_t raw_now = clock_.monotonic_raw_ns();
  s.realtime_ns = clock_.realtime_ns() - (raw_now - s.raw_ns);
  edge_raw_ns_ = s.raw_ns;
  edge_second_ = second;
  locked_ = true;
  result.outcome = EdgeOutcome::kSample;
  result.sample = s;
  return result;
}

EdgeResult EdgeSampler::via_interrupt(RtcDevice& rtc) {
  EdgeResult result;
  if (!rtc.wait_update_interrupt(1500)) {
    result.outcome = EdgeOutcome::kStopped;
    result.message = "no RTC update interrupt within 1.5 s";
    return result;
  }
  const std::int64_t at = clock_.monotonic_raw_ns();
  auto r = timed_read(rtc);
  ++result.reads;
  if (!r.reading.unix_s) {
    return read_failed(std::move(result), r.reading.error);
  }
  // The interrupt marks the edge; the timestamp right after read() is its upper bound.
  return finish(std::move(result), *r.reading.unix_s, at, at);
}

EdgeResult EdgeSampler::acquire(RtcDevice& rtc, EdgeResult result) {
  auto first = timed_read(rtc);
  ++result.reads;
  if (!first.reading.unix_s) {
    return read_failed(std::move(result), first.reading.error);
  }
  auto previous = first;
  const std::int64_t give_up = first.end_raw_ns + 1'500'000'000;
  while (clock_.monotonic_raw_ns() < give_up) {
    clock_.sleep_for_ns(config_.coarse_poll_ns);
    auto r = timed_read(rtc);
    ++result.reads;
    if (!r.reading.unix_s) {
      return read_failed(std::move(result), r.reading.error);
    }
    if (*r.reading.unix_s != *previous.reading.unix_s) {
      // Located within one coarse poll period: good enough to aim the fine window at the next edge.
      locked_ = true;
      edge_second_ = *r.reading.unix_s;
      edge_raw_ns_ = previous.start_raw_ns + (r.end_raw_ns - previous.start_raw_ns) / 2;
      const std::int64_t coarse_slack = (r.end_raw_ns - previous.start_raw_ns) / 2;
      EdgeResult fine_result = fine(rtc, std::move(result), coarse_slack);
      return fine_result;
    }
    previous = r;
  }
  result.outcome = EdgeOutcome::kStopped;
  result.message = "the RTC did not advance within 1.5 s (oscillator stopped?)";
  return result;
}

EdgeResult EdgeSampler::fine(RtcDevice& rtc, EdgeResult result, std::int64_t extra_slack_ns) {
  const std::int64_t now = clock_.monotonic_raw_ns();
  const double period_ns = 1e9 * rate_;
  const auto k = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil(static_cast<double>(now + config_.lead_ns - edge_raw_ns_) / period_ns)));
  const std::int64_t target = edge_second_ + k;
  const auto predicted = edge_raw_ns_ + static_cast<std::int64_t>(std::llround(static_cast<double>(k) * period_ns));
  const double tolerance_ppm = rate_known_ ? config_.rate_tolerance_ppm : kMaxEstimatePpm;
  // Never wider than most of a second: the read before the window must still show the second before.
  const std::int64_t half = std::min<std::int64_t>(
      kMaxHalfWindowNs, config_.min_half_window_ns + 2 * max_read_ns_ + extra_slack_ns +
                            static_cast<std::int64_t>(tolerance_ppm * 1e-6 * static_cast<double>(predicted - edge_raw_ns_)));
  const auto dither = std::uniform_int_distribution<std::int64_t>(0, max_read_ns_)(dither_);
  clock_.sleep_for_ns(predicted - half - dither - clock_.monotonic_raw_ns());

  auto lose = [&](std::string why) {
    locked_ = false;
    result.outcome = EdgeOutcome::kMissed;
    result.message = std::move(why);
    return std::move(result);
  };
  auto previous = timed_read(rtc);
  ++result.reads;
  if (!previous.reading.unix_s) {
    locked_ = false;
    return read_failed(std::move(result), previous.reading.error);
  }
  if (*previous.reading.unix_s != target - 1)
    return lose(*previous.reading.unix_s == target ? "the RTC edge came before the window; re-locating"
                                                   : "the RTC jumped; re-locating");
  std::int64_t longest = previous.end_raw_ns - previous.start_raw_ns;
  const std::int64_t deadline = predicted + half;
  for (;;) {
    auto r = timed_read(rtc);
    ++result.reads;
    longest = std::max(longest, r.end_raw_ns - r.start_raw_ns);
    if (!r.reading.unix_s) {
      locked_ = false;
      return read_failed(std::move(result), r.reading.error);
    }
    if (*r.reading.unix_s == target) {
      max_read_ns_ = std::clamp<std::int64_t>(longest, 50'000, 20'000'000);
      return finish(std::move(result), target, previous.start_raw_ns, r.end_raw_ns);
    }
    if (*r.reading.unix_s != target - 1) return lose("the RTC jumped; re-locating");
    if (r.end_raw_ns > deadline) {
      max_read_ns_ = std::clamp<std::int64_t>(longest, 50'000, 20'000'000);
      return lose("no RTC edge inside the predicted window; re-locating");
    }
    previous = r;
  }
}

}  // namespace pifind::agent
