#include "inventory/core/json_reader.h"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {

using nlohmann::json;

std::optional<SchemaVersion> SchemaVersion::parse(std::string_view text) {
  SchemaVersion v;
  const char* end = text.data() + text.size();
  auto digits_at = [end](const char* p) { return p != end && *p >= '0' && *p <= '9'; };
  if (!digits_at(text.data())) return std::nullopt;
  auto r = std::from_chars(text.data(), end, v.major);
  if (r.ec != std::errc{} || r.ptr == end || *r.ptr != '.' || !digits_at(r.ptr + 1)) return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, v.minor);
  if (r.ec != std::errc{} || r.ptr != end) return std::nullopt;
  return v;
}

std::string SchemaVersion::to_string() const { return fmt::format("{}.{}", major, minor); }

json parse_json_object(std::string_view text, std::string_view name, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    throw Error(fmt::format("{}: {} bytes is larger than the {} allowed", name, text.size(), max_bytes));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(fmt::format("{}: not valid JSON", name));
  if (!j.is_object()) throw Error(fmt::format("{}: not a JSON object", name));
  return j;
}

SchemaVersion JsonReader::schema(int major) const {
  const std::string text = this->text("schema");
  const auto version = SchemaVersion::parse(text);
  if (!version) fail("schema", "is not MAJOR.MINOR");
  if (version->major > major)
    throw Error(fmt::format("{}: schema {} is newer than this reader understands ({}.x); upgrade pifind", document_,
                            text, major));
  if (version->major < major)
    throw Error(fmt::format("{}: schema {} is older than this reader supports ({}.x)", document_, text, major));
  return *version;
}

JsonReader::JsonReader(const json& value, std::string document, std::string path)
    : object_(&value), document_(std::move(document)), path_(std::move(path)) {
  if (!value.is_object()) {
    if (path_.empty()) throw Error(document_ + ": not a JSON object");
    throw Error(fmt::format("{}: '{}' is not an object", document_, path_));
  }
}

std::string JsonReader::path_of(std::string_view field) const {
  return path_.empty() ? std::string(field) : fmt::format("{}.{}", path_, field);
}

void JsonReader::fail(std::string_view field, std::string_view problem) const {
  throw Error(fmt::format("{}: '{}' {}", document_, path_of(field), problem));
}

const json* JsonReader::find(const char* field) const {
  const auto it = object_->find(field);
  return it == object_->end() || it->is_null() ? nullptr : &*it;
}

const json& JsonReader::need(const char* field) const {
  const json* v = find(field);
  if (!v) fail(field, "is missing");
  return *v;
}

std::string JsonReader::text(const char* field) const {
  const json& v = need(field);
  if (!v.is_string()) fail(field, "is not a string");
  return v.get<std::string>();
}

std::string JsonReader::text_or_empty(const char* field) const { return has(field) ? text(field) : std::string(); }

bool JsonReader::flag(const char* field) const {
  const json& v = need(field);
  if (!v.is_boolean()) fail(field, "is not true or false");
  return v.get<bool>();
}

std::optional<bool> JsonReader::optional_flag(const char* field) const {
  if (!has(field)) return std::nullopt;
  return flag(field);
}

double JsonReader::number(const char* field) const {
  const json& v = need(field);
  if (!v.is_number()) fail(field, "is not a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) fail(field, "is not finite");
  return d;
}

std::optional<double> JsonReader::optional_number(const char* field) const {
  if (!has(field)) return std::nullopt;
  return number(field);
}

std::int64_t JsonReader::integer(const char* field) const {
  const json& v = need(field);
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(field, "is out of range");
    return static_cast<std::int64_t>(v.get<std::uint64_t>());
  }
  if (!v.is_number_integer()) fail(field, "is not an integer");
  return v.get<std::int64_t>();
}

std::optional<std::int64_t> JsonReader::optional_integer(const char* field) const {
  if (!has(field)) return std::nullopt;
  return integer(field);
}

std::uint64_t JsonReader::count(const char* field) const {
  const json& v = need(field);
  if (!v.is_number_unsigned()) fail(field, "is not a non-negative integer");
  return v.get<std::uint64_t>();
}

std::uint64_t JsonReader::counter(const char* field) const {
  const std::uint64_t v = count(field);
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) fail(field, "is out of range");
  return v;
}

MacAddress JsonReader::mac(const char* field) const {
  const auto m = MacAddress::parse(text(field));
  if (!m) fail(field, "is not a MAC address");
  return *m;
}

TimePoint JsonReader::time(const char* field) const {
  const auto t = parse_utc(text(field));
  if (!t) fail(field, "is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
  return *t;
}

const json& JsonReader::array(const char* field, std::size_t max_items) const {
  const json& v = need(field);
  if (!v.is_array()) fail(field, "is not an array");
  if (v.size() > max_items) fail(field, fmt::format("has {} entries, at most {} allowed", v.size(), max_items));
  return v;
}

const json& JsonReader::optional_array(const char* field, std::size_t max_items) const {
  static const json empty = json::array();
  return has(field) ? array(field, max_items) : empty;
}

std::vector<std::string> JsonReader::texts(const char* field, std::size_t max_items) const {
  std::vector<std::string> out;
  for (const auto& v : array(field, max_items)) {
    if (!v.is_string()) fail(field, "holds something that is not a string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

JsonReader JsonReader::object(const char* field) const { return JsonReader(need(field), document_, path_of(field)); }

std::optional<JsonReader> JsonReader::optional_object(const char* field) const {
  if (!has(field)) return std::nullopt;
  return object(field);
}

JsonReader JsonReader::element(const char* field, const json& array, std::size_t index) const {
  return JsonReader(array.at(index), document_, fmt::format("{}[{}]", path_of(field), index));
}

}  // namespace pifind
