#include "inventory/collector/connection_table.h"

namespace pifind {

std::function<void()> ConnectionTable::take_oldest_reader() {
  if (readers_.empty()) return {};
  const Id victim = readers_.begin()->second;
  readers_.erase(readers_.begin());
  const auto it = entries_.find(victim);
  std::function<void()> evict = std::move(it->second.evict);
  entries_.erase(it);
  ++evicted_;
  return evict;
}

std::optional<ConnectionTable::Id> ConnectionTable::admit(std::function<void()> evict) {
  std::function<void()> victim;
  Id id = 0;
  {
    const std::lock_guard lock(mutex_);
    if (entries_.size() >= capacity_) {
      victim = take_oldest_reader();
      if (!victim) return std::nullopt;
    }
    id = next_id_++;
    const auto now = Clock::now();
    entries_[id] = {std::move(evict), now};
    readers_.insert({now, id});
  }
  // Outside the lock: the action posts to another strand, which may be running remove() right now.
  if (victim) victim();
  return id;
}

void ConnectionTable::reading(Id id) {
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.reading_since) readers_.erase({*it->second.reading_since, id});
  it->second.reading_since = Clock::now();
  readers_.insert({*it->second.reading_since, id});
}

void ConnectionTable::busy(Id id) {
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.reading_since) return;
  readers_.erase({*it->second.reading_since, id});
  it->second.reading_since.reset();
}

void ConnectionTable::remove(Id id) {
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.reading_since) readers_.erase({*it->second.reading_since, id});
  entries_.erase(it);
}

bool ConnectionTable::evict_oldest() {
  std::function<void()> victim;
  {
    const std::lock_guard lock(mutex_);
    victim = take_oldest_reader();
  }
  if (!victim) return false;
  victim();
  return true;
}

std::size_t ConnectionTable::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

std::uint64_t ConnectionTable::evicted() const {
  const std::lock_guard lock(mutex_);
  return evicted_;
}

}  // namespace pifind
