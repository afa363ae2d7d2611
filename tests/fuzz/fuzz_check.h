// What the fuzz targets assert beyond "does not crash": a failed property prints one line and aborts,
// which libFuzzer records as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "inventory/core/error.h"

namespace pifind::fuzz {

inline void require(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", property);
  std::abort();
}

/// Errors are one line (STYLE.md): the collector sends them as a reply body, main prints them as they are.
inline bool one_line(std::string_view message) { return message.find_first_of("\r\n") == std::string_view::npos; }

/// `parse()`'s result, or nothing when it refused the input with pifind::Error, whose message must be one line
/// (`property` names that requirement, e.g. "report errors are one line").
template <typename Parse>
auto parsed_or_refused(Parse parse, const char* property) -> std::optional<decltype(parse())> {
  try {
    return parse();
  } catch (const Error& e) {
    require(one_line(e.what()), property);
    return std::nullopt;
  }
}

}  // namespace pifind::fuzz
