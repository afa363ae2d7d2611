#include "agent/rtc_inventory.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace pifind::agent {

std::string rtc_chip(std::string_view sysfs_name, std::string_view client_name) {
  auto upper = [](std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  };
  auto identifier = [](std::string_view s) {
    return !s.empty() && s.size() <= 32 && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string_view::npos;
  };
  std::string_view driver = sysfs_name.substr(0, sysfs_name.find(' '));
  if (driver == "rpi-rtc" || driver == "rpi_rtc") return "Raspberry Pi 5 RTC (firmware)";
  if (driver == "rtc_cmos") return "MC146818 (PC CMOS)";
  if (identifier(client_name)) return upper(client_name);
  if (driver.starts_with("rtc-")) driver.remove_prefix(4);
  for (std::string_view bus : {"-i2c", "-spi"})
    if (driver.ends_with(bus)) driver.remove_suffix(bus.size());
  return identifier(driver) ? upper(driver) : std::string();
}

std::optional<double> read_battery_voltage_v(const Sysroot& root, const std::string& rtc) {
  const auto line = root.read_line("/sys/class/rtc/" + rtc + "/battery_voltage");
  if (!line) return std::nullopt;
  long long microvolts = 0;
  const auto [end, ec] = std::from_chars(line->data(), line->data() + line->size(), microvolts);
  if (ec != std::errc() || end != line->data() + line->size() || microvolts < 0 || microvolts > 100'000'000)
    return std::nullopt;
  return static_cast<double>(microvolts) / 1e6;
}

std::vector<RtcInfo> read_rtcs(const Sysroot& root, RtcOpener& opener, Clock& clock) {
  std::vector<RtcInfo> rtcs;
  for (const auto& name : root.list("/sys/class/rtc")) {
    // rtcN only: anything else in the directory is not an RTC the report could name.
    const bool rtc_n = name.size() > 3 && name.size() <= 15 && name.starts_with("rtc") &&
                       name.find_first_not_of("0123456789", 3) == std::string::npos;
    if (!rtc_n || rtcs.size() >= kMaxRtcs) continue;
    RtcInfo info;
    info.device = name;
    info.driver = root.read_line("/sys/class/rtc/" + name + "/name").value_or("");
    info.chip = rtc_chip(info.driver, root.read_line("/sys/class/rtc/" + name + "/device/name").value_or(""));
    if (const auto h = root.read_line("/sys/class/rtc/" + name + "/hctosys")) info.hctosys = *h == "1";
    info.battery.voltage_v = read_battery_voltage_v(root, name);
    auto opened = opener.open(name);
    if (!opened.device) {
      info.read_error = opened.error;
    } else {
      const auto reading = opened.device->read_time();
      const std::int64_t now_ns = clock.realtime_ns();
      const double offset_s =
          reading.unix_s ? static_cast<double>(*reading.unix_s) - static_cast<double>(now_ns) * 1e-9 : 0;
      if (reading.unix_s && std::abs(offset_s) >= 1e10) {
        info.read_error = fmt::format("RTC_RD_TIME: the RTC reads {} s from the system time: not a usable time",
                                      std::llround(offset_s));
      } else if (reading.unix_s) {
        info.readable = true;
        info.rtc_minus_system_s = offset_s;
      } else if (reading.error == EINVAL) {
        info.read_error = "RTC_RD_TIME: time not set or oscillator stopped (EINVAL)";
      } else {
        info.read_error = std::string("RTC_RD_TIME: ") + std::strerror(reading.error);
      }
      info.battery.vl_flags = opened.device->read_voltage_low_flags();
    }
    rtcs.push_back(std::move(info));
  }
  return rtcs;
}

}  // namespace pifind::agent
