// The report counter (the agent's, a scanner's): strictly increasing, durable across restarts, never silently
// reset, never repeated by two processes at once.
#include "inventory/transport/report_counter.h"

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

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

TEST_CASE("two processes sharing a state directory never hand out the same counter") {
  TempDir dir;
  constexpr int kPerProcess = 50;
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int status = 0;
      try {
        // Each takes its counter fresh, as each run of `pifind --collector` does.
        std::string values;
        for (int i = 0; i < kPerProcess; ++i) values += std::to_string(ReportCounter(dir.path()).next()) + "\n";
        write_file_atomically(dir.path() / ("values" + std::to_string(p)), values);
      } catch (...) {
        status = 1;
      }
      ::_exit(status);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  std::set<std::uint64_t> seen;
  for (int p = 0; p < 2; ++p) {
    std::istringstream in(*read_small_file(dir.path() / ("values" + std::to_string(p)), 4096));
    for (std::uint64_t v; in >> v;) CHECK(seen.insert(v).second);
  }
  CHECK(seen.size() == 2 * kPerProcess);
  CHECK(*seen.rbegin() == 2 * kPerProcess);
}
