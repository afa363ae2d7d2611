// The kernel clocksource behind the system clock (stc / timer on BCM2835, arch_sys_counter on later Pis,
// tsc or kvm-clock on a VM): current and available.
#pragma once

#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

/// /sys/devices/system/clocksource/clocksource0/{current,available}_clocksource.
Clocksource read_clocksource(const Sysroot& root);

}  // namespace pifind::agent
