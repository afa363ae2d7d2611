// Whole files, read and written safely: crash-safe replacement (temp file, fsync, rename, fsync of the directory)
// for every file pifind owns (the agent's counter, samples and spool; the inventory; exports), and bounded reads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pifind {

/// Replaces `path` with `content` so that a crash leaves either the old or the new file, never a mix.
/// The file gets exactly mode `mode` (the umask does not apply: callers that want it use process_umask()). Throws pifind::Error (one line) on any failed step.
void write_file_atomically(const std::filesystem::path& path, std::string_view content, unsigned mode = 0600);

/// The first half of write_file_atomically(), for a writer that prepares a large file without holding the
/// lock that guards `path`: writes `pieces` one after another to a new ".NAME.tmp.XXXXXX" beside `path`
/// (mode `mode`), fsyncs it and returns its path. On failure nothing is left behind and Error is thrown.
std::filesystem::path write_temporary_beside(const std::filesystem::path& path,
                                             std::span<const std::string_view> pieces, unsigned mode);
/// The second half: renames `temporary` over `path` and fsyncs the directory. On failure `temporary` is
/// removed and Error is thrown.
void install_temporary(const std::filesystem::path& temporary, const std::filesystem::path& path);
/// True if `name` is a temporary file write_temporary_beside() makes for `path`: what a writer killed
/// between the two halves leaves behind.
bool is_temporary_of(const std::filesystem::path& path, const std::string& name);

/// The whole file if it exists and is at most `max_bytes`; nothing if it does not exist.
/// Throws pifind::Error if it cannot be read or is larger than `max_bytes`.
std::optional<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

/// Everything from the current offset of the open descriptor `fd` to its end, if that is at most `max_bytes`;
/// throws Error naming `name` if it cannot be read or is larger.
std::string read_bounded(int fd, const std::string& name, std::size_t max_bytes);

/// The whole content of `file`, however large; throws Error when it cannot be opened or read.
std::string read_whole_file(const std::filesystem::path& file);
/// Everything from the current offset of the open descriptor `fd` to its end; `name` is for the error.
std::string read_descriptor(int fd, const std::filesystem::path& name);

/// The process's file mode creation mask, read without changing it (/proc/self/status; umask(2) twice
/// on kernels before 4.7).
unsigned process_umask();

/// fsync()s a directory so that a rename or unlink inside it is durable.
void sync_directory(const std::filesystem::path& dir);

}  // namespace pifind
