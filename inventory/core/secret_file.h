// Reading a file that holds a secret (the fleet key, a device key, the read token, read users): refused,
// in one line that never quotes it, unless it is a regular file only its owner may access.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace pifind {

/// The file's bytes, or nothing when it does not exist and `missing_ok`. Throws pifind::Error naming the
/// file as "<what> <path>" when it cannot be opened or read, is a symlink, a FIFO or anything but a regular
/// file (never blocking on one), group or others may access it (mode & 077), or it is larger than `max_bytes`.
std::optional<std::string> read_secret_file(const std::filesystem::path& path, const std::string& what,
                                            std::size_t max_bytes, bool missing_ok = false);

}  // namespace pifind
