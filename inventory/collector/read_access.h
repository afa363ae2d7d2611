// Who may read what the collector serves (the inventory, the dashboard, /metrics): a bearer token from a
// file, HTTP basic auth against a file of crypt(3) password hashes, or both; /metrics optionally open, as a
// Prometheus scrape without credentials expects. Reports are authenticated by their signatures instead.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace pifind {

class ReadAccess {
 public:
  /// Nobody is asked for anything (no --read-token-file, no --read-users): the old behaviour.
  ReadAccess() = default;
  /// `token_file`: one token (16 to 4096 bytes, trailing whitespace dropped), mode 0600 or stricter, as the
  /// fleet key. `users_file`: lines "user:hash" with crypt(3) hashes (`openssl passwd -6`, `mkpasswd -m
  /// yescrypt`); '#' comments and blank lines ignored; group- or world-readable refused. Throws Error.
  ReadAccess(const std::optional<std::filesystem::path>& token_file,
             const std::optional<std::filesystem::path>& users_file, bool metrics_open);
  ReadAccess(const ReadAccess&) = delete;
  ReadAccess& operator=(const ReadAccess&) = delete;

  /// True when reads need credentials at all.
  bool protects() const { return token_.has_value() || !users_.empty(); }
  /// Whether a GET of `path` with this Authorization header value may be answered.
  bool allows(std::string_view path, std::string_view authorization) const;
  /// The WWW-Authenticate value of a 401: the schemes configured.
  std::string challenge() const;

 private:
  bool basic_ok(std::string_view credentials) const;

  std::optional<std::string> token_;
  std::map<std::string, std::string> users_;  // user -> crypt(3) hash
  bool metrics_open_ = false;
  // crypt(3) costs milliseconds on purpose: a password once verified is remembered (its SHA-256, per user),
  // so a dashboard's every request does not pay it again. Bounded.
  mutable std::mutex verified_mutex_;
  mutable std::set<std::string> verified_;
};

}  // namespace pifind
