#include "agent/device_key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"

namespace pifind::agent {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;

// The file's bytes, or nothing when it does not exist; checks as documented in the header.
std::optional<std::string> read_key_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw Error(system_error_text("cannot open device key " + path.string(), errno));
  }
  struct stat st {};
  std::string text, problem;
  if (::fstat(fd, &st) != 0) {
    problem = system_error_text("cannot stat device key " + path.string(), errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = fmt::format("device key {} is not a regular file", path.string());
  } else if ((st.st_mode & 077) != 0) {
    problem = fmt::format("device key {} is accessible by group or others (mode {:04o}); run chmod 600 on it",
                          path.string(), st.st_mode & 07777);
  } else if (static_cast<std::size_t>(st.st_size) > kMaxKeyFileBytes) {
    problem = fmt::format("device key {} is larger than {} bytes", path.string(), kMaxKeyFileBytes);
  } else {
    char buffer[kMaxKeyFileBytes + 1];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0 && text.size() <= kMaxKeyFileBytes)
      text.append(buffer, static_cast<std::size_t>(n));
    if (n < 0) problem = system_error_text("cannot read device key " + path.string(), errno);
  }
  ::close(fd);
  if (!problem.empty()) throw Error(problem);
  return text;
}

}  // namespace

DevicePrivateKey load_or_create_device_key(const std::filesystem::path& state_dir, bool* created) {
  const auto path = state_dir / kDeviceKeyFile;
  if (const auto text = read_key_file(path)) {
    if (created) *created = false;
    try {
      return DevicePrivateKey::from_pem(*text);
    } catch (const Error& e) {
      throw Error(fmt::format("device key {}: {} (move it away and a new key is made, which the collector "
                              "accepts only after `pifind keys forget`)",
                              path.string(), e.what()));
    }
  }
  DevicePrivateKey key = DevicePrivateKey::generate();
  write_file_atomically(path, key.to_pem(), 0600);
  if (created) *created = true;
  return key;
}

}  // namespace pifind::agent
