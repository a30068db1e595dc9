#include "kh/hub/fleet/fleet_api.hpp"

#include <spdlog/spdlog.h>

#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "kh/protocol/topics.hpp"
#include "kh/provisioning/dynsec.hpp"
#include "kh/provisioning/files.hpp"
#include "kh/provisioning/identity.hpp"
#include "kh/provisioning/tokens.hpp"

namespace kh::hub {

namespace prov = provisioning;
namespace dynsec = provisioning::dynsec;
using nlohmann::json;

http_response json_error(int status, const std::string& code, const std::string& message) {
  http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json{{"code", code}, {"message", message}}.dump();
  return r;
}

namespace {
http_response json_ok(const json& j, int status = 200) {
  http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = j.dump();
  return r;
}
std::string rfc3339_ms(std::int64_t ms) {
  return protocol::format_rfc3339(protocol::clock::time_point(std::chrono::milliseconds(ms)));
}
std::optional<json> json_body(const http_request& req, http_response& bad) {
  if (req.body.empty()) return json::object();
  auto j = json::parse(req.body, nullptr, false);
  if (!j.is_object()) {
    bad = json_error(400, "bad_request", "the body must be a JSON object");
    return std::nullopt;
  }
  return j;
}
}  // namespace

fleet_api::fleet_api(store& db, const prov::signing_key& key, dynsec_admin* admin, publish_fn publish,
                     fleet_options opts, now_fn now)
    : db_(db), key_(key), admin_(admin), publish_(std::move(publish)), opts_(std::move(opts)), now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::system_clock::now(); };
  if (opts_.manage_broker && !admin_) throw std::invalid_argument("fleet_api: managing the broker needs an admin client");
}

std::int64_t fleet_api::now_ms() const { return to_ms(now_()); }

void fleet_api::add_routes(http_router& router, runner run) {
  if (!run) run = [](const std::function<http_response()>& fn) { return fn(); };
  using member = http_response (fleet_api::*)(const http_request&);
  const auto route = [this, run](member m) {
    // The request is copied: on a timeout the work may still run after the handler returned.
    return [this, run, m](const http_request& r) { return run([this, m, req = r] { return (this->*m)(req); }); };
  };
  router.add("POST", "/api/v1/enroll", route(&fleet_api::enroll));
  router.add("POST", "/api/v1/enrollment-tokens", route(&fleet_api::create_enrollment_token));
  router.add("GET", "/api/v1/devices", route(&fleet_api::list_devices));
  router.add_prefix("GET", "/api/v1/devices/", route(&fleet_api::device_route));
  router.add_prefix("POST", "/api/v1/devices/", route(&fleet_api::device_route));
}

std::string fleet_api::create_api_token(store& db, const std::string& business_id, const std::string& name,
                                        std::int64_t now_ms) {
  const auto t = prov::make_token(prov::token_kind::api);
  api_token_record r;
  r.id = t.id;
  r.business_id = business_id;
  r.name = name;
  r.secret_hash = prov::secret_hash(t.secret);
  r.created_at_ms = now_ms;
  auto tx = db.begin();
  db.fleet().insert_api_token(r);
  tx->commit();
  return t.text();
}

std::optional<api_token_record> fleet_api::authenticate(const http_request& req, http_response& denied) {
  const auto it = req.headers.find("authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (it == req.headers.end() || !std::string_view(it->second).starts_with(scheme)) {
    denied = json_error(401, "unauthorized", "send Authorization: Bearer <API token> (kioskhub api-token create)");
    denied.headers.emplace_back("WWW-Authenticate", "Bearer");
    return std::nullopt;
  }
  const auto t = prov::parse_token(std::string_view(it->second).substr(scheme.size()));
  std::optional<api_token_record> rec;
  if (t && t->kind == prov::token_kind::api) rec = db_.fleet().find_api_token(t->id);
  if (!rec || !prov::hashes_equal(rec->secret_hash, prov::secret_hash(t->secret)) || rec->revoked_at_ms) {
    denied = json_error(401, "unauthorized", "unknown or revoked API token");
    denied.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return std::nullopt;
  }
  auto tx = db_.begin();
  db_.fleet().touch_api_token(rec->id, now_ms());
  tx->commit();
  return rec;
}

http_response fleet_api::create_enrollment_token(const http_request& req) {
  http_response denied;
  const auto who = authenticate(req, denied);
  if (!who) return denied;
  const auto body = json_body(req, denied);
  if (!body) return denied;
  std::string business = who->business_id;
  if (body->contains("business")) {
    if (!(*body)["business"].is_string()) return json_error(400, "bad_request", "business must be a string");
    business = (*body)["business"].get<std::string>();
    if (business != who->business_id) {
      return json_error(403, "forbidden_business", "this API token belongs to another business");
    }
  }
  protocol::device_mode mode = protocol::device_mode::shop;
  if (!body->contains("mode") || !(*body)["mode"].is_string() ||
      !protocol::from_string((*body)["mode"].get<std::string>(), mode)) {
    return json_error(400, "bad_request", "mode must be shop, counter or board");
  }
  if (!body->contains("name") || !(*body)["name"].is_string() || (*body)["name"].get<std::string>().empty() ||
      (*body)["name"].get<std::string>().size() > 80) {
    return json_error(400, "bad_request", "name must be 1-80 characters");
  }
  auto ttl = opts_.default_ttl;
  if (body->contains("ttl_seconds")) {
    const auto& v = (*body)["ttl_seconds"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 60 || v.get<std::int64_t>() > opts_.max_ttl.count()) {
      return json_error(400, "bad_request",
                        "ttl_seconds must be an integer from 60 to " + std::to_string(opts_.max_ttl.count()));
    }
    ttl = std::chrono::seconds(v.get<std::int64_t>());
  }
  const auto t = prov::make_token(prov::token_kind::enrollment);
  enrollment_token_record r;
  r.id = t.id;
  r.business_id = business;
  r.mode = mode;
  r.name = (*body)["name"].get<std::string>();
  r.secret_hash = prov::secret_hash(t.secret);
  r.created_by = who->id;
  r.created_at_ms = now_ms();
  r.expires_at_ms = r.created_at_ms + std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count();
  {
    auto tx = db_.begin();
    db_.fleet().insert_enrollment_token(r);
    tx->commit();
  }
  std::string base = opts_.public_url;
  if (base.empty()) {
    const auto host = req.headers.find("host");
    base = "http://" + (host != req.headers.end() ? host->second : std::string("127.0.0.1"));
  }
  const auto uri = prov::make_enrollment_uri(base, t.text());
  if (!uri) return json_error(500, "internal", "cannot make an enrollment URI from the hub URL '" + base + "'");
  spdlog::info("enrollment token {} created for {} ({}, '{}') by API token {}", r.id, business,
               protocol::to_string(mode), r.name, who->id);
  return json_ok({{"id", r.id},
                  {"token", t.text()},
                  {"uri", uri->text()},
                  {"business", business},
                  {"mode", protocol::to_string(mode)},
                  {"name", r.name},
                  {"expires_at", rfc3339_ms(r.expires_at_ms)}},
                 201);
}

http_response fleet_api::enroll(const http_request& req) {
  http_response bad;
  const auto body = json_body(req, bad);
  if (!body) return bad;
  if (!body->contains("token") || !(*body)["token"].is_string())
    return json_error(400, "bad_request", "token (khe1.…) is required");
  const auto t = prov::parse_token((*body)["token"].get<std::string>());
  if (!t || t->kind != prov::token_kind::enrollment)
    return json_error(403, "token_invalid", "not an enrollment token");
  auto rec = db_.fleet().find_enrollment_token(t->id);
  if (!rec || !prov::hashes_equal(rec->secret_hash, prov::secret_hash(t->secret))) {
    spdlog::warn("enrollment refused: unknown or tampered token {}", t->id);
    return json_error(403, "token_invalid", "unknown or tampered enrollment token");
  }
  if (rec->used_at_ms) return json_error(409, "token_used", "this enrollment token was used already");
  if (now_ms() >= rec->expires_at_ms) return json_error(410, "token_expired", "this enrollment token has expired");
  if (body->contains("business") && (*body)["business"] != rec->business_id)
    return json_error(403, "token_other_business", "this enrollment token is for another business");

  device_record d;
  d.id = std::string(protocol::to_string(rec->mode)) + "-" + prov::hex(prov::random_bytes(4));
  d.business_id = rec->business_id;
  d.name = rec->name;
  d.mode = rec->mode;
  const std::string password = opts_.manage_broker ? prov::random_password() : std::string();

  auto tx = db_.begin();
  db_.devices().insert(d, now_ms());
  if (!db_.fleet().use_enrollment_token(rec->id, d.id, now_ms()))
    return json_error(409, "token_used", "this enrollment token was used already");
  device_credentials_record c;
  c.device_id = d.id;
  c.username = opts_.manage_broker ? d.id : std::string();
  db_.fleet().upsert_credentials(c);
  if (opts_.manage_broker) {
    const auto role = dynsec::device_role(d.id);
    auto out = admin_->call({dynsec::create_role(role, dynsec::device_acls(d.id, d.business_id)),
                             dynsec::create_client(d.id, password, d.id, role, d.name)});
    if (!out.ok) {
      spdlog::error("enrollment of {}: broker account not created: {}", d.id, out.error);
      return json_error(503, "broker_unavailable", "the broker did not create the device account; try again");
    }
  }
  tx->commit();
  spdlog::info("device {} ({}, '{}') enrolled for {} with token {}", d.id, protocol::to_string(d.mode), d.name,
               d.business_id, rec->id);

  prov::identity id;
  id.device_id = d.id;
  id.business_id = d.business_id;
  id.mode = d.mode;
  id.name = d.name;
  id.broker.url = opts_.device_mqtt_uri;
  id.broker.client_id = d.id;
  id.broker.username = c.username;
  id.broker.password = password;
  id.broker.ca_pem = opts_.ca_pem;
  id.hub_key = prov::format_public_key(key_.public_half());
  id.credentials_generation = c.generation;
  return json_ok(prov::to_json(id));
}

json fleet_api::describe(const device_record& d) {
  json j{{"id", d.id},
         {"business", d.business_id},
         {"name", d.name},
         {"mode", protocol::to_string(d.mode)},
         {"enabled", d.enabled},
         {"online", d.online},
         {"last_seen", d.last_seen_ms ? json(rfc3339_ms(*d.last_seen_ms)) : json(nullptr)},
         {"firmware", d.firmware.empty() ? json(nullptr) : json(d.firmware)}};
  if (auto c = db_.fleet().credentials(d.id)) {
    j["credentials"] = {{"username", c->username.empty() ? json(nullptr) : json(c->username)},
                        {"generation", c->generation},
                        {"rotation_pending", c->pending_generation.has_value()},
                        {"rotated_at", c->rotated_at_ms ? json(rfc3339_ms(*c->rotated_at_ms)) : json(nullptr)},
                        {"revoked", c->revoked_at_ms.has_value()}};
  } else {
    j["credentials"] = nullptr;
  }
  return j;
}

http_response fleet_api::list_devices(const http_request& req) {
  http_response denied;
  const auto who = authenticate(req, denied);
  if (!who) return denied;
  json list = json::array();
  for (const auto& d : db_.devices().by_business(who->business_id)) list.push_back(describe(d));
  return json_ok({{"business", who->business_id}, {"devices", list}});
}

http_response fleet_api::device_route(const http_request& req) {
  http_response denied;
  const auto who = authenticate(req, denied);
  if (!who) return denied;
  std::string_view rest = std::string_view(req.path).substr(std::string_view("/api/v1/devices/").size());
  std::string_view action;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    action = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  const std::string id(rest);
  const auto d = protocol::is_slug_id(id) ? db_.devices().find(id) : std::nullopt;
  // Another business' device is reported exactly like a missing one.
  if (!d || d->business_id != who->business_id) return json_error(404, "not_found", "no device '" + id + "'");
  if (req.method == "GET" && action.empty()) return json_ok(describe(*d));
  if (req.method == "POST" && action == "revoke") return revoke(*who, *d);
  if (req.method == "POST" && action == "rotate") return rotate(*who, *d);
  return json_error(404, "not_found", "no such route");
}

http_response fleet_api::revoke(const api_token_record& who, const device_record& d) {
  auto c = db_.fleet().credentials(d.id).value_or(device_credentials_record{d.id, {}, 1, {}, {}, {}, {}});
  if (c.revoked_at_ms) return json_ok(describe(d));  // idempotent
  auto tx = db_.begin();
  db_.fleet().set_device_enabled(d.id, false);
  c.revoked_at_ms = now_ms();
  c.pending_password.clear();
  c.pending_generation.reset();
  db_.fleet().upsert_credentials(c);
  if (opts_.manage_broker && !c.username.empty()) {
    // deleteClient also disconnects the device at once.
    auto out = admin_->call({dynsec::delete_client(c.username), dynsec::delete_role(dynsec::device_role(d.id))},
                            {"not found"});
    if (!out.ok) {
      spdlog::error("revoking {}: broker refused: {}", d.id, out.error);
      return json_error(503, "broker_unavailable", "the broker did not delete the device account; try again");
    }
  }
  tx->commit();
  spdlog::warn("device {} revoked by API token {}", d.id, who.id);
  auto now = db_.devices().find(d.id);
  return json_ok(describe(now ? *now : d));
}

http_response fleet_api::rotate(const api_token_record& who, const device_record& d) {
  auto c = db_.fleet().credentials(d.id);
  if (!c || c->username.empty() || !opts_.manage_broker)
    return json_error(409, "no_broker_account", "this device has no broker account to rotate");
  if (c->revoked_at_ms) return json_error(409, "revoked", "this device is revoked");
  // A rotation still waiting for the device is sent again as it was: a second new password could
  // cross the device's acknowledgement of the first and lock it out.
  if (c->pending_password.empty() || !c->pending_generation) {
    c->pending_password = prov::random_password();
    c->pending_generation = c->generation + 1;
  }
  {
    auto tx = db_.begin();
    db_.fleet().upsert_credentials(*c);
    tx->commit();
  }
  json body{{"username", c->username}, {"password", c->pending_password}, {"generation", *c->pending_generation}};
  auto env = json::parse(protocol::make_message(fleet_types::credentials, body));
  key_.sign(env);
  publish_(protocol::topics::device_down(d.id, fleet_types::credentials), env.dump(), false);
  spdlog::info("device {}: credentials generation {} sent (rotation by API token {})", d.id, *c->pending_generation,
               who.id);
  return json_ok({{"device", d.id}, {"state", "pending"}, {"generation", *c->pending_generation}}, 202);
}

void fleet_api::on_credentials_ack(const std::string& device_id, const json& body) {
  if (!body.is_object() || !body.contains("generation") || !body["generation"].is_number_integer()) return;
  const auto generation = body["generation"].get<std::int64_t>();
  auto c = db_.fleet().credentials(device_id);
  if (!c || !c->pending_generation || *c->pending_generation != generation || c->pending_password.empty()) return;
  if (opts_.manage_broker) {
    // The broker disconnects the device when its password changes; it reconnects with the new one.
    auto out = admin_->call({dynsec::set_client_password(c->username, c->pending_password)});
    if (!out.ok) {
      spdlog::error("device {}: password switch refused by the broker: {} (the device resends its ack)", device_id,
                    out.error);
      return;
    }
  }
  c->generation = generation;
  c->pending_password.clear();
  c->pending_generation.reset();
  c->rotated_at_ms = now_ms();
  auto tx = db_.begin();
  db_.fleet().upsert_credentials(*c);
  tx->commit();
  spdlog::info("device {}: credentials generation {} active", device_id, generation);
}

}  // namespace kh::hub
