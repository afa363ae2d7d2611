// Whole files, read and written safely: crash-safe replacement (temp file, fsync, rename, fsync of the directory)
// for every file pifind owns (the agent's counter, samples and spool; the inventory; exports), and bounded reads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pifind {

/// Replaces `path` with `content` so that a crash leaves either the old or the new file, never a mix.
/// The file gets exactly mode `mode` (the umask does not apply: callers that want it use process_umask()). Throws pifind::Error (one line) on any failed step.
void write_file_atomically(const std::filesystem::path& path, std::string_view content, unsigned mode = 0600);

/// The whole file if it exists and is at most `max_bytes`; nothing if it does not exist.
/// Throws pifind::Error if it cannot be read or is larger than `max_bytes`.
std::optional<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

/// The whole content of `file`, however large; throws Error when it cannot be opened or read.
std::string read_whole_file(const std::filesystem::path& file);

/// The process's file mode creation mask, read without changing it (/proc/self/status; umask(2) twice
/// on kernels before 4.7).
unsigned process_umask();

/// fsync()s a directory so that a rename or unlink inside it is durable.
void sync_directory(const std::filesystem::path& dir);

}  // namespace pifind
