#include "agent/board.h"

#include <catch2/catch.hpp>

using namespace pifind::agent;

TEST_CASE("new-style revision codes decode every field") {
  const auto pi4 = decode_revision("c03111");
  REQUIRE(pi4);
  CHECK(pi4->new_style);
  CHECK(pi4->board == "4B");
  CHECK(pi4->processor == "BCM2711");
  CHECK(pi4->memory_mb == 4096);
  CHECK(pi4->manufacturer == "Sony UK");
  CHECK(pi4->pcb_revision == 1);

  // Other boards, makers and memory sizes: code, board, processor, maker, memory in MB.
  struct Expected {
    const char* code;
    const char* board;
    const char* processor;
    const char* manufacturer;
    int memory_mb;
  };
  for (const Expected& e : {Expected{"d04170", "5", "BCM2712", "Sony UK", 8192},
                            Expected{"902120", "Zero 2 W", "BCM2837", "Sony UK", 512},
                            Expected{"a22082", "3B", "BCM2837", "Embest", 1024}}) {
    INFO(e.code);
    const auto decoded = decode_revision(e.code);
    REQUIRE(decoded);
    CHECK(decoded->board == e.board);
    CHECK(decoded->processor == e.processor);
    CHECK(decoded->manufacturer == e.manufacturer);
    CHECK(decoded->memory_mb == e.memory_mb);
  }

  const auto unknown = decode_revision("c03ff0");
  REQUIRE(unknown);
  CHECK(unknown->board == "unknown (0xff)");
}

TEST_CASE("old-style revision codes come from the table, warranty bit ignored") {
  const auto b2 = decode_revision("000e");
  REQUIRE(b2);
  CHECK_FALSE(b2->new_style);
  CHECK(b2->board == "B");
  CHECK(b2->memory_mb == 512);
  CHECK(b2->manufacturer == "Sony UK");
  CHECK(b2->processor == "BCM2835");
  const auto overvolted = decode_revision("1000002");
  REQUIRE(overvolted);
  CHECK(overvolted->board == "B");
  CHECK(overvolted->memory_mb == 256);
  CHECK(decode_revision("0010")->board == "B+");
  CHECK(decode_revision("0011")->board == "CM1");
}

TEST_CASE("junk revision codes decode to nothing") {
  for (const char* code : {"", "zz", "0001", "000a", "123456789", "c0311g"}) {
    INFO(code);
    CHECK_FALSE(decode_revision(code));
  }
}

TEST_CASE("cpuinfo parsing keeps Revision and Serial, ignores Hardware") {
  const auto info = parse_cpuinfo("Hardware\t: BCM2835\nRevision\t: C03111\nSerial\t\t: 10000000abcdef01\n");
  CHECK(info.revision == "c03111");
  CHECK(info.serial == "10000000abcdef01");
  CHECK(parse_cpuinfo("processor : 0\nvendor_id : GenuineIntel\n").revision.empty());
}
