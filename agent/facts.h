// Gathers the static part of a report (identity, RTCs, fake-hwclock, clocksource, time discipline)
// from a sysroot and the injected devices; the drift part comes from DriftMonitor.
#pragma once

#include "agent/clock.h"
#include "agent/rtc_device.h"
#include "agent/sysroot.h"
#include "agent/time_discipline.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

struct FactsSources {
  const Sysroot& root;
  Clock& clock;
  RtcOpener& rtc;
  KernelTimeSource& kernel;
};

/// Everything but drift and spool state. counter is 0 (the reporter assigns it). A missing, unreadable
/// or oversized file leaves its field empty (absent for numbers); garbage in a text file shows as '?'
/// in its own field: the report stays valid. Throws pifind::Error if the machine has no interface with
/// a MAC (then it has no identity to report under).
AgentReport gather_facts(const FactsSources& sources);

}  // namespace pifind::agent
