#include "inventory/transport/spool.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"
#include "inventory/protocol/report.h"

namespace pifind {
namespace {

constexpr std::string_view kMagic = "pifind-spool/1";
constexpr std::string_view kSuffix = ".report";

}  // namespace

Spool::Spool(std::filesystem::path dir, std::size_t max_reports, std::size_t max_bytes)
    : dir_(std::move(dir)), max_reports_(std::max<std::size_t>(max_reports, 1)), max_bytes_(max_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw Error(fmt::format("cannot create spool directory {}: {}", dir_.string(), ec.message()));
  if (const auto text = read_small_file(dir_ / "dropped", 64)) {
    std::from_chars(text->data(), text->data() + text->size(), dropped_);
    if (dropped_ < 0) dropped_ = 0;
  }
}

std::filesystem::path Spool::file_of(std::uint64_t counter) const {
  return dir_ / fmt::format("{:020}{}", counter, kSuffix);
}

void Spool::count_dropped(std::int64_t n) {
  if (n <= 0) return;
  dropped_ += n;
  write_file_atomically(dir_ / "dropped", fmt::format("{}\n", dropped_));
}

std::vector<std::uint64_t> Spool::queued() const {
  std::vector<std::uint64_t> counters;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) continue;
    std::uint64_t c = 0;
    const auto [p, e] = std::from_chars(name.data(), name.data() + 20, c);
    if (e == std::errc() && p == name.data() + 20) counters.push_back(c);
  }
  std::sort(counters.begin(), counters.end());
  return counters;
}

std::vector<std::uint64_t> Spool::push(const SignedReport& r) {
  write_file_atomically(file_of(r.counter),
                        fmt::format("{}\n{}\n{}\n{}\n{}", kMagic, r.agent, r.counter, r.signature, r.body));
  auto counters = queued();
  std::size_t total = 0;
  std::vector<std::uintmax_t> sizes;
  for (auto c : counters) {
    std::error_code ec;
    sizes.push_back(std::filesystem::file_size(file_of(c), ec));
    total += sizes.back();
  }
  // The oldest go: every report carries the whole current estimate, so the newest supersedes them.
  std::vector<std::uint64_t> dropped;
  std::size_t i = 0;
  while (counters.size() - i > max_reports_ || (total > max_bytes_ && counters.size() - i > 1)) {
    std::error_code ec;
    std::filesystem::remove(file_of(counters[i]), ec);
    total -= sizes[i];
    dropped.push_back(counters[i]);
    ++i;
  }
  if (!dropped.empty()) {
    sync_directory(dir_);
    count_dropped(static_cast<std::int64_t>(dropped.size()));
  }
  return dropped;
}

std::optional<SignedReport> Spool::read(std::uint64_t counter) {
  std::optional<std::string> text;
  try {
    text = read_small_file(file_of(counter), kMaxReportBytes + 1024);
  } catch (const Error&) {
  }
  SignedReport r;
  bool ok = false;
  if (text) {
    std::string_view rest = *text;
    std::string_view lines[4];
    ok = true;
    for (auto& line : lines) {
      const auto nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        ok = false;
        break;
      }
      line = rest.substr(0, nl);
      rest.remove_prefix(nl + 1);
    }
    if (ok && lines[0] == kMagic && lines[2] == std::to_string(counter)) {
      r.agent = lines[1];
      r.counter = counter;
      r.signature = lines[3];
      r.body = rest;
    } else {
      ok = false;
    }
  }
  if (!ok) {
    remove(counter);
    count_dropped(1);
    return std::nullopt;
  }
  return r;
}

void Spool::remove(std::uint64_t counter) {
  std::error_code ec;
  if (std::filesystem::remove(file_of(counter), ec)) sync_directory(dir_);
}

}  // namespace pifind
