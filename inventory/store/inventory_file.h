// Reading and updating the inventory file on disk: parse with one-line errors, write atomically,
// and read-modify-write under the sidecar lock so concurrent scans and the collector lose nothing.
#pragma once

#include <filesystem>
#include <functional>

#include "inventory/store/inventory.h"

namespace pifind {

/// Reads and parses `file`. A missing file is an empty inventory when `missing_ok`, an Error otherwise.
/// Every Error message starts with the file name.
Inventory read_inventory_file(const std::filesystem::path& file, bool missing_ok = false);

/// The mode a new version of `file` gets: the mode the file has now (an operator's chmod 600 sticks),
/// else 0640 less the process's umask.
unsigned inventory_file_mode(const std::filesystem::path& file);

/// Writes `inventory` to `file` atomically (mode inventory_file_mode()). The caller holds the lock.
void write_inventory_file(const std::filesystem::path& file, const Inventory& inventory, TimePoint updated);

/// Locks `file`, reads it (empty if absent), calls `change`, and writes the result atomically.
/// If reading or `change` throws, nothing is written and the exception propagates.
void update_inventory_file(const std::filesystem::path& file, const std::function<void(Inventory&)>& change);

}  // namespace pifind
