// The whole fleet in memory: records keyed by identity MAC, with indexes from every interface MAC, every
// current IPv4 address (per site), alias and serial to its record; device keys waiting for approval and the
// agents and scanners of pruned devices. All changes that move MACs, IPs, aliases or serials go through here.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "inventory/store/inventory_record.h"

namespace pifind {

/// Records in MAC order as the outputs read them: from an Inventory (record_list()) or from a snapshot of one
/// that another thread keeps up to date.
using RecordsView = std::span<const InventoryRecord* const>;

/// The record whose identity is `id` in `records`, or null.
const InventoryRecord* find_record(RecordsView records, const MacAddress& id);

/// A device key seen in a report or scan under `pifind serve --enroll manual`, waiting for
/// `pifind keys approve`.
struct PendingKey {
  DevicePublicKey key;
  /// What the refused report or scan said of itself, to help the operator recognise it (already validated
  /// text): an agent's hostname and first address; a scanner's first interface's address and its site.
  std::string hostname;
  std::string address;
  std::string site;
  TimePoint first_seen{};
  TimePoint last_seen{};
  /// Reports (or scans) refused with this key.
  std::uint64_t reports = 0;
};
/// Per kind of sender.
inline constexpr std::size_t kPendingKeysLimit = 1024;

/// What the inventory remembers of a sender (an agent, a scanner) whose device was pruned, or of a scanner its
/// device no longer keeps (beyond kScannersPerDevice), so an old report or scan cannot bring it back and its
/// key stays pinned should it return.
struct RetiredSender : PinnedKeys {
  std::uint64_t last_counter = 0;
  /// The cutoff of the prune that removed the device (or when the scanner moved out of it).
  TimePoint retired{};
};
/// Per kind of sender.
inline constexpr std::size_t kRetiredSendersLimit = 65536;

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

  /// The scanner `scanner` of `record` (which must be in this inventory), added if the record has none of
  /// that identity. The one it displaces beyond kScannersPerDevice is retired at `now`, keeping its counter
  /// and key, so no scanner's pinned key is lost to a flood of new scanner identities.
  ScannerState& scanner_for(InventoryRecord& record, const MacAddress& scanner, TimePoint now);

  /// Inserts a fully formed record (from the file); throws Error if one of its MACs already belongs to another.
  void insert_loaded(InventoryRecord record);
  /// Removes every record last seen before `cutoff`, remembering the counter and keys of its agent and of
  /// each of its scanners in retired(); returns how many.
  std::size_t prune_older_than(TimePoint cutoff);
  /// Removes the records identified by `ids` (those that exist), then inserts `records` as insert_loaded()
  /// does: how a journal frame or a rollback puts a consistent set of records in place. Throws Error (and
  /// may leave the inventory part-way) if a record's MAC belongs to a record not named in `ids`.
  void replace(const std::vector<MacAddress>& ids, std::vector<InventoryRecord> records);

  /// The pending keys and the retired senders of both kinds, indexed by index(kind).
  using PendingKeys = std::array<std::map<MacAddress, PendingKey>, 2>;
  using RetiredSenders = std::array<std::map<MacAddress, RetiredSender>, 2>;
  static constexpr std::size_t index(SenderKind kind) { return kind == SenderKind::kScanner ? 1 : 0; }

  /// Keys waiting for approval, by the sender's MAC (an agent's id, a scanner's identity).
  const std::map<MacAddress, PendingKey>& pending_keys(SenderKind kind) const { return pending_[index(kind)]; }
  /// Those of both kinds.
  const PendingKeys& all_pending_keys() const { return pending_; }
  /// Adds a pending key, or merges `pending` into the entry for the same key (times widened, reports
  /// added; a different key replaces it). Beyond kPendingKeysLimit the one seen least recently goes.
  void note_pending_key(SenderKind kind, const MacAddress& sender, const PendingKey& pending);
  /// Removes a pending key; true if there was one.
  bool drop_pending_key(SenderKind kind, const MacAddress& sender);
  /// Senders of pruned devices (and scanners their device no longer keeps), by MAC.
  const std::map<MacAddress, RetiredSender>& retired(SenderKind kind) const { return retired_[index(kind)]; }
  /// Adds (from the file) or replaces a retired sender; beyond kRetiredSendersLimit the oldest goes.
  void retire(SenderKind kind, const MacAddress& sender, RetiredSender retired);
  /// Removes a retired sender; true if there was one.
  bool drop_retired(SenderKind kind, const MacAddress& sender);
  /// Replaces the pending keys and the retired senders wholesale (a journal frame that carries them).
  void replace_sections(PendingKeys pending, RetiredSenders retired);
  /// True when pending keys or retired senders changed since the last call.
  bool take_sections_changed();

  /// Identities of the records that may have changed or been removed since the last call (every non-const
  /// access counts), so a writer can re-serialise only those; an identity no longer in records() was removed.
  std::unordered_set<MacAddress> take_changed();

  /// From now on, remember each record as it was before its first change (or that it did not exist), so
  /// roll_back() can restore them all: a commit whose write failed must not leave its changes in memory.
  void begin_undo();
  /// Puts every record changed since begin_undo() back as it was, and stops remembering.
  void roll_back();
  /// Keeps the changes made since begin_undo() and stops remembering.
  void end_undo() {
    undo_.reset();
    undo_sections_.reset();
  }

 private:
  void absorb(InventoryRecord& into, MacAddress other_id);  // by value: callers pass references into by_mac_
  void index_record(const InventoryRecord& record);
  /// Records that `id` is about to change (or be created or removed): for take_changed() and the undo log.
  void touch(const MacAddress& id);
  /// The same for the pending keys and retired senders.
  void touch_sections();
  /// Removes the record `id` and its index entries; false if there is none.
  bool remove(const MacAddress& id);
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
  PendingKeys pending_;
  RetiredSenders retired_;
  bool sections_changed_ = false;
  /// Before-images since begin_undo(): the record as it was, or nothing if it did not exist.
  std::optional<std::unordered_map<MacAddress, std::optional<InventoryRecord>>> undo_;
  /// Since begin_undo(), the pending keys and retired senders as they were before their first change.
  std::optional<std::pair<PendingKeys, RetiredSenders>> undo_sections_;
};

}  // namespace pifind
