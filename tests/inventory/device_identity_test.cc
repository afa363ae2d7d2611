// Issue 14's store-level rules: a report speaks only for its own device. Keys pinned on first use (or by an
// operator), re-imaged devices refused until forgotten, conflicts instead of merges, bounded records,
// counters remembered past a prune, aliases that stay with the device that had them.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "fleet_test_support.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/host_alias.h"
#include "inventory/store/inventory_json.h"
#include "inventory/store/report_merge.h"
#include "tests/support/sample_report.h"

using namespace pifind;

using test::mac;

namespace {

const MacAddress kVictim = mac("dc:a6:32:aa:bb:05");
const MacAddress kAttacker = mac("dc:a6:32:aa:bb:02");

ReportMergeOutcome merge(Inventory& inv, const AgentReport& r, const DevicePrivateKey* key, long long t,
                         EnrollMode mode = EnrollMode::kFirstUse) {
  ReportAuthority authority{key ? std::optional(key->public_key()) : std::nullopt, mode};
  return merge_report(inv, r, authority, test::at(t));
}

// The serialised record: "unchanged" means byte for byte.
std::string record_text(const Inventory& inv, const MacAddress& id) { return record_to_json(inv.records().at(id)).dump(); }

std::string alias_of(const Inventory& inv, const MacAddress& id) {
  for (const auto& h : list_fleet_hosts(inv, {}))
    if (h.record->id == id) return h.alias;
  return "";
}

}  // namespace

TEST_CASE("identity: the first signed report pins its key, and another key or none is refused after that") {
  Inventory inv;
  const auto victim_key = DevicePrivateKey::generate();
  REQUIRE(merge(inv, test::minimal_report(kVictim, 1, "kitchen"), &victim_key, 0).accepted());
  const auto& agent = *inv.records().at(kVictim).agent;
  REQUIRE(agent.key == victim_key.public_key());
  CHECK(agent.pinned_by == PinnedBy::kFirstUse);
  const std::string before = record_text(inv, kVictim);

  const auto attacker_key = DevicePrivateKey::generate();
  const auto changed = merge(inv, test::minimal_report(kVictim, 2, "evil", "10.0.0.66/24"), &attacker_key, 10);
  CHECK(changed.refusal == Refusal::kKeyChanged);
  CHECK_THAT(changed.reason, Catch::Contains("pifind keys forget dc:a6:32:aa:bb:05"));
  CHECK(merge(inv, test::minimal_report(kVictim, 3, "evil"), nullptr, 10).refusal == Refusal::kUnsigned);
  CHECK(record_text(inv, kVictim) == before);
  CHECK(merge(inv, test::minimal_report(kVictim, 2, "kitchen"), &victim_key, 20).accepted());
}

TEST_CASE("identity: a counter of 2^63-1 cannot freeze a device, pinned or not") {
  Inventory inv;
  REQUIRE(merge(inv, test::minimal_report(kVictim, 7, "kitchen"), nullptr, 0).accepted());
  const std::string before = record_text(inv, kVictim);
  const auto frozen = merge(inv, test::minimal_report(kVictim, static_cast<std::uint64_t>(INT64_MAX)), nullptr, 5);
  CHECK(frozen.refusal == Refusal::kCounterJump);
  CHECK(record_text(inv, kVictim) == before);
  CHECK(merge(inv, test::minimal_report(kVictim, 8, "kitchen"), nullptr, 10).accepted());
}

TEST_CASE("identity: a re-imaged Pi is refused until the operator forgets its old key, then starts at 1") {
  Inventory inv;
  const auto old_key = DevicePrivateKey::generate();
  REQUIRE(merge(inv, test::minimal_report(kVictim, 500, "kitchen"), &old_key, 0).accepted());
  const auto new_key = DevicePrivateKey::generate();
  CHECK(merge(inv, test::minimal_report(kVictim, 1, "kitchen"), &new_key, 10).refusal == Refusal::kKeyChanged);

  REQUIRE(forget_device_key(inv, SenderKind::kAgent, kVictim) == old_key.public_key());
  CHECK(merge(inv, test::minimal_report(kVictim, 1, "kitchen"), &new_key, 20).accepted());
  CHECK(inv.records().at(kVictim).agent->key == new_key.public_key());
  // The forgotten key never comes back, not even with a fresh counter (a captured old report replayed).
  CHECK(merge(inv, test::minimal_report(kVictim, 501, "kitchen"), &old_key, 30).refusal == Refusal::kKeyRevoked);
  CHECK_THROWS_WITH(forget_device_key(inv, SenderKind::kAgent, mac("dc:a6:32:00:00:99")), Catch::Contains("knows no agent dc:a6:32:00:00:99"));
}

TEST_CASE("identity: --enroll manual keeps unknown keys pending until an operator approves one") {
  Inventory inv;
  const auto key = DevicePrivateKey::generate();
  const auto r = test::minimal_report(kVictim, 1, "kitchen", "10.0.0.5/24");
  const auto pending = merge(inv, r, &key, 0, EnrollMode::kManual);
  CHECK(pending.refusal == Refusal::kNotEnrolled);
  CHECK(inv.size() == 0);
  REQUIRE(inv.pending_keys(SenderKind::kAgent).count(kVictim) == 1);
  CHECK(inv.pending_keys(SenderKind::kAgent).at(kVictim).hostname == "kitchen");
  CHECK(inv.pending_keys(SenderKind::kAgent).at(kVictim).address == "10.0.0.5/24");
  CHECK(merge(inv, r, nullptr, 1, EnrollMode::kManual).refusal == Refusal::kUnsigned);

  // Approving another key than the pending one (given on the command line) pins that one instead.
  const auto other = DevicePrivateKey::generate();
  CHECK(approve_device_key(inv, SenderKind::kAgent, kVictim, std::nullopt, test::at(5)) == key.public_key());
  CHECK(inv.pending_keys(SenderKind::kAgent).empty());
  CHECK(inv.records().at(kVictim).agent->pinned_by == PinnedBy::kOperator);
  CHECK_THROWS_WITH(approve_device_key(inv, SenderKind::kAgent, kVictim, other.public_key(), test::at(6)), Catch::Contains("forget"));
  // Written and read back before its first report, it is not given a placeholder name to be renamed from.
  const std::string approved_text = inventory_to_text(inv, test::at(7));
  INFO(approved_text);
  inv = inventory_from_text(approved_text);
  CHECK(inv.records().at(kVictim).alias.empty());
  CHECK(merge(inv, test::minimal_report(kVictim, 2, "kitchen"), &key, 10, EnrollMode::kManual).accepted());
  CHECK(inv.records().at(kVictim).alias == "kitchen");
  CHECK(inv.records().at(kVictim).alias_changes.empty());
  CHECK(merge(inv, test::minimal_report(kVictim, 3, "kitchen"), &other, 11, EnrollMode::kManual).refusal ==
        Refusal::kKeyChanged);
  CHECK_THROWS_WITH(approve_device_key(inv, SenderKind::kAgent, mac("dc:a6:32:00:00:42"), std::nullopt, test::at(12)),
                    Catch::Contains("no key of agent dc:a6:32:00:00:42 waits"));
}

TEST_CASE("identity: a report listing other devices' MACs gets conflicts, never their records") {
  Inventory inv;
  const MacAddress web2 = mac("dc:a6:32:00:00:20");
  const MacAddress web2_wlan = mac("dc:a6:32:00:00:21");
  auto victim = test::minimal_report(web2, 1, "web2", "10.0.0.20/24");
  victim.identity.serial = "10000000cafe0001";
  victim.identity.interfaces.push_back({"wlan0", web2_wlan, {}});
  REQUIRE(merge(inv, victim, nullptr, 0).accepted());
  const std::string before = record_text(inv, web2);

  auto claim = test::minimal_report(kAttacker, 1, "attacker", "10.0.0.66/24");
  claim.identity.interfaces.push_back({"eth1", web2, {"10.0.0.67/24"}});
  claim.identity.serial = "10000000cafe0001";
  const auto outcome = merge(inv, claim, nullptr, 10);
  REQUIRE(outcome.accepted());
  CHECK(outcome.conflicts.size() == 2);
  CHECK(inv.size() == 2);
  CHECK(record_text(inv, web2) == before);
  CHECK(inv.find_by_mac(web2)->id == web2);
  const auto& attacker = inv.records().at(kAttacker);
  REQUIRE(attacker.conflicts.size() == 2);
  CHECK(attacker.conflicts[0].kind == "mac");
  CHECK(attacker.conflicts[0].owner == web2);
  CHECK(attacker.conflicts[1].kind == "serial");
  CHECK(attacker.serial.empty());
  CHECK_FALSE(inv.find_by_current_ip(*Ipv4Address::parse("10.0.0.67")));
  CHECK(alias_of(inv, web2) == "web2");

  // Its own agent MAC being an interface of another agent's device is refused outright.
  auto takeover = test::minimal_report(web2_wlan, 1, "attacker");
  CHECK(merge(inv, takeover, nullptr, 20).refusal == Refusal::kIdentityConflict);
}

TEST_CASE("identity: a record only a scan made is still absorbed when the agent lists it") {
  Inventory inv;
  merge_scan(inv, {test::sighting("dc:a6:32:00:00:31", "10.0.1.7", 0)}, "eth0");
  auto r = test::minimal_report(mac("dc:a6:32:00:00:30"), 1, "lab");
  r.identity.interfaces.push_back({"wlan0", mac("dc:a6:32:00:00:31"), {"10.0.1.7/24"}});
  const auto outcome = merge(inv, r, nullptr, 10);
  REQUIRE(outcome.accepted());
  CHECK(outcome.conflicts.empty());
  CHECK(inv.size() == 1);
}

TEST_CASE("identity: loopback, multicast, unspecified and broadcast addresses are refused") {
  for (const char* bad : {"127.0.0.1/8", "::1/128", "224.0.0.251/32", "ff02::fb/128", "0.0.0.0/0", "::/0",
                          "255.255.255.255/32", "10.0.0.1/33", "10.0.0.300/24", "fe80::1%bad zone/64",
                          "::ffff:127.0.0.1/128"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_reportable_address(bad));
    auto r = test::minimal_report(kVictim, 1, "kitchen", bad);
    CHECK(validate(r).has_value());
  }
  for (const char* good : {"10.0.0.5/24", "169.254.3.4/16", "fe80::1%eth0/64", "2001:db8::1/64", "192.0.2.1"})
    CHECK(is_reportable_address(good));
}

TEST_CASE("identity: one agent naming ever new MACs and addresses keeps a bounded record") {
  Inventory inv;
  for (std::uint64_t c = 1; c <= 40; ++c) {
    auto r = test::minimal_report(kVictim, c, "kitchen", fmt::format("10.1.{}.1/24", c));
    for (std::uint64_t i = 0; i < 16; ++i)
      r.identity.interfaces.push_back(
          {fmt::format("e{}", i), *MacAddress::parse(fmt::format("02:00:00:00:{:02x}:{:02x}", c, i)),
           {fmt::format("10.2.{}.{}/24", c, i + 1)}});
    REQUIRE(merge(inv, r, nullptr, static_cast<long long>(c)).accepted());
  }
  const auto& rec = inv.records().at(kVictim);
  CHECK(rec.macs.size() == kMaxMacsPerDevice);
  CHECK(rec.ips.size() == kMaxAddressesPerDevice);
  CHECK(rec.find_mac(kVictim));  // its identity MAC is never the one dropped
  CHECK(inv.find_by_mac(*MacAddress::parse("02:00:00:00:01:00")) == nullptr);
  CHECK(inv.find_by_mac(*MacAddress::parse("02:00:00:00:28:0f")) == &rec);
}

TEST_CASE("identity: a pruned device's counter and key are remembered, so an old report cannot bring it back") {
  Inventory inv;
  const auto key = DevicePrivateKey::generate();
  const auto old_report = test::minimal_report(kVictim, 5, "kitchen", "10.0.0.5/24");
  REQUIRE(merge(inv, old_report, &key, 0).accepted());
  REQUIRE(merge(inv, test::minimal_report(kVictim, 9, "kitchen", "10.0.0.9/24"), &key, 10).accepted());
  REQUIRE(inv.prune_older_than(test::at(100)) == 1);
  // The file keeps what was remembered.
  Inventory reloaded = inventory_from_text(inventory_to_text(inv, test::at(100)));
  REQUIRE(reloaded.retired(SenderKind::kAgent).count(kVictim) == 1);
  CHECK(reloaded.retired(SenderKind::kAgent).at(kVictim).last_counter == 9);

  CHECK(merge(reloaded, old_report, &key, 200).refusal == Refusal::kReplay);
  const auto stranger = DevicePrivateKey::generate();
  CHECK(merge(reloaded, test::minimal_report(kVictim, 10), &stranger, 200).refusal == Refusal::kKeyChanged);
  CHECK(reloaded.size() == 0);
  REQUIRE(merge(reloaded, test::minimal_report(kVictim, 10, "kitchen"), &key, 300).accepted());
  CHECK(reloaded.retired(SenderKind::kAgent).empty());
  CHECK(reloaded.records().at(kVictim).agent->key == key.public_key());
}

TEST_CASE("aliases: a newcomer with an existing Pi's hostname gets the suffix, whatever its MAC") {
  Inventory inv;
  REQUIRE(merge(inv, test::minimal_report(kVictim, 1, "pi4-kitchen", "10.0.0.5/24"), nullptr, 0).accepted());
  REQUIRE(alias_of(inv, kVictim) == "pi4-kitchen");
  // The attacker's MAC sorts before the victim's: before issue 14 that took the plain name.
  REQUIRE(kAttacker < kVictim);
  REQUIRE(merge(inv, test::minimal_report(kAttacker, 1, "pi4-kitchen", "10.0.0.66/24"), nullptr, 10).accepted());
  CHECK(alias_of(inv, kVictim) == "pi4-kitchen");
  CHECK(alias_of(inv, kAttacker) == "pi4-kitchen-aabb02");
  // Written and read back, the names stay.
  const Inventory reloaded = inventory_from_text(inventory_to_text(inv, test::at(20)));
  CHECK(alias_of(reloaded, kVictim) == "pi4-kitchen");
  CHECK(alias_of(reloaded, kAttacker) == "pi4-kitchen-aabb02");
}

TEST_CASE("aliases: a renamed device moves to its new name, and the change is recorded") {
  Inventory inv;
  REQUIRE(merge(inv, test::minimal_report(kVictim, 1, "kitchen"), nullptr, 0).accepted());
  REQUIRE(merge(inv, test::minimal_report(kVictim, 2, "garage"), nullptr, 10).accepted());
  const auto& rec = inv.records().at(kVictim);
  CHECK(rec.alias == "garage");
  REQUIRE(rec.alias_changes.size() == 1);
  CHECK(rec.alias_changes[0].from == "kitchen");
  CHECK(rec.alias_changes[0].to == "garage");
  CHECK(rec.alias_changes[0].at == test::at(10));
  CHECK(inv.find_by_alias("kitchen") == nullptr);
}

TEST_CASE("aliases: an inventory written before aliases were stored keeps the names it listed") {
  // Two Pis named alike, no "alias" fields (schema 1.0): the lower MAC had the plain name.
  const std::string old_file = R"({"schema": "1.0", "updated": "2026-11-01T00:00:00Z", "devices": {
"dc:a6:32:00:00:01": {"macs":[{"mac":"dc:a6:32:00:00:01","first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-01T00:00:00Z"}],"ips":[{"ip":"10.0.0.1","mac":"dc:a6:32:00:00:01","first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-01T00:00:00Z","current":true}],"raspberry_pi":true,"hostname":"lab","first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-01T00:00:00Z"},
"dc:a6:32:00:00:02": {"macs":[{"mac":"dc:a6:32:00:00:02","first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-01T00:00:00Z"}],"ips":[{"ip":"10.0.0.2","mac":"dc:a6:32:00:00:02","first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-01T00:00:00Z","current":true}],"raspberry_pi":true,"hostname":"lab","first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-01T00:00:00Z"}
}}
)";
  const Inventory inv = inventory_from_text(old_file);
  CHECK(inv.records().at(mac("dc:a6:32:00:00:01")).alias == "lab");
  CHECK(inv.records().at(mac("dc:a6:32:00:00:02")).alias == "lab-000002");
  CHECK(inv.records().at(mac("dc:a6:32:00:00:02")).alias_changes.empty());
}

TEST_CASE("identity: keys, pending keys, conflicts and alias history survive the file") {
  Inventory inv;
  const auto key = DevicePrivateKey::generate();
  REQUIRE(merge(inv, test::minimal_report(kVictim, 1, "kitchen"), &key, 0).accepted());
  REQUIRE(merge(inv, test::minimal_report(kVictim, 2, "garage"), &key, 5).accepted());
  auto claim = test::minimal_report(kAttacker, 1, "x", "10.0.0.66/24");
  claim.identity.interfaces.push_back({"eth1", kVictim, {}});
  REQUIRE(merge(inv, claim, nullptr, 10).accepted());
  const auto pending_key = DevicePrivateKey::generate();
  merge(inv, test::minimal_report(mac("dc:a6:32:00:00:77"), 1, "new"), &pending_key, 20, EnrollMode::kManual);
  REQUIRE(forget_device_key(inv, SenderKind::kAgent, kAttacker) == std::nullopt);

  const std::string text = inventory_to_text(inv, test::at(30));
  const Inventory back = inventory_from_text(text);
  CHECK(inventory_to_text(back, test::at(30)) == text);
  CHECK(back.records().at(kVictim).agent->key == key.public_key());
  CHECK(back.records().at(kVictim).alias_changes.size() == 1);
  CHECK(back.records().at(kAttacker).conflicts.size() == 1);
  CHECK(back.pending_keys(SenderKind::kAgent).at(mac("dc:a6:32:00:00:77")).key == pending_key.public_key());
  CHECK(back.pending_keys(SenderKind::kAgent).at(mac("dc:a6:32:00:00:77")).reports == 1);
  CHECK(nlohmann::json::parse(text)["schema"] == "1.3");
}
