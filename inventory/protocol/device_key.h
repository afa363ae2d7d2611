// Each device's own Ed25519 key pair (OpenSSL EVP): the agent signs every report with its private key,
// the collector pins the public key to the device on first use and verifies every later report with it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "inventory/core/mac_address.h"

struct evp_pkey_st;

namespace pifind {

inline constexpr std::string_view kDeviceKeyHeader = "X-Pifind-Device-Key";
inline constexpr std::string_view kDeviceSignatureHeader = "X-Pifind-Device-Signature";

/// "pifind-report-v1\n" + agent + "\n" + counter + "\n" + body: the bytes both signatures cover.
std::string report_message(const MacAddress& agent, std::uint64_t counter, std::string_view body);
/// The same for a scan: "pifind-scan-v1\n" + scanner + "\n" + counter + "\n" + body. The domains differ, so a
/// signature over one kind never verifies as the other.
std::string scan_message(const MacAddress& scanner, std::uint64_t counter, std::string_view body);

/// A device's public key: 32 raw Ed25519 bytes. Text form (headers, inventory, `pifind keys`):
/// "ed25519=<base64 of the 32 bytes>".
class DevicePublicKey {
 public:
  using Bytes = std::array<std::uint8_t, 32>;

  /// Nothing for anything but "ed25519=" followed by the 44-character base64 of 32 bytes.
  static std::optional<DevicePublicKey> parse(std::string_view text);
  explicit DevicePublicKey(const Bytes& bytes) : bytes_(bytes) {}

  const Bytes& bytes() const { return bytes_; }
  std::string to_string() const;
  /// "SHA256:<base64 without padding>" of the raw key, as ssh-keygen -l prints key fingerprints.
  std::string fingerprint() const;
  /// True if `signature_text` ("ed25519=<base64 of 64 bytes>") is this key's signature of `message`.
  bool verify(std::string_view message, std::string_view signature_text) const;

  bool operator==(const DevicePublicKey& other) const = default;

 private:
  Bytes bytes_;
};

/// A device's private key. Never printed; stored as PKCS#8 PEM (what `openssl genpkey -algorithm ed25519`
/// writes), so `openssl pkey -in KEY -pubout` can show its public half.
class DevicePrivateKey {
 public:
  /// A fresh key from OpenSSL's random generator. Throws pifind::Error if OpenSSL fails.
  static DevicePrivateKey generate();
  /// Parses PKCS#8 PEM text. Throws pifind::Error (never quoting the text) if it is not an Ed25519 key.
  static DevicePrivateKey from_pem(std::string_view pem);

  DevicePrivateKey(DevicePrivateKey&&) noexcept;
  DevicePrivateKey& operator=(DevicePrivateKey&&) noexcept;
  ~DevicePrivateKey();

  std::string to_pem() const;
  DevicePublicKey public_key() const;
  /// "ed25519=<base64 of the 64-byte signature>" of `message`.
  std::string sign(std::string_view message) const;

 private:
  explicit DevicePrivateKey(evp_pkey_st* key);
  evp_pkey_st* key_ = nullptr;
};

}  // namespace pifind
