// The HTTP server's open connections, for its connection cap: when a new client arrives at the cap, the
// connection that has waited longest for a request (idle keep-alive, or a request trickling in) is dropped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

namespace pifind {

class ConnectionTable {
 public:
  using Id = std::uint64_t;
  using Clock = std::chrono::steady_clock;

  /// At most `capacity` connections are admitted at once.
  explicit ConnectionTable(std::size_t capacity) : capacity_(capacity) {}

  /// Admits a connection, reading a request from now on. At the cap, first evicts the connection that has
  /// been reading the longest. Returns nothing when the table is full of busy connections. `evict` is
  /// called at most once, from the caller's thread, and must only post the close to the connection's strand.
  std::optional<Id> admit(std::function<void()> evict);
  /// The connection waits for (the rest of) a request since now: it may be evicted.
  void reading(Id id);
  /// The connection is being answered: it is not evicted until it reads again.
  void busy(Id id);
  /// The connection closed. Unknown (already evicted) ids are ignored.
  void remove(Id id);
  /// Evicts the connection that has been reading the longest (when the process runs out of file
  /// descriptors). Returns false if every connection is busy.
  bool evict_oldest();

  std::size_t size() const;
  /// Connections evicted since start.
  std::uint64_t evicted() const;

 private:
  struct Entry {
    std::function<void()> evict;
    std::optional<Clock::time_point> reading_since;
  };
  /// Removes and returns the eviction action of the longest reader, or an empty function. Caller holds mutex_.
  std::function<void()> take_oldest_reader();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  Id next_id_ = 1;
  std::map<Id, Entry> entries_;
  std::set<std::pair<Clock::time_point, Id>> readers_;
  std::uint64_t evicted_ = 0;
};

}  // namespace pifind
