#include "inventory/core/mac_address.h"

#include <catch2/catch.hpp>

using pifind::MacAddress;

TEST_CASE("MacAddress parses every common notation to the same address") {
  const auto expected = MacAddress::from_u64(0xb827eb0a0b0cULL);
  for (const char* text : {"b8:27:eb:0a:0b:0c", "B8:27:EB:0A:0B:0C", "b8-27-eb-0a-0b-0c", "b827.eb0a.0b0c",
                           "b827eb0a0b0c"}) {
    INFO(text);
    const auto mac = MacAddress::parse(text);
    REQUIRE(mac);
    CHECK(*mac == expected);
  }
  CHECK(expected.to_string() == "b8:27:eb:0a:0b:0c");
}

TEST_CASE("MacAddress rejects malformed text") {
  for (const char* text : {"", "b8:27:eb:0a:0b", "b8:27:eb:0a:0b:0c:0d", "b8:27:eb:0a:0b:0g", "b8:27-eb:0a:0b:0c",
                           "b8:27:eb:0a:0b:c", " b8:27:eb:0a:0b:0c", "b827eb0a0b0", "b827.eb0a:0b0c", "b8::27:eb:0a:0b"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(MacAddress::parse(text));
  }
}

TEST_CASE("MacAddress flags group and locally administered addresses") {
  CHECK(MacAddress::parse("ff:ff:ff:ff:ff:ff")->is_broadcast());
  CHECK(MacAddress::parse("01:00:5e:00:00:01")->is_multicast());
  CHECK(MacAddress::parse("02:11:22:33:44:55")->is_locally_administered());
  CHECK(MacAddress::parse("3a:35:41:00:00:01")->is_locally_administered());
  const auto pi = *MacAddress::parse("dc:a6:32:01:02:03");
  CHECK_FALSE(pi.is_multicast());
  CHECK_FALSE(pi.is_locally_administered());
  CHECK(MacAddress().is_zero());
}

TEST_CASE("MacAddress orders by its 48-bit value") {
  CHECK(*MacAddress::parse("00:00:00:00:00:01") < *MacAddress::parse("00:00:00:00:01:00"));
  CHECK(MacAddress::from_u64(0x0123456789abULL).to_u64() == 0x0123456789abULL);
}
