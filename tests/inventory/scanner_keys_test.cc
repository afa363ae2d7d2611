// Issue 14's "scanners get keys the same way": a scanner's device key pinned to its identity on first use (or
// by an operator under --enroll manual), another key or none refused after that, a re-imaged scanner refused
// until forgotten, its counter and key remembered past a prune and past being displaced from its device, pinned
// apart from an agent of the same MAC; and a sighting, from a pinned scanner or a newcomer, never overwriting
// what an agent said of its own device.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "fleet_test_support.h"
#include "inventory/outputs/audit.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/inventory_json.h"
#include "inventory/store/report_merge.h"
#include "inventory/store/scan_merge.h"
#include "tests/support/sample_report.h"
#include "tests/support/sample_scan.h"

using namespace pifind;

using test::mac;

namespace {

const MacAddress kScanner = test::sample_scanner();

Admission scan(Inventory& inv, const ScanReport& s, const DevicePrivateKey* key, long long t,
               EnrollMode mode = EnrollMode::kFirstUse) {
  return merge_scan_report(inv, s, {key ? std::optional(key->public_key()) : std::nullopt, mode}, test::at(t));
}

// A scan by kScanner at "berlin" that saw one Pi.
ScanReport sample(std::uint64_t counter, const std::string& pi_ip = "10.0.0.5") {
  ScanReport s = test::empty_scan(counter, "berlin");
  s.sightings = {test::scanned_host("b8:27:eb:00:00:01", pi_ip, "pi-a.local")};
  return s;
}

// The serialised inventory: "unchanged" means byte for byte.
std::string text_of(const Inventory& inv) { return inventory_to_text(inv, test::at(0)); }

const ScannerState& scanner_state(const Inventory& inv, const MacAddress& scanner) {
  const ScannerState* state = inv.find_by_mac(scanner)->find_scanner(scanner);
  REQUIRE(state);
  return *state;
}

}  // namespace

TEST_CASE("scanner keys: the first signed scan pins its key, and another key or none is refused after that") {
  Inventory inv;
  const auto key = DevicePrivateKey::generate();
  REQUIRE(scan(inv, sample(1), &key, 0).admitted());
  CHECK(scanner_state(inv, kScanner).key == key.public_key());
  CHECK(scanner_state(inv, kScanner).pinned_by == PinnedBy::kFirstUse);
  CHECK(scanner_state(inv, kScanner).key_pinned == test::at(0));
  CHECK(pinned_key(inv, SenderKind::kScanner, kScanner) == key.public_key());
  CHECK_FALSE(pinned_key(inv, SenderKind::kAgent, kScanner));
  const std::string before = text_of(inv);

  const auto other = DevicePrivateKey::generate();
  const Admission changed = scan(inv, sample(2, "10.0.0.66"), &other, 10);
  CHECK(changed.refusal == Refusal::kKeyChanged);
  CHECK_THAT(changed.reason, Catch::Contains("scanner 02:00:00:00:00:01 has key " + key.public_key().fingerprint()) &&
                                 Catch::Contains("this scan is signed with " + other.public_key().fingerprint()) &&
                                 Catch::Contains("`pifind keys forget --scanner 02:00:00:00:00:01`"));
  const Admission unsigned_scan = scan(inv, sample(3, "10.0.0.66"), nullptr, 10);
  CHECK(unsigned_scan.refusal == Refusal::kUnsigned);
  CHECK_THAT(unsigned_scan.reason, Catch::Contains("this scan carries no device signature"));
  CHECK(text_of(inv) == before);  // a refused scan's sightings are not merged either
  CHECK(scan(inv, sample(1), &key, 20).refusal == Refusal::kReplay);
  CHECK(scan(inv, sample(2), &key, 20).admitted());
  CHECK(last_scan_counter(inv, kScanner) == 2u);
}

TEST_CASE("scanner keys: an unkeyed scanner passes under first-use until one of its scans brings a key") {
  Inventory inv;
  REQUIRE(scan(inv, sample(1), nullptr, 0).admitted());
  CHECK_FALSE(scanner_state(inv, kScanner).key);
  const auto key = DevicePrivateKey::generate();
  REQUIRE(scan(inv, sample(2), &key, 10).admitted());  // the upgraded scanner pins its key
  CHECK(scanner_state(inv, kScanner).key == key.public_key());
  CHECK(scan(inv, sample(3), nullptr, 20).refusal == Refusal::kUnsigned);
}

TEST_CASE("scanner keys: a re-imaged scanner is refused until its old key is forgotten, then starts at 1") {
  Inventory inv;
  const auto old_key = DevicePrivateKey::generate();
  REQUIRE(scan(inv, sample(500), &old_key, 0).admitted());
  const auto new_key = DevicePrivateKey::generate();
  CHECK(scan(inv, sample(1), &new_key, 10).refusal == Refusal::kKeyChanged);

  REQUIRE(forget_device_key(inv, SenderKind::kScanner, kScanner) == old_key.public_key());
  CHECK_FALSE(last_scan_counter(inv, kScanner));
  REQUIRE(scan(inv, sample(1), &new_key, 20).admitted());
  CHECK(scanner_state(inv, kScanner).key == new_key.public_key());
  CHECK(scanner_state(inv, kScanner).revoked_keys == std::vector{old_key.public_key()});
  // The forgotten key never comes back, not even with a counter above the new one (a captured old scan).
  const Admission revoked = scan(inv, sample(501), &old_key, 30);
  CHECK(revoked.refusal == Refusal::kKeyRevoked);
  CHECK_THAT(revoked.reason, Catch::Contains("of scanner 02:00:00:00:00:01 was forgotten by an operator"));
  CHECK_THROWS_WITH(forget_device_key(inv, SenderKind::kScanner, mac("02:00:00:00:00:99")),
                    Catch::Contains("knows no scanner 02:00:00:00:00:99"));
}

TEST_CASE("scanner keys: --enroll manual keeps a scanner's key pending until an operator approves it") {
  Inventory inv;
  const auto key = DevicePrivateKey::generate();
  const Admission pending = scan(inv, sample(1), &key, 0, EnrollMode::kManual);
  CHECK(pending.refusal == Refusal::kNotEnrolled);
  CHECK_THAT(pending.reason, Catch::Contains("`pifind keys approve --scanner 02:00:00:00:00:01`"));
  CHECK(inv.size() == 0);  // nothing of the scan is merged
  REQUIRE(inv.pending_keys(SenderKind::kScanner).count(kScanner) == 1);
  CHECK(inv.pending_keys(SenderKind::kAgent).empty());
  const PendingKey& noted = inv.pending_keys(SenderKind::kScanner).at(kScanner);
  CHECK(noted.key == key.public_key());
  CHECK(noted.address == "10.0.0.1/24");
  CHECK(noted.site == "berlin");
  CHECK(scan(inv, sample(2), &key, 1, EnrollMode::kManual).refusal == Refusal::kNotEnrolled);
  CHECK(inv.pending_keys(SenderKind::kScanner).at(kScanner).reports == 2);
  CHECK(scan(inv, sample(3), nullptr, 2, EnrollMode::kManual).refusal == Refusal::kUnsigned);
  CHECK(known_kind(inv, kScanner) == SenderKind::kScanner);

  CHECK(approve_device_key(inv, SenderKind::kScanner, kScanner, std::nullopt, test::at(5)) == key.public_key());
  CHECK(inv.pending_keys(SenderKind::kScanner).empty());
  CHECK(scanner_state(inv, kScanner).pinned_by == PinnedBy::kOperator);
  CHECK_FALSE(inv.find_by_mac(kScanner)->agent);  // a scanner's approval makes no agent
  // Written and read back before its first accepted scan, the approval holds.
  inv = inventory_from_text(text_of(inv));
  REQUIRE(scan(inv, sample(4), &key, 10, EnrollMode::kManual).admitted());
  CHECK(last_scan_counter(inv, kScanner) == 4u);
  const auto other = DevicePrivateKey::generate();
  CHECK(scan(inv, sample(5), &other, 11, EnrollMode::kManual).refusal == Refusal::kKeyChanged);
  CHECK_THROWS_WITH(approve_device_key(inv, SenderKind::kScanner, kScanner, other.public_key(), test::at(12)),
                    Catch::Contains("`pifind keys forget --scanner 02:00:00:00:00:01` first"));
  CHECK_THROWS_WITH(approve_device_key(inv, SenderKind::kScanner, mac("02:00:00:00:00:42"), std::nullopt, test::at(12)),
                    Catch::Contains("no key of scanner 02:00:00:00:00:42 waits"));

  // Approved by its key (as `pifind keys self` prints it) before it ever scanned.
  const MacAddress fresh = mac("02:00:00:00:00:07");
  const auto fresh_key = DevicePrivateKey::generate();
  approve_device_key(inv, SenderKind::kScanner, fresh, fresh_key.public_key(), test::at(20));
  ScanReport from_fresh = sample(1);
  from_fresh.scanner_id = fresh;
  from_fresh.interfaces[0].mac = fresh;
  CHECK(scan(inv, from_fresh, &other, 21, EnrollMode::kManual).refusal == Refusal::kKeyChanged);
  CHECK(scan(inv, from_fresh, &fresh_key, 22, EnrollMode::kManual).admitted());
}

TEST_CASE("scanner keys: a Pi's agent and scanner share a MAC but not a key, and are forgotten apart") {
  Inventory inv;
  const MacAddress pi = mac("dc:a6:32:00:00:09");
  const auto agent_key = DevicePrivateKey::generate();
  const auto scanner_key = DevicePrivateKey::generate();
  REQUIRE(merge_report(inv, test::pi_report(pi, 40, "kitchen", "10.0.0.9/24", 1), {agent_key.public_key()}, test::at(0))
              .accepted());
  ScanReport own = sample(1);
  own.scanner_id = pi;
  own.interfaces[0].mac = pi;
  REQUIRE(scan(inv, own, &scanner_key, 10).admitted());
  const InventoryRecord& rec = *inv.find_by_mac(pi);
  CHECK(rec.agent->key == agent_key.public_key());
  CHECK(rec.find_scanner(pi)->key == scanner_key.public_key());
  // Each key speaks only for its own kind.
  own.counter = 2;
  CHECK(scan(inv, own, &agent_key, 20).refusal == Refusal::kKeyChanged);
  CHECK_FALSE(merge_report(inv, test::pi_report(pi, 41, "kitchen", "10.0.0.9/24", 1), {scanner_key.public_key()},
                           test::at(20))
                  .accepted());
  CHECK(known_kind(inv, pi) == SenderKind::kAgent);  // the agent, unless told --scanner
  REQUIRE(forget_device_key(inv, SenderKind::kScanner, pi) == scanner_key.public_key());
  CHECK(rec.agent->key == agent_key.public_key());
  CHECK(rec.agent->last_counter == 40);
  CHECK(merge_report(inv, test::pi_report(pi, 41, "kitchen", "10.0.0.9/24", 1), {agent_key.public_key()}, test::at(30))
            .accepted());
}

TEST_CASE("scanner keys: a pruned scanner's counter and key are remembered, in the file too") {
  Inventory inv;
  const auto key = DevicePrivateKey::generate();
  const ScanReport old_scan = sample(5);
  REQUIRE(scan(inv, old_scan, &key, 0).admitted());
  REQUIRE(scan(inv, sample(9), &key, 10).admitted());
  REQUIRE(inv.prune_older_than(test::at(100)) == 2);  // the Pi it saw and the scanner's own device
  Inventory reloaded = inventory_from_text(text_of(inv));
  REQUIRE(reloaded.retired(SenderKind::kScanner).count(kScanner) == 1);
  CHECK(reloaded.retired(SenderKind::kScanner).at(kScanner).last_counter == 9);
  CHECK(reloaded.retired(SenderKind::kScanner).at(kScanner).key == key.public_key());
  CHECK(reloaded.retired(SenderKind::kAgent).empty());
  CHECK(last_scan_counter(reloaded, kScanner) == 9u);

  // A captured old scan cannot bring its sightings back; another key cannot take the scanner's identity.
  CHECK(scan(reloaded, old_scan, &key, 200).refusal == Refusal::kReplay);
  const auto stranger = DevicePrivateKey::generate();
  CHECK(scan(reloaded, sample(10), &stranger, 200).refusal == Refusal::kKeyChanged);
  CHECK(reloaded.size() == 0);
  REQUIRE(scan(reloaded, sample(10), &key, 300).admitted());
  CHECK(reloaded.retired(SenderKind::kScanner).empty());
  CHECK(scanner_state(reloaded, kScanner).key == key.public_key());
  CHECK(scanner_state(reloaded, kScanner).key_pinned == test::at(0));
}

TEST_CASE("scanner keys: pending keys and revoked keys of scanners survive the file") {
  Inventory inv;
  const auto key = DevicePrivateKey::generate();
  REQUIRE(scan(inv, sample(1), &key, 0).admitted());
  REQUIRE(forget_device_key(inv, SenderKind::kScanner, kScanner));
  const auto waiting = DevicePrivateKey::generate();
  ScanReport other = sample(1);
  other.scanner_id = mac("02:00:00:00:00:02");
  other.interfaces[0].mac = other.scanner_id;
  other.site = "paris";
  REQUIRE(scan(inv, other, &waiting, 5, EnrollMode::kManual).refusal == Refusal::kNotEnrolled);
  const std::string text = text_of(inv);
  const Inventory back = inventory_from_text(text);
  CHECK(text_of(back) == text);
  CHECK(scanner_state(back, kScanner).revoked_keys == std::vector{key.public_key()});
  CHECK(back.pending_keys(SenderKind::kScanner).at(other.scanner_id).site == "paris");
  const auto document = nlohmann::json::parse(text);
  CHECK(document.contains("pending_scanner_keys"));
  CHECK_FALSE(document.contains("pending_keys"));
}

TEST_CASE("scanner keys: a scanner displaced from its device by newer identities keeps its key and counter") {
  // Sixteen scanner identities fit on one device; a seventeenth (a flood of made-up identities, each an
  // interface of the device) moves the least recent out, into the retired scanners, so its key stays pinned
  // rather than pinnable again by the next newcomer.
  Inventory inv;
  const auto key = DevicePrivateKey::generate();
  REQUIRE(scan(inv, sample(3), &key, 0).admitted());
  const auto attacker = DevicePrivateKey::generate();
  for (int i = 0; i < static_cast<int>(kScannersPerDevice); ++i) {
    const MacAddress extra = *MacAddress::parse(fmt::format("02:00:00:00:01:{:02x}", i));
    inv.attach_mac(*inv.find_by_mac(kScanner), extra, "", test::at(10 + i));
    ScanReport s = sample(1);
    s.scanner_id = extra;
    s.interfaces[0].mac = extra;
    REQUIRE(scan(inv, s, &attacker, 10 + i).admitted());
  }
  CHECK_FALSE(inv.find_by_mac(kScanner)->find_scanner(kScanner));
  REQUIRE(inv.retired(SenderKind::kScanner).count(kScanner) == 1);
  CHECK(scan(inv, sample(4), &attacker, 100).refusal == Refusal::kKeyChanged);
  CHECK(scan(inv, sample(3), &key, 100).refusal == Refusal::kReplay);
  REQUIRE(scan(inv, sample(4), &key, 100).admitted());
  CHECK(scanner_state(inv, kScanner).key == key.public_key());
}

TEST_CASE("scanner keys: a device never drops the MAC its scanner is known by") {
  Inventory inv;
  const MacAddress pi = mac("b8:27:eb:00:00:01");
  REQUIRE(merge_report(inv, test::pi_report(pi, 1, "kitchen", "10.0.0.9/24", 1), test::at(0)).accepted());
  const MacAddress wlan = mac("b8:27:eb:00:00:02");
  inv.attach_mac(*inv.find_by_mac(pi), wlan, "wlan0", test::at(0));
  ScanReport from_wlan = sample(1);
  from_wlan.scanner_id = wlan;
  from_wlan.interfaces[0] = {"wlan0", wlan, Ipv4Address::parse("10.0.0.10"), 24};
  from_wlan.sightings[0].interface_name = "wlan0";
  const auto key = DevicePrivateKey::generate();
  REQUIRE(scan(inv, from_wlan, &key, 1).admitted());
  // The agent lists ever new MACs; the least recently seen go, but never the scanner's identity.
  for (int i = 0; i < 40; ++i)
    inv.attach_mac(*inv.find_by_mac(pi), *MacAddress::parse(fmt::format("02:00:00:00:02:{:02x}", i)), "", test::at(10 + i));
  CHECK(inv.find_by_mac(wlan) == inv.find_by_mac(pi));
  CHECK(pinned_key(inv, SenderKind::kScanner, wlan) == key.public_key());
}

TEST_CASE("scanner keys: a scan, from a pinned scanner or a newcomer, never overwrites what an agent said") {
  Inventory inv;
  const MacAddress pi = mac("b8:27:eb:00:00:01");
  const auto agent_key = DevicePrivateKey::generate();
  auto report = test::pi_report(pi, 1, "kitchen", "10.0.0.5/24", 12.5);
  report.identity.serial = "10000000cafe0001";
  REQUIRE(merge_report(inv, report, {agent_key.public_key()}, test::at(0)).accepted());
  const InventoryRecord before = *inv.find_by_mac(pi);
  const auto check_agent_facts = [&] {
    const InventoryRecord& rec = *inv.find_by_mac(pi);
    CHECK(rec.hostname == before.hostname);
    CHECK(rec.name() == "kitchen");
    CHECK(rec.alias == before.alias);
    CHECK(rec.model == before.model);
    CHECK(rec.serial == before.serial);
    CHECK(rec.drift->drift_ppm == 12.5);
    CHECK(rec.drift_history.size() == before.drift_history.size());
    CHECK(rec.time.clocksource == before.time.clocksource);
    CHECK(rec.agent->agent_id == before.agent->agent_id);
    CHECK(rec.agent->key == agent_key.public_key());
    CHECK(rec.agent->last_counter == 1);
    CHECK(rec.macs.size() == before.macs.size());  // a scanner adds no interface to an agent's device
  };
  // Sightings of the Pi that name it otherwise.
  const auto claims = [&](ScanReport s) {
    s.sightings = {test::scanned_host("b8:27:eb:00:00:01", "10.0.0.5", "evil.local")};
    return s;
  };

  SECTION("a scanner on the Pi itself, pinned") {
    const auto scanner_key = DevicePrivateKey::generate();
    ScanReport own = claims(test::empty_scan(1, "berlin"));
    own.scanner_id = pi;
    own.interfaces = {{"eth0", pi, Ipv4Address::parse("10.0.0.5"), 24}, {"eth9", mac("02:00:00:00:09:09"), {}, 0}};
    REQUIRE(scan(inv, own, &scanner_key, 10).admitted());
    own.counter = 2;
    REQUIRE(scan(inv, own, &scanner_key, 20).admitted());
    check_agent_facts();
    CHECK_FALSE(inv.find_by_mac(mac("02:00:00:00:09:09")));
    CHECK(inv.find_by_mac(pi)->find_scanner(pi)->key == scanner_key.public_key());
    CHECK(inv.find_by_mac(pi)->site == "berlin");
  }
  SECTION("a newcomer scanner, and one claiming the Pi's MAC as its identity") {
    const auto newcomer = DevicePrivateKey::generate();
    REQUIRE(scan(inv, claims(test::empty_scan(1, "berlin")), &newcomer, 10).admitted());
    check_agent_facts();
    ScanReport posing = claims(test::empty_scan(1, "paris"));
    posing.scanner_id = pi;
    posing.interfaces = {{"eth0", pi, Ipv4Address::parse("10.0.0.5"), 24}, {"eth1", mac("02:00:00:00:09:0a"), {}, 0}};
    REQUIRE(scan(inv, posing, &newcomer, 20).admitted());  // the Pi runs no scanner yet: first use
    check_agent_facts();
    CHECK_FALSE(inv.find_by_mac(mac("02:00:00:00:09:0a")));
  }
}

TEST_CASE("scanner keys: the audit lists a scanner's pending key apart from an agent's, with the command for each") {
  Inventory inv;
  const auto scanner_key = DevicePrivateKey::generate();
  REQUIRE(scan(inv, sample(1), &scanner_key, 0, EnrollMode::kManual).refusal == Refusal::kNotEnrolled);
  const auto agent_key = DevicePrivateKey::generate();
  REQUIRE(merge_report(inv, test::pi_report(mac("dc:a6:32:00:00:09"), 1, "kitchen", "10.0.0.9/24", 1),
                       {agent_key.public_key(), EnrollMode::kManual}, test::at(10))
              .refusal == Refusal::kNotEnrolled);
  const AuditResult audit = audit_fleet(inv, {}, test::at(20));
  REQUIRE(audit.identity.size() == 2);
  CHECK(audit.identity[0].kind == "key-pending");  // newest first
  CHECK(audit.identity[0].device == "dc:a6:32:00:00:09");
  CHECK_THAT(audit.identity[0].text, Catch::Contains("`pifind keys approve dc:a6:32:00:00:09` (1 reports"));
  CHECK(audit.identity[1].device == "scanner 02:00:00:00:00:01");
  CHECK_THAT(audit.identity[1].text,
             Catch::Contains("device key " + scanner_key.public_key().fingerprint() +
                             " waits for `pifind keys approve --scanner 02:00:00:00:00:01` (1 scans"));
}
