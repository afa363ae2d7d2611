#include "inventory/collector/read_access.h"

#include <crypt.h>

#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "inventory/core/error.h"
#include "inventory/core/secret_file.h"
#include "inventory/protocol/hmac_sha256.h"

namespace pifind {
namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;
constexpr std::size_t kMaxVerified = 1024;

// Equal in time independent of where they differ (their digests are compared, so lengths leak nothing).
bool same_secret(std::string_view a, std::string_view b) {
  const auto da = hmac_sha256("pifind-read-access", a), db = hmac_sha256("pifind-read-access", b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) return std::nullopt;
  std::vector<unsigned char> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;  // DecodeBlock counts padding
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

bool starts_with_scheme(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != std::tolower(static_cast<unsigned char>(scheme[i])))
      return false;
  return true;
}

}  // namespace

ReadAccess::ReadAccess(const std::optional<std::filesystem::path>& token_file,
                       const std::optional<std::filesystem::path>& users_file, bool metrics_open)
    : metrics_open_(metrics_open) {
  if (token_file) {
    std::string token = *read_secret_file(*token_file, "read token file", kMaxFileBytes);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (token.size() < 16 || token.size() > 4096 || token.find_first_of(" \t\r\n") != std::string::npos)
      throw Error(fmt::format("read token file {} must hold one token of 16 to 4096 characters "
                              "(e.g. from `openssl rand -hex 32`)",
                              token_file->string()));
    token_ = std::move(token);
  }
  if (users_file) {
    std::istringstream in(*read_secret_file(*users_file, "read users file", kMaxFileBytes));
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (line.empty() || line[0] == '#') continue;
      const auto colon = line.find(':');
      const std::string user = line.substr(0, colon), hash = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (user.empty() || hash.size() < 13 || hash[0] != '$')
        throw Error(fmt::format("read users file {} line {}: expected user:$id$...crypt hash (`openssl passwd -6`)",
                                users_file->string(), number));
      users_[user] = hash;
    }
    if (users_.empty()) throw Error("read users file " + users_file->string() + " names no user");
  }
}

bool ReadAccess::basic_ok(std::string_view credentials) const {
  const auto decoded = unbase64(credentials);
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const std::string user = decoded->substr(0, colon), password = decoded->substr(colon + 1);
  const auto it = users_.find(user);
  if (it == users_.end()) return false;
  const auto digest = hmac_sha256(it->second, password);
  const std::string remembered(digest.begin(), digest.end());
  {
    const std::lock_guard lock(verified_mutex_);
    if (verified_.count(user + '\n' + remembered)) return true;
  }
  crypt_data data{};
  const char* hashed = ::crypt_r(password.c_str(), it->second.c_str(), &data);
  if (hashed == nullptr || hashed[0] == '*' || !same_secret(hashed, it->second)) return false;
  const std::lock_guard lock(verified_mutex_);
  if (verified_.size() >= kMaxVerified) verified_.clear();
  verified_.insert(user + '\n' + remembered);
  return true;
}

bool ReadAccess::allows(std::string_view path, std::string_view authorization) const {
  if (!protects() || path == "/healthz" || (metrics_open_ && path == "/metrics")) return true;
  if (token_ && starts_with_scheme(authorization, "Bearer"))
    return same_secret(authorization.substr(7), *token_);
  if (!users_.empty() && starts_with_scheme(authorization, "Basic")) return basic_ok(authorization.substr(6));
  return false;
}

std::string ReadAccess::challenge() const {
  std::string out;
  if (token_) out = "Bearer realm=\"pifind\"";
  if (!users_.empty()) out += std::string(out.empty() ? "" : ", ") + "Basic realm=\"pifind\", charset=\"UTF-8\"";
  return out;
}

}  // namespace pifind
