#include "inventory/outputs/audit_svg.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace pifind {
namespace {

constexpr double kWidth = 760, kLeft = 170, kRight = 20, kRowHeight = 18, kTop = 40;
constexpr const char* kColours[] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"};

std::string escape_xml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A linear map from [lo, hi] to [a, b].
struct Scale {
  double lo, hi, a, b;
  double operator()(double v) const { return hi == lo ? (a + b) / 2 : a + (v - lo) / (hi - lo) * (b - a); }
};

std::string drift_panel(const AuditResult& audit, double& y_end) {
  double extent = audit.thresholds.max_ppm;
  for (const auto& h : audit.hosts)
    if (h.drift_ppm) extent = std::max(extent, std::abs(*h.drift_ppm) + h.uncertainty_ppm.value_or(0));
  extent *= 1.1;
  const Scale x{-extent, extent, kLeft, kWidth - kRight};
  const double bottom = kTop + kRowHeight * static_cast<double>(std::max<std::size_t>(audit.hosts.size(), 1));
  std::string out = fmt::format(
      "<text x=\"{}\" y=\"24\" font-weight=\"bold\">Drift (ppm) with ±1σ error bars; band: ±{} ppm</text>\n", kLeft,
      audit.thresholds.max_ppm);
  out += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#e8f5e9\"/>\n",
                     x(-audit.thresholds.max_ppm), kTop, x(audit.thresholds.max_ppm) - x(-audit.thresholds.max_ppm),
                     bottom - kTop);
  out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2:.1f}\" stroke=\"#888\"/>\n", x(0), kTop,
                     bottom);
  for (std::size_t i = 0; i < audit.hosts.size(); ++i) {
    const auto& h = audit.hosts[i];
    const double y = kTop + kRowHeight * (static_cast<double>(i) + 0.5);
    out += fmt::format("<text class=\"host\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"12\">{}</text>\n",
                       kLeft - 6, y + 4, escape_xml(h.alias));
    if (!h.drift_ppm) continue;
    const double u = h.uncertainty_ppm.value_or(0);
    const char* colour = h.passed() ? "#2ca02c" : "#d62728";
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>\n",
                       x(*h.drift_ppm - u), x(*h.drift_ppm + u), y, colour);
    out += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"><title>{} {:+.3f} ± {:.3f} ppm</title></circle>\n",
        x(*h.drift_ppm), y, colour, escape_xml(h.alias), *h.drift_ppm, u);
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{:+.1f}</text>\n",
                     x(-extent), bottom + 14, -extent);
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">0</text>\n", x(0),
                     bottom + 14);
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{:+.1f}</text>\n",
                     x(extent), bottom + 14, extent);
  y_end = bottom + 30;
  return out;
}

// The step of a time axis over [t0, t1] (UTC seconds): the smallest round one giving at most six ticks.
double tick_step_s(double t0, double t1) {
  constexpr double kSteps[] = {1,    2,    5,    10,    15,    30,    60,    120,   300,    600,
                               900,  1800, 3600, 7200,  10800, 21600, 43200, 86400, 172800, 604800};
  for (const double s : kSteps)
    if ((t1 - t0) / s <= 6) return s;
  return kSteps[std::size(kSteps) - 1];
}

// Tick instants at multiples of `step` (aligned to the epoch, so to UTC midnight for whole days).
std::vector<double> time_ticks(double t0, double t1, double step) {
  std::vector<double> ticks;
  for (double t = std::ceil(t0 / step) * step; t <= t1 && ticks.size() < 8; t += step) ticks.push_back(t);
  if (ticks.empty()) ticks.push_back(t0);  // a single instant
  return ticks;
}

// "HH:MM:SS" for steps under a minute, "HH:MM" within two days, "MM-DD" beyond.
std::string tick_label(double t, double step, double span_s) {
  const std::string utc = format_utc(TimePoint(std::chrono::seconds(static_cast<long long>(t))));
  if (step < 60) return utc.substr(11, 8);
  return span_s < 2 * 86400 ? utc.substr(11, 5) : utc.substr(5, 5);
}

std::string history_panel(const AuditResult& audit, double top, double& y_end) {
  double t0 = 0, t1 = 0, lo = 0, hi = 0;
  bool first = true;
  for (const auto& h : audit.histories) {
    for (const auto& s : h.samples) {
      const double t = std::chrono::duration<double>(s.at.time_since_epoch()).count();
      if (first) t0 = t1 = t, lo = hi = s.offset_s, first = false;
      t0 = std::min(t0, t), t1 = std::max(t1, t), lo = std::min(lo, s.offset_s), hi = std::max(hi, s.offset_s);
    }
  }
  const double height = 160;
  std::string out = fmt::format(
      "<text x=\"{}\" y=\"{:.1f}\" font-weight=\"bold\">Offset history (s) of the {} worst hosts</text>\n", kLeft,
      top + 16, audit.histories.size());
  const double plot_top = top + 28;
  const Scale x{t0, t1, kLeft, kWidth - kRight};
  const Scale y{lo, hi, plot_top + height, plot_top};
  out += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#ccc\"/>\n", kLeft,
                     plot_top, kWidth - kRight - kLeft, height);
  for (std::size_t i = 0; i < audit.histories.size(); ++i) {
    const OffsetHistory& h = audit.histories[i];
    std::string points;
    for (const auto& s : h.samples)
      points += fmt::format("{:.1f},{:.1f} ", x(std::chrono::duration<double>(s.at.time_since_epoch()).count()),
                            y(s.offset_s));
    const char* colour = kColours[i % std::size(kColours)];
    out += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", colour, points);
    out += fmt::format("<text x=\"8\" y=\"{:.1f}\" font-size=\"12\" fill=\"{}\">{}</text>\n",
                       plot_top + 14 + 16 * static_cast<double>(i), colour, escape_xml(h.alias));
  }
  out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{:.3g}</text>\n", kLeft - 4,
                     plot_top + 10, hi);
  out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{:.3g}</text>\n", kLeft - 4,
                     plot_top + height, lo);
  const double bottom = plot_top + height;
  if (!audit.histories.empty()) {
    const double step = tick_step_s(t0, t1);
    for (const double t : time_ticks(t0, t1, step)) {
      out += fmt::format("<line class=\"time-tick\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#ccc\"/>\n",
                         x(t), bottom, bottom + 4);
      out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n", x(t),
                         bottom + 16, tick_label(t, step, t1 - t0));
    }
    out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">time (UTC)</text>\n",
                       kWidth - kRight, bottom + 30);
  }
  y_end = bottom + 40;
  return out;
}

}  // namespace

std::string render_audit_svg(const AuditResult& audit) {
  double drift_end = 0, history_end = 0;
  const std::string drift = drift_panel(audit, drift_end);
  const std::string history = history_panel(audit, drift_end, history_end);
  return fmt::format(
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1:.0f}\" viewBox=\"0 0 {0} {1:.0f}\" "
             "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
             kWidth, history_end) +
         drift + history + "</svg>\n";
}

}  // namespace pifind
