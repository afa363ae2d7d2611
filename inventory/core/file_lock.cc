#include "inventory/core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "inventory/core/error.h"

namespace pifind {
namespace {

// A lock file that root creates in a directory someone else owns (the collector's DynamicUser state
// directory, scanned into by `sudo pifind --inventory ...`) is handed to the directory's owner, or that
// owner could never open it again. Only for a file this process has just created (O_EXCL), never one it
// found: that could be a hard link to anything.
void give_new_lock_to_directory_owner(int fd, const std::filesystem::path& lock_path) {
  if (::geteuid() != 0) return;
  struct stat dir {};
  const auto parent = lock_path.has_parent_path() ? lock_path.parent_path() : std::filesystem::path(".");
  if (::stat(parent.c_str(), &dir) != 0 || dir.st_uid == 0) return;
  // Should it fail, root still holds a lock it can always open; only that user stays locked out, as before.
  if (::fchown(fd, dir.st_uid, dir.st_gid) != 0) return;
}

}  // namespace

std::filesystem::path FileLock::lock_path_for(const std::filesystem::path& file) {
  return std::filesystem::path(file.string() + ".lock");
}

FileLock::FileLock(const std::filesystem::path& file) {
  const auto lock_path = lock_path_for(file);
  // Create it, or open the one that exists; a symlink planted in its place is refused (O_NOFOLLOW).
  for (int attempt = 0; attempt < 3 && fd_ < 0; ++attempt) {
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
      give_new_lock_to_directory_owner(fd_, lock_path);
    } else if (errno == EEXIST) {
      fd_ = ::open(lock_path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
      if (fd_ < 0 && errno == ENOENT) continue;  // removed in between: create it again
    }
    if (fd_ < 0) break;
  }
  if (fd_ < 0) throw Error(system_error_text("cannot open lock file " + lock_path.string(), errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int saved = errno;
    ::close(fd_);
    throw Error(system_error_text("cannot lock " + lock_path.string(), saved));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace pifind
