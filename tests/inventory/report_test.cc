#include "inventory/protocol/report.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"

using namespace pifind;
using nlohmann::json;

namespace {

AgentReport sample_report() {
  AgentReport r;
  r.agent_id = *MacAddress::parse("dc:a6:32:01:02:03");
  r.counter = 7;
  r.agent_version = "0.1.0";
  r.generated_unix_s = 1.7e9;
  r.identity.hostname = "pi4-kitchen";
  r.identity.interfaces = {{"eth0", r.agent_id, {"192.168.1.20/24", "fe80::dea6:32ff:fe01:203/64"}},
                           {"wlan0", *MacAddress::parse("dc:a6:32:01:02:04"), {}}};
  r.identity.primary_interface = "eth0";
  r.identity.model = "Raspberry Pi 4 Model B Rev 1.1";
  r.identity.revision = BoardRevision{"c03111", true, "4B", "BCM2711", 4096, "Sony UK", 1, "", std::nullopt};
  r.identity.serial = "10000000abcdef01";
  r.identity.os = {"Debian GNU/Linux 12 (bookworm)", "debian", "12"};
  r.identity.kernel_release = "6.1.0-rpi7-rpi-v8";
  r.identity.machine = "aarch64";
  r.identity.uptime_s = 3600.5;
  r.identity.boot_id = "0f0e0d0c-0b0a-0908-0706-050403020100";
  RtcInfo rtc;
  rtc.device = "rtc0";
  rtc.driver = "rtc-pcf2127-i2c 1-0051";
  rtc.hctosys = true;
  rtc.readable = true;
  rtc.rtc_minus_system_s = -0.25;
  rtc.battery.vl_flags = 2;
  r.rtc.devices.push_back(rtc);
  r.clocksource = {"arch_sys_counter", {"arch_sys_counter"}};
  r.discipline.kernel = KernelTimeState{true, 0, 0x2001, -8.8, 1e-5, 0.1, 0.001, 10000};
  r.discipline.daemons = {"chronyd"};
  r.discipline.drift_file = "/var/lib/chrony/chrony.drift";
  r.discipline.drift_file_ppm = -8.802;
  DriftEstimate e;
  e.reference = "rtc0";
  e.status = DriftStatus::kOk;
  e.samples = 1800;
  e.segments = 1;
  e.window_s = 3600;
  e.ppm = 40.689;
  e.stderr_ppm = 0.01;
  e.ci95_low_ppm = 40.67;
  e.ci95_high_ppm = 40.71;
  e.s_per_day = 3.5155;
  e.residual_rms_s = 3e-4;
  e.runs_z = 0.4;
  e.allan = {{2, 1e-4}, {20, 1e-5}};
  r.drift.push_back(e);
  r.spool = {2, 5};
  return r;
}

std::string with(std::string body, const std::string& from, const std::string& to) {
  const auto at = body.find(from);
  REQUIRE(at != std::string::npos);
  return body.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("report round-trips through its JSON body") {
  const AgentReport r = sample_report();
  const std::string body = to_body(r);
  const AgentReport back = parse_report(body);
  CHECK(to_body(back) == body);
  CHECK(back.agent_id == r.agent_id);
  CHECK(back.counter == 7);
  CHECK(back.identity.revision->memory_mb == 4096);
  CHECK(back.rtc.devices.at(0).battery.vl_flags == 2u);
  CHECK(back.drift.at(0).ppm == Approx(40.689));
  CHECK(back.discipline.kernel->tick_us == 10000);
  CHECK(json::parse(body).at("schema") == "1.1");
  CHECK(json::parse(body).at("rtc").at("present") == true);
}

TEST_CASE("report readers refuse a newer major schema with a clear message, accept a newer minor") {
  const std::string body = to_body(sample_report());
  CHECK_THROWS_WITH(parse_report(with(body, "\"schema\":\"1.1\"", "\"schema\":\"2.0\"")),
                    Catch::Contains("newer than this reader understands"));
  CHECK(parse_report(with(body, "\"schema\":\"1.1\"", "\"schema\":\"1.7\"")).schema_minor == 7);
  CHECK_THROWS_WITH(parse_report(with(body, "\"schema\":\"1.1\"", "\"schema\":\"one\"")),
                    Catch::Contains("MAJOR.MINOR"));
}

TEST_CASE("report parsing rejects hostile or malformed input with one line") {
  const std::string body = to_body(sample_report());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\"hostname\":\"pi4-kitchen\"", "\"hostname\":\"evil;rm -rf\""},
      {"\"hostname\":\"pi4-kitchen\"", "\"hostname\":\"-lead\""},
      {"\"hostname\":\"pi4-kitchen\"", "\"hostname\":42"},
      {"\"counter\":7", "\"counter\":-1"},
      {"\"counter\":7", "\"counter\":1.5"},
      {"\"ppm\":40.689", "\"ppm\":1e300"},
      {"\"name\":\"eth0\"", "\"name\":\"eth0 \\u001b[31m\""},
      {"\"agent_id\":\"dc:a6:32:01:02:03\"", "\"agent_id\":\"ff:ff:ff:ff:ff:ff\""},
      {"\"agent_id\":\"dc:a6:32:01:02:03\"", "\"agent_id\":\"dc:a6:32:99:99:99\""},
      {"\"status\":\"ok\"", "\"status\":\"great\""},
      {"\"model\":\"Raspberry Pi 4 Model B Rev 1.1\"", "\"model\":\"" + std::string(300, 'x') + "\""},
  };
  for (const auto& [from, to] : cases) {
    INFO(to.substr(0, 60));
    try {
      parse_report(with(body, from, to));
      FAIL("accepted");
    } catch (const Error& e) {
      const std::string what = e.what();
      CHECK(what.find('\n') == std::string::npos);
      CHECK(what.rfind("report: ", 0) == 0);
    }
  }
  CHECK_THROWS_WITH(parse_report("{"), "report: not valid JSON");
  CHECK_THROWS_WITH(parse_report("[]"), "report: not a JSON object");
  CHECK_THROWS_WITH(parse_report(std::string(kMaxReportBytes + 1, ' ')), Catch::Contains("larger than"));
  CHECK_THROWS_WITH(parse_report(with(body, "\"boot_id\"", "\"boot_idx\"")),
                    Catch::Contains("'identity.boot_id' is missing"));
}

TEST_CASE("report validation bounds list sizes") {
  AgentReport r = sample_report();
  CHECK_FALSE(validate(r));
  r.identity.hostname.clear();  // unknown is allowed, invalid is not
  CHECK_FALSE(validate(r));
  for (int i = 0; i < 40; ++i)
    r.identity.interfaces.push_back({"eth" + std::to_string(i + 1), MacAddress::from_u64(0x020000000000ULL + i), {}});
  REQUIRE(validate(r));
  CHECK(*validate(r) == "identity.interfaces has too many entries");
}

TEST_CASE("hostnames follow RFC 1123") {
  CHECK(is_valid_hostname("raspberrypi"));
  CHECK(is_valid_hostname("pi-1.lab.example.org"));
  CHECK(is_valid_hostname("3pi"));
  CHECK_FALSE(is_valid_hostname(""));
  CHECK_FALSE(is_valid_hostname("pi_1"));
  CHECK_FALSE(is_valid_hostname("pi-"));
  CHECK_FALSE(is_valid_hostname("a..b"));
  CHECK_FALSE(is_valid_hostname(std::string(64, 'a')));
  CHECK(is_valid_hostname(std::string(63, 'a')));
}

TEST_CASE("fields added within a major version are optional on read") {
  std::string body = to_body(sample_report());
  body = with(body, "\"enabled\":false,", "");
  body = with(body, "\"installed\":false,", "");
  const auto r = parse_report(body);
  CHECK_FALSE(r.rtc.fake_hwclock.installed);
  CHECK_FALSE(r.rtc.fake_hwclock.enabled);
}

TEST_CASE("schema 1.1 fields round-trip, are checked, and a 1.0 report without them still reads") {
  AgentReport r = sample_report();
  r.identity.revision->board_revision = "1.1";
  r.identity.revision->warranty_voided = false;
  r.identity.memory_mb = 4096;
  r.rtc.devices[0].chip = "PCF2127";
  r.discipline.kernel.reset();
  r.discipline.kernel_unknown = "read from a sysroot";
  r.drift[0].correction = ClockCorrection{10000, -2666554};
  const std::string body = to_body(r);
  const AgentReport back = parse_report(body);
  CHECK(to_body(back) == body);
  CHECK(back.identity.revision->board_revision == "1.1");
  CHECK(back.identity.revision->warranty_voided == false);
  CHECK(back.identity.memory_mb == 4096);
  CHECK(back.rtc.devices[0].chip == "PCF2127");
  CHECK(back.discipline.kernel_unknown == "read from a sysroot");
  REQUIRE(back.drift[0].correction);
  CHECK(back.drift[0].correction->frequency == -2666554);
  // The kernel's own range: tick 9000..11000, frequency ±500 ppm.
  r.drift[0].correction->tick = 12000;
  CHECK(validate(r) == std::optional<std::string>("drift.correction is outside the kernel's tick and frequency range"));
  // The fuzz corpus's 1.0 reports carry none of them.
  const auto old = parse_report(read_whole_file(std::filesystem::path(PIFIND_SOURCE_DIR) /
                                                "tests/fuzz/corpus/report_fuzz/pi4_chrony_rtc.json"));
  CHECK(old.schema_minor == 0);
  CHECK_FALSE(old.drift[0].correction);
  CHECK(old.identity.revision->board_revision.empty());
  CHECK_FALSE(old.identity.memory_mb);
}

TEST_CASE("to_clean_text makes any bytes a text field the collector accepts, and keeps clean text as it is") {
  const std::string clean[] = {"Raspberry Pi 5 Model B Rev 1.0", "Debian GNU/Linux 12 (bookworm)", "Ωmega café 日本",
                               "emoji \xF0\x9F\x8D\x93 ok", ""};
  for (const auto& s : clean) {
    CHECK(is_clean_text(s));
    CHECK(to_clean_text(s, kMaxTextBytes) == s);
  }
  const std::pair<std::string, std::string> hostile[] = {
      {"line\nbreak", "line?break"},
      {"esc\x1b[31mred", "esc?[31mred"},
      {"del\x7f", "del?"},
      {"csi \xC2\x9B" "2J", "csi ?2J"},                  // U+009B, a C1 terminal escape
      {"nel \xC2\x85 yaml", "nel ? yaml"},                // U+0085, a line break to YAML
      {"ls \xE2\x80\xA8 ps \xE2\x80\xA9", "ls ? ps ?"},    // U+2028, U+2029
      {"rlo \xE2\x80\xAEtxt.exe", "rlo ?txt.exe"},        // U+202E right-to-left override
      {"iso \xE2\x81\xA6x\xE2\x81\xA9", "iso ?x?"},        // U+2066 .. U+2069 isolates
      {"bad \xff\xfe utf8", "bad ?? utf8"},
      {"overlong \xC0\xAF", "overlong ??"},
      {"surrogate \xED\xA0\x80", "surrogate ???"},
      {"cut \xE2\x82", "cut ??"},
  };
  for (const auto& [raw, expected] : hostile) {
    CHECK_FALSE(is_clean_text(raw));
    CHECK(to_clean_text(raw, kMaxTextBytes) == expected);
    CHECK(is_clean_text(to_clean_text(raw, kMaxTextBytes)));
  }
  // Cut to the bound on a character boundary: a 3-byte character that would cross it is left out.
  CHECK(to_clean_text("ab\xE6\x97\xA5", 4) == "ab");
  CHECK(to_clean_text(std::string(1000, 'x'), 64).size() == 64);
}
