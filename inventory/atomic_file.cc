#include "inventory/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "inventory/error.h"

namespace pifind {
namespace {

// Closes the descriptor and removes the temporary file unless the rename happened.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& target) {
    name_ = (target.parent_path() / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
    fd_ = ::mkstemp(name_.data());
    if (fd_ < 0) throw Error(system_error_text("cannot create a temporary file beside " + target.string(), errno));
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(name_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  void close_checked() {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw Error(system_error_text("cannot close " + name_, errno));
  }
  void mark_renamed() { renamed_ = true; }

 private:
  std::string name_;
  int fd_ = -1;
  bool renamed_ = false;
};

void write_all(int fd, std::string_view content, const std::string& name) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(system_error_text("cannot write " + name, errno));
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
}

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error(system_error_text("cannot open directory " + dir.string(), errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) throw Error(system_error_text("cannot fsync directory " + dir.string(), saved));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& target, std::string_view content, mode_t mode) {
  TempFile temp(target);
  if (::fchmod(temp.fd(), mode) != 0) throw Error(system_error_text("cannot set the mode of " + temp.name(), errno));
  write_all(temp.fd(), content, temp.name());
  if (::fsync(temp.fd()) != 0) throw Error(system_error_text("cannot fsync " + temp.name(), errno));
  temp.close_checked();
  if (::rename(temp.name().c_str(), target.c_str()) != 0)
    throw Error(system_error_text("cannot rename " + temp.name() + " to " + target.string(), errno));
  temp.mark_renamed();
  fsync_directory(target.parent_path());
}

std::string read_whole_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(system_error_text("cannot open " + file.string(), errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw Error("cannot read " + file.string());
  return std::move(content).str();
}

}  // namespace pifind
