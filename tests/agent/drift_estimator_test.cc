#include "agent/drift_estimator.h"
#include "agent/running_fit.h"

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

using namespace pifind;
using namespace pifind::agent;

namespace {

// x = slope·t + white noise of `sigma_s`, one sample every `step_s`.
std::vector<DriftSample> line(double ppm, double sigma_s, int n, double step_s = 2, std::uint32_t segment = 1,
                              std::int64_t raw_offset_ns = 0, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, sigma_s);
  std::vector<DriftSample> out;
  for (int i = 0; i < n; ++i) {
    const double t = i * step_s;
    const auto ref = static_cast<std::int64_t>(1.7e18) + static_cast<std::int64_t>(std::llround(t * 1e9));
    const double x = ppm * 1e-6 * t + (sigma_s > 0 ? noise(rng) : 0);
    out.push_back({ref, raw_offset_ns + static_cast<std::int64_t>(std::llround((t + x) * 1e9)), segment});
  }
  return out;
}

}  // namespace

TEST_CASE("least squares recovers an exact slope") {
  const auto s = line(40.689, 0, 100);
  const auto fit = fit_common_slope(s);
  REQUIRE(fit);
  CHECK(fit->slope * 1e6 == Approx(40.689).margin(1e-6));
  CHECK(fit->residual_rms_s < 1e-9);
  CHECK(fit->dof == 98);
}

TEST_CASE("the standard error matches sigma·sqrt(12/N)/T for white noise") {
  const int n = 1800;
  const double sigma = 1e-3, step = 2;
  const auto s = line(-12.5, sigma, n, step);
  const auto fit = fit_common_slope(s);
  REQUIRE(fit);
  const double expected = sigma * std::sqrt(12.0 / n) / (n * step);
  CHECK(fit->slope_stderr == Approx(expected).epsilon(0.1));
  CHECK(std::abs(fit->slope * 1e6 + 12.5) < 4 * fit->slope_stderr * 1e6);
  CHECK(fit->residual_rms_s == Approx(sigma).epsilon(0.1));
}

TEST_CASE("segments share the slope and keep their own offsets") {
  auto a = line(10, 0, 50, 2, 1, 0);
  auto b = line(10, 0, 50, 2, 2, 123'456'789'000);  // after a reboot: MONOTONIC_RAW restarted elsewhere
  for (auto& s : b) s.reference_ns += 500'000'000'000;
  a.insert(a.end(), b.begin(), b.end());
  const auto fit = fit_common_slope(a);
  REQUIRE(fit);
  CHECK(fit->segments == 2);
  CHECK(fit->slope * 1e6 == Approx(10).margin(1e-6));
  CHECK(fit->residual_rms_s < 1e-9);
  const auto e = estimate_drift("rtc0", a);
  CHECK(e.segments == 2);
  CHECK(e.window_s == Approx(598));  // first sample of a to last of b
}

TEST_CASE("too few samples: collecting, no numbers") {
  const auto s = line(1, 1e-3, 5);
  const auto e = estimate_drift("rtc0", s);
  CHECK(e.status == DriftStatus::kCollecting);
  CHECK_FALSE(e.ppm);
  CHECK_THAT(e.message, Catch::Contains("5 samples"));
  CHECK(estimate_drift("rtc0", {}).status == DriftStatus::kCollecting);
}

TEST_CASE("the runs test: random residuals near 0, a bend strongly negative") {
  std::vector<double> alternating, blocky;
  for (int i = 0; i < 100; ++i) {
    alternating.push_back(i % 2 ? 1.0 : -1.0);
    blocky.push_back(i < 50 ? 1.0 : -1.0);
  }
  CHECK(*runs_test_z(alternating) > 5);
  CHECK(*runs_test_z(blocky) < -9);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0, 1);
  std::vector<double> random;
  for (int i = 0; i < 1000; ++i) random.push_back(n(rng));
  CHECK(std::abs(*runs_test_z(random)) < 3);
  CHECK_FALSE(runs_test_z({1, -1, 1}));
}

TEST_CASE("a drift that changes midway is flagged, a constant one is not") {
  const double sigma = 0.5e-3;
  auto first = line(40, sigma, 900, 2, 1, 0, 5);
  // Continue the same segment at 45 ppm.
  const auto& last = first.back();
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0, sigma);
  const double x0 = static_cast<double>((last.raw_ns - first.front().raw_ns) - (last.reference_ns - first.front().reference_ns)) * 1e-9;
  const double t0 = static_cast<double>(last.reference_ns - first.front().reference_ns) * 1e-9;
  auto changed = first;
  for (int i = 1; i <= 900; ++i) {
    const double t = t0 + i * 2;
    const double x = x0 + 45e-6 * (t - t0) + noise(rng);
    changed.push_back({first.front().reference_ns + static_cast<std::int64_t>(std::llround(t * 1e9)),
                       first.front().raw_ns + static_cast<std::int64_t>(std::llround((t + x) * 1e9)), 1});
  }
  const auto e = estimate_drift("rtc0", changed);
  CHECK(e.nonconstant);
  REQUIRE(e.recent_ppm);
  CHECK(*e.recent_ppm == Approx(45).margin(0.2));
  CHECK_FALSE(e.message.empty());

  const auto steady = estimate_drift("rtc0", line(40, sigma, 1800, 2, 1, 0, 11));
  CHECK_FALSE(steady.nonconstant);
  CHECK_FALSE(steady.recent_ppm);
}

TEST_CASE("overlapping Allan deviation of white phase noise falls as 1/tau") {
  const double sigma = 1e-3;
  const auto s = line(0, sigma, 4000, 1);
  const auto adev = overlapping_adev(s);
  REQUIRE(adev.size() == 4);  // tau 1, 10, 100, 1000 s
  CHECK(adev[0].tau_s == Approx(1));
  // White PM: sigma_y(tau) = sqrt(3)·sigma/tau for the overlapping estimator at m = 1.
  CHECK(adev[0].adev == Approx(std::sqrt(3.0) * sigma).epsilon(0.1));
  CHECK(adev[1].adev < adev[0].adev / 5);
  CHECK(adev[2].adev < adev[1].adev / 5);
  CHECK(adev[3].tau_s == Approx(1000));
}

TEST_CASE("a reading decades off gives no Allan deviation instead of a grid of gigabytes (found by seed_log_fuzz)") {
  auto s = line(0, 1e-3, 100);
  constexpr std::int64_t twenty_years_ns = 20LL * 365 * 86400 * 1'000'000'000;
  s.front().reference_ns -= twenty_years_ns;  // both clocks set back: x stays on the line, so no new segment
  s.front().raw_ns -= twenty_years_ns;
  CHECK(overlapping_adev(s).empty());
  CHECK(overlapping_adev(line(0, 1e-3, 100)).size() == 2);  // tau 2 and 20 s without the stray reading
}

TEST_CASE("Student t quantiles") {
  CHECK(student_t_975(1) == Approx(12.706));
  CHECK(student_t_975(10) == Approx(2.228));
  CHECK(student_t_975(60) == Approx(2.000).margin(0.002));
  CHECK(student_t_975(1000) == Approx(1.962).margin(0.002));
}

TEST_CASE("the running fit (O(1) per sample) gives what the full refit gives, within rounding (issue 15)") {
  // Three segments at 1.7e18 ns, a large drift and 1 ms of noise: where uncentred sums would cancel.
  for (const double ppm : {40.689, -50000.0}) {
    INFO(ppm);
    auto all = line(ppm, 1e-3, 700, 2, 1, 0, 3);
    auto b = line(ppm, 1e-3, 500, 10, 2, 987'654'321'000, 4);
    auto c = line(ppm, 1e-3, 2, 10, 3, 5'000'000'000, 5);  // a segment of two samples: one interval
    for (auto& s : b) s.reference_ns += 3'000'000'000'000;
    for (auto& s : c) s.reference_ns += 9'000'000'000'000;
    all.insert(all.end(), b.begin(), b.end());
    all.insert(all.end(), c.begin(), c.end());
    RunningFit running;
    for (std::size_t i = 0; i < all.size(); ++i) {
      running.add(all[i]);
      if (i % 97 != 0 && i + 1 != all.size()) continue;  // compare along the way, and at the end
      const auto full = fit_common_slope(std::span<const DriftSample>(all).first(i + 1));
      const auto fast = running.common();
      REQUIRE(fast.has_value() == full.has_value());
      if (!full) continue;
      CHECK(fast->slope == Approx(full->slope).epsilon(1e-9));
      CHECK(fast->slope_stderr == Approx(full->slope_stderr).epsilon(1e-8));
      CHECK(fast->dof == full->dof);
      CHECK(fast->segments == full->segments);
      CHECK(fast->samples == full->samples);
    }
    RunningFit rebuilt;
    rebuilt.rebuild(all);
    CHECK(rebuilt.common()->slope == running.common()->slope);
    // The newest segment alone: the two-sample one, its rate from one interval, no degrees of freedom.
    const auto newest = running.newest_segment();
    REQUIRE(newest);
    CHECK(newest->dof == 0);
    const double one_interval = static_cast<double>((c[1].raw_ns - c[0].raw_ns) - (c[1].reference_ns - c[0].reference_ns)) /
                                static_cast<double>(c[1].reference_ns - c[0].reference_ns);
    CHECK(newest->slope == Approx(one_interval).epsilon(1e-12));
  }
}
