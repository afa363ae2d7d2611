#include "agent/seed_log.h"

#include <sstream>

#include <catch2/catch.hpp>

#include "agent/analyze.h"
#include "agent_test_support.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

TEST_CASE("the seed-format log gives Pi #1's published drift") {
  const auto text = read_small_file(fixture("seed_pi1_slice.log"), 1 << 20);
  REQUIRE(text);
  const auto log = parse_seed_log(*text);
  CHECK(log.rows > 700);
  CHECK(log.ignored_lines == 0);
  CHECK(log.steps == 0);
  CHECK(log.samples.front().reference_ns == 1367834856LL * 1'000'000'000);
  const auto e = estimate_drift("log", log.samples);
  REQUIRE(e.ppm);
  CHECK(*e.ci95_low_ppm <= 41.259);
  CHECK(*e.ci95_high_ppm >= 41.259);
  CHECK(*e.ci95_high_ppm - *e.ci95_low_ppm < 0.2);
  CHECK_FALSE(e.nonconstant);
  // The endpoint method over the same 30 minutes is noisier than the fit.
  CHECK(log.endpoint_ppm == Approx(41.259).margin(1.5));
}

TEST_CASE("analyze prints the estimate") {
  std::ostringstream out;
  CHECK(run_analyze(fixture("seed_pi1_slice.log").string(), false, out) == 0);
  CHECK_THAT(out.str(), Catch::Contains("drift +41."));
  CHECK_THAT(out.str(), Catch::Contains("constant drift: yes"));
  CHECK_THAT(out.str(), Catch::Contains("endpoint method"));
  std::ostringstream json;
  run_analyze(fixture("seed_pi1_slice.log").string(), true, json);
  CHECK_THAT(json.str(), Catch::Contains("\"ppm\": 41."));
}

TEST_CASE("a clock step in the log starts a new segment instead of bending the fit") {
  std::string text = "# Generated at: x\n";
  for (int i = 0; i < 100; ++i) {
    const double diff = 40e-6 * i * 2 + (i >= 50 ? 1.5 : 0.0);  // someone set the clock by 1.5 s
    text += std::to_string(1367834856 + 2 * i) + "  " + std::to_string(diff) + "\n";
  }
  text += "garbage line\n";
  const auto log = parse_seed_log(text);
  CHECK(log.steps == 1);
  CHECK(log.ignored_lines == 1);
  const auto e = estimate_drift("log", log.samples);
  CHECK(e.segments == 2);
  CHECK(*e.ppm == Approx(40).margin(0.1));
}

TEST_CASE("a log without rows is a one-line error") {
  CHECK_THROWS_WITH(parse_seed_log("hello\nworld\n"), Catch::Contains("no adjtimex --compare rows"));
  CHECK_THROWS_AS(parse_seed_log(""), Error);
  std::ostringstream out;
  CHECK_THROWS_WITH(run_analyze("/nonexistent/log", false, out), Catch::Contains("cannot open"));
}

TEST_CASE("a CMOS time past 2100 is an ignored line, not a nanosecond overflow (found by seed_log_fuzz)") {
  const auto log = parse_seed_log("1367834856 -0.002202\n1367834367834889 -0.002055\n1367834860 -0.002746\n");
  CHECK(log.rows == 2);
  CHECK(log.ignored_lines == 1);
  CHECK(log.samples.back().reference_ns == 1367834860LL * 1'000'000'000);
}

TEST_CASE("analyze exits 1 when the log is too short for an estimate") {
  TempDir dir;
  const auto path = dir.path() / "short.log";
  write_file_atomically(path, "# Generated at: 2013-05-06 10:07:37 UTC 1367834857 0\n1367834856 -0.002202\n");
  std::ostringstream out;
  CHECK(run_analyze(path.string(), false, out) == 1);
  CHECK_THAT(out.str(), Catch::Contains("needs at least 8"));
}
