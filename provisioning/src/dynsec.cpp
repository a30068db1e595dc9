#include "kh/provisioning/dynsec.hpp"

#include <openssl/evp.h>

#include <sstream>
#include <stdexcept>

#include "kh/protocol/topics.hpp"
#include "kh/provisioning/files.hpp"
#include "kh/provisioning/signing.hpp"

namespace kh::provisioning::dynsec {

using nlohmann::json;

std::string device_role(std::string_view device_id) { return "kh-device-" + std::string(device_id); }

std::vector<acl> device_acls(std::string_view device_id, std::string_view business_id) {
  const std::string d(device_id);
  const std::string b(business_id);
  return {
      {"publishClientSend", "kh/v1/d/" + d + "/up/#"},
      {"publishClientSend", protocol::topics::presence(d)},
      {"subscribePattern", "kh/v1/d/" + d + "/down/#"},
      {"subscribeLiteral", protocol::topics::device_down_filter(d)},
      {"subscribeLiteral", protocol::topics::business_catalog(b)},
      {"subscribeLiteral", protocol::topics::business_orders(b)},
  };
}

std::vector<acl> hub_acls() {
  return {
      {"publishClientSend", "kh/#"},
      {"publishClientReceive", "kh/#"},
      {"subscribePattern", "kh/#"},
      {"unsubscribePattern", "#"},
      {"publishClientSend", std::string(control_topic) + "/#"},
      {"publishClientSend", std::string(control_topic)},
      {"publishClientReceive", std::string(control_topic) + "/#"},
      {"subscribePattern", std::string(control_topic) + "/#"},
      {"publishClientReceive", "$SYS/#"},
      {"subscribePattern", "$SYS/#"},
  };
}

namespace {
json acl_json(const acl& a) {
  json j{{"acltype", a.type}, {"topic", a.topic}, {"allow", a.allow}};
  if (a.priority != 0) j["priority"] = a.priority;
  return j;
}
}  // namespace

json create_role(std::string_view role, const std::vector<acl>& acls) {
  json list = json::array();
  for (const auto& a : acls) list.push_back(acl_json(a));
  return {{"command", "createRole"}, {"rolename", role}, {"acls", list}};
}
json delete_role(std::string_view role) { return {{"command", "deleteRole"}, {"rolename", role}}; }
json create_client(std::string_view username, std::string_view password, std::string_view client_id,
                   std::string_view role, std::string_view text_name) {
  json j{{"command", "createClient"},
         {"username", username},
         {"password", password},
         {"clientid", client_id},
         {"roles", json::array({json{{"rolename", role}}})}};
  if (!text_name.empty()) j["textname"] = text_name;
  return j;
}
json delete_client(std::string_view username) { return {{"command", "deleteClient"}, {"username", username}}; }
json set_client_password(std::string_view username, std::string_view password) {
  return {{"command", "setClientPassword"}, {"username", username}, {"password", password}};
}
json get_client(std::string_view username) { return {{"command", "getClient"}, {"username", username}}; }

std::string request(const std::vector<json>& commands, std::string_view correlation) {
  json list = json::array();
  for (std::size_t i = 0; i < commands.size(); ++i) {
    json c = commands[i];
    c["correlationData"] = std::string(correlation) + ":" + std::to_string(i);
    list.push_back(std::move(c));
  }
  return json{{"commands", list}}.dump();
}

std::vector<reply> parse_response(std::string_view payload) {
  std::vector<reply> out;
  auto j = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (!j.is_object() || !j.contains("responses") || !j["responses"].is_array()) return out;
  for (const auto& r : j["responses"]) {
    if (!r.is_object()) continue;
    reply x;
    x.command = r.value("command", "");
    x.correlation = r.value("correlationData", "");
    if (r.contains("error") && r["error"].is_string()) x.error = r["error"].get<std::string>();
    if (r.contains("data")) x.data = r["data"];
    out.push_back(std::move(x));
  }
  return out;
}

password_hash hash_password(std::string_view password, std::string_view salt_bytes) {
  std::string salt = salt_bytes.empty() ? random_bytes(12) : std::string(salt_bytes);
  unsigned char out[64];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), 101,
                        EVP_sha512(), sizeof out, out) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return {base64_encode({reinterpret_cast<const char*>(out), sizeof out}), base64_encode(salt), 101};
}

json initial_config(std::string_view hub_username, std::string_view hub_password) {
  const auto h = hash_password(hub_password);
  json acls = json::array();
  for (const auto& a : hub_acls()) acls.push_back(acl_json(a));
  return json{{"clients", json::array({json{{"username", hub_username},
                                            {"textName", "Kioskhub hub (broker admin)"},
                                            {"clientid", hub_username},
                                            {"password", h.hash},
                                            {"salt", h.salt},
                                            {"iterations", h.iterations},
                                            {"roles", json::array({json{{"rolename", hub_role}}})}}})},
              {"groups", json::array()},
              {"roles", json::array({json{{"rolename", hub_role}, {"acls", acls}}})},
              {"defaultACLAccess",
               {{"publishClientSend", false}, {"publishClientReceive", true}, {"subscribe", false}, {"unsubscribe", true}}}};
}

std::string mosquitto_conf(const broker_config_options& o) {
  std::ostringstream s;
  s << "# Kioskhub broker (written by kioskctl broker-config). Devices and the hub authenticate\n"
       "# through the dynamic security plugin; nobody connects anonymously.\n";
  s << "per_listener_settings false\n";
  s << "allow_anonymous false\n";
  s << "listener " << o.port << (o.listen_host.empty() ? "" : " " + o.listen_host) << "\n";
  if (!o.certfile.empty()) {
    s << "cafile " << o.cafile << "\n"
      << "certfile " << o.certfile << "\n"
      << "keyfile " << o.keyfile << "\n"
      << "tls_version tlsv1.2\n";
  }
  s << "plugin " << o.plugin_path << "\n"
    << "plugin_opt_config_file " << o.dynsec_file << "\n";
  if (o.persistence_dir.empty()) {
    s << "persistence false\n";
  } else {
    s << "persistence true\n"
      << "persistence_location " << o.persistence_dir << (o.persistence_dir.ends_with('/') ? "" : "/") << "\n"
      << "autosave_interval 60\n";
  }
  s << "max_packet_size " << o.max_packet_size << "\n"
    << "max_queued_messages " << o.max_queued_messages << "\n"
    << "max_inflight_messages " << o.max_inflight_messages << "\n"
    << "max_keepalive " << o.max_keepalive << "\n"
    << "set_tcp_nodelay true\n";
  if (o.log_file.empty()) s << "log_dest stderr\n";
  else s << "log_dest file " << o.log_file << "\n";
  s << "log_type error\nlog_type warning\nlog_type notice\n";
  if (o.run_as_root) s << "user root\n";
  return s.str();
}

}  // namespace kh::provisioning::dynsec
