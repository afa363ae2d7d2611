// CRC-32C against the published check value and RFC 3720's test vectors (iSCSI, appendix B.4), and the
// hardware path against the portable one over every length and alignment a journal frame may have.
#include "inventory/core/crc32c.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace pifind;

TEST_CASE("CRC-32C gives the published check value and RFC 3720's vectors") {
  // Check value from the CRC catalogue (reveng.sourceforge.io, CRC-32/ISCSI): "123456789" -> 0xe3069283.
  CHECK(crc32c("123456789") == 0xe3069283u);
  CHECK(crc32c_portable("123456789") == 0xe3069283u);
  std::string zeros(32, '\0'), ones(32, '\xff'), ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending += static_cast<char>(i);
    descending += static_cast<char>(31 - i);
  }
  for (const auto& [data, expected] : {std::pair{zeros, 0x8a9136aau}, std::pair{ones, 0x62a8ab43u},
                                       std::pair{ascending, 0x46dd794eu}, std::pair{descending, 0x113fdb5cu}}) {
    CHECK(crc32c(data) == expected);
    CHECK(crc32c_portable(data) == expected);
  }
  CHECK(crc32c("") == 0u);
}

TEST_CASE("The fast CRC-32C equals the portable one at every length and offset") {
  std::mt19937 random(3720);
  std::string data(300, '\0');
  for (auto& c : data) c = static_cast<char>(random());
  for (std::size_t offset = 0; offset < 9; ++offset)
    for (std::size_t length = 0; offset + length <= data.size(); length += 7) {
      const std::string_view slice(data.data() + offset, length);
      REQUIRE(crc32c(slice) == crc32c_portable(slice));
    }
}
