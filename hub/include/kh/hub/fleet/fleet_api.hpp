#pragma once
// Fleet security on the hub (issue 8): API tokens, enrollment, device accounts on the broker,
// credential rotation and revocation. Exposed as HTTP routes under /api/v1 (docs/web.md) and used
// by the ingress for `credentials.ack`. Runs on the hub's io thread like every other handler.
//
//   POST /api/v1/enroll                        {"token":"khe1…"[,"business":ID]}   no API token
//   POST /api/v1/enrollment-tokens             {"mode","name"[,"business","ttl_seconds"]}
//   GET  /api/v1/devices                       the API token's business
//   GET  /api/v1/devices/{id}
//   POST /api/v1/devices/{id}/revoke
//   POST /api/v1/devices/{id}/rotate

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kh/hub/fleet/dynsec_admin.hpp"
#include "kh/hub/http/http_server.hpp"
#include "kh/hub/storage/store.hpp"
#include "kh/provisioning/signing.hpp"

namespace kh::hub {

/// Message types of the credentials rotation (down/credentials, up/credentials.ack).
namespace fleet_types {
inline constexpr const char* credentials = "credentials";
inline constexpr const char* credentials_ack = "credentials.ack";
}  // namespace fleet_types

struct fleet_options {
  /// Create/delete a broker account per device through dynamic security (default off: a broker
  /// with anonymous access, e.g. the demo; devices then get no credentials).
  bool manage_broker = false;
  std::string device_mqtt_uri;  ///< broker URL handed to devices (default: the hub's own)
  std::string ca_pem;           ///< CA certificate handed to devices (empty: none)
  std::string public_url;       ///< hub base URL for enrollment URIs (default: from the request's Host)
  std::chrono::seconds default_ttl{24 * 3600};
  std::chrono::seconds max_ttl{30 * 24 * 3600};
};

class fleet_api {
 public:
  using publish_fn = std::function<bool(const std::string& topic, std::string payload, bool retained)>;
  using now_fn = std::function<std::chrono::system_clock::time_point()>;

  /// `admin` may be null when !opts.manage_broker. `publish` is used for signed down/ messages.
  fleet_api(store& db, const provisioning::signing_key& key, dynsec_admin* admin, publish_fn publish,
            fleet_options opts, now_fn now = {});

  /// Runs a handler where the database may be used (the hub: on the writer thread through its
  /// writer_gateway, since HTTP has its own thread); default: in place.
  using runner = std::function<http_response(const std::function<http_response()>&)>;
  /// Registers the /api/v1 routes.
  void add_routes(http_router& router, runner run = {});

  /// up/credentials.ack from a device: switches the broker to the pending password.
  void on_credentials_ack(const std::string& device_id, const nlohmann::json& body);

  /// `kioskhub api-token create`: prints nothing, returns the token text (shown once).
  static std::string create_api_token(store& db, const std::string& business_id, const std::string& name,
                                      std::int64_t now_ms);

  // Route handlers (public for tests that dispatch without a socket).
  http_response enroll(const http_request& req);
  http_response create_enrollment_token(const http_request& req);
  http_response list_devices(const http_request& req);
  http_response device_route(const http_request& req);

 private:
  std::optional<api_token_record> authenticate(const http_request& req, http_response& denied);
  nlohmann::json describe(const device_record& d);
  http_response revoke(const api_token_record& who, const device_record& d);
  http_response rotate(const api_token_record& who, const device_record& d);
  std::int64_t now_ms() const;

  store& db_;
  const provisioning::signing_key& key_;
  dynsec_admin* admin_;
  publish_fn publish_;
  fleet_options opts_;
  now_fn now_;
};

/// A JSON error answer {"code":…, "message":…}.
http_response json_error(int status, const std::string& code, const std::string& message);

}  // namespace kh::hub
