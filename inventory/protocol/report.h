// The agent report: what pifind-agent tells the collector about one Pi (identity, RTC, clocksource,
// time discipline, measured drift), as a versioned JSON document. The one definition both sides use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "inventory/core/clean_text.h"
#include "inventory/core/mac_address.h"

namespace pifind {

/// The schema this build writes. Readers accept any minor version of their own major and refuse a
/// newer major ("report schema 2.0 is newer than this collector understands (1.x)").
inline constexpr int kReportSchemaMajor = 1;
inline constexpr int kReportSchemaMinor = 1;  // 1.1: board_revision, warranty_voided, memory_mb, chip,
                                              // kernel_unknown, correction

/// Hard bounds checked by validate(); a report outside them is refused, not truncated.
inline constexpr std::size_t kMaxReportBytes = 64 * 1024;
inline constexpr std::size_t kMaxInterfaces = 32;
inline constexpr std::size_t kMaxAddressesPerInterface = 16;
inline constexpr std::size_t kMaxRtcs = 8;
inline constexpr std::size_t kMaxDriftEstimates = 8;
inline constexpr std::size_t kMaxListItems = 16;

struct NetworkInterface {
  std::string name;                    ///< "eth0"; [A-Za-z0-9_.:@-], at most 15 characters
  MacAddress mac;                      ///< its hardware address
  std::vector<std::string> addresses;  ///< "192.168.1.20/24", "fe80::1/64"
};

/// /proc/cpuinfo "Revision" decoded per the Raspberry Pi revision-code table.
struct BoardRevision {
  std::string code;                    ///< as printed by the kernel, lowercase hex ("c03111")
  bool new_style = false;              ///< bit 23 set: the fields below come from the bit layout
  std::string board;                   ///< "4B", "Zero 2 W", "B+" ("unknown (0x2a)" for an unlisted type)
  std::string processor;               ///< "BCM2711"
  std::optional<int> memory_mb;        ///< 4096
  std::string manufacturer;            ///< "Sony UK"
  std::optional<int> pcb_revision;     ///< the low nibble of new-style codes: 1 means rev 1.1
  std::string board_revision;          ///< the PCB revision as the documentation writes it: "1.1", "2.0" (1.1)
  std::optional<bool> warranty_voided; ///< new-style bit 25, old-style bit 24 (the "1000" prefix) (1.1)
};

struct OsInfo {
  std::string pretty_name;  ///< os-release PRETTY_NAME
  std::string id;           ///< os-release ID ("debian", "raspbian")
  std::string version_id;   ///< os-release VERSION_ID ("12")
};

struct Identity {
  std::string hostname;                       ///< RFC 1123 host name; empty if the Pi's is unset or invalid
  std::vector<NetworkInterface> interfaces;   ///< non-loopback interfaces with a MAC
  std::string primary_interface;              ///< the default route's interface, else the first
  std::string model;                          ///< /proc/device-tree/model ("Raspberry Pi 4 Model B Rev 1.1")
  std::optional<BoardRevision> revision;      ///< absent on non-Pi hardware
  std::string serial;                         ///< /proc/cpuinfo Serial (hex), else the device tree's; empty if absent
  std::optional<int> memory_mb;               ///< the revision's memory, else MemTotal rounded up to a power of two (1.1)
  OsInfo os;
  std::string kernel_release;                 ///< uname -r
  std::string machine;                        ///< uname -m ("aarch64", "armv6l")
  std::optional<double> uptime_s;             ///< /proc/uptime first field
  std::string boot_id;                        ///< /proc/sys/kernel/random/boot_id
};

/// Battery state as the RTC driver reports it; every field absent when the driver says nothing.
struct RtcBattery {
  std::optional<std::uint32_t> vl_flags;  ///< RTC_VL_READ bits: 1 data invalid, 2 low, 4 empty, 8 accuracy low, 16 switchover
  std::optional<double> voltage_v;        ///< rpi-rtc battery_voltage (sysfs reports microvolts)
};

struct RtcInfo {
  std::string device;                   ///< "rtc0"
  std::string driver;                   ///< sysfs name ("rtc-pcf2127-i2c 1-0051", "rpi-rtc soc:rpi_rtc")
  std::string chip;                     ///< the chip that name stands for ("PCF2127", "DS1307"), empty if unknown (1.1)
  std::optional<bool> hctosys;          ///< this RTC set the system clock at boot
  bool readable = false;                ///< RTC_RD_TIME on /dev/rtcN succeeded
  std::string read_error;               ///< why not ("busy: held by another process (EBUSY)"), empty when readable
  std::optional<double> rtc_minus_system_s;  ///< RTC time minus system (REALTIME) time at the read, whole-second RTC
  RtcBattery battery;
};

struct FakeHwclock {
  bool installed = false;               ///< the fake-hwclock script is present (/sbin or /usr/sbin)
  bool enabled = false;                 ///< its systemd unit or init script is enabled at boot
  bool data_present = false;            ///< /etc/fake-hwclock.data exists
  std::string saved_utc;                ///< its content ("2026-11-25 18:00:01")
  std::optional<double> age_s;          ///< now minus the saved time
};

struct RtcSection {
  std::vector<RtcInfo> devices;         ///< empty means the Pi has no RTC
  FakeHwclock fake_hwclock;
};

struct Clocksource {
  std::string current;                  ///< "arch_sys_counter", "stc", "timer", "tsc"
  std::vector<std::string> available;
};

/// adjtimex(2) read with modes 0.
struct KernelTimeState {
  bool synchronised = false;    ///< STA_UNSYNC clear and state not TIME_ERROR
  int state = 0;                ///< return value, TIME_OK (0) .. TIME_ERROR (5)
  std::int64_t status = 0;      ///< STA_* bits
  double freq_ppm = 0;          ///< frequency correction in use
  double offset_s = 0;          ///< remaining offset
  double maxerror_s = 0;
  double esterror_s = 0;
  std::int64_t tick_us = 0;     ///< microseconds per tick
};

struct Discipline {
  std::optional<KernelTimeState> kernel;  ///< absent if adjtimex failed or the state is not this system's
  std::string kernel_unknown;             ///< why kernel is absent ("read from a sysroot: ..."), else empty (1.1)
  std::vector<std::string> daemons;       ///< running: "chronyd", "ntpd", "systemd-timesyncd", ...
  std::string drift_file;                 ///< the daemon's drift file that was read, empty if none
  std::optional<double> drift_file_ppm;   ///< its frequency error, positive = system clock gaining
};

/// Overlapping Allan deviation at one averaging time.
struct AllanPoint {
  double tau_s = 0;
  double adev = 0;  ///< dimensionless (fractional frequency)
};

/// The adjtimex(8) settings that cancel a measured drift (see pifind-agent(8), THE CORRECTION).
struct ClockCorrection {
  std::int64_t tick = 0;       ///< µs per 10 ms tick, 9000..11000
  std::int64_t frequency = 0;  ///< 2^-16 ppm units, at most ±500 ppm (±32768000)
};

/// Where a drift estimate stands. In JSON: "ok", "collecting", "busy", "unavailable".
enum class DriftStatus {
  kOk,          ///< ppm and its uncertainty are set
  kCollecting,  ///< too few samples yet
  kBusy,        ///< the reference is held by another process (an RTC open elsewhere); retried
  kUnavailable  ///< the reference cannot be read or does not keep time; `message` says why
};
/// The JSON text of `status`.
std::string_view drift_status_name(DriftStatus status);
/// The status named `text`, or nothing for any other text.
std::optional<DriftStatus> parse_drift_status(std::string_view text);

/// How the system oscillator's rate differs from a reference (an RTC or an NTP server), measured on
/// CLOCK_MONOTONIC_RAW. Positive ppm: the system oscillator runs fast relative to the reference.
struct DriftEstimate {
  std::string reference;      ///< "rtc0", "ntp:pool.example.org"
  DriftStatus status = DriftStatus::kCollecting;
  std::string message;        ///< one line of why, for anything but kOk
  std::int64_t samples = 0;   ///< samples in the fit
  std::int64_t segments = 0;  ///< boot / step segments fitted with a common slope
  double window_s = 0;        ///< reference time spanned by the samples
  std::optional<double> ppm;
  std::optional<double> stderr_ppm;     ///< standard error of ppm
  std::optional<double> ci95_low_ppm;   ///< 95 % interval (Student t)
  std::optional<double> ci95_high_ppm;
  std::optional<double> s_per_day;      ///< ppm * 0.0864
  std::optional<double> residual_rms_s;
  bool nonconstant = false;             ///< the runs test or the split fit says the drift changed
  std::optional<double> runs_z;         ///< Wald-Wolfowitz z of residual signs (< -3 flags)
  std::optional<double> recent_ppm;     ///< slope of the most recent half, reported when nonconstant
  std::vector<AllanPoint> allan;
  std::optional<ClockCorrection> correction;  ///< with "ok": the settings that cancel ppm (1.1)
};

struct SpoolState {
  std::int64_t queued = 0;         ///< reports waiting in the spool, this one excluded
  std::int64_t dropped_total = 0;  ///< reports ever dropped because the spool was full
};

struct AgentReport {
  int schema_major = kReportSchemaMajor;
  int schema_minor = kReportSchemaMinor;
  MacAddress agent_id;                  ///< the primary interface's MAC; the collector keys by it
  std::uint64_t counter = 0;            ///< per agent, strictly increasing across sent reports (0: not for sending)
  std::string agent_version;
  std::optional<double> generated_unix_s;  ///< the agent's REALTIME clock; informational, never trusted
  Identity identity;
  RtcSection rtc;
  Clocksource clocksource;
  Discipline discipline;
  std::vector<DriftEstimate> drift;
  SpoolState spool;
};

/// Serialises to the documented JSON (see man/pifind-agent.8, section REPORT FORMAT).
nlohmann::json to_json(const AgentReport& report);
std::string to_body(const AgentReport& report);  ///< compact JSON text, the exact bytes that get signed

/// Parses and validates JSON text (a request body). Throws pifind::Error with a one-line reason for
/// malformed JSON, a newer major schema, missing or mistyped fields, or anything validate() refuses.
AgentReport parse_report(std::string_view body);

/// Checks the bounds a collector relies on: sizes, host and interface names, printable text, finite
/// numbers in plausible ranges. Returns the first problem as one line, or nothing if the report is fine.
std::optional<std::string> validate(const AgentReport& report);

/// True if `address` ("192.168.1.20/24", "fe80::1%eth0/64"; the prefix length is optional) is an IPv4 or
/// IPv6 address a device may report as its own: not loopback, multicast, unspecified or (IPv4) broadcast.
/// validate() refuses a report listing any other; the agent leaves such addresses out.
bool is_reportable_address(std::string_view address);

/// True for RFC 1123 host names (labels of [A-Za-z0-9-], not starting or ending with '-', <= 253).
bool is_valid_hostname(std::string_view name);

/// True for an interface name: 1 to 15 characters of [A-Za-z0-9_.:@-] (what the kernel allows, less the odd ones).
bool is_interface_name(std::string_view s);

}  // namespace pifind
