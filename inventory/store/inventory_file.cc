#include "inventory/store/inventory_file.h"

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

void write_inventory_file(const std::filesystem::path& file, const Inventory& inventory, TimePoint updated) {
  write_file_atomically(file, inventory_to_text(inventory, updated), 0644);
}

void update_inventory_file(const std::filesystem::path& file, const std::function<void(Inventory&)>& change) {
  const FileLock lock(file);
  Inventory inventory = read_inventory_file(file, true);
  change(inventory);
  write_inventory_file(file, inventory, std::chrono::system_clock::now());
}

}  // namespace pifind
