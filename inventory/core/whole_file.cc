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

std::filesystem::path write_temporary_beside(const std::filesystem::path& path,
                                             std::span<const std::string_view> pieces, unsigned mode) {
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
  auto write_all = [&](std::string_view content) {
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(f.fd, content.data() + done, content.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot write");
      }
      done += static_cast<std::size_t>(n);
    }
  };
  // An inventory is 100,000 short lines: gather them into large writes rather than one system call each.
  constexpr std::size_t kGather = 1 << 20;
  std::string buffer;
  for (const std::string_view content : pieces) {
    if (buffer.size() + content.size() > kGather) {
      write_all(buffer);
      buffer.clear();
    }
    if (content.size() >= kGather)
      write_all(content);
    else
      buffer.append(content);
  }
  write_all(buffer);
  if (::fsync(f.fd) != 0) fail("cannot sync");
  if (::close(f.fd) != 0) {
    f.fd = -1;
    fail("cannot close");
  }
  f.fd = -1;
  return tmp;
}

void install_temporary(const std::filesystem::path& temporary, const std::filesystem::path& path) {
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    throw Error(system_error_text("cannot replace " + path.string(), saved));
  }
  sync_directory(path.parent_path());
}

bool is_temporary_of(const std::filesystem::path& path, const std::string& name) {
  const std::string prefix = "." + path.filename().string() + ".tmp.";
  return name.size() == prefix.size() + 6 && name.compare(0, prefix.size(), prefix) == 0;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content, unsigned mode) {
  const std::string_view pieces[] = {content};
  install_temporary(write_temporary_beside(path, pieces, mode), path);
}

std::optional<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw Error(system_error_text("cannot open " + path.string(), errno));
  }
  return read_bounded(f.fd, path.string(), max_bytes);
}

std::string read_bounded(int fd, const std::string& name, std::size_t max_bytes) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(system_error_text("cannot read " + name, errno));
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) throw Error(fmt::format("{} is larger than the {} bytes expected", name, max_bytes));
  }
  return out;
}

std::string read_descriptor(int fd, const std::filesystem::path& name) {
  constexpr std::size_t kChunk = 1 << 20;
  std::string out;
  struct stat st {};
  // Room for the whole file and the read that finds its end: growing past it would double a 48 MB string.
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size) + kChunk);
  for (;;) {
    const std::size_t at = out.size();
    out.resize(at + kChunk);
    const ssize_t n = ::read(fd, out.data() + at, kChunk);
    if (n < 0) {
      out.resize(at);
      if (errno == EINTR) continue;
      throw Error(system_error_text("cannot read " + name.string(), errno));
    }
    out.resize(at + static_cast<std::size_t>(n));
    if (n == 0) return out;
  }
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
