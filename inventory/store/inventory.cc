#include "inventory/store/inventory.h"

#include <algorithm>

#include "inventory/core/error.h"

namespace pifind {

InventoryRecord* Inventory::find_by_mac(const MacAddress& mac) {
  const auto it = by_mac_.find(mac);
  if (it == by_mac_.end()) return nullptr;
  changed_.insert(it->second);  // the caller may modify it
  return &records_.at(it->second);
}

const InventoryRecord* Inventory::find_by_mac(const MacAddress& mac) const {
  const auto it = by_mac_.find(mac);
  return it == by_mac_.end() ? nullptr : &records_.at(it->second);
}

const InventoryRecord* Inventory::find_by_current_ip(const Ipv4Address& ip) const {
  const auto it = by_ip_.find(ip);
  return it == by_ip_.end() ? nullptr : &records_.at(it->second);
}

InventoryRecord& Inventory::record_for_mac(const MacAddress& mac, TimePoint seen, bool* created) {
  if (auto* existing = find_by_mac(mac)) {
    if (created) *created = false;
    return *existing;
  }
  changed_.insert(mac);
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
  changed_.insert(record.id);
  const auto owner = by_mac_.find(mac);
  if (owner != by_mac_.end() && owner->second != record.id) {
    absorb(record, owner->second);
    merged = true;
  }
  InterfaceMac* entry = record.find_mac(mac);
  if (!entry) {
    record.macs.push_back({mac, interface_name, seen, seen});
    by_mac_[mac] = record.id;
    return merged;
  }
  if (!interface_name.empty()) entry->interface_name = interface_name;
  entry->first_seen = std::min(entry->first_seen, seen);
  entry->last_seen = std::max(entry->last_seen, seen);
  return merged;
}

bool Inventory::assign_ip(InventoryRecord& record, const MacAddress& mac, const Ipv4Address& ip,
                          const std::string& seen_via, TimePoint seen) {
  bool moved = false;
  const auto holder = by_ip_.find(ip);
  if (holder != by_ip_.end() && holder->second != record.id) {
    InventoryRecord& previous = records_.at(holder->second);
    changed_.insert(previous.id);
    for (auto& a : previous.ips)
      if (a.ip == ip) a.current = false;
    moved = true;
  }
  changed_.insert(record.id);
  // Within one device the address may also move between its interfaces: only the latest MAC is current.
  IpAssignment* entry = nullptr;
  for (auto& a : record.ips) {
    if (a.ip != ip) continue;
    if (a.mac == mac)
      entry = &a;
    else
      a.current = false;
  }
  if (entry) {
    entry->first_seen = std::min(entry->first_seen, seen);
    entry->last_seen = std::max(entry->last_seen, seen);
    entry->current = true;
    if (!seen_via.empty()) entry->seen_via = seen_via;
  } else {
    record.ips.push_back({ip, mac, seen_via, seen, seen, true});
  }
  by_ip_[ip] = record.id;
  record.first_seen = std::min(record.first_seen, seen);
  record.last_seen = std::max(record.last_seen, seen);
  return moved;
}

void Inventory::absorb(InventoryRecord& into, MacAddress other_id) {
  changed_.insert(into.id);
  changed_.erase(other_id);
  auto node = records_.extract(other_id);
  InventoryRecord& other = node.mapped();
  for (auto& m : other.macs) {
    if (into.find_mac(m.mac)) continue;
    into.macs.push_back(m);
    by_mac_[m.mac] = into.id;
  }
  for (auto& a : other.ips) {
    into.ips.push_back(a);
    const auto holder = by_ip_.find(a.ip);
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
  take(into.serial, other.serial);
  into.raspberry_pi = into.raspberry_pi || other.raspberry_pi;
  if (!into.drift && other.drift) {
    into.drift = other.drift;
    into.drift_history = other.drift_history;
  }
  if (!into.agent && other.agent) into.agent = other.agent;
  into.first_seen = std::min(into.first_seen, other.first_seen);
  into.last_seen = std::max(into.last_seen, other.last_seen);
}

void Inventory::index_record(const InventoryRecord& record) {
  for (const auto& m : record.macs) by_mac_[m.mac] = record.id;
  for (const auto& a : record.ips)
    if (a.current) by_ip_[a.ip] = record.id;
}

void Inventory::insert_loaded(InventoryRecord record) {
  if (record.macs.empty() || !std::any_of(record.macs.begin(), record.macs.end(),
                                          [&](const InterfaceMac& m) { return m.mac == record.id; }))
    throw Error("device " + record.id.to_string() + " does not list its own MAC among its interfaces");
  for (const auto& m : record.macs)
    if (by_mac_.count(m.mac))
      throw Error("MAC " + m.mac.to_string() + " belongs to two devices (" + by_mac_[m.mac].to_string() + " and " +
                  record.id.to_string() + ")");
  const MacAddress id = record.id;
  changed_.insert(id);
  index_record(records_.emplace(id, std::move(record)).first->second);
}

std::size_t Inventory::prune_older_than(TimePoint cutoff) {
  std::size_t removed = 0;
  for (auto it = records_.begin(); it != records_.end();) {
    if (it->second.last_seen >= cutoff) {
      ++it;
      continue;
    }
    for (const auto& m : it->second.macs) by_mac_.erase(m.mac);
    for (const auto& a : it->second.ips) {
      const auto holder = by_ip_.find(a.ip);
      if (holder != by_ip_.end() && holder->second == it->first) by_ip_.erase(holder);
    }
    changed_.erase(it->first);
    it = records_.erase(it);
    ++removed;
  }
  return removed;
}

}  // namespace pifind

namespace pifind {

std::unordered_set<MacAddress> Inventory::take_changed() {
  std::unordered_set<MacAddress> changed;
  changed.swap(changed_);
  return changed;
}

}  // namespace pifind
