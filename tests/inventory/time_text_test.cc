#include "inventory/core/time_text.h"

#include <catch2/catch.hpp>

using namespace pifind;

TEST_CASE("UTC instants round-trip through RFC 3339 text") {
  const auto t = parse_utc("2026-11-25T18:30:05Z");
  REQUIRE(t);
  CHECK(format_utc(*t) == "2026-11-25T18:30:05Z");
  CHECK(format_utc(*t + std::chrono::hours(24 * 7)) == "2026-12-02T18:30:05Z");
  CHECK(parse_utc("2026-11-25T18:30:05.123Z") == t);
  CHECK(format_utc(TimePoint{}) == "1970-01-01T00:00:00Z");
}

TEST_CASE("Malformed instants are refused") {
  for (const char* text : {"", "2026-11-25", "2026-11-25T18:30:05", "2026-11-25 18:30:05Z", "2026-13-01T00:00:00Z",
                           "2026-02-30T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T18:30:05+01:00",
                           "2026-11-25T18:30:05.Z", "2026-11-25T18:30:05Zjunk"}) {
    INFO(text);
    CHECK_FALSE(parse_utc(text));
  }
}

TEST_CASE("Instants a TimePoint cannot hold are refused, not overflowed (found by inventory_file_fuzz)") {
  CHECK_FALSE(parse_utc("4052-11-01T00:10:00Z"));
  CHECK_FALSE(parse_utc("1600-01-01T00:00:00Z"));
  const auto last_year = parse_utc("2262-01-01T00:00:00Z");
  REQUIRE(last_year);
  CHECK(format_utc(*last_year) == "2262-01-01T00:00:00Z");
}

TEST_CASE("Durations take one unit and a positive count") {
  CHECK(parse_duration("90s") == std::chrono::seconds(90));
  CHECK(parse_duration("15m") == std::chrono::minutes(15));
  CHECK(parse_duration("1h") == std::chrono::hours(1));
  CHECK(parse_duration("30d") == std::chrono::hours(24 * 30));
  CHECK(parse_duration("2w") == std::chrono::hours(24 * 14));
  for (const char* text : {"", "d", "0d", "-1d", "1.5h", "1x", "1 d", "30", "1h30m", "99999999999d"}) {
    INFO(text);
    CHECK_FALSE(parse_duration(text));
  }
  CHECK(format_duration(std::chrono::hours(24 * 30)) == "30d");
  CHECK(format_duration(std::chrono::seconds(90)) == "90s");
}
