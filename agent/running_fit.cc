#include "agent/running_fit.h"

#include <algorithm>
#include <cmath>

namespace pifind::agent {

void RunningFit::add(const DriftSample& s) {
  if (!started_) {
    started_ = true;
    origin_reference_ns_ = s.reference_ns;
  }
  const bool new_group = groups_.empty() || s.segment != segment_;
  if (new_group) {
    groups_.emplace_back();
    segment_ = s.segment;
    segment_first_ = s;
  }
  const double t = static_cast<double>(s.reference_ns - origin_reference_ns_) * 1e-9;
  const std::int64_t dref = s.reference_ns - segment_first_.reference_ns;
  const std::int64_t draw = s.raw_ns - segment_first_.raw_ns;
  const double x = static_cast<double>(draw - dref) * 1e-9;
  ++samples_;
  if (trend_known_) {
    accumulate(t, x);
    return;
  }
  pending_.push_back({t, x, new_group});
  // The first interval inside one segment fixes the trend; what came before is summed again with it.
  if (new_group || pending_.size() < 2) return;
  const Pending& a = pending_[pending_.size() - 2];
  trend_ = (x - a.x) / (t - a.t);
  if (!std::isfinite(trend_)) trend_ = 0;
  trend_known_ = true;
  const auto replay = std::move(pending_);
  pending_.clear();
  groups_.clear();
  stt_ = stx_ = sxx_ = 0;
  for (const auto& p : replay) {
    if (p.new_group) groups_.emplace_back();
    accumulate(p.t, p.x);
  }
}

void RunningFit::accumulate(double t, double x_raw) {
  const double x = x_raw - trend_ * t;
  Moments& m = groups_.back();
  if (m.n == 0) m.first_t = t;
  m.last_t = t;
  const double before_tt = m.stt, before_tx = m.stx, before_xx = m.sxx;
  m.n += 1;
  const double dt = t - m.mean_t;
  const double dx = x - m.mean_x;
  m.mean_t += dt / m.n;
  m.mean_x += dx / m.n;
  m.stt += dt * (t - m.mean_t);
  m.stx += dt * (x - m.mean_x);
  m.sxx += dx * (x - m.mean_x);
  stt_ += m.stt - before_tt;
  stx_ += m.stx - before_tx;
  sxx_ += m.sxx - before_xx;
}

void RunningFit::rebuild(std::span<const DriftSample> samples) {
  *this = RunningFit();
  for (const auto& s : samples) add(s);
}

std::optional<SlopeFit> RunningFit::fit(double stt, double stx, double sxx, std::size_t n, std::size_t groups,
                                        double span_s) const {
  if (!(stt > 0)) return std::nullopt;
  SlopeFit f;
  f.slope = stx / stt + trend_;
  f.samples = n;
  f.segments = groups;
  f.dof = static_cast<int>(n) - static_cast<int>(groups) - 1;
  f.residual_ss = std::max(0.0, sxx - (stx / stt) * stx);
  f.slope_stderr = f.dof >= 1 ? std::sqrt(f.residual_ss / f.dof / stt) : 0;
  f.span_s = span_s;
  f.stt_s2 = stt;
  return f;
}

std::optional<SlopeFit> RunningFit::common() const {
  if (groups_.empty()) return std::nullopt;
  return fit(stt_, stx_, sxx_, samples_, groups_.size(), groups_.back().last_t - groups_.front().first_t);
}

std::optional<SlopeFit> RunningFit::newest_segment() const {
  if (groups_.empty()) return std::nullopt;
  const Moments& m = groups_.back();
  return fit(m.stt, m.stx, m.sxx, static_cast<std::size_t>(m.n), 1, m.last_t - m.first_t);
}

}  // namespace pifind::agent
