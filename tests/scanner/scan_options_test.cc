#include "scanner/scan_options.h"

#include <catch2/catch.hpp>

#include "inventory/core/error.h"

using namespace pifind;
using namespace std::chrono_literals;

namespace {

ScanOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "pifind");
  const auto parsed = parse_scan_command_line(static_cast<int>(args.size()), args.data());
  REQUIRE(parsed.options);
  return *parsed.options;
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
  CHECK(options.interface_name == "eth0");
  CHECK(options.all_hosts);
  CHECK(options.format == OutputFormat::json);
  CHECK(options.policy.max_tries == 5);
  CHECK(options.policy.max_timeout == 800ms);
  CHECK(options.policy.send_interval == 2ms);
  CHECK(options.targets == std::vector<std::string>{"198.18.0.0/24", "198.18.1.5"});
}

TEST_CASE("bad options are one-line errors") {
  const auto error_of = [](std::vector<const char*> args) {
    args.insert(args.begin(), "pifind");
    try {
      parse_scan_command_line(static_cast<int>(args.size()), args.data());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  for (const auto& message : {error_of({"--format", "xml"}), error_of({"-r", "0"}), error_of({"--bogus"}),
                              error_of({"-B", "1M", "-i", "2"})}) {
    INFO(message);
    CHECK(message != "no error");
    CHECK(message.find('\n') == std::string::npos);
  }
}
