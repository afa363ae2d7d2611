#include "inventory/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "inventory/error.h"

namespace pifind {

std::filesystem::path FileLock::lock_path_for(const std::filesystem::path& file) {
  return std::filesystem::path(file.string() + ".lock");
}

FileLock::FileLock(const std::filesystem::path& file) {
  const auto lock_path = lock_path_for(file);
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
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
