// The agent's report counter: strictly increasing, durable across restarts, never silently reset.
#include "inventory/transport/report_counter.h"

#include <catch2/catch.hpp>

#include "inventory/core/whole_file.h"
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
