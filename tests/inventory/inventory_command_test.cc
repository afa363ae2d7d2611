#include <algorithm>

#include <catch2/catch.hpp>

#include "fleet_test_support.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"

using namespace pifind;
using Catch::Matchers::Contains;

TEST_CASE("pifind inventory prune removes only devices older than the cutoff") {
  test::TempDir dir;
  const auto file = (dir / "fleet.json").string();
  const auto now = std::chrono::system_clock::now();
  auto old_sighting = test::sighting("b8:27:eb:00:00:01", "10.0.0.5", 0);
  old_sighting.seen = now - std::chrono::hours(24 * 40);
  auto fresh = test::sighting("b8:27:eb:00:00:02", "10.0.0.6", 0);
  fresh.seen = now - std::chrono::hours(1);
  merge_scan_into_inventory(file, {old_sighting, fresh}, "eth0");

  auto dry = test::run_process({test::fleet_cli(), "inventory", "prune", "--inventory", file, "--older-than", "30d",
                                "--dry-run"});
  CHECK(dry.exit_status == 0);
  CHECK(dry.out == "would remove 1 devices not seen for 30d; 1 kept\n");
  CHECK(read_inventory_file(file).size() == 2);

  auto real = test::run_process({test::fleet_cli(), "inventory", "prune", "--inventory", file, "--older-than", "30d"});
  CHECK(real.exit_status == 0);
  CHECK(real.out == "removed 1 devices not seen for 30d; 1 kept\n");
  const auto inv = read_inventory_file(file);
  CHECK(inv.size() == 1);
  CHECK(inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:02")));
}

TEST_CASE("pifind inventory refuses bad arguments and broken files with one line and status 2") {
  test::TempDir dir;
  const auto file = (dir / "fleet.json").string();
  auto bad_age = test::run_process({test::fleet_cli(), "inventory", "prune", "--inventory", file, "--older-than", "soon"});
  CHECK(bad_age.exit_status == 2);
  CHECK_THAT(bad_age.err, Contains("'soon' is not a duration"));
  auto missing = test::run_process({test::fleet_cli(), "inventory", "prune", "--inventory", file, "--older-than", "1d"});
  CHECK(missing.exit_status == 2);
  CHECK(missing.err == "pifind inventory: " + file + ": no such inventory file\n");
  CHECK_FALSE(std::filesystem::exists(file));
  test::write_text(file, "{broken");
  auto broken = test::run_process({test::fleet_cli(), "inventory", "show", "--inventory", file});
  CHECK(broken.exit_status == 2);
  CHECK_THAT(broken.err, Contains("not valid JSON"));
  CHECK(std::count(broken.err.begin(), broken.err.end(), '\n') == 1);
  CHECK(read_whole_file(file) == "{broken");
}
