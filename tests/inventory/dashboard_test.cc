// End to end: the dashboard served by a running collector, in Debian's headless Chromium driven over the
// DevTools protocol with real mouse clicks: worst hosts first, unmanaged Pis folded into one line that opens,
// columns that sort, a refresh that shows a new report without reloading, and tables that draw only the rows
// in view. Behaviour only: its speed is measured by bench/dashboard.sh, never here.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "collector_fixture.h"
#include "inventory/collector/dashboard_page.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/report_merge.h"
#include "tests/support/headless_chromium.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

// The text of column `column` (0-based) of every row the managed table has drawn, top to bottom.
std::vector<std::string> column_of(test::HeadlessChromium& page, int column, const std::string& table = "#audit") {
  return page
      .evaluate(fmt::format("[...document.querySelectorAll('{} tbody tr:not(.spacer)')].map(r => r.cells[{}] ? "
                            "r.cells[{}].textContent : '')",
                            table, column, column))
      .get<std::vector<std::string>>();
}

std::string attribute(test::HeadlessChromium& page, const std::string& selector, const std::string& name) {
  return page.evaluate(fmt::format("document.querySelector('{}').getAttribute('{}')", selector, name)).get<std::string>();
}

int count(test::HeadlessChromium& page, const std::string& selector) {
  return page.evaluate(fmt::format("document.querySelectorAll('{}').length", selector)).get<int>();
}

}  // namespace

TEST_CASE("The dashboard embeds the audit's JSON as /v1/audit serves it, every '<' escaped, shared when there is none") {
  AuditResult audit;
  audit.unmanaged.push_back({"</script><b>x", *MacAddress::parse("b8:27:eb:00:00:01"), "10.0.0.1", "", test::at(0)});
  const auto json = std::make_shared<const std::string>(audit_json_text(audit));
  std::string page;
  for (const auto piece : dashboard_page_pieces(json).pieces) page += piece;
  CHECK(page == render_dashboard_page(audit));
  CHECK(page.find("</script><b>") == std::string::npos);
  CHECK_THAT(page, Contains("\\u003c/script>\\u003cb>x"));
  // Without a '<' the page's middle piece is the audit's text itself, not a copy.
  audit.unmanaged[0].alias = "plain";
  const auto plain_json = std::make_shared<const std::string>(audit_json_text(audit));
  const DashboardPieces plain = dashboard_page_pieces(plain_json);
  REQUIRE(plain.pieces.size() == 3);
  CHECK(plain.pieces[1].data() == plain_json->data());
  CHECK(plain.owner == plain_json);
}

TEST_CASE("The dashboard puts the worst hosts first, folds the unmanaged Pis, sorts, and refreshes itself") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  // Three Pis found only by scans (one of them beside a non-Pi).
  merge_scan_into_inventory(file,
                            {test::sighting("b8:27:eb:00:10:01", "10.2.0.1", 0), test::sighting("b8:27:eb:00:10:02", "10.2.0.2", 0),
                             test::sighting("b8:27:eb:00:10:03", "10.2.0.3", 0), test::sighting("00:11:22:33:44:55", "10.2.0.9", 0)},
                            "eth0");
  test::CollectorFixture fx(HttpLimits{}, file.string());
  REQUIRE(fx.post(test::sample_report(1, 1, -7.25)).status == 204);
  REQUIRE(fx.post(test::sample_report(2, 1, 3.5)).status == 204);
  REQUIRE(fx.post(test::sample_report(3, 1, 81.0)).status == 204);
  auto vague = test::sample_report(5, 1, 2.0);
  vague.drift[0].stderr_ppm = 2.5;  // fails as "uncertain"
  REQUIRE(fx.post(vague).status == 204);

  test::HeadlessChromium page;
  page.open(fmt::format("http://127.0.0.1:{}/?refresh=1", fx.port()), "document.body.dataset.rendered === 'yes'");
  page.evaluate("window.loadedOnce = true");  // gone if the page ever reloads

  // Worst first: the failing hosts by |drift|, then the passing ones.
  CHECK(column_of(page, 0) == std::vector<std::string>{"pi3", "pi5", "pi1", "pi2"});
  CHECK(column_of(page, 3) == std::vector<std::string>{"+81.000", "+2.000", "-7.250", "+3.500"});
  CHECK(column_of(page, 11) == std::vector<std::string>{"drift (outlier)", "uncertain", "ok", "ok"});
  CHECK(column_of(page, 1)[0] == "10.1.0.4");
  CHECK_THAT(column_of(page, 10)[0], Contains("s ago"));  // last seen
  // No device has a site: no Site column, as in `pifind audit`.
  CHECK(page.evaluate("document.body.classList.contains('no-sites')") == true);
  CHECK(page.evaluate("getComputedStyle(document.querySelector('#audit th.site')).display") == "none");
  CHECK(attribute(page, "#audit th[data-key=verdict]", "aria-sort") == "ascending");
  CHECK_THAT(page.evaluate("document.getElementById('summary').textContent").get<std::string>(),
             Contains("4 managed hosts: 2 pass, 2 fail"));
  CHECK(count(page, "#chart .chart-point") == 4);
  CHECK(count(page, "#history .history-line") == 4);
  CHECK(count(page, "#history .time-label") >= 1);
  // The reports came within a second or two: the axis is in seconds.
  CHECK(page.evaluate("[...document.querySelectorAll('#history .time-label')].every(t => "
                      "/^\\d\\d:\\d\\d:\\d\\d$/.test(t.textContent))") == true);

  // The unmanaged Pis: one closed line with their count, drawn only once opened.
  CHECK(page.evaluate("document.getElementById('unmanaged').open") == false);
  CHECK(page.evaluate("document.getElementById('unmanaged-summary').textContent").get<std::string>() ==
        "3 unmanaged Pis (found by scans, no agent reports; not audited)");
  CHECK(count(page, "#unmanaged-table tbody tr") == 0);
  page.click("#unmanaged-summary");
  page.wait_until("document.querySelectorAll('#unmanaged-table td.host').length === 3", "the unmanaged line opening");
  CHECK(page.evaluate("document.getElementById('unmanaged').open") == true);
  CHECK(column_of(page, 0, "#unmanaged-table") == std::vector<std::string>{"pi-001001", "pi-001002", "pi-001003"});
  CHECK(column_of(page, 1, "#unmanaged-table") == std::vector<std::string>{"10.2.0.1", "10.2.0.2", "10.2.0.3"});

  // Sorting: a click on a header sorts by it, a second click reverses; unknown values stay last.
  page.click("#audit th[data-key=drift]");
  CHECK(column_of(page, 0) == std::vector<std::string>{"pi1", "pi5", "pi2", "pi3"});
  CHECK(attribute(page, "#audit th[data-key=drift]", "aria-sort") == "ascending");
  CHECK(attribute(page, "#audit th[data-key=verdict]", "aria-sort") == "none");
  page.click("#audit th[data-key=drift]");
  CHECK(column_of(page, 0) == std::vector<std::string>{"pi3", "pi2", "pi5", "pi1"});
  CHECK(attribute(page, "#audit th[data-key=drift]", "aria-sort") == "descending");
  page.click("#audit th[data-key=name]");
  CHECK(column_of(page, 0) == std::vector<std::string>{"pi1", "pi2", "pi3", "pi5"});
  page.click("#audit th[data-key=verdict]");
  CHECK(column_of(page, 0) == std::vector<std::string>{"pi3", "pi5", "pi1", "pi2"});

  // A new report, and a Pi that starts drifting: the page shows both without reloading, worst first.
  REQUIRE(fx.post(test::sample_report(6, 1, -120.0)).status == 204);
  REQUIRE(fx.post(test::sample_report(2, 2, 95.0)).status == 204);
  page.wait_until("document.querySelector('#audit tbody tr td.host').textContent === 'pi6'", "the new report showing");
  CHECK(column_of(page, 0) == std::vector<std::string>{"pi6", "pi2", "pi3", "pi5", "pi1"});
  CHECK(page.evaluate("window.loadedOnce") == true);
  CHECK(page.evaluate("performance.getEntriesByType('navigation').length") == 1);
  CHECK(page.evaluate("Number(document.body.dataset.refreshes) >= 1") == true);
  CHECK_THAT(page.evaluate("document.getElementById('summary').textContent").get<std::string>(),
             Contains("5 managed hosts: 1 pass, 4 fail"));
  // The opened unmanaged line stays open and filled through the refresh.
  CHECK(page.evaluate("document.getElementById('unmanaged').open") == true);
  CHECK(column_of(page, 0, "#unmanaged-table").size() == 3);

  // A Pi renamed: the identity notes, folded like the unmanaged Pis, list the alias it moved to.
  CHECK(page.evaluate("document.getElementById('identity').hidden") == true);
  auto renamed = test::sample_report(1, 2, -7.25);
  renamed.identity.hostname = "kitchen";
  REQUIRE(fx.post(renamed).status == 204);
  page.wait_until("!document.getElementById('identity').hidden", "the identity note showing");
  CHECK(page.evaluate("document.getElementById('identity-summary').textContent").get<std::string>().rfind(
            "1 identity note (", 0) == 0);
  page.click("#identity-summary");
  page.wait_until("document.querySelectorAll('#identity-list li').length === 1", "the identity notes opening");
  CHECK_THAT(page.evaluate("document.querySelector('#identity-list li').textContent").get<std::string>(),
             Contains("kitchen: alias changed from pi1 to kitchen"));

  // The filter narrows both tables.
  page.evaluate("const f = document.getElementById('filter'); f.value = 'pi-001002';"
                " f.dispatchEvent(new Event('input'))");
  CHECK(column_of(page, 0, "#unmanaged-table") == std::vector<std::string>{"pi-001002"});
  CHECK(column_of(page, 0) == std::vector<std::string>{"nothing matches the filter"});
}

TEST_CASE("The dashboard draws only the rows in view of a large fleet, and scrolls to the last one") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  Inventory inv;
  const auto now = std::chrono::system_clock::now();
  for (int n = 1; n <= 600; ++n)
    merge_report(inv, test::sample_report(n, 1, 0.01 * n), now);
  for (int n = 1; n <= 400; ++n)
    merge_scan(inv, {test::sighting(fmt::format("b8:27:eb:0f:{:02x}:{:02x}", n / 256, n % 256),
                                    fmt::format("10.3.{}.{}", n / 256, n % 256), 0)},
               "eth0");
  inv.find_by_mac(test::sample_report(600, 1).agent_id)->site = "lab";
  write_inventory_file(file, inv, now);
  test::CollectorFixture fx(HttpLimits{}, file.string());

  test::HeadlessChromium page;
  page.open(fmt::format("http://127.0.0.1:{}/", fx.port()), "document.body.dataset.rendered === 'yes'");
  CHECK(page.evaluate("document.getElementById('audit').dataset.rows") == "600");
  const int drawn = count(page, "#audit tbody tr:not(.spacer)");
  CHECK(drawn > 20);
  CHECK(drawn < 120);
  CHECK(column_of(page, 0).front() == "pi600");  // all pass: the largest |drift| first
  CHECK(column_of(page, 2).front() == "lab");
  CHECK(page.evaluate("document.body.classList.contains('no-sites')") == false);
  CHECK(count(page, "#chart .chart-point") == 40);
  CHECK_THAT(page.evaluate("document.getElementById('chart-title').textContent").get<std::string>(),
             Contains("of 600"));
  CHECK(page.evaluate("document.getElementById('unmanaged-summary').textContent").get<std::string>() ==
        "400 unmanaged Pis (found by scans, no agent reports; not audited)");

  page.evaluate("const w = document.getElementById('managed-wrap'); w.scrollTop = w.scrollHeight");
  page.wait_until("[...document.querySelectorAll('#audit tbody td.host')].some(td => td.textContent === 'pi1')",
                  "the last row drawn after scrolling");
  CHECK(count(page, "#audit tbody tr:not(.spacer)") < 120);
  // The spacers stand for the rows left out: the table is as tall as 600 drawn rows would be.
  CHECK(page.evaluate("Math.abs(document.querySelector('#audit tbody').getBoundingClientRect().height - 600 * "
                      "document.querySelector('#audit tbody tr:not(.spacer)').getBoundingClientRect().height) < 2") ==
        true);
}
