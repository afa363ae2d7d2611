#include "inventory/store/inventory_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/file_lock.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/host_alias.h"
#include "inventory/store/inventory_journal.h"
#include "inventory/store/inventory_json.h"

namespace pifind {
namespace {

// How often a reader starts over because a writer replaced the file while it was opening it. Writers replace
// it seconds apart (compactions, scans), so a second attempt all but always succeeds.
constexpr int kReadAttempts = 100;

struct Descriptor {
  int fd = -1;
  Descriptor() = default;
  explicit Descriptor(int f) : fd(f) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// Opens `path` for reading; -1 when it does not exist. Throws Error for any other failure.
int open_if_present(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) throw Error(system_error_text("cannot open " + path.string(), errno));
  return fd;
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

struct FoundJournal {
  std::filesystem::path path;
  std::string text;
  JournalText journal;
  struct stat st {};
};

// The journal at `path` through the open `fd`; nothing if it holds no complete header.
std::optional<FoundJournal> read_journal(int fd, const std::filesystem::path& path) {
  FoundJournal found;
  found.path = path;
  if (::fstat(fd, &found.st) != 0) throw Error(system_error_text("cannot stat " + path.string(), errno));
  found.text = read_descriptor(fd, path);
  try {
    auto journal = scan_journal(found.text);
    if (!journal) return std::nullopt;
    found.journal = std::move(*journal);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  return found;
}

// Reads what the descriptors, opened while `file` was the file they belong with, hold.
InventoryOnDisk read_opened(const std::filesystem::path& file, int file_fd, std::vector<std::optional<FoundJournal>> found,
                            bool keep_lines) {
  InventoryOnDisk disk;
  disk.file_exists = true;
  try {
    InventoryDocument document = inventory_document_from_text(read_descriptor(file_fd, file), keep_lines);
    disk.inventory = std::move(document.inventory);
    disk.generation = document.generation;
    disk.lines = std::move(document.lines);
  } catch (const Error& e) {
    throw Error(file.string() + ": " + e.what());
  }
  disk.highest_generation = disk.generation;
  // Both names may lead to one journal: FILE.journal.next was renamed to FILE.journal in between.
  std::vector<FoundJournal*> journals;
  for (auto& j : found)
    if (j && std::none_of(journals.begin(), journals.end(), [&](const FoundJournal* k) { return same_file(k->st, j->st); }))
      journals.push_back(&*j);
  FoundJournal *base = nullptr, *next = nullptr;
  for (FoundJournal* j : journals) {
    const std::uint64_t g = j->journal.generation;
    disk.highest_generation = std::max(disk.highest_generation, g);
    if (g < disk.generation) {
      disk.stale.push_back(j->path);
      continue;
    }
    if (g > disk.generation + 1)
      throw Error(fmt::format("{}: generation {} is newer than {} (generation {}): was the file restored from a "
                              "backup? Move the journal away to use the file as it is",
                              j->path.string(), g, file.string(), disk.generation));
    FoundJournal*& slot = g == disk.generation ? base : next;
    if (slot) throw Error(fmt::format("{} and {} are both journals of generation {}", slot->path.string(), j->path.string(), g));
    slot = j;
  }
  if (next && !base)
    throw Error(fmt::format("{} continues a journal of generation {} that is missing", next->path.string(), disk.generation));
  for (FoundJournal* j : {base, next}) {
    if (!j) continue;
    for (std::size_t i = 0; i < j->journal.frames.size(); ++i) {
      try {
        apply_journal_frame(disk.inventory, j->journal.frames[i], keep_lines ? &disk.lines : nullptr);
      } catch (const Error& e) {
        throw Error(fmt::format("{}: frame {}: {}", j->path.string(), i + 1, e.what()));
      }
    }
    disk.replayed.push_back({j->path, j->journal.generation, j->journal.frames.size(), j->journal.intact_bytes,
                             j->journal.total_bytes});
  }
  // Files written before aliases were stored: their fleet members get the names they always had. Once, after
  // the journals, so a name is never given that a frame gives another device.
  disk.inventory.take_changed();
  disk.inventory.take_sections_changed();
  give_missing_aliases(disk.inventory);
  for (const auto& id : disk.inventory.take_changed()) disk.lines.erase(id);
  return disk;
}

}  // namespace

InventoryOnDisk load_inventory(const std::filesystem::path& file, bool missing_ok, bool keep_lines) {
  // Writers rename a new file into place before they rename or remove journals. So the file is opened first,
  // then the journals (FILE.journal.next before FILE.journal, the order a finished compaction renames them
  // in), and if the name still leads to the same file afterwards, the journals opened are the ones that
  // belong with it: a journal is only ever appended to, and one that is replaced stays readable through its
  // descriptor.
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    const Descriptor file_fd(open_if_present(file));
    const Descriptor next_fd(open_if_present(next_journal_path(file)));
    const Descriptor journal_fd(open_if_present(journal_path(file)));
    struct stat opened {}, named {};
    const bool exists_now = ::stat(file.c_str(), &named) == 0;
    if (!exists_now && errno != ENOENT) throw Error(system_error_text("cannot stat " + file.string(), errno));
    if (file_fd.fd < 0) {
      if (exists_now) continue;
      if (!missing_ok) throw Error(file.string() + ": no such inventory file");
      InventoryOnDisk disk;  // journals without their file: left-overs, opened above already
      if (next_fd.fd >= 0) disk.stale.push_back(next_journal_path(file));
      if (journal_fd.fd >= 0) disk.stale.push_back(journal_path(file));
      return disk;
    }
    if (::fstat(file_fd.fd, &opened) != 0) throw Error(system_error_text("cannot stat " + file.string(), errno));
    if (!exists_now || !same_file(opened, named)) continue;
    std::vector<std::optional<FoundJournal>> found;
    if (next_fd.fd >= 0) found.push_back(read_journal(next_fd.fd, next_journal_path(file)));
    if (journal_fd.fd >= 0) found.push_back(read_journal(journal_fd.fd, journal_path(file)));
    return read_opened(file, file_fd.fd, std::move(found), keep_lines);
  }
  throw Error(file.string() + ": replaced " + std::to_string(kReadAttempts) + " times while being read");
}

Inventory read_inventory_file(const std::filesystem::path& file, bool missing_ok) {
  return std::move(load_inventory(file, missing_ok).inventory);
}

void write_inventory_file(const std::filesystem::path& file, const Inventory& inventory, TimePoint updated,
                          std::uint64_t generation) {
  write_file_atomically(file, inventory_to_text(inventory, updated, generation), inventory_file_mode(file));
}

void replace_inventory_file(const std::filesystem::path& file, TimePoint updated, std::uint64_t generation,
                            std::span<const std::string_view> device_lines, std::string_view sections) {
  const DocumentPieces document(updated, generation, {device_lines.begin(), device_lines.end()}, sections);
  const auto pieces = document.all();
  install_temporary(write_temporary_beside(file, pieces, inventory_file_mode(file)), file);
  // Stale now whatever happens next: a crash before these leaves files readers ignore.
  for (const auto& journal : {journal_path(file), next_journal_path(file)})
    if (::unlink(journal.c_str()) != 0 && errno != ENOENT)
      throw Error(system_error_text("cannot remove " + journal.string(), errno));
}

unsigned inventory_file_mode(const std::filesystem::path& file) {
  struct stat st {};
  // stat, not lstat: a symlinked inventory keeps its target's mode, so a root-only file reached through a
  // link is never copied into a readable one.
  if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 07777;
  return 0640 & ~process_umask();
}

void update_inventory_file(const std::filesystem::path& file, const std::function<void(Inventory&)>& change,
                           bool missing_ok) {
  const FileLock lock(file);
  InventoryOnDisk disk = load_inventory(file, missing_ok, true);
  change(disk.inventory);
  // Devices the change left alone keep their lines as read; the rest are rendered again.
  for (const auto& id : disk.inventory.take_changed()) disk.lines.erase(id);
  std::deque<std::string> rendered;  // a deque: the views below must survive its growth
  std::vector<std::string_view> views;
  views.reserve(disk.inventory.size());
  for (const auto& [id, record] : disk.inventory.records()) {
    const auto kept = disk.lines.find(id);
    views.push_back(kept != disk.lines.end() ? std::string_view(kept->second)
                                             : std::string_view(rendered.emplace_back(device_line(id, record))));
  }
  replace_inventory_file(file, std::chrono::system_clock::now(), disk.highest_generation + 1, views,
                         sections_text(disk.inventory));
}

}  // namespace pifind
