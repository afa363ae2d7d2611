// Text that may be shown to an admin as it is: valid UTF-8 without terminal escapes, line breaks or
// bidirectional controls. Reports, scan documents and the scanner's names off the wire all pass through it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pifind {

/// The longest free-text field a report or scan document carries, unless the field says less.
inline constexpr std::size_t kMaxTextBytes = 256;

/// True if `s` is at most `max_bytes`, valid UTF-8 (no overlongs, surrogates or > U+10FFFF), and holds
/// none of the characters that change how a listing reads: C0 and C1 controls, DEL, U+0085, U+2028/U+2029,
/// bidi overrides and isolates.
bool is_clean_text(std::string_view s, std::size_t max_bytes = kMaxTextBytes);

/// `raw` made clean: each character is_clean_text() refuses, and each byte that is not valid UTF-8,
/// becomes '?'; cut to at most `max_bytes` on a character boundary. is_clean_text(to_clean_text(x, n), n)
/// holds for every x.
std::string to_clean_text(std::string_view raw, std::size_t max_bytes);

}  // namespace pifind
