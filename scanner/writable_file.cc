#include "scanner/writable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {

void check_file_writable(const std::filesystem::path& file, std::string_view option) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (std::filesystem::is_directory(status)) throw Error(fmt::format("{} {}: is a directory", option, file.string()));
  if (std::filesystem::exists(status)) {
    const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(system_error_text(fmt::format("{} {}: cannot read it", option, file.string()), errno));
    close(fd);
  }
  // A real file created and removed: access(2) says yes to root on a read-only file system.
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : ".";
  std::string probe = (directory / ".pifind-write-check-XXXXXX").string();
  const int fd = mkstemp(probe.data());
  if (fd < 0) {
    throw Error(system_error_text(
        fmt::format("{} {}: cannot create files in {}", option, file.string(), directory.string()), errno));
  }
  close(fd);
  unlink(probe.c_str());
}

}  // namespace pifind
