#include "inventory/core/whole_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

// Closes on scope exit; the few lines here do not justify a general RAII type in the public header.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

unsigned process_umask() {
  if (const auto status = read_small_file("/proc/self/status", 64 * 1024)) {
    const auto at = status->find("\nUmask:\t");
    if (at != std::string::npos) return static_cast<unsigned>(std::stoul(status->substr(at + 8, 4), nullptr, 8)) & 0777;
  }
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return mask & 0777;
}

void sync_directory(const std::filesystem::path& dir) {
  Fd d{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) throw Error(system_error_text("cannot open directory " + dir.string(), errno));
  if (::fsync(d.fd) != 0) throw Error(system_error_text("cannot sync directory " + dir.string(), errno));
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content, unsigned mode) {
  const auto dir = path.parent_path();
  std::string tmp_template = (dir.empty() ? std::filesystem::path(".") : dir).string() + "/." +
                             path.filename().string() + ".tmp.XXXXXX";
  Fd f{::mkostemp(tmp_template.data(), O_CLOEXEC)};
  if (f.fd < 0) throw Error(system_error_text("cannot create a temporary file beside " + path.string(), errno));
  const std::string tmp = tmp_template;
  auto fail = [&](const std::string& what) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    throw Error(system_error_text(what + " " + path.string(), saved));
  };
  if (::fchmod(f.fd, mode) != 0) fail("cannot set the mode of");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(f.fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) fail("cannot sync");
  if (::close(f.fd) != 0) {
    f.fd = -1;
    fail("cannot close");
  }
  f.fd = -1;
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot replace");
  sync_directory(dir);
}

std::optional<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw Error(system_error_text("cannot open " + path.string(), errno));
  }
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(f.fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(system_error_text("cannot read " + path.string(), errno));
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > max_bytes)
      throw Error(fmt::format("{} is larger than the {} bytes expected", path.string(), max_bytes));
  }
  return out;
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
