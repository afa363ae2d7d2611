#include "inventory/store/inventory_snapshot.h"

#include "inventory/store/inventory_json.h"

namespace pifind {
namespace {

std::shared_ptr<const SnapshotDevice> make_device(const MacAddress& id, const InventoryRecord& record) {
  return std::make_shared<const SnapshotDevice>(SnapshotDevice{record, device_line(id, record)});
}

// The devices' lines, in their order, pointing into them.
std::vector<std::string_view> lines_of(const std::vector<std::shared_ptr<const SnapshotDevice>>& devices) {
  std::vector<std::string_view> lines;
  lines.reserve(devices.size());
  for (const auto& d : devices) lines.emplace_back(d->line);
  return lines;
}

}  // namespace

std::vector<std::string_view> InventorySnapshot::lines() const { return lines_of(devices); }

std::vector<std::string_view> SnapshotChanges::lines() const { return lines_of(changed); }

void PublishedInventory::reset(const Inventory& inventory, std::unordered_map<MacAddress, std::string> lines) {
  std::map<MacAddress, std::shared_ptr<const SnapshotDevice>> devices;
  for (const auto& [id, record] : inventory.records()) {
    auto line = lines.find(id);
    devices.emplace_hint(devices.end(), id,
                         line == lines.end()
                             ? make_device(id, record)
                             : std::make_shared<const SnapshotDevice>(SnapshotDevice{record, std::move(line->second)}));
  }
  auto sections = std::make_shared<const std::string>(sections_text(inventory));
  auto pending_keys = std::make_shared<const Inventory::PendingKeys>(inventory.all_pending_keys());
  const std::lock_guard lock(mutex_);  // released before `devices`, now the old ones, is freed
  devices_.swap(devices);
  sections_ = std::move(sections);
  pending_keys_ = std::move(pending_keys);
  cached_.reset();
}

SnapshotChanges PublishedInventory::prepare(const Inventory& inventory, const std::unordered_set<MacAddress>& ids,
                                            bool sections_changed) {
  SnapshotChanges changes;
  if (sections_changed) {
    changes.sections = sections_text(inventory);
    changes.pending_keys = inventory.all_pending_keys();
  }
  for (const auto& id : ids) {
    const auto it = inventory.records().find(id);
    if (it == inventory.records().end())
      changes.removed.push_back(id);
    else
      changes.changed.push_back(make_device(id, it->second));
  }
  return changes;
}

void PublishedInventory::publish(const SnapshotChanges& changes) {
  std::shared_ptr<const InventorySnapshot> previous;  // freed (100,000 pointers) after the lock is released
  const std::lock_guard lock(mutex_);
  for (const auto& id : changes.removed) devices_.erase(id);
  for (const auto& d : changes.changed) devices_.insert_or_assign(d->record.id, d);
  if (changes.sections) sections_ = std::make_shared<const std::string>(*changes.sections);
  if (changes.pending_keys) pending_keys_ = std::make_shared<const Inventory::PendingKeys>(*changes.pending_keys);
  previous = std::move(cached_);
}

std::shared_ptr<const InventorySnapshot> PublishedInventory::snapshot() const {
  const std::lock_guard lock(mutex_);
  if (!cached_) {
    auto snapshot = std::make_shared<InventorySnapshot>();
    snapshot->sections = sections_;
    snapshot->pending_keys = pending_keys_;
    snapshot->devices.reserve(devices_.size());
    snapshot->records.reserve(devices_.size());
    for (const auto& [id, device] : devices_) {
      snapshot->devices.push_back(device);
      snapshot->records.push_back(&device->record);
    }
    cached_ = std::move(snapshot);
  }
  return cached_;
}

}  // namespace pifind
