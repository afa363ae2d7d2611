#include "inventory/protocol/report.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/core/error.h"
#include "inventory/core/ipv6_address.h"
#include "inventory/core/json_reader.h"

namespace pifind {
namespace {

using nlohmann::json;

// --- writing -------------------------------------------------------------------------------------

template <typename T>
void put(json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

json to_json(const BoardRevision& r) {
  json j{{"code", r.code}, {"new_style", r.new_style}, {"board", r.board}, {"processor", r.processor},
         {"manufacturer", r.manufacturer}};
  put(j, "memory_mb", r.memory_mb);
  put(j, "pcb_revision", r.pcb_revision);
  if (!r.board_revision.empty()) j["board_revision"] = r.board_revision;
  put(j, "warranty_voided", r.warranty_voided);
  return j;
}

json to_json(const Identity& id) {
  json interfaces = json::array();
  for (const auto& i : id.interfaces)
    interfaces.push_back({{"name", i.name}, {"mac", i.mac.to_string()}, {"addresses", i.addresses}});
  json j{{"hostname", id.hostname},
         {"interfaces", std::move(interfaces)},
         {"primary_interface", id.primary_interface},
         {"model", id.model},
         {"serial", id.serial},
         {"os", {{"pretty_name", id.os.pretty_name}, {"id", id.os.id}, {"version_id", id.os.version_id}}},
         {"kernel_release", id.kernel_release},
         {"machine", id.machine},
         {"boot_id", id.boot_id}};
  if (id.revision) j["revision"] = to_json(*id.revision);
  put(j, "memory_mb", id.memory_mb);
  put(j, "uptime_s", id.uptime_s);
  return j;
}

json to_json(const RtcSection& rtc) {
  json devices = json::array();
  for (const auto& d : rtc.devices) {
    json dj{{"device", d.device}, {"driver", d.driver}, {"readable", d.readable}, {"read_error", d.read_error}};
    if (!d.chip.empty()) dj["chip"] = d.chip;
    put(dj, "hctosys", d.hctosys);
    put(dj, "rtc_minus_system_s", d.rtc_minus_system_s);
    json battery = json::object();
    put(battery, "vl_flags", d.battery.vl_flags);
    put(battery, "voltage_v", d.battery.voltage_v);
    dj["battery"] = std::move(battery);
    devices.push_back(std::move(dj));
  }
  json fake{{"installed", rtc.fake_hwclock.installed},
            {"enabled", rtc.fake_hwclock.enabled},
            {"data_present", rtc.fake_hwclock.data_present},
            {"saved_utc", rtc.fake_hwclock.saved_utc}};
  put(fake, "age_s", rtc.fake_hwclock.age_s);
  return {{"present", !rtc.devices.empty()}, {"devices", std::move(devices)}, {"fake_hwclock", std::move(fake)}};
}

json to_json(const Discipline& d) {
  json j{{"daemons", d.daemons}, {"drift_file", d.drift_file}};
  put(j, "drift_file_ppm", d.drift_file_ppm);
  if (!d.kernel_unknown.empty()) j["kernel_unknown"] = d.kernel_unknown;
  if (d.kernel) {
    const auto& k = *d.kernel;
    j["kernel"] = {{"synchronised", k.synchronised}, {"state", k.state},         {"status", k.status},
                   {"freq_ppm", k.freq_ppm},         {"offset_s", k.offset_s},   {"maxerror_s", k.maxerror_s},
                   {"esterror_s", k.esterror_s},     {"tick_us", k.tick_us}};
  }
  return j;
}

json to_json(const DriftEstimate& e) {
  json allan = json::array();
  for (const auto& a : e.allan) allan.push_back({{"tau_s", a.tau_s}, {"adev", a.adev}});
  json j{{"reference", e.reference}, {"status", drift_status_name(e.status)},     {"message", e.message},
         {"samples", e.samples},     {"segments", e.segments}, {"window_s", e.window_s},
         {"nonconstant", e.nonconstant}, {"allan", std::move(allan)}};
  put(j, "ppm", e.ppm);
  put(j, "stderr_ppm", e.stderr_ppm);
  put(j, "ci95_low_ppm", e.ci95_low_ppm);
  put(j, "ci95_high_ppm", e.ci95_high_ppm);
  put(j, "s_per_day", e.s_per_day);
  put(j, "residual_rms_s", e.residual_rms_s);
  put(j, "runs_z", e.runs_z);
  put(j, "recent_ppm", e.recent_ppm);
  if (e.correction) j["correction"] = {{"tick", e.correction->tick}, {"frequency", e.correction->frequency}};
  return j;
}

// --- reading: JsonReader names the field any failure is about ----------------------------------------

std::optional<int> optional_int(const JsonReader& r, const char* field) {
  const auto v = r.optional_integer(field);
  if (!v) return std::nullopt;
  if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) r.fail(field, "is out of range");
  return static_cast<int>(*v);
}

BoardRevision revision_from_json(const JsonReader& r) {
  BoardRevision b;
  b.code = r.text("code");
  b.new_style = r.flag("new_style");
  b.board = r.text("board");
  b.processor = r.text("processor");
  b.manufacturer = r.text("manufacturer");
  b.memory_mb = optional_int(r, "memory_mb");
  b.pcb_revision = optional_int(r, "pcb_revision");
  // 1.1 fields: optional on read.
  b.board_revision = r.text_or_empty("board_revision");
  b.warranty_voided = r.optional_flag("warranty_voided");
  return b;
}

Identity identity_from_json(const JsonReader& r) {
  Identity id;
  id.hostname = r.text("hostname");
  const json& interfaces = r.array("interfaces", kMaxInterfaces);
  for (std::size_t i = 0; i < interfaces.size(); ++i) {
    const JsonReader ir = r.element("interfaces", interfaces, i);
    id.interfaces.push_back({ir.text("name"), ir.mac("mac"), ir.texts("addresses", kMaxAddressesPerInterface)});
  }
  id.primary_interface = r.text("primary_interface");
  id.model = r.text("model");
  if (const auto revision = r.optional_object("revision")) id.revision = revision_from_json(*revision);
  id.serial = r.text("serial");
  const JsonReader os = r.object("os");
  id.os = {os.text("pretty_name"), os.text("id"), os.text("version_id")};
  id.kernel_release = r.text("kernel_release");
  id.machine = r.text("machine");
  id.uptime_s = r.optional_number("uptime_s");
  id.memory_mb = optional_int(r, "memory_mb");
  id.boot_id = r.text("boot_id");
  return id;
}

RtcSection rtc_from_json(const JsonReader& r) {
  RtcSection rtc;
  const json& devices = r.array("devices", kMaxRtcs);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const JsonReader dr = r.element("devices", devices, i);
    RtcInfo d;
    d.device = dr.text("device");
    d.driver = dr.text("driver");
    d.chip = dr.text_or_empty("chip");
    d.hctosys = dr.optional_flag("hctosys");
    d.readable = dr.flag("readable");
    d.read_error = dr.text("read_error");
    d.rtc_minus_system_s = dr.optional_number("rtc_minus_system_s");
    const JsonReader battery = dr.object("battery");
    if (const auto flags = battery.optional_integer("vl_flags")) {
      if (*flags < 0 || *flags > 0xffffffffLL) battery.fail("vl_flags", "is out of range");
      d.battery.vl_flags = static_cast<std::uint32_t>(*flags);
    }
    d.battery.voltage_v = battery.optional_number("voltage_v");
    rtc.devices.push_back(std::move(d));
  }
  const JsonReader f = r.object("fake_hwclock");
  // Added in 1.0 after the first drafts: optional on read, as every later 1.x field will be.
  rtc.fake_hwclock.installed = f.optional_flag("installed").value_or(false);
  rtc.fake_hwclock.enabled = f.optional_flag("enabled").value_or(false);
  rtc.fake_hwclock.data_present = f.flag("data_present");
  rtc.fake_hwclock.saved_utc = f.text("saved_utc");
  rtc.fake_hwclock.age_s = f.optional_number("age_s");
  return rtc;
}

Discipline discipline_from_json(const JsonReader& r) {
  Discipline d;
  d.daemons = r.texts("daemons", kMaxListItems);
  d.drift_file = r.text("drift_file");
  d.drift_file_ppm = r.optional_number("drift_file_ppm");
  d.kernel_unknown = r.text_or_empty("kernel_unknown");
  if (const auto k = r.optional_object("kernel")) {
    KernelTimeState s;
    s.synchronised = k->flag("synchronised");
    const auto state = k->integer("state");
    if (state < -1 || state > 5) k->fail("state", "is out of range");
    s.state = static_cast<int>(state);
    s.status = k->integer("status");
    s.freq_ppm = k->number("freq_ppm");
    s.offset_s = k->number("offset_s");
    s.maxerror_s = k->number("maxerror_s");
    s.esterror_s = k->number("esterror_s");
    s.tick_us = k->integer("tick_us");
    d.kernel = s;
  }
  return d;
}

DriftEstimate drift_from_json(const JsonReader& r) {
  DriftEstimate e;
  e.reference = r.text("reference");
  const auto status = parse_drift_status(r.text("status"));
  if (!status) r.fail("status", "is not ok, collecting, busy or unavailable");
  e.status = *status;
  e.message = r.text("message");
  e.samples = r.integer("samples");
  e.segments = r.integer("segments");
  e.window_s = r.number("window_s");
  e.ppm = r.optional_number("ppm");
  e.stderr_ppm = r.optional_number("stderr_ppm");
  e.ci95_low_ppm = r.optional_number("ci95_low_ppm");
  e.ci95_high_ppm = r.optional_number("ci95_high_ppm");
  e.s_per_day = r.optional_number("s_per_day");
  e.residual_rms_s = r.optional_number("residual_rms_s");
  e.nonconstant = r.flag("nonconstant");
  e.runs_z = r.optional_number("runs_z");
  e.recent_ppm = r.optional_number("recent_ppm");
  const json& allan = r.array("allan", kMaxListItems);
  for (std::size_t i = 0; i < allan.size(); ++i) {
    const JsonReader a = r.element("allan", allan, i);
    e.allan.push_back({a.number("tau_s"), a.number("adev")});
  }
  if (const auto c = r.optional_object("correction")) {
    e.correction = ClockCorrection{c->integer("tick"), c->integer("frequency")};
  }
  return e;
}

// --- validation helpers ---------------------------------------------------------------------------

// The prefix length after '/', if any: 0..`max_bits` in decimal.
bool valid_prefix(std::string_view text, int max_bits) {
  if (text.empty() || text.size() > 3) return false;
  int bits = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bits);
  return ec == std::errc() && end == text.data() + text.size() && bits >= 0 && bits <= max_bits;
}

bool in_range(const std::optional<double>& v, double lo, double hi) { return !v || (*v >= lo && *v <= hi); }

}  // namespace

std::string_view drift_status_name(DriftStatus status) {
  switch (status) {
    case DriftStatus::kOk: return "ok";
    case DriftStatus::kCollecting: return "collecting";
    case DriftStatus::kBusy: return "busy";
    case DriftStatus::kUnavailable: return "unavailable";
  }
  return "unavailable";
}

std::optional<DriftStatus> parse_drift_status(std::string_view text) {
  for (const auto status : {DriftStatus::kOk, DriftStatus::kCollecting, DriftStatus::kBusy, DriftStatus::kUnavailable})
    if (drift_status_name(status) == text) return status;
  return std::nullopt;
}

bool is_interface_name(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == ':' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  char previous = '.';
  for (char c : name) {
    if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
    } else {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && c != '-') return false;
      if (c == '-' && label == 0) return false;
      if (++label > 63) return false;
    }
    previous = c;
  }
  return previous != '-' && previous != '.';
}

nlohmann::json to_json(const AgentReport& r) {
  json drift = json::array();
  for (const auto& e : r.drift) drift.push_back(to_json(e));
  json j{{"schema", SchemaVersion{r.schema_major, r.schema_minor}.to_string()},
         {"agent_id", r.agent_id.to_string()},
         {"counter", r.counter},
         {"agent_version", r.agent_version},
         {"identity", to_json(r.identity)},
         {"rtc", to_json(r.rtc)},
         {"clocksource", {{"current", r.clocksource.current}, {"available", r.clocksource.available}}},
         {"discipline", to_json(r.discipline)},
         {"drift", std::move(drift)},
         {"spool", {{"queued", r.spool.queued}, {"dropped_total", r.spool.dropped_total}}}};
  put(j, "generated_unix_s", r.generated_unix_s);
  return j;
}

std::string to_body(const AgentReport& report) { return to_json(report).dump(); }

AgentReport parse_report(std::string_view body) {
  const json j = parse_json_object(body, "report", kMaxReportBytes);
  const JsonReader top(j, "report");
  AgentReport r;
  const SchemaVersion version = top.schema(kReportSchemaMajor);
  r.schema_major = version.major;
  r.schema_minor = version.minor;
  r.agent_id = top.mac("agent_id");
  r.counter = top.counter("counter");
  r.agent_version = top.text("agent_version");
  r.generated_unix_s = top.optional_number("generated_unix_s");
  r.identity = identity_from_json(top.object("identity"));
  r.rtc = rtc_from_json(top.object("rtc"));
  const JsonReader cs = top.object("clocksource");
  r.clocksource = {cs.text("current"), cs.texts("available", kMaxListItems)};
  r.discipline = discipline_from_json(top.object("discipline"));
  const json& drift = top.array("drift", kMaxDriftEstimates);
  for (std::size_t i = 0; i < drift.size(); ++i) r.drift.push_back(drift_from_json(top.element("drift", drift, i)));
  const JsonReader sp = top.object("spool");
  r.spool = {sp.integer("queued"), sp.integer("dropped_total")};

  if (auto problem = validate(r)) throw Error("report: " + *problem);
  return r;
}

bool is_reportable_address(std::string_view address) {
  if (address.empty() || address.size() > 64) return false;
  const auto slash = address.find('/');
  std::string host(address.substr(0, slash));
  const std::string_view prefix = slash == std::string_view::npos ? std::string_view() : address.substr(slash + 1);
  in_addr v4{};
  if (host.find(':') == std::string::npos) {
    if (::inet_pton(AF_INET, host.c_str(), &v4) != 1) return false;
    if (slash != std::string_view::npos && !valid_prefix(prefix, 32)) return false;
    const std::uint32_t a = ntohl(v4.s_addr);
    const bool loopback = (a >> 24) == 127, multicast = (a >> 28) == 0xe, unspecified = a == 0,
               broadcast = a == 0xffffffff;
    return !loopback && !multicast && !unspecified && !broadcast;
  }
  if (const auto percent = host.find('%'); percent != std::string::npos) {
    const std::string_view zone = std::string_view(host).substr(percent + 1);
    if (!is_interface_name(zone)) return false;
    host.resize(percent);
  }
  const auto v6 = Ipv6Address::parse(host);
  if (!v6) return false;
  if (slash != std::string_view::npos && !valid_prefix(prefix, 128)) return false;
  return !v6->is_loopback() && !v6->is_multicast() && !v6->is_unspecified() && !v6->is_v4_mapped();
}

std::optional<std::string> validate(const AgentReport& r) {
  if (r.schema_major != kReportSchemaMajor) return fmt::format("unsupported schema major {}", r.schema_major);
  if (r.agent_id.is_zero() || r.agent_id.is_multicast()) return "agent_id must be a unicast MAC address";
  if (!is_clean_text(r.agent_version, 64)) return "agent_version is not printable text";
  if (!in_range(r.generated_unix_s, 0, 1e11)) return "generated_unix_s is out of range";

  const Identity& id = r.identity;
  if (!id.hostname.empty() && !is_valid_hostname(id.hostname)) return "identity.hostname is not a valid host name";
  if (id.interfaces.size() > kMaxInterfaces) return "identity.interfaces has too many entries";
  bool agent_mac_listed = false;
  for (const auto& i : id.interfaces) {
    if (!is_interface_name(i.name)) return "identity.interfaces has an invalid interface name";
    if (i.addresses.size() > kMaxAddressesPerInterface) return "identity.interfaces has too many addresses";
    for (const auto& a : i.addresses)
      if (!is_reportable_address(a))
        return fmt::format("identity.interfaces[{}] has an address that is malformed, loopback, multicast, "
                           "unspecified or broadcast",
                           i.name);
    agent_mac_listed = agent_mac_listed || i.mac == r.agent_id;
  }
  if (!id.interfaces.empty() && !agent_mac_listed) return "agent_id is not the MAC of any reported interface";
  if (!id.primary_interface.empty() && !is_interface_name(id.primary_interface))
    return "identity.primary_interface is not an interface name";
  for (const auto* s : {&id.model, &id.serial, &id.os.pretty_name, &id.os.id, &id.os.version_id, &id.kernel_release,
                        &id.machine, &id.boot_id})
    if (!is_clean_text(*s)) return "identity has a text field that is too long or not printable";
  if (id.revision) {
    for (const auto* s : {&id.revision->code, &id.revision->board, &id.revision->processor, &id.revision->manufacturer})
      if (!is_clean_text(*s, 64)) return "identity.revision has a text field that is too long or not printable";
    if (id.revision->memory_mb && (*id.revision->memory_mb < 0 || *id.revision->memory_mb > 1 << 20))
      return "identity.revision.memory_mb is out of range";
    if (!is_clean_text(id.revision->board_revision, 16)) return "identity.revision.board_revision is not short text";
  }
  if (id.memory_mb && (*id.memory_mb < 0 || *id.memory_mb > 1 << 24)) return "identity.memory_mb is out of range";
  if (!in_range(id.uptime_s, 0, 1e10)) return "identity.uptime_s is out of range";

  if (r.rtc.devices.size() > kMaxRtcs) return "rtc.devices has too many entries";
  for (const auto& d : r.rtc.devices) {
    if (!is_interface_name(d.device)) return "rtc.devices has an invalid device name";
    if (!is_clean_text(d.driver) || !is_clean_text(d.read_error) || !is_clean_text(d.chip, 64))
      return "rtc.devices has unprintable text";
    if (!in_range(d.rtc_minus_system_s, -1e10, 1e10)) return "rtc.devices rtc_minus_system_s is out of range";
    if (!in_range(d.battery.voltage_v, -1, 100)) return "rtc.devices battery voltage_v is out of range";
  }
  if (!is_clean_text(r.rtc.fake_hwclock.saved_utc, 64)) return "rtc.fake_hwclock.saved_utc is not printable text";
  if (!in_range(r.rtc.fake_hwclock.age_s, -1e10, 1e10)) return "rtc.fake_hwclock.age_s is out of range";

  if (!is_clean_text(r.clocksource.current, 64)) return "clocksource.current is not printable text";
  if (r.clocksource.available.size() > kMaxListItems) return "clocksource.available has too many entries";
  for (const auto& c : r.clocksource.available)
    if (!is_clean_text(c, 64)) return "clocksource.available is not printable text";

  if (r.discipline.daemons.size() > kMaxListItems) return "discipline.daemons has too many entries";
  for (const auto& d : r.discipline.daemons)
    if (!is_clean_text(d, 64)) return "discipline.daemons is not printable text";
  if (!is_clean_text(r.discipline.drift_file)) return "discipline.drift_file is not printable text";
  if (!is_clean_text(r.discipline.kernel_unknown)) return "discipline.kernel_unknown is not printable text";
  if (!in_range(r.discipline.drift_file_ppm, -1e6, 1e6)) return "discipline.drift_file_ppm is out of range";

  if (r.drift.size() > kMaxDriftEstimates) return "drift has too many entries";
  for (const auto& e : r.drift) {
    if (!is_clean_text(e.reference, 128) || !is_clean_text(e.message))
      return "drift has a text field that is too long or not printable";
    if (e.samples < 0 || e.segments < 0 || e.window_s < 0) return "drift counts must not be negative";
    for (const auto* v : {&e.ppm, &e.stderr_ppm, &e.ci95_low_ppm, &e.ci95_high_ppm, &e.recent_ppm})
      if (!in_range(*v, -1e6, 1e6)) return "drift ppm is out of range";
    if (e.allan.size() > kMaxListItems) return "drift.allan has too many entries";
    // The kernel's own limits (adjtimex(2)): tick 900000/USER_HZ..1100000/USER_HZ, freq ±500 ppm.
    if (e.correction && (e.correction->tick < 9000 || e.correction->tick > 11000 ||
                         e.correction->frequency < -32768000 || e.correction->frequency > 32768000))
      return "drift.correction is outside the kernel's tick and frequency range";
  }
  if (r.spool.queued < 0 || r.spool.dropped_total < 0) return "spool counts must not be negative";
  return std::nullopt;
}

}  // namespace pifind
