// Reading and updating the inventory on disk: the file and the journals beside it (pifind-inventory(5)).
// Readers get the complete current state without a lock; writers read-modify-write under the sidecar lock,
// folding the journals into a new generation of the file, so scans and the collector lose nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inventory/store/inventory.h"

namespace pifind {

/// What an inventory file and its journals held when they were read.
struct InventoryOnDisk {
  /// The complete state: the file with the journals that apply to it replayed.
  Inventory inventory;
  bool file_exists = false;
  /// The file's generation (0 if it has none, or does not exist).
  std::uint64_t generation = 0;

  struct Journal {
    std::filesystem::path path;
    std::uint64_t generation = 0;
    std::size_t frames = 0;
    /// Bytes up to the end of the last intact frame, and in all (more: a torn tail).
    std::uint64_t intact_bytes = 0, total_bytes = 0;
  };
  /// The journals replayed, in order: the one for the file's generation, then at most the one for the next
  /// (a compaction was under way).
  std::vector<Journal> replayed;
  /// Journals that were found but do not apply (an older generation, or no file): left-overs to remove.
  std::vector<std::filesystem::path> stale;
  /// The highest generation of the file and of every journal found, stale ones included. A writer that
  /// replaces the file gives it the next one, so no journal found can ever apply to it.
  std::uint64_t highest_generation = 0;
  /// With `keep_lines`: each device's line as the file or a journal frame held it (InventoryDocument::lines).
  std::unordered_map<MacAddress, std::string> lines;
};

/// Reads `file` and replays its journals; no lock is needed (a writer that replaced the file meanwhile makes
/// it read again). A missing file is an empty inventory when `missing_ok`, an Error otherwise; journals without
/// their file are ignored. Throws Error, starting with the file's name, for a broken file or journal, or a
/// journal newer than the file (the file was restored from a backup).
InventoryOnDisk load_inventory(const std::filesystem::path& file, bool missing_ok = false, bool keep_lines = false);

/// The complete current inventory (load_inventory()'s).
Inventory read_inventory_file(const std::filesystem::path& file, bool missing_ok = false);

/// The mode a new version of `file` (and its journal) gets: the mode the file has now (an operator's chmod 600
/// sticks), else 0640 less the process's umask.
unsigned inventory_file_mode(const std::filesystem::path& file);

/// Writes `inventory` to `file` atomically (mode inventory_file_mode()), `generation` 0 without one. The caller
/// holds the lock. Leaves any journal alone: for files that have none.
void write_inventory_file(const std::filesystem::path& file, const Inventory& inventory, TimePoint updated,
                          std::uint64_t generation = 0);

/// Replaces `file` with the document whose device lines are `device_lines` and other sections `sections`
/// (sections_text()), as generation `generation`, then removes its journals (the new generation has made them
/// stale). The caller holds the lock.
void replace_inventory_file(const std::filesystem::path& file, TimePoint updated, std::uint64_t generation,
                            std::span<const std::string_view> device_lines, std::string_view sections);

/// Locks `file`, reads it with its journals (a missing file is empty if `missing_ok`, an Error otherwise), calls
/// `change`, and writes the result as a new generation of the file, folding the journals into it; the lines of
/// devices `change` did not touch are written as they were read. If reading or `change` throws, nothing is
/// written and the exception propagates. A running collector notices and re-reads.
void update_inventory_file(const std::filesystem::path& file, const std::function<void(Inventory&)>& change,
                           bool missing_ok = true);

}  // namespace pifind
