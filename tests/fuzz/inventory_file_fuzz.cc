// libFuzzer target: the inventory file's text as read_inventory_file() parses it (inventory_from_text).
// A loaded inventory must save and load back to the same text, also through the collector's published snapshot.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "inventory/core/error.h"
#include "inventory/store/inventory_json.h"
#include "inventory/store/inventory_snapshot.h"
#include "tests/fuzz/fuzz_check.h"

using namespace pifind;
using pifind::fuzz::parsed_or_refused;
using pifind::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parsed_or_refused([&] { return inventory_from_text(text); }, "inventory errors are one line");
  if (!parsed) return 0;
  const Inventory& loaded = *parsed;
  const TimePoint updated{std::chrono::seconds(1'764'000'000)};
  const std::string saved = inventory_to_text(loaded, updated);
  Inventory reloaded = inventory_from_text(saved);
  require(reloaded.size() == loaded.size(), "a re-saved inventory keeps every device");
  require(inventory_to_text(reloaded, updated) == saved, "a loaded inventory re-saves and re-loads identically");
  PublishedInventory published;
  published.reset(reloaded);
  require(DocumentPieces(updated, 0, published.snapshot()->lines()).text() == saved,
          "the collector's snapshot gives the plain text");
  return 0;
}
