#include "inventory/core/clean_text.h"

namespace pifind {

namespace {

// The length of the valid UTF-8 sequence at the start of `s` (no overlongs, surrogates or > U+10FFFF),
// 0 if it does not start with one; `code_point` gets its value.
std::size_t utf8_sequence(std::string_view s, char32_t& code_point) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) {
    code_point = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf && cont(1)) {
    code_point = (c & 0x1fu) << 6 | (b(1) & 0x3fu);
    return 2;
  }
  if (c >= 0xe0 && c <= 0xef && cont(1) && cont(2) && !(c == 0xe0 && b(1) < 0xa0) && !(c == 0xed && b(1) > 0x9f)) {
    code_point = (c & 0x0fu) << 12 | (b(1) & 0x3fu) << 6 | (b(2) & 0x3fu);
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4 && cont(1) && cont(2) && cont(3) && !(c == 0xf0 && b(1) < 0x90) &&
      !(c == 0xf4 && b(1) > 0x8f)) {
    code_point = (c & 0x07u) << 18 | (b(1) & 0x3fu) << 12 | (b(2) & 0x3fu) << 6 | (b(3) & 0x3fu);
    return 4;
  }
  return 0;
}

// No terminal escapes (C0, DEL, C1 such as U+009B CSI), no line breaks that YAML or logs honour (U+0085,
// U+2028, U+2029), no bidirectional overrides or isolates (U+202A-U+202E, U+2066-U+2069) that make a
// listing read differently from what it holds.
bool is_refused_character(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

bool is_clean_text(std::string_view s, std::size_t max_bytes) {
  if (s.size() > max_bytes) return false;
  while (!s.empty()) {
    char32_t c = 0;
    const std::size_t n = utf8_sequence(s, c);
    if (n == 0 || is_refused_character(c)) return false;
    s.remove_prefix(n);
  }
  return true;
}

std::string to_clean_text(std::string_view raw, std::size_t max_bytes) {
  std::string out;
  while (!raw.empty()) {
    char32_t c = 0;
    const std::size_t n = utf8_sequence(raw, c);
    const std::string_view piece = n == 0 || is_refused_character(c) ? std::string_view("?") : raw.substr(0, n);
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    raw.remove_prefix(n == 0 ? 1 : n);
  }
  return out;
}

}  // namespace pifind
