#include "inventory/outputs/audit.h"

#include <sstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fleet_test_support.h"
#include "inventory/core/whole_file.h"
#include "inventory/outputs/audit_svg.h"
#include "inventory/protocol/device_key.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/report_merge.h"
#include "tests/support/sample_report.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

// A Pi named `name` with an agent report `age` before `now` and the given drift.
void add_pi(Inventory& inv, int n, const std::string& name, TimePoint now, std::chrono::seconds age,
            std::optional<DriftSummary> drift) {
  auto s = test::sighting(fmt::format("b8:27:eb:00:00:{:02x}", n), fmt::format("10.0.0.{}", n), 0);
  s.seen = now - age;
  merge_scan(inv, {s}, "eth0");
  auto& rec = *inv.find_by_mac(s.mac);
  rec.hostname = name;
  give_alias(inv, rec, now - age);
  if (name.rfind("scan-only", 0) == 0) return;
  rec.agent = AgentState{s.mac.to_string(), 1, now - age};
  rec.time = {true, "rv3028", "arch_sys_counter", "ntp", true};
  if (!drift) return;
  drift->measured_at = now - age;
  rec.drift = drift;
  for (int i = 0; i < 5; ++i)
    rec.add_drift_sample({now - age - std::chrono::minutes(10 * (5 - i)), drift->drift_ppm, drift->uncertainty_ppm,
                          drift->drift_ppm * 1e-6 * 600 * i});
}

DriftSummary drift(double ppm, double uncertainty, bool constant = true) {
  return DriftSummary{ppm, uncertainty, 0, "rtc0", constant, 30, 1800, {}};
}

const auto now = *parse_utc("2026-11-25T12:00:00Z");

Inventory mixed_fleet() {
  Inventory inv;
  add_pi(inv, 1, "good1", now, std::chrono::minutes(5), drift(5, 0.2));
  add_pi(inv, 2, "good2", now, std::chrono::minutes(5), drift(6, 0.2));
  add_pi(inv, 3, "good3", now, std::chrono::minutes(5), drift(4, 0.2));
  add_pi(inv, 4, "fast", now, std::chrono::minutes(5), drift(-80, 0.2));
  add_pi(inv, 5, "vague", now, std::chrono::minutes(5), drift(3, 2.5));
  add_pi(inv, 6, "wobbly", now, std::chrono::minutes(5), drift(5.5, 0.2, false));
  add_pi(inv, 7, "silent", now, std::chrono::hours(3), drift(5, 0.2));
  add_pi(inv, 8, "collecting", now, std::chrono::minutes(1), std::nullopt);
  add_pi(inv, 9, "scan-only", now, std::chrono::minutes(1), std::nullopt);
  return inv;
}

const HostAudit& host(const AuditResult& audit, const std::string& name) {
  for (const auto& h : audit.hosts)
    if (h.alias == name) return h;
  FAIL("no host " << name);
  throw;
}

}  // namespace

TEST_CASE("The audit gives each managed host a verdict against the thresholds") {
  const auto inv = mixed_fleet();
  const auto audit = audit_fleet(inv, {}, now);
  REQUIRE(audit.hosts.size() == 8);
  CHECK(host(audit, "good1").verdict() == "ok");
  CHECK(host(audit, "good1").s_per_day == Approx(5 * 0.0864));
  CHECK(host(audit, "good1").report_age == std::chrono::minutes(5));
  CHECK(host(audit, "fast").verdict() == "drift");
  CHECK(host(audit, "vague").verdict() == "uncertain");
  CHECK(host(audit, "wobbly").verdict() == "not-constant");
  CHECK_FALSE(host(audit, "wobbly").correction);  // a drift that changes has no one correction
  REQUIRE(host(audit, "good1").correction);
  CHECK(host(audit, "good1").correction->tick == 10000);
  CHECK(host(audit, "silent").verdict() == "stale");
  CHECK(host(audit, "collecting").verdict() == "no-estimate");
  CHECK(audit.summary.passed == 3);
  CHECK(audit.summary.failed == 5);
  CHECK_FALSE(audit.all_passed());
  CHECK(audit.summary.worst_alias == "fast");
  CHECK(audit.summary.median_ppm == Approx(5));
  CHECK(audit.summary.outliers == std::vector<std::string>{"fast"});
  // Looser thresholds let the drift and uncertainty cases pass.
  const auto loose = audit_fleet(inv, {100, 3, std::chrono::hours(6)}, now);
  CHECK(host(loose, "fast").passed());
  CHECK(host(loose, "vague").passed());
  CHECK(host(loose, "silent").passed());
}

TEST_CASE("Pis known from scans only are listed apart as unmanaged, and fail only under require_agent") {
  Inventory inv;
  add_pi(inv, 1, "good1", now, std::chrono::minutes(5), drift(5, 0.2));
  for (int n = 2; n <= 19; ++n) add_pi(inv, n, fmt::format("scan-only-{:02}", n), now, std::chrono::minutes(n), std::nullopt);
  const auto audit = audit_fleet(inv, {}, now);
  REQUIRE(audit.hosts.size() == 1);
  CHECK(audit.hosts[0].managed);
  CHECK(audit.all_passed());
  CHECK(audit.summary.unmanaged == 18);
  REQUIRE(audit.unmanaged.size() == 18);
  CHECK(audit.unmanaged[0].alias == "scan-only-02");
  CHECK(audit.unmanaged[0].address == "10.0.0.2");
  CHECK(audit.unmanaged[0].last_seen == now - std::chrono::minutes(2));
  const std::string table = render_audit_table(audit);
  CHECK_THAT(table, Contains("1 managed hosts: 1 pass, 0 fail"));
  CHECK_THAT(table, Contains("18 unmanaged Pis (found by scans, no agent reports; not audited without --require-agent):\n"
                             "  scan-only-02 scan-only-03 "));
  CHECK_THAT(table, Contains(" scan-only-19\n"));
  CHECK_FALSE(table.find("scan-only-02  ") != std::string::npos);  // not a row of the table
  const auto json = audit_to_json(audit);
  CHECK(json["summary"]["unmanaged"] == 18);
  CHECK(json["unmanaged"][17]["name"] == "scan-only-19");
  CHECK(json["unmanaged"][17]["mac"] == "b8:27:eb:00:00:13");
  CHECK(json["unmanaged"][17]["last_seen"] == "2026-11-25T11:41:00Z");
  CHECK(json["hosts"].size() == 1);

  AuditThresholds strict;
  strict.require_agent = true;
  const auto required = audit_fleet(inv, strict, now);
  CHECK(required.hosts.size() == 19);
  CHECK(required.unmanaged.empty());
  CHECK(required.summary.failed == 18);
  CHECK(host(required, "scan-only-07").verdict() == "no-report");
  CHECK_FALSE(host(required, "scan-only-07").managed);
  CHECK_THAT(render_audit_table(required), Contains("19 hosts: 1 pass, 18 fail (max 50 ppm, max ±1 ppm, stale after 1h, "
                                                    "every Pi needs an agent)"));
}

TEST_CASE("A managed Pi without a current IPv4 address is audited, reached over IPv6") {
  Inventory inv;
  auto report = test::pi_report(*MacAddress::parse("dc:a6:32:00:00:01"), 1, "v6only", "2001:db8::21/64", 80.0);
  merge_report(inv, report, now - std::chrono::minutes(1));
  const auto audit = audit_fleet(inv, {}, now);
  REQUIRE(audit.hosts.size() == 1);
  CHECK(audit.hosts[0].alias == "v6only");
  CHECK_FALSE(audit.hosts[0].ip);
  CHECK(audit.hosts[0].address == "2001:db8::21");
  CHECK(audit.hosts[0].verdict() == "drift");
  const auto json = audit_to_json(audit);
  CHECK(json["hosts"][0]["ip"].is_null());
  CHECK(json["hosts"][0]["address"] == "2001:db8::21");
  CHECK(json["hosts"][0]["managed"] == true);
  CHECK_THAT(render_audit_table(audit), Contains("v6only  2001:db8::21  +80.000"));
}

TEST_CASE("The audit carries the worst hosts' offset histories, worst first, and the plot draws them on a time axis") {
  const auto inv = mixed_fleet();
  const auto audit = audit_fleet(inv, {}, now);
  REQUIRE(audit.histories.size() == kHistoryHosts);
  CHECK(audit.histories[0].alias == "fast");
  CHECK(audit.histories[1].alias == "good2");
  CHECK(audit.histories[0].samples.size() == 5);
  const auto json = audit_to_json(audit);
  CHECK(json["histories"][0]["name"] == "fast");
  CHECK(json["histories"][0]["samples"][4]["at"] == "2026-11-25T11:45:00Z");
  CHECK(json["histories"][0]["samples"][4]["offset_s"] == Approx(-80e-6 * 600 * 4));
  CHECK(json["at"] == "2026-11-25T12:00:00Z");
  // "silent" (among the five at 5 ppm) reported last three hours ago: samples from 08:05 to 11:55, so the axis
  // has a tick every hour.
  const std::string svg = render_audit_svg(audit);
  for (const char* label : {">09:00<", ">10:00<", ">11:00<", ">time (UTC)<"}) {
    INFO(label);
    CHECK_THAT(svg, Contains(label));
  }
  CHECK_FALSE(svg.find(">08:00<") != std::string::npos);
  CHECK_FALSE(svg.find(">12:00<") != std::string::npos);
  // One history alone, 40 minutes long: a tick every 10 minutes.
  AuditResult one = audit;
  one.histories.resize(1);
  const std::string short_svg = render_audit_svg(one);
  for (const char* label : {">11:10<", ">11:20<", ">11:30<", ">11:40<"}) {
    INFO(label);
    CHECK_THAT(short_svg, Contains(label));
  }
  // 40 seconds of history (as the demo's, whose simulated hours pass in real seconds): a tick every 10 s.
  for (std::size_t i = 0; i < one.histories[0].samples.size(); ++i)
    one.histories[0].samples[i].at = now + std::chrono::seconds(3 + 10 * i);
  const std::string seconds_svg = render_audit_svg(one);
  for (const char* label : {">12:00:10<", ">12:00:20<", ">12:00:30<", ">12:00:40<"}) {
    INFO(label);
    CHECK_THAT(seconds_svg, Contains(label));
  }
}

TEST_CASE("The audit's JSON text, written a host at a time, is the JSON document's own text") {
  auto inv = mixed_fleet();
  for (int n = 20; n <= 22; ++n) add_pi(inv, n, fmt::format("scan-only-{}", n), now, std::chrono::minutes(n), std::nullopt);
  auto& fast = *inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:04"));
  fast.conflicts.push_back({"serial", "10000000cafe0001", *MacAddress::parse("b8:27:eb:00:00:01"), now, now});
  inv.note_pending_key(SenderKind::kAgent, *MacAddress::parse("dc:a6:32:00:00:77"),
                       {DevicePrivateKey::generate().public_key(), "newcomer", "10.0.0.77", "", now, now, 2});
  inv.note_pending_key(SenderKind::kScanner, *MacAddress::parse("dc:a6:32:00:00:78"),
                       {DevicePrivateKey::generate().public_key(), "", "10.0.0.78", "lab", now, now, 1});
  const auto audit = audit_fleet(inv, {}, now);
  REQUIRE(audit.unmanaged.size() >= 3);
  for (const char* kind : {"conflict", "key-pending"})
    REQUIRE(std::any_of(audit.identity.begin(), audit.identity.end(), [&](const auto& n) { return n.kind == kind; }));
  REQUIRE_FALSE(audit.histories.empty());
  CHECK(audit_json_text(audit) == audit_to_json(audit).dump());
  CHECK(audit_json_text(AuditResult{}) == audit_to_json(AuditResult{}).dump());
}

TEST_CASE("pifind audit exits 1 when a host fails, 0 when all pass, and prints table, JSON and SVG") {
  test::TempDir dir;
  const auto real_now = std::chrono::system_clock::now();
  Inventory failing;
  add_pi(failing, 1, "good1", real_now, std::chrono::minutes(1), drift(5, 0.2));
  add_pi(failing, 4, "fast", real_now, std::chrono::minutes(1), drift(-80, 0.2));
  write_inventory_file(dir / "failing.json", failing, real_now);
  const auto table = test::run_process({test::fleet_cli(), "audit", "--inventory", (dir / "failing.json").string(),
                                        "--plot", (dir / "audit.svg").string()});
  CHECK(table.exit_status == 1);
  CHECK_THAT(table.out, Contains("HOST"));
  CHECK_THAT(table.out, Contains("-80.000"));
  CHECK_THAT(table.out, Contains("2 managed hosts: 1 pass, 1 fail"));
  const auto svg = read_whole_file(dir / "audit.svg");
  CHECK_THAT(svg, Contains(">fast</text>"));
  CHECK_THAT(svg, Contains("<polyline"));
  CHECK(test::run_process({"python3", "-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])",
                           (dir / "audit.svg").string()})
            .exit_status == 0);

  const auto json = test::run_process(
      {test::fleet_cli(), "audit", "--inventory", (dir / "failing.json").string(), "--format", "json", "--max-ppm", "100"});
  CHECK(json.exit_status == 0);
  const auto parsed = nlohmann::json::parse(json.out);
  CHECK(parsed["summary"]["failed"] == 0);
  CHECK(parsed["hosts"][0]["name"] == "fast");
  CHECK(parsed["hosts"][0]["drift_ppm"] == -80.0);
  // The correction to apply (pifind-agent(8), THE CORRECTION): -80 ppm per reference second needs the
  // clock 1/(1 - 80e-6) faster: tick 10001, and the remaining -19.9936 ppm in frequency.
  CHECK(parsed["hosts"][0]["correction"]["tick"] == 10001);
  CHECK(parsed["hosts"][0]["correction"]["frequency"] == std::llround((1 / (1 - 80e-6) - 1.0001) * 1e6 * 65536));
  CHECK(parsed["hosts"][0]["correction"]["command"] ==
        fmt::format("adjtimex --tick 10001 --frequency {}", parsed["hosts"][0]["correction"]["frequency"].get<long long>()));

  const auto bad = test::run_process({test::fleet_cli(), "audit", "--inventory", (dir / "failing.json").string(),
                                      "--stale", "forever"});
  CHECK(bad.exit_status == 2);

  // Unmanaged Pis pass by default and fail with --require-agent.
  Inventory unmanaged;
  add_pi(unmanaged, 1, "good1", real_now, std::chrono::minutes(1), drift(5, 0.2));
  add_pi(unmanaged, 2, "scan-only", real_now, std::chrono::minutes(1), std::nullopt);
  write_inventory_file(dir / "unmanaged.json", unmanaged, real_now);
  const auto lenient = test::run_process({test::fleet_cli(), "audit", "--inventory", (dir / "unmanaged.json").string()});
  CHECK(lenient.exit_status == 0);
  CHECK_THAT(lenient.out, Contains("1 unmanaged Pi (found by scans"));
  const auto strict = test::run_process(
      {test::fleet_cli(), "audit", "--inventory", (dir / "unmanaged.json").string(), "--require-agent", "--format", "json"});
  CHECK(strict.exit_status == 1);
  const auto strict_json = nlohmann::json::parse(strict.out);
  CHECK(strict_json["hosts"][1]["verdict"] == "no-report");
  CHECK(strict_json["hosts"][1]["managed"] == false);
  CHECK(strict_json["thresholds"]["require_agent"] == true);
}

TEST_CASE("The README's cron recipe is silent on a healthy fleet with unmanaged Pis, and mails a drift or a stale Pi") {
  // The recipe as README.md gives it: "15 7 * * * root COMMAND"; cron runs COMMAND with /bin/sh and mails
  // whatever it prints.
  const std::string readme = read_whole_file(PIFIND_SOURCE_DIR "/README.md");
  const auto start = readme.find("\n15 7 * * * root ");
  REQUIRE(start != std::string::npos);
  const auto begin = readme.find("root ", start) + 5;
  std::string command = readme.substr(begin, readme.find('\n', begin) - begin);
  REQUIRE_THAT(command, Contains("pifind audit --inventory /var/lib/pifind-serve/inventory.json"));
  test::TempDir dir;
  const std::string file = (dir / "fleet.json").string();
  command.replace(command.find("pifind audit"), 12, test::fleet_cli() + " audit");
  command.replace(command.find("/var/lib/pifind-serve/inventory.json"), 36, file);

  const auto real_now = std::chrono::system_clock::now();
  auto healthy = [&] {
    Inventory inv;
    for (int n = 1; n <= 3; ++n) add_pi(inv, n, fmt::format("good{}", n), real_now, std::chrono::minutes(5), drift(5 + n, 0.2));
    for (int n = 4; n <= 21; ++n) add_pi(inv, n, fmt::format("scan-only-{}", n), real_now, std::chrono::minutes(3), std::nullopt);
    return inv;
  };
  auto mail_for = [&](const Inventory& inv) {
    write_inventory_file(file, inv, real_now);
    const auto r = test::run_process({"sh", "-c", command});
    CHECK(r.exit_status == 0);  // `|| echo`: cron sees success either way; what it mails is the output
    CHECK(r.err.empty());
    return r.out;
  };
  CHECK(mail_for(healthy()).empty());

  Inventory drifting = healthy();
  add_pi(drifting, 30, "fast", real_now, std::chrono::minutes(5), drift(-80, 0.2));
  const std::string drift_mail = mail_for(drifting);
  CHECK_THAT(drift_mail, Contains("4 managed hosts: 3 pass, 1 fail"));
  CHECK_THAT(drift_mail, Contains("-80.000"));
  CHECK_THAT(drift_mail, Contains("18 unmanaged Pis"));

  Inventory stale = healthy();
  add_pi(stale, 31, "silent", real_now, std::chrono::hours(3), drift(5, 0.2));  // the recipe's --stale is 2h
  const std::string stale_mail = mail_for(stale);
  CHECK_THAT(stale_mail, Contains("stale"));
  CHECK_THAT(stale_mail, Contains("silent"));
}

TEST_CASE("The audit shows each host's site once a fleet has sites, and audits one site alone") {
  Inventory inv = mixed_fleet();
  CHECK(render_audit_table(audit_fleet(inv, {}, now)).rfind("HOST  ", 0) == 0);
  CHECK(render_audit_table(audit_fleet(inv, {}, now)).find("SITE") == std::string::npos);
  const_cast<InventoryRecord*>(inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:04")))->site = "paris";
  const_cast<InventoryRecord*>(inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:01")))->site = "berlin";
  const auto audit = audit_fleet(inv, {}, now);
  const std::string table = render_audit_table(audit);
  std::istringstream lines(table);
  std::string header, line;
  std::getline(lines, header);
  CHECK(header.rfind("HOST        ADDRESS   SITE    DRIFT_PPM", 0) == 0);
  bool fast_row = false;
  while (std::getline(lines, line))
    if (line.rfind("fast ", 0) == 0) fast_row = line.find(" paris ") != std::string::npos;
  CHECK(fast_row);
  const auto json = audit_to_json(audit);
  for (const auto& h : json["hosts"]) {
    if (h["name"] == "good1") CHECK(h["site"] == "berlin");
    if (h["name"] == "good2") CHECK(h["site"].is_null());
  }
  const auto paris = audit_fleet(inv, {}, now, "paris");
  REQUIRE(paris.hosts.size() == 1);
  CHECK(paris.hosts[0].alias == "fast");
  CHECK_FALSE(paris.all_passed());
  CHECK(audit_fleet(inv, {}, now, "berlin").all_passed());
}
