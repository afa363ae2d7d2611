// The shared JSON reader: typed fields, null as absent, bounds, and errors that name the document and path.
#include "inventory/core/json_reader.h"

#include <catch2/catch.hpp>

#include "inventory/core/error.h"

using namespace pifind;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("Schema versions are exactly MAJOR.MINOR") {
  REQUIRE(SchemaVersion::parse("1.0"));
  CHECK(SchemaVersion::parse("12.34")->major == 12);
  CHECK(SchemaVersion::parse("12.34")->minor == 34);
  CHECK(SchemaVersion::parse("1.7")->to_string() == "1.7");
  for (const char* bad : {"", "1", "1.", ".1", "-1.0", "+1.0", "1.-0", " 1.0", "1.0 ", "1.0x", "1.0.0", "one",
                          "99999999999.0"})
    CHECK_FALSE(SchemaVersion::parse(bad));
}

TEST_CASE("The reader names the document and the field's path in every error") {
  const json doc = json::parse(R"({"name": "pi", "count": -1, "items": [{"mac": "zz"}], "gone": null,
                                   "nested": {"n": "x"}, "big": 18446744073709551615, "list": [1, 2, 3]})");
  const JsonReader r(doc, "report");
  CHECK(r.text("name") == "pi");
  CHECK_FALSE(r.has("gone"));
  CHECK(r.text_or_empty("gone").empty());
  CHECK_FALSE(r.optional_number("gone"));
  CHECK(r.integer("count") == -1);
  CHECK_THROWS_WITH(r.count("count"), "report: 'count' is not a non-negative integer");
  CHECK_THROWS_WITH(r.integer("big"), "report: 'big' is out of range");
  CHECK_THROWS_WITH(r.text("absent"), "report: 'absent' is missing");
  CHECK_THROWS_WITH(r.flag("name"), "report: 'name' is not true or false");
  CHECK_THROWS_WITH(r.object("nested").number("n"), "report: 'nested.n' is not a number");
  const json& items = r.array("items", 4);
  CHECK_THROWS_WITH(r.element("items", items, 0).mac("mac"), "report: 'items[0].mac' is not a MAC address");
  CHECK_THROWS_WITH(r.array("list", 2), "report: 'list' has 3 entries, at most 2 allowed");
  CHECK_THROWS_WITH(r.texts("list", 3), Contains("'list' holds something that is not a string"));
  CHECK(r.optional_array("absent", 1).empty());
  CHECK_THROWS_WITH(r.object("name"), "report: 'name' is not an object");
  CHECK_THROWS_WITH(JsonReader(json::array(), "inventory"), "inventory: not a JSON object");
}
