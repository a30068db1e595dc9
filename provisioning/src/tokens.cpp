#include "kh/provisioning/tokens.hpp"

#include <sodium.h>

#include "kh/provisioning/files.hpp"
#include "kh/provisioning/signing.hpp"

namespace kh::provisioning {

namespace {
bool is_hex(std::string_view s) {
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
bool is_b64url(std::string_view s) {
  for (const char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}
constexpr std::size_t k_id_len = 16, k_secret_len = 43;

// "host:port" with an optional [v6] host; port 1..65535.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view hp) {
  std::string host;
  std::string_view rest;
  if (hp.starts_with('[')) {
    const auto close = hp.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = hp.substr(1, close - 1);
    rest = hp.substr(close + 1);
  } else {
    const auto colon = hp.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = hp.substr(0, colon);
    rest = hp.substr(colon);
  }
  if (host.empty() || !rest.starts_with(':') || rest.size() < 2 || rest.size() > 6) return std::nullopt;
  unsigned port = 0;
  for (const char c : rest.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) return std::nullopt;
  for (const char c : host)
    if (c == '/' || c == '?' || c == '#' || c == '@' || c == ' ') return std::nullopt;
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}
std::string join_host_port(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}
}  // namespace

std::string token::text() const { return std::string(kind == token_kind::api ? "kha1." : "khe1.") + id + "." + secret; }

token make_token(token_kind kind) {
  token t;
  t.kind = kind;
  t.id = hex(random_bytes(8));
  const std::string raw = random_bytes(32);
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);
  t.secret = out;
  return t;
}

std::optional<token> parse_token(std::string_view text) {
  token t;
  if (text.starts_with("kha1.")) t.kind = token_kind::api;
  else if (text.starts_with("khe1.")) t.kind = token_kind::enrollment;
  else return std::nullopt;
  text.remove_prefix(5);
  if (text.size() != k_id_len + 1 + k_secret_len || text[k_id_len] != '.') return std::nullopt;
  t.id = text.substr(0, k_id_len);
  t.secret = text.substr(k_id_len + 1);
  if (!is_hex(t.id) || !is_b64url(t.secret)) return std::nullopt;
  return t;
}

std::string secret_hash(std::string_view secret) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return hex({reinterpret_cast<const char*>(h), sizeof h});
}

bool hashes_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string enrollment_uri::text() const {
  return std::string(tls ? "kioskhub+https://" : "kioskhub+http://") + join_host_port(host, port) + "/enroll/" + token;
}

std::string enrollment_uri::hub_url() const {
  return std::string(tls ? "https://" : "http://") + join_host_port(host, port);
}

std::optional<enrollment_uri> parse_enrollment_uri(std::string_view text) {
  enrollment_uri u;
  if (text.starts_with("kioskhub+https://")) {
    u.tls = true;
    text.remove_prefix(17);
  } else if (text.starts_with("kioskhub+http://")) {
    text.remove_prefix(16);
  } else {
    return std::nullopt;
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto hp = split_host_port(text.substr(0, slash));
  if (!hp) return std::nullopt;
  u.host = hp->first;
  u.port = hp->second;
  auto path = text.substr(slash);
  if (!path.starts_with("/enroll/")) return std::nullopt;
  path.remove_prefix(8);
  auto t = parse_token(path);
  if (!t || t->kind != token_kind::enrollment) return std::nullopt;
  u.token = std::string(path);
  return u;
}

std::optional<enrollment_uri> make_enrollment_uri(std::string_view hub_url, std::string_view token_text) {
  enrollment_uri u;
  if (hub_url.starts_with("https://")) {
    u.tls = true;
    hub_url.remove_prefix(8);
  } else if (hub_url.starts_with("http://")) {
    hub_url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  while (hub_url.ends_with('/')) hub_url.remove_suffix(1);
  auto hp = split_host_port(hub_url);
  if (!hp) return std::nullopt;
  u.host = hp->first;
  u.port = hp->second;
  u.token = std::string(token_text);
  if (!parse_enrollment_uri(u.text())) return std::nullopt;
  return u;
}

}  // namespace kh::provisioning
