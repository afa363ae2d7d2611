// `pifind --collector`'s uplink against a real collector on 127.0.0.1: a scan delivered and merged, signed with
// the scanner's own device key (made in its state directory, pinned on first use), a large one split under the
// document bounds with a counter each, and every failure one line that says what to do: the collector down (the
// counter is spent, the next scan goes on), a wrong key, a counter the collector is past, a re-imaged scanner
// whose new device key is refused until forgotten, an unsafe key file, a bad URL, a state directory that cannot
// be made.
#include "inventory/cli/scan_uplink.h"

#include <stdlib.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "collector_fixture.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/scan_merge.h"
#include "inventory/transport/device_key_file.h"
#include "tests/support/error_of.h"

using namespace pifind;
using Catch::Matchers::Contains;
using test::error_of;

namespace {

std::filesystem::path key_file(const test::TempDir& dir, const std::string& secret = "0123456789abcdef0123456789abcdef") {
  const auto path = dir / "fleet.key";
  test::write_text(path, secret + "\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

ScanUplinkOptions options_for(const test::TempDir& dir, std::uint16_t port) {
  return {fmt::format("http://127.0.0.1:{}", port), key_file(dir), dir / "state", std::nullopt, std::chrono::seconds(5)};
}

ScanReport scan_of(std::size_t hosts, const std::string& site = "berlin") {
  ScanReport scan = test::empty_scan(0, site);
  for (std::size_t i = 0; i < hosts; ++i)
    scan.sightings.push_back(test::scanned_host(fmt::format("b8:27:eb:00:{:02x}:{:02x}", i / 256, i % 256),
                                                fmt::format("10.{}.{}.{}", i / 65536, i / 256 % 256, i % 256 + 1)));
  return scan;
}


}  // namespace

TEST_CASE("A scan goes to the collector signed, with the next counter, and is merged there") {
  test::CollectorFixture fx;
  test::TempDir dir;
  ScanUplink uplink(options_for(dir, fx.port()));
  CHECK(uplink.deliver(scan_of(3)) == fmt::format("collector http://127.0.0.1:{}: 3 sightings delivered (counter 1)", fx.port()));
  CHECK(uplink.deliver(scan_of(1)) == fmt::format("collector http://127.0.0.1:{}: 1 sighting delivered (counter 2)", fx.port()));
  CHECK(read_small_file(dir / "state" / "counter", 64) == "2\n");
  const auto inv = read_inventory_file(fx.file());
  CHECK(inv.size() == 4);  // three Pis and the scanner
  CHECK(inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:02"))->site == "berlin");
  CHECK(last_scan_counter(inv, test::sample_scanner()) == 2u);
  // A scan that found nothing still tells the collector the scanner ran.
  CHECK_THAT(uplink.deliver(scan_of(0)), Contains("0 sightings delivered (counter 3)"));
}

TEST_CASE("A scanner signs with its own device key, made 0600 in its state directory and pinned on first use") {
  test::CollectorFixture fx;
  test::TempDir dir;
  const auto options = options_for(dir, fx.port());
  DevicePublicKey key = ScanUplink(options).device_key();
  const auto key_file = options.state_dir / kDeviceKeyFile;
  CHECK((std::filesystem::status(key_file).permissions() & std::filesystem::perms::mask) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  ScanUplink uplink(options);
  CHECK(uplink.device_key() == key);  // made once, loaded after
  REQUIRE_THAT(uplink.deliver(scan_of(2)), Contains("2 sightings delivered (counter 1)"));
  const auto inv = read_inventory_file(fx.file());
  CHECK(pinned_key(inv, SenderKind::kScanner, test::sample_scanner()) == key);
  const ScannerState* state = inv.find_by_mac(test::sample_scanner())->find_scanner(test::sample_scanner());
  REQUIRE(state);
  CHECK(state->pinned_by == PinnedBy::kFirstUse);
  // A scanner is not an agent: its key pins nothing for an agent of its MAC.
  CHECK_FALSE(pinned_key(inv, SenderKind::kAgent, test::sample_scanner()));
}

TEST_CASE("A re-imaged scanner (new state directory, new key) is refused in one line until its old key is forgotten") {
  test::CollectorFixture fx;
  test::TempDir dir;
  ScanUplinkOptions options = options_for(dir, fx.port());
  const DevicePublicKey old_key = ScanUplink(options).device_key();
  REQUIRE_THAT(ScanUplink(options).deliver(scan_of(1)), Contains("delivered"));
  const std::string before = read_whole_file(fx.file());

  options.state_dir = dir / "reimaged";
  ScanUplink reimaged(options);
  const std::string refused = error_of([&] { reimaged.deliver(scan_of(3)); });
  CHECK_THAT(refused, Contains(fmt::format("refused: the collector http://127.0.0.1:{} does not accept this scanner's "
                                           "scans (device key {})", fx.port(), reimaged.device_key().fingerprint())));
  CHECK_THAT(refused, Contains("scanner 02:00:00:00:00:01 has key " + old_key.fingerprint() + " pinned") &&
                          Contains("`pifind keys forget --scanner 02:00:00:00:00:01`") &&
                          Contains("scan (counter 1) not delivered"));
  CHECK(refused.find('\n') == std::string::npos);
  CHECK(read_whole_file(fx.file()) == before);  // none of its sightings merged
  CHECK(fx.collector().stats().scans_refused[static_cast<std::size_t>(Refusal::kKeyChanged)] == 1);
  const auto metrics = test::http_request(fx.port(), "GET", "/metrics").body;
  CHECK_THAT(metrics, Contains("pifind_reports_refused_total{sender=\"scanner\",reason=\"key_changed\"} 1\n") &&
                          Contains("pifind_reports_refused_total{sender=\"agent\",reason=\"key_changed\"} 0\n"));

  update_inventory_file(fx.file(), [&](Inventory& inventory) {
    REQUIRE(forget_device_key(inventory, SenderKind::kScanner, test::sample_scanner()) == old_key);
  });
  // The collector re-reads the file within a second; each try spends a counter, as a timer's scans would.
  std::string delivered;
  for (int attempt = 0; attempt < 30 && delivered.empty(); ++attempt) {
    try {
      delivered = reimaged.deliver(scan_of(3));
    } catch (const Error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  CHECK_THAT(delivered, Contains("3 sightings delivered"));
  CHECK(pinned_key(read_inventory_file(fx.file()), SenderKind::kScanner, test::sample_scanner()) ==
        reimaged.device_key());
}

TEST_CASE("A scan with more sightings than a document holds goes out in parts, a counter each") {
  test::CollectorFixture fx;
  test::TempDir dir;
  ScanUplink uplink(options_for(dir, fx.port()));
  const std::size_t hosts = 2 * kMaxScanSightings + 5;
  CHECK_THAT(uplink.deliver(scan_of(hosts)), Contains(fmt::format("{} sightings delivered (counter 1..3)", hosts)));
  const auto inv = read_inventory_file(fx.file());
  CHECK(inv.size() == hosts + 1);
  CHECK(fx.collector().stats().scans_accepted == 3);
}

TEST_CASE("The collector down: one line, the counter spent, and the next scan goes through") {
  test::TempDir dir;
  std::uint16_t port = 0;
  std::string file;
  {
    test::CollectorFixture gone;
    port = gone.port();
  }
  ScanUplinkOptions options = options_for(dir, port);
  {
    ScanUplink uplink(options);
    const auto error = error_of([&] { uplink.deliver(scan_of(2)); });
    CHECK_THAT(error, Contains(fmt::format("scan (counter 1) not delivered to http://127.0.0.1:{}: cannot connect", port)));
    CHECK(error.find('\n') == std::string::npos);
  }
  test::CollectorFixture fx;
  options.collector_url = fmt::format("http://127.0.0.1:{}", fx.port());
  ScanUplink uplink(options);
  CHECK_THAT(uplink.deliver(scan_of(2)), Contains("(counter 2)"));
}

TEST_CASE("Refusals name their reason: a wrong key, a counter the collector is past") {
  test::CollectorFixture fx;
  test::TempDir dir;
  ScanUplinkOptions options = options_for(dir, fx.port());
  options.key_file = key_file(dir, "not the fleet key, but 32 bytes!");
  CHECK_THAT(error_of([&] { ScanUplink(options).deliver(scan_of(1)); }),
             Contains("scan (counter 1) refused by http://127.0.0.1:") && Contains("with HTTP 401: signature does not match"));

  // The collector took counter 5 from this scanner; a state directory that lost its counter starts at 1.
  ScanReport earlier = scan_of(1);
  earlier.counter = 5;
  REQUIRE(fx.post_scan(earlier).status == 204);
  options.key_file = key_file(dir);
  options.state_dir = dir / "fresh-state";
  const auto replay = error_of([&] { ScanUplink(options).deliver(scan_of(1)); });
  CHECK_THAT(replay, Contains("refused by") && Contains("as a replay (counter 1 is not above the last accepted 5") &&
                         Contains("set that file above the collector's"));
  CHECK_THAT(replay, Contains((dir / "fresh-state" / "counter").string()));
}

TEST_CASE("What a delivery needs is checked before any scan: the key, the URL, the state directory") {
  test::TempDir dir;
  ScanUplinkOptions options = options_for(dir, 9);
  std::filesystem::permissions(options.key_file, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  CHECK_THAT(error_of([&] { ScanUplink{options}; }), Contains("is accessible by group or others"));
  options.key_file = dir / "missing.key";
  CHECK_THAT(error_of([&] { ScanUplink{options}; }), Contains("cannot open key file"));
  options.key_file = key_file(dir);
  options.collector_url = "collector:9477";
  CHECK_THAT(error_of([&] { ScanUplink{options}; }), Contains("--collector: server 'collector:9477' must start with http://"));
  options.collector_url = "";  // PIFIND_SCAN_COLLECTOR unset in /etc/default/pifind-scan
  CHECK_THAT(error_of([&] { ScanUplink{options}; }), Contains("--collector: server '' must start with http://"));
  options.collector_url = "http://127.0.0.1:9";
  test::write_text(dir / "a-file", "");
  options.state_dir = dir / "a-file" / "state";
  CHECK_THAT(error_of([&] { ScanUplink{options}; }), Contains("cannot create the scan state directory") &&
                                                         Contains("(give --state-dir)"));
}

TEST_CASE("The state directory defaults to systemd's STATE_DIRECTORY, else /var/lib/pifind-scan") {
  const char* saved = std::getenv("STATE_DIRECTORY");
  const std::string before = saved ? saved : "";
  ::setenv("STATE_DIRECTORY", "/var/lib/pifind-scan/eth0:/var/lib/other", 1);
  CHECK(default_scan_state_dir() == "/var/lib/pifind-scan/eth0");
  ::unsetenv("STATE_DIRECTORY");
  CHECK(default_scan_state_dir() == "/var/lib/pifind-scan");
  if (saved) ::setenv("STATE_DIRECTORY", before.c_str(), 1);
}
