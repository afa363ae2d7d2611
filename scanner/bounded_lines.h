// Reads a text file or stream line by line with a bound on each line and on the whole, so that
// `-f /dev/zero`, stdin without a newline or a 1 GB --oui-file end in a one-line error, not in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>

namespace pifind {

struct LineLimits {
  /// The longest line accepted, without its newline.
  std::size_t max_line_bytes = 4096;
  /// The most bytes read from the input in all.
  std::uint64_t max_total_bytes = 16 << 20;
};

class BoundedLineReader {
 public:
  /// `source` names the input in errors ("targets.txt", "stdin"); `hint` ends the too-large error.
  BoundedLineReader(std::istream& in, std::string source, LineLimits limits, std::string hint = {});

  /// The next line without its "\n" (a "\r" before it is kept); false at the end of the input.
  /// Throws Error("SOURCE:N: line longer than 4096 bytes") or ("SOURCE: more than 16 MiB ..."); the
  /// offending text is never echoed.
  bool next(std::string& line);

  /// The number of the line `next` returned last, from 1.
  std::size_t line_number() const { return line_number_; }

 private:
  std::istream& in_;
  std::string source_;
  LineLimits limits_;
  std::string hint_;
  std::uint64_t total_bytes_ = 0;
  std::size_t line_number_ = 0;
};

/// "16 MiB", "4096 bytes": a limit as a person reads it.
std::string byte_count_text(std::uint64_t bytes);

}  // namespace pifind
