#include "inventory/protocol/hmac_sha256.h"

#include <catch2/catch.hpp>
#include <string>

#include <fmt/format.h>

using pifind::hmac_sha256;

namespace {

std::string hex(const pifind::Sha256Digest& digest) {
  std::string out;
  for (auto byte : digest) out += fmt::format("{:02x}", byte);
  return out;
}

std::string bytes(std::size_t count, char value) { return std::string(count, value); }

}  // namespace

// RFC 4231, section 4: the HMAC-SHA-256 test vectors.
TEST_CASE("HMAC-SHA256 matches the RFC 4231 test vectors") {
  CHECK(hex(hmac_sha256(bytes(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hex(hmac_sha256(bytes(20, '\xaa'), bytes(50, '\xdd'))) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  // A key longer than the block is hashed first.
  CHECK(hex(hmac_sha256(bytes(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hex(hmac_sha256(bytes(131, '\xaa'),
                        "This is a test using a larger than block-size key and a larger than block-size data. "
                        "The key needs to be hashed before being used by the HMAC algorithm.")) ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("HMAC-SHA256 of an empty message and key is the known constant") {
  CHECK(hex(hmac_sha256("", "")) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}
