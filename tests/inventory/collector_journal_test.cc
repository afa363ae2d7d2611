// The collector's journal and compaction in-process: commits append frames, compactions fold them into new
// generations of the file while commits go on, readers never miss an acknowledged report meanwhile, scans and
// prunes keep working beside a running collector, a killed collector's leftovers are finished at start, and
// a clean stop leaves one complete file.
#include "inventory/collector/collector.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "collector_fixture.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/inventory_journal.h"
#include "inventory/store/inventory_json.h"
#include "inventory/store/report_merge.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

using namespace std::chrono_literals;

CompactionPolicy compact_at_once() {
  CompactionPolicy policy;
  policy.after = 0ms;
  return policy;
}

MacAddress agent_of(int n) { return test::sample_report(n, 1).agent_id; }

// The last accepted counter of agent `n` in `inventory`, 0 if it has none.
std::uint64_t counter_in(const Inventory& inventory, int n) {
  const auto* record = inventory.find_by_mac(agent_of(n));
  return record && record->agent ? record->agent->last_counter : 0;
}

// The file alone, as `jq` would read it: no journal replayed.
InventoryDocument file_alone(const std::filesystem::path& file) {
  return inventory_document_from_text(read_whole_file(file));
}

}  // namespace

TEST_CASE("Commits append to the journal, compactions fold it into the file, and a stop leaves one complete file") {
  test::CollectorFixture fx({}, "", nullptr, compact_at_once());
  for (int counter = 1; counter <= 8; ++counter)
    for (int n = 1; n <= 10; ++n) REQUIRE(fx.submit(test::sample_report(n, static_cast<std::uint64_t>(counter), counter)) == 204);
  const CollectorStats running = fx.collector().stats();
  CHECK(running.reports_accepted == 80);
  CHECK(running.compactions >= 2);  // the first commit creates the file, compactions follow
  CHECK(running.commits == running.reports_accepted);  // one report at a time: one frame each
  const Inventory current = read_inventory_file(fx.file());
  for (int n = 1; n <= 10; ++n) CHECK(counter_in(current, n) == 8);
  fx.collector().stop();
  CHECK_FALSE(std::filesystem::exists(journal_path(fx.file())));
  CHECK_FALSE(std::filesystem::exists(next_journal_path(fx.file())));
  const InventoryDocument alone = file_alone(fx.file());
  for (int n = 1; n <= 10; ++n) CHECK(counter_in(alone.inventory, n) == 8);
  CHECK(alone.generation == fx.collector().stats().compactions);
}

TEST_CASE("Without a compaction due, the file lags and the journal holds what it lacks") {
  test::CollectorFixture fx;  // compacts after 60 s or 4 MiB
  REQUIRE(fx.submit(test::sample_report(1, 1, 1.0)) == 204);  // creates the file
  for (int n = 2; n <= 4; ++n) REQUIRE(fx.submit(test::sample_report(n, 1, 1.0)) == 204);
  CHECK(file_alone(fx.file()).inventory.size() == 1);
  CHECK(load_inventory(fx.file()).replayed.at(0).frames == 3);
  CHECK(read_inventory_file(fx.file()).size() == 4);
  const auto metrics = test::http_request(fx.port(), "GET", "/metrics").body;
  CHECK_THAT(metrics, Contains("pifind_collector_journal_bytes "));
  CHECK_THAT(metrics, Contains("pifind_collector_file_behind_seconds "));
  // `pifind inventory compact` folds it while the collector runs; the collector re-reads and goes on.
  const auto compact = test::run_process({test::fleet_cli(), "inventory", "compact", "--inventory", fx.file().string()});
  INFO(compact.err);
  CHECK(compact.exit_status == 0);
  CHECK(file_alone(fx.file()).inventory.size() == 4);
  CHECK_FALSE(std::filesystem::exists(journal_path(fx.file())));
  REQUIRE(fx.submit(test::sample_report(5, 1, 1.0)) == 204);
  CHECK(read_inventory_file(fx.file()).size() == 5);
  CHECK(fx.collector().stats().reloads >= 1);
}

TEST_CASE("Readers never miss an acknowledged report while commits and compactions run") {
  test::CollectorFixture fx({}, "", nullptr, compact_at_once());
  std::mutex acks_mutex;
  std::vector<std::uint64_t> acked(13, 0);  // agent -> last acknowledged counter
  std::atomic<bool> running{true};
  std::thread writer([&] {
    for (std::uint64_t counter = 1; running; ++counter)
      for (int n = 1; n <= 12; ++n) {
        if (fx.submit(test::sample_report(n, counter, static_cast<double>(counter))) != 204) continue;
        const std::lock_guard lock(acks_mutex);
        acked[static_cast<std::size_t>(n)] = counter;
      }
  });
  int reads = 0;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < deadline || fx.collector().stats().compactions < 3) {
    std::vector<std::uint64_t> before;
    {
      const std::lock_guard lock(acks_mutex);
      before = acked;
    }
    const Inventory seen = read_inventory_file(fx.file(), true);
    for (int n = 1; n <= 12; ++n) {
      INFO("read " << reads << ", agent " << n);
      REQUIRE(counter_in(seen, n) >= before[static_cast<std::size_t>(n)]);
    }
    ++reads;
  }
  running = false;
  writer.join();
  const CollectorStats stats = fx.collector().stats();
  WARN(fmt::format("{} reads, each complete, during {} commits and {} compactions", reads, stats.commits,
                   stats.compactions));
  CHECK(reads > 10);
}

TEST_CASE("A scan merge and a prune beside a running collector lose nothing of either") {
  test::CollectorFixture fx;
  for (int n = 1; n <= 5; ++n) REQUIRE(fx.submit(test::sample_report(n, 1, 1.0)) == 204);
  // A scan while the journal holds four of the five reports.
  ScanSighting old_sighting = test::sighting("b8:27:eb:99:00:01", "10.9.0.1", 0);
  old_sighting.seen = std::chrono::system_clock::now() - std::chrono::hours(24 * 40);
  merge_scan_into_inventory(fx.file(), {old_sighting, test::sighting("b8:27:eb:99:00:02", "10.9.0.2", 0)}, "eth0");
  CHECK(file_alone(fx.file()).inventory.size() == 7);
  for (int n = 1; n <= 5; ++n) REQUIRE(fx.submit(test::sample_report(n, 2, 2.0)) == 204);
  // A prune of what was not seen for 35 days, while the journal holds the second round of reports.
  const auto prune = test::run_process(
      {test::fleet_cli(), "inventory", "prune", "--older-than", "35d", "--inventory", fx.file().string()});
  INFO(prune.err);
  CHECK(prune.exit_status == 0);
  CHECK_THAT(prune.out, Contains("removed 1 devices"));
  REQUIRE(fx.submit(test::sample_report(6, 1, 1.0)) == 204);
  const Inventory after = read_inventory_file(fx.file());
  CHECK(after.size() == 7);
  for (int n = 1; n <= 5; ++n) CHECK(counter_in(after, n) == 2);
  CHECK(after.find_by_mac(*MacAddress::parse("b8:27:eb:99:00:02")));
  CHECK_FALSE(after.find_by_mac(*MacAddress::parse("b8:27:eb:99:00:01")));
  CHECK(fx.collector().stats().reloads >= 2);
  // What the collector serves is what is on disk.
  const auto served = nlohmann::json::parse(test::http_request(fx.port(), "GET", "/v1/inventory").body);
  CHECK(served["devices"].size() == 7);
}

TEST_CASE("A killed collector's leftovers are finished at start: a torn tail cut, two journals folded") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  {
    Collector collector(file, test::test_fleet_key());
    collector.start();
    for (int n = 1; n <= 3; ++n) {
      const auto report = test::sample_report(n, 1, 1.0);
      const std::string body = to_body(report);
      std::promise<int> answered;
      collector.submit(test::signed_headers_for(report, body), body,
                       [&](ReportOutcome o) { answered.set_value(o.http_status); });
      REQUIRE(answered.get_future().get() == 204);
    }
    // Keep the journal as a SIGKILL would: copy it away before the clean stop folds it.
    std::filesystem::copy_file(journal_path(file), dir / "journal.saved");
    std::filesystem::copy_file(file, dir / "file.saved");
  }
  std::filesystem::copy_file(dir / "file.saved", file, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(dir / "journal.saved", journal_path(file));
  const auto intact = std::filesystem::file_size(journal_path(file));

  SECTION("a torn tail") {
    std::ofstream(journal_path(file), std::ios::app) << "000009a0 5eb0c0de\n{\"devices\": {\"b8:27";
    test::CollectorFixture fx({}, file.string());
    CHECK(std::filesystem::file_size(journal_path(file)) == intact);
    REQUIRE(fx.submit(test::sample_report(4, 1, 1.0)) == 204);
    const Inventory now = read_inventory_file(file);
    CHECK(now.size() == 4);
    CHECK(load_inventory(file).replayed.at(0).frames == 3);
  }
  SECTION("two journals, as a compaction killed before its file was in place leaves them") {
    const auto generation = file_alone(file).generation;
    Inventory inventory = read_inventory_file(file);
    REQUIRE(merge_report(inventory, test::sample_report(4, 1, 4.0), std::chrono::system_clock::now()).accepted());
    const SnapshotChanges changes = PublishedInventory::prepare(inventory, inventory.take_changed());
    const auto lines = changes.lines();
    JournalAppender::create(next_journal_path(file), generation + 1, 0640).append(journal_frame(lines, changes.removed));
    test::CollectorFixture fx({}, file.string());
    CHECK_FALSE(std::filesystem::exists(journal_path(file)));
    CHECK_FALSE(std::filesystem::exists(next_journal_path(file)));
    const InventoryDocument alone = file_alone(file);
    CHECK(alone.generation == generation + 2);
    CHECK(alone.inventory.size() == 4);
  }
}

TEST_CASE("GET /v1/inventory streams the complete state, the same as the file and journal give") {
  test::CollectorFixture fx;
  for (int n = 1; n <= 40; ++n) REQUIRE(fx.submit(test::sample_report(n, 1, 0.5 * n)) == 204);
  const auto reply = test::http_request(fx.port(), "GET", "/v1/inventory");
  REQUIRE(reply.status == 200);
  CHECK(std::stoul(reply.headers.at("Content-Length")) == reply.body.size());
  const Inventory served = inventory_from_text(reply.body);
  const Inventory on_disk = read_inventory_file(fx.file());
  CHECK(inventory_to_text(served, test::at(0)) == inventory_to_text(on_disk, test::at(0)));
  CHECK(served.size() == 40);
}
