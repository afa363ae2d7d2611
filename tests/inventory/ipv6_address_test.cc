#include "inventory/core/ipv6_address.h"

#include <catch2/catch.hpp>

using pifind::Ipv6Address;

TEST_CASE("Ipv6Address parses what inet_pton does and prints RFC 5952's canonical form") {
  // RFC 5952 section 4's examples: leading zeros dropped, the longest zero run shortened (the first of two
  // equal ones), a single zero group kept, lower case.
  CHECK(Ipv6Address::parse("2001:0db8:0000:0000:0000:0000:0000:0001")->to_string() == "2001:db8::1");
  CHECK(Ipv6Address::parse("2001:db8:0:0:1:0:0:1")->to_string() == "2001:db8::1:0:0:1");
  CHECK(Ipv6Address::parse("2001:db8:0:1:1:1:1:1")->to_string() == "2001:db8:0:1:1:1:1:1");
  CHECK(Ipv6Address::parse("2001:DB8::AbCd")->to_string() == "2001:db8::abcd");
  CHECK(Ipv6Address::parse("::")->is_unspecified());
  CHECK(Ipv6Address::parse("::1")->is_loopback());
  CHECK(Ipv6Address::parse("fe80::dea6:32ff:fe01:203")->is_link_local());
  CHECK(Ipv6Address::parse("febf::1")->is_link_local());
  CHECK_FALSE(Ipv6Address::parse("fec0::1")->is_link_local());
  CHECK(Ipv6Address::parse("fd12:3456::1")->is_unique_local());
  CHECK(Ipv6Address::parse("fc00::1")->is_unique_local());
  CHECK_FALSE(Ipv6Address::parse("2001:db8::1")->is_unique_local());
  CHECK(Ipv6Address::parse("ff02::fb")->is_multicast());
  CHECK(Ipv6Address::parse("::ffff:10.0.0.1")->is_v4_mapped());
  CHECK_FALSE(Ipv6Address::parse("::10.0.0.1")->is_v4_mapped());  // IPv4-compatible, not mapped
  CHECK_FALSE(Ipv6Address::parse("2001:db8::ffff:a00:1")->is_v4_mapped());
  CHECK(*Ipv6Address::parse("2001:db8::1") == *Ipv6Address::parse("2001:db8:0::0:1"));
  CHECK(*Ipv6Address::parse("2001:db8::1") < *Ipv6Address::parse("2001:db8::2"));
}

TEST_CASE("Ipv6Address refuses zones, prefixes, brackets, IPv4 and junk") {
  for (const char* text : {"", "fe80::1%eth0", "2001:db8::1/64", "[2001:db8::1]", "10.0.0.1", "2001:db8::1 ",
                           "2001:db8:::1", "2001:db8::g", "1:2:3:4:5:6:7:8:9", "::1::",
                           "2001:0db8:0000:0000:0000:0000:0000:0001:0002:0003:0004"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(Ipv6Address::parse(text));
  }
}
