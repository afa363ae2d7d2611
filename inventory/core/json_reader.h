// Reading untrusted JSON objects into typed values, with a one-line error that names the document and the
// field's path; and the MAJOR.MINOR schema version. The one reader the report and the inventory file share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inventory/core/mac_address.h"
#include "inventory/core/time_text.h"

namespace pifind {

/// A document's "schema" version, "MAJOR.MINOR": readers refuse a newer major, accept any minor.
struct SchemaVersion {
  int major = 0;
  int minor = 0;

  /// Nothing unless `text` is exactly two non-negative decimal integers joined by '.' (no sign, space or tail).
  static std::optional<SchemaVersion> parse(std::string_view text);
  /// "MAJOR.MINOR".
  std::string to_string() const;
};

/// `text` parsed as the JSON object a document named `name` ("report", "scan") must be. Throws pifind::Error:
/// "NAME: N bytes is larger than the M allowed", "NAME: not valid JSON", "NAME: not a JSON object".
nlohmann::json parse_json_object(std::string_view text, std::string_view name, std::size_t max_bytes);

/// One JSON object of a document being read. Every accessor throws pifind::Error, one line, as
/// "<document>: '<path>' <problem>", e.g. "report: 'identity.interfaces[2].mac' is not a MAC address".
/// A field that is null counts as absent.
class JsonReader {
 public:
  /// Throws Error unless `value` is an object. `document` names the whole ("report", "device b8:27:eb:..."),
  /// `path` where this object sits in it ("" at the top, "identity", "ips[0]"). `value` must outlive the reader.
  JsonReader(const nlohmann::json& value, std::string document, std::string path = {});

  /// The field, or nullptr when it is absent or null.
  const nlohmann::json* find(const char* field) const;
  bool has(const char* field) const { return find(field) != nullptr; }

  /// A required string.
  std::string text(const char* field) const;
  /// A string, or "" when absent.
  std::string text_or_empty(const char* field) const;
  /// A required true/false, or nothing when absent.
  bool flag(const char* field) const;
  std::optional<bool> optional_flag(const char* field) const;
  /// A finite number (integer or not).
  double number(const char* field) const;
  std::optional<double> optional_number(const char* field) const;
  /// An integer that fits in int64.
  std::int64_t integer(const char* field) const;
  std::optional<std::int64_t> optional_integer(const char* field) const;
  /// A non-negative integer.
  std::uint64_t count(const char* field) const;
  /// A non-negative integer that also fits in int64: a signed message's counter.
  std::uint64_t counter(const char* field) const;
  MacAddress mac(const char* field) const;
  /// An RFC 3339 UTC instant (time_text.h).
  TimePoint time(const char* field) const;

  /// A required array of at most `max_items` elements.
  const nlohmann::json& array(const char* field, std::size_t max_items) const;
  /// The same, or an empty array when absent.
  const nlohmann::json& optional_array(const char* field, std::size_t max_items) const;
  /// A required array of at most `max_items` strings.
  std::vector<std::string> texts(const char* field, std::size_t max_items) const;
  /// A required object field, as a reader.
  JsonReader object(const char* field) const;
  /// An object field as a reader, or nothing when absent.
  std::optional<JsonReader> optional_object(const char* field) const;
  /// Element `index` of array field `field` (from array()), which must be an object.
  JsonReader element(const char* field, const nlohmann::json& array, std::size_t index) const;

  /// The document's "schema" field when its major version is `major`. Throws Error for one that is not
  /// MAJOR.MINOR, or of another major: "<document>: schema 2.0 is newer than this reader understands (1.x);
  /// upgrade pifind" (or older than it supports).
  SchemaVersion schema(int major) const;

  /// Throws the error for `field` of this object: "<document>: '<path.field>' <problem>".
  [[noreturn]] void fail(std::string_view field, std::string_view problem) const;

 private:
  const nlohmann::json& need(const char* field) const;
  std::string path_of(std::string_view field) const;

  const nlohmann::json* object_;
  std::string document_;
  std::string path_;
};

}  // namespace pifind
