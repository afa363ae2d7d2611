#include "inventory/core/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"

namespace pifind {

std::optional<std::string> read_secret_file(const std::filesystem::path& path, const std::string& what,
                                            std::size_t max_bytes, bool missing_ok) {
  const std::string name = what + " " + path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT && missing_ok) return std::nullopt;
    throw Error(system_error_text("cannot open " + name, errno));
  }
  struct stat st {};
  std::string text, problem;
  if (::fstat(fd, &st) != 0) {
    problem = system_error_text("cannot stat " + name, errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = name + " is not a regular file";
  } else if ((st.st_mode & 077) != 0) {
    problem = fmt::format("{} is accessible by group or others (mode {:04o}); run chmod 600 on it", name,
                          st.st_mode & 07777);
  } else if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    problem = fmt::format("{} is larger than {} bytes", name, max_bytes);
  } else {
    try {
      text = read_bounded(fd, name, max_bytes);  // the file may have grown since fstat
    } catch (const Error& e) {
      problem = e.what();
    }
  }
  ::close(fd);
  if (!problem.empty()) throw Error(problem);
  return text;
}

}  // namespace pifind
