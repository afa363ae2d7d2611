// A sender's device key file (the agent's, a scanner's): made 0600 on first use, the same key after, refused
// in one line when it is unsafe or broken, and one key even when two processes make it at once.
#include "inventory/transport/device_key_file.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "inventory/core/whole_file.h"
#include "tests/support/error_of.h"
#include "tests/support/processes.h"
#include "tests/support/temp_dir.h"

using namespace pifind;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string error_of(const fs::path& dir) {
  return test::error_of([&] { load_or_create_device_key(dir); });
}

}  // namespace

TEST_CASE("the device key is made 0600 on first use and is the same key after") {
  TempDir dir;
  CHECK_FALSE(load_device_key(dir.path()));  // loading alone makes none
  CHECK_FALSE(fs::exists(dir.path() / kDeviceKeyFile));
  bool created = false;
  const DevicePublicKey first = load_or_create_device_key(dir.path(), &created).public_key();
  CHECK(created);
  CHECK((fs::status(dir.path() / kDeviceKeyFile).permissions() & fs::perms::mask) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(read_small_file(dir.path() / kDeviceKeyFile, 4096)->rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  CHECK(load_or_create_device_key(dir.path(), &created).public_key() == first);
  CHECK_FALSE(created);
  CHECK(load_device_key(dir.path())->public_key() == first);
}

TEST_CASE("an unsafe or broken device key file is refused in one line that never quotes it") {
  TempDir dir;
  const fs::path file = dir.path() / kDeviceKeyFile;
  SECTION("not a key") {
    write_file_atomically(file, "secret-looking text\n", 0600);
    const std::string error = error_of(dir.path());
    CHECK_THAT(error, Catch::Contains("device key " + file.string()) && Catch::Contains("pifind keys forget"));
    CHECK(error.find("secret-looking") == std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
  }
  SECTION("readable by others") {
    load_or_create_device_key(dir.path());
    fs::permissions(file, fs::perms::others_read, fs::perm_options::add);
    CHECK_THAT(error_of(dir.path()), Catch::Contains("accessible by group or others"));
  }
  SECTION("a symlink") {
    TempDir elsewhere;
    load_or_create_device_key(elsewhere.path());
    fs::create_symlink(elsewhere.path() / kDeviceKeyFile, file);
    CHECK_THAT(error_of(dir.path()), Catch::Contains("cannot open device key") && Catch::Contains("symbolic links"));
  }
}

TEST_CASE("two processes making the key of one state directory at once end up with one key") {
  // Two scanner units of one machine (pifind-scan@eth0 and @wlan0) share a state directory and may start
  // together: a key made and then overwritten by the other would have signed a scan the collector pinned.
  TempDir dir;
  constexpr int kDirs = 40;
  for (int d = 0; d < kDirs; ++d) fs::create_directory(dir.path() / std::to_string(d));
  const auto statuses = test::run_in_processes(2, [&](int p) {
    for (int d = 0; d < kDirs; ++d) {
      const fs::path state = dir.path() / std::to_string(d);
      write_file_atomically(state / ("seen" + std::to_string(p)), load_or_create_device_key(state).public_key().to_string());
    }
  });
  REQUIRE(statuses == std::vector<int>{0, 0});
  for (int d = 0; d < kDirs; ++d) {
    const fs::path state = dir.path() / std::to_string(d);
    const std::string on_disk = load_or_create_device_key(state).public_key().to_string();
    INFO("state directory " << d);
    CHECK(read_small_file(state / "seen0", 128) == on_disk);
    CHECK(read_small_file(state / "seen1", 128) == on_disk);
  }
}
