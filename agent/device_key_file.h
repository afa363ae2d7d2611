// The agent's own Ed25519 key pair in its state directory (<state>/device.key, PKCS#8 PEM, mode 0600):
// made on first start, loaded after. The collector pins its public half to this device.
#pragma once

#include <filesystem>

#include "inventory/protocol/device_key.h"

namespace pifind::agent {

/// The key file's name inside the state directory.
inline constexpr const char* kDeviceKeyFile = "device.key";

/// Loads `<state_dir>/device.key`, or creates it (mode 0600) when it does not exist; `created` tells which.
/// Refuses, with a one-line pifind::Error that never quotes the file, a symlink, a file that is not
/// regular, that group or others may access, that is larger than 4 KiB, or that holds no Ed25519 key.
DevicePrivateKey load_or_create_device_key(const std::filesystem::path& state_dir, bool* created = nullptr);

}  // namespace pifind::agent
