#include "agent/drift_monitor.h"

#include <cerrno>
#include <cmath>

#include <fmt/format.h>

#include "agent/drift_estimator.h"
#include "inventory/core/error.h"
#include "inventory/protocol/adjtimex_correction.h"

namespace pifind::agent {
namespace {

// An exchange's timing error is up to half its round trip: slow exchanges are dropped, and the step
// threshold leaves room for network jitter.
constexpr std::int64_t kNtpMaxDelayNs = 200'000'000;
constexpr double kNtpStepToleranceS = 0.25;
constexpr int kMaxMissesInARow = 30;

// "ntp:pool.example.org" -> "ntp_pool.example.org": a safe file name part.
std::string file_part(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out.substr(0, 64);
}

// A stopped RTC gives no rate at all: the estimate from before it stopped is withheld rather than shown
// as if the RTC still kept time, and the collector (which uses "ok" estimates only) keeps its last one.
void withhold(DriftEstimate& e, const std::string& message) {
  e.status = DriftStatus::kUnavailable;
  e.message = message;
  e.ppm.reset();
  e.stderr_ppm.reset();
  e.ci95_low_ppm.reset();
  e.ci95_high_ppm.reset();
  e.s_per_day.reset();
  e.residual_rms_s.reset();
  e.runs_z.reset();
  e.recent_ppm.reset();
  e.nonconstant = false;
  e.allan.clear();
}

// No crystal is 10 % off: a rate (or interval) beyond that comes from a broken reference, and beyond
// 1e6 ppm it would get the whole report refused.
constexpr double kImplausiblePpm = kMaxEstimatePpm;

bool implausible(const DriftEstimate& e) {
  for (const auto* v : {&e.ppm, &e.stderr_ppm, &e.ci95_low_ppm, &e.ci95_high_ppm, &e.recent_ppm})
    if (*v && !(std::abs(**v) < kImplausiblePpm)) return true;
  return false;
}

void apply_status(DriftEstimate& e, DriftStatus status, const std::string& message, bool stopped) {
  if (stopped) {
    withhold(e, message);
    return;
  }
  if (implausible(e)) {
    withhold(e, fmt::format("implausible rate or interval ({:.0f} ppm): the reference is not keeping time", e.ppm.value_or(0)));
    return;
  }
  // A reference that failed lately but has a good estimate stays "ok"; the message says what happened.
  if (e.status == DriftStatus::kOk) {
    if (!message.empty() && e.message.empty()) e.message = "last attempt: " + message;
  } else if (status != DriftStatus::kCollecting) {
    e.status = status;
    e.message = message;
  } else if (!message.empty()) {
    e.message += "; last attempt: " + message;
  }
}

}  // namespace

DriftMonitor::DriftMonitor(Clock& clock, RtcOpener& opener, std::string rtc_name, std::string boot_id,
                           std::filesystem::path state_dir, std::string ntp_name, NtpQuery ntp_query,
                           std::size_t max_samples)
    : opener_(opener),
      rtc_name_(std::move(rtc_name)),
      boot_id_(std::move(boot_id)),
      ntp_name_(std::move(ntp_name)),
      ntp_query_(std::move(ntp_query)),
      sampler_(clock) {
  if (!rtc_name_.empty())
    rtc_store_ = std::make_unique<SampleStore>(state_dir / fmt::format("samples-{}.json", file_part(rtc_name_)),
                                               max_samples);
  if (ntp_query_)
    ntp_store_ = std::make_unique<SampleStore>(state_dir / fmt::format("samples-{}.json", file_part(ntp_name_)),
                                               max_samples, kNtpStepToleranceS);
}

std::vector<std::string> DriftMonitor::load() {
  std::vector<std::string> problems;
  for (auto* store : {rtc_store_.get(), ntp_store_.get()})
    if (store)
      if (auto p = store->load(); !p.empty()) problems.push_back(std::move(p));
  return problems;
}

void DriftMonitor::save() const {
  if (rtc_store_) rtc_store_->save();
  if (ntp_store_) ntp_store_->save();
}

std::optional<std::string> DriftMonitor::sample_rtc() {
  if (!rtc_store_) return std::nullopt;
  auto opened = opener_.open(rtc_name_);
  if (!opened.device) return rtc_failed(opened.busy ? DriftStatus::kBusy : DriftStatus::kUnavailable, opened.error, false);
  // Predict edges with the current estimate: the window stays narrow. A new segment (a reboot, a step)
  // starts from the rate all segments share: the oscillator is the same.
  if (rtc_store_->current_segment().size() >= 8) {
    if (const auto fit = rtc_store_->fit().newest_segment()) sampler_.set_rate_ppm(fit->slope * 1e6);
  } else if (const auto fit = rtc_store_->fit().common(); fit && fit->samples >= 8 && fit->dof >= 1) {
    sampler_.set_rate_ppm(fit->slope * 1e6);
  }
  const auto result = sampler_.sample(*opened.device);
  rtc_reads_ += result.reads;
  if (result.outcome == EdgeOutcome::kMissed) {
    // One miss is routine (the next sample re-locates); a minute of them means the RTC does not tick
    // once a second, and the report must say so rather than stay "collecting".
    if (++rtc_misses_ < kMaxMissesInARow) return result.message;
    return rtc_failed(DriftStatus::kUnavailable,
                      fmt::format("{} samples in a row found no RTC edge where one was due (last: {})", rtc_misses_,
                                  result.message),
                      false);
  }
  rtc_misses_ = 0;
  if (result.outcome != EdgeOutcome::kSample) {
    // Not advancing, or EINVAL from drivers that check the oscillator-stop flag: the RTC is stopped.
    const bool stopped = result.outcome == EdgeOutcome::kStopped || result.read_errno == EINVAL;
    return rtc_failed(DriftStatus::kUnavailable, result.message, stopped);
  }
  const auto& s = *result.sample;
  rtc_store_->add(s.reference_ns, s.raw_ns, boot_id_);
  rtc_minus_system_s_ = static_cast<double>(s.reference_ns - s.realtime_ns) * 1e-9;
  rtc_status_ = DriftStatus::kCollecting;
  rtc_stopped_ = false;
  rtc_message_.clear();
  return std::nullopt;
}

std::optional<std::string> DriftMonitor::rtc_failed(DriftStatus status, const std::string& message, bool stopped) {
  rtc_status_ = status;
  rtc_minus_system_s_.reset();  // no longer current
  // A stopped RTC stays stopped until a sample succeeds, whatever fails meanwhile.
  if (stopped) rtc_stopped_ = true;
  rtc_message_ = stopped ? "rtc stopped: " + message : rtc_stopped_ ? "rtc stopped; last attempt: " + message : message;
  return rtc_message_;
}

std::optional<std::string> DriftMonitor::sample_ntp() {
  if (!ntp_store_) return std::nullopt;
  try {
    const auto s = ntp_query_();
    if (s.delay_ns > kNtpMaxDelayNs)
      throw Error(fmt::format("NTP round trip of {:.0f} ms is too long to use", static_cast<double>(s.delay_ns) * 1e-6));
    ntp_store_->add(s.server_ns, s.raw_ns, boot_id_);
    ntp_status_ = DriftStatus::kCollecting;
    ntp_message_.clear();
    return std::nullopt;
  } catch (const Error& e) {
    ntp_status_ = DriftStatus::kUnavailable;
    ntp_message_ = e.what();
    return ntp_message_;
  }
}

std::vector<DriftEstimate> DriftMonitor::estimates() const {
  std::vector<DriftEstimate> out;
  if (rtc_store_) {
    out.push_back(estimate_drift(rtc_name_, rtc_store_->samples()));
    apply_status(out.back(), rtc_status_, rtc_message_, rtc_stopped_);
  }
  if (ntp_store_) {
    out.push_back(estimate_drift(ntp_name_, ntp_store_->samples()));
    apply_status(out.back(), ntp_status_, ntp_message_, false);
  }
  // The settings that cancel each measured rate: against MONOTONIC_RAW, which tick and frequency do not
  // touch, so they hold whatever the kernel runs with now. None for a drift that is not constant.
  for (auto& e : out)
    if (e.status == DriftStatus::kOk && e.ppm && !e.nonconstant)
      if (const auto c = adjtimex_correction(*e.ppm)) e.correction = ClockCorrection{c->settings.tick_us, c->settings.frequency};
  if (out.size() == 2 && out[0].ppm && out[1].ppm && out[0].stderr_ppm && out[1].stderr_ppm) {
    // x_rtc rises at (system - rtc), x_ntp at (system - true): the RTC runs (ntp - rtc) ppm fast.
    DriftEstimate e;
    e.reference = rtc_name_ + "-vs-ntp";
    e.status = DriftStatus::kOk;
    e.message = "the RTC's own rate error against the NTP server, positive = RTC gaining";
    e.samples = std::min(out[0].samples, out[1].samples);
    e.segments = std::max(out[0].segments, out[1].segments);
    e.window_s = std::min(out[0].window_s, out[1].window_s);
    e.ppm = *out[1].ppm - *out[0].ppm;
    e.stderr_ppm = std::hypot(*out[0].stderr_ppm, *out[1].stderr_ppm);
    e.ci95_low_ppm = *e.ppm - 1.96 * *e.stderr_ppm;
    e.ci95_high_ppm = *e.ppm + 1.96 * *e.stderr_ppm;
    e.s_per_day = *e.ppm * 0.0864;
    out.push_back(std::move(e));
  }
  if (out.empty()) {
    DriftEstimate e;
    e.reference = "none";
    e.status = DriftStatus::kUnavailable;
    e.message = "no readable RTC and no --ntp-server: nothing to measure the oscillator against";
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace pifind::agent
