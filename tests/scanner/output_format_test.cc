#include "scanner/output_format.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace pifind;
using namespace std::chrono_literals;

namespace {

ScanResult sample() {
  ScanResultBuilder builder;
  builder.add_reply(*Ipv4Address::parse("10.0.0.5"), *MacAddress::parse("dc:a6:32:00:00:01"), 1500us, std::nullopt);
  builder.add_reply(*Ipv4Address::parse("10.0.0.5"), *MacAddress::parse("00:1b:21:00:00:02"), 2ms, std::nullopt);
  builder.add_reply(*Ipv4Address::parse("10.0.0.2"), *MacAddress::parse("00:50:56:00:00:03"), 300us, 7);
  CHECK(builder.add_reply(*Ipv4Address::parse("10.0.0.2"), *MacAddress::parse("00:50:56:00:00:03"), 1ms, 7) ==
        ReplyRecord::repeat);
  ScanStats stats;
  stats.targets = 254;
  stats.sent = 300;
  stats.received = 4;
  stats.duration_s = 0.61;
  stats.malformed_frames = 3;
  stats.malformed_by_reason[static_cast<std::size_t>(ArpDecodeError::bad_sender)] = 3;
  ScanResult result = builder.finish("eth0", stats);
  result.claims.push_back({*Ipv4Address::parse("10.0.0.2"), *MacAddress::parse("02:66:00:00:00:02"), 4,
                           {*MacAddress::parse("00:50:56:00:00:03")}});
  for (auto& host : result.hosts) {
    host.raspberry_pi = host.mac.bytes()[0] == 0xdc;
    host.vendor = host.raspberry_pi ? "Raspberry Pi Trading Ltd" : "Vendor, \"Quoted\" Inc";
  }
  return result;
}

}  // namespace

TEST_CASE("results are sorted by IP and a shared IP becomes a conflict") {
  const ScanResult result = sample();
  REQUIRE(result.hosts.size() == 3);
  CHECK(result.hosts[0].ip.to_string() == "10.0.0.2");
  CHECK(result.hosts[0].replies == 2);
  REQUIRE(result.conflicts.size() == 1);
  CHECK(result.conflicts[0].ip.to_string() == "10.0.0.5");
  CHECK(result.conflicts[0].macs.size() == 2);
  CHECK(result.raspberry_pi_count() == 1);
}

TEST_CASE("JSON has the documented shape") {
  std::ostringstream out;
  write_json(out, sample(), true);
  const auto json = nlohmann::json::parse(out.str());
  REQUIRE(json["hosts"].size() == 3);
  const auto& first = json["hosts"][0];
  CHECK(first["ip"] == "10.0.0.2");
  CHECK(first["mac"] == "00:50:56:00:00:03");
  CHECK(first["raspberry_pi"] == false);
  CHECK(first["rtt_ms"] == Approx(0.3));
  CHECK(first["vlan"] == 7);
  CHECK(json["conflicts"][0]["macs"] == nlohmann::json({"00:1b:21:00:00:02", "dc:a6:32:00:00:01"}));
  CHECK(json["stats"]["targets"] == 254);
  CHECK(json["stats"]["sent"] == 300);
  CHECK(json["stats"]["duration_s"] == Approx(0.61));
  CHECK(json["conflicts"][0]["replies_over_cap"] == 0);
  CHECK(json["claims"] == nlohmann::json::parse(R"([{"ip": "10.0.0.2", "mac": "02:66:00:00:00:02", "frames": 4,
                                                      "answered_by": ["00:50:56:00:00:03"]}])"));
  CHECK(json["stats"]["malformed_frames"] == 3);
  CHECK(json["stats"]["malformed_by_reason"] ==
        nlohmann::json::parse(R"({"truncated": 0, "not_arp": 0, "not_ethernet_ipv4": 0, "unknown_operation": 0,
                                  "bad_sender": 3})"));
  CHECK(json["stats"]["replies_over_cap"] == 0);
  CHECK(json["stats"]["gratuitous_frames"] == 0);

  std::ostringstream pis_only;
  write_json(pis_only, sample(), false);
  CHECK(nlohmann::json::parse(pis_only.str())["hosts"].size() == 1);
}

TEST_CASE("CSV quotes vendors as RFC 4180 says and defuses formulas") {
  std::ostringstream out;
  write_csv(out, sample(), true);
  CHECK(out.str() ==
        "ip,mac,vendor,raspberry_pi,rtt_ms\n"
        "10.0.0.2,00:50:56:00:00:03,\"Vendor, \"\"Quoted\"\" Inc\",false,0.30\n"
        "10.0.0.5,00:1b:21:00:00:02,\"Vendor, \"\"Quoted\"\" Inc\",false,2.00\n"
        "10.0.0.5,dc:a6:32:00:00:01,Raspberry Pi Trading Ltd,true,1.50\n");
  ScanResult hostile = sample();
  hostile.hosts[0].vendor = "=HYPERLINK(\"x\")";
  std::ostringstream defused;
  write_csv(defused, hostile, true);
  CHECK(defused.str().find("10.0.0.2,00:50:56:00:00:03,\"'=HYPERLINK(\"\"x\"\")\",false") != std::string::npos);
}

TEST_CASE("the table aligns columns and notes conflicts and VLANs") {
  std::ostringstream out;
  write_table(out, sample(), true);
  std::istringstream lines(out.str());
  std::string header, row1, row2, row3;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  std::getline(lines, row3);
  CHECK(header.rfind("IP ", 0) == 0);
  CHECK(header.find("MAC") == 17);     // IP column 15 wide, two spaces
  CHECK(header.find("VENDOR") == 36);  // MAC column 17 wide, two spaces
  CHECK(row1.find("claimed by another MAC, VLAN 7") != std::string::npos);
  CHECK(row3.find("IP conflict") != std::string::npos);
  CHECK(row1.find("00:50:56:00:00:03") == header.find("MAC"));
  CHECK(summary_line(sample()) == "1 Raspberry Pi among 3 hosts, 254 addresses in 0.6 s");
}
