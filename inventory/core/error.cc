#include "inventory/core/error.h"

#include <cstring>

namespace pifind {

std::string system_error_text(const std::string& what, int errno_value) {
  return what + ": " + std::strerror(errno_value);
}

}  // namespace pifind
