// How text from outside (a target argument, a line of a file, a name from the network) is quoted in a
// one-line error or an output field: control characters escaped, and never more than a short excerpt.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pifind {

/// `text` with bytes below 0x20 and 0x7f written as \xNN, cut to `max_bytes` of input with "..." after:
/// a 200 MB line or a newline inside an argument cannot split or flood a one-line error.
std::string error_excerpt(std::string_view text, std::size_t max_bytes = 64);

}  // namespace pifind
