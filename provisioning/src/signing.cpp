#include "kh/provisioning/signing.hpp"

#include <stdexcept>

#include <sodium.h>

#include "kh/provisioning/files.hpp"

namespace kh::provisioning {

namespace {
void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}
constexpr std::string_view k_sig_prefix = "kh-sig-v1\n";
}  // namespace

std::string base64_encode(std::string_view bytes) {
  init_sodium();
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  init_sodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string format_public_key(const public_key& k) {
  return "ed25519:" + base64_encode({reinterpret_cast<const char*>(k.data()), k.size()});
}

std::optional<public_key> parse_public_key(std::string_view text) {
  constexpr std::string_view prefix = "ed25519:";
  if (!text.starts_with(prefix)) return std::nullopt;
  auto raw = base64_decode(text.substr(prefix.size()));
  if (!raw || raw->size() != 32) return std::nullopt;
  public_key k{};
  std::copy(raw->begin(), raw->end(), reinterpret_cast<char*>(k.data()));
  return k;
}

std::string key_id(const public_key& k) { return hex({reinterpret_cast<const char*>(k.data()), 8}); }

signing_key signing_key::generate() {
  init_sodium();
  signing_key s;
  crypto_sign_keypair(s.pk_.data(), s.sk_.data());
  return s;
}

signing_key signing_key::from_seed(std::string_view seed32) {
  init_sodium();
  if (seed32.size() != crypto_sign_SEEDBYTES) throw std::invalid_argument("signing key seed must be 32 bytes");
  signing_key s;
  crypto_sign_seed_keypair(s.pk_.data(), s.sk_.data(), reinterpret_cast<const unsigned char*>(seed32.data()));
  return s;
}

signing_key signing_key::load_or_create(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) {
    auto text = read_file(file);
    if (!text) throw std::runtime_error("cannot read signing key " + file.string());
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r' || text->back() == ' ')) text->pop_back();
    auto seed = base64_decode(*text);
    if (!seed || seed->size() != crypto_sign_SEEDBYTES)
      throw std::runtime_error("signing key " + file.string() + " is not base64 of a 32-byte Ed25519 seed");
    auto k = from_seed(*seed);
    sodium_memzero(seed->data(), seed->size());
    return k;
  }
  const std::string seed = random_bytes(crypto_sign_SEEDBYTES);
  auto k = from_seed(seed);
  if (auto err = write_file_atomic(file, base64_encode(seed) + "\n", 0600); !err.empty())
    throw std::runtime_error("cannot write signing key: " + err);
  return k;
}

std::string signed_bytes(const nlohmann::json& envelope) {
  std::string out(k_sig_prefix);
  out += envelope.at("type").get<std::string>();
  out += '\n';
  out += envelope.at("id").get<std::string>();
  out += '\n';
  out += envelope.at("ts").get<std::string>();
  out += '\n';
  out += envelope.at("body").dump();
  return out;
}

void signing_key::sign(nlohmann::json& envelope) const {
  const std::string msg = signed_bytes(envelope);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), sk_.data());
  envelope["sig"] = {{"alg", "ed25519"},
                     {"kid", key_id(pk_)},
                     {"value", base64_encode({reinterpret_cast<const char*>(sig), sizeof sig})}};
}

std::string signing_key::sign_payload(std::string_view payload) const {
  auto j = nlohmann::json::parse(payload);
  sign(j);
  return j.dump();
}

const char* to_string(verify_error e) noexcept {
  switch (e) {
    case verify_error::ok: return "ok";
    case verify_error::malformed: return "malformed";
    case verify_error::missing_signature: return "missing_signature";
    case verify_error::wrong_key: return "wrong_key";
    case verify_error::bad_signature: return "bad_signature";
  }
  return "malformed";
}

verify_error verify(const nlohmann::json& envelope, const public_key& key) {
  init_sodium();
  if (!envelope.is_object()) return verify_error::malformed;
  const auto sig = envelope.find("sig");
  if (sig == envelope.end() || sig->is_null()) return verify_error::missing_signature;
  if (!sig->is_object()) return verify_error::malformed;
  const auto alg = sig->find("alg");
  const auto kid = sig->find("kid");
  const auto value = sig->find("value");
  if (alg == sig->end() || !alg->is_string() || *alg != "ed25519") return verify_error::malformed;
  if (value == sig->end() || !value->is_string()) return verify_error::malformed;
  if (kid != sig->end() && (!kid->is_string() || *kid != key_id(key))) return verify_error::wrong_key;
  for (const char* f : {"type", "id", "ts"}) {
    const auto it = envelope.find(f);
    if (it == envelope.end() || !it->is_string()) return verify_error::malformed;
  }
  if (!envelope.contains("body")) return verify_error::malformed;
  const auto raw = base64_decode(value->get_ref<const std::string&>());
  if (!raw || raw->size() != crypto_sign_BYTES) return verify_error::malformed;
  const std::string msg = signed_bytes(envelope);
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(raw->data()),
                                  reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), key.data()) != 0) {
    return verify_error::bad_signature;
  }
  return verify_error::ok;
}

verify_error verify_payload(std::string_view payload, const public_key& key) {
  auto j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded()) return verify_error::malformed;
  return verify(j, key);
}

}  // namespace kh::provisioning
