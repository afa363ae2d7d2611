#include "agent_test_support.h"

#include <cstring>

#include <catch2/catch.hpp>

namespace pifind::test {

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(PIFIND_SOURCE_DIR) / "tests/agent/fixtures" / name;
}

namespace {

class FakeRtc final : public PollingOnlyRtc {
 public:
  explicit FakeRtc(FakeRtcBehaviour b) : b_(b) {}
  RtcReading read_time() override { return {b_.unix_s, b_.unix_s ? 0 : b_.read_errno}; }
  std::optional<std::uint32_t> read_voltage_low_flags() override { return b_.vl_flags; }

 private:
  FakeRtcBehaviour b_;
};

}  // namespace

RtcOpenResult FakeRtcOpener::open(const std::string& name) {
  const auto it = devices.find(name);
  if (it == devices.end()) return {nullptr, false, "cannot open /dev/" + name + ": No such file or directory"};
  if (it->second.busy) return {nullptr, true, "/dev/" + name + " is held by another process (EBUSY); retrying later"};
  if (it->second.open_errno != 0)
    return {nullptr, false, "cannot open /dev/" + name + ": " + std::strerror(it->second.open_errno)};
  return {std::make_unique<FakeRtc>(it->second), false, {}};
}

}  // namespace pifind::test
