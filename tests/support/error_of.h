// The one-line message of the pifind::Error a call throws, for tests that check what a refusal says: one helper
// instead of a try/catch in every test file.
#pragma once

#include <string>
#include <utility>

#include "inventory/core/error.h"

namespace pifind::test {

/// What `f()` threw as a pifind::Error, or `none` when it threw nothing.
template <typename F>
std::string error_of(F&& f, const std::string& none = "no error") {
  try {
    std::forward<F>(f)();
  } catch (const Error& e) {
    return e.what();
  }
  return none;
}

}  // namespace pifind::test
