// The inventory file's JSON document: {"schema": "1.1", "updated": ..., "generation": N, "devices": {MAC: record}}.
// Readers accept any 1.x and refuse a newer major version rather than guess (see pifind-inventory(5)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "inventory/store/inventory.h"

namespace pifind {

inline constexpr int kInventorySchemaMajor = 1;
/// 1.1 added device keys, aliases, conflicts, pending keys and retired agents; site, seen_name, scanners and
/// ips[].site; "generation" and the journal beside the file (pifind-inventory(5)). 1.2 added ipv6, 1.3 the
/// scanners' keys.
inline constexpr int kInventorySchemaMinor = 3;

/// One record as its JSON object (the MAC key is not repeated inside); `with_history` false leaves out
/// "drift_history".
nlohmann::json record_to_json(const InventoryRecord& record, bool with_history = true);
/// The record of device `id` from its JSON object. Throws Error naming the device and the field.
InventoryRecord record_from_json(const MacAddress& id, const nlohmann::json& object);
/// The whole document; `updated` is written as its "updated" field.
nlohmann::json inventory_to_json(const Inventory& inventory, TimePoint updated);

/// One device as the file holds it, on one line: `"b8:27:eb:00:00:01": {...}` (no separator, no newline).
std::string device_line(const MacAddress& id, const InventoryRecord& record);

/// "pending_keys", "retired_agents", "pending_scanner_keys" and "retired_scanners", each only when it holds
/// something.
nlohmann::json sections_to_json(const Inventory& inventory);
/// sections_to_json() as text, or "" when all are empty.
std::string sections_text(const Inventory& inventory);
/// Adds the pending keys and retired senders of `document` (an object that may hold any of them) to
/// `inventory`.
void sections_from_json(const nlohmann::json& document, Inventory& inventory);

/// The text of a document whose device lines are given one by one (an inventory, or a snapshot of one),
/// as written to disk: the header fields, then one device per line (so files diff and grep well), then the
/// other sections on one line, newline-terminated. Device lines are not copied: the pieces point into them.
struct DocumentPieces {
  /// `generation` 0 leaves "generation" out (a document that is not the file: `inventory show`, HTTP).
  /// `sections` is sections_text().
  DocumentPieces(TimePoint updated, std::uint64_t generation, std::vector<std::string_view> device_lines,
                 std::string_view sections = {});
  /// Everything in order, for a writer that takes a list of buffers.
  std::vector<std::string_view> all() const;
  /// The pieces joined.
  std::string text() const;
  /// What comes before the first device line, between two, and after the last.
  std::string head;
  static constexpr std::string_view kSeparator = ",\n";
  std::string tail;
  std::vector<std::string_view> device_lines;
};

/// The document as text: DocumentPieces of every record's device_line().
std::string inventory_to_text(const Inventory& inventory, TimePoint updated, std::uint64_t generation = 0);

/// A parsed document: the inventory and the generation the file carries (0 when it has none).
struct InventoryDocument {
  Inventory inventory;
  std::uint64_t generation = 0;
  /// With `keep_lines`: each device's line as the document held it, for the devices that were on one line
  /// each (as pifind writes them); others are missing and must be rendered with device_line().
  std::unordered_map<MacAddress, std::string> lines;
};

/// Parses a document. Throws Error with one line naming the first problem (syntax error with line and
/// column, newer major schema, a malformed field with the device it belongs to). A document written one
/// device per line is read a line at a time (no tree of the whole document is built). Fleet members without
/// an alias get none here (a journal replayed after it may name them): see give_missing_aliases().
InventoryDocument inventory_document_from_text(std::string_view text, bool keep_lines = false);
/// The inventory of a document alone (no journal), fleet members without an alias given one.
Inventory inventory_from_text(std::string_view text);

/// The records of a block of device lines: `"MAC": {...}` lines joined by ",\n", as the file and journal
/// frames hold them. Nothing if the block is not in that form (the caller parses it as plain JSON instead);
/// throws Error for a malformed record. With `keep_lines`, `lines` gets each line as it was.
std::optional<std::vector<InventoryRecord>> records_from_device_lines(
    std::string_view block, std::unordered_map<MacAddress, std::string>* lines = nullptr);

}  // namespace pifind
