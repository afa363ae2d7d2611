#include "scanner/scan_options.h"

#include <catch2/catch.hpp>

#include "inventory/core/error.h"
#include "tests/support/error_of.h"

using namespace pifind;
using namespace pifind::test;
using namespace std::chrono_literals;

namespace {

ScanOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "pifind");
  const auto parsed = parse_scan_command_line(static_cast<int>(args.size()), args.data());
  REQUIRE(parsed.options);
  return *parsed.options;
}

// The error a command line gives, or "no error".
std::string error_of(std::vector<const char*> args) {
  args.insert(args.begin(), "pifind");
  try {
    parse_scan_command_line(static_cast<int>(args.size()), args.data());
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("bandwidth and interval give arp-scan's frame gaps") {
  CHECK(interval_from_bandwidth("256K") == 2ms);  // arp-scan's default: 500 frames/s
  CHECK(interval_from_bandwidth("1M") == 512us);
  CHECK(interval_from_bandwidth("1000000") == 512us);
  CHECK(parse_interval("2") == 2ms);
  CHECK(parse_interval("500u") == 500us);
  CHECK_THROWS_AS(interval_from_bandwidth("fast"), Error);
  CHECK_THROWS_AS(interval_from_bandwidth("-1M"), Error);
  CHECK_THROWS_AS(parse_interval("0"), Error);
}

TEST_CASE("options map onto the scan policy") {
  const ScanOptions options = parse({"-I", "eth0", "--all", "--format", "json", "-r", "5", "-t", "800", "-B", "256K",
                                     "198.18.0.0/24", "198.18.1.5"});
  CHECK(options.interface_names == std::vector<std::string>{"eth0"});
  CHECK(options.all_hosts);
  CHECK(options.format == OutputFormat::kJson);
  CHECK(options.policy.max_tries == 5);
  CHECK(options.policy.max_timeout == 800ms);
  CHECK(options.policy.send_interval == 2ms);
  CHECK(options.targets == std::vector<std::string>{"198.18.0.0/24", "198.18.1.5"});
}

TEST_CASE("bad options are one-line errors") {
  for (const auto& message : {error_of({"--format", "xml"}), error_of({"-r", "0"}), error_of({"--bogus"}),
                              error_of({"-B", "1M", "-i", "2"})}) {
    INFO(message);
    CHECK(message != "no error");
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("arp-scan's habits: -O/--ouifile, -x, -N, -v, -S, -Q, -W") {
  const ScanOptions options = parse({"-O", "a.txt", "--ouifile", "b.txt", "--oui-file", "c.txt", "-x", "-N", "-v",
                                     "-S", "02:00:00:00:00:99", "-Q", "42", "-W", "out.pcap", "--name-timeout", "500"});
  CHECK(options.oui_files == std::vector<std::string>{"a.txt", "b.txt", "c.txt"});
  CHECK(options.plain);
  CHECK(options.numeric);
  CHECK(options.verbosity == 1);
  CHECK(options.frame_source_mac == MacAddress::parse("02:00:00:00:00:99"));
  CHECK(options.vlan == 42);
  CHECK(options.pcap_save_file == "out.pcap");
  CHECK(options.name_timeout == 500ms);
  const ScanOptions defaults = parse({});
  CHECK_FALSE(defaults.numeric);
  CHECK(defaults.name_timeout == 300ms);
  CHECK_FALSE(defaults.vlan);
  CHECK(parse({"--format", "jsonl"}).format == OutputFormat::kJsonl);
  CHECK(parse({"-vv"}).verbosity == 2);
}

TEST_CASE("intervals and bandwidths are range-checked before any conversion") {
  const auto message_of = [](auto parse_text, const char* text) { return error_of([&] { parse_text(text); }); };
  for (const char* huge : {"1e30", "1e15", "1e15u", "10001", "nan", "inf", "0.0001"}) {
    INFO(huge);
    CHECK(message_of(parse_interval, huge).find("interval") != std::string::npos);
  }
  for (const char* absurd : {"1e-30", "1e-30K", "99", "1e12", "101G"}) {
    INFO(absurd);
    CHECK(message_of(interval_from_bandwidth, absurd).find("bandwidth") != std::string::npos);
  }
  CHECK(message_of(parse_interval, "1e30") == "interval '1e30' out of range: 1u (1 microsecond) to 10000 (10 s)");
  CHECK(parse_interval("10000") == 10s);
  CHECK(parse_interval("1u") == 1us);
  CHECK(interval_from_bandwidth("100") == 5120ms);
  CHECK(interval_from_bandwidth("100G") == ScanDuration(5));
  // A long argument is cut in the message, which stays one line.
  const std::string long_text(100000, '9');
  const std::string message = message_of(parse_interval, long_text.c_str());
  CHECK(message.size() < 200);
}

TEST_CASE("bad -S and -Q values are one-line errors") {
  CHECK(error_of({"-S", "ff:ff:ff:ff:ff:ff"}).find("invalid source MAC") != std::string::npos);
  CHECK(error_of({"-S", "02:00:00:00:00"}).find("invalid source MAC") != std::string::npos);
  CHECK(error_of({"-Q", "4095"}) != "no error");
  CHECK(error_of({"--name-timeout", "5"}) != "no error");
}

TEST_CASE("several -I scan each interface's own network, and --collector, --site and their companions parse") {
  const ScanOptions options = parse({"-I", "eth0", "-I", "wlan0", "--collector", "https://collector:9477",
                                     "--key-file", "/etc/pifind/fleet.key", "--site", "berlin", "--state-dir", "/tmp/s",
                                     "--ca-file", "ca.pem"});
  CHECK(options.interface_names == std::vector<std::string>{"eth0", "wlan0"});
  CHECK(options.collector_url == "https://collector:9477");
  CHECK(options.key_file == "/etc/pifind/fleet.key");
  CHECK(options.site == "berlin");
  CHECK(options.state_dir == "/tmp/s");
  CHECK(options.ca_file == "ca.pem");
  CHECK(parse({"--inventory", "f.json", "--site", "paris"}).site == "paris");
  CHECK(parse({"-I", "eth0", "-I", "wlan0", "-l"}).localnet);
  const ScanOptions one = parse({"-I", "eth0", "10.0.0.0/24"});
  CHECK(one.interface_names == std::vector<std::string>{"eth0"});
  CHECK(one.targets == std::vector<std::string>{"10.0.0.0/24"});

  CHECK(error_of({"-I", "eth0", "-I", "wlan0", "10.0.0.0/24"}) ==
        "with several -I each interface scans its own IPv4 network; targets and --file need a single -I");
  CHECK(error_of({"-I", "eth0", "-I", "wlan0", "-f", "-"}).find("need a single -I") != std::string::npos);
  CHECK(error_of({"-I", "eth0", "-I", "wlan0", "-W", "x.pcap"}) == "-W writes one interface's frames; give a single -I");
  CHECK(error_of({"-I", "eth0", "-I", "eth0"}) == "-I eth0 given twice");
  std::vector<const char*> seventeen;
  const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (int i = 0; i < 17; ++i) n.push_back("eth" + std::to_string(i));
    return n;
  }();
  for (const auto& n : names) {
    seventeen.push_back("-I");
    seventeen.push_back(n.c_str());
  }
  CHECK(error_of(seventeen) == "at most 16 interfaces (-I) in one scan");
  CHECK(error_of({"--collector", "http://c:9477"}) == "--collector needs --key-file (see pifind --help)");
  CHECK(error_of({"--key-file", "k"}).find("--key-file requires --collector") != std::string::npos);
  CHECK(error_of({"--state-dir", "s"}).find("requires --collector") != std::string::npos);
  CHECK(error_of({"--site", "berlin"}) == "--site is kept with the hosts in --inventory or --collector; give one of them");
}
