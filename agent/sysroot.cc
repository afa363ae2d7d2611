#include "agent/sysroot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "inventory/protocol/report.h"

namespace pifind::agent {
namespace {

// As the kernel's MAXSYMLINKS: more links than this on one path is a loop.
constexpr int kMaxSymlinks = 40;

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty() && part != ".") out.emplace_back(part);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
  }
  return out;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The regular file at `path`, bounded in size and time; nothing for anything else.
std::optional<std::string> read_regular_file(const std::filesystem::path& path, std::size_t max_bytes) {
  // stat before open: opening a FIFO blocks until a writer comes, and opening a device can have effects.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  // O_NONBLOCK too, for the file swapped for a FIFO between the stat and the open.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0 || ::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + kSystemFileReadLimit;
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(f.fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR && std::chrono::steady_clock::now() < deadline) continue;
      return std::nullopt;
    }
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > max_bytes || std::chrono::steady_clock::now() > deadline) return std::nullopt;
  }
}

}  // namespace

Sysroot::Sysroot(std::filesystem::path root)
    : root_(std::move(root)), live_(std::filesystem::weakly_canonical(root_) == "/") {}

std::optional<std::filesystem::path> Sysroot::resolve(std::string_view absolute, bool follow_last) const {
  // Walks the path one component at a time, as the kernel's path walk does with the root set to root_
  // (openat2's RESOLVE_IN_ROOT, which not every kernel the agent runs on has).
  std::vector<std::string> todo = components(absolute);
  std::reverse(todo.begin(), todo.end());
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.back());
    todo.pop_back();
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::filesystem::path here = root_;
    for (const auto& d : done) here /= d;
    here /= part;
    struct stat st {};
    if (::lstat(here.c_str(), &st) != 0) return std::nullopt;
    if (!S_ISLNK(st.st_mode) || (todo.empty() && !follow_last)) {
      done.push_back(std::move(part));
      continue;
    }
    if (++links > kMaxSymlinks) return std::nullopt;
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(here, ec).string();
    if (ec || target.empty()) return std::nullopt;
    if (target.front() == '/') done.clear();
    auto more = components(target);
    todo.insert(todo.end(), more.rbegin(), more.rend());
  }
  std::filesystem::path out = root_;
  for (const auto& d : done) out /= d;
  return out;
}

std::filesystem::path Sysroot::path(std::string_view absolute) const {
  if (!live_)
    if (auto resolved = resolve(absolute, true)) return *resolved;
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  return root_ / std::filesystem::path(absolute);
}

std::optional<std::string> Sysroot::read(std::string_view absolute, std::size_t max_bytes) const {
  if (live_) return read_regular_file(path(absolute), max_bytes);
  const auto resolved = resolve(absolute, true);
  return resolved ? read_regular_file(*resolved, max_bytes) : std::nullopt;
}

std::optional<std::string> Sysroot::read_line(std::string_view absolute) const {
  auto text = read(absolute, 4096);
  if (!text) return std::nullopt;
  const auto newline = text->find('\n');
  return trim(std::string_view(*text).substr(0, newline));
}

std::vector<std::string> Sysroot::list(std::string_view absolute_dir) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(path(absolute_dir), ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool Sysroot::exists(std::string_view absolute) const {
  struct stat st {};
  if (live_) return ::stat(path(absolute).c_str(), &st) == 0;
  return resolve(absolute, true).has_value();
}

bool Sysroot::has_entry(std::string_view absolute) const {
  struct stat st {};
  if (live_) return ::lstat(path(absolute).c_str(), &st) == 0;
  return resolve(absolute, false).has_value();
}

std::string trim(std::string_view s) {
  auto junk = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0'; };
  while (!s.empty() && junk(s.front())) s.remove_prefix(1);
  while (!s.empty() && junk(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string report_text(std::string_view raw, std::size_t max_bytes) { return to_clean_text(trim(raw), max_bytes); }

}  // namespace pifind::agent
