// The inventory's journal: an append-only file beside it holding, frame by frame, the devices each collector
// commit changed, so a commit costs what it changed and not a rewrite of the whole file (pifind-inventory(5)).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inventory/store/inventory.h"

namespace pifind {

/// "FILE.journal": the changes made since the file's generation was written.
std::filesystem::path journal_path(const std::filesystem::path& file);
/// "FILE.journal.next": the changes made since a compaction, still being written, took its snapshot.
std::filesystem::path next_journal_path(const std::filesystem::path& file);

/// One commit as a frame: a line with the payload's length and CRC-32C (8 hex digits each), the payload,
/// a newline. The payload holds every changed device's full line (device_line()), the identities of the
/// removed ones and, when the commit changed them, the whole pending keys and retired agents (`sections`,
/// sections_text(), "" for none), so replaying a frame twice gives the same inventory.
std::string journal_frame(std::span<const std::string_view> device_lines, std::span<const MacAddress> removed,
                          std::optional<std::string_view> sections = std::nullopt);

/// The first line of a journal, binding it to the generation of the file its frames apply to.
std::string journal_header(std::uint64_t generation);

/// A journal as read: its generation and the payloads of its intact frames.
struct JournalText {
  std::uint64_t generation = 0;
  /// Payloads in order, pointing into the text that was scanned.
  std::vector<std::string_view> frames;
  /// Length of the header and the intact frames. Anything after them is a torn tail: a frame whose write a
  /// crash cut short (never acknowledged), or one being written right now.
  std::size_t intact_bytes = 0;
  std::size_t total_bytes = 0;
  bool torn() const { return total_bytes > intact_bytes; }
};

/// Scans a journal's text, stopping at the first frame that is incomplete or fails its checksum. Nothing if
/// the header itself is incomplete (no frame was ever written after it). Throws Error if the text is not a
/// pifind journal, or one of a newer format.
std::optional<JournalText> scan_journal(std::string_view text);

/// Applies one frame's payload to `inventory`; with `lines`, keeps them up to date too (each device's line as
/// the frame holds it, removed devices' erased). Throws Error naming the problem if the payload (whose
/// checksum matched) is not a frame pifind writes.
void apply_journal_frame(Inventory& inventory, std::string_view payload,
                         std::unordered_map<MacAddress, std::string>* lines = nullptr);

/// The journal a collector appends its commits to. Every frame is durable (fdatasync) when append() returns.
class JournalAppender {
 public:
  /// Creates the journal `path` for `generation` with mode `mode` (the inventory's): the header is written to
  /// a temporary file, synced and renamed into place (directory synced), so a journal never exists without
  /// its whole header.
  static JournalAppender create(const std::filesystem::path& path, std::uint64_t generation, unsigned mode);
  /// Continues the journal `path` after its `intact_bytes` (from scan_journal()), cutting a torn tail off
  /// first so that new frames never follow a broken one.
  static JournalAppender open(const std::filesystem::path& path, std::uint64_t generation, std::uint64_t intact_bytes,
                              std::size_t frames);
  JournalAppender(JournalAppender&& other) noexcept;
  JournalAppender& operator=(JournalAppender&& other) noexcept;
  JournalAppender(const JournalAppender&) = delete;
  JournalAppender& operator=(const JournalAppender&) = delete;
  ~JournalAppender();

  /// Appends `frame` and syncs it. On failure cuts the file back to its previous length and throws Error
  /// (one line); if even that fails, broken() turns true and nothing may be appended any more.
  void append(std::string_view frame);
  /// True if `path()` still names this file and it holds exactly what was written through this appender:
  /// no other process replaced, removed or appended to it.
  bool intact_on_disk() const;
  /// After the file was renamed (FILE.journal.next to FILE.journal).
  void renamed_to(std::filesystem::path path) { path_ = std::move(path); }

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t generation() const { return generation_; }
  /// Length of the file: header and frames.
  std::uint64_t bytes() const { return bytes_; }
  std::size_t frames() const { return frames_; }
  bool broken() const { return broken_; }

 private:
  JournalAppender(int fd, std::filesystem::path path, std::uint64_t generation, std::uint64_t bytes, std::size_t frames);

  int fd_ = -1;
  std::filesystem::path path_;
  std::uint64_t generation_ = 0;
  std::uint64_t bytes_ = 0;
  std::size_t frames_ = 0;
  bool broken_ = false;
};

}  // namespace pifind
