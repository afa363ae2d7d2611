// Checks, before a scan, that a file the scan will write after it (--inventory) can be written there,
// so a typo or a read-only directory fails in a second instead of after the scan.
#pragma once

#include <filesystem>
#include <string_view>

namespace pifind {

/// Throws Error naming `option` unless `file` is readable when it exists (a merge reads it first), is
/// no directory, and its directory lets us create a file (as the atomic rewrite and the lock do).
void check_file_writable(const std::filesystem::path& file, std::string_view option);

}  // namespace pifind
