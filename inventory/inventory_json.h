// The inventory file's JSON document: {"schema": "1.0", "updated": ..., "devices": {MAC: record}}.
// Readers accept any 1.x and refuse a newer major version rather than guess (see pifind-inventory(5)).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "inventory/inventory.h"

namespace pifind {

inline constexpr int kInventorySchemaMajor = 1;
inline constexpr int kInventorySchemaMinor = 0;

/// One record as its JSON object (the MAC key is not repeated inside).
nlohmann::json record_to_json(const InventoryRecord& record);
/// The whole document; `updated` is written as its "updated" field.
nlohmann::json inventory_to_json(const Inventory& inventory, TimePoint updated);
/// The document as text, as written to disk (indented one space per level, newline-terminated).
std::string inventory_to_text(const Inventory& inventory, TimePoint updated);

/// Parses a document. Throws Error with one line naming the first problem (syntax error with line and
/// column, newer major schema, a malformed field with the device it belongs to).
Inventory inventory_from_text(std::string_view text);

}  // namespace pifind
