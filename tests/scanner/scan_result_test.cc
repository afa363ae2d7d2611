// ScanResultBuilder under reply floods: the per-IP and total caps hold, every address's first answer
// stays, and what was not kept is counted per IP and in all.
#include "scanner/scan_result.h"

#include <catch2/catch.hpp>

using namespace pifind;
using namespace std::chrono_literals;

namespace {

Ipv4Address result_ip(const char* text) { return *Ipv4Address::parse(text); }
MacAddress flood_mac(std::uint64_t i) { return MacAddress::from_u64(0x020000000000ULL + i); }

}  // namespace

TEST_CASE("a flood of MACs for one IP keeps the first macs_per_ip and counts the rest") {
  ScanResultBuilder builder(ScanResultLimits{4, 100, 1000});
  const MacAddress pi = *MacAddress::parse("b8:27:eb:00:00:01");
  CHECK(builder.add_reply(result_ip("10.0.0.10"), pi, 1ms, std::nullopt) == ReplyRecord::kNewPair);
  int kept = 0, dropped = 0;
  for (std::uint64_t i = 0; i < 5000; ++i) {
    const ReplyRecord record = builder.add_reply(result_ip("10.0.0.10"), flood_mac(i), 1ms, std::nullopt);
    kept += record == ReplyRecord::kNewPair;
    dropped += record == ReplyRecord::kOverCap;
  }
  CHECK(kept == 3);
  CHECK(dropped == 4997);
  CHECK(builder.pairs() == 4);
  // The Pi answering again is still a repeat of a kept pair, and another address is unaffected.
  CHECK(builder.add_reply(result_ip("10.0.0.10"), pi, 1ms, std::nullopt) == ReplyRecord::kRepeat);
  CHECK(builder.add_reply(result_ip("10.0.0.11"), flood_mac(1), 1ms, std::nullopt) == ReplyRecord::kNewPair);

  const ScanResult result = builder.finish("eth0", ScanStats{});
  REQUIRE(result.hosts.size() == 5);
  CHECK(result.hosts[3].mac == pi);  // sorted by (IP, MAC): the Pi's b8 sorts after the flood's 02
  CHECK(result.hosts[3].replies == 2);
  REQUIRE(result.conflicts.size() == 1);
  CHECK(result.conflicts[0].ip == result_ip("10.0.0.10"));
  CHECK(result.conflicts[0].macs.size() == 4);
  CHECK(result.conflicts[0].replies_over_cap == 4997);
  CHECK(result.stats.replies_over_cap == 4997);
}

TEST_CASE("a flood over many IPs exhausts the shared pool of extra MACs, never the first answers") {
  // 50 targets: max_pairs = targets + max_extra_macs, as the scanner sets it.
  ScanResultBuilder builder(ScanResultLimits{8, 20, 50 + 20});
  std::uint64_t next = 0;
  for (int round = 0; round < 10; ++round) {
    for (int host = 1; host <= 30; ++host) {
      builder.add_reply(result_ip(("10.0.0." + std::to_string(host)).c_str()), flood_mac(next++), 1ms, std::nullopt);
    }
  }
  // 30 first MACs, then 20 extras; the other 250 replies only counted.
  CHECK(builder.pairs() == 50);
  // The 20 addresses that had not answered yet still get their first answer kept.
  for (int host = 31; host <= 50; ++host) {
    CHECK(builder.add_reply(result_ip(("10.0.0." + std::to_string(host)).c_str()), flood_mac(next++), 1ms, std::nullopt) ==
          ReplyRecord::kNewPair);
  }
  CHECK(builder.pairs() == 70);
  const ScanResult result = builder.finish("eth0", ScanStats{});
  CHECK(result.stats.replies_over_cap == 250);
  std::uint64_t per_ip = 0;
  for (const auto& conflict : result.conflicts) per_ip += conflict.replies_over_cap;
  CHECK(per_ip == 250);
  CHECK(result.conflicts.size() == 30);  // every flooded address is a conflict, with or without extras kept
}

TEST_CASE("at max_pairs even a new address's first MAC is only counted") {
  ScanResultBuilder builder(ScanResultLimits{8, 10, 3});
  for (int host = 1; host <= 5; ++host) {
    const ReplyRecord record = builder.add_reply(result_ip(("10.0.0." + std::to_string(host)).c_str()), flood_mac(1), 1ms, 7);
    CHECK(record == (host <= 3 ? ReplyRecord::kNewPair : ReplyRecord::kOverCap));
  }
  const ScanResult result = builder.finish("eth0", ScanStats{});
  CHECK(result.hosts.size() == 3);
  CHECK(result.conflicts.empty());  // nobody else answered for the kept ones
  CHECK(result.stats.replies_over_cap == 2);
}

TEST_CASE("a duplicate storm is one entry with its count") {
  ScanResultBuilder builder;
  const MacAddress wifi = *MacAddress::parse("d8:3a:dd:00:00:70");
  for (int i = 0; i < 10000; ++i) builder.add_reply(result_ip("10.0.0.70"), wifi, 300ms, std::nullopt);
  const ScanResult result = builder.finish("eth0", ScanStats{});
  REQUIRE(result.hosts.size() == 1);
  CHECK(result.hosts[0].replies == 10000);
  CHECK(result.hosts[0].rtt == 300ms);
  CHECK(result.conflicts.empty());
  CHECK(result.stats.replies_over_cap == 0);
}
