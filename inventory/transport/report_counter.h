// A sender's counter (the agent's reports, a scanner's scans): strictly increasing, persisted in the state
// directory before any message carrying a value leaves the process, so a crash or restart never reuses one
// (replay protection). Processes sharing a state directory (two scans at once) take turns under a lock.
#pragma once

#include <cstdint>
#include <filesystem>

namespace pifind {

class ReportCounter {
 public:
  /// Uses `<state_dir>/counter` (decimal text). A missing file starts the sequence at 1; a corrupt one
  /// throws pifind::Error rather than restarting (restarting would make the collector refuse every report).
  explicit ReportCounter(std::filesystem::path state_dir);

  /// The last value handed out, 0 if none.
  std::uint64_t last() const { return last_; }
  /// Persists one above the larger of last() and the file's value (another process may have moved it)
  /// atomically under the file's lock, then returns it. Throws pifind::Error if it cannot be persisted.
  std::uint64_t next();

 private:
  /// The value in the file, 0 if there is none; throws pifind::Error if it is corrupt.
  std::uint64_t read_file() const;

  std::filesystem::path path_;
  std::uint64_t last_ = 0;
};

}  // namespace pifind
