#include "inventory/store/inventory.h"

#include <algorithm>
#include <utility>

#include "inventory/core/error.h"

namespace pifind {
namespace {

// What is kept of an agent or scanner once its device is pruned (or the scanner is displaced) at `at`.
template <typename State>
RetiredSender retired_from(const State& state, TimePoint at) {
  RetiredSender retired;
  static_cast<PinnedKeys&>(retired) = state;
  retired.last_counter = state.last_counter;
  retired.retired = at;
  return retired;
}

}  // namespace

const InventoryRecord* find_record(RecordsView records, const MacAddress& id) {
  const auto it = std::lower_bound(records.begin(), records.end(), id,
                                   [](const InventoryRecord* r, const MacAddress& key) { return r->id < key; });
  return it != records.end() && (*it)->id == id ? *it : nullptr;
}

std::vector<const InventoryRecord*> Inventory::record_list() const {
  std::vector<const InventoryRecord*> list;
  list.reserve(records_.size());
  for (const auto& [id, record] : records_) list.push_back(&record);
  return list;
}

InventoryRecord* Inventory::find_by_mac(const MacAddress& mac) {
  const auto it = by_mac_.find(mac);
  if (it == by_mac_.end()) return nullptr;
  touch(it->second);  // the caller may modify it
  return &records_.at(it->second);
}

const InventoryRecord* Inventory::find_by_mac(const MacAddress& mac) const {
  const auto it = by_mac_.find(mac);
  return it == by_mac_.end() ? nullptr : &records_.at(it->second);
}

const InventoryRecord* Inventory::find_by_current_ip(const Ipv4Address& ip, const std::string& site) const {
  const auto it = by_ip_.find({ip, site});
  return it == by_ip_.end() ? nullptr : &records_.at(it->second);
}

const InventoryRecord* Inventory::find_by_alias(const std::string& alias) const {
  const auto it = by_alias_.find(alias);
  return it == by_alias_.end() ? nullptr : &records_.at(it->second);
}

const InventoryRecord* Inventory::find_by_serial(const std::string& serial) const {
  const auto it = by_serial_.find(serial);
  return it == by_serial_.end() ? nullptr : &records_.at(it->second);
}

void Inventory::set_alias(InventoryRecord& record, const std::string& alias, TimePoint at) {
  if (record.alias == alias) return;
  if (const auto* holder = find_by_alias(alias); holder && holder->id != record.id)
    throw Error("alias " + alias + " already belongs to " + holder->id.to_string());
  touch(record.id);
  if (!record.alias.empty()) {
    by_alias_.erase(record.alias);
    record.alias_changes.push_back({record.alias, alias, at});
    if (record.alias_changes.size() > kAliasChangesLimit) record.alias_changes.erase(record.alias_changes.begin());
  }
  record.alias = alias;
  if (!alias.empty()) by_alias_[alias] = record.id;
}

std::optional<MacAddress> Inventory::set_serial(InventoryRecord& record, const std::string& serial) {
  if (serial.empty() || record.serial == serial) return std::nullopt;
  if (const auto* holder = find_by_serial(serial); holder && holder->id != record.id) return holder->id;
  touch(record.id);
  if (!record.serial.empty()) by_serial_.erase(record.serial);
  record.serial = serial;
  by_serial_[serial] = record.id;
  return std::nullopt;
}

InventoryRecord& Inventory::record_for_mac(const MacAddress& mac, TimePoint seen, bool* created) {
  if (auto* existing = find_by_mac(mac)) {
    if (created) *created = false;
    return *existing;
  }
  touch(mac);
  InventoryRecord record;
  record.id = mac;
  record.macs.push_back({mac, "", seen, seen});
  record.first_seen = seen;
  record.last_seen = seen;
  by_mac_[mac] = mac;
  if (created) *created = true;
  return records_.emplace(mac, std::move(record)).first->second;
}

bool Inventory::attach_mac(InventoryRecord& record, const MacAddress& mac, const std::string& interface_name,
                           TimePoint seen) {
  bool merged = false;
  touch(record.id);
  const auto owner = by_mac_.find(mac);
  if (owner != by_mac_.end() && owner->second != record.id) {
    absorb(record, owner->second);
    merged = true;
  }
  InterfaceMac* entry = record.find_mac(mac);
  if (!entry) {
    record.macs.push_back({mac, interface_name, seen, seen});
    by_mac_[mac] = record.id;
    trim(record);
    return merged;
  }
  if (!interface_name.empty()) entry->interface_name = interface_name;
  entry->first_seen = std::min(entry->first_seen, seen);
  entry->last_seen = std::max(entry->last_seen, seen);
  return merged;
}

bool Inventory::assign_ip(InventoryRecord& record, const MacAddress& mac, const Ipv4Address& ip,
                          const std::string& seen_via, TimePoint seen, const std::string& site) {
  bool moved = false;
  const auto holder = by_ip_.find({ip, site});
  if (holder != by_ip_.end() && holder->second != record.id) {
    InventoryRecord& previous = records_.at(holder->second);
    touch(previous.id);
    for (auto& a : previous.ips)
      if (a.ip == ip && a.site == site) a.current = false;
    moved = true;
  }
  touch(record.id);
  // Within one device the address may also move between its interfaces: only the latest MAC is current.
  // An entry without a site (an agent's, before any site's scan saw the device) is this site's from now on.
  IpAssignment* entry = nullptr;
  for (auto& a : record.ips)
    if (a.ip == ip && a.mac == mac && a.site == site) entry = &a;
  for (auto& a : record.ips)
    if (!entry && a.ip == ip && a.mac == mac && a.site.empty()) entry = &a;
  for (auto& a : record.ips) {
    if (&a == entry || a.ip != ip || (a.site != site && !a.site.empty())) continue;
    a.current = false;
    if (const auto old = by_ip_.find({ip, a.site}); a.site != site && old != by_ip_.end() && old->second == record.id)
      by_ip_.erase(old);
  }
  if (entry) {
    if (entry->site != site) {
      if (const auto unsited = by_ip_.find({ip, entry->site}); unsited != by_ip_.end() && unsited->second == record.id)
        by_ip_.erase(unsited);
      entry->site = site;
    }
    entry->first_seen = std::min(entry->first_seen, seen);
    entry->last_seen = std::max(entry->last_seen, seen);
    entry->current = true;
    if (!seen_via.empty()) entry->seen_via = seen_via;
  } else {
    record.ips.push_back({ip, mac, seen_via, seen, seen, true, site});
  }
  by_ip_[{ip, site}] = record.id;
  trim(record);
  record.first_seen = std::min(record.first_seen, seen);
  record.last_seen = std::max(record.last_seen, seen);
  return moved;
}

void Inventory::absorb(InventoryRecord& into, MacAddress other_id) {
  touch(into.id);
  touch(other_id);
  auto node = records_.extract(other_id);
  InventoryRecord& other = node.mapped();
  for (auto& m : other.macs) {
    if (into.find_mac(m.mac)) continue;
    into.macs.push_back(m);
    by_mac_[m.mac] = into.id;
  }
  for (auto& a : other.ips) {
    into.ips.push_back(a);
    const auto holder = by_ip_.find({a.ip, a.site});
    if (holder != by_ip_.end() && holder->second == other_id) holder->second = into.id;
  }
  for (auto& a : other.ipv6)
    if (std::none_of(into.ipv6.begin(), into.ipv6.end(), [&](const Ipv6Assignment& mine) { return mine.ip == a.ip; }))
      into.ipv6.push_back(a);
  auto take = [](std::string& mine, std::string& theirs) {
    if (mine.empty()) mine = std::move(theirs);
  };
  take(into.vendor, other.vendor);
  take(into.hostname, other.hostname);
  take(into.model, other.model);
  if (!other.alias.empty()) by_alias_.erase(other.alias);
  if (!other.serial.empty()) {
    by_serial_.erase(other.serial);
    if (into.serial.empty()) {
      into.serial = other.serial;
      by_serial_[into.serial] = into.id;
    }
  }
  into.raspberry_pi = into.raspberry_pi || other.raspberry_pi;
  if (!into.drift && other.drift) {
    into.drift = other.drift;
    into.drift_history = other.drift_history;
  }
  if (!into.agent && other.agent) into.agent = other.agent;
  for (const auto& s : other.scanners)
    if (!into.find_scanner(s.id)) {
      std::optional<ScannerState> evicted;
      into.scanner_for(s.id, &evicted) = s;
      if (evicted) retire(SenderKind::kScanner, evicted->id, retired_from(*evicted, into.last_seen));
    }
  if (other.seen_name && (!into.seen_name || other.seen_name->origin > into.seen_name->origin))
    into.seen_name = other.seen_name;
  // The site of whichever was seen last.
  if (into.site.empty() || (!other.site.empty() && other.last_seen > into.last_seen)) into.site = other.site;
  into.first_seen = std::min(into.first_seen, other.first_seen);
  into.last_seen = std::max(into.last_seen, other.last_seen);
  trim(into);
}

void Inventory::index_record(const InventoryRecord& record) {
  for (const auto& m : record.macs) by_mac_[m.mac] = record.id;
  for (const auto& a : record.ips)
    if (a.current) by_ip_[{a.ip, a.site}] = record.id;
  if (!record.alias.empty()) by_alias_[record.alias] = record.id;
  if (!record.serial.empty()) by_serial_.emplace(record.serial, record.id);
}

void Inventory::unindex_record(const InventoryRecord& record) {
  auto erase_if_ours = [&record](auto& index, const auto& key) {
    const auto it = index.find(key);
    if (it != index.end() && it->second == record.id) index.erase(it);
  };
  for (const auto& m : record.macs) erase_if_ours(by_mac_, m.mac);
  for (const auto& a : record.ips) erase_if_ours(by_ip_, SitedAddress{a.ip, a.site});
  if (!record.alias.empty()) erase_if_ours(by_alias_, record.alias);
  if (!record.serial.empty()) erase_if_ours(by_serial_, record.serial);
}

void Inventory::trim(InventoryRecord& record) {
  // An agent (or a flood of spoofed ARP replies) naming ever new MACs and addresses must not grow one
  // record without bound: the entries seen least recently go first, addresses no longer current before
  // current ones, and never the device's own identity MAC nor one its agent or a scanner is known by (their
  // counters and keys are found through it).
  const auto keeps = [&record](const MacAddress& mac) {
    return mac == record.id || (record.agent && record.agent->agent_id == mac.to_string()) || record.find_scanner(mac);
  };
  while (record.macs.size() > kMaxMacsPerDevice) {
    auto oldest = record.macs.end();
    for (auto it = record.macs.begin(); it != record.macs.end(); ++it)
      if (!keeps(it->mac) && (oldest == record.macs.end() || it->last_seen < oldest->last_seen)) oldest = it;
    if (oldest == record.macs.end()) break;
    const auto owner = by_mac_.find(oldest->mac);
    if (owner != by_mac_.end() && owner->second == record.id) by_mac_.erase(owner);
    record.macs.erase(oldest);
  }
  while (record.ips.size() > kMaxAddressesPerDevice) {
    auto oldest = record.ips.begin();
    for (auto it = record.ips.begin(); it != record.ips.end(); ++it)
      if (std::pair(it->current, it->last_seen) < std::pair(oldest->current, oldest->last_seen)) oldest = it;
    const auto holder = by_ip_.find({oldest->ip, oldest->site});
    if (oldest->current && holder != by_ip_.end() && holder->second == record.id) by_ip_.erase(holder);
    record.ips.erase(oldest);
  }
}

void Inventory::insert_loaded(InventoryRecord record) {
  if (record.macs.empty() || !std::any_of(record.macs.begin(), record.macs.end(),
                                          [&](const InterfaceMac& m) { return m.mac == record.id; }))
    throw Error("device " + record.id.to_string() + " does not list its own MAC among its interfaces");
  for (const auto& m : record.macs)
    if (by_mac_.count(m.mac))
      throw Error("MAC " + m.mac.to_string() + " belongs to two devices (" + by_mac_[m.mac].to_string() + " and " +
                  record.id.to_string() + ")");
  if (const auto* holder = find_by_alias(record.alias); holder && !record.alias.empty())
    throw Error("alias " + record.alias + " belongs to two devices (" + holder->id.to_string() + " and " +
                record.id.to_string() + ")");
  const MacAddress id = record.id;
  touch(id);
  index_record(records_.emplace(id, std::move(record)).first->second);
}

bool Inventory::remove(const MacAddress& id) {
  const auto it = records_.find(id);
  if (it == records_.end()) return false;
  touch(id);
  unindex_record(it->second);
  records_.erase(it);
  return true;
}

ScannerState& Inventory::scanner_for(InventoryRecord& record, const MacAddress& scanner, TimePoint now) {
  touch(record.id);
  std::optional<ScannerState> evicted;
  ScannerState& state = record.scanner_for(scanner, &evicted);
  // A scanner added after its retirement (its device was pruned, or displaced it) takes back its key.
  if (state.last_counter == 0 && !state.key && state.revoked_keys.empty())
    if (const auto it = retired_[index(SenderKind::kScanner)].find(scanner); it != retired_[index(SenderKind::kScanner)].end()) {
      static_cast<PinnedKeys&>(state) = it->second;
      state.last_counter = it->second.last_counter;
      drop_retired(SenderKind::kScanner, scanner);
    }
  if (evicted) retire(SenderKind::kScanner, evicted->id, retired_from(*evicted, now));
  return state;
}

std::size_t Inventory::prune_older_than(TimePoint cutoff) {
  std::vector<MacAddress> old;
  for (const auto& [id, record] : records_)
    if (record.last_seen < cutoff) old.push_back(id);
  for (const auto& id : old) {
    const InventoryRecord& record = records_.at(id);
    if (const auto& agent = record.agent)
      if (const auto mac = MacAddress::parse(agent->agent_id))
        retire(SenderKind::kAgent, *mac, retired_from(*agent, cutoff));
    for (const auto& scanner : record.scanners) retire(SenderKind::kScanner, scanner.id, retired_from(scanner, cutoff));
    remove(id);
  }
  return old.size();
}

void Inventory::replace(const std::vector<MacAddress>& ids, std::vector<InventoryRecord> records) {
  // All removals first: within one commit a MAC may have moved from one of these records to another.
  for (const auto& id : ids) remove(id);
  for (auto& record : records) insert_loaded(std::move(record));
}

void Inventory::touch(const MacAddress& id) {
  changed_.insert(id);
  if (!undo_ || undo_->count(id)) return;
  const auto it = records_.find(id);
  undo_->emplace(id, it == records_.end() ? std::nullopt : std::optional<InventoryRecord>(it->second));
}

void Inventory::touch_sections() {
  sections_changed_ = true;
  if (undo_ && !undo_sections_) undo_sections_.emplace(pending_, retired_);
}

void Inventory::begin_undo() {
  undo_.emplace();
  undo_sections_.reset();
}

void Inventory::roll_back() {
  if (!undo_) return;
  if (undo_sections_) {
    pending_ = std::move(undo_sections_->first);
    retired_ = std::move(undo_sections_->second);
    undo_sections_.reset();
  }
  auto before = std::move(*undo_);
  undo_.reset();
  std::vector<MacAddress> ids;
  std::vector<InventoryRecord> records;
  for (auto& [id, record] : before) {
    ids.push_back(id);
    if (record) records.push_back(std::move(*record));
  }
  replace(ids, std::move(records));
}

std::unordered_set<MacAddress> Inventory::take_changed() {
  std::unordered_set<MacAddress> changed;
  changed.swap(changed_);
  return changed;
}

namespace {

// Erases the entries with the earliest `time_of` until `map` holds at most `limit`.
template <typename Map, typename TimeOf>
void erase_oldest_beyond(Map& map, std::size_t limit, TimeOf time_of) {
  while (map.size() > limit) {
    auto oldest = map.begin();
    for (auto it = map.begin(); it != map.end(); ++it)
      if (time_of(it->second) < time_of(oldest->second)) oldest = it;
    map.erase(oldest);
  }
}

}  // namespace

void Inventory::note_pending_key(SenderKind kind, const MacAddress& sender, const PendingKey& pending) {
  touch_sections();
  auto& keys = pending_[index(kind)];
  auto it = keys.find(sender);
  if (it == keys.end() || !(it->second.key == pending.key)) {
    keys.insert_or_assign(sender, pending);
  } else {
    PendingKey& known = it->second;
    known.hostname = pending.hostname;
    known.address = pending.address;
    known.site = pending.site;
    known.first_seen = std::min(known.first_seen, pending.first_seen);
    known.last_seen = std::max(known.last_seen, pending.last_seen);
    known.reports += pending.reports;
  }
  erase_oldest_beyond(keys, kPendingKeysLimit, [](const PendingKey& p) { return p.last_seen; });
}

bool Inventory::drop_pending_key(SenderKind kind, const MacAddress& sender) {
  if (!pending_[index(kind)].count(sender)) return false;
  touch_sections();
  pending_[index(kind)].erase(sender);
  return true;
}

void Inventory::retire(SenderKind kind, const MacAddress& sender, RetiredSender retired) {
  touch_sections();
  auto& senders = retired_[index(kind)];
  senders[sender] = std::move(retired);
  erase_oldest_beyond(senders, kRetiredSendersLimit, [](const RetiredSender& r) { return r.retired; });
}

bool Inventory::drop_retired(SenderKind kind, const MacAddress& sender) {
  if (!retired_[index(kind)].count(sender)) return false;
  touch_sections();
  retired_[index(kind)].erase(sender);
  return true;
}

void Inventory::replace_sections(PendingKeys pending, RetiredSenders retired) {
  touch_sections();
  pending_ = std::move(pending);
  retired_ = std::move(retired);
}

bool Inventory::take_sections_changed() { return std::exchange(sections_changed_, false); }

}  // namespace pifind
