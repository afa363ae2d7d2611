#include "agent/sysroot.h"

#include <algorithm>
#include <system_error>

#include "inventory/core/whole_file.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

Sysroot::Sysroot(std::filesystem::path root)
    : root_(std::move(root)), live_(std::filesystem::weakly_canonical(root_) == "/") {}

std::filesystem::path Sysroot::path(std::string_view absolute) const {
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  return root_ / std::filesystem::path(absolute);
}

std::optional<std::string> Sysroot::read(std::string_view absolute, std::size_t max_bytes) const {
  try {
    return read_small_file(path(absolute), max_bytes);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> Sysroot::read_line(std::string_view absolute) const {
  auto text = read(absolute, 4096);
  if (!text) return std::nullopt;
  const auto newline = text->find('\n');
  return trim(std::string_view(*text).substr(0, newline));
}

std::vector<std::string> Sysroot::list(std::string_view absolute_dir) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(path(absolute_dir), ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string trim(std::string_view s) {
  auto junk = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0'; };
  while (!s.empty() && junk(s.front())) s.remove_prefix(1);
  while (!s.empty() && junk(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string report_text(std::string_view raw, std::size_t max_bytes) { return to_clean_text(trim(raw), max_bytes); }

}  // namespace pifind::agent
