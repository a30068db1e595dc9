#include "kh/hub/ingress/ingress.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/ingress/log_text.hpp"
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
  // Global budget first: whatever the key, no more than global_per_window_ lines per window.
  if (now - global_since_ >= window_) {
    global_since_ = now;
    global_admitted_ = 0;
  }
  const bool over_budget = global_admitted_ >= global_per_window_;
  auto it = seen_.find(key);
  if (it == seen_.end()) {
    const std::string& k = seen_.size() >= max_keys_ ? std::string("(other keys)") : key;
    it = seen_.find(k);
    if (it == seen_.end()) {
      if (over_budget) {
        ++global_suppressed_;
        ++suppressed_total_;
        return std::nullopt;
      }
      seen_.emplace(k, entry{now, 0});
      ++global_admitted_;
      const auto n = global_suppressed_;
      global_suppressed_ = 0;
      return n;
    }
  }
  if (now - it->second.since < window_ || over_budget) {
    ++it->second.suppressed;
    ++suppressed_total_;
    return std::nullopt;
  }
  const auto n = it->second.suppressed + global_suppressed_;
  global_suppressed_ = 0;
  it->second = entry{now, 0};
  ++global_admitted_;
  return n;
}

bool device_rate_limiter::admit(const std::string& device, steady::time_point now,
                                std::chrono::milliseconds& retry_after) {
  if (rate_ <= 0) return true;
  if (buckets_.size() > 16384) {
    // Drop the buckets that have refilled: those devices are idle and start full anyway.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      const double t = it->second.tokens + std::chrono::duration<double>(now - it->second.at).count() * rate_;
      it = t >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(device, bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst_, b.tokens + std::chrono::duration<double>(now - b.at).count() * rate_);
    b.at = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  retry_after = std::chrono::milliseconds(static_cast<std::int64_t>((1.0 - b.tokens) / rate_ * 1000.0) + 1);
  return false;
}

void device_rate_limiter::refund(const std::string& device) {
  if (rate_ <= 0) return;
  if (auto it = buckets_.find(device); it != buckets_.end()) it->second.tokens = std::min(burst_, it->second.tokens + 1.0);
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
                 business_fn catalog_changed, ingress_options opts)
    : store_(s),
      orders_(orders),
      metrics_(metrics),
      publish_(std::move(publish)),
      catalog_changed_(std::move(catalog_changed)),
      opts_(opts),
      rate_(opts.order_rate_per_second, opts.order_burst),
      staff_(std::make_unique<staff_service>(orders)) {}

ingress::~ingress() = default;

void ingress::publish_status(const std::string& business_id, const std::string& device_id,
                             const protocol::order_status& st) {
  publish_status(business_id, device_id, st, protocol::to_json_text(st));
}

void ingress::publish_status(const std::string& business_id, const std::string& device_id,
                             const protocol::order_status& st, std::string_view body) {
  auto msg = envelope_with_raw_body(protocol::types::order_status, body);
  // The phone shop's device (web-…) has no broker connection: nothing to send it.
  if (!device_id.empty() && !device_id.starts_with("web-"))
    publish_(topics::device_down(device_id, protocol::types::order_status), msg, false);
  publish_(topics::business_orders(business_id), std::move(msg), false);
  if (on_event_) on_event_(business_id, st);
}

void ingress::on_order_action(const std::string& device, const nlohmann::json& body) {
  auto a = protocol::decode_order_action(body);
  if (!a) return send_error(device, {}, a.error(), protocol::types::error);
  const auto out = staff_->device_action(device, *a);
  metrics_.inc(metric::staff_actions, {{"result", out.result.ok ? "ok" : protocol::to_string(out.result.code)}});
  if (!out.result.ok && out.result.code == code::forbidden) {
    if (auto n = limiter_.admit(device + "/staff-forbidden", steady::now())) {
      spdlog::warn("device {}: staff action refused: {}{}", device, log_escape(out.result.message),
                   *n ? fmt::format("; {} similar suppressed", *n) : std::string());
    }
  }
  // The answer after the commit, then the event (its seq) to every screen of the business.
  publish_(topics::device_down(device, protocol::types::order_action_result),
           envelope_with_raw_body(protocol::types::order_action_result, out.body), false);
  if (out.change) {
    publish_status(out.change->business_id, out.change->device_id, out.change->status);
    if (out.change->stock_changed && catalog_changed_) catalog_changed_(out.change->business_id);
  }
}

void ingress::on_orders_sync(const std::string& device, const nlohmann::json& body) {
  auto req = protocol::decode_orders_sync(body);
  if (!req) return send_error(device, {}, req.error(), protocol::types::error);
  auto snap = staff_->snapshot_for(device);
  if (!snap) return send_error(device, {}, snap.error(), protocol::types::error);
  metrics_.inc(metric::snapshots);
  publish_(topics::device_down(device, protocol::types::orders_snapshot),
           protocol::make_message(protocol::types::orders_snapshot, protocol::to_json(*snap)), false);
}

void ingress::describe_metrics(metrics_registry& m) {
  m.describe_counter(metric::orders_accepted, "Orders accepted (new orders, not replays).");
  m.describe_counter(metric::staff_actions, "Staff actions from counter devices, by result (ok or the refusal code).");
  m.describe_counter(metric::snapshots, "Open-order snapshots sent to boards and counters (orders.sync).");
  m.describe_counter(metric::orders_rejected, "Orders rejected, by machine code.");
  m.describe_counter(metric::orders_duplicate, "order.submit repeats answered from the idempotency store.");
  m.describe_counter(metric::orders_expired, "Unpaid orders cancelled by the expiry.");
  m.describe_counter(metric::messages_in, "MQTT messages received by the hub.");
  m.describe_counter(metric::messages_out, "MQTT messages published by the hub.");
  m.describe_counter(metric::device_errors, "Device messages answered with an error, by code.");
  m.describe_counter(metric::catalog_publishes, "Retained catalog publishes.");
  m.describe_counter(metric::catalog_restores, "Retained catalogs restored after someone else overwrote them.");
  m.describe_histogram(metric::order_latency, "order.submit received to answer published, seconds.",
                       {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  m.describe_gauge(metric::devices_connected, "Devices whose presence is online.");
  m.describe_gauge(metric::mqtt_connected, "1 while the hub is connected to the MQTT broker.");
  m.describe_counter(metric::wal_syncs, "WAL fsyncs by the writer (one per commit with --sync full, and checkpoints).");
  m.describe_counter(metric::wal_sync_seconds, "Time spent in those WAL fsyncs, seconds.");
  m.describe_counter(metric::quotes, "order.quote messages answered, by whether the cart could be ordered as is.");
  m.describe_counter(metric::feedback, "Order ratings stored (first per order), by rating.");
  m.describe_counter(metric::feedback_repeats, "Feedback for an order that already had one (ignored).");
  m.describe_counter(metric::stock_conflicts, "Offline orders accepted although their stock ran out.");
  m.describe_gauge(metric::device_printer, "Latest printer state per device (1 for the current state).");
  m.describe_gauge(metric::device_camera, "Latest camera state per device (1 for the current state).");
  m.describe_gauge(metric::device_outbox, "Orders waiting in the device's outbox, as last reported.");
  m.describe_counter(metric::retained_ignored, "Retained messages on device up/ topics, ignored.");
  m.describe_counter(metric::intake_refused,
                     "Messages refused at intake (answered busy), by reason: queue_full, device_share.");
  m.describe_gauge(metric::intake_messages, "Messages waiting in the intake queue.");
  m.describe_gauge(metric::intake_bytes, "Bytes (topic + payload) waiting in the intake queue.");
  m.describe_counter(metric::log_suppressed, "Warning lines held back by the log limiter.");
  // Series that exist from the start, so rates have a starting point.
  m.inc(metric::orders_accepted, {}, 0);
  m.inc(metric::messages_in, {}, 0);
  m.inc(metric::messages_out, {}, 0);
  m.inc(metric::retained_ignored, {}, 0);
  m.set(metric::devices_connected, 0);
}

void ingress::devices_changed() {
  // COUNT over every device: once per batch, not once per message (10,000 devices reconnecting).
  if (batching_) {
    gauge_dirty_ = true;
  } else {
    update_devices_gauge();
  }
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
    spdlog::warn("device {}: {} ({}){}", device, protocol::to_string(p.code), log_escape(p.message),
                 *n ? fmt::format("; {} similar suppressed", *n) : std::string());
  } else {
    metrics_.inc(metric::log_suppressed);
  }
  publish_(topics::device_down(device, type), protocol::make_message(type, protocol::to_json(r)), false);
}

void ingress::handle(const std::string& topic, const std::string& payload, steady::time_point received,
                     bool retained, std::size_t wire_size) {
  auto s = admit(topic, payload, retained, wire_size);
  if (!s) return;
  // place() commits before it returns: the answer is never ahead of the database.
  answered(*s, orders_.place(s->device_id, s->req), received);
}

void ingress::handle_batch(const std::vector<incoming>& batch) {
  std::vector<order_submission> subs;
  std::vector<steady::time_point> received;
  subs.reserve(batch.size());
  received.reserve(batch.size());
  // Presence and hello of the batch share one commit too (a fleet reconnecting after a broker
  // restart sends two of them per device); each is its own nested unit of work. They answer
  // nothing on success, so nothing waits for this commit but the gauge.
  std::size_t others = 0;
  for (const auto& m : batch) {
    if (!m.topic.ends_with("/up/order.submit")) ++others;
  }
  std::unique_ptr<write_transaction> tx;
  if (others > 1) {
    try {
      tx = store_.begin();
    } catch (const std::exception& e) {
      spdlog::error("cannot start a transaction for {} device messages: {}", others, e.what());
    }
  }
  batching_ = true;
  for (const auto& m : batch) {
    if (auto s = admit(m.topic, m.payload, m.retained, m.wire_size)) {
      subs.push_back(std::move(*s));
      received.push_back(m.received);
    }
  }
  batching_ = false;
  if (tx) {
    try {
      tx->commit();
    } catch (const std::exception& e) {
      spdlog::error("storing presence/hello of {} device messages failed: {}", others, e.what());
    }
    tx.reset();
  }
  if (gauge_dirty_) {
    gauge_dirty_ = false;
    update_devices_gauge();
  }
  if (subs.empty()) return;
  // One commit for all of them; nothing is published before it.
  const auto placed = orders_.place_batch(subs);
  for (std::size_t i = 0; i < subs.size(); ++i) answered(subs[i], placed[i], received[i]);
}

std::optional<order_submission> ingress::admit(const std::string& topic, const std::string& payload,
                                               bool retained, std::size_t wire_size) {
  metrics_.inc(metric::messages_in);
  try {
    const auto t = topics::parse(topic);
    if (!t) {
      // Not ours to answer: no device id we could trust.
      if (limiter_.admit("bad-topic", steady::now())) spdlog::warn("ignoring message on topic {}", log_escape(topic));
      return std::nullopt;
    }
    if (t->kind == topics::kind::presence) {
      on_presence(t->id, payload);
      return std::nullopt;
    }
    if (t->kind != topics::kind::device_up) return std::nullopt;
    const std::string& device = t->id;
    if (retained) {
      // A retained message on up/ is replayed by the broker on every (re)subscribe: answering it
      // would place or reject it again and again. Devices never publish up/ retained.
      metrics_.inc(metric::retained_ignored);
      if (auto n = limiter_.admit(device + "/retained", steady::now())) {
        spdlog::warn("device {}: ignoring a retained message on {}{}", device, log_escape(topic),
                     *n ? fmt::format("; {} similar suppressed", *n) : std::string());
      }
      return std::nullopt;
    }
    const std::size_t size = std::max(payload.size(), wire_size);
    if (size > protocol::limits::max_payload) {
      send_error(device, {}, make_problem(code::too_large, "payload over 64 KiB", {{"bytes", size}}),
                 protocol::types::error);
      return std::nullopt;
    }
    auto env = protocol::decode_envelope(payload);
    if (!env) {
      send_error(device, {}, env.error(), protocol::types::error);
      return std::nullopt;
    }
    if (env->type != t->type) {
      send_error(device, {},
                 make_problem(code::malformed, "envelope type does not match the topic",
                              {{"topic_type", t->type}, {"type", env->type}}),
                 protocol::types::error);
      return std::nullopt;
    }
    if (env->type == protocol::types::order_submit) return decode_submit(device, env->body);
    if (env->type == protocol::types::hello) {
      on_hello(device, env->body);
      return std::nullopt;
    }
    if (env->type == protocol::types::order_quote) {
      on_quote(device, env->body);
      return std::nullopt;
    }
    if (env->type == protocol::types::feedback) {
      on_feedback(device, env->body);
      return std::nullopt;
    }
    if (env->type == protocol::types::device_status) {
      on_device_status(device, env->body);
      return std::nullopt;
    }
    if (env->type == protocol::types::order_action) {
      on_order_action(device, env->body);
      return std::nullopt;
    }
    if (env->type == protocol::types::orders_sync) {
      on_orders_sync(device, env->body);
      return std::nullopt;
    }
    if (extra_ && extra_(device, env->type, env->body)) return std::nullopt;
    send_error(device, {},
               make_problem(code::unknown_type, "the hub does not accept '" + env->type + "' from devices",
                            {{"type", env->type}}),
               protocol::types::error);
  } catch (const std::exception& e) {
    // Database failures outside placement (presence, hello): logged, nothing answered.
    if (auto n = limiter_.admit("handler-failed", steady::now())) {
      spdlog::error("handling message on {} failed: {}", log_escape(topic), log_escape(e.what()));
    }
  }
  return std::nullopt;
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
  devices_changed();
}

void ingress::on_hello(const std::string& device, const nlohmann::json& body) {
  auto h = protocol::decode_hello(body);
  if (!h) return send_error(device, {}, h.error(), protocol::types::error);
  auto tx = store_.begin();
  const bool known =
      store_.devices().record_hello(device, h->firmware, h->mode, h->catalog_version, to_ms(orders_.now()));
  tx->commit();
  if (!known) return send_error(device, {}, make_problem(code::forbidden, "unknown device"), protocol::types::error);
  spdlog::info("device {} says hello ({}, {}, catalog v{})", device, log_escape(h->firmware),
               protocol::to_string(h->mode),
               h->catalog_version ? std::to_string(*h->catalog_version) : std::string("none"));
  devices_changed();
  if (auto d = store_.devices().find(device)) answer_hello(*d);
}

void ingress::answer_hello(const device_record& d) {
  if (d.business_id.empty() || !d.enabled) return;
  protocol::device_config cfg{d.id, d.business_id, d.mode};
  publish_(topics::device_down(d.id, protocol::types::device_config),
           protocol::make_message(protocol::types::device_config, protocol::to_json(cfg)), false);
  // The catalog at its current version (no bump: nothing changed), on the device's own topic: a
  // kiosk that does not know its business yet learns it from this one.
  if (auto cat = load_catalog(store_, d.business_id, image_base_)) {
    publish_(topics::device_down(d.id, protocol::types::catalog),
             protocol::make_message(protocol::types::catalog, protocol::to_json(*cat)), false);
  }
}

std::optional<std::pair<std::string, std::string>> ingress::busy_answer(const std::string& topic,
                                                                         const std::string& payload,
                                                                         std::size_t bytes) {
  const auto t = topics::parse(topic);
  if (!t || t->kind != topics::kind::device_up) return std::nullopt;
  std::string order_id;
  if (t->type == protocol::types::order_submit && bytes <= protocol::limits::max_payload) {
    if (auto env = protocol::decode_envelope(payload)) order_id = protocol::peek_order_id(env->body);
  }
  protocol::rejection r;
  r.order_id = order_id;
  r.code = code::busy;
  r.message = "the hub is busy; retry";
  r.details = {{"retry_after_ms", 1000}};
  const char* type = order_id.empty() ? protocol::types::error : protocol::types::order_rejected;
  return std::make_pair(topics::device_down(t->id, type), protocol::make_message(type, protocol::to_json(r)));
}

std::optional<order_submission> ingress::decode_submit(const std::string& device, const nlohmann::json& body) {
  auto req = protocol::decode_order_submit(body);
  if (!req) {
    // An order-level problem (bad quantity, too many lines, …) with a readable order_id is
    // answered as order.rejected so the kiosk's outbox can settle that order; without one it is
    // an `error`. Either way nothing is stored: a malformed message changes nothing.
    const std::string order_id = protocol::peek_order_id(body);
    metrics_.inc(metric::orders_rejected, {{"code", protocol::to_string(req.error().code)}});
    send_error(device, order_id, req.error(), order_id.empty() ? protocol::types::error : protocol::types::order_rejected);
    return std::nullopt;
  }
  // Per-device placement rate: a retryable answer, nothing stored, the kiosk resends later.
  std::chrono::milliseconds retry_after{0};
  if (!rate_.admit(device, steady::now(), retry_after)) {
    metrics_.inc(metric::orders_rejected, {{"code", "rate_limited"}});
    send_error(device, req->order_id,
               make_problem(code::rate_limited, "too many orders from this device; retry later",
                            {{"retry_after_ms", retry_after.count()}}),
               protocol::types::order_rejected);
    return std::nullopt;
  }
  return order_submission{device, std::move(*req)};
}

void ingress::answered(const order_submission& s, const placement& p, steady::time_point received) {
  // The hub's failure, not the device's order: its resend must not be charged a second token.
  if (!p.accepted && !p.duplicate && !p.stored && p.code == code::internal) rate_.refund(s.device_id);
  try {
    publish_answer(s, p, received);
  } catch (const std::exception& e) {
    // Stored answers are replayed on the device's resend; nothing is lost here.
    if (auto n = limiter_.admit("answer-failed", steady::now())) {
      spdlog::error("answering order {} failed: {}", s.req.order_id, e.what());
    }
  }
}

void ingress::publish_answer(const order_submission& s, const placement& p, steady::time_point received) {
  const std::string& device = s.device_id;
  auto answer = envelope_with_raw_body(p.type, p.body);
  // Counted before the answer goes out: /metrics runs on the HTTP thread, and whoever saw the
  // answer must find it counted.
  metrics_.observe(metric::order_latency, std::chrono::duration<double>(steady::now() - received).count());
  if (p.duplicate) {
    metrics_.inc(metric::orders_duplicate);
  } else if (p.accepted) {
    metrics_.inc(metric::orders_accepted);
  } else {
    metrics_.inc(metric::orders_rejected, {{"code", protocol::to_string(p.code)}});
    if (p.code == code::forbidden || p.code == code::order_conflict || p.code == code::internal ||
        p.code == code::hold_limit) {
      if (auto n = limiter_.admit(device + "/" + protocol::to_string(p.code), steady::now())) {
        spdlog::warn("device {}: order {} rejected: {} ({}){}", device, s.req.order_id, protocol::to_string(p.code),
                     log_escape(p.body), *n ? fmt::format("; {} similar suppressed", *n) : std::string());
      } else {
        metrics_.inc(metric::log_suppressed);
      }
    }
  }
  publish_(topics::device_down(device, p.type), std::move(answer), false);
  if (p.stock_conflict && !p.duplicate) {
    metrics_.inc(metric::stock_conflicts);
    spdlog::warn("device {}: offline order {} accepted without stock (stock_conflict)", device, s.req.order_id);
  }
  // A new order's event goes to the business (boards, counters, the dashboard), not back to the
  // device: its order.accepted says the same.
  if (p.status) {
    if (p.status_body.empty()) {
      publish_status(p.business_id, {}, *p.status);
    } else {
      publish_status(p.business_id, {}, *p.status, p.status_body);
    }
  }
  if (p.stock_changed && catalog_changed_) catalog_changed_(p.business_id);
}

}  // namespace kh::hub
