// The progress line at the bottom of a terminal: rewritten in place on standard error, and kept below
// the table rows and messages printed while a scan runs (as arp-scan's table grows above it).
#pragma once

#include <ostream>
#include <string>

namespace pifind {

class ProgressLine {
 public:
  /// `enabled`: standard error is a terminal and progress is wanted; otherwise every call only prints
  /// what it is given.
  ProgressLine(std::ostream& terminal, bool enabled) : terminal_(terminal), enabled_(enabled) {}

  /// Replaces the progress line with `text`.
  void show(const std::string& text);
  /// Prints `line` (and a newline) on `out` above the progress line, which is drawn again below it.
  void print_above(std::ostream& out, const std::string& line);
  /// Removes the progress line for good.
  void clear();

 private:
  void erase();

  std::ostream& terminal_;
  bool enabled_;
  std::string text_;
};

}  // namespace pifind
