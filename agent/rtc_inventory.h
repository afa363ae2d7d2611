// Which RTCs the Pi has and whether they work: /sys/class/rtc/rtcN (driver name, hctosys, rpi-rtc's
// battery_voltage) and, through RtcOpener, RTC_RD_TIME and RTC_VL_READ on /dev/rtcN.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/clock.h"
#include "agent/rtc_device.h"
#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

/// One entry per /sys/class/rtc/rtcN, in name order; empty when the Pi has no RTC.
/// rtc_minus_system_s here is whole-second (one read); the drift sampler refines it from edge timing.
std::vector<RtcInfo> read_rtcs(const Sysroot& root, RtcOpener& opener, Clock& clock);

/// The chip an RTC's sysfs name stands for, as the kernel prints it: "rtc-ds1307 1-0068" -> "DS1307",
/// "rtc-pcf2127-i2c 1-0051" -> "PCF2127", "rpi-rtc soc@107c000000:rpi_rtc" -> the Pi 5's own. The I2C
/// client's name (device/name: "ds3231", "mcp7940x"), where the tree has it, says which chip of a
/// driver's family is fitted. Empty for a name that is not a driver name.
std::string rtc_chip(std::string_view sysfs_name, std::string_view client_name = {});

/// rpi-rtc's battery_voltage (microvolts in sysfs) in volts; nothing if absent or unparsable.
std::optional<double> read_battery_voltage_v(const Sysroot& root, const std::string& rtc);

}  // namespace pifind::agent
