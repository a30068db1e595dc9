#include "kh/provisioning/identity.hpp"

#include "kh/protocol/ids.hpp"
#include "kh/provisioning/files.hpp"
#include "kh/provisioning/signing.hpp"

namespace kh::provisioning {

using nlohmann::json;

nlohmann::json to_json(const identity& id) {
  return json{{"device_id", id.device_id},
              {"business_id", id.business_id},
              {"mode", protocol::to_string(id.mode)},
              {"name", id.name},
              {"broker",
               {{"url", id.broker.url},
                {"client_id", id.broker.client_id},
                {"username", id.broker.username},
                {"password", id.broker.password},
                {"ca_pem", id.broker.ca_pem}}},
              {"hub_key", id.hub_key},
              {"credentials_generation", id.credentials_generation},
              {"hub_url", id.hub_url}};
}

namespace {
protocol::problem bad(const std::string& field, const std::string& why) {
  return protocol::make_problem(protocol::code::malformed, field + ": " + why, {{"field", field}});
}
bool get_string(const json& j, const char* key, std::string& out, bool required) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return !required;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}
}  // namespace

protocol::result<identity> identity_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return bad("identity", "must be an object");
  identity id;
  if (!get_string(j, "device_id", id.device_id, true) || !protocol::is_slug_id(id.device_id))
    return bad("device_id", "must be an id");
  if (!get_string(j, "business_id", id.business_id, true) || !protocol::is_slug_id(id.business_id))
    return bad("business_id", "must be an id");
  std::string mode;
  if (!get_string(j, "mode", mode, true) || !protocol::from_string(mode, id.mode))
    return bad("mode", "must be shop, counter or board");
  if (!get_string(j, "name", id.name, false)) return bad("name", "must be a string");
  const auto b = j.find("broker");
  if (b == j.end() || !b->is_object()) return bad("broker", "must be an object");
  if (!get_string(*b, "url", id.broker.url, true) || id.broker.url.empty()) return bad("broker.url", "required");
  if (!get_string(*b, "client_id", id.broker.client_id, false)) return bad("broker.client_id", "must be a string");
  if (id.broker.client_id.empty()) id.broker.client_id = id.device_id;
  if (!get_string(*b, "username", id.broker.username, false)) return bad("broker.username", "must be a string");
  if (!get_string(*b, "password", id.broker.password, false)) return bad("broker.password", "must be a string");
  if (!get_string(*b, "ca_pem", id.broker.ca_pem, false)) return bad("broker.ca_pem", "must be a string");
  if (!get_string(j, "hub_key", id.hub_key, true) || !parse_public_key(id.hub_key))
    return bad("hub_key", "must be ed25519:<base64 of 32 bytes>");
  if (const auto g = j.find("credentials_generation"); g != j.end() && !g->is_null()) {
    if (!g->is_number_integer()) return bad("credentials_generation", "must be an integer");
    id.credentials_generation = g->get<std::int64_t>();
  }
  if (!get_string(j, "hub_url", id.hub_url, false)) return bad("hub_url", "must be a string");
  return id;
}

std::filesystem::path identity_path(const std::filesystem::path& data_dir) { return data_dir / "identity.json"; }

std::string save_identity(const std::filesystem::path& file, const identity& id) {
  return write_file_atomic(file, to_json(id).dump(2) + "\n", 0600);
}

std::optional<identity> load_identity(const std::filesystem::path& file, std::string* error) {
  auto text = read_file(file);
  if (!text) {
    if (error) *error = "cannot read " + file.string();
    return std::nullopt;
  }
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) {
    if (error) *error = file.string() + " is not JSON";
    return std::nullopt;
  }
  auto id = identity_from_json(j);
  if (!id) {
    if (error) *error = file.string() + ": " + id.error().message;
    return std::nullopt;
  }
  return std::move(id).value();
}

}  // namespace kh::provisioning
