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
  CHECK(v.http_status() == 204);
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
  CHECK(verify_report(key, h, altered, 4).http_status() == 401);
  CHECK(verify_report(FleetKey::from_secret("another fleet key, 32 bytes long"), h, body, 4).http_status() == 401);

  const auto replay = verify_report(key, h, body, 5);
  CHECK(replay.http_status() == 409);
  CHECK_THAT(replay.reason, Catch::Contains("replay"));
  CHECK(verify_report(key, h, body, 9).http_status() == 409);

  auto bad = h;
  bad.counter = "6";  // the signature covers the counter, so this no longer verifies
  CHECK(verify_report(key, bad, body, 4).http_status() == 401);
  bad = h;
  bad.counter = "05";
  CHECK(verify_report(key, bad, body, 4).http_status() == 400);
  bad.counter = "0";
  CHECK(verify_report(key, bad, body, std::nullopt).http_status() == 400);
  bad.counter = "9223372036854775808";  // 2^63: beyond what collectors store
  CHECK(verify_report(key, bad, body, std::nullopt).http_status() == 400);
  bad.counter = "99999999999999999999999";
  CHECK(verify_report(key, bad, body, std::nullopt).http_status() == 400);
  bad = h;
  bad.agent = "B8:27:EB:00:11:22";
  CHECK(verify_report(key, bad, body, 4).http_status() == 400);
  bad = h;
  bad.signature = "sha1=abc";
  CHECK(verify_report(key, bad, body, 4).http_status() == 401);

  // Correctly signed, but the body claims another counter than the header: refused.
  const auto other = minimal_report(6);
  const std::string other_body = to_body(other);
  SignedHeaders mismatched{r.agent_id.to_string(), "5", sign_report(key, r.agent_id, 5, other_body), {}, {}};
  const auto v = verify_report(key, mismatched, other_body, 4);
  CHECK(v.http_status() == 400);
  CHECK_THAT(v.reason, Catch::Contains("counter differs"));

  // Correctly signed garbage is still validated.
  const std::string junk = "{\"schema\":\"3.0\"}";
  const auto j =
      verify_report(key, {r.agent_id.to_string(), "5", sign_report(key, r.agent_id, 5, junk), {}, {}}, junk, 4);
  CHECK(j.http_status() == 400);
  CHECK_THAT(j.reason, Catch::Contains("newer"));

  const std::string huge(kMaxReportBytes + 1, ' ');
  CHECK(verify_report(key, h, huge, 4).http_status() == 413);
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
  // A FIFO (nobody writing to it) is refused at once, not waited on; a symlink is refused too.
  REQUIRE(::mkfifo((dir.path() / "fifo.key").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(FleetKey::load(dir.path() / "fifo.key"), Catch::Contains("not a regular file"));
  fs::create_symlink(path, dir.path() / "link.key");
  CHECK_THROWS_WITH(FleetKey::load(dir.path() / "link.key"), Catch::Contains("cannot open key file"));
}

TEST_CASE("a report signed with a device key verifies and names the key, and any other signature is refused") {
  const auto r = minimal_report(5);
  const std::string body = to_body(r);
  const DevicePrivateKey device = DevicePrivateKey::generate();
  const auto h = test::signed_headers_for(r, body, key, &device);
  const auto v = verify_report(key, h, body, 4);
  REQUIRE(v.accepted());
  REQUIRE(v.device_key);
  CHECK(*v.device_key == device.public_key());

  auto other = h;
  other.device_key = DevicePrivateKey::generate().public_key().to_string();  // signature by another key
  CHECK(verify_report(key, other, body, 4).refusal == Refusal::kSignature);
  other = h;
  other.device_signature = device.sign("pifind-report-v1\nb8:27:eb:00:11:22\n6\n" + body);  // another counter
  CHECK(verify_report(key, other, body, 4).refusal == Refusal::kSignature);
  other = h;
  other.device_signature.clear();
  CHECK(verify_report(key, other, body, 4).refusal == Refusal::kSignature);
  other = h;
  other.device_key = "ed25519=" + std::string(44, 'A');  // not canonical base64 of 32 bytes
  CHECK(verify_report(key, other, body, 4).refusal == Refusal::kInvalid);
  // The fleet key still has to admit it.
  CHECK(verify_report(FleetKey::from_secret("another fleet key, 32 bytes long"), h, body, 4).refusal ==
        Refusal::kSignature);
}

TEST_CASE("a counter far above the last accepted one is refused, so one report cannot freeze a device") {
  const auto r = minimal_report(static_cast<std::uint64_t>(INT64_MAX));
  const std::string body = to_body(r);
  const auto v = verify_report(key, headers_for(r, body), body, 10);
  CHECK(v.http_status() == 409);
  CHECK(v.refusal == Refusal::kCounterJump);
  CHECK(verify_report(key, headers_for(r, body), body, std::nullopt).refusal == Refusal::kCounterJump);
  const auto near = minimal_report(10 + kMaxCounterJump);
  const std::string near_body = to_body(near);
  CHECK(verify_report(key, headers_for(near, near_body), near_body, 10).accepted());
}

TEST_CASE("device keys: text form, fingerprint, PEM round trip, and openssl's view of the same key") {
  const DevicePrivateKey k = DevicePrivateKey::generate();
  const DevicePublicKey pub = k.public_key();
  REQUIRE(DevicePublicKey::parse(pub.to_string()) == pub);
  CHECK(pub.to_string().size() == 8 + 44);
  CHECK(pub.fingerprint().rfind("SHA256:", 0) == 0);
  CHECK(pub.fingerprint().size() == 7 + 43);
  const DevicePrivateKey back = DevicePrivateKey::from_pem(k.to_pem());
  CHECK(back.public_key() == pub);
  CHECK(pub.verify("message", back.sign("message")));
  CHECK_FALSE(pub.verify("message!", back.sign("message")));
  CHECK_THROWS_WITH(DevicePrivateKey::from_pem("0123456789abcdef secret"), "not a PEM private key");
  CHECK_FALSE(DevicePublicKey::parse("ed25519=" + pub.to_string().substr(8, 43)));
  CHECK_FALSE(DevicePublicKey::parse("ssh-ed25519 " + pub.to_string().substr(8)));

  // RFC 8032 section 7.1, test 1: the secret key 9d61b19d... has public key d75a9801...; openssl reads the
  // PKCS#8 form of that secret, and our verify() accepts the RFC's signature of the empty message.
  const std::string rfc_pem =
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
      "-----END PRIVATE KEY-----\n";
  const DevicePrivateKey rfc = DevicePrivateKey::from_pem(rfc_pem);
  CHECK(rfc.public_key().to_string() == "ed25519=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  CHECK(rfc.sign("") ==
        "ed25519=5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc+bRr0lv18FlbviRlUUFDjnoQCw==");
}
