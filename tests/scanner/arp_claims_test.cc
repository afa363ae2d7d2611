// ArpClaimLog: gratuitous ARP from a foreign MAC on a scanned address is reported with who answered;
// a host announcing itself is not; the log is bounded.
#include "scanner/arp_claims.h"

#include <catch2/catch.hpp>

using namespace pifind;

namespace {

Ipv4Address claim_ip(const char* text) { return *Ipv4Address::parse(text); }
MacAddress claim_mac(const char* text) { return *MacAddress::parse(text); }

HostEntry answered_host(const char* address, const char* hardware) {
  HostEntry entry;
  entry.ip = claim_ip(address);
  entry.mac = claim_mac(hardware);
  return entry;
}

}  // namespace

TEST_CASE("a foreign claim names the MACs that answered, a self-announcement is left out") {
  ArpClaimLog log;
  for (int i = 0; i < 3; ++i) log.add(claim_ip("198.18.0.10"), claim_mac("02:66:00:00:00:10"));
  log.add(claim_ip("198.18.0.11"), claim_mac("b8:27:eb:ff:ff:ff"));  // the Pi announcing itself
  log.add(claim_ip("198.18.0.90"), claim_mac("02:66:00:00:00:90"));  // nothing answered there
  const std::vector<HostEntry> hosts = {answered_host("198.18.0.10", "b8:27:eb:00:00:01"), answered_host("198.18.0.11", "b8:27:eb:ff:ff:ff"),
                                        answered_host("198.18.0.100", "00:1b:21:aa:bb:cc")};
  const auto claims = log.foreign_claims(hosts);
  REQUIRE(claims.size() == 2);
  CHECK(claims[0].ip == claim_ip("198.18.0.10"));
  CHECK(claims[0].mac == claim_mac("02:66:00:00:00:10"));
  CHECK(claims[0].frames == 3);
  CHECK(claims[0].answered_by == std::vector<MacAddress>{claim_mac("b8:27:eb:00:00:01")});
  CHECK(claims[1].ip == claim_ip("198.18.0.90"));
  CHECK(claims[1].answered_by.empty());
}

TEST_CASE("claims from thousands of MACs are bounded and counted") {
  ArpClaimLog log(16);
  for (std::uint64_t i = 0; i < 5000; ++i) log.add(claim_ip("198.18.0.10"), MacAddress::from_u64(0x020000000000ULL + i));
  CHECK(log.foreign_claims({}).size() == 16);
  CHECK(log.over_cap() == 4984);
}
