// The whole fleet in memory: records keyed by identity MAC, with indexes from every interface MAC
// and every current IPv4 address to its record. All changes that move MACs or IPs go through here.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "inventory/store/inventory_record.h"

namespace pifind {

/// Records in MAC order as the outputs read them: from an Inventory (record_list()) or from a snapshot of one
/// that another thread keeps up to date.
using RecordsView = std::span<const InventoryRecord* const>;

/// The record whose identity is `id` in `records`, or null.
const InventoryRecord* find_record(RecordsView records, const MacAddress& id);

class Inventory {
 public:
  using Records = std::map<MacAddress, InventoryRecord>;

  /// Records in MAC order.
  const Records& records() const { return records_; }
  /// The same, as pointers for the outputs; valid until the inventory changes.
  std::vector<const InventoryRecord*> record_list() const;
  std::size_t size() const { return records_.size(); }

  /// The record one of whose interfaces is `mac`, or null.
  InventoryRecord* find_by_mac(const MacAddress& mac);
  const InventoryRecord* find_by_mac(const MacAddress& mac) const;
  /// The record currently holding `ip`, or null.
  const InventoryRecord* find_by_current_ip(const Ipv4Address& ip) const;

  /// The record owning `mac`, created (identity `mac`, first seen `seen`) when none does.
  /// `created` tells which happened. The returned reference stays valid until that record is absorbed or pruned.
  InventoryRecord& record_for_mac(const MacAddress& mac, TimePoint seen, bool* created = nullptr);
  /// Adds `mac` as an interface of `record` (which must be in this inventory) if no record has it.
  /// When another record owns it, that record is absorbed into `record` first. Returns true if records merged.
  bool attach_mac(InventoryRecord& record, const MacAddress& mac, const std::string& interface_name, TimePoint seen);
  /// Records that `record` answered for `ip` through `mac`. When another record held `ip`, its assignment
  /// is kept but marked not current; returns true in that case (the address moved).
  bool assign_ip(InventoryRecord& record, const MacAddress& mac, const Ipv4Address& ip, const std::string& seen_via,
                 TimePoint seen);

  /// Inserts a fully formed record (from the file); throws Error if one of its MACs already belongs to another.
  void insert_loaded(InventoryRecord record);
  /// Removes every record last seen before `cutoff`; returns how many.
  std::size_t prune_older_than(TimePoint cutoff);
  /// Removes the records identified by `ids` (those that exist), then inserts `records` as insert_loaded()
  /// does: how a journal frame or a rollback puts a consistent set of records in place. Throws Error (and
  /// may leave the inventory part-way) if a record's MAC belongs to a record not named in `ids`.
  void replace(const std::vector<MacAddress>& ids, std::vector<InventoryRecord> records);

  /// Identities of the records that may have changed or been removed since the last call (every non-const
  /// access counts), so a writer can re-serialise only those; an identity no longer in records() was removed.
  std::unordered_set<MacAddress> take_changed();

  /// From now on, remember each record as it was before its first change (or that it did not exist), so
  /// roll_back() can restore them all: a commit whose write failed must not leave its changes in memory.
  void begin_undo();
  /// Puts every record changed since begin_undo() back as it was, and stops remembering.
  void roll_back();
  /// Keeps the changes made since begin_undo() and stops remembering.
  void end_undo() { undo_.reset(); }

 private:
  void absorb(InventoryRecord& into, MacAddress other_id);  // by value: callers pass references into by_mac_
  void index_record(const InventoryRecord& record);
  /// Records that `id` is about to change (or be created or removed): for take_changed() and the undo log.
  void touch(const MacAddress& id);
  /// Removes the record `id` and its index entries; false if there is none.
  bool remove(const MacAddress& id);

  Records records_;
  std::unordered_map<MacAddress, MacAddress> by_mac_;
  std::unordered_map<Ipv4Address, MacAddress> by_ip_;
  std::unordered_set<MacAddress> changed_;
  /// Before-images since begin_undo(): the record as it was, or nothing if it did not exist.
  std::optional<std::unordered_map<MacAddress, std::optional<InventoryRecord>>> undo_;
};

}  // namespace pifind
