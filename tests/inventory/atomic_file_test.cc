#include "inventory/core/whole_file.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "inventory/core/error.h"
#include "inventory/core/file_lock.h"
#include "tests/support/temp_dir.h"

using namespace pifind;

TEST_CASE("An atomic write replaces the content, sets the mode and leaves no temporary file") {
  test::TempDir dir;
  const auto file = dir / "out.conf";
  test::write_text(file, "old content that is longer\n");
  write_file_atomically(file, "new\n", 0600);
  CHECK(read_whole_file(file) == "new\n");
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("A failed atomic write leaves the target untouched") {
  test::TempDir dir;
  const auto file = dir / "target";
  // The target is a non-empty directory: rename(2) over it fails after the temp file was written.
  std::filesystem::create_directory(file);
  test::write_text(file / "keep", "kept");
  CHECK_THROWS_AS(write_file_atomically(file, "x"), Error);
  CHECK(read_whole_file(file / "keep") == "kept");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
  CHECK_THROWS_AS(write_file_atomically(dir / "missing-dir" / "f", "x"), Error);
}

TEST_CASE("The file lock uses a sidecar and can be taken again once released") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  { const FileLock lock(file); }
  CHECK(std::filesystem::exists(FileLock::lock_path_for(file)));
  { const FileLock lock(file); }
  CHECK_THROWS_AS(FileLock(dir / "no-such-dir" / "fleet.json"), Error);
}

TEST_CASE("A lock file root creates in another user's directory belongs to that user, a symlink is refused") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  std::filesystem::create_symlink("/etc/hostname", FileLock::lock_path_for(file));
  CHECK_THROWS_WITH(FileLock(file), Catch::Matchers::Contains("cannot open lock file"));
  std::filesystem::remove(FileLock::lock_path_for(file));
  if (::geteuid() != 0) {
    WARN("skipped the ownership half: it needs root");
    return;
  }
  // The collector's state directory belongs to its (dynamic) user; root scans into the inventory there.
  constexpr uid_t kUser = 65534;
  constexpr gid_t kGroup = 65534;
  REQUIRE(::chown(dir.path().c_str(), kUser, kGroup) == 0);
  { const FileLock lock(file); }
  struct stat st {};
  REQUIRE(::stat(FileLock::lock_path_for(file).c_str(), &st) == 0);
  CHECK(st.st_uid == kUser);
  CHECK(st.st_gid == kGroup);
  // That user takes the lock afterwards.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgid(kGroup) != 0 || ::setuid(kUser) != 0) ::_exit(3);
    try {
      const FileLock lock(file);
      ::_exit(0);
    } catch (const Error&) {
      ::_exit(1);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("atomic writes replace the whole file and leave no temporary behind") {
  test::TempDir dir;
  const auto path = dir.path() / "state.json";
  write_file_atomically(path, "first");
  write_file_atomically(path, "second, longer");
  CHECK(read_small_file(path, 100) == "second, longer");
  CHECK_THROWS_WITH(read_small_file(path, 3), Catch::Contains("larger than"));
  CHECK_FALSE(read_small_file(dir.path() / "absent", 3));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
  CHECK_THROWS_AS(write_file_atomically(dir.path() / "no-such-dir" / "x", "y"), Error);
}
