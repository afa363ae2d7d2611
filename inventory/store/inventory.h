// The whole fleet in memory: records keyed by identity MAC, with indexes from every interface MAC and every
// current IPv4 address (per site) to its record. All changes that move MACs or IPs go through here.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "inventory/store/inventory_record.h"

namespace pifind {

class Inventory {
 public:
  using Records = std::map<MacAddress, InventoryRecord>;

  /// Records in MAC order.
  const Records& records() const { return records_; }
  std::size_t size() const { return records_.size(); }

  /// The record one of whose interfaces is `mac`, or null.
  InventoryRecord* find_by_mac(const MacAddress& mac);
  const InventoryRecord* find_by_mac(const MacAddress& mac) const;
  /// The record currently holding `ip` at `site`, or null.
  const InventoryRecord* find_by_current_ip(const Ipv4Address& ip, const std::string& site = {}) const;

  /// The record owning `mac`, created (identity `mac`, first seen `seen`) when none does.
  /// `created` tells which happened. The returned reference stays valid until that record is absorbed or pruned.
  InventoryRecord& record_for_mac(const MacAddress& mac, TimePoint seen, bool* created = nullptr);
  /// Adds `mac` as an interface of `record` (which must be in this inventory) if no record has it.
  /// When another record owns it, that record is absorbed into `record` first. Returns true if records merged.
  bool attach_mac(InventoryRecord& record, const MacAddress& mac, const std::string& interface_name, TimePoint seen);
  /// Records that `record` answered for `ip` through `mac` at `site`. When another record held `ip` at that
  /// site, its assignment is kept but marked not current; returns true in that case (the address moved). The
  /// same address at another site is another address; the record's own unsited entry for it takes the site.
  bool assign_ip(InventoryRecord& record, const MacAddress& mac, const Ipv4Address& ip, const std::string& seen_via,
                 TimePoint seen, const std::string& site = {});

  /// Inserts a fully formed record (from the file); throws Error if one of its MACs already belongs to another.
  void insert_loaded(InventoryRecord record);
  /// Removes every record last seen before `cutoff`; returns how many.
  std::size_t prune_older_than(TimePoint cutoff);

  /// Identities of the records that may have changed since the last call (every non-const access counts),
  /// so a writer can re-serialise only those. Removed records are not listed.
  std::unordered_set<MacAddress> take_changed();

 private:
  void absorb(InventoryRecord& into, MacAddress other_id);  // by value: callers pass references into by_mac_
  void index_record(const InventoryRecord& record);

  /// An address as the index knows it: the same IPv4 address at two sites is two addresses.
  struct SitedAddress {
    Ipv4Address ip;
    std::string site;
    bool operator==(const SitedAddress&) const = default;
  };
  struct SitedAddressHash {
    std::size_t operator()(const SitedAddress& a) const noexcept {
      return std::hash<Ipv4Address>{}(a.ip) ^ (std::hash<std::string>{}(a.site) << 1);
    }
  };

  Records records_;
  std::unordered_map<MacAddress, MacAddress> by_mac_;
  std::unordered_map<SitedAddress, MacAddress, SitedAddressHash> by_ip_;
  std::unordered_set<MacAddress> changed_;
};

}  // namespace pifind
