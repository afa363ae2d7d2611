#include "scanner/output_format.h"

#include <array>
#include <csignal>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace pifind;
using namespace std::chrono_literals;

namespace {

ScanResult sample() {
  ScanResultBuilder builder;
  builder.add_reply(*Ipv4Address::parse("10.0.0.5"), *MacAddress::parse("dc:a6:32:00:00:01"), 1500us, std::nullopt);
  builder.add_reply(*Ipv4Address::parse("10.0.0.5"), *MacAddress::parse("00:1b:21:00:00:02"), 2ms, std::nullopt);
  builder.add_reply(*Ipv4Address::parse("10.0.0.2"), *MacAddress::parse("00:50:56:00:00:03"), 300us, 7);
  CHECK(builder.add_reply(*Ipv4Address::parse("10.0.0.2"), *MacAddress::parse("00:50:56:00:00:03"), 1ms, 7) ==
        ReplyRecord::kRepeat);
  ScanStats stats;
  stats.targets = 254;
  stats.sent = 300;
  stats.received = 4;
  stats.duration_s = 0.61;
  stats.malformed_frames = 3;
  stats.malformed_by_reason[static_cast<std::size_t>(ArpDecodeError::kBadSender)] = 3;
  ScanResult result = builder.finish("eth0", stats);
  result.claims.push_back({*Ipv4Address::parse("10.0.0.2"), *MacAddress::parse("02:66:00:00:00:02"), 4,
                           {*MacAddress::parse("00:50:56:00:00:03")}, "eth0"});
  for (auto& host : result.hosts) {
    host.raspberry_pi = host.mac.bytes()[0] == 0xdc;
    host.vendor = host.raspberry_pi ? "Raspberry Pi Trading Ltd" : "Vendor, \"Quoted\" Inc";
    if (host.raspberry_pi) host.name = HostName{"pi-rack-1.local", NameSource::kMdns};
  }
  return result;
}

// The sample's table: its header and its three host rows.
std::array<std::string, 4> table_of_sample(OutputShape shape) {
  std::ostringstream out;
  write_table(out, sample(), shape);
  std::istringstream lines(out.str());
  std::array<std::string, 4> header_and_rows;
  for (auto& line : header_and_rows) std::getline(lines, line);
  return header_and_rows;
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
  write_json(out, sample(), OutputShape{true});
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
                                                      "answered_by": ["00:50:56:00:00:03"], "interface": "eth0"}])"));
  CHECK(first["interface"] == "eth0");
  CHECK(json["conflicts"][0]["interface"] == "eth0");
  CHECK(json["interface"] == "eth0");
  CHECK(json["stats"]["malformed_frames"] == 3);
  CHECK(json["stats"]["malformed_by_reason"] ==
        nlohmann::json::parse(R"({"truncated": 0, "not_arp": 0, "not_ethernet_ipv4": 0, "unknown_operation": 0,
                                  "bad_sender": 3})"));
  CHECK(json["stats"]["replies_over_cap"] == 0);
  CHECK(json["stats"]["gratuitous_frames"] == 0);

  std::ostringstream pis_only;
  write_json(pis_only, sample(), OutputShape{false});
  CHECK(nlohmann::json::parse(pis_only.str())["hosts"].size() == 1);
}

TEST_CASE("CSV quotes vendors as RFC 4180 says and defuses formulas") {
  std::ostringstream out;
  write_csv(out, sample(), OutputShape{true});
  CHECK(out.str() ==
        "ip,mac,vendor,raspberry_pi,rtt_ms,name,name_source,interface\n"
        "10.0.0.2,00:50:56:00:00:03,\"Vendor, \"\"Quoted\"\" Inc\",false,0.30,,,eth0\n"
        "10.0.0.5,00:1b:21:00:00:02,\"Vendor, \"\"Quoted\"\" Inc\",false,2.00,,,eth0\n"
        "10.0.0.5,dc:a6:32:00:00:01,Raspberry Pi Trading Ltd,true,1.50,pi-rack-1.local,mdns,eth0\n");
  ScanResult hostile = sample();
  hostile.hosts[0].vendor = "=HYPERLINK(\"x\")";
  std::ostringstream defused;
  write_csv(defused, hostile, OutputShape{true});
  CHECK(defused.str().find("10.0.0.2,00:50:56:00:00:03,\"'=HYPERLINK(\"\"x\"\")\",false") != std::string::npos);
}

TEST_CASE("the table aligns columns and notes conflicts and VLANs") {
  const auto [header, row1, row2, row3] = table_of_sample(OutputShape{true, false});
  CHECK(header.rfind("IP ", 0) == 0);
  CHECK(header.find("MAC") == 17);     // IP column 15 wide, two spaces
  CHECK(header.find("VENDOR") == 36);  // MAC column 17 wide, two spaces
  CHECK(row1.find("claimed by another MAC, VLAN 7") != std::string::npos);
  CHECK(row3.find("IP conflict") != std::string::npos);
  CHECK(row1.find("00:50:56:00:00:03") == header.find("MAC"));
  CHECK(summary_line(sample()) == "1 Raspberry Pi among 3 hosts, 254 addresses in 0.6 s");
}

TEST_CASE("names appear in every format, null or empty where none was found") {
  std::ostringstream json_out;
  write_json(json_out, sample(), OutputShape{true});
  const auto json = nlohmann::json::parse(json_out.str());
  CHECK(json["hosts"][0]["name"].is_null());
  CHECK(json["hosts"][0]["name_source"].is_null());
  CHECK(json["hosts"][2]["name"] == "pi-rack-1.local");
  CHECK(json["hosts"][2]["name_source"] == "mdns");
  CHECK(json["stats"]["names"]["asked"] == 0);
  CHECK(json["stats"]["interrupted_by"].is_null());

  const auto [header, row1, row2, row3] = table_of_sample(OutputShape{true, true});
  CHECK(header.find("NAME") == 36);
  CHECK(header.find("VENDOR") == 36 + 15 + 2);  // "pi-rack-1.local" sets the column's width
  CHECK(row1.find("-") == 36);
  CHECK(row3.find("pi-rack-1.local") == 36);
}

TEST_CASE("plain output has no header lines") {
  std::ostringstream table_out, csv_out;
  write_table(table_out, sample(), OutputShape{true, true, false});
  write_csv(csv_out, sample(), OutputShape{true, true, false});
  CHECK(table_out.str().rfind("10.0.0.2 ", 0) == 0);
  CHECK(csv_out.str().rfind("10.0.0.2,", 0) == 0);
  const std::string csv = csv_out.str();
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
}

TEST_CASE("JSON lines: one object per host, then the stats") {
  const ScanResult result = sample();
  const auto host = nlohmann::json::parse(jsonl_host_line(result.hosts[2]));
  CHECK(host["type"] == "host");
  CHECK(host["ip"] == "10.0.0.5");
  CHECK(host["name"] == "pi-rack-1.local");
  CHECK(jsonl_host_line(result.hosts[2]).find('\n') == std::string::npos);
  ScanResult interrupted = result;
  interrupted.stats.interrupted_by_signal = SIGINT;
  const std::string stats_line = jsonl_stats_line(interrupted);
  CHECK(stats_line.find('\n') == std::string::npos);
  const auto stats = nlohmann::json::parse(stats_line);
  CHECK(stats["type"] == "stats");
  CHECK(stats["stats"]["targets"] == 254);
  CHECK(stats["stats"]["interrupted_by"] == "SIGINT");
  CHECK(stats["conflicts"].size() == 1);
  CHECK_FALSE(stats.contains("hosts"));
}

TEST_CASE("a streaming table keeps fixed columns") {
  const TableLayout layout = TableLayout::streaming(OutputShape{false, true});
  const ScanResult result = sample();
  const std::string header = layout.header();
  const std::string row = layout.row(result.hosts[2], "VLAN 7");
  CHECK(header.find("VENDOR") == row.find("Raspberry Pi Trading Ltd"));
  CHECK(header.find("NAME") == row.find("pi-rack-1.local"));
  CHECK(row.substr(row.size() - 6) == "VLAN 7");
  CHECK(header.find("PI ") == std::string::npos);
}

TEST_CASE("scans of several interfaces print as one result, each host, conflict and claim with its interface") {
  ScanResult eth0 = sample();
  eth0.interfaces = {{"eth0", *MacAddress::parse("02:00:00:00:00:01"), Ipv4Address::parse("10.0.0.1"), 24}};
  ScanResultBuilder builder;
  // The same private address on the other segment is another host, not a conflict.
  builder.add_reply(*Ipv4Address::parse("10.0.0.5"), *MacAddress::parse("b8:27:eb:00:00:09"), 1ms, std::nullopt);
  ScanStats stats;
  stats.targets = 254;
  stats.sent = 260;
  stats.duration_s = 0.9;
  stats.tries_per_address = 3;
  ScanResult wlan0 = builder.finish("wlan0", stats);
  wlan0.interfaces = {{"wlan0", *MacAddress::parse("02:00:00:00:01:01"), Ipv4Address::parse("10.0.0.1"), 24}};
  wlan0.hosts[0].raspberry_pi = true;
  wlan0.hosts[0].vendor = "Raspberry Pi Foundation";

  const ScanResult all = combine_scan_results({eth0, wlan0});
  CHECK(all.interface_name == "eth0,wlan0");
  CHECK(all.interfaces.size() == 2);
  REQUIRE(all.hosts.size() == 4);
  CHECK(all.hosts[2].interface_name == "wlan0");  // 10.0.0.5 b8:27:eb:... sorts after 00:1b:21:...
  CHECK(all.stats.targets == 508);
  CHECK(all.stats.sent == 560);
  CHECK(all.stats.duration_s == Approx(0.9));
  CHECK(all.stats.tries_per_address == 3);
  CHECK(all.conflicts.size() == 1);
  CHECK(all.raspberry_pi_count() == 2);

  std::ostringstream table;
  write_table(table, all, OutputShape{true, false, true, true});
  std::istringstream lines(table.str());
  std::string header, line;
  std::getline(lines, header);
  CHECK(header.rfind("IP               IFACE     MAC", 0) == 0);
  int conflicts = 0;
  while (std::getline(lines, line)) {
    if (line.find("IP conflict") != std::string::npos) {
      ++conflicts;
      CHECK(line.find("eth0") != std::string::npos);
    }
  }
  CHECK(conflicts == 2);  // eth0's two MACs at 10.0.0.5, not wlan0's Pi there
  std::ostringstream csv;
  write_csv(csv, all, OutputShape{true, false, true, true});
  CHECK(csv.str().find("10.0.0.5,b8:27:eb:00:00:09,Raspberry Pi Foundation,true,1.00,,,wlan0\n") != std::string::npos);
  CHECK(combine_scan_results({eth0}).interface_name == "eth0");
}
