#include "inventory/outputs/audit.h"

#include <sstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fleet_test_support.h"
#include "inventory/core/whole_file.h"
#include "inventory/outputs/audit_svg.h"
#include "inventory/store/inventory_file.h"

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

TEST_CASE("The audit gives each host a verdict against the thresholds") {
  const auto inv = mixed_fleet();
  const auto audit = audit_fleet(inv, {}, now);
  REQUIRE(audit.hosts.size() == 9);
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
  CHECK(host(audit, "scan-only").verdict() == "no-report");
  CHECK(audit.summary.passed == 3);
  CHECK(audit.summary.failed == 6);
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
  CHECK_THAT(table.out, Contains("2 hosts: 1 pass, 1 fail"));
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
  CHECK(header.rfind("HOST        IP        SITE    DRIFT_PPM", 0) == 0);
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
