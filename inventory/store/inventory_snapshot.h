// An immutable copy of an inventory that readers on other threads share without a lock: per device its record
// and its line of the file, each behind a shared pointer and replaced only when that device changes, so a
// snapshot of 100,000 devices costs pointer copies, not records (the collector's GET routes and compactions).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "inventory/store/inventory.h"

namespace pifind {

/// One device as published: never modified after it is made.
struct SnapshotDevice {
  InventoryRecord record;
  /// device_line() of the record: `"MAC": {...}`.
  std::string line;
};

/// The devices at one moment, in MAC order, and the other sections.
struct InventorySnapshot {
  std::vector<std::shared_ptr<const SnapshotDevice>> devices;
  /// sections_text(): the pending keys and retired senders ("" for none).
  std::shared_ptr<const std::string> sections;
  /// The pending keys themselves (agents' and scanners'), for the audit's identity notes.
  std::shared_ptr<const Inventory::PendingKeys> pending_keys;
  /// The same records, as the outputs (audit, metrics, dashboard) take them.
  std::vector<const InventoryRecord*> records;
  /// Every device's line, for DocumentPieces.
  std::vector<std::string_view> lines() const;
};

/// What one commit changed, made ready before it is written and published once it is durable.
struct SnapshotChanges {
  std::vector<std::shared_ptr<const SnapshotDevice>> changed;
  std::vector<MacAddress> removed;
  /// sections_text() and the pending keys when the commit changed the pending keys or retired senders.
  std::optional<std::string> sections;
  std::optional<Inventory::PendingKeys> pending_keys;
  /// The changed devices' lines, for a journal frame.
  std::vector<std::string_view> lines() const;
};

/// The published copy of an inventory that one writer keeps up to date and any thread reads.
class PublishedInventory {
 public:
  /// Replaces everything with the devices of `inventory` (after it was read from disk). `lines` holds the
  /// devices' lines as read, which are taken rather than rendered again (InventoryOnDisk::lines).
  void reset(const Inventory& inventory, std::unordered_map<MacAddress, std::string> lines = {});
  /// The devices `ids` as `inventory` holds them now (removed when absent), and its sections when
  /// `sections_changed`. Nothing is visible yet.
  static SnapshotChanges prepare(const Inventory& inventory, const std::unordered_set<MacAddress>& ids,
                                 bool sections_changed = false);
  /// Makes `changes` visible to the next snapshot().
  void publish(const SnapshotChanges& changes);
  /// The devices as last published. Callers between two publish() share one snapshot; building one holds
  /// the lock publish() needs for a pointer copy per device (a few milliseconds at 100,000 devices).
  std::shared_ptr<const InventorySnapshot> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<MacAddress, std::shared_ptr<const SnapshotDevice>> devices_;
  std::shared_ptr<const std::string> sections_ = std::make_shared<const std::string>();
  std::shared_ptr<const Inventory::PendingKeys> pending_keys_ = std::make_shared<const Inventory::PendingKeys>();
  mutable std::shared_ptr<const InventorySnapshot> cached_;
};

}  // namespace pifind
