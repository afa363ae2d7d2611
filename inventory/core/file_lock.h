// An exclusive advisory lock shared by every process that updates one inventory file.
// The lock lives on a sidecar "FILE.lock", because the inventory itself is replaced by rename.
#pragma once

#include <filesystem>

namespace pifind {

class FileLock {
 public:
  /// Blocks until this process holds flock(LOCK_EX) on "<file>.lock" (created 0600 if absent; created by
  /// root in another user's directory, it belongs to that user). Throws Error if the lock file cannot be
  /// opened (a symlink is refused) or locked.
  explicit FileLock(const std::filesystem::path& file);
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  /// Releases the lock (closing the descriptor releases it).
  ~FileLock();

  /// The sidecar path for `file`.
  static std::filesystem::path lock_path_for(const std::filesystem::path& file);

 private:
  int fd_ = -1;
};

}  // namespace pifind
