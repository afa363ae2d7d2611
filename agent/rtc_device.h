// One open /dev/rtcN, behind an interface so the edge sampler runs against a simulated RTC in tests.
// The Linux implementation uses RTC_RD_TIME, RTC_VL_READ and the update interrupt (RTC_UIE_ON + read).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/sysroot.h"

namespace pifind::agent {

/// The outcome of one RTC read: whole seconds since the Unix epoch (the RTC's own time, read as UTC),
/// or the errno that made it fail (EINVAL: time not set / oscillator stopped; EIO, EREMOTEIO: bus error).
struct RtcReading {
  std::optional<std::int64_t> unix_s;
  int error = 0;
};

class RtcDevice {
 public:
  virtual ~RtcDevice() = default;
  /// RTC_RD_TIME.
  virtual RtcReading read_time() = 0;
  /// RTC_VL_READ flags, nothing if the driver does not implement it.
  virtual std::optional<std::uint32_t> read_voltage_low_flags() = 0;
  /// RTC_UIE_ON; false when the driver has no update interrupt (EINVAL, ENOTTY: poll instead).
  virtual bool enable_update_interrupt() = 0;
  /// Blocks until the next update interrupt or `timeout_ms`; true if one arrived. Only after
  /// enable_update_interrupt() returned true.
  virtual bool wait_update_interrupt(int timeout_ms) = 0;
};

/// Opening /dev/rtcN: the device, or why not (`busy` for EBUSY: another process holds it).
struct RtcOpenResult {
  std::unique_ptr<RtcDevice> device;
  bool busy = false;
  std::string error;  ///< one line, empty on success
};

class RtcOpener {
 public:
  virtual ~RtcOpener() = default;
  /// `name` is "rtc0"; the opener decides the path (/dev/rtc0 under the sysroot for the real one).
  virtual RtcOpenResult open(const std::string& name) = 0;
};

/// Opens /dev/<name> under `root` read-only with the Linux RTC ioctls; only a character device is
/// opened (a FIFO or a plain file copied into a tree would block or mean nothing).
class LinuxRtcOpener final : public RtcOpener {
 public:
  explicit LinuxRtcOpener(Sysroot root) : root_(std::move(root)) {}
  RtcOpenResult open(const std::string& name) override;

 private:
  Sysroot root_;
};

}  // namespace pifind::agent
