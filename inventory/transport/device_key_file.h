// A sender's own Ed25519 key pair in its state directory (<state>/device.key, PKCS#8 PEM, mode 0600): the
// agent's and the scanner's alike, made on first use and loaded after. The collector pins its public half.
#pragma once

#include <filesystem>
#include <optional>

#include "inventory/protocol/device_key.h"

namespace pifind {

/// The key file's name inside the state directory.
inline constexpr const char* kDeviceKeyFile = "device.key";

/// Loads `<state_dir>/device.key`, or creates it (mode 0600) when it does not exist; `created` tells which.
/// Processes sharing a state directory (two scanner units of one machine starting at once) take turns under
/// the file's lock, so they never make two keys, one of which would be lost after it signed.
/// Refuses, with a one-line pifind::Error that never quotes the file, a symlink, a file that is not
/// regular, that group or others may access, that is larger than 4 KiB, or that holds no Ed25519 key.
DevicePrivateKey load_or_create_device_key(const std::filesystem::path& state_dir, bool* created = nullptr);

/// Loads `<state_dir>/device.key` when it exists, with the same refusals, and never makes one (for printing
/// a key: one made by root would not be readable by the service's own user).
std::optional<DevicePrivateKey> load_device_key(const std::filesystem::path& state_dir);

}  // namespace pifind
