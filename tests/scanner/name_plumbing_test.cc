// The small parts around the scan's front end: resolv.conf, the rounds -v reports, the progress line,
// and the pre-scan check of --inventory's path.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "inventory/core/error.h"
#include "scanner/progress_line.h"
#include "scanner/resolv_conf.h"
#include "scanner/scan_rounds.h"
#include "scanner/writable_file.h"
#include "tests/support/error_of.h"

using namespace pifind;
using namespace pifind::test;

TEST_CASE("resolv.conf gives up to three nameservers, as glibc reads it") {
  std::istringstream conf(
      "# generated\nsearch lab.example\nnameserver 198.18.0.53\nnameserver fe80::1%eth0\n"
      "options ndots:2\nnameserver not-an-address\nnameserver 2001:db8::53\nnameserver 198.18.0.54\n");
  const auto servers = parse_resolv_conf_nameservers(conf);
  REQUIRE(servers.size() == 3);
  CHECK(servers[0] == boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("198.18.0.53"), 53));
  CHECK(servers[1].address() == boost::asio::ip::make_address("fe80::1"));
  CHECK(servers[2].address() == boost::asio::ip::make_address("2001:db8::53"));
  // None named, or no file: 127.0.0.1, as glibc.
  const auto fallback = system_nameservers("/nonexistent/resolv.conf");
  REQUIRE(fallback.size() == 1);
  CHECK(fallback[0].address() == boost::asio::ip::make_address("127.0.0.1"));
}

TEST_CASE("rounds count probes by try and credit first answers to the try they answered") {
  ScanRoundTracker tracker;
  // What ProbeScheduler::probes_sent() says after each probe to a and b: 1 (a), 1 (b), 2 (b).
  CHECK(tracker.on_probe(1));  // round 1 starts
  CHECK_FALSE(tracker.on_probe(1));
  CHECK(tracker.on_probe(2));  // b's second probe: round 2 starts
  tracker.on_first_reply(1);   // a answered its first probe
  tracker.on_first_reply(2);   // b its second
  const auto& rounds = tracker.rounds();
  REQUIRE(rounds.size() == 2);
  CHECK(rounds[0].number == 1);
  CHECK(rounds[0].probes == 2);
  CHECK(rounds[0].answered == 1);
  CHECK(rounds[1].number == 2);
  CHECK(rounds[1].probes == 1);
  CHECK(rounds[1].answered == 1);
  tracker.on_first_reply(0);  // an address never probed (not a target): ignored
  CHECK(rounds[0].answered + rounds[1].answered == 2);
}

TEST_CASE("the progress line stays below what is printed") {
  // A progress line, a row printed above it, the line cleared: what reaches a terminal, or a pipe.
  const auto written = [](bool terminal) {
    std::ostringstream out;
    ProgressLine progress(out, terminal);
    progress.show("3 probes");
    progress.print_above(out, "row 1");
    progress.clear();
    return out.str();
  };
  CHECK(written(true) == "\r\033[K3 probes\r\033[Krow 1\n3 probes\r\033[K");
  CHECK(written(false) == "row 1\n");
}

TEST_CASE("the path of --inventory is checked before the scan") {
  const auto message_of = [](const std::filesystem::path& file) {
    return error_of([&] { check_file_writable(file, "--inventory"); });
  };
  const auto dir = std::filesystem::temp_directory_path() / "pifind-writable-test";
  std::filesystem::create_directories(dir);
  CHECK(message_of(dir / "fleet.json") == "no error");
  CHECK(std::filesystem::is_empty(dir));  // the probe file is gone
  CHECK(message_of("/nonexistent-dir/fleet.json").find("--inventory /nonexistent-dir/fleet.json: cannot create files in "
                                                       "/nonexistent-dir") == 0);
  CHECK(message_of(dir) == "--inventory " + dir.string() + ": is a directory");
  CHECK(message_of("/proc/self/fleet.json").find("cannot create files") != std::string::npos);
  std::filesystem::remove_all(dir);
}
