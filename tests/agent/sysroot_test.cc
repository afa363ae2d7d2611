// Sysroot (issues 13 and 14): symlinks resolve inside the root as on the running system, and no system
// file read blocks or grows without bound (FIFOs, device nodes, huge files, symlink loops).
#include "agent/sysroot.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <chrono>
#include <fstream>

#include <catch2/catch.hpp>

#include "agent/facts.h"
#include "agent/simulation.h"
#include "agent_test_support.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("an absolute symlink in a sysroot resolves inside it, as the kernel resolves it on the Pi") {
  TempDir tree;
  write(tree.path() / "sys/firmware/devicetree/base/model", std::string("Raspberry Pi 3 Model B Rev 1.2\0", 31));
  std::filesystem::create_directories(tree.path() / "proc");
  std::filesystem::create_symlink("/sys/firmware/devicetree/base", tree.path() / "proc/device-tree");
  // Relative links and ".." above the root stay inside it too.
  std::filesystem::create_symlink("../../../../../../../../etc/hostname-real", tree.path() / "sys/hostname-link");
  write(tree.path() / "etc/hostname-real", "pi3\n");
  Sysroot root(tree.path());
  CHECK(root.read_line("/proc/device-tree/model") == "Raspberry Pi 3 Model B Rev 1.2");
  CHECK(root.read_line("/sys/hostname-link") == "pi3");
  CHECK(root.path("/proc/device-tree/model") == tree.path() / "sys/firmware/devicetree/base/model");
  CHECK(root.exists("/proc/device-tree"));
  CHECK(root.list("/proc/device-tree") == std::vector<std::string>{"model"});
  // A link to a host path that the tree lacks is missing, not the host's file.
  std::filesystem::create_symlink("/etc/passwd", tree.path() / "etc/os-release");
  CHECK_FALSE(root.read("/etc/os-release"));
  CHECK_FALSE(root.exists("/etc/os-release"));
  CHECK(root.has_entry("/etc/os-release"));  // the dangling link itself is there
}

TEST_CASE("a symlink loop in a sysroot reads as missing") {
  TempDir tree;
  std::filesystem::create_directories(tree.path() / "proc");
  std::filesystem::create_symlink("/proc/b", tree.path() / "proc/a");
  std::filesystem::create_symlink("a", tree.path() / "proc/b");
  Sysroot root(tree.path());
  CHECK_FALSE(root.read("/proc/a"));
  CHECK_FALSE(root.exists("/proc/a"));
  CHECK(root.list("/proc/a").empty());
}

TEST_CASE("FIFOs, device nodes and oversized files are never read (issue 14)") {
  TempDir tree;
  std::filesystem::create_directories(tree.path() / "proc");
  REQUIRE(::mkfifo((tree.path() / "proc/cpuinfo").c_str(), 0600) == 0);
  write(tree.path() / "proc/uptime", std::string(100'000, '1'));
  std::filesystem::create_directories(tree.path() / "proc/sys");  // a directory where a file should be
  Sysroot root(tree.path());
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(root.read("/proc/cpuinfo"));  // a blocking open would wait here for a writer, for ever
  CHECK_FALSE(root.read_line("/proc/cpuinfo"));
  CHECK_FALSE(root.read("/proc/uptime", 4096));
  CHECK(root.read("/proc/uptime", 200'000));
  CHECK_FALSE(root.read("/proc/sys"));
  if (::mknod((tree.path() / "proc/zero").c_str(), S_IFCHR | 0600, ::makedev(1, 5)) == 0) {
    CHECK_FALSE(root.read("/proc/zero"));  // /dev/zero's numbers: endless if it were read
  } else {
    WARN("mknod not permitted here: the device-node case is not checked");
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));  // a hang, not a timing
}

TEST_CASE("facts from a tree whose system files are all FIFOs: every field empty, no hang") {
  TempDir tree;
  for (const char* f : {"proc/cpuinfo", "proc/meminfo", "proc/uptime", "proc/sys/kernel/hostname", "etc/hostname",
                        "etc/os-release", "proc/device-tree/model", "sys/class/rtc/rtc0/name",
                        "sys/devices/system/clocksource/clocksource0/current_clocksource",
                        "var/lib/chrony/chrony.drift", "proc/net/route", "etc/fake-hwclock.data"}) {
    std::filesystem::create_directories((tree.path() / f).parent_path());
    REQUIRE(::mkfifo((tree.path() / f).c_str(), 0600) == 0);
  }
  write(tree.path() / "sys/class/net/eth0/address", "b8:27:eb:00:00:01\n");
  Sysroot root(tree.path());
  SimulatedWorld world({});
  SimulatedClock clock(world);
  FakeRtcOpener opener;
  FixedKernelTime kernel;
  const auto r = gather_facts({root, clock, opener, kernel});
  CHECK(r.agent_id.to_string() == "b8:27:eb:00:00:01");
  CHECK(r.identity.model.empty());
  CHECK(r.identity.hostname.empty());
  CHECK_FALSE(r.identity.revision);
  CHECK(r.clocksource.current.empty());
  REQUIRE(r.rtc.devices.size() == 1);
  CHECK(r.rtc.devices[0].driver.empty());
}
