#include "inventory/transport/device_key_file.h"

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/file_lock.h"
#include "inventory/core/secret_file.h"
#include "inventory/core/whole_file.h"

namespace pifind {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;

}  // namespace

std::optional<DevicePrivateKey> load_device_key(const std::filesystem::path& state_dir) {
  const auto path = state_dir / kDeviceKeyFile;
  const auto text = read_secret_file(path, "device key", kMaxKeyFileBytes, true);
  if (!text) return std::nullopt;
  try {
    return DevicePrivateKey::from_pem(*text);
  } catch (const Error& e) {
    throw Error(fmt::format("device key {}: {} (move it away and a new key is made, which the collector "
                            "accepts only after `pifind keys forget`)",
                            path.string(), e.what()));
  }
}

DevicePrivateKey load_or_create_device_key(const std::filesystem::path& state_dir, bool* created) {
  const auto path = state_dir / kDeviceKeyFile;
  const FileLock lock(path);
  if (auto key = load_device_key(state_dir)) {
    if (created) *created = false;
    return std::move(*key);
  }
  DevicePrivateKey key = DevicePrivateKey::generate();
  write_file_atomically(path, key.to_pem(), 0600);
  if (created) *created = true;
  return key;
}

}  // namespace pifind
