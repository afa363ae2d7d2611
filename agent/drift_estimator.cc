#include "agent/drift_estimator.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace pifind::agent {
namespace {

struct Point {
  double t_s;
  double x_s;
  std::size_t group;  ///< dense index of the point's segment, 0 .. segments-1
};

struct Points {
  std::vector<Point> points;
  std::size_t segments = 0;
};

// Relative to each segment's first sample, differences taken in integers so nothing is lost to
// doubles holding 1.7e18 ns. A segment's samples come in one run in time order, so the segment table is
// looked up only where the segment changes: the fit runs on every RTC sample, over up to 2048 of them.
Points to_points(std::span<const DriftSample> samples) {
  struct Group {
    std::size_t index;
    const DriftSample* first;
  };
  std::map<std::uint32_t, Group> groups;
  Points out;
  out.points.reserve(samples.size());
  const std::int64_t ref0 = samples.empty() ? 0 : samples.front().reference_ns;
  const Group* group = nullptr;
  std::uint32_t group_segment = 0;
  for (const auto& s : samples) {
    if (group == nullptr || s.segment != group_segment) {
      group = &groups.try_emplace(s.segment, Group{groups.size(), &s}).first->second;
      group_segment = s.segment;
    }
    const std::int64_t dref = s.reference_ns - group->first->reference_ns;
    const std::int64_t draw = s.raw_ns - group->first->raw_ns;
    out.points.push_back(
        {static_cast<double>(s.reference_ns - ref0) * 1e-9, static_cast<double>(draw - dref) * 1e-9, group->index});
  }
  out.segments = groups.size();
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

std::optional<LinearFit> fit_common_slope(std::span<const DriftSample> samples) {
  const auto [points, segments] = to_points(samples);
  struct Mean {
    double n = 0, t = 0, x = 0;
  };
  std::vector<Mean> mean(segments);
  for (const auto& p : points) {
    auto& m = mean[p.group];
    m.n += 1;
    m.t += p.t_s;
    m.x += p.x_s;
  }
  for (auto& m : mean) {
    m.t /= m.n;
    m.x /= m.n;
  }
  double sxx = 0, sxy = 0;
  for (const auto& p : points) {
    const double dt = p.t_s - mean[p.group].t;
    sxx += dt * dt;
    sxy += dt * (p.x_s - mean[p.group].x);
  }
  const int dof = static_cast<int>(points.size()) - static_cast<int>(segments) - 1;
  if (dof < 1 || !(sxx > 0)) return std::nullopt;
  LinearFit fit;
  fit.slope = sxy / sxx;
  fit.samples = points.size();
  fit.segments = segments;
  fit.dof = dof;
  fit.residuals_s.reserve(points.size());
  double ss = 0;
  for (const auto& p : points) {
    const auto& m = mean[p.group];
    const double r = (p.x_s - m.x) - fit.slope * (p.t_s - m.t);
    fit.residuals_s.push_back(r);
    ss += r * r;
  }
  fit.residual_rms_s = std::sqrt(ss / static_cast<double>(points.size()));
  fit.slope_stderr = std::sqrt(ss / dof / sxx);
  return fit;
}

std::optional<double> runs_test_z(const std::vector<double>& residuals) {
  double plus = 0, minus = 0, runs = 0;
  int last = 0;
  for (double r : residuals) {
    const int sign = r > 0 ? 1 : r < 0 ? -1 : 0;
    if (sign == 0) continue;
    (sign > 0 ? plus : minus) += 1;
    if (sign != last) runs += 1;
    last = sign;
  }
  const double n = plus + minus;
  if (n < 10 || plus == 0 || minus == 0) return std::nullopt;
  const double mu = 2 * plus * minus / n + 1;
  const double var = (mu - 1) * (mu - 2) / (n - 1);
  if (!(var > 0)) return std::nullopt;
  return (runs - mu) / std::sqrt(var);
}

// The resampled grid of overlapping_adev(): 8 MiB of doubles, ~24 days of 2-second samples.
constexpr double kMaxAllanGridPoints = 1 << 20;

std::vector<AllanPoint> overlapping_adev(std::span<const DriftSample> one_segment) {
  std::vector<AllanPoint> out;
  if (one_segment.size() < 5) return out;
  const auto points = to_points(one_segment).points;
  std::vector<double> spacing;
  for (std::size_t i = 1; i < points.size(); ++i) spacing.push_back(points[i].t_s - points[i - 1].t_s);
  const double tau0 = median(spacing);
  if (!(tau0 > 0)) return out;
  // One reference reading years off (an RTC reset to 2000, a corrupt log row) stretches the segment to
  // hundreds of millions of grid points: gigabytes and minutes for a deviation that means nothing there.
  if (!((points.back().t_s - points.front().t_s) / tau0 <= kMaxAllanGridPoints)) return out;
  // Resample x onto a uniform grid by linear interpolation (the sampler skips an edge now and then).
  std::vector<double> x;
  std::size_t j = 0;
  for (double t = points.front().t_s; t <= points.back().t_s + 1e-9; t += tau0) {
    while (j + 1 < points.size() && points[j + 1].t_s < t) ++j;
    if (j + 1 >= points.size()) {
      x.push_back(points.back().x_s);
      break;
    }
    const auto& a = points[j];
    const auto& b = points[j + 1];
    const double f = b.t_s > a.t_s ? (t - a.t_s) / (b.t_s - a.t_s) : 0;
    x.push_back(a.x_s + std::clamp(f, 0.0, 1.0) * (b.x_s - a.x_s));
  }
  const std::size_t n = x.size();
  for (std::size_t m : {1u, 10u, 100u, 1000u}) {
    if (n < 2 * m + 5) break;
    double sum = 0;
    for (std::size_t i = 0; i + 2 * m < n; ++i) {
      const double d = x[i + 2 * m] - 2 * x[i + m] + x[i];
      sum += d * d;
    }
    const double tau = static_cast<double>(m) * tau0;
    out.push_back({tau, std::sqrt(sum / (2 * tau * tau * static_cast<double>(n - 2 * m)))});
  }
  return out;
}

double student_t_975(int dof) {
  static constexpr double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                     2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                     2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof < 1) return std::numeric_limits<double>::infinity();
  if (dof <= 30) return table[dof - 1];
  // Cornish-Fisher expansion around the normal quantile; better than 1e-3 beyond 30 degrees of freedom.
  const double z = 1.959963985, v = dof;
  return z + (z * z * z + z) / (4 * v) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v);
}

DriftEstimate estimate_drift(const std::string& reference, std::span<const DriftSample> samples,
                             std::size_t min_samples) {
  DriftEstimate e;
  e.reference = reference;
  e.samples = static_cast<std::int64_t>(samples.size());
  if (!samples.empty())
    e.window_s = static_cast<double>(samples.back().reference_ns - samples.front().reference_ns) * 1e-9;
  {
    std::vector<std::uint32_t> ids;
    for (const auto& s : samples) ids.push_back(s.segment);
    std::sort(ids.begin(), ids.end());
    e.segments = std::unique(ids.begin(), ids.end()) - ids.begin();
  }
  const auto fit = fit_common_slope(samples);
  const std::size_t needed = std::max<std::size_t>(min_samples, 3);
  if (samples.size() < needed) {
    e.status = DriftStatus::kCollecting;
    e.message = fmt::format("{} samples over {:.0f} s; an estimate needs at least {}", samples.size(), e.window_s, needed);
    return e;
  }
  if (!fit) {
    // Enough samples, but steps or reboots cut them into segments too short to share a rate.
    e.status = DriftStatus::kCollecting;
    e.message = fmt::format("{} samples over {:.0f} s fall into {} segments (steps or reboots between them): "
                            "too few samples per segment to fit a rate",
                            samples.size(), e.window_s, e.segments);
    return e;
  }
  const double ppm = fit->slope * 1e6;
  if (!(std::abs(ppm) <= kMaxEstimatePpm)) {
    e.status = DriftStatus::kUnavailable;
    e.message = fmt::format("a rate of {:+.0f} ppm is beyond the ±{:.0f} ppm (±10 %) a clock can be corrected by: "
                            "the reference is not keeping time",
                            ppm, kMaxEstimatePpm);
    return e;
  }
  e.status = DriftStatus::kOk;
  const double se = fit->slope_stderr * 1e6;
  const double half = student_t_975(fit->dof) * se;
  e.ppm = ppm;
  e.stderr_ppm = se;
  e.ci95_low_ppm = ppm - half;
  e.ci95_high_ppm = ppm + half;
  e.s_per_day = ppm * 0.0864;
  e.residual_rms_s = fit->residual_rms_s;
  e.runs_z = runs_test_z(fit->residuals_s);
  bool changed = e.runs_z && samples.size() >= 20 && *e.runs_z < kRunsZThreshold;

  // Split test: the older and the newer half fitted on their own.
  const std::size_t mid = samples.size() / 2;
  if (mid >= min_samples) {
    const auto older = fit_common_slope(samples.first(mid));
    const auto newer = fit_common_slope(samples.subspan(mid));
    if (older && newer) {
      const double diff = newer->slope - older->slope;
      const double sd = std::hypot(older->slope_stderr, newer->slope_stderr);
      if (sd > 0 && std::abs(diff) / sd > kSplitZThreshold) changed = true;
      if (changed) e.recent_ppm = newer->slope * 1e6;
    }
  }
  e.nonconstant = changed;
  if (changed)
    e.message = "the drift is not constant (residuals not random or halves disagree); recent_ppm is the newer half";

  // Allan deviation of the segment with the most samples.
  std::map<std::uint32_t, std::pair<std::size_t, std::size_t>> ranges;  // first index, count
  for (std::size_t i = 0; i < samples.size(); ++i) {
    auto [it, inserted] = ranges.try_emplace(samples[i].segment, i, 0);
    it->second.second = i - it->second.first + 1;
  }
  std::pair<std::size_t, std::size_t> best{0, 0};
  for (const auto& [id, r] : ranges)
    if (r.second > best.second) best = r;
  e.allan = overlapping_adev(samples.subspan(best.first, best.second));
  return e;
}

}  // namespace pifind::agent
