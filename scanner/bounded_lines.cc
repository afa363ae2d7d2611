#include "scanner/bounded_lines.h"

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {

std::string byte_count_text(std::uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}

BoundedLineReader::BoundedLineReader(std::istream& in, std::string source, LineLimits limits, std::string hint)
    : in_(in), source_(std::move(source)), limits_(limits), hint_(std::move(hint)) {}

bool BoundedLineReader::next(std::string& line) {
  line.clear();
  std::streambuf* buffer = in_.rdbuf();
  if (buffer == nullptr) return false;
  bool read_any = false;
  while (true) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      if (!read_any) return false;
      break;  // a last line without a newline
    }
    read_any = true;
    if (++total_bytes_ > limits_.max_total_bytes) {
      throw Error(fmt::format("{}: more than {}{}", source_, byte_count_text(limits_.max_total_bytes),
                              hint_.empty() ? "" : "; " + hint_));
    }
    if (c == '\n') break;
    if (line.size() == limits_.max_line_bytes) {
      throw Error(fmt::format("{}:{}: line longer than {}", source_, line_number_ + 1,
                              byte_count_text(limits_.max_line_bytes)));
    }
    line.push_back(static_cast<char>(c));
  }
  ++line_number_;
  return true;
}

}  // namespace pifind
