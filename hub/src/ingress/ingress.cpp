#include "kh/hub/ingress/ingress.hpp"

#include <spdlog/spdlog.h>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "kh/protocol/topics.hpp"

namespace kh::hub {

namespace topics = protocol::topics;
using protocol::code;
using protocol::make_problem;
using steady = std::chrono::steady_clock;

std::optional<std::uint64_t> log_limiter::admit(const std::string& key, steady::time_point now) {
  if (seen_.size() > 4096) seen_.clear();
  auto [it, fresh] = seen_.try_emplace(key, entry{now, 0});
  if (fresh) return 0;
  if (now - it->second.since < window_) {
    ++it->second.suppressed;
    return std::nullopt;
  }
  const auto n = it->second.suppressed;
  it->second = entry{now, 0};
  return n;
}

std::string envelope_with_raw_body(std::string_view type, std::string_view body) {
  // Every field written here is a fixed-alphabet word (type word, UUID, RFC 3339), so no escaping.
  std::string out;
  out.reserve(body.size() + 128);
  out += R"({"v":1,"type":")";
  out += type;
  out += R"(","id":")";
  out += protocol::new_uuid();
  out += R"(","ts":")";
  out += protocol::format_rfc3339(protocol::clock::now());
  out += R"(","body":)";
  out += body;
  out += '}';
  return out;
}

ingress::ingress(store& s, order_service& orders, metrics_registry& metrics, publish_fn publish,
                 business_fn catalog_changed)
    : store_(s),
      orders_(orders),
      metrics_(metrics),
      publish_(std::move(publish)),
      catalog_changed_(std::move(catalog_changed)) {}

void ingress::describe_metrics(metrics_registry& m) {
  m.describe_counter(metric::orders_accepted, "Orders accepted (new orders, not replays).");
  m.describe_counter(metric::orders_rejected, "Orders rejected, by machine code.");
  m.describe_counter(metric::orders_duplicate, "order.submit repeats answered from the idempotency store.");
  m.describe_counter(metric::orders_expired, "Unpaid orders cancelled by the expiry.");
  m.describe_counter(metric::messages_in, "MQTT messages received by the hub.");
  m.describe_counter(metric::messages_out, "MQTT messages published by the hub.");
  m.describe_counter(metric::messages_dropped, "MQTT messages dropped because the intake queue was full.");
  m.describe_counter(metric::device_errors, "Device messages answered with an error, by code.");
  m.describe_counter(metric::catalog_publishes, "Retained catalog publishes.");
  m.describe_histogram(metric::order_latency, "order.submit received to answer published, seconds.",
                       {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  m.describe_gauge(metric::devices_connected, "Devices whose presence is online.");
  m.describe_gauge(metric::mqtt_connected, "1 while the hub is connected to the MQTT broker.");
  m.describe_counter(metric::quotes, "order.quote messages answered, by whether the cart could be ordered as is.");
  m.describe_counter(metric::feedback, "Order ratings stored (first per order), by rating.");
  m.describe_counter(metric::feedback_repeats, "Feedback for an order that already had one (ignored).");
  m.describe_counter(metric::stock_conflicts, "Offline orders accepted although their stock ran out.");
  m.describe_gauge(metric::device_printer, "Latest printer state per device (1 for the current state).");
  m.describe_gauge(metric::device_camera, "Latest camera state per device (1 for the current state).");
  m.describe_gauge(metric::device_outbox, "Orders waiting in the device's outbox, as last reported.");
  // Series that exist from the start, so rates have a starting point.
  m.inc(metric::orders_accepted, {}, 0);
  m.inc(metric::messages_in, {}, 0);
  m.inc(metric::messages_out, {}, 0);
  m.set(metric::devices_connected, 0);
}

void ingress::update_devices_gauge() {
  try {
    metrics_.set(metric::devices_connected, static_cast<double>(store_.devices().count_online()));
  } catch (const std::exception& e) {
    spdlog::error("counting devices failed: {}", e.what());
  }
}

void ingress::send_error(const std::string& device, const std::string& order_id, const protocol::problem& p,
                         const char* type) {
  protocol::rejection r;
  r.order_id = order_id;
  r.code = p.code;
  r.message = p.message;
  r.details = p.details.is_object() ? p.details : nlohmann::json::object();
  metrics_.inc(metric::device_errors, {{"code", protocol::to_string(p.code)}});
  if (auto n = limiter_.admit(device + "/" + protocol::to_string(p.code), steady::now())) {
    spdlog::warn("device {}: {} ({}){}", device, protocol::to_string(p.code), p.message,
                 *n ? fmt::format("; {} similar suppressed", *n) : std::string());
  }
  publish_(topics::device_down(device, type), protocol::make_message(type, protocol::to_json(r)), false);
}

void ingress::handle(const std::string& topic, const std::string& payload, steady::time_point received) {
  metrics_.inc(metric::messages_in);
  try {
    const auto t = topics::parse(topic);
    if (!t) {
      // Not ours to answer: no device id we could trust.
      if (limiter_.admit("bad-topic", steady::now())) spdlog::warn("ignoring message on topic {}", topic);
      return;
    }
    if (t->kind == topics::kind::presence) return on_presence(t->id, payload);
    if (t->kind != topics::kind::device_up) return;
    const std::string& device = t->id;
    if (payload.size() > protocol::limits::max_payload) {
      return send_error(device, {},
                        make_problem(code::too_large, "payload over 64 KiB", {{"bytes", payload.size()}}),
                        protocol::types::error);
    }
    auto env = protocol::decode_envelope(payload);
    if (!env) return send_error(device, {}, env.error(), protocol::types::error);
    if (env->type != t->type) {
      return send_error(device, {},
                        make_problem(code::malformed, "envelope type does not match the topic",
                                     {{"topic_type", t->type}, {"type", env->type}}),
                        protocol::types::error);
    }
    if (env->type == protocol::types::order_submit) return on_submit(device, env->body, received);
    if (env->type == protocol::types::hello) return on_hello(device, env->body);
    if (env->type == protocol::types::order_quote) return on_quote(device, env->body);
    if (env->type == protocol::types::feedback) return on_feedback(device, env->body);
    if (env->type == protocol::types::device_status) return on_device_status(device, env->body);
    send_error(device, {},
               make_problem(code::unknown_type, "the hub does not accept '" + env->type + "' from devices",
                            {{"type", env->type}}),
               protocol::types::error);
  } catch (const std::exception& e) {
    // Database failures outside placement (presence, hello): logged, nothing answered.
    if (auto n = limiter_.admit("handler-failed", steady::now())) {
      spdlog::error("handling message on {} failed: {}", topic, e.what());
    }
  }
}

void ingress::on_presence(const std::string& device, const std::string& payload) {
  bool online = false;
  if (payload == topics::presence_online) {
    online = true;
  } else if (payload != topics::presence_offline) {
    // An empty payload clears a retained message: nothing to record.
    if (!payload.empty() && limiter_.admit(device + "/presence", steady::now())) {
      spdlog::warn("device {}: presence payload is neither online nor offline", device);
    }
    return;
  }
  auto tx = store_.begin();
  const bool known = store_.devices().set_presence(device, online, to_ms(orders_.now()));
  tx->commit();
  if (!known) {
    if (limiter_.admit(device + "/unknown", steady::now())) spdlog::warn("presence from unknown device {}", device);
    return;
  }
  spdlog::debug("device {} {}", device, online ? "online" : "offline");
  update_devices_gauge();
}

void ingress::on_hello(const std::string& device, const nlohmann::json& body) {
  auto h = protocol::decode_hello(body);
  if (!h) return send_error(device, {}, h.error(), protocol::types::error);
  auto tx = store_.begin();
  const bool known =
      store_.devices().record_hello(device, h->firmware, h->mode, h->catalog_version, to_ms(orders_.now()));
  tx->commit();
  if (!known) return send_error(device, {}, make_problem(code::forbidden, "unknown device"), protocol::types::error);
  spdlog::info("device {} says hello ({}, {}, catalog v{})", device, h->firmware, protocol::to_string(h->mode),
               h->catalog_version ? std::to_string(*h->catalog_version) : std::string("none"));
  update_devices_gauge();
}

void ingress::on_submit(const std::string& device, const nlohmann::json& body, steady::time_point received) {
  auto req = protocol::decode_order_submit(body);
  if (!req) {
    // An order-level problem (bad quantity, too many lines, …) with a readable order_id is
    // answered as order.rejected so the kiosk's outbox can settle that order; without one it is
    // an `error`. Either way nothing is stored: a malformed message changes nothing.
    std::string order_id;
    if (body.is_object()) {
      const auto it = body.find("order_id");
      if (it != body.end() && it->is_string() && protocol::is_uuid(it->get_ref<const std::string&>())) {
        order_id = it->get<std::string>();
      }
    }
    metrics_.inc(metric::orders_rejected, {{"code", protocol::to_string(req.error().code)}});
    return send_error(device, order_id, req.error(),
                      order_id.empty() ? protocol::types::error : protocol::types::order_rejected);
  }
  // place() commits before it returns: the answer below is never ahead of the database.
  const placement p = orders_.place(device, *req);
  publish_(topics::device_down(device, p.type), envelope_with_raw_body(p.type, p.body), false);
  metrics_.observe(metric::order_latency, std::chrono::duration<double>(steady::now() - received).count());
  if (p.duplicate) {
    metrics_.inc(metric::orders_duplicate);
  } else if (p.accepted) {
    metrics_.inc(metric::orders_accepted);
  } else {
    metrics_.inc(metric::orders_rejected, {{"code", protocol::to_string(p.code)}});
    if (p.code == code::forbidden || p.code == code::order_conflict || p.code == code::internal) {
      if (auto n = limiter_.admit(device + "/" + protocol::to_string(p.code), steady::now())) {
        spdlog::warn("device {}: order {} rejected: {} ({}){}", device, req->order_id, protocol::to_string(p.code),
                     p.body, *n ? fmt::format("; {} similar suppressed", *n) : std::string());
      }
    }
  }
  if (p.stock_conflict && !p.duplicate) {
    metrics_.inc(metric::stock_conflicts);
    spdlog::warn("device {}: offline order {} accepted without stock (stock_conflict)", device, req->order_id);
  }
  if (p.status) {
    publish_(topics::business_orders(p.business_id),
             protocol::make_message(protocol::types::order_status, protocol::to_json(*p.status)), false);
  }
  if (p.stock_changed && catalog_changed_) catalog_changed_(p.business_id);
}

}  // namespace kh::hub
