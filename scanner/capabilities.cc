#include "scanner/capabilities.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "inventory/core/error.h"

namespace pifind {
namespace {

__user_cap_header_struct header() {
  __user_cap_header_struct h{};
  h.version = _LINUX_CAPABILITY_VERSION_3;
  h.pid = 0;
  return h;
}

}  // namespace

void drop_capabilities_unless_root() {
  if (geteuid() == 0) return;
  __user_cap_header_struct h = header();
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capset, &h, data) != 0) throw Error(system_error_text("cannot drop capabilities", errno));
}

}  // namespace pifind
