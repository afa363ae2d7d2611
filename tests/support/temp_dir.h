// A scratch directory for tests and benchmarks: made fresh under the system's temp dir, removed with everything
// in it when the object goes. The one way tests/ and bench/ get a temporary directory.
#pragma once

#include <filesystem>
#include <string>

namespace pifind::test {

class TempDir {
 public:
  /// Creates `parent`/pifind-test-XXXXXX (mkdtemp, mode 0700); throws std::runtime_error if it cannot.
  explicit TempDir(const std::filesystem::path& parent = std::filesystem::temp_directory_path());
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// Removes the directory and everything below it; errors are ignored.
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Writes `content` to `file` as it is (plain, not atomic: for fixtures); throws std::runtime_error.
void write_text(const std::filesystem::path& file, const std::string& content);

}  // namespace pifind::test
