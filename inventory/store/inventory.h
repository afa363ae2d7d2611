// The whole fleet in memory: records keyed by identity MAC, with indexes from every interface MAC, every
// current IPv4 address (per site), alias and serial to its record; device keys waiting for approval and the
// agents of pruned devices. All changes that move MACs, IPs, aliases or serials go through here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <unordered_map>
#include <unordered_set>

#include "inventory/store/inventory_record.h"

namespace pifind {

/// A device key seen in a report under `pifind serve --enroll manual`, waiting for `pifind keys approve`.
struct PendingKey {
  DevicePublicKey key;
  /// What the refused report said of itself, to help the operator recognise it (already validated text).
  std::string hostname;
  std::string address;
  TimePoint first_seen{};
  TimePoint last_seen{};
  std::uint64_t reports = 0;
};
inline constexpr std::size_t kPendingKeysLimit = 1024;

/// What the inventory remembers of a pruned device's agent, so an old report cannot bring it back and its
/// key stays pinned should it return.
struct RetiredAgent {
  std::uint64_t last_counter = 0;
  std::optional<DevicePublicKey> key;
  std::vector<DevicePublicKey> revoked_keys;
  /// The cutoff of the prune that removed the device.
  TimePoint retired{};
};
inline constexpr std::size_t kRetiredAgentsLimit = 65536;

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
  /// The record whose alias is `alias`, or null.
  const InventoryRecord* find_by_alias(const std::string& alias) const;
  /// The record with serial number `serial` (non-empty), or null.
  const InventoryRecord* find_by_serial(const std::string& serial) const;

  /// Gives `record` the alias `alias` (which no other record may hold; throws Error otherwise), noting
  /// the change in its alias_changes when it had one before.
  void set_alias(InventoryRecord& record, const std::string& alias, TimePoint at);
  /// Sets `record`'s serial number unless another record holds it; returns that record's id then.
  std::optional<MacAddress> set_serial(InventoryRecord& record, const std::string& serial);

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
  /// Removes every record last seen before `cutoff`, remembering each agent's counter and keys in
  /// retired_agents(); returns how many.
  std::size_t prune_older_than(TimePoint cutoff);

  /// Keys waiting for approval, by agent MAC.
  const std::map<MacAddress, PendingKey>& pending_keys() const { return pending_keys_; }
  /// Adds a pending key, or merges `pending` into the entry for the same key (times widened, reports
  /// added; a different key replaces it). Beyond kPendingKeysLimit the one seen least recently goes.
  void note_pending_key(const MacAddress& agent, const PendingKey& pending);
  /// Removes a pending key; true if there was one.
  bool drop_pending_key(const MacAddress& agent);
  /// Agents of pruned devices, by agent MAC.
  const std::map<MacAddress, RetiredAgent>& retired_agents() const { return retired_; }
  /// Adds (from the file) or replaces a retired agent; beyond kRetiredAgentsLimit the oldest goes.
  void retire_agent(const MacAddress& agent, RetiredAgent retired);
  /// Removes a retired agent; true if there was one.
  bool drop_retired_agent(const MacAddress& agent);
  /// True when pending keys or retired agents changed since the last call.
  bool take_sections_changed();

  /// Identities of the records that may have changed since the last call (every non-const access counts),
  /// so a writer can re-serialise only those. Removed records are not listed.
  std::unordered_set<MacAddress> take_changed();

 private:
  void absorb(InventoryRecord& into, MacAddress other_id);  // by value: callers pass references into by_mac_
  void index_record(const InventoryRecord& record);
  void unindex_record(const InventoryRecord& record);
  /// Drops the least recently seen MACs and addresses beyond the per-device bounds.
  void trim(InventoryRecord& record);

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
  std::unordered_map<std::string, MacAddress> by_alias_;
  std::unordered_map<std::string, MacAddress> by_serial_;
  std::unordered_set<MacAddress> changed_;
  std::map<MacAddress, PendingKey> pending_keys_;
  std::map<MacAddress, RetiredAgent> retired_;
  bool sections_changed_ = false;
};

}  // namespace pifind
