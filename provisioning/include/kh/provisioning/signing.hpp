#pragma once
// Ed25519 signatures (libsodium) on protocol envelopes: the hub signs every catalog, device config
// and credentials message it publishes; an enrolled kiosk accepts only what verifies with the hub
// key from its identity file. The signature is a detached `sig` member of the envelope, so the
// body (whatever fields it gains) is signed as a whole and receivers that do not check ignore it.
//
//   "sig": {"alg": "ed25519", "kid": "<16 hex: first 8 bytes of the public key>", "value": "<base64>"}
//
// The signed bytes are  "kh-sig-v1\n" + type + "\n" + id + "\n" + ts + "\n" + canonical(body),
// canonical = compact JSON with object members sorted by name (nlohmann::json::dump()).

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kh::provisioning {

using public_key = std::array<std::uint8_t, 32>;

/// Standard base64 (with padding) and back; decode returns nullopt for anything not base64.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
/// Lower-case hex of bytes.
std::string hex(std::string_view bytes);

/// "ed25519:<base64 of the 32-byte public key>" and back.
std::string format_public_key(const public_key& k);
std::optional<public_key> parse_public_key(std::string_view text);
/// Key id: hex of the first 8 bytes of the public key.
std::string key_id(const public_key& k);

/// An Ed25519 key pair. The secret half never leaves the hub's data directory.
class signing_key {
 public:
  /// A fresh random key.
  static signing_key generate();
  /// Loads FILE (base64 of the 32-byte seed), or creates it (mode 0600, written atomically) when
  /// missing. Throws std::runtime_error for an unreadable or malformed file.
  static signing_key load_or_create(const std::filesystem::path& file);
  /// From a 32-byte seed (tests, documented examples).
  static signing_key from_seed(std::string_view seed32);

  const public_key& public_half() const noexcept { return pk_; }
  /// Adds/replaces the `sig` member of an envelope (which must have type, id, ts, body).
  void sign(nlohmann::json& envelope) const;
  /// Parses, signs and re-serialises an envelope payload.
  std::string sign_payload(std::string_view payload) const;

 private:
  std::array<std::uint8_t, 64> sk_{};
  public_key pk_{};
};

/// Why a payload did not verify (machine words: missing_signature, bad_signature, wrong_key,
/// malformed).
enum class verify_error { ok, malformed, missing_signature, wrong_key, bad_signature };
const char* to_string(verify_error e) noexcept;

/// Checks the `sig` of an envelope against `key`.
verify_error verify(const nlohmann::json& envelope, const public_key& key);
verify_error verify_payload(std::string_view payload, const public_key& key);

/// The exact bytes that are signed (exposed for tests and documentation).
std::string signed_bytes(const nlohmann::json& envelope);

}  // namespace kh::provisioning
