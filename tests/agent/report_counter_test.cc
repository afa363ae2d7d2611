// The report counter (the agent's, a scanner's): strictly increasing, durable across restarts, never silently
// reset, never repeated by two processes at once.
#include "inventory/transport/report_counter.h"

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "inventory/core/whole_file.h"
#include "tests/support/processes.h"
#include "tests/support/temp_dir.h"

using namespace pifind;
using test::TempDir;

TEST_CASE("the counter only increases and survives a restart") {
  TempDir dir;
  {
    ReportCounter c(dir.path());
    CHECK(c.last() == 0);
    CHECK(c.next() == 1);
    CHECK(c.next() == 2);
  }
  ReportCounter again(dir.path());
  CHECK(again.last() == 2);
  CHECK(again.next() == 3);
  CHECK(read_small_file(dir.path() / "counter", 64) == "3\n");
  write_file_atomically(dir.path() / "counter", "garbage");
  CHECK_THROWS_WITH(ReportCounter(dir.path()), Catch::Contains("is corrupt"));
}

TEST_CASE("two processes sharing a state directory never hand out the same counter") {
  TempDir dir;
  constexpr int kPerProcess = 50;
  // Each takes its counter fresh, as each run of `pifind --collector` does.
  const auto statuses = test::run_in_processes(2, [&](int p) {
    std::string values;
    for (int i = 0; i < kPerProcess; ++i) values += std::to_string(ReportCounter(dir.path()).next()) + "\n";
    write_file_atomically(dir.path() / ("values" + std::to_string(p)), values);
  });
  REQUIRE(statuses == std::vector<int>{0, 0});
  std::set<std::uint64_t> seen;
  for (int p = 0; p < 2; ++p) {
    std::istringstream in(*read_small_file(dir.path() / ("values" + std::to_string(p)), 4096));
    for (std::uint64_t v; in >> v;) CHECK(seen.insert(v).second);
  }
  CHECK(seen.size() == 2 * kPerProcess);
  CHECK(*seen.rbegin() == 2 * kPerProcess);
}
