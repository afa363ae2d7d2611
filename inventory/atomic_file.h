// Replacing a file so readers see either the old or the new content, never a mix, even after a crash:
// temp file in the same directory, fsync, rename over the target, fsync the directory.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace pifind {

/// Writes `content` to `target` atomically with permission bits `mode` (before umask is NOT applied:
/// the mode is set exactly). Throws Error naming the step that failed; the target is then untouched
/// and no temporary file is left behind.
void write_file_atomically(const std::filesystem::path& target, std::string_view content, mode_t mode = 0644);

/// The whole content of `file`; throws Error when it cannot be read.
std::string read_whole_file(const std::filesystem::path& file);

}  // namespace pifind
