// The one host:port parser: names, IPv4, bracketed and bare IPv6, default ports, and one-line errors.
#include "inventory/core/host_port.h"

#include <catch2/catch.hpp>

#include "inventory/core/error.h"

using namespace pifind;

namespace {
HostPort parse(std::string_view text, std::optional<std::uint16_t> default_port = 123) {
  return HostPort::parse(text, default_port, "server");
}
}  // namespace

TEST_CASE("host:port in every form users write") {
  CHECK(parse("pool.ntp.org").host == "pool.ntp.org");
  CHECK(parse("pool.ntp.org").port == 123);
  CHECK(parse("10.0.0.1:9477").host == "10.0.0.1");
  CHECK(parse("10.0.0.1:9477").port == 9477);
  CHECK(parse("[fe80::1]:11123").host == "fe80::1");
  CHECK(parse("[fe80::1]:11123").port == 11123);
  CHECK(parse("[::1]").port == 123);
  CHECK(parse("fe80::1").host == "fe80::1");  // more than one ':' unbracketed: an IPv6 address alone
  CHECK(parse("fe80::1").port == 123);
  CHECK(parse("0.0.0.0:0", std::nullopt).port == 0);
}

TEST_CASE("host:port errors are one line and name what was parsed") {
  CHECK_THROWS_WITH(parse("localhost", std::nullopt), "server 'localhost' is not ADDR:PORT (an IPv6 address in brackets: [::1]:PORT)");
  CHECK_THROWS_WITH(parse("[fe80::1"), "server '[fe80::1' has an unclosed '['");
  CHECK_THROWS_WITH(parse("[fe80::1]x"), Catch::Contains("has text after ']'"));
  CHECK_THROWS_WITH(parse(":80"), "server ':80' has no host");
  for (const char* bad : {"host:", "host:99999", "host:12a", "host:-1", "host:+1", "host: 1"})
    CHECK_THROWS_WITH(parse(bad), Catch::Contains("has no valid port (0-65535)"));
}
