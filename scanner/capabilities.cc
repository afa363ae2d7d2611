#include "scanner/capabilities.h"

#include <sys/capability.h>
#include <unistd.h>

#include <cerrno>

#include "inventory/core/error.h"

namespace pifind {

void drop_capabilities_unless_root() {
  if (::geteuid() == 0) return;
  cap_t none = ::cap_init();  // every set empty
  if (none == nullptr) throw Error(system_error_text("cannot drop capabilities", errno));
  const int result = ::cap_set_proc(none);
  const int saved = errno;
  ::cap_free(none);
  if (result != 0) throw Error(system_error_text("cannot drop capabilities", saved));
}

}  // namespace pifind
