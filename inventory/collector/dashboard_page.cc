#include "inventory/collector/dashboard_page.h"

#include <nlohmann/json.hpp>

#include "inventory/outputs/audit_svg.h"

namespace pifind {
namespace {

// The audit as JSON safe inside <script>: '<' is escaped so no text from the network can close the element.
std::string page_data(const AuditResult& audit) {
  const nlohmann::json data = audit_to_json(audit);
  std::string text = data.dump();
  std::string safe;
  for (char c : text) {
    if (c == '<')
      safe += "\\u003c";
    else
      safe += c;
  }
  return safe;
}

constexpr const char* kHead = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pifind fleet</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<style>
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px}
th,td{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td.verdict{color:#c62828;font-weight:bold}
tr.ok td.verdict{color:#2e7d32}
#summary{margin:0.8em 0}
</style></head><body>
<h1>pifind fleet</h1>
<p id="summary"></p>
<table id="audit"><thead><tr><th>Host</th><th>IP</th><th>Drift ppm</th><th>± ppm</th><th>s/day</th><th>RTC</th>
<th>Clocksource</th><th>Sync</th><th>Report age</th><th>Verdict</th></tr></thead><tbody></tbody></table>
<h2>Drift</h2>
<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="760" height="60"></svg>
<script type="application/json" id="fleet-data">)HTML";

constexpr const char* kScript = R"JS(</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("fleet-data").textContent);
const fmt = (v, digits, sign) => v === null ? "-" : (sign && v >= 0 ? "+" : "") + v.toFixed(digits);
const yesNo = v => v === null ? "-" : (v ? "yes" : "no");
const age = s => s === null ? "-" : s < 120 ? s + "s" : s < 7200 ? Math.floor(s / 60) + "m" :
  s < 172800 ? Math.floor(s / 3600) + "h" : Math.floor(s / 86400) + "d";
const body = document.querySelector("#audit tbody");
for (const h of data.hosts) {
  const row = document.createElement("tr");
  row.className = h.verdict === "ok" ? "ok" : "fail";
  const cells = [[h.name, "host"], [h.ip, ""], [fmt(h.drift_ppm, 3, true), "num drift"],
    [fmt(h.uncertainty_ppm, 3, false), "num"], [fmt(h.s_per_day, 4, true), "num"], [yesNo(h.rtc_present), ""],
    [h.clocksource || "-", ""], [yesNo(h.ntp_synchronised), ""], [age(h.report_age_s), "num"],
    [h.problems.length ? h.problems.join(", ") + (h.outlier ? " (outlier)" : "") : "ok", "verdict"]];
  for (const [text, cls] of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
  }
  body.appendChild(row);
}
const s = data.summary;
document.getElementById("summary").textContent = s.hosts + " hosts: " + s.passed + " pass, " + s.failed +
  " fail" + (s.median_ppm === null ? "" : "; median drift " + fmt(s.median_ppm, 3, true) + " ppm, worst " +
  s.worst + " at " + fmt(s.worst_ppm, 3, true) + " ppm") +
  (s.outliers.length ? "; outliers: " + s.outliers.join(", ") : "");

// Drift chart: one row per host, a dot at the estimate and a bar for ±1 uncertainty, the band is ±max_ppm.
const NS = "http://www.w3.org/2000/svg", chart = document.getElementById("chart");
const W = 760, L = 170, R = 20, ROW = 18, TOP = 10;
const el = (name, attrs, text) => {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  chart.appendChild(e);
  return e;
};
let extent = data.thresholds.max_ppm;
for (const h of data.hosts)
  if (h.drift_ppm !== null) extent = Math.max(extent, Math.abs(h.drift_ppm) + (h.uncertainty_ppm || 0));
extent *= 1.1;
const x = v => L + (v + extent) / (2 * extent) * (W - L - R);
const bottom = TOP + ROW * Math.max(data.hosts.length, 1);
chart.setAttribute("height", bottom + 30);
el("rect", {x: x(-data.thresholds.max_ppm), y: TOP, width: x(data.thresholds.max_ppm) - x(-data.thresholds.max_ppm),
  height: bottom - TOP, fill: "#e8f5e9"});
el("line", {x1: x(0), x2: x(0), y1: TOP, y2: bottom, stroke: "#888"});
data.hosts.forEach((h, i) => {
  const y = TOP + ROW * (i + 0.5);
  el("text", {x: L - 6, y: y + 4, "text-anchor": "end", "font-size": 12, class: "chart-host"}, h.name);
  if (h.drift_ppm === null) return;
  const u = h.uncertainty_ppm || 0, colour = h.verdict === "ok" ? "#2ca02c" : "#d62728";
  el("line", {x1: x(h.drift_ppm - u), x2: x(h.drift_ppm + u), y1: y, y2: y, stroke: colour, "stroke-width": 2});
  el("circle", {cx: x(h.drift_ppm), cy: y, r: 4, fill: colour, class: "chart-point",
    "data-drift-ppm": h.drift_ppm});
});
for (const v of [-extent, 0, extent])
  el("text", {x: x(v), y: bottom + 14, "font-size": 11, "text-anchor": "middle"}, v === 0 ? "0" : fmt(v, 1, true));
document.body.dataset.rendered = "yes";
</script>
)JS";

}  // namespace

std::string render_dashboard_page(const AuditResult& audit) {
  std::string page = kHead;
  page += page_data(audit);
  page += kScript;
  // The same picture `pifind audit --plot` draws, offset history included, for browsers without scripts.
  page += "<h2>Audit plot</h2>\n" + render_audit_svg(audit) + "</body></html>\n";
  return page;
}

}  // namespace pifind
