// The journal beside the inventory file: frames replay a commit exactly (twice too), a torn tail is cut at
// every possible byte and never half-applied, readers see file plus journal, a journal of another generation
// is never replayed, writers fold it into a new generation, and a failed commit is rolled back in memory.
#include "inventory/store/inventory_journal.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fstream>

#include "fleet_test_support.h"
#include "inventory/core/crc32c.h"
#include "inventory/core/error.h"
#include "inventory/core/file_lock.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/inventory_json.h"
#include "inventory/store/inventory_snapshot.h"
#include "inventory/store/report_merge.h"
#include "tests/support/sample_report.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

MacAddress agent_mac(int n) { return MacAddress::from_u64(0xdca632000000ULL + static_cast<std::uint64_t>(n)); }

AgentReport report(int n, std::uint64_t counter, double drift_ppm) {
  return test::pi_report(agent_mac(n), counter, fmt::format("pi{}", n), fmt::format("10.0.0.{}/24", n), drift_ppm);
}

// A scanned fleet of `n` devices, as the file's generation 1 holds it.
Inventory scanned(int n) {
  Inventory inventory;
  std::vector<ScanSighting> sightings;
  for (int i = 1; i <= n; ++i) sightings.push_back(test::sighting(agent_mac(i).to_string(), fmt::format("10.0.0.{}", i), 0));
  merge_scan(inventory, sightings, "eth0");
  inventory.take_changed();
  return inventory;
}

std::string text_of(const Inventory& inventory) { return inventory_to_text(inventory, test::at(0)); }

// What one commit of `reports` changes in `inventory`, as the collector journals it.
std::string commit_frame(Inventory& inventory, const std::vector<AgentReport>& reports, long long at_s) {
  for (const auto& r : reports) REQUIRE(merge_report(inventory, r, test::at(at_s)).accepted());
  const SnapshotChanges changes = PublishedInventory::prepare(inventory, inventory.take_changed());
  const auto lines = changes.lines();
  return journal_frame(lines, changes.removed);
}

// One commit per agent 1..`n` with report `counter` (drift counter * agent ppm), each journaled: their frames.
std::vector<std::string> commit_each(Inventory& inventory, int n, std::uint64_t counter, long long at_s) {
  std::vector<std::string> frames;
  for (int k = 1; k <= n; ++k)
    frames.push_back(commit_frame(inventory, {report(k, counter, static_cast<double>(counter) * k)}, at_s + k));
  return frames;
}

// A file of generation `generation` holding `inventory`, and a journal with `frames` after it.
void write_file_and_journal(const std::filesystem::path& file, const Inventory& inventory, std::uint64_t generation,
                            const std::vector<std::string>& frames) {
  write_inventory_file(file, inventory, test::at(0), generation);
  auto journal = JournalAppender::create(journal_path(file), generation, 0640);
  for (const auto& frame : frames) journal.append(frame);
}

}  // namespace

TEST_CASE("A journal frame replays one commit exactly, and replaying it again changes nothing") {
  Inventory before = scanned(5);
  Inventory after = scanned(5);
  // Agent 1 reports an interface a scan had as device 2's: device 2 is absorbed (removed) into device 1.
  AgentReport joined = report(1, 1, 4.5);
  joined.identity.interfaces.push_back({"wlan0", agent_mac(2), {"10.0.1.9/24"}});
  const std::string frame = commit_frame(after, {joined, report(3, 1, -2.0)}, 60);
  REQUIRE(after.size() == 4);

  const std::string text = journal_header(1) + frame;
  const auto journal = scan_journal(text);
  REQUIRE(journal);
  REQUIRE(journal->frames.size() == 1);
  CHECK_THAT(std::string(journal->frames[0]), Contains("\"removed\": [\"dc:a6:32:00:00:02\"]"));
  apply_journal_frame(before, journal->frames[0]);
  CHECK(text_of(before) == text_of(after));
  apply_journal_frame(before, journal->frames[0]);
  CHECK(text_of(before) == text_of(after));
}

// A scratch directory for fleet.json, and a scanned fleet of three to write there (`base` stays as scanned).
struct ThreeScannedOnDisk {
  test::TempDir dir;
  const std::filesystem::path file = dir / "fleet.json";
  Inventory inventory = scanned(3);
  const Inventory base = inventory;
};

TEST_CASE("A torn journal tail is cut at the last whole frame, whichever byte the crash stopped at") {
  Inventory inventory = scanned(3);
  const std::vector<std::string> frames = commit_each(inventory, 3, 1, 0);
  const std::string header = journal_header(7);
  std::string whole = header;
  std::vector<std::size_t> ends;
  for (const auto& f : frames) ends.push_back((whole += f).size());
  for (std::size_t cut = header.size(); cut <= whole.size(); ++cut) {
    const auto journal = scan_journal(std::string_view(whole).substr(0, cut));
    REQUIRE(journal);
    const std::size_t whole_frames = static_cast<std::size_t>(std::count_if(ends.begin(), ends.end(), [&](std::size_t e) { return e <= cut; }));
    INFO("cut at byte " << cut);
    REQUIRE(journal->frames.size() == whole_frames);
    REQUIRE(journal->intact_bytes == (whole_frames ? ends[whole_frames - 1] : header.size()));
    CHECK(journal->torn() == (cut != journal->intact_bytes));
  }
  // A flipped bit anywhere in the last frame (payload, length, checksum, newline) drops that frame only.
  for (std::size_t at = ends[1]; at < ends[2]; ++at) {
    std::string damaged = whole;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x04);
    const auto journal = scan_journal(damaged);
    INFO("flipped byte " << at);
    REQUIRE(journal);
    CHECK(journal->frames.size() == 2);
  }
  // A header cut short is no journal yet; anything else is refused.
  CHECK_FALSE(scan_journal(header.substr(0, 9)));
  CHECK_THROWS_WITH(scan_journal("{\"schema\": \"1.1\"}\n"), Contains("not a pifind journal"));
  CHECK_THROWS_WITH(scan_journal("pifind-journal 2 generation 1\n"), Contains("journal format 2"));
}

TEST_CASE("Readers see the file with its journal, and never a journal of another generation") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  Inventory inventory = scanned(4);
  const Inventory base = inventory;
  write_file_and_journal(file, base, 5, commit_each(inventory, 4, 1, 0));
  CHECK(text_of(read_inventory_file(file)) == text_of(inventory));
  const InventoryOnDisk disk = load_inventory(file);
  CHECK(disk.generation == 5);
  REQUIRE(disk.replayed.size() == 1);
  CHECK(disk.replayed[0].frames == 4);

  SECTION("a torn tail is ignored by readers, who never write") {
    const std::string journal = read_whole_file(journal_path(file));
    std::ofstream(journal_path(file), std::ios::app) << "0000ffff 00000000\n{\"devi";
    CHECK(text_of(read_inventory_file(file)) == text_of(inventory));
    CHECK(read_whole_file(journal_path(file)).size() > journal.size());
  }
  SECTION("an older journal (the file was written since) is ignored") {
    write_inventory_file(file, base, test::at(0), 6);
    CHECK(text_of(read_inventory_file(file)) == text_of(base));
    CHECK(load_inventory(file).stale.size() == 1);
  }
  SECTION("a newer journal (the file was restored from a backup) is refused, naming both") {
    write_inventory_file(file, base, test::at(0), 3);
    CHECK_THROWS_WITH(read_inventory_file(file),
                      Contains("fleet.json.journal: generation 5 is newer than") && Contains("(generation 3)"));
  }
  SECTION("without its file a journal is ignored") {
    std::filesystem::remove(file);
    CHECK(read_inventory_file(file, true).size() == 0);
    CHECK_THROWS_WITH(read_inventory_file(file), Contains("no such inventory file"));
  }
  SECTION("a frame whose checksum matches but whose content is broken names the journal and the frame") {
    const std::string payload = "{\"dev\": 1}";
    std::ofstream(journal_path(file), std::ios::app)
        << fmt::format("{:08x} {:08x}\n{}\n", payload.size(), crc32c(payload), payload);
    CHECK_THROWS_WITH(read_inventory_file(file), Contains("fleet.json.journal: frame 5:"));
  }
}

TEST_CASE_METHOD(ThreeScannedOnDisk,
                 "The next generation's journal is replayed after the current one, as a compaction leaves them") {
  const auto current = commit_each(inventory, 3, 1, 0);
  const Inventory snapshot = inventory;
  const auto next = commit_each(inventory, 3, 2, 10);
  write_file_and_journal(file, base, 8, current);
  auto journal = JournalAppender::create(next_journal_path(file), 9, 0640);
  for (const auto& f : next) journal.append(f);
  // Killed before the new file was in place: file 8 + journal 8 + journal 9.
  CHECK(text_of(read_inventory_file(file)) == text_of(inventory));
  // The new file in place, the old journal not yet replaced: file 9 + (stale 8) + journal 9.
  write_inventory_file(file, snapshot, test::at(0), 9);
  CHECK(text_of(read_inventory_file(file)) == text_of(inventory));
  CHECK(load_inventory(file).stale.size() == 1);
  // The switch finished: file 9 + journal 9 under the usual name.
  std::filesystem::rename(next_journal_path(file), journal_path(file));
  CHECK(text_of(read_inventory_file(file)) == text_of(inventory));
  // A next journal whose current one is missing: something removed a file by hand.
  write_inventory_file(file, base, test::at(0), 8);
  std::filesystem::rename(journal_path(file), next_journal_path(file));
  CHECK_THROWS_WITH(read_inventory_file(file), Contains("continues a journal of generation 8 that is missing"));
}

TEST_CASE_METHOD(ThreeScannedOnDisk, "A writer folds the journal into a new generation of the file and removes it") {
  write_file_and_journal(file, base, 4, commit_each(inventory, 3, 1, 0));
  merge_scan_into_inventory(file, {test::sighting("b8:27:eb:00:00:99", "10.0.0.99", 50)}, "eth0");
  CHECK_FALSE(std::filesystem::exists(journal_path(file)));
  const InventoryDocument alone = inventory_document_from_text(read_whole_file(file));
  CHECK(alone.generation == 5);
  CHECK(alone.inventory.size() == 4);
  CHECK(alone.inventory.find_by_mac(agent_mac(3))->drift->drift_ppm == 3.0);
}

TEST_CASE("Appending continues after a cut torn tail, and a failed append leaves the journal as it was") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  Inventory inventory = scanned(2);
  write_file_and_journal(file, inventory, 1, {commit_frame(inventory, {report(1, 1, 1.0)}, 1)});
  const auto intact = read_whole_file(journal_path(file));
  std::ofstream(journal_path(file), std::ios::app) << "00000040 1234";
  auto journal = JournalAppender::open(journal_path(file), 1, intact.size(), 1);
  CHECK(read_whole_file(journal_path(file)) == intact);
  journal.append(commit_frame(inventory, {report(2, 1, 2.0)}, 2));
  CHECK(journal.frames() == 2);
  CHECK(journal.intact_on_disk());
  CHECK(text_of(read_inventory_file(file)) == text_of(inventory));
  // Another process appending is noticed.
  std::ofstream(journal_path(file), std::ios::app) << "x";
  CHECK_FALSE(journal.intact_on_disk());
}

TEST_CASE("A failed commit is rolled back in memory: absorbed records come back, new ones go") {
  Inventory inventory = scanned(4);
  const std::string before = text_of(inventory);
  inventory.begin_undo();
  AgentReport joined = report(1, 1, 4.5);
  joined.identity.interfaces.push_back({"wlan0", agent_mac(2), {"10.0.0.3/24"}});  // device 2's MAC, device 3's IP
  REQUIRE(merge_report(inventory, joined, test::at(60)).accepted());
  REQUIRE(merge_report(inventory, report(9, 1, 1.0), test::at(60)).accepted());
  REQUIRE(inventory.size() == 4);
  REQUIRE(text_of(inventory) != before);
  inventory.roll_back();
  CHECK(text_of(inventory) == before);
  CHECK(inventory.find_by_mac(agent_mac(2))->id == agent_mac(2));
  CHECK(inventory.find_by_current_ip(*Ipv4Address::parse("10.0.0.3"))->id == agent_mac(3));
  CHECK(inventory.find_by_mac(agent_mac(9)) == nullptr);
}

// A retired sender whose key is `key`, last counter `counter`, retired at `at`.
RetiredSender retired_sender(const std::optional<DevicePublicKey>& key, std::uint64_t counter, TimePoint at) {
  RetiredSender retired;
  retired.key = key;
  retired.last_counter = counter;
  retired.retired = at;
  return retired;
}

TEST_CASE("Pending keys and retired senders travel in the frame of a commit that changed them, and roll back") {
  const auto key = DevicePublicKey::parse("ed25519=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  REQUIRE(key);
  Inventory before = scanned(2);
  Inventory after = scanned(2);
  after.note_pending_key(SenderKind::kAgent, agent_mac(7), {*key, "pi7", "10.0.0.7", "", test::at(1), test::at(1), 1});
  after.note_pending_key(SenderKind::kScanner, agent_mac(6), {*key, "", "10.0.0.6", "lab", test::at(1), test::at(1), 2});
  after.retire(SenderKind::kAgent, agent_mac(8), retired_sender(key, 5, test::at(2)));
  after.retire(SenderKind::kScanner, agent_mac(5), retired_sender(std::nullopt, 9, test::at(2)));
  REQUIRE(after.take_sections_changed());
  const SnapshotChanges changes = PublishedInventory::prepare(after, after.take_changed(), true);
  REQUIRE(changes.sections);
  const auto lines = changes.lines();
  const std::string text = journal_header(1) + journal_frame(lines, changes.removed, changes.sections);
  const auto journal = scan_journal(text);
  REQUIRE(journal);
  apply_journal_frame(before, journal->frames.at(0));
  CHECK(before.pending_keys(SenderKind::kAgent).size() == 1);
  CHECK(before.pending_keys(SenderKind::kScanner).at(agent_mac(6)).site == "lab");
  CHECK(before.retired(SenderKind::kAgent).at(agent_mac(8)).last_counter == 5);
  CHECK(before.retired(SenderKind::kScanner).at(agent_mac(5)).last_counter == 9);
  CHECK(text_of(before) == text_of(after));
  // A frame without sections leaves them alone.
  const std::string plain = journal_header(1) + journal_frame(lines, changes.removed);
  apply_journal_frame(before, scan_journal(plain)->frames.at(0));
  CHECK(before.pending_keys(SenderKind::kAgent).size() == 1);
  CHECK(before.pending_keys(SenderKind::kScanner).size() == 1);

  // A failed commit takes its section changes back too.
  const std::string kept = text_of(after);
  after.begin_undo();
  after.drop_pending_key(SenderKind::kAgent, agent_mac(7));
  after.drop_pending_key(SenderKind::kScanner, agent_mac(6));
  after.retire(SenderKind::kAgent, agent_mac(9), retired_sender(std::nullopt, 1, test::at(3)));
  after.drop_retired(SenderKind::kScanner, agent_mac(5));
  after.roll_back();
  CHECK(text_of(after) == kept);
}
