#pragma once
// A small blocking HTTP(S) client (libcurl) for kioskctl and the kiosk's enrollment: JSON in, JSON
// out, every call under a timeout.

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kh/provisioning/identity.hpp"

namespace kh::provisioning {

struct http_call {
  std::string method = "GET";
  std::string url;
  std::string body;          ///< sent as application/json when not empty
  std::string bearer;        ///< Authorization: Bearer …, empty: none
  std::string ca_file;       ///< trust this CA for https (default: the system's)
  std::chrono::milliseconds timeout{10000};
};

struct http_reply {
  long status = 0;      ///< 0: no answer (see error)
  std::string body;
  std::string error;    ///< transport failure text
  /// The body as JSON (discarded when not JSON).
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

http_reply http_send(const http_call& call);

/// Enrollment (docs/provisioning.md): POST {hub}/api/v1/enroll with the token of `uri`, returns the
/// identity the hub made. On failure nullopt and `error` = "<code>: <message>" (the hub's machine
/// code, e.g. "token_expired: …", or "unreachable: …").
std::optional<identity> enroll(const std::string& uri, std::string* error, const std::string& ca_file = {});

}  // namespace kh::provisioning
