#include "agent/sysroot.h"

#include <algorithm>
#include <system_error>

#include "inventory/report_atomic_file.h"

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

namespace {

// The length of the valid UTF-8 sequence at the start of `s`, 0 if it does not start with one.
std::size_t utf8_length(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f)) return 0;  // overlong, surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xf0 && b(1) < 0x90) || (c == 0xf4 && b(1) > 0x8f)) return 0;  // overlong, > U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string report_text(std::string_view raw, std::size_t max_bytes) {
  const std::string trimmed = trim(raw);
  std::string_view rest = trimmed;
  std::string out;
  while (!rest.empty()) {
    const std::size_t n = utf8_length(rest);
    const bool control = n == 1 && (static_cast<unsigned char>(rest[0]) < 0x20 || rest[0] == 0x7f);
    const std::string_view piece = n == 0 || control ? std::string_view("?") : rest.substr(0, n);
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    rest.remove_prefix(n == 0 ? 1 : n);
  }
  return out;
}

}  // namespace pifind::agent
