#include "inventory/transport/report_counter.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/file_lock.h"
#include "inventory/core/whole_file.h"

namespace pifind {

ReportCounter::ReportCounter(std::filesystem::path state_dir)
    : path_(std::move(state_dir) / "counter"), last_(read_file()) {}

std::uint64_t ReportCounter::read_file() const {
  const auto text = read_small_file(path_, 64);
  if (!text) return 0;
  std::string_view digits = *text;
  while (!digits.empty() && digits.back() == '\n') digits.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    throw Error(fmt::format("counter file {} is corrupt; restore it or set it above the collector's last value",
                            path_.string()));
  return value;
}

std::uint64_t ReportCounter::next() {
  const FileLock lock(path_);
  const std::uint64_t value = std::max(last_, read_file()) + 1;
  if (value > static_cast<std::uint64_t>(INT64_MAX)) throw Error("report counter exhausted");
  write_file_atomically(path_, fmt::format("{}\n", value));
  last_ = value;
  return value;
}

}  // namespace pifind
