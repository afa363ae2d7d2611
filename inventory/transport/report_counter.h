// The agent's report counter: strictly increasing, persisted in the state directory before any report
// carrying a value leaves the process, so a crash or restart never reuses one (replay protection).
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
  /// Persists last()+1 atomically, then returns it. Throws pifind::Error if it cannot be persisted.
  std::uint64_t next();

 private:
  std::filesystem::path path_;
  std::uint64_t last_ = 0;
};

}  // namespace pifind
