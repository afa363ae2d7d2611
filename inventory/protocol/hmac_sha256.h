// HMAC-SHA256 (RFC 2104) over OpenSSL's SHA-256 compression functions, the signature on every report.
// Not through EVP: OpenSSL 3's provider machinery would add 2 MB to the agent's resident size.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace pifind {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// HMAC-SHA256 of `message` under `key` (any length; keys longer than 64 bytes are hashed first).
Sha256Digest hmac_sha256(std::string_view key, std::string_view message);

}  // namespace pifind
