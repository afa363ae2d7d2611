// What the fuzz targets assert beyond "does not crash": a failed property prints one line and aborts,
// which libFuzzer records as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace pifind::fuzz {

inline void require(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", property);
  std::abort();
}

/// Errors are one line (STYLE.md): the collector sends them as a reply body, main prints them as they are.
inline bool one_line(std::string_view message) { return message.find_first_of("\r\n") == std::string_view::npos; }

}  // namespace pifind::fuzz
