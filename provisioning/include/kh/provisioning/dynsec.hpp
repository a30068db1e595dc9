#pragma once
// Mosquitto dynamic security: the hub is the broker's admin client and manages one broker account
// per device over $CONTROL/dynamic-security/v1 with the commands built here; `kioskctl
// broker-config` writes the broker's starting configuration (mosquitto.conf + dynamic-security.json
// with the hub's admin account) with the same ACL vocabulary.
//
// Accounts:
//   hub       username = client id = the hub's client id (default "kioskhub"), role kh-hub:
//             everything under kh/# and the $CONTROL/dynamic-security API. The only wide account.
//   device    username = client id = device id (the broker refuses any other client id for it, so
//             no device can take the hub's or another device's session), role kh-device-<id>:
//             publish  kh/v1/d/<id>/up/#, kh/v1/d/<id>/presence
//             subscribe kh/v1/d/<id>/down/#, kh/v1/b/<business>/catalog, kh/v1/b/<business>/orders
//   anonymous none (allow_anonymous false)

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kh::provisioning::dynsec {

inline constexpr std::string_view control_topic = "$CONTROL/dynamic-security/v1";
inline constexpr std::string_view response_topic = "$CONTROL/dynamic-security/v1/response";
inline constexpr std::string_view hub_role = "kh-hub";

struct acl {
  std::string type;  ///< publishClientSend, publishClientReceive, subscribeLiteral, subscribePattern, …
  std::string topic;
  bool allow = true;
  int priority = 0;
};

/// Role name of a device: "kh-device-<id>".
std::string device_role(std::string_view device_id);
/// What a device may do (see the header comment).
std::vector<acl> device_acls(std::string_view device_id, std::string_view business_id);
/// What the hub may do.
std::vector<acl> hub_acls();

// ---- commands (each one object of the "commands" array) ---------------------------------
nlohmann::json create_role(std::string_view role, const std::vector<acl>& acls);
nlohmann::json delete_role(std::string_view role);
nlohmann::json create_client(std::string_view username, std::string_view password, std::string_view client_id,
                             std::string_view role, std::string_view text_name = {});
nlohmann::json delete_client(std::string_view username);
nlohmann::json set_client_password(std::string_view username, std::string_view password);
nlohmann::json get_client(std::string_view username);
/// {"commands":[…]} with a correlationData on each command: "<correlation>:<index>".
std::string request(const std::vector<nlohmann::json>& commands, std::string_view correlation);

/// One answered command of a response payload.
struct reply {
  std::string command;
  std::string correlation;  ///< as sent
  std::string error;        ///< empty: success
  nlohmann::json data;
};
/// Parses {"responses":[…]}; empty for anything else.
std::vector<reply> parse_response(std::string_view payload);

// ---- starting configuration -----------------------------------------------------------
/// Mosquitto's password hash for dynamic-security.json: PBKDF2-HMAC-SHA512, 101 iterations,
/// 12-byte salt, both base64 (what `mosquitto_ctrl dynsec init` writes).
struct password_hash {
  std::string hash;
  std::string salt;
  int iterations = 101;
};
password_hash hash_password(std::string_view password, std::string_view salt_bytes = {});

/// dynamic-security.json with the hub's account (admin) and role, default ACL access
/// (publish and subscribe denied unless a role allows; receiving allowed).
nlohmann::json initial_config(std::string_view hub_username, std::string_view hub_password);

struct broker_config_options {
  std::string listen_host = "0.0.0.0";
  int port = 8883;
  std::string cafile, certfile, keyfile;  ///< TLS listener (all three, or none for a plain listener)
  std::string dynsec_file;                 ///< path the plugin loads and saves
  std::string persistence_dir;             ///< "" → persistence off
  std::string plugin_path = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";
  std::string log_file;                    ///< "" → stderr
  std::size_t max_packet_size = 256 * 1024;  ///< bytes (the protocol caps payloads at 64 KiB)
  int max_queued_messages = 100000;  ///< per persistent session (the hub's takes bursts; docs/operations.md)
  int max_inflight_messages = 64;
  int max_keepalive = 300;                   ///< seconds
  bool run_as_root = false;                  ///< adds `user root` (tests in root-only temp dirs)
};
/// mosquitto.conf text.
std::string mosquitto_conf(const broker_config_options& o);

}  // namespace kh::provisioning::dynsec
