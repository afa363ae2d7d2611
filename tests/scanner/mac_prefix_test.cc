#include "scanner/mac_prefix.h"

#include <catch2/catch.hpp>

using pifind::MacAddress;
using pifind::MacPrefix;

TEST_CASE("MacPrefix takes its length from the digits given") {
  CHECK(MacPrefix::parse("B8:27:EB")->bits() == 24);
  CHECK(MacPrefix::parse("F0:40:AF:9")->bits() == 28);
  CHECK(MacPrefix::parse("8C:1F:64:34:A")->bits() == 36);
  CHECK(MacPrefix::parse("8C1F6434A")->bits() == 36);
  CHECK(MacPrefix::parse("b8-27-eb")->bits() == 24);
  CHECK(MacPrefix::parse("b8:27:eb:00:00:00/24")->bits() == 24);
  CHECK(MacPrefix::parse("f0:40:af:90:00:00/28") == MacPrefix::parse("F0:40:AF:9"));
}

TEST_CASE("MacPrefix rejects malformed prefixes") {
  for (const char* text : {"", ":", "B8::27", "B8:27:EG", "B8:27:EB:", "b8:27:eb/25", "b8:27:eb/0", "b8:27:eb/49",
                           "b8:27:eb:00:11:22:33", "b8:27:eb/x"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(MacPrefix::parse(text));
  }
}

TEST_CASE("MacPrefix membership stops exactly at the prefix boundary") {
  const auto mam = *MacPrefix::parse("F0:40:AF:9");
  CHECK(mam.contains(*MacAddress::parse("f0:40:af:90:00:00")));
  CHECK(mam.contains(*MacAddress::parse("f0:40:af:9f:ff:ff")));
  CHECK_FALSE(mam.contains(*MacAddress::parse("f0:40:af:8f:ff:ff")));
  CHECK_FALSE(mam.contains(*MacAddress::parse("f0:40:af:a0:00:00")));
  const auto mas = *MacPrefix::parse("8C:1F:64:34:A");
  CHECK(mas.contains(*MacAddress::parse("8c:1f:64:34:a0:00")));
  CHECK(mas.contains(*MacAddress::parse("8c:1f:64:34:af:ff")));
  CHECK_FALSE(mas.contains(*MacAddress::parse("8c:1f:64:34:9f:ff")));
  CHECK_FALSE(mas.contains(*MacAddress::parse("8c:1f:64:34:b0:00")));
  CHECK(mas.to_string() == "8c:1f:64:34:a0:00/36");
  CHECK(MacPrefix::parse("B8:27:EB")->to_string() == "b8:27:eb/24");
}
