#pragma once
// Bearer secrets and enrollment URIs (docs/provisioning.md).
//
//   API token         kha1.<id>.<secret>   made by `kioskhub api-token create`, revocable
//   enrollment token  khe1.<id>.<secret>   made by `kioskctl enroll create`, single use, expires
//
// <id> is 16 lower-case hex characters (looked up in the hub's database), <secret> 43 characters
// of base64url (32 random bytes). The hub stores only SHA-256(secret) and compares in constant
// time, so a leaked database does not leak usable tokens.
//
//   enrollment URI    kioskhub+http://HOST:PORT/enroll/<token>    (kioskhub+https:// for TLS)

#include <optional>
#include <string>
#include <string_view>

namespace kh::provisioning {

enum class token_kind { api, enrollment };

struct token {
  token_kind kind = token_kind::api;
  std::string id;      ///< 16 hex
  std::string secret;  ///< 43 base64url characters
  /// "kha1.<id>.<secret>" / "khe1.<id>.<secret>"
  std::string text() const;
};

/// A fresh random token.
token make_token(token_kind kind);
/// Parses the text form; nullopt for anything else (wrong prefix, lengths, alphabet).
std::optional<token> parse_token(std::string_view text);
/// Hex SHA-256 of the secret (what the hub stores).
std::string secret_hash(std::string_view secret);
/// Constant-time comparison of two hashes of equal length.
bool hashes_equal(std::string_view a, std::string_view b) noexcept;

struct enrollment_uri {
  bool tls = false;    ///< https to the hub
  std::string host;    ///< name, IPv4, or IPv6 without brackets
  std::uint16_t port = 0;
  std::string token;   ///< the token's text form
  /// The URI text.
  std::string text() const;
  /// "http://HOST:PORT" / "https://HOST:PORT": where the enrollment endpoint lives.
  std::string hub_url() const;
};
/// Parses "kioskhub+http[s]://HOST:PORT/enroll/<token>"; nullopt when malformed.
std::optional<enrollment_uri> parse_enrollment_uri(std::string_view text);
/// From a hub base URL ("http://127.0.0.1:8080") and a token; nullopt for a bad URL.
std::optional<enrollment_uri> make_enrollment_uri(std::string_view hub_url, std::string_view token_text);

}  // namespace kh::provisioning
