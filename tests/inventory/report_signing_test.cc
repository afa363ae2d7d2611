#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "inventory/core/error.h"
#include "inventory/protocol/signing.h"
#include "tests/support/sample_report.h"
#include "tests/support/temp_dir.h"

using namespace pifind;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

AgentReport minimal_report(std::uint64_t counter) {
  return test::minimal_report(*MacAddress::parse("b8:27:eb:00:11:22"), counter);
}

const FleetKey& key = test::test_fleet_key();

SignedHeaders headers_for(const AgentReport& r, const std::string& body, const FleetKey& k = key) {
  return test::signed_headers_for(r, body, k);
}

}  // namespace

TEST_CASE("a signed report verifies and yields the parsed report") {
  const auto r = minimal_report(5);
  const std::string body = to_body(r);
  const auto v = verify_report(key, headers_for(r, body), body, 4);
  REQUIRE(v.accepted());
  CHECK(v.http_status == 204);
  CHECK(v.report->identity.hostname == "pi1");
  CHECK(verify_report(key, headers_for(r, body), body, std::nullopt).accepted());
}

TEST_CASE("the signature matches an independent HMAC-SHA256 computation") {
  // openssl: printf 'pifind-report-v1\nb8:27:eb:00:11:22\n1\n{}' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
  CHECK(sign_report(key, *MacAddress::parse("b8:27:eb:00:11:22"), 1, "{}") ==
        "sha256=42ea51363a53302856a16bd909925cb9df34d379574c7284a3bddab211ffcbb5");
}

TEST_CASE("verification rejects tampering, wrong keys, replays and header mismatches") {
  const auto r = minimal_report(5);
  const std::string body = to_body(r);
  const auto h = headers_for(r, body);

  std::string altered = body;
  altered.replace(altered.find("pi1"), 3, "pi2");
  CHECK(verify_report(key, h, altered, 4).http_status == 401);
  CHECK(verify_report(FleetKey::from_secret("another fleet key, 32 bytes long"), h, body, 4).http_status == 401);

  const auto replay = verify_report(key, h, body, 5);
  CHECK(replay.http_status == 409);
  CHECK_THAT(replay.reason, Catch::Contains("replay"));
  CHECK(verify_report(key, h, body, 9).http_status == 409);

  auto bad = h;
  bad.counter = "6";  // the signature covers the counter, so this no longer verifies
  CHECK(verify_report(key, bad, body, 4).http_status == 401);
  bad = h;
  bad.counter = "05";
  CHECK(verify_report(key, bad, body, 4).http_status == 400);
  bad.counter = "0";
  CHECK(verify_report(key, bad, body, std::nullopt).http_status == 400);
  bad.counter = "9223372036854775808";  // 2^63: beyond what collectors store
  CHECK(verify_report(key, bad, body, std::nullopt).http_status == 400);
  bad.counter = "99999999999999999999999";
  CHECK(verify_report(key, bad, body, std::nullopt).http_status == 400);
  bad = h;
  bad.agent = "B8:27:EB:00:11:22";
  CHECK(verify_report(key, bad, body, 4).http_status == 400);
  bad = h;
  bad.signature = "sha1=abc";
  CHECK(verify_report(key, bad, body, 4).http_status == 401);

  // Correctly signed, but the body claims another counter than the header: refused.
  const auto other = minimal_report(6);
  const std::string other_body = to_body(other);
  SignedHeaders mismatched{r.agent_id.to_string(), "5", sign_report(key, r.agent_id, 5, other_body)};
  const auto v = verify_report(key, mismatched, other_body, 4);
  CHECK(v.http_status == 400);
  CHECK_THAT(v.reason, Catch::Contains("counter differs"));

  // Correctly signed garbage is still validated.
  const std::string junk = "{\"schema\":\"3.0\"}";
  const auto j = verify_report(key, {r.agent_id.to_string(), "5", sign_report(key, r.agent_id, 5, junk)}, junk, 4);
  CHECK(j.http_status == 400);
  CHECK_THAT(j.reason, Catch::Contains("newer"));

  const std::string huge(kMaxReportBytes + 1, ' ');
  CHECK(verify_report(key, h, huge, 4).http_status == 413);
}

TEST_CASE("key files must be private and long enough") {
  TempDir dir;
  const auto path = dir.path() / "fleet.key";
  std::ofstream(path) << "0123456789abcdef0123456789abcdef\n";
  ::chmod(path.c_str(), 0640);
  CHECK_THROWS_WITH(FleetKey::load(path), Catch::Contains("accessible by group or others (mode 0640)"));
  ::chmod(path.c_str(), 0604);
  CHECK_THROWS_AS(FleetKey::load(path), Error);
  ::chmod(path.c_str(), 0600);
  CHECK(FleetKey::load(path).secret() == "0123456789abcdef0123456789abcdef");

  std::ofstream(dir.path() / "short.key") << "tiny\n";
  ::chmod((dir.path() / "short.key").c_str(), 0600);
  CHECK_THROWS_WITH(FleetKey::load(dir.path() / "short.key"), Catch::Contains("fewer than 16 bytes"));
  CHECK_THROWS_WITH(FleetKey::load(dir.path() / "missing.key"), Catch::Contains("cannot open key file"));
  CHECK_THROWS_WITH(FleetKey::load(dir.path()), Catch::Contains("not a regular file"));
}
