#include "inventory/report.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/error.h"

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
  json j{{"reference", e.reference}, {"status", e.status},     {"message", e.message},
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

// --- reading: every accessor names the field it failed on -------------------------------------------

const json& field(const json& j, const char* key, const std::string& where) {
  if (!j.is_object()) throw Error(fmt::format("report: {} is not an object", where));
  const auto it = j.find(key);
  if (it == j.end()) throw Error(fmt::format("report: missing field {}.{}", where, key));
  return *it;
}

std::string get_string(const json& j, const char* key, const std::string& where) {
  const json& v = field(j, key, where);
  if (!v.is_string()) throw Error(fmt::format("report: {}.{} must be a string", where, key));
  return v.get<std::string>();
}

bool get_bool(const json& j, const char* key, const std::string& where) {
  const json& v = field(j, key, where);
  if (!v.is_boolean()) throw Error(fmt::format("report: {}.{} must be true or false", where, key));
  return v.get<bool>();
}

double to_double(const json& v, const char* key, const std::string& where) {
  if (!v.is_number()) throw Error(fmt::format("report: {}.{} must be a number", where, key));
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw Error(fmt::format("report: {}.{} must be finite", where, key));
  return d;
}

double get_double(const json& j, const char* key, const std::string& where) {
  return to_double(field(j, key, where), key, where);
}

std::int64_t get_int(const json& j, const char* key, const std::string& where) {
  const json& v = field(j, key, where);
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw Error(fmt::format("report: {}.{} is out of range", where, key));
    return static_cast<std::int64_t>(v.get<std::uint64_t>());
  }
  if (!v.is_number_integer()) throw Error(fmt::format("report: {}.{} must be an integer", where, key));
  return v.get<std::int64_t>();
}

template <typename T>
std::optional<T> opt(const json& j, const char* key, const std::string& where,
                     T (*get)(const json&, const char*, const std::string&)) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return get(j, key, where);
}

std::optional<int> opt_int(const json& j, const char* key, const std::string& where) {
  auto v = opt<std::int64_t>(j, key, where, get_int);
  if (!v) return std::nullopt;
  if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
    throw Error(fmt::format("report: {}.{} is out of range", where, key));
  return static_cast<int>(*v);
}

const json& get_array(const json& j, const char* key, const std::string& where, std::size_t max_items) {
  const json& v = field(j, key, where);
  if (!v.is_array()) throw Error(fmt::format("report: {}.{} must be an array", where, key));
  if (v.size() > max_items)
    throw Error(fmt::format("report: {}.{} has {} entries, at most {} allowed", where, key, v.size(), max_items));
  return v;
}

std::vector<std::string> get_strings(const json& j, const char* key, const std::string& where, std::size_t max) {
  std::vector<std::string> out;
  for (const auto& v : get_array(j, key, where, max)) {
    if (!v.is_string()) throw Error(fmt::format("report: {}.{} must hold strings", where, key));
    out.push_back(v.get<std::string>());
  }
  return out;
}

MacAddress get_mac(const json& j, const char* key, const std::string& where) {
  const auto text = get_string(j, key, where);
  const auto mac = MacAddress::parse(text);
  if (!mac) throw Error(fmt::format("report: {}.{} is not a MAC address", where, key));
  return *mac;
}

BoardRevision revision_from_json(const json& j) {
  const std::string w = "identity.revision";
  BoardRevision r;
  r.code = get_string(j, "code", w);
  r.new_style = get_bool(j, "new_style", w);
  r.board = get_string(j, "board", w);
  r.processor = get_string(j, "processor", w);
  r.manufacturer = get_string(j, "manufacturer", w);
  r.memory_mb = opt_int(j, "memory_mb", w);
  r.pcb_revision = opt_int(j, "pcb_revision", w);
  // 1.1 fields: optional on read.
  r.board_revision = opt<std::string>(j, "board_revision", w, get_string).value_or("");
  r.warranty_voided = opt<bool>(j, "warranty_voided", w, get_bool);
  return r;
}

Identity identity_from_json(const json& j) {
  const std::string w = "identity";
  Identity id;
  id.hostname = get_string(j, "hostname", w);
  std::size_t index = 0;
  for (const auto& ij : get_array(j, "interfaces", w, kMaxInterfaces)) {
    const std::string iw = fmt::format("identity.interfaces[{}]", index++);
    id.interfaces.push_back({get_string(ij, "name", iw), get_mac(ij, "mac", iw),
                             get_strings(ij, "addresses", iw, kMaxAddressesPerInterface)});
  }
  id.primary_interface = get_string(j, "primary_interface", w);
  id.model = get_string(j, "model", w);
  if (j.contains("revision") && !j.at("revision").is_null()) id.revision = revision_from_json(j.at("revision"));
  id.serial = get_string(j, "serial", w);
  const json& os = field(j, "os", w);
  id.os = {get_string(os, "pretty_name", "identity.os"), get_string(os, "id", "identity.os"),
           get_string(os, "version_id", "identity.os")};
  id.kernel_release = get_string(j, "kernel_release", w);
  id.machine = get_string(j, "machine", w);
  id.uptime_s = opt<double>(j, "uptime_s", w, get_double);
  id.memory_mb = opt_int(j, "memory_mb", w);
  id.boot_id = get_string(j, "boot_id", w);
  return id;
}

RtcSection rtc_from_json(const json& j) {
  RtcSection rtc;
  std::size_t index = 0;
  for (const auto& dj : get_array(j, "devices", "rtc", kMaxRtcs)) {
    const std::string w = fmt::format("rtc.devices[{}]", index++);
    RtcInfo d;
    d.device = get_string(dj, "device", w);
    d.driver = get_string(dj, "driver", w);
    d.chip = opt<std::string>(dj, "chip", w, get_string).value_or("");
    d.hctosys = opt<bool>(dj, "hctosys", w, get_bool);
    d.readable = get_bool(dj, "readable", w);
    d.read_error = get_string(dj, "read_error", w);
    d.rtc_minus_system_s = opt<double>(dj, "rtc_minus_system_s", w, get_double);
    const json& b = field(dj, "battery", w);
    const std::string bw = w + ".battery";
    if (auto flags = opt<std::int64_t>(b, "vl_flags", bw, get_int)) {
      if (*flags < 0 || *flags > 0xffffffffLL) throw Error(fmt::format("report: {}.vl_flags is out of range", bw));
      d.battery.vl_flags = static_cast<std::uint32_t>(*flags);
    }
    d.battery.voltage_v = opt<double>(b, "voltage_v", bw, get_double);
    rtc.devices.push_back(std::move(d));
  }
  const json& f = field(j, "fake_hwclock", "rtc");
  // Added in 1.0 after the first drafts: optional on read, as every later 1.x field will be.
  rtc.fake_hwclock.installed = opt<bool>(f, "installed", "rtc.fake_hwclock", get_bool).value_or(false);
  rtc.fake_hwclock.enabled = opt<bool>(f, "enabled", "rtc.fake_hwclock", get_bool).value_or(false);
  rtc.fake_hwclock.data_present = get_bool(f, "data_present", "rtc.fake_hwclock");
  rtc.fake_hwclock.saved_utc = get_string(f, "saved_utc", "rtc.fake_hwclock");
  rtc.fake_hwclock.age_s = opt<double>(f, "age_s", "rtc.fake_hwclock", get_double);
  return rtc;
}

Discipline discipline_from_json(const json& j) {
  const std::string w = "discipline";
  Discipline d;
  d.daemons = get_strings(j, "daemons", w, kMaxListItems);
  d.drift_file = get_string(j, "drift_file", w);
  d.drift_file_ppm = opt<double>(j, "drift_file_ppm", w, get_double);
  d.kernel_unknown = opt<std::string>(j, "kernel_unknown", w, get_string).value_or("");
  if (j.contains("kernel") && !j.at("kernel").is_null()) {
    const json& k = j.at("kernel");
    const std::string kw = "discipline.kernel";
    KernelTimeState s;
    s.synchronised = get_bool(k, "synchronised", kw);
    const auto state = get_int(k, "state", kw);
    if (state < -1 || state > 5) throw Error("report: discipline.kernel.state is out of range");
    s.state = static_cast<int>(state);
    s.status = get_int(k, "status", kw);
    s.freq_ppm = get_double(k, "freq_ppm", kw);
    s.offset_s = get_double(k, "offset_s", kw);
    s.maxerror_s = get_double(k, "maxerror_s", kw);
    s.esterror_s = get_double(k, "esterror_s", kw);
    s.tick_us = get_int(k, "tick_us", kw);
    d.kernel = s;
  }
  return d;
}

DriftEstimate drift_from_json(const json& j, const std::string& w) {
  DriftEstimate e;
  e.reference = get_string(j, "reference", w);
  e.status = get_string(j, "status", w);
  e.message = get_string(j, "message", w);
  e.samples = get_int(j, "samples", w);
  e.segments = get_int(j, "segments", w);
  e.window_s = get_double(j, "window_s", w);
  e.ppm = opt<double>(j, "ppm", w, get_double);
  e.stderr_ppm = opt<double>(j, "stderr_ppm", w, get_double);
  e.ci95_low_ppm = opt<double>(j, "ci95_low_ppm", w, get_double);
  e.ci95_high_ppm = opt<double>(j, "ci95_high_ppm", w, get_double);
  e.s_per_day = opt<double>(j, "s_per_day", w, get_double);
  e.residual_rms_s = opt<double>(j, "residual_rms_s", w, get_double);
  e.nonconstant = get_bool(j, "nonconstant", w);
  e.runs_z = opt<double>(j, "runs_z", w, get_double);
  e.recent_ppm = opt<double>(j, "recent_ppm", w, get_double);
  for (const auto& a : get_array(j, "allan", w, kMaxListItems))
    e.allan.push_back({get_double(a, "tau_s", w + ".allan"), get_double(a, "adev", w + ".allan")});
  if (j.contains("correction") && !j.at("correction").is_null()) {
    const json& c = j.at("correction");
    e.correction = ClockCorrection{get_int(c, "tick", w + ".correction"), get_int(c, "frequency", w + ".correction")};
  }
  return e;
}

// --- validation helpers ---------------------------------------------------------------------------

bool is_interface_name(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == ':' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_address_text(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
                    c == ':' || c == '/' || c == '%' || (c >= 'g' && c <= 'z');
    if (!ok) return false;
  }
  return true;
}

bool in_range(const std::optional<double>& v, double lo, double hi) { return !v || (*v >= lo && *v <= hi); }

}  // namespace

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
  json j{{"schema", fmt::format("{}.{}", r.schema_major, r.schema_minor)},
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
  if (body.size() > kMaxReportBytes)
    throw Error(fmt::format("report: {} bytes is larger than the {} allowed", body.size(), kMaxReportBytes));
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error("report: not valid JSON");
  if (!j.is_object()) throw Error("report: not a JSON object");

  AgentReport r;
  const std::string schema = get_string(j, "schema", "report");
  int major = 0, minor = 0;
  char tail = 0;
  if (std::sscanf(schema.c_str(), "%d.%d%c", &major, &minor, &tail) != 2 || major < 0 || minor < 0)
    throw Error(fmt::format("report: schema '{}' is not MAJOR.MINOR", schema.substr(0, 32)));
  if (major > kReportSchemaMajor)
    throw Error(fmt::format("report: schema {} is newer than this reader understands ({}.x); upgrade pifind", schema,
                            kReportSchemaMajor));
  if (major < kReportSchemaMajor)
    throw Error(fmt::format("report: schema {} is older than this reader supports ({}.x)", schema, kReportSchemaMajor));
  r.schema_major = major;
  r.schema_minor = minor;
  r.agent_id = get_mac(j, "agent_id", "report");
  const json& counter = field(j, "counter", "report");
  if (!counter.is_number_unsigned() && !(counter.is_number_integer() && counter.get<std::int64_t>() >= 0))
    throw Error("report: report.counter must be a non-negative integer");
  r.counter = counter.get<std::uint64_t>();
  if (r.counter > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    throw Error("report: report.counter is out of range");
  r.agent_version = get_string(j, "agent_version", "report");
  r.generated_unix_s = opt<double>(j, "generated_unix_s", "report", get_double);
  r.identity = identity_from_json(field(j, "identity", "report"));
  r.rtc = rtc_from_json(field(j, "rtc", "report"));
  const json& cs = field(j, "clocksource", "report");
  r.clocksource = {get_string(cs, "current", "clocksource"), get_strings(cs, "available", "clocksource", kMaxListItems)};
  r.discipline = discipline_from_json(field(j, "discipline", "report"));
  std::size_t index = 0;
  for (const auto& e : get_array(j, "drift", "report", kMaxDriftEstimates))
    r.drift.push_back(drift_from_json(e, fmt::format("drift[{}]", index++)));
  const json& sp = field(j, "spool", "report");
  r.spool = {get_int(sp, "queued", "spool"), get_int(sp, "dropped_total", "spool")};

  if (auto problem = validate(r)) throw Error("report: " + *problem);
  return r;
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
      if (!is_address_text(a)) return fmt::format("identity.interfaces[{}] has an invalid address", i.name);
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
    if (!is_clean_text(e.reference, 128) || !is_clean_text(e.status, 32) || !is_clean_text(e.message))
      return "drift has a text field that is too long or not printable";
    if (e.status != "ok" && e.status != "collecting" && e.status != "busy" && e.status != "unavailable")
      return fmt::format("drift status '{}' is unknown", e.status.substr(0, 32));
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

namespace {

// The length of the valid UTF-8 sequence at the start of `s` (no overlongs, surrogates or > U+10FFFF),
// 0 if it does not start with one; `code_point` gets its value.
std::size_t utf8_sequence(std::string_view s, char32_t& code_point) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) {
    code_point = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf && cont(1)) {
    code_point = (c & 0x1fu) << 6 | (b(1) & 0x3fu);
    return 2;
  }
  if (c >= 0xe0 && c <= 0xef && cont(1) && cont(2) && !(c == 0xe0 && b(1) < 0xa0) && !(c == 0xed && b(1) > 0x9f)) {
    code_point = (c & 0x0fu) << 12 | (b(1) & 0x3fu) << 6 | (b(2) & 0x3fu);
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4 && cont(1) && cont(2) && cont(3) && !(c == 0xf0 && b(1) < 0x90) &&
      !(c == 0xf4 && b(1) > 0x8f)) {
    code_point = (c & 0x07u) << 18 | (b(1) & 0x3fu) << 12 | (b(2) & 0x3fu) << 6 | (b(3) & 0x3fu);
    return 4;
  }
  return 0;
}

// No terminal escapes (C0, DEL, C1 such as U+009B CSI), no line breaks that YAML or logs honour (U+0085,
// U+2028, U+2029), no bidirectional overrides or isolates (U+202A-U+202E, U+2066-U+2069) that make a
// listing read differently from what it holds.
bool is_refused_character(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

bool is_clean_text(std::string_view s, std::size_t max_bytes) {
  if (s.size() > max_bytes) return false;
  while (!s.empty()) {
    char32_t c = 0;
    const std::size_t n = utf8_sequence(s, c);
    if (n == 0 || is_refused_character(c)) return false;
    s.remove_prefix(n);
  }
  return true;
}

std::string to_clean_text(std::string_view raw, std::size_t max_bytes) {
  std::string out;
  while (!raw.empty()) {
    char32_t c = 0;
    const std::size_t n = utf8_sequence(raw, c);
    const std::string_view piece = n == 0 || is_refused_character(c) ? std::string_view("?") : raw.substr(0, n);
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    raw.remove_prefix(n == 0 ? 1 : n);
  }
  return out;
}

}  // namespace pifind
