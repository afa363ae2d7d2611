#include "inventory/protocol/hmac_sha256.h"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, whose first use loads the
// default provider and touches ~2 MB of libcrypto. The low-level functions are the same primitive.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <algorithm>

namespace pifind {
namespace {

constexpr std::size_t block_bytes = 64;

void update(SHA256_CTX& context, std::string_view bytes) { SHA256_Update(&context, bytes.data(), bytes.size()); }

Sha256Digest finish(SHA256_CTX& context) {
  Sha256Digest digest{};
  SHA256_Final(digest.data(), &context);
  return digest;
}

std::string_view as_view(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

}  // namespace

Sha256Digest hmac_sha256(std::string_view key, std::string_view message) {
  std::array<std::uint8_t, block_bytes> block{};
  if (key.size() > block_bytes) {
    SHA256_CTX context;
    SHA256_Init(&context);
    update(context, key);
    const Sha256Digest hashed = finish(context);
    std::copy(hashed.begin(), hashed.end(), block.begin());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<char, block_bytes> inner_pad{}, outer_pad{};
  for (std::size_t i = 0; i < block_bytes; ++i) {
    inner_pad[i] = static_cast<char>(block[i] ^ 0x36);
    outer_pad[i] = static_cast<char>(block[i] ^ 0x5c);
  }
  SHA256_CTX inner;
  SHA256_Init(&inner);
  update(inner, {inner_pad.data(), inner_pad.size()});
  update(inner, message);
  const Sha256Digest inner_digest = finish(inner);

  SHA256_CTX outer;
  SHA256_Init(&outer);
  update(outer, {outer_pad.data(), outer_pad.size()});
  update(outer, as_view(inner_digest));
  return finish(outer);
}

}  // namespace pifind
