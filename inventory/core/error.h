// A one-line, user-facing error, thrown where bad input or a failed system call is detected and
// caught at a program boundary (main, a request handler), which prints it and picks the exit status.
#pragma once

#include <stdexcept>
#include <string>

namespace pifind {

/// An error whose what() is a single line a user can act on ("unknown interface 'eth9' ...").
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `what: strerror(errno_value)` as one line, for failed system calls.
std::string system_error_text(const std::string& what, int errno_value);

}  // namespace pifind
