// Which RTCs the Pi has and whether they work: /sys/class/rtc/rtcN (driver name, hctosys, rpi-rtc's
// battery_voltage) and, through RtcOpener, RTC_RD_TIME and RTC_VL_READ on /dev/rtcN.
#pragma once

#include <vector>

#include "agent/clock.h"
#include "agent/rtc_device.h"
#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

/// One entry per /sys/class/rtc/rtcN, in name order; empty when the Pi has no RTC.
/// rtc_minus_system_s here is whole-second (one read); the drift sampler refines it from edge timing.
std::vector<RtcInfo> read_rtcs(const Sysroot& root, RtcOpener& opener, Clock& clock);

/// rpi-rtc's battery_voltage (microvolts in sysfs) in volts; nothing if absent or unparsable.
std::optional<double> read_battery_voltage_v(const Sysroot& root, const std::string& rtc);

}  // namespace pifind::agent
