// libFuzzer target: the inventory's journal as readers and a starting collector scan and replay it
// (scan_journal, apply_journal_frame). Errors are one line; the intact part of a journal scans the same
// again on its own (so cutting a torn tail off never changes what replays); a replayed inventory, pending keys
// and retired agents included, written back as one frame replays to the same inventory.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "inventory/core/error.h"
#include "inventory/store/inventory_journal.h"
#include "inventory/store/inventory_json.h"
#include "inventory/store/inventory_snapshot.h"
#include "tests/fuzz/fuzz_check.h"

using namespace pifind;
using pifind::fuzz::one_line;
using pifind::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<JournalText> journal;
  try {
    journal = scan_journal(text);
  } catch (const Error& e) {
    require(one_line(e.what()), "journal errors are one line");
    return 0;
  }
  if (!journal) return 0;
  require(journal->intact_bytes <= journal->total_bytes && journal->total_bytes == size, "lengths are consistent");
  const auto intact = scan_journal(text.substr(0, journal->intact_bytes));
  require(intact && intact->frames.size() == journal->frames.size() && !intact->torn(),
          "the intact part scans the same on its own");

  Inventory inventory;
  std::unordered_map<MacAddress, std::string> lines;
  for (const auto frame : journal->frames) {
    try {
      apply_journal_frame(inventory, frame, &lines);
    } catch (const Error& e) {
      require(one_line(e.what()), "frame errors are one line");
      return 0;
    }
  }
  // What the collector would journal for these devices is read back to the same inventory.
  std::unordered_set<MacAddress> ids;
  for (const auto& [id, record] : inventory.records()) ids.insert(id);
  const SnapshotChanges changes = PublishedInventory::prepare(inventory, ids, true);
  const auto views = changes.lines();
  const std::string rewritten = journal_header(1) + journal_frame(views, changes.removed, changes.sections);
  const auto again = scan_journal(rewritten);
  require(again && again->frames.size() == 1 && !again->torn(), "a frame pifind writes scans whole");
  Inventory replayed;
  apply_journal_frame(replayed, again->frames[0]);
  const TimePoint updated{std::chrono::seconds(1'764'000'000)};
  require(inventory_to_text(replayed, updated) == inventory_to_text(inventory, updated),
          "a rewritten frame replays to the same inventory");
  return 0;
}
