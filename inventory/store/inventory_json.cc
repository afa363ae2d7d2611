#include "inventory/store/inventory_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

using nlohmann::json;

// ---- writing ---------------------------------------------------------------------------------------

json drift_to_json(const DriftSummary& d) {
  json j = {{"drift_ppm", d.drift_ppm},   {"uncertainty_ppm", d.uncertainty_ppm},
            {"offset_s", d.offset_s},     {"constant", d.constant},
            {"samples", d.samples},       {"window_s", d.window_s},
            {"measured_at", format_utc(d.measured_at)}};
  if (!d.reference.empty()) j["reference"] = d.reference;
  return j;
}

// ---- reading: every accessor names the field it failed on -------------------------------------------

struct Reader {
  const json& object;
  std::string where;  // "device b8:27:eb:00:00:01" or "document"

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw Error(fmt::format("{}: '{}' {}", where, field, problem));
  }
  const json* find(const char* field) const {
    const auto it = object.find(field);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }
  const json& need(const char* field) const {
    const json* v = find(field);
    if (!v) fail(field, "is missing");
    return *v;
  }
  std::string text(const char* field, bool required = false) const {
    const json* v = required ? &need(field) : find(field);
    if (!v) return {};
    if (!v->is_string()) fail(field, "is not a string");
    return v->get<std::string>();
  }
  double number(const char* field) const {
    const json& v = need(field);
    if (!v.is_number()) fail(field, "is not a number");
    return v.get<double>();
  }
  std::uint64_t count(const char* field) const {
    const json& v = need(field);
    if (!v.is_number_unsigned()) fail(field, "is not a non-negative integer");
    return v.get<std::uint64_t>();
  }
  std::optional<bool> flag(const char* field) const {
    const json* v = find(field);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) fail(field, "is not true or false");
    return v->get<bool>();
  }
  TimePoint time(const char* field) const {
    const auto t = parse_utc(text(field, true));
    if (!t) fail(field, "is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    return *t;
  }
  MacAddress mac(const char* field) const {
    const auto m = MacAddress::parse(text(field, true));
    if (!m) fail(field, "is not a MAC address");
    return *m;
  }
  const json& array(const char* field) const {
    static const json empty = json::array();
    const json* v = find(field);
    if (!v) return empty;
    if (!v->is_array()) fail(field, "is not an array");
    return *v;
  }
  Reader sub(const json& value, const std::string& field) const {
    if (!value.is_object()) fail(field, "is not an object");
    return Reader{value, where + ": " + field};
  }
};

DriftSummary drift_from_json(const Reader& r) {
  DriftSummary d;
  d.drift_ppm = r.number("drift_ppm");
  d.uncertainty_ppm = r.number("uncertainty_ppm");
  d.offset_s = r.find("offset_s") ? r.number("offset_s") : 0;
  d.reference = r.text("reference");
  d.constant = r.flag("constant").value_or(true);
  d.samples = r.find("samples") ? r.count("samples") : 0;
  d.window_s = r.find("window_s") ? r.number("window_s") : 0;
  d.measured_at = r.time("measured_at");
  return d;
}

InventoryRecord record_from_json(const MacAddress& id, const json& object) {
  const Reader r{object, "device " + id.to_string()};
  if (!object.is_object()) r.fail("record", "is not an object");
  InventoryRecord rec;
  rec.id = id;
  const json& macs = r.array("macs");
  for (std::size_t i = 0; i < macs.size(); ++i) {
    const Reader m = r.sub(macs[i], fmt::format("macs[{}]", i));
    rec.macs.push_back({m.mac("mac"), m.text("interface"), m.time("first_seen"), m.time("last_seen")});
  }
  const json& ips = r.array("ips");
  for (std::size_t i = 0; i < ips.size(); ++i) {
    const Reader a = r.sub(ips[i], fmt::format("ips[{}]", i));
    const auto ip = Ipv4Address::parse(a.text("ip", true));
    if (!ip) a.fail("ip", "is not an IPv4 address");
    rec.ips.push_back({*ip, a.mac("mac"), a.text("seen_via"), a.time("first_seen"), a.time("last_seen"),
                       a.flag("current").value_or(true)});
  }
  rec.vendor = r.text("vendor");
  rec.raspberry_pi = r.flag("raspberry_pi").value_or(false);
  rec.hostname = r.text("hostname");
  rec.model = r.text("model");
  rec.serial = r.text("serial");
  if (const json* t = r.find("time")) {
    const Reader tr = r.sub(*t, "time");
    rec.time.rtc_present = tr.flag("rtc_present");
    rec.time.rtc_name = tr.text("rtc_name");
    rec.time.clocksource = tr.text("clocksource");
    rec.time.time_discipline = tr.text("time_discipline");
    rec.time.ntp_synchronised = tr.flag("ntp_synchronised");
  }
  if (const json* d = r.find("drift")) rec.drift = drift_from_json(r.sub(*d, "drift"));
  const json& history = r.array("drift_history");
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Reader h = r.sub(history[i], fmt::format("drift_history[{}]", i));
    rec.add_drift_sample({h.time("at"), h.number("drift_ppm"), h.number("uncertainty_ppm"),
                          h.find("offset_s") ? h.number("offset_s") : 0});
  }
  if (const json* a = r.find("agent")) {
    const Reader ar = r.sub(*a, "agent");
    rec.agent = AgentState{ar.text("id"), ar.count("last_counter"), ar.time("last_report")};
  }
  rec.first_seen = r.time("first_seen");
  rec.last_seen = r.time("last_seen");
  return rec;
}

std::pair<int, int> parse_schema(const json& document) {
  const auto it = document.find("schema");
  if (it == document.end() || !it->is_string())
    throw Error("not a pifind inventory: no \"schema\" version string");
  const std::string text = it->get<std::string>();
  int major = -1, minor = -1;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  std::from_chars_result r = std::from_chars(begin, end, major);
  if (r.ec == std::errc{} && r.ptr != end && *r.ptr == '.') r = std::from_chars(r.ptr + 1, end, minor);
  if (r.ec != std::errc{} || r.ptr != end || major < 0 || minor < 0)
    throw Error("not a pifind inventory: schema " + json(text).dump() + " is not MAJOR.MINOR");
  return {major, minor};
}

}  // namespace

json record_to_json(const InventoryRecord& rec, bool with_history) {
  json macs = json::array();
  for (const auto& m : rec.macs) {
    json e = {{"mac", m.mac.to_string()}, {"first_seen", format_utc(m.first_seen)}, {"last_seen", format_utc(m.last_seen)}};
    if (!m.interface_name.empty()) e["interface"] = m.interface_name;
    macs.push_back(std::move(e));
  }
  json ips = json::array();
  for (const auto& a : rec.ips) {
    json e = {{"ip", a.ip.to_string()},
              {"mac", a.mac.to_string()},
              {"first_seen", format_utc(a.first_seen)},
              {"last_seen", format_utc(a.last_seen)},
              {"current", a.current}};
    if (!a.seen_via.empty()) e["seen_via"] = a.seen_via;
    ips.push_back(std::move(e));
  }
  json j = {{"macs", std::move(macs)},
            {"ips", std::move(ips)},
            {"raspberry_pi", rec.raspberry_pi},
            {"first_seen", format_utc(rec.first_seen)},
            {"last_seen", format_utc(rec.last_seen)}};
  auto put = [&j](const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
  };
  put("vendor", rec.vendor);
  put("hostname", rec.hostname);
  put("model", rec.model);
  put("serial", rec.serial);
  json time = json::object();
  if (rec.time.rtc_present) time["rtc_present"] = *rec.time.rtc_present;
  if (!rec.time.rtc_name.empty()) time["rtc_name"] = rec.time.rtc_name;
  if (!rec.time.clocksource.empty()) time["clocksource"] = rec.time.clocksource;
  if (!rec.time.time_discipline.empty()) time["time_discipline"] = rec.time.time_discipline;
  if (rec.time.ntp_synchronised) time["ntp_synchronised"] = *rec.time.ntp_synchronised;
  if (!time.empty()) j["time"] = std::move(time);
  if (rec.drift) j["drift"] = drift_to_json(*rec.drift);
  if (with_history && !rec.drift_history.empty()) {
    json history = json::array();
    for (const auto& s : rec.drift_history)
      history.push_back({{"at", format_utc(s.at)},
                         {"drift_ppm", s.drift_ppm},
                         {"uncertainty_ppm", s.uncertainty_ppm},
                         {"offset_s", s.offset_s}});
    j["drift_history"] = std::move(history);
  }
  if (rec.agent)
    j["agent"] = {{"id", rec.agent->agent_id},
                  {"last_counter", rec.agent->last_counter},
                  {"last_report", format_utc(rec.agent->last_report)}};
  return j;
}

json inventory_to_json(const Inventory& inventory, TimePoint updated) {
  json devices = json::object();
  for (const auto& [id, rec] : inventory.records()) devices[id.to_string()] = record_to_json(rec);
  return {{"schema", fmt::format("{}.{}", kInventorySchemaMajor, kInventorySchemaMinor)},
          {"updated", format_utc(updated)},
          {"devices", std::move(devices)}};
}

namespace {

bool all_finite(const std::vector<DriftSample>& history) {
  return std::all_of(history.begin(), history.end(), [](const DriftSample& s) {
    return std::isfinite(s.drift_ppm) && std::isfinite(s.uncertainty_ppm) && std::isfinite(s.offset_s);
  });
}

// `"b8:27:eb:00:00:01": {...}` on one line. The drift history is most of a reporting device's record, so it
// is formatted directly rather than through a JSON tree (the collector re-serialises hundreds per commit).
std::string device_line(const MacAddress& id, const InventoryRecord& record) {
  if (record.drift_history.empty() || !all_finite(record.drift_history))
    return "\"" + id.to_string() + "\": " + record_to_json(record).dump();
  std::string text = "\"" + id.to_string() + "\": " + record_to_json(record, false).dump();
  text.pop_back();  // the record's closing brace
  text += ",\"drift_history\":[";
  for (std::size_t i = 0; i < record.drift_history.size(); ++i) {
    const DriftSample& s = record.drift_history[i];
    fmt::format_to(std::back_inserter(text), "{}{{\"at\":\"{}\",\"drift_ppm\":{},\"uncertainty_ppm\":{},\"offset_s\":{}}}",
                   i ? "," : "", format_utc(s.at), s.drift_ppm, s.uncertainty_ppm, s.offset_s);
  }
  text += "]}";
  return text;
}

// The shared layout of inventory_to_text() and InventoryTextCache::render().
template <typename LineOf>
std::string render_document(const Inventory& inventory, TimePoint updated, LineOf line_of) {
  std::string text = fmt::format("{{\"schema\": \"{}.{}\", \"updated\": \"{}\", \"devices\": {{", kInventorySchemaMajor,
                                 kInventorySchemaMinor, format_utc(updated));
  bool first = true;
  for (const auto& [id, record] : inventory.records()) {
    text += first ? "\n" : ",\n";
    text += line_of(id, record);
    first = false;
  }
  text += "\n}}\n";
  return text;
}

}  // namespace

std::string inventory_to_text(const Inventory& inventory, TimePoint updated) {
  return render_document(inventory, updated, [](const MacAddress& id, const InventoryRecord& r) { return device_line(id, r); });
}

std::string InventoryTextCache::render(Inventory& inventory, TimePoint updated) {
  for (const auto& id : inventory.take_changed()) lines_.erase(id);
  if (lines_.size() > inventory.size() * 2) lines_.clear();  // records were pruned or absorbed: drop their lines
  return render_document(inventory, updated, [this](const MacAddress& id, const InventoryRecord& r) -> const std::string& {
    auto it = lines_.find(id);
    if (it == lines_.end()) it = lines_.emplace(id, device_line(id, r)).first;
    return it->second;
  });
}

Inventory inventory_from_text(std::string_view text) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& e) {
    // nlohmann's message is already one line: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    // A number too large for a double (1e2370) is an out_of_range error from the same parse, not a parse_error.
    std::string message = e.what();
    const auto at = message.find("] ");
    throw Error("not valid JSON: " + (at == std::string::npos ? message : message.substr(at + 2)));
  }
  if (!document.is_object()) throw Error("not a pifind inventory: the document is not a JSON object");
  const auto [major, minor] = parse_schema(document);
  if (major > kInventorySchemaMajor)
    throw Error(fmt::format("schema {}.{} is newer than this pifind understands ({}.x); upgrade pifind", major, minor,
                            kInventorySchemaMajor));
  if (major < 1) throw Error(fmt::format("schema {}.{} is not a version pifind ever wrote", major, minor));
  Inventory inventory;
  const auto devices = document.find("devices");
  if (devices == document.end()) return inventory;
  if (!devices->is_object()) throw Error("not a pifind inventory: \"devices\" is not an object keyed by MAC");
  for (const auto& [key, value] : devices->items()) {
    const auto id = MacAddress::parse(key);
    if (!id) throw Error("device key " + json(key).dump() + " is not a MAC address");
    inventory.insert_loaded(record_from_json(*id, value));
  }
  return inventory;
}

}  // namespace pifind
