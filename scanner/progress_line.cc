#include "scanner/progress_line.h"

namespace pifind {

void ProgressLine::erase() {
  if (enabled_ && !text_.empty()) terminal_ << "\r\033[K" << std::flush;
}

void ProgressLine::show(const std::string& text) {
  if (!enabled_) return;
  text_ = text;
  terminal_ << "\r\033[K" << text_ << std::flush;
}

void ProgressLine::print_above(std::ostream& out, const std::string& line) {
  erase();
  out << line << '\n' << std::flush;
  if (enabled_ && !text_.empty()) terminal_ << text_ << std::flush;
}

void ProgressLine::clear() {
  erase();
  text_.clear();
}

}  // namespace pifind
