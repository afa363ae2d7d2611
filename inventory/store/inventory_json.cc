#include "inventory/store/inventory_json.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/json_reader.h"
#include "inventory/store/host_alias.h"

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

// ---- reading: JsonReader names the field any failure is about --------------------------------------

// Lists in a record are bounded only by the file's size: the collector caps what reports add.
constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

DriftSummary drift_from_json(const JsonReader& r) {
  DriftSummary d;
  d.drift_ppm = r.number("drift_ppm");
  d.uncertainty_ppm = r.number("uncertainty_ppm");
  d.offset_s = r.optional_number("offset_s").value_or(0);
  d.reference = r.text_or_empty("reference");
  d.constant = r.optional_flag("constant").value_or(true);
  d.samples = r.has("samples") ? r.count("samples") : 0;
  d.window_s = r.optional_number("window_s").value_or(0);
  d.measured_at = r.time("measured_at");
  return d;
}

DevicePublicKey device_key(const JsonReader& r, const char* field) {
  const auto key = DevicePublicKey::parse(r.text(field));
  if (!key) r.fail(field, "is not ed25519=<base64 of 32 bytes>");
  return *key;
}

std::vector<DevicePublicKey> device_keys(const JsonReader& r, const char* field) {
  std::vector<DevicePublicKey> keys;
  for (const auto& text : r.has(field) ? r.texts(field, kRevokedKeysLimit) : std::vector<std::string>()) {
    const auto key = DevicePublicKey::parse(text);
    if (!key) r.fail(field, "holds a key that is not ed25519=<base64 of 32 bytes>");
    keys.push_back(*key);
  }
  return keys;
}

json device_keys_to_json(const std::vector<DevicePublicKey>& keys) {
  json out = json::array();
  for (const auto& k : keys) out.push_back(k.to_string());
  return out;
}

// "key", "key_pinned", "pinned_by" and "revoked_keys", of an agent, a scanner or a retired sender.
void pinned_keys_from_json(const JsonReader& r, PinnedKeys& keys) {
  if (r.has("key")) {
    keys.key = device_key(r, "key");
    if (r.has("key_pinned")) keys.key_pinned = r.time("key_pinned");
    const std::string by = r.text_or_empty("pinned_by");
    if (!by.empty() && by != "first-use" && by != "operator")
      r.fail("pinned_by", "is neither \"first-use\" nor \"operator\"");
    keys.pinned_by = by == "operator" ? PinnedBy::kOperator : PinnedBy::kFirstUse;
  }
  keys.revoked_keys = device_keys(r, "revoked_keys");
}

void pinned_keys_to_json(const PinnedKeys& keys, json& j) {
  if (keys.key) {
    j["key"] = keys.key->to_string();
    j["key_pinned"] = format_utc(keys.key_pinned);
    j["pinned_by"] = pinned_by_name(keys.pinned_by);
  }
  if (!keys.revoked_keys.empty()) j["revoked_keys"] = device_keys_to_json(keys.revoked_keys);
}

AgentState agent_from_json(const JsonReader& a) {
  AgentState agent(a.text_or_empty("id"), a.count("last_counter"), a.time("last_report"));
  pinned_keys_from_json(a, agent);
  return agent;
}

json agent_to_json(const AgentState& agent) {
  json j = {{"id", agent.agent_id},
            {"last_counter", agent.last_counter},
            {"last_report", format_utc(agent.last_report)}};
  pinned_keys_to_json(agent, j);
  return j;
}

void identity_from_json(const JsonReader& r, InventoryRecord& rec) {
  rec.alias = r.text_or_empty("alias");
  if (!rec.alias.empty() && !is_safe_alias(rec.alias)) r.fail("alias", "may only hold letters, digits, '.', '_' and '-'");
  const json& changes = r.optional_array("alias_changes", kAliasChangesLimit);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const JsonReader c = r.element("alias_changes", changes, i);
    rec.alias_changes.push_back({c.text_or_empty("from"), c.text("to"), c.time("at")});
  }
  const json& conflicts = r.optional_array("conflicts", kConflictsLimit);
  for (std::size_t i = 0; i < conflicts.size(); ++i) {
    const JsonReader c = r.element("conflicts", conflicts, i);
    rec.conflicts.push_back({c.text("kind"), c.text("value"), c.mac("owner"), c.time("first_seen"), c.time("last_seen")});
  }
}

void identity_to_json(const InventoryRecord& rec, json& j) {
  if (!rec.alias.empty()) j["alias"] = rec.alias;
  if (!rec.alias_changes.empty()) {
    json changes = json::array();
    for (const auto& c : rec.alias_changes) changes.push_back({{"from", c.from}, {"to", c.to}, {"at", format_utc(c.at)}});
    j["alias_changes"] = std::move(changes);
  }
  if (!rec.conflicts.empty()) {
    json conflicts = json::array();
    for (const auto& c : rec.conflicts)
      conflicts.push_back({{"kind", c.kind},
                           {"value", c.value},
                           {"owner", c.owner.to_string()},
                           {"first_seen", format_utc(c.first_seen)},
                           {"last_seen", format_utc(c.last_seen)}});
    j["conflicts"] = std::move(conflicts);
  }
}

// The top-level sections of each kind of sender: its pending keys and its retired senders.
struct SenderSections {
  SenderKind kind;
  const char* pending;
  const char* retired;
};
constexpr SenderSections kSenderSections[] = {{SenderKind::kAgent, "pending_keys", "retired_agents"},
                                              {SenderKind::kScanner, "pending_scanner_keys", "retired_scanners"}};

}  // namespace

void sections_from_json(const json& document, Inventory& inventory) {
  const JsonReader top(document, "inventory");
  for (const auto& sections : kSenderSections) {
    const std::string kind = sender_kind_name(sections.kind);
    if (const auto pending = top.optional_object(sections.pending))
      for (const auto& [key, value] : document.at(sections.pending).items()) {
        const auto sender = MacAddress::parse(key);
        if (!sender) pending->fail(key.c_str(), "is not a MAC address");
        const JsonReader p(value, "pending key of " + kind + " " + sender->to_string());
        inventory.note_pending_key(sections.kind, *sender,
                                   {device_key(p, "key"), p.text_or_empty("hostname"), p.text_or_empty("address"),
                                    p.text_or_empty("site"), p.time("first_seen"), p.time("last_seen"),
                                    p.count("reports")});
      }
    if (const auto retired = top.optional_object(sections.retired))
      for (const auto& [key, value] : document.at(sections.retired).items()) {
        const auto sender = MacAddress::parse(key);
        if (!sender) retired->fail(key.c_str(), "is not a MAC address");
        const JsonReader r(value, "retired " + kind + " " + sender->to_string());
        RetiredSender entry;
        pinned_keys_from_json(r, entry);
        entry.last_counter = r.count("last_counter");
        entry.retired = r.time("retired");
        inventory.retire(sections.kind, *sender, std::move(entry));
      }
  }
  inventory.take_sections_changed();
}

namespace {

SchemaVersion parse_schema(const json& document) {
  const auto it = document.find("schema");
  if (it == document.end() || !it->is_string())
    throw Error("not a pifind inventory: no \"schema\" version string");
  const std::string text = it->get<std::string>();
  const auto version = SchemaVersion::parse(text);
  if (!version) throw Error("not a pifind inventory: its \"schema\" is not MAJOR.MINOR");
  return *version;
}

}  // namespace

InventoryRecord record_from_json(const MacAddress& id, const json& object) {
  const JsonReader r(object, "device " + id.to_string());
  InventoryRecord rec;
  rec.id = id;
  const json& macs = r.optional_array("macs", kUnbounded);
  for (std::size_t i = 0; i < macs.size(); ++i) {
    const JsonReader m = r.element("macs", macs, i);
    rec.macs.push_back({m.mac("mac"), m.text_or_empty("interface"), m.time("first_seen"), m.time("last_seen")});
  }
  const json& ips = r.optional_array("ips", kUnbounded);
  for (std::size_t i = 0; i < ips.size(); ++i) {
    const JsonReader a = r.element("ips", ips, i);
    const auto ip = Ipv4Address::parse(a.text("ip"));
    if (!ip) a.fail("ip", "is not an IPv4 address");
    rec.ips.push_back({*ip, a.mac("mac"), a.text_or_empty("seen_via"), a.time("first_seen"), a.time("last_seen"),
                       a.optional_flag("current").value_or(true), a.text_or_empty("site")});
  }
  const json& ipv6 = r.optional_array("ipv6", kUnbounded);
  for (std::size_t i = 0; i < ipv6.size(); ++i) {
    const JsonReader a = r.element("ipv6", ipv6, i);
    const auto ip = Ipv6Address::parse(a.text("ip"));
    if (!ip) a.fail("ip", "is not an IPv6 address");
    rec.ipv6.push_back({*ip, a.mac("mac"), a.time("first_seen"), a.time("last_seen"),
                        a.optional_flag("current").value_or(true)});
  }
  rec.vendor = r.text_or_empty("vendor");
  rec.raspberry_pi = r.optional_flag("raspberry_pi").value_or(false);
  rec.hostname = r.text_or_empty("hostname");
  rec.model = r.text_or_empty("model");
  rec.serial = r.text_or_empty("serial");
  if (const auto t = r.optional_object("time")) {
    rec.time.rtc_present = t->optional_flag("rtc_present");
    rec.time.rtc_name = t->text_or_empty("rtc_name");
    rec.time.clocksource = t->text_or_empty("clocksource");
    rec.time.time_discipline = t->text_or_empty("time_discipline");
    rec.time.ntp_synchronised = t->optional_flag("ntp_synchronised");
  }
  if (const auto d = r.optional_object("drift")) rec.drift = drift_from_json(*d);
  const json& history = r.optional_array("drift_history", kUnbounded);
  for (std::size_t i = 0; i < history.size(); ++i) {
    const JsonReader h = r.element("drift_history", history, i);
    rec.add_drift_sample({h.time("at"), h.number("drift_ppm"), h.number("uncertainty_ppm"),
                          h.optional_number("offset_s").value_or(0)});
  }
  if (const auto a = r.optional_object("agent")) rec.agent = agent_from_json(*a);
  identity_from_json(r, rec);
  rec.site = r.text_or_empty("site");
  if (const auto n = r.optional_object("seen_name")) {
    const auto origin = parse_name_origin(n->text("source"));
    if (!origin || *origin == NameOrigin::kAgent) n->fail("source", "is not mdns or dns");
    rec.seen_name = SeenName{n->text("name"), *origin, n->time("last_seen")};
  }
  const json& scanners = r.optional_array("scanners", kScannersPerDevice);
  for (std::size_t i = 0; i < scanners.size(); ++i) {
    const JsonReader sc = r.element("scanners", scanners, i);
    ScannerState& scanner = rec.scanner_for(sc.mac("id"));
    scanner.last_counter = sc.count("last_counter");
    scanner.last_scan = sc.time("last_scan");
    scanner.site = sc.text_or_empty("site");
    if (sc.has("interfaces")) scanner.interfaces = sc.texts("interfaces", kMaxScanInterfaces);
    pinned_keys_from_json(sc, scanner);
  }
  rec.first_seen = r.time("first_seen");
  rec.last_seen = r.time("last_seen");
  return rec;
}

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
    if (!a.site.empty()) e["site"] = a.site;
    ips.push_back(std::move(e));
  }
  json j = {{"macs", std::move(macs)},
            {"ips", std::move(ips)},
            {"raspberry_pi", rec.raspberry_pi},
            {"first_seen", format_utc(rec.first_seen)},
            {"last_seen", format_utc(rec.last_seen)}};
  if (!rec.ipv6.empty()) {
    json ipv6 = json::array();
    for (const auto& a : rec.ipv6)
      ipv6.push_back({{"ip", a.ip.to_string()},
                      {"mac", a.mac.to_string()},
                      {"first_seen", format_utc(a.first_seen)},
                      {"last_seen", format_utc(a.last_seen)},
                      {"current", a.current}});
    j["ipv6"] = std::move(ipv6);
  }
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
  if (rec.agent) j["agent"] = agent_to_json(*rec.agent);
  identity_to_json(rec, j);
  put("site", rec.site);
  if (rec.seen_name)
    j["seen_name"] = {{"name", rec.seen_name->name},
                      {"source", name_origin_text(rec.seen_name->origin)},
                      {"last_seen", format_utc(rec.seen_name->last_seen)}};
  if (!rec.scanners.empty()) {
    json scanners = json::array();
    for (const auto& s : rec.scanners) {
      json scanner = {{"id", s.id.to_string()},
                      {"last_counter", s.last_counter},
                      {"last_scan", format_utc(s.last_scan)},
                      {"interfaces", s.interfaces}};
      if (!s.site.empty()) scanner["site"] = s.site;
      pinned_keys_to_json(s, scanner);
      scanners.push_back(std::move(scanner));
    }
    j["scanners"] = std::move(scanners);
  }
  return j;
}

// The pending keys and retired senders of each kind, each section only when it holds something.
json sections_to_json(const Inventory& inventory) {
  json out = json::object();
  for (const auto& sections : kSenderSections) {
    if (!inventory.pending_keys(sections.kind).empty()) {
      json pending = json::object();
      for (const auto& [sender, p] : inventory.pending_keys(sections.kind)) {
        json e = {{"key", p.key.to_string()},       {"hostname", p.hostname},
                  {"address", p.address},           {"first_seen", format_utc(p.first_seen)},
                  {"last_seen", format_utc(p.last_seen)}, {"reports", p.reports}};
        if (!p.site.empty()) e["site"] = p.site;
        pending[sender.to_string()] = std::move(e);
      }
      out[sections.pending] = std::move(pending);
    }
    if (!inventory.retired(sections.kind).empty()) {
      json retired = json::object();
      for (const auto& [sender, r] : inventory.retired(sections.kind)) {
        json e = {{"last_counter", r.last_counter}, {"retired", format_utc(r.retired)}};
        pinned_keys_to_json(r, e);
        retired[sender.to_string()] = std::move(e);
      }
      out[sections.retired] = std::move(retired);
    }
  }
  return out;
}

std::string sections_text(const Inventory& inventory) {
  const json sections = sections_to_json(inventory);
  return sections.empty() ? std::string() : sections.dump();
}

json inventory_to_json(const Inventory& inventory, TimePoint updated) {
  json devices = json::object();
  for (const auto& [id, rec] : inventory.records()) devices[id.to_string()] = record_to_json(rec);
  json document = {{"schema", SchemaVersion{kInventorySchemaMajor, kInventorySchemaMinor}.to_string()},
                   {"updated", format_utc(updated)},
                   {"devices", std::move(devices)}};
  document.update(sections_to_json(inventory));
  return document;
}

namespace {

bool all_finite(const std::vector<DriftSample>& history) {
  return std::all_of(history.begin(), history.end(), [](const DriftSample& s) {
    return std::isfinite(s.drift_ppm) && std::isfinite(s.uncertainty_ppm) && std::isfinite(s.offset_s);
  });
}

}  // namespace

// The drift history is most of a reporting device's record, so it is formatted directly rather than through
// a JSON tree (the collector re-serialises hundreds per commit).
std::string device_line(const MacAddress& id, const InventoryRecord& record) {
  if (record.drift_history.empty() || !all_finite(record.drift_history))
    return "\"" + id.to_string() + "\": " + record_to_json(record).dump();
  std::string text;
  text.reserve(512 + record.drift_history.size() * 112);
  text += '"';
  text += id.to_string();
  text += "\": ";
  text += record_to_json(record, false).dump();
  text.pop_back();  // the record's closing brace
  text += ",\"drift_history\":[";
  auto out = std::back_inserter(text);
  for (std::size_t i = 0; i < record.drift_history.size(); ++i) {
    const DriftSample& s = record.drift_history[i];
    text += i ? ",{\"at\":\"" : "{\"at\":\"";
    append_utc(text, s.at);
    fmt::format_to(out, FMT_COMPILE("\",\"drift_ppm\":{},\"uncertainty_ppm\":{},\"offset_s\":{}}}"), s.drift_ppm,
                   s.uncertainty_ppm, s.offset_s);
  }
  text += "]}";
  return text;
}

DocumentPieces::DocumentPieces(TimePoint updated, std::uint64_t generation, std::vector<std::string_view> lines,
                               std::string_view sections)
    : head(fmt::format("{{\"schema\": \"{}.{}\", \"updated\": \"{}\", ", kInventorySchemaMajor,
                       kInventorySchemaMinor, format_utc(updated))),
      tail(sections.size() > 2 ? ",\n" + std::string(sections.substr(1)) + "\n" : "}\n"),
      device_lines(std::move(lines)) {
  if (generation != 0) head += fmt::format("\"generation\": {}, ", generation);
  head += "\"devices\": {";
  tail.insert(0, "\n}");
}

std::vector<std::string_view> DocumentPieces::all() const {
  std::vector<std::string_view> pieces;
  pieces.reserve(device_lines.size() * 2 + 2);
  pieces.push_back(head);
  for (std::size_t i = 0; i < device_lines.size(); ++i) {
    pieces.push_back(i == 0 ? kSeparator.substr(1) : kSeparator);
    pieces.push_back(device_lines[i]);
  }
  pieces.push_back(tail);
  return pieces;
}

std::string DocumentPieces::text() const {
  std::string text;
  for (const auto piece : all()) text += piece;
  return text;
}

std::string inventory_to_text(const Inventory& inventory, TimePoint updated, std::uint64_t generation) {
  std::vector<std::string> lines;
  lines.reserve(inventory.size());
  for (const auto& [id, record] : inventory.records()) lines.push_back(device_line(id, record));
  return DocumentPieces(updated, generation, {lines.begin(), lines.end()}, sections_text(inventory)).text();
}

namespace {

constexpr std::string_view kDevicesOpen = "\"devices\": {";

// The header fields every document has, from its parsed top-level object (devices aside).
void read_header(const json& document, InventoryDocument& result) {
  if (!document.is_object()) throw Error("not a pifind inventory: the document is not a JSON object");
  const SchemaVersion schema = parse_schema(document);
  if (schema.major > kInventorySchemaMajor)
    throw Error(fmt::format("schema {} is newer than this pifind understands ({}.x); upgrade pifind",
                            schema.to_string(), kInventorySchemaMajor));
  if (schema.major < 1) throw Error(fmt::format("schema {} is not a version pifind ever wrote", schema.to_string()));
  if (const auto generation = document.find("generation"); generation != document.end()) {
    if (!generation->is_number_unsigned())
      throw Error("not a pifind inventory: \"generation\" is not a non-negative integer");
    result.generation = generation->get<std::uint64_t>();
  }
}

json parse_json(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    // nlohmann's message is already one line: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    // A number too large for a double (1e2370) is an out_of_range error from the same parse, not a parse_error.
    // Its "; last read: '...'" tail quotes the file, which may be a key or a password file given by mistake.
    std::string message = e.what();
    const auto at = message.find("] ");
    if (at != std::string::npos) message = message.substr(at + 2);
    if (const auto quote = message.find("; last read"); quote != std::string::npos) message.resize(quote);
    if (const auto quote = message.find(" '"); quote != std::string::npos) message.resize(quote);
    throw Error("not valid JSON: " + message);
  }
}

// The document as pifind writes it: a header line ending in `"devices": {`, one device per line, then `}}`,
// or `},` and the other sections on one line. Nothing if it is not laid out so, or anything in it fails: the
// whole-document parse then says what.
std::optional<InventoryDocument> read_line_per_device(std::string_view text, bool keep_lines) {
  const auto first_newline = text.find('\n');
  if (first_newline == std::string_view::npos) return std::nullopt;
  const std::string_view head = text.substr(0, first_newline);
  if (head.size() < kDevicesOpen.size() || head.substr(head.size() - kDevicesOpen.size()) != kDevicesOpen)
    return std::nullopt;
  const std::string_view rest = text.substr(first_newline + 1);
  // Lines hold no raw newline, so the first "\n}" closes the devices (at once when there are none).
  std::string_view block, after;
  if (!rest.empty() && rest.front() == '}') {
    after = rest.substr(1);
  } else {
    const auto close = rest.find("\n}");
    if (close == std::string_view::npos) return std::nullopt;
    block = rest.substr(0, close);
    after = rest.substr(close + 2);
  }
  while (!after.empty() && (after.back() == '\n' || after.back() == ' ')) after.remove_suffix(1);
  std::string top = std::string(head) + "}";
  if (after == "}") {
    top += "}";
  } else if (after.size() > 2 && after.front() == ',' && after.back() == '}') {
    top += after;  // `,\n"pending_keys": {...}, ...}`
  } else {
    return std::nullopt;
  }
  try {
    InventoryDocument result;
    const json document = json::parse(top);
    read_header(document, result);
    auto records = records_from_device_lines(block, keep_lines ? &result.lines : nullptr);
    if (!records) return std::nullopt;
    for (auto& record : *records) result.inventory.insert_loaded(std::move(record));
    sections_from_json(document, result.inventory);
    result.inventory.take_changed();
    return result;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::vector<InventoryRecord>> records_from_device_lines(
    std::string_view block, std::unordered_map<MacAddress, std::string>* lines) {
  std::vector<InventoryRecord> records;
  records.reserve(static_cast<std::size_t>(std::count(block.begin(), block.end(), '\n')) + 1);
  if (lines) lines->reserve(records.capacity());
  // `"b8:27:eb:00:00:01": {` : the quoted MAC (19 characters), ": ", the object.
  constexpr std::size_t kKeyEnd = 19;
  while (!block.empty()) {
    const auto newline = block.find('\n');
    std::string_view line = block.substr(0, newline);
    block = newline == std::string_view::npos ? std::string_view() : block.substr(newline + 1);
    if (newline != std::string_view::npos) {
      if (line.empty() || line.back() != ',') return std::nullopt;
      line.remove_suffix(1);
    }
    if (line.size() < kKeyEnd + 4 || line[0] != '"' || line[kKeyEnd - 1] != '"' || line.substr(kKeyEnd, 2) != ": " ||
        line[kKeyEnd + 2] != '{' || line.back() != '}')
      return std::nullopt;
    const auto id = MacAddress::parse(line.substr(1, kKeyEnd - 2));
    if (!id || id->to_string() != line.substr(1, kKeyEnd - 2)) return std::nullopt;
    records.push_back(record_from_json(*id, parse_json(line.substr(kKeyEnd + 2))));
    if (lines) (*lines)[*id] = std::string(line);
  }
  return records;
}

InventoryDocument inventory_document_from_text(std::string_view text, bool keep_lines) {
  if (auto fast = read_line_per_device(text, keep_lines)) return std::move(*fast);
  const json document = parse_json(text);
  InventoryDocument result;
  read_header(document, result);
  const auto devices = document.find("devices");
  if (devices != document.end()) {
    if (!devices->is_object()) throw Error("not a pifind inventory: \"devices\" is not an object keyed by MAC");
    for (const auto& [key, value] : devices->items()) {
      const auto id = MacAddress::parse(key);
      if (!id) throw Error("not a pifind inventory: a key of \"devices\" is not a MAC address");
      result.inventory.insert_loaded(record_from_json(*id, value));
    }
  }
  sections_from_json(document, result.inventory);
  result.inventory.take_changed();  // freshly loaded: nothing has changed yet
  return result;
}

Inventory inventory_from_text(std::string_view text) {
  Inventory inventory = inventory_document_from_text(text).inventory;
  give_missing_aliases(inventory);
  return inventory;
}

}  // namespace pifind
