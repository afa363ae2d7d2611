// Shared by the agent tests: fixture paths, a fake kernel time source and an RTC opener whose devices behave
// as told.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "agent/rtc_device.h"
#include "agent/time_discipline.h"
#include "tests/support/temp_dir.h"

namespace pifind::test {

using namespace pifind::agent;

/// tests/agent/fixtures/<name>.
std::filesystem::path fixture(const std::string& name);

using pifind::test::TempDir;

class FixedKernelTime final : public KernelTimeSource {
 public:
  std::optional<KernelTimeState> read() override {
    return kernel_time_state(0, 0x2001, -8 * 65536 - 52560, 12345, 250000, 1000, 10000);
  }
};

/// An RTC without voltage flags or an update interrupt (the agent polls it), as many chips are: a test's
/// RTC gives only read_time().
class PollingOnlyRtc : public RtcDevice {
 public:
  std::optional<std::uint32_t> read_voltage_low_flags() override { return std::nullopt; }
  bool enable_update_interrupt() override { return false; }
  bool wait_update_interrupt(int) override { return false; }
};

/// An RTC whose every read returns `unix_s` (or fails with `error`), with `vl_flags`.
struct FakeRtcBehaviour {
  bool busy = false;
  int open_errno = 0;
  std::optional<std::int64_t> unix_s;
  int read_errno = 0;
  std::optional<std::uint32_t> vl_flags;
};

class FakeRtcOpener final : public RtcOpener {
 public:
  std::map<std::string, FakeRtcBehaviour> devices;
  RtcOpenResult open(const std::string& name) override;
};

}  // namespace pifind::test
