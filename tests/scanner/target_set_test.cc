#include "scanner/target_set.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "inventory/core/error.h"
#include "tests/support/error_of.h"

using namespace pifind;
using namespace pifind::test;

namespace {
Ipv4Address ip(const char* text) { return *Ipv4Address::parse(text); }
}  // namespace

TEST_CASE("CIDR blocks skip their network and broadcast addresses") {
  const Ipv4Range r = parse_target("198.18.0.77/24");
  CHECK(r.first == ip("198.18.0.1"));
  CHECK(r.last == ip("198.18.0.254"));
  CHECK(r.size() == 254);
  CHECK(parse_target("10.0.0.0/30").size() == 2);
  CHECK(parse_target("10.0.0.0/31").size() == 2);
  CHECK(parse_target("10.0.0.9/32").size() == 1);
  CHECK(parse_target("10.0.0.0:255.255.255.0").size() == 254);
}

TEST_CASE("ranges and single addresses are taken as given") {
  CHECK(parse_target("10.0.0.5-10.0.0.9").size() == 5);
  CHECK(parse_target("10.0.0.5-9").last == ip("10.0.0.9"));
  CHECK(parse_target("10.0.0.255-10.0.1.0").size() == 2);
  CHECK(parse_target("10.0.0.7").size() == 1);
}

TEST_CASE("malformed targets say what is wrong") {
  const auto message_of = [](const char* text) { return error_of([&] { parse_target(text); }); };
  CHECK(message_of("10.0.0.0/33") == "malformed target '10.0.0.0/33': the prefix length must be 0-32");
  CHECK(message_of("10.0.0.300") == "malformed target '10.0.0.300': '10.0.0.300' is not an IPv4 address");
  CHECK(message_of("10.0.0.9-10.0.0.5") == "malformed target '10.0.0.9-10.0.0.5': the range ends before it starts");
  CHECK(message_of("10.0.0.0:255.0.255.0") == "malformed target '10.0.0.0:255.0.255.0': 255.0.255.0 is not a contiguous netmask");
  CHECK(message_of("10.0.0.5-300").find("the range end must be") != std::string::npos);
  CHECK(message_of("host.example") != "no error");
  CHECK(message_of("") == "malformed target '': empty");
  // A newline in an argument stays one line of error (found by target_set_fuzz).
  CHECK(message_of("10.0.0.1\n10.0.0.2") ==
        "malformed target '10.0.0.1\\x0a10.0.0.2': '10.0.0.1\\x0a10.0.0.2' is not an IPv4 address");
}

TEST_CASE("a target set merges overlaps and excludes the scanner's own address") {
  TargetSet set;
  set.add(parse_target("10.0.0.0/29"));   // .1-.6
  set.add(parse_target("10.0.0.5-10"));   // overlaps
  set.add(parse_target("10.0.0.3"));
  set.exclude(ip("10.0.0.1"));
  set.exclude(ip("10.0.0.1"));
  set.exclude(ip("192.0.2.1"));  // not a target: no effect
  CHECK(set.size() == 9);
  const auto addresses = set.addresses();
  REQUIRE(addresses.size() == 9);
  CHECK(addresses.front() == ip("10.0.0.2"));
  CHECK(addresses.back() == ip("10.0.0.10"));
}

TEST_CASE("target files allow comments, several targets a line, and report the bad line") {
  TargetSet set;
  std::istringstream good("# lab\n10.0.0.1 10.0.0.2\n\n10.0.1.0/30, 10.0.2.5-6  # more\n");
  set.add_from_stream(good, "targets.txt");
  CHECK(set.size() == 6);
  std::istringstream bad("10.0.0.1\n10.0.0.256\n");
  try {
    set.add_from_stream(bad, "targets.txt");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "targets.txt:2: malformed target '10.0.0.256': '10.0.0.256' is not an IPv4 address");
  }
}

TEST_CASE("an IPv6 target says IPv6 is not scanned") {
  for (const char* text : {"fd00::1", "fd00::/64", "fe80::1%eth0", "::ffff:10.0.0.1", "2001:db8::1-2001:db8::9"}) {
    INFO(text);
    try {
      parse_target(text);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("IPv6 is not scanned") != std::string::npos);
    }
  }
}

namespace {

// An endless stream: `pattern` over and over, as /dev/zero or `yes` gives.
class EndlessBuffer : public std::streambuf {
 public:
  explicit EndlessBuffer(std::string pattern) : pattern_(std::move(pattern)) {
    setg(pattern_.data(), pattern_.data(), pattern_.data() + pattern_.size());
  }

 protected:
  int_type underflow() override {
    setg(pattern_.data(), pattern_.data(), pattern_.data() + pattern_.size());
    return traits_type::to_int_type(pattern_[0]);
  }

 private:
  std::string pattern_;
};

std::string stream_error(std::istream& in) {
  try {
    TargetSet set;
    set.add_from_stream(in, "stdin");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a targets file is read within bounds, and a bad line is never echoed whole") {
  EndlessBuffer zeros(std::string(4096, '\0'));
  std::istream from_zeros(&zeros);
  CHECK(stream_error(from_zeros) == "stdin:1: line longer than 4 KiB");

  EndlessBuffer lines("10.0.0.1\n");
  std::istream from_yes(&lines);
  CHECK(stream_error(from_yes) == "stdin: more than 16 MiB; give ranges or CIDR blocks instead of one address per line");

  std::istringstream long_token("10.0.0.1 " + std::string(4000, 'x') + "\n");
  const std::string message = stream_error(long_token);
  CHECK(message.rfind("stdin:1: malformed target 'xxxx", 0) == 0);
  CHECK(message.size() < 300);
}
