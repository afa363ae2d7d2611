#include "agent/sample_store.h"

#include <fstream>

#include <catch2/catch.hpp>

#include "agent_test_support.h"
#include "inventory/core/whole_file.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

constexpr std::int64_t kRef0 = 1'700'000'000LL * 1'000'000'000LL;

// Adds n samples at 2 s spacing, drift 10 ppm, starting at reference `start_ns` and raw `raw0`.
void add_line(SampleStore& store, int n, std::int64_t start_ns, std::int64_t raw0, const std::string& boot) {
  for (int i = 0; i < n; ++i) {
    const std::int64_t dt = i * 2'000'000'000LL;
    store.add(start_ns + dt, raw0 + dt + dt / 100'000, boot);  // 10 ppm
  }
}

}  // namespace

TEST_CASE("the store persists and reloads its samples and segments") {
  TempDir dir;
  const auto file = dir.path() / "samples-rtc0.json";
  {
    SampleStore store(file);
    add_line(store, 20, kRef0, 5'000'000'000, "a");
    add_line(store, 10, kRef0 + 100'000'000'000, 7'000'000'000, "b");
    store.save();
  }
  SampleStore again(file);
  CHECK(again.load().empty());
  REQUIRE(again.samples().size() == 30);
  CHECK(again.samples().front().segment == 1);
  CHECK(again.samples().back().segment == 2);
  CHECK(again.current_segment().size() == 10);
}

TEST_CASE("a step of the reference starts a new segment, jitter does not") {
  TempDir dir;
  SampleStore store(dir.path() / "s.json");
  add_line(store, 20, kRef0, 0, "a");
  const auto& last = store.samples().back();
  CHECK_FALSE(store.add(last.reference_ns + 2'000'000'000, last.raw_ns + 2'000'020'000 + 3'000'000, "a"));  // 3 ms
  CHECK(store.add(last.reference_ns + 4'000'000'000, last.raw_ns + 4'000'040'000 + 250'000'000, "a"));  // 250 ms
  CHECK(store.steps_detected() == 1);
  CHECK(store.current_segment().size() == 1);
}

TEST_CASE("the store is bounded by thinning the older half, keeping the span") {
  TempDir dir;
  SampleStore store(dir.path() / "s.json", 64);
  add_line(store, 1000, kRef0, 0, "a");
  CHECK(store.samples().size() <= 64);
  CHECK(store.samples().front().reference_ns == kRef0);
  CHECK(store.samples().back().reference_ns == kRef0 + 999 * 2'000'000'000LL);
  const auto fit = fit_common_slope(store.samples());
  REQUIRE(fit);
  CHECK(fit->slope * 1e6 == Approx(10).margin(1e-3));
}

TEST_CASE("a corrupt samples file is set aside, not fatal") {
  TempDir dir;
  const auto file = dir.path() / "samples-rtc0.json";
  write_file_atomically(file, "{\"format\": \"pifind-agent-samples/1\", \"samples\": [[1, \"x\"]]}");
  SampleStore store(file);
  const auto problem = store.load();
  CHECK_THAT(problem, Catch::Contains("set aside"));
  CHECK(store.samples().empty());
  CHECK(std::filesystem::exists(file.string() + ".corrupt"));
  write_file_atomically(file, "not json");
  CHECK_FALSE(SampleStore(file).load().empty());
}
