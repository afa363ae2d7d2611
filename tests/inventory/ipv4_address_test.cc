#include "inventory/core/ipv4_address.h"

#include <catch2/catch.hpp>

using pifind::Ipv4Address;

TEST_CASE("Ipv4Address parses strict dotted quads") {
  CHECK(Ipv4Address::parse("10.0.0.1")->value() == 0x0a000001u);
  CHECK(Ipv4Address::parse("255.255.255.255")->value() == 0xffffffffu);
  CHECK(Ipv4Address::parse("0.0.0.0")->value() == 0u);
  CHECK(Ipv4Address(0xc0a80101u).to_string() == "192.168.1.1");
}

TEST_CASE("Ipv4Address rejects anything but four decimal octets") {
  for (const char* text : {"", "10.0.0", "10.0.0.1.", "10.0.0.256", "10.0.0.1 ", "1.2.3.4/24", "0x0a.0.0.1",
                           "10..0.1", "1000.0.0.1", "10.0.0.-1", "a.b.c.d", "10.0.0.0001"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(Ipv4Address::parse(text));
  }
}

TEST_CASE("netmask_of covers the edges") {
  CHECK(pifind::netmask_of(0) == 0u);
  CHECK(pifind::netmask_of(24) == 0xffffff00u);
  CHECK(pifind::netmask_of(31) == 0xfffffffeu);
  CHECK(pifind::netmask_of(32) == 0xffffffffu);
}
