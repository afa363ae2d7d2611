#include "agent/rtc_device.h"

#include <fcntl.h>
#include <linux/rtc.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "inventory/core/error.h"

namespace pifind::agent {
namespace {

class LinuxRtcDevice final : public RtcDevice {
 public:
  explicit LinuxRtcDevice(int fd) : fd_(fd) {}
  ~LinuxRtcDevice() override {
    if (uie_on_) ::ioctl(fd_, RTC_UIE_OFF, 0);
    ::close(fd_);
  }
  LinuxRtcDevice(const LinuxRtcDevice&) = delete;
  LinuxRtcDevice& operator=(const LinuxRtcDevice&) = delete;

  RtcReading read_time() override {
    rtc_time t{};
    if (::ioctl(fd_, RTC_RD_TIME, &t) != 0) return {std::nullopt, errno};
    std::tm tm{};
    tm.tm_sec = t.tm_sec;
    tm.tm_min = t.tm_min;
    tm.tm_hour = t.tm_hour;
    tm.tm_mday = t.tm_mday;
    tm.tm_mon = t.tm_mon;
    tm.tm_year = t.tm_year;
    const time_t s = ::timegm(&tm);
    if (s == static_cast<time_t>(-1)) return {std::nullopt, EINVAL};
    return {static_cast<std::int64_t>(s), 0};
  }

  std::optional<std::uint32_t> read_voltage_low_flags() override {
    unsigned int flags = 0;
    if (::ioctl(fd_, RTC_VL_READ, &flags) != 0) return std::nullopt;
    return flags;
  }

  bool enable_update_interrupt() override {
    uie_on_ = ::ioctl(fd_, RTC_UIE_ON, 0) == 0;
    return uie_on_;
  }

  bool wait_update_interrupt(int timeout_ms) override {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    unsigned long data = 0;
    return ::read(fd_, &data, sizeof data) == static_cast<ssize_t>(sizeof data) && (data & RTC_UF) != 0;
  }

 private:
  int fd_;
  bool uie_on_ = false;
};

}  // namespace

RtcOpenResult LinuxRtcOpener::open(const std::string& name) {
  const std::string path = root_.path("/dev/" + name).string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {nullptr, false, system_error_text("cannot open " + path, errno)};
  if (!S_ISCHR(st.st_mode)) return {nullptr, false, path + " is not a character device"};
  // O_NONBLOCK: an update-interrupt read() then never blocks past the poll() that announced it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    if (e == EBUSY) return {nullptr, true, path + " is held by another process (EBUSY); retrying later"};
    return {nullptr, false, system_error_text("cannot open " + path, e)};
  }
  if (::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
    ::close(fd);
    return {nullptr, false, path + " is not a character device"};
  }
  return {std::make_unique<LinuxRtcDevice>(fd), false, {}};
}

}  // namespace pifind::agent
