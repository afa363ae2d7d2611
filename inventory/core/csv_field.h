// One CSV text field as RFC 4180 writes it, made safe to open in a spreadsheet.
// Every CSV pifind prints (scan results, inventory exports) quotes its text through this.
#pragma once

#include <string>
#include <string_view>

namespace pifind {

/// Quotes `text` when it holds a comma, quote or line break, doubling the quotes. Text starting with
/// '=', '+', '-' or '@' gets a "'" first, so a spreadsheet never evaluates network-supplied text.
std::string csv_text_field(std::string_view text);

}  // namespace pifind
