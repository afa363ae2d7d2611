// bench/dashboard: how fast the dashboard of a large fleet is in a real browser. Two commands, run by
// bench/dashboard.sh around a real `pifind serve`:
//   dashboard_bench generate -o FILE   writes an inventory: managed Pis with drift histories (a few drifting,
//                                      stale or without an estimate), unmanaged Pis and other devices
//   dashboard_bench measure --url URL  loads the page in headless Chromium (DevTools protocol) several times
//                                      and prints the medians of what a user waits for, one RESULT line
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "inventory/store/inventory_file.h"
#include "inventory/store/report_merge.h"
#include "inventory/store/scan_merge.h"
#include "tests/support/headless_chromium.h"
#include "tests/support/sample_report.h"

using namespace pifind;

namespace {

struct FleetShape {
  int devices = 10000;
  int managed = 3000;
  int other = 1000;
};

Inventory make_fleet(const FleetShape& shape, TimePoint now) {
  Inventory inv;
  const int unmanaged = shape.devices - shape.managed - shape.other;
  for (int i = 0; i < shape.managed; ++i) {
    const MacAddress mac = MacAddress::from_u64(0xdca632000000ULL + static_cast<std::uint64_t>(i));
    // One in fifty drifts beyond 50 ppm, one in a hundred went quiet three hours ago, one in a hundred has no
    // estimate yet; the rest spread over ±20 ppm.
    const double drift_ppm = i % 50 == 7 ? 55.0 + i % 40 : -20.0 + 40.0 * ((i * 7919) % 1000) / 1000.0;
    const bool stale = i % 100 == 13, collecting = i % 100 == 29;
    const TimePoint last = now - (stale ? std::chrono::hours(3) : std::chrono::seconds(30 + i % 270));
    AgentReport report = collecting ? test::minimal_report(mac, 1, fmt::format("pi-m{:05}", i), "")
                                    : test::pi_report(mac, 1, fmt::format("pi-m{:05}", i), "", drift_ppm, 0.05);
    report.identity.interfaces[0].addresses = {fmt::format("10.{}.{}.{}/8", 64 + i / 65536, (i / 256) % 256, i % 256)};
    merge_report(inv, report, last);
    if (collecting) continue;
    // A day of reports every 30 minutes: the RTC's offset grows with the drift.
    InventoryRecord& record = *inv.find_by_mac(mac);
    record.drift_history.clear();
    for (int k = 0; k < static_cast<int>(kDriftHistoryLimit); ++k) {
      const auto at = last - std::chrono::minutes(30) * (static_cast<int>(kDriftHistoryLimit) - 1 - k);
      record.add_drift_sample({at, drift_ppm, 0.05, drift_ppm * 1e-6 * 1800.0 * k});
    }
  }
  std::vector<ScanSighting> sightings;
  for (int i = 0; i < unmanaged + shape.other; ++i) {
    ScanSighting s;
    const bool pi = i < unmanaged;
    s.mac = MacAddress::from_u64((pi ? 0xb827eb000000ULL : 0x001122000000ULL) + static_cast<std::uint64_t>(i));
    s.ip = Ipv4Address(0x0a800000u + static_cast<std::uint32_t>(i));  // 10.128.0.0 and up
    s.raspberry_pi = pi;
    s.vendor = pi ? "Raspberry Pi Foundation" : "Other Corp";
    s.seen = now - std::chrono::seconds(i % 3600);
    sightings.push_back(s);
  }
  merge_scan(inv, sightings, "eth0");
  return inv;
}

// Before the page's own scripts: long tasks (the main thread busy for more than 50 ms) and the first frame
// drawn after the load event.
constexpr const char* kProbe = R"JS(
window.__probe = {longTasks: [], loadFrame: null};
try {
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) window.__probe.longTasks.push([e.startTime, e.duration]);
  }).observe({type: "longtask", buffered: true});
} catch (e) {}
addEventListener("load", () => requestAnimationFrame(() => requestAnimationFrame(() => {
  window.__probe.loadFrame = performance.now();
})));
)JS";

// What one load gives, in ms since navigation start unless named otherwise.
constexpr const char* kCollect = R"JS((() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const rendered = performance.getEntriesByName("pifind-rendered")[0];
  const fcp = paint ? paint.startTime : nav.loadEventEnd;
  const tasks = window.__probe.longTasks;
  const blocking = tasks.reduce((sum, t) => sum + Math.max(0, t[1] - 50), 0);
  const lastTaskEnd = tasks.reduce((end, t) => Math.max(end, t[0] + t[1]), 0);
  return {
    html_kib: nav.transferSize / 1024,
    server_ms: nav.responseStart - nav.requestStart,
    received_ms: nav.responseEnd,
    fcp_ms: fcp,
    rendered_ms: rendered ? rendered.startTime : null,
    load_ms: nav.loadEventEnd,
    first_frame_ms: window.__probe.loadFrame,
    interactive_ms: Math.max(fcp, lastTaskEnd, window.__probe.loadFrame),
    blocking_ms: blocking,
    dom_nodes: document.getElementsByTagName("*").length,
  };
})())JS";

// A sort by a header click and a scroll to the middle of the table, each until the next frame is drawn;
// then one refresh (fetch of v1/audit and redraw). Only for pages that have them.
constexpr const char* kInteract = R"JS((async () => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const out = {sort_ms: null, scroll_ms: null, refresh_fetch_ms: null, refresh_draw_ms: null};
  const header = document.querySelector("#audit th[data-key=drift]");
  if (header) {
    const t0 = performance.now();
    header.click();
    await frame();
    out.sort_ms = performance.now() - t0;
  }
  const wrap = document.getElementById("managed-wrap");
  if (wrap) {
    const t0 = performance.now();
    wrap.scrollTop = wrap.scrollHeight / 2;
    await frame();
    out.scroll_ms = performance.now() - t0;
  }
  if (typeof render === "function") {
    const t0 = performance.now();
    const audit = await (await fetch("v1/audit", {cache: "no-store"})).json();
    const t1 = performance.now();
    render(audit);
    await frame();
    out.refresh_fetch_ms = t1 - t0;
    out.refresh_draw_ms = performance.now() - t1;
  }
  return out;
})())JS";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int measure(const std::string& url, int runs, const std::string& label) {
  test::HeadlessChromium browser(std::chrono::minutes(3));
  browser.add_script_on_new_document(kProbe);
  std::map<std::string, std::vector<double>> values;
  const char* order[] = {"html_kib",     "server_ms", "received_ms", "fcp_ms",      "rendered_ms",
                         "load_ms",      "first_frame_ms", "interactive_ms", "blocking_ms", "dom_nodes",
                         "sort_ms",      "scroll_ms", "refresh_fetch_ms", "refresh_draw_ms"};
  for (int run = 0; run < runs; ++run) {
    browser.open("about:blank", "true");
    browser.open(url, "window.__probe && window.__probe.loadFrame !== null");
    // Long tasks still running after the first frame count too: wait for a quiet second.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto result = browser.evaluate(kCollect);
    result.update(browser.evaluate(kInteract));
    std::cout << label << " run " << run + 1 << ":";
    for (const char* key : order) {
      if (result.at(key).is_null()) continue;
      const double v = result.at(key).get<double>();
      values[key].push_back(v);
      std::cout << fmt::format(" {}={:.0f}", key, v);
    }
    std::cout << '\n';
  }
  std::cout << "RESULT " << label;
  for (const char* key : order)
    if (values.count(key)) std::cout << fmt::format(" {}={:.1f}", key, median(values[key]));
  std::cout << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The dashboard of a large fleet in headless Chromium"};
  app.require_subcommand(1);
  FleetShape shape;
  std::string out;
  auto* generate = app.add_subcommand("generate", "Write an inventory of a large fleet");
  generate->add_option("-o", out, "Inventory file to write")->required();
  generate->add_option("--devices", shape.devices, "Devices in all")->capture_default_str();
  generate->add_option("--managed", shape.managed, "Of which Pis whose agent reports")->capture_default_str();
  generate->add_option("--other", shape.other, "Of which devices that are not Pis")->capture_default_str();
  std::string url, label = "dashboard";
  int runs = 3;
  auto* measure_cmd = app.add_subcommand("measure", "Load the dashboard at URL and time it");
  measure_cmd->add_option("--url", url, "The dashboard's URL")->required();
  measure_cmd->add_option("--runs", runs, "Page loads")->check(CLI::PositiveNumber)->capture_default_str();
  measure_cmd->add_option("--label", label, "Name on the RESULT line")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    if (generate->parsed()) {
      if (shape.managed + shape.other > shape.devices) throw std::runtime_error("--managed + --other exceeds --devices");
      const auto now = std::chrono::system_clock::now();
      write_inventory_file(out, make_fleet(shape, now), now);
      std::cout << fmt::format("{}: {} devices, {} managed, {} unmanaged Pis, {} others\n", out, shape.devices,
                               shape.managed, shape.devices - shape.managed - shape.other, shape.other);
      return 0;
    }
    return measure(url, runs, label);
  } catch (const std::exception& e) {
    std::cerr << "dashboard_bench: " << e.what() << '\n';
    return 2;
  }
}
