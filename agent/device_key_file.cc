#include "agent/device_key_file.h"

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/secret_file.h"
#include "inventory/core/whole_file.h"

namespace pifind::agent {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;

}  // namespace

DevicePrivateKey load_or_create_device_key(const std::filesystem::path& state_dir, bool* created) {
  const auto path = state_dir / kDeviceKeyFile;
  if (const auto text = read_secret_file(path, "device key", kMaxKeyFileBytes, true)) {
    if (created) *created = false;
    try {
      return DevicePrivateKey::from_pem(*text);
    } catch (const Error& e) {
      throw Error(fmt::format("device key {}: {} (move it away and a new key is made, which the collector "
                              "accepts only after `pifind keys forget`)",
                              path.string(), e.what()));
    }
  }
  DevicePrivateKey key = DevicePrivateKey::generate();
  write_file_atomically(path, key.to_pem(), 0600);
  if (created) *created = true;
  return key;
}

}  // namespace pifind::agent
