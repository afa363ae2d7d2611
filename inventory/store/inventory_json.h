// The inventory file's JSON document: {"schema": "1.0", "updated": ..., "devices": {MAC: record}}.
// Readers accept any 1.x and refuse a newer major version rather than guess (see pifind-inventory(5)).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "inventory/store/inventory.h"

namespace pifind {

inline constexpr int kInventorySchemaMajor = 1;
inline constexpr int kInventorySchemaMinor = 3;  // 1.1: keys, aliases, conflicts, sites, names, scanners; 1.2: ipv6; 1.3: scanner keys

/// One record as its JSON object (the MAC key is not repeated inside); `with_history` false leaves out
/// "drift_history".
nlohmann::json record_to_json(const InventoryRecord& record, bool with_history = true);
/// The whole document; `updated` is written as its "updated" field.
nlohmann::json inventory_to_json(const Inventory& inventory, TimePoint updated);
/// The document as text, as written to disk: the header fields, then one device per line (so files diff
/// and grep well), newline-terminated.
std::string inventory_to_text(const Inventory& inventory, TimePoint updated);

/// inventory_to_text() for a writer that commits the same inventory again and again (the collector):
/// it keeps each device's line and re-serialises only the records the inventory reports as changed.
class InventoryTextCache {
 public:
  /// The same text inventory_to_text() gives. Consumes `inventory.take_changed()`.
  std::string render(Inventory& inventory, TimePoint updated);
  /// Forgets every line (after the inventory was replaced wholesale, e.g. re-read from disk).
  void clear() { lines_.clear(); }

 private:
  std::unordered_map<MacAddress, std::string> lines_;
};

/// Parses a document. Throws Error with one line naming the first problem (syntax error with line and
/// column, newer major schema, a malformed field with the device it belongs to).
Inventory inventory_from_text(std::string_view text);

}  // namespace pifind
