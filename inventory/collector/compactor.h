// The collector's background writer of new generations of the inventory file: renders a snapshot to a synced
// temporary file beside it on a thread of its own, while commits go on appending to the journal. Putting the
// file in place is the collector's (under the file lock), so this never touches the file or its journals.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "inventory/store/inventory_snapshot.h"

namespace pifind {

class Compactor {
 public:
  struct Job {
    std::shared_ptr<const InventorySnapshot> snapshot;
    /// The generation the new file will carry, and its "updated" time.
    std::uint64_t generation = 0;
    TimePoint updated{};
    /// The file's mode (inventory_file_mode()).
    unsigned mode = 0640;
  };
  struct Result {
    std::uint64_t generation = 0;
    /// The synced temporary file, or empty when writing it failed with `error`.
    std::filesystem::path temporary;
    std::string error;
  };

  /// `file` is the inventory; `finished` is called on the compactor's thread when a job is done.
  Compactor(std::filesystem::path file, std::function<void()> finished);
  Compactor(const Compactor&) = delete;
  Compactor& operator=(const Compactor&) = delete;
  /// Waits for the job under way and removes a temporary file no one took.
  ~Compactor();

  /// Starts writing `job`. Only when idle() (no job running and no result waiting).
  void start(Job job);
  bool idle() const;
  /// The finished job's result, once; nothing while it runs.
  std::optional<Result> take_result();
  /// Waits for the job under way, then take_result().
  std::optional<Result> wait();

 private:
  const std::filesystem::path file_;
  const std::function<void()> finished_;
  mutable std::mutex mutex_;
  std::thread thread_;
  bool running_ = false;
  std::optional<Result> result_;
};

}  // namespace pifind
