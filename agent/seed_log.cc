#include "agent/seed_log.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "agent/sample_store.h"
#include "inventory/core/error.h"

namespace pifind::agent {
namespace {

// CMOS times after 2100-01-01 are refused: in nanoseconds, plus up to 1e9 s of difference, they must fit 64 bits.
constexpr long long kMaxCmosSeconds = 4'102'444'800;

struct Row {
  std::int64_t cmos_s = 0;
  double diff_s = 0;
  std::optional<AdjtimexSettings> current;
};

// One whole number: the tick and frequency columns.
std::optional<std::int64_t> whole(const std::string& token) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(token.c_str(), &end, 10);
  if (end == token.c_str() || *end != '\0' || errno != 0) return std::nullopt;
  return v;
}

// "1367834856 -0.002202 ..." : an integer, then a decimal; then adjtimex's other columns, which give the
// current tick and frequency: "TICK FREQ" on Debian's first row, "ERROR_PPM TICK FREQ [TICK FREQ]" after.
bool parse_row(const std::string& line, Row& row) {
  const char* p = line.c_str();
  char* end = nullptr;
  errno = 0;
  const long long cmos = std::strtoll(p, &end, 10);
  if (end == p || errno != 0 || (*end != ' ' && *end != '\t') || cmos <= 0 || cmos > kMaxCmosSeconds) return false;
  p = end;
  const double diff = std::strtod(p, &end);
  if (end == p || !std::isfinite(diff) || std::abs(diff) > 1e9) return false;
  if (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\r') return false;
  row.cmos_s = cmos;
  row.diff_s = diff;
  std::istringstream rest(end);
  std::vector<std::string> tokens;
  for (std::string t; rest >> t && tokens.size() < 6;) tokens.push_back(t);
  std::optional<std::int64_t> tick, freq;
  if (tokens.size() == 2) {
    tick = whole(tokens[0]);
    freq = whole(tokens[1]);
  } else if (tokens.size() == 3 || tokens.size() == 5) {
    tick = whole(tokens[1]);
    freq = whole(tokens[2]);
  }
  if (tick && freq && *tick >= kMinTickUs && *tick <= kMaxTickUs &&
      std::abs(static_cast<double>(*freq)) <= kMaxFrequencyPpm * kFrequencyPerPpm)
    row.current = AdjtimexSettings{*tick, *freq};
  return true;
}

}  // namespace

SeedLog parse_seed_log(std::string_view text) {
  SeedLog log;
  // The store supplies the segmenting rule (steps > 20 ms beyond the fitted line); nothing is saved.
  SampleStore store("/dev/null", static_cast<std::size_t>(-1) / 2);
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    line = line.substr(start);
    if (line[0] == '#' || line.find("cmos") != std::string::npos || line.find("current") != std::string::npos)
      continue;
    Row row;
    if (!parse_row(line, row)) {
      ++log.ignored_lines;
      continue;
    }
    ++log.rows;
    if (row.current) {
      if (log.settings && (log.settings->tick_us != row.current->tick_us ||
                           log.settings->frequency != row.current->frequency) && log.settings_changed_at_row == 0)
        log.settings_changed_at_row = log.rows;
      log.settings = row.current;
    }
    const std::int64_t reference_ns = row.cmos_s * 1'000'000'000LL;
    const std::int64_t system_ns = reference_ns + std::llround(row.diff_s * 1e9);
    if (store.add(reference_ns, system_ns, "log") && log.rows > 1) ++log.steps;
  }
  if (log.rows == 0) throw Error("no adjtimex --compare rows (\"CMOS_SECONDS SYSTEM_MINUS_CMOS ...\") in the log");
  log.samples.assign(store.samples().begin(), store.samples().end());
  const auto& a = log.samples.front();
  const auto& b = log.samples.back();
  if (b.reference_ns != a.reference_ns)
    log.endpoint_ppm = static_cast<double>((b.raw_ns - a.raw_ns) - (b.reference_ns - a.reference_ns)) /
                       static_cast<double>(b.reference_ns - a.reference_ns) * 1e6;
  return log;
}

}  // namespace pifind::agent
