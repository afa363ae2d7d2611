// End to end: the dashboard served by a running collector, rendered by headless Chromium (Debian's package),
// must show every host and its drift in the table its script builds, and one chart point per host.
#include <catch2/catch.hpp>

#include "collector_fixture.h"

using namespace pifind;
using Catch::Matchers::Contains;

TEST_CASE("Headless Chromium renders the dashboard's audit table and drift chart") {
  test::CollectorFixture fx;
  REQUIRE(fx.post(test::sample_report(1, 1, -7.25)).status == 204);
  REQUIRE(fx.post(test::sample_report(2, 1, 3.5)).status == 204);
  REQUIRE(fx.post(test::sample_report(3, 1, 81.0)).status == 204);
  test::TempDir profile;
  const auto r = test::run_process({"timeout", "90", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                    "--no-first-run", "--user-data-dir=" + profile.path().string(), "--dump-dom",
                                    "http://127.0.0.1:" + std::to_string(fx.port()) + "/"});
  INFO(r.err.substr(0, 2000));
  REQUIRE(r.exit_status == 0);
  const std::string& dom = r.out;
  // These elements exist only if the page's script ran: the served HTML has an empty table body.
  CHECK_THAT(dom, Contains("data-rendered=\"yes\""));
  CHECK_THAT(dom, Contains("<td class=\"host\">pi1</td>"));
  CHECK_THAT(dom, Contains("<td class=\"host\">pi2</td>"));
  CHECK_THAT(dom, Contains("<td class=\"host\">pi3</td>"));
  CHECK_THAT(dom, Contains("<td class=\"num drift\">-7.250</td>"));
  CHECK_THAT(dom, Contains("<td class=\"num drift\">+3.500</td>"));
  CHECK_THAT(dom, Contains("<td class=\"num drift\">+81.000</td>"));
  CHECK_THAT(dom, Contains("<td class=\"verdict\">drift (outlier)</td>"));
  CHECK_THAT(dom, Contains("3 hosts: 2 pass, 1 fail"));
  std::size_t points = 0;
  for (auto at = dom.find("class=\"chart-point\""); at != std::string::npos; at = dom.find("class=\"chart-point\"", at + 1))
    ++points;
  CHECK(points == 3);
}
