#include "inventory/protocol/device_key.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <utility>
#include <vector>

#include "inventory/core/error.h"

namespace pifind {
namespace {

constexpr std::string_view kPrefix = "ed25519=";
constexpr std::size_t kSignatureBytes = 64;

std::string base64(const std::uint8_t* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Exactly `size` bytes from canonical base64 text (the one encoding base64() gives), else nothing: a
// second spelling of the same key or signature would be a second identity in logs and the inventory.
std::optional<std::vector<std::uint8_t>> unbase64(std::string_view text, std::size_t size) {
  if (text.size() != 4 * ((size + 2) / 3)) return std::nullopt;
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < static_cast<int>(size)) return std::nullopt;
  out.resize(size);
  if (base64(out.data(), out.size()) != text) return std::nullopt;
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

}  // namespace

namespace {

std::string signed_message(std::string_view domain, const MacAddress& sender, std::uint64_t counter,
                           std::string_view body) {
  std::string message = fmt::format("{}\n{}\n{}\n", domain, sender.to_string(), counter);
  message.append(body);
  return message;
}

}  // namespace

std::string report_message(const MacAddress& agent, std::uint64_t counter, std::string_view body) {
  return signed_message("pifind-report-v1", agent, counter, body);
}

std::string scan_message(const MacAddress& scanner, std::uint64_t counter, std::string_view body) {
  return signed_message("pifind-scan-v1", scanner, counter, body);
}

std::optional<DevicePublicKey> DevicePublicKey::parse(std::string_view text) {
  if (!text.starts_with(kPrefix)) return std::nullopt;
  const auto raw = unbase64(text.substr(kPrefix.size()), 32);
  if (!raw) return std::nullopt;
  Bytes bytes{};
  std::copy(raw->begin(), raw->end(), bytes.begin());
  return DevicePublicKey(bytes);
}

std::string DevicePublicKey::to_string() const { return std::string(kPrefix) + base64(bytes_.data(), bytes_.size()); }

std::string DevicePublicKey::fingerprint() const {
  std::uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(bytes_.data(), bytes_.size(), digest);
  std::string text = base64(digest, sizeof digest);
  while (!text.empty() && text.back() == '=') text.pop_back();
  return "SHA256:" + text;
}

bool DevicePublicKey::verify(std::string_view message, std::string_view signature_text) const {
  if (!signature_text.starts_with(kPrefix)) return false;
  const auto signature = unbase64(signature_text.substr(kPrefix.size()), kSignatureBytes);
  if (!signature) return false;
  const std::unique_ptr<EVP_PKEY, PkeyFree> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_.data(), bytes_.size()));
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

DevicePrivateKey::DevicePrivateKey(evp_pkey_st* key) : key_(key) {}
DevicePrivateKey::DevicePrivateKey(DevicePrivateKey&& other) noexcept : key_(std::exchange(other.key_, nullptr)) {}
DevicePrivateKey& DevicePrivateKey::operator=(DevicePrivateKey&& other) noexcept {
  std::swap(key_, other.key_);
  return *this;
}
DevicePrivateKey::~DevicePrivateKey() { EVP_PKEY_free(key_); }

DevicePrivateKey DevicePrivateKey::generate() {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  const bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) throw Error("cannot generate an Ed25519 key (OpenSSL failed)");
  return DevicePrivateKey(key);
}

DevicePrivateKey DevicePrivateKey::from_pem(std::string_view pem) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr) throw Error("not a PEM private key");
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    throw Error("not an Ed25519 private key");
  }
  return DevicePrivateKey(key);
}

std::string DevicePrivateKey::to_pem() const {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw Error("cannot encode the device key (OpenSSL failed)");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

DevicePublicKey DevicePrivateKey::public_key() const {
  DevicePublicKey::Bytes bytes{};
  std::size_t size = bytes.size();
  if (EVP_PKEY_get_raw_public_key(key_, bytes.data(), &size) != 1 || size != bytes.size())
    throw Error("cannot read the device key's public half (OpenSSL failed)");
  return DevicePublicKey(bytes);
}

std::string DevicePrivateKey::sign(std::string_view message) const {
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::uint8_t signature[kSignatureBytes];
  std::size_t size = sizeof signature;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &size, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      size != sizeof signature)
    throw Error("cannot sign with the device key (OpenSSL failed)");
  return std::string(kPrefix) + base64(signature, size);
}

}  // namespace pifind
