#include "inventory/store/inventory_file.h"

#include <catch2/catch.hpp>

#include "fleet_test_support.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_json.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

InventoryRecord full_record() {
  Inventory inv;
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "10.0.0.5", 0)}, "eth0");
  InventoryRecord rec = inv.records().begin()->second;
  rec.hostname = "kitchen";
  rec.model = "Raspberry Pi 4 Model B Rev 1.4";
  rec.serial = "10000000abcdef01";
  rec.time = {true, "rv3028", "arch_sys_counter", "ntp", false};
  rec.drift = DriftSummary{12.5, 0.25, -0.003, "rtc", false, 40, 3600, test::at(100)};
  for (int i = 0; i < 60; ++i) rec.add_drift_sample({test::at(i), 12.0 + i, 0.5, 0.001 * i});
  rec.agent = AgentState{"kitchen-agent", 17, test::at(100)};
  rec.site = "berlin";
  rec.ips[0].site = "berlin";
  rec.seen_name = SeenName{"kitchen.local", NameOrigin::kMdns, test::at(90)};
  rec.scanners = {ScannerState{{}, *MacAddress::parse("b8:27:eb:00:00:01"), 42, test::at(95), "berlin", {"eth0", "wlan0"}},
                  ScannerState{{}, *MacAddress::parse("b8:27:eb:00:00:02"), 7, test::at(96), "", {"wlan0"}}};
  rec.agent->key = DevicePrivateKey::generate().public_key();
  rec.agent->key_pinned = test::at(50);
  rec.agent->pinned_by = PinnedBy::kOperator;
  rec.agent->revoked_keys = {DevicePrivateKey::generate().public_key()};
  rec.alias = "kitchen";
  rec.alias_changes = {{"pi-000001", "kitchen", test::at(60)}};
  rec.conflicts = {{"mac", "b8:27:eb:00:00:09", *MacAddress::parse("b8:27:eb:00:00:09"), test::at(70), test::at(80)}};
  rec.ipv6 = {{*Ipv6Address::parse("2001:db8::5"), rec.id, test::at(50), test::at(100), true},
              {*Ipv6Address::parse("fe80::ba27:ebff:fe00:1"), rec.id, test::at(50), test::at(60), false}};
  return rec;
}

}  // namespace

TEST_CASE("Every field of a record survives a write and a read") {
  test::TempDir dir;
  Inventory inv;
  const InventoryRecord original = full_record();
  inv.insert_loaded(original);
  write_inventory_file(dir / "fleet.json", inv, test::at(200));
  const Inventory back = read_inventory_file(dir / "fleet.json");
  REQUIRE(back.size() == 1);
  const auto& rec = back.records().begin()->second;
  CHECK(record_to_json(rec) == record_to_json(original));
  CHECK(rec.drift_history.size() == kDriftHistoryLimit);
  CHECK(rec.drift_history.back().drift_ppm == 71.0);
  CHECK(rec.time.ntp_synchronised == false);
  CHECK(rec.agent->last_counter == 17);
  CHECK(rec.site == "berlin");
  CHECK(rec.ips[0].site == "berlin");
  CHECK(rec.seen_name->origin == NameOrigin::kMdns);
  REQUIRE(rec.scanners.size() == 2);
  CHECK(rec.find_scanner(*MacAddress::parse("b8:27:eb:00:00:01"))->last_counter == 42);
  CHECK(rec.scanners[0].interfaces == std::vector<std::string>{"eth0", "wlan0"});
  CHECK(rec.scanners[1].site.empty());
  CHECK_THAT(read_whole_file(dir / "fleet.json"), Contains("\"schema\": \"1.3\""));
  REQUIRE(rec.ipv6.size() == 2);
  CHECK(rec.ipv6[0].ip.to_string() == "2001:db8::5");
  CHECK_FALSE(rec.ipv6[1].current);
}

TEST_CASE("A newer major schema is refused with a clear message, a newer minor accepted") {
  test::TempDir dir;
  test::write_text(dir / "new.json", R"({"schema": "2.0", "devices": {}})");
  CHECK_THROWS_WITH(read_inventory_file(dir / "new.json"),
                    Contains("new.json: schema 2.0 is newer than this pifind understands (1.x)"));
  test::write_text(dir / "minor.json", R"({"schema": "1.7", "devices": {}, "future_field": 1})");
  CHECK(read_inventory_file(dir / "minor.json").size() == 0);
}

TEST_CASE("A broken inventory gives a one-line error and is never overwritten") {
  test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"schema\": \"1.0\", \"devices\": {", "not valid JSON: parse error at line 1"},
      // Found by inventory_file_fuzz: nlohmann throws out_of_range, not parse_error, for this number.
      {"{\"schema\": \"1.0\", \"devices\": {}, \"x\": 7.7e2370}", "not valid JSON: number overflow parsing"},
      {"[]", "not a JSON object"},
      {"{\"devices\": {}}", "no \"schema\""},
      {"{\"schema\": \"one\"}", "is not MAJOR.MINOR"},
      {"{\"schema\": \"1.0\", \"devices\": {\"zz:zz\": {}}}", "a key of \"devices\" is not a MAC address"},
      {R"({"schema": "1.0", "devices": {"b8:27:eb:00:00:01": {"macs": [{"mac": "b8:27:eb:00:00:01",
        "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-01T00:00:00Z"}],
        "ips": [{"ip": "10.0.0.300", "mac": "b8:27:eb:00:00:01", "first_seen": "2026-11-01T00:00:00Z",
        "last_seen": "2026-11-01T00:00:00Z"}], "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-01T00:00:00Z"}}})",
       "device b8:27:eb:00:00:01: 'ips[0].ip' is not an IPv4 address"},
      {R"({"schema": "1.1", "devices": {"b8:27:eb:00:00:01": {"macs": [{"mac": "b8:27:eb:00:00:01",
        "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-01T00:00:00Z"}],
        "ipv6": [{"ip": "fe80::1%eth0", "mac": "b8:27:eb:00:00:01", "first_seen": "2026-11-01T00:00:00Z",
        "last_seen": "2026-11-01T00:00:00Z"}], "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-01T00:00:00Z"}}})",
       "device b8:27:eb:00:00:01: 'ipv6[0].ip' is not an IPv6 address"},
      {R"({"schema": "1.0", "devices": {"b8:27:eb:00:00:01": {"macs": [], "first_seen": "yesterday"}}})",
       "device b8:27:eb:00:00:01: 'first_seen' is not an RFC 3339"},
  };
  for (const auto& [content, expected] : cases) {
    INFO(content);
    const auto file = dir / "fleet.json";
    test::write_text(file, content);
    try {
      update_inventory_file(file, [](Inventory&) {});
      FAIL("no error");
    } catch (const Error& e) {
      const std::string message = e.what();
      CHECK_THAT(message, Contains(expected));
      CHECK(message.find('\n') == std::string::npos);
    }
    CHECK(read_whole_file(file) == content);
  }
}

TEST_CASE("A missing inventory is created by an update but is an error to read") {
  test::TempDir dir;
  CHECK_THROWS_WITH(read_inventory_file(dir / "none.json"), Contains("no such inventory file"));
  merge_scan_into_inventory(dir / "none.json", {test::sighting("b8:27:eb:00:00:01", "10.0.0.5", 0)}, "eth0");
  CHECK(read_inventory_file(dir / "none.json").size() == 1);
}

TEST_CASE("A document read a line per device reads the same as the same document laid out otherwise") {
  Inventory inv;
  inv.insert_loaded(full_record());
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:02", "10.0.0.6", 5), test::sighting("dc:a6:32:00:00:03", "10.0.0.7", 6)},
             "eth0");
  const std::string lines = inventory_to_text(inv, test::at(300), 12);
  const InventoryDocument fast = inventory_document_from_text(lines, true);
  CHECK(fast.generation == 12);
  // The lines kept are the ones device_line() writes, so the collector serves them without rendering again.
  REQUIRE(fast.lines.size() == 3);
  for (const auto& [id, record] : inv.records()) CHECK(fast.lines.at(id) == device_line(id, record));
  // Pretty-printed (jq's layout), keys in another order: read by the whole-document parser.
  nlohmann::json document = inventory_to_json(inv, test::at(300));
  document["generation"] = 12;
  for (const std::string& other : {document.dump(2), document.dump()}) {
    const InventoryDocument slow = inventory_document_from_text(other, true);
    CHECK(slow.generation == 12);
    CHECK(slow.lines.empty());
    CHECK(inventory_to_text(slow.inventory, test::at(0)) == inventory_to_text(fast.inventory, test::at(0)));
  }
  // One broken record on its own line: the error is the whole-document parser's, with its line and column.
  std::string broken = lines;
  broken.replace(broken.find("\"raspberry_pi\":true"), 19, "\"raspberry_pi\":tru");
  CHECK_THROWS_WITH(inventory_from_text(broken), Contains("not valid JSON: parse error at line"));
}

TEST_CASE("An update reads once, writes untouched devices' lines as read and renders the changed ones again") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  Inventory inv;
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:02", "10.0.0.6", 5), test::sighting("dc:a6:32:00:00:03", "10.0.0.7", 6)},
             "eth0");
  std::string text = inventory_to_text(inv, test::at(300), 3);
  // Device 3's line laid out otherwise (a space after its brace): still a line of the line-per-device format.
  const MacAddress untouched = *MacAddress::parse("dc:a6:32:00:00:03");
  const std::string line = device_line(untouched, inv.records().at(untouched));
  const std::string respaced = std::string(line).insert(line.find('{') + 1, " ");
  text.replace(text.find(line), line.size(), respaced);
  write_file_atomically(file, text);

  const MacAddress changed = *MacAddress::parse("b8:27:eb:00:00:02");
  update_inventory_file(file, [&](Inventory& inventory) { inventory.find_by_mac(changed)->hostname = "kitchen"; }, false);
  const std::string after = read_whole_file(file);
  CHECK_THAT(after, Contains(respaced));
  const Inventory reread = read_inventory_file(file);
  CHECK_THAT(after, Contains(device_line(changed, reread.records().at(changed))));
  CHECK(reread.records().at(changed).hostname == "kitchen");
  CHECK(inventory_document_from_text(after).generation == 4);
  // missing_ok = false: a missing file is an error and nothing is created.
  CHECK_THROWS_WITH(update_inventory_file(dir / "none.json", [](Inventory&) {}, false), Contains("no such inventory file"));
  CHECK_FALSE(std::filesystem::exists(dir / "none.json"));
}

TEST_CASE("The error for a file that is not an inventory never quotes the file") {
  test::TempDir dir;
  // A fleet key from `openssl rand -hex 32` (digits first, and one read as a huge number), an SSH key, a
  // password line, a JSON document of something else.
  for (const std::string secret : {"3f9a0c1d2e4b5a6978877665544332211ffeeddccbbaa99887766554433221100",
                                   "1e5000abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234",
                                   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx3 secret@host",
                                   "secretuser:$6$saltsalt$hashhashhash", R"({"schema": "s3cr3t"})",
                                   R"({"schema": "1.0", "devices": {"s3cr3t": {}}})"}) {
    INFO(secret);
    test::write_text(dir / "key", secret + "\n");
    try {
      read_inventory_file(dir / "key");
      FAIL("no error");
    } catch (const Error& e) {
      const std::string message = std::string(e.what()).substr((dir / "key").string().size());
      CHECK(message.find(secret.substr(0, 4)) == std::string::npos);
      CHECK(message.find("s3cr3t") == std::string::npos);
      CHECK(message.find("secret") == std::string::npos);
    }
  }
}
