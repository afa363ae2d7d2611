#include "inventory/store/inventory_file.h"

#include <sys/stat.h>

#include <system_error>

#include "inventory/core/error.h"
#include "inventory/core/file_lock.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_json.h"

namespace pifind {

Inventory read_inventory_file(const std::filesystem::path& file, bool missing_ok) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (missing_ok && !ec) return Inventory{};
    throw Error(file.string() + ": no such inventory file");
  }
  const std::string text = read_whole_file(file);
  try {
    return inventory_from_text(text);
  } catch (const Error& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

unsigned inventory_file_mode(const std::filesystem::path& file) {
  struct stat st {};
  // stat, not lstat: a symlinked inventory keeps its target's mode, so a root-only file reached through a
  // link is never copied into a readable one.
  if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 07777;
  return 0640 & ~process_umask();
}

void write_inventory_file(const std::filesystem::path& file, const Inventory& inventory, TimePoint updated) {
  write_file_atomically(file, inventory_to_text(inventory, updated), inventory_file_mode(file));
}

void update_inventory_file(const std::filesystem::path& file, const std::function<void(Inventory&)>& change) {
  const FileLock lock(file);
  Inventory inventory = read_inventory_file(file, true);
  change(inventory);
  write_inventory_file(file, inventory, std::chrono::system_clock::now());
}

}  // namespace pifind
