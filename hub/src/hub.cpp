#include "kh/hub/hub.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "kh/hub/catalog_service.hpp"
#include "kh/hub/http_server.hpp"
#include "kh/hub/metrics.hpp"
#include "kh/hub/order_service.hpp"
#include "kh/hub/ready_file.hpp"
#include "kh/hub/store.hpp"
#include "kh/mqtt/client.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "kh/protocol/topics.hpp"

namespace kh::hub {

namespace asio = boost::asio;
namespace topics = protocol::topics;
using steady = std::chrono::steady_clock;

namespace {

constexpr const char* m_accepted = "kh_orders_accepted_total";
constexpr const char* m_rejected = "kh_orders_rejected_total";
constexpr const char* m_duplicate = "kh_orders_duplicate_total";
constexpr const char* m_in = "kh_mqtt_messages_in_total";
constexpr const char* m_out = "kh_mqtt_messages_out_total";
constexpr const char* m_errors = "kh_mqtt_errors_total";
constexpr const char* m_latency = "kh_order_latency_seconds";
constexpr const char* m_devices = "kh_devices_connected";
constexpr const char* m_catalogs = "kh_catalog_publishes_total";
constexpr const char* m_expired = "kh_orders_expired_total";
constexpr const char* m_up = "kh_mqtt_connected";

// The envelope around a body that must go out byte for byte (stored idempotent answers): the
// codec would re-serialise it. Every field written here is a fixed-alphabet word.
std::string envelope_with_raw_body(std::string_view type, std::string_view body) {
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

// "Logged once": the first occurrence of a (device, code) pair is logged, repeats within a
// minute are only counted and summarised when the window ends. Bounded: the table is cleared when
// it grows past a few thousand keys (a flood of forged device ids must not grow memory).
class log_limiter {
 public:
  /// Returns how many were suppressed since the last log, or nullopt when this one is suppressed.
  std::optional<std::uint64_t> admit(const std::string& key, steady::time_point now) {
    if (seen_.size() > 4096) seen_.clear();
    auto [it, fresh] = seen_.try_emplace(key, entry{now, 0});
    if (fresh) return 0;
    if (now - it->second.since < std::chrono::minutes(1)) {
      ++it->second.suppressed;
      return std::nullopt;
    }
    const auto n = it->second.suppressed;
    it->second = entry{now, 0};
    return n;
  }

 private:
  struct entry {
    steady::time_point since;
    std::uint64_t suppressed = 0;
  };
  std::unordered_map<std::string, entry> seen_;
};

}  // namespace

struct hub::impl {
  hub_options opts;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  asio::steady_timer expiry_timer{io};
  std::unique_ptr<store> db;
  std::unique_ptr<order_service> orders;
  metrics_registry metrics;
  http_router router;
  std::unique_ptr<http_server> http;
  std::unique_ptr<mqtt::client> mq;
  bool accepting = false;
  bool stopping = false;
  // Messages are numbered as Paho hands them over; at shutdown those already handed over (and
  // so already acknowledged to the broker) are still processed and answered, later ones dropped.
  std::atomic<std::uint64_t> handed_over{0};
  std::uint64_t drain_limit = 0;
  log_limiter limiter;

  struct catalog_slot {
    std::unique_ptr<asio::steady_timer> timer;
    steady::time_point last{};
    bool scheduled = false;
  };
  std::unordered_map<std::string, catalog_slot> catalogs;

  explicit impl(hub_options o) : opts(std::move(o)) {}

  void describe_metrics() {
    metrics.describe_counter(m_accepted, "Orders accepted (new orders, not replays).");
    metrics.describe_counter(m_rejected, "Orders rejected, by machine code.");
    metrics.describe_counter(m_duplicate, "order.submit repeats answered from the idempotency store.");
    metrics.describe_counter(m_in, "MQTT messages received by the hub.");
    metrics.describe_counter(m_out, "MQTT messages published by the hub.");
    metrics.describe_counter(m_errors, "Device messages answered with an error, by code.");
    metrics.describe_counter(m_catalogs, "Retained catalog publishes.");
    metrics.describe_counter(m_expired, "Unpaid orders cancelled by the expiry.");
    metrics.describe_histogram(m_latency, "order.submit received to answer published, seconds.",
                               {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
    metrics.describe_gauge(m_devices, "Devices whose presence is online.");
    metrics.describe_gauge(m_up, "1 while the hub is connected to the MQTT broker.");
    metrics.inc(m_accepted, {}, 0);
    metrics.inc(m_in, {}, 0);
    metrics.inc(m_out, {}, 0);
  }

  // ---- publishing -------------------------------------------------------------------------
  void publish(const std::string& topic, std::string payload, bool retained = false) {
    if (mq->publish(topic, std::move(payload), 1, retained)) {
      metrics.inc(m_out);
    } else {
      // Queued nowhere (stopped or offline buffer full). Answers are stored, so the device's
      // resend gets them; the catalog is republished on reconnect.
      if (auto n = limiter.admit("publish-failed", steady::now())) {
        spdlog::warn("mqtt publish to {} failed (broker unreachable?){}", topic,
                     *n ? fmt::format(", {} more since last report", *n) : std::string());
      }
    }
  }

  void send_error(const std::string& device, const std::string& order_id, const protocol::problem& p,
                  const char* type = protocol::types::error) {
    protocol::rejection r;
    r.order_id = order_id;
    r.code = p.code;
    r.message = p.message;
    r.details = p.details.is_object() ? p.details : nlohmann::json::object();
    metrics.inc(m_errors, {{"code", protocol::to_string(p.code)}});
    if (auto n = limiter.admit(device + "/" + protocol::to_string(p.code), steady::now())) {
      spdlog::warn("device {}: {} ({}){}", device, protocol::to_string(p.code), p.message,
                   *n ? fmt::format("; {} similar suppressed", *n) : std::string());
    }
    publish(topics::device_down(device, type), protocol::make_message(type, protocol::to_json(r)));
  }

  void mark_catalog_dirty(const std::string& business) {
    if (stopping) return;
    auto& slot = catalogs[business];
    if (!slot.timer) slot.timer = std::make_unique<asio::steady_timer>(io);
    if (slot.scheduled) return;
    slot.scheduled = true;
    const auto due = std::max(steady::now(), slot.last + opts.catalog_coalesce);
    slot.timer->expires_at(due);
    slot.timer->async_wait([this, business](const boost::system::error_code& ec) {
      if (ec) return;
      auto& s = catalogs[business];
      s.scheduled = false;
      s.last = steady::now();
      publish_catalog(business);
    });
  }

  void publish_catalog(const std::string& business) {
    if (stopping) return;
    try {
      auto cat = next_catalog(*db, business);
      if (!cat) return;
      auto payload = protocol::make_message(protocol::types::catalog, protocol::to_json(*cat));
      if (payload.size() > protocol::limits::max_payload) {
        spdlog::error("catalog of {} is {} bytes, over the {} byte limit devices accept", business,
                      payload.size(), protocol::limits::max_payload);
      }
      publish(topics::business_catalog(business), std::move(payload), true);
      metrics.inc(m_catalogs);
      spdlog::debug("catalog {} v{} published", business, cat->version);
    } catch (const std::exception& e) {
      spdlog::error("catalog publish for {} failed: {}", business, e.what());
    }
  }

  void publish_all_catalogs() {
    try {
      for (const auto& b : db->businesses().all()) mark_catalog_dirty(b.id);
    } catch (const std::exception& e) {
      spdlog::error("listing businesses failed: {}", e.what());
    }
  }

  void update_devices_gauge() {
    try {
      metrics.set(m_devices, static_cast<double>(db->devices().count_online()));
    } catch (const std::exception& e) {
      spdlog::error("counting devices failed: {}", e.what());
    }
  }

  // ---- ingress ----------------------------------------------------------------------------
  void on_message(const mqtt::message& m, steady::time_point received, std::uint64_t seq) {
    // Not yet started, or arrived after the shutdown began: the device's outbox resends it.
    if (!accepting && !(stopping && seq <= drain_limit)) return;
    metrics.inc(m_in);
    try {
      route(m, received);
    } catch (const std::exception& e) {
      spdlog::error("handling message on {} failed: {}", m.topic, e.what());
    }
  }

  void route(const mqtt::message& m, steady::time_point received) {
    const auto t = topics::parse(m.topic);
    if (!t) {
      if (auto n = limiter.admit("bad-topic", steady::now())) spdlog::warn("ignoring message on topic {}", m.topic);
      return;
    }
    if (t->kind == topics::kind::presence) return on_presence(t->id, m.payload);
    if (t->kind != topics::kind::device_up) return;
    const std::string& device = t->id;
    if (m.payload.size() > protocol::limits::max_payload) {
      return send_error(device, {}, protocol::make_problem(protocol::code::too_large, "payload over 64 KiB",
                                                           {{"bytes", m.payload.size()}}));
    }
    auto env = protocol::decode_envelope(m.payload);
    if (!env) return send_error(device, {}, env.error());
    if (env->type != t->type) {
      return send_error(device, {}, protocol::make_problem(protocol::code::malformed,
                                                           "envelope type does not match the topic",
                                                           {{"topic_type", t->type}, {"type", env->type}}));
    }
    if (env->type == protocol::types::order_submit) return on_submit(device, *env, received);
    if (env->type == protocol::types::hello) return on_hello(device, *env);
    send_error(device, {}, protocol::make_problem(protocol::code::unknown_type,
                                                  "the hub does not accept '" + env->type + "' from devices",
                                                  {{"type", env->type}}));
  }

  void on_presence(const std::string& device, const std::string& payload) {
    bool online = false;
    if (payload == topics::presence_online) {
      online = true;
    } else if (payload != topics::presence_offline) {
      // An empty payload is a cleared retained message: nothing to record.
      if (!payload.empty()) {
        if (auto n = limiter.admit(device + "/presence", steady::now())) {
          spdlog::warn("device {}: presence payload is neither online nor offline", device);
        }
      }
      return;
    }
    auto tx = db->begin();
    const bool known = db->devices().set_presence(device, online, to_ms(orders->now()));
    tx->commit();
    if (!known) {
      if (auto n = limiter.admit(device + "/unknown", steady::now())) {
        spdlog::warn("presence from unknown device {}", device);
      }
      return;
    }
    spdlog::debug("device {} {}", device, online ? "online" : "offline");
    update_devices_gauge();
  }

  void on_hello(const std::string& device, const protocol::envelope& env) {
    auto h = protocol::decode_hello(env.body);
    if (!h) return send_error(device, {}, h.error());
    auto tx = db->begin();
    const bool known = db->devices().record_hello(device, h->firmware, h->mode, h->catalog_version, to_ms(orders->now()));
    tx->commit();
    if (!known) {
      return send_error(device, {}, protocol::make_problem(protocol::code::forbidden, "unknown device"));
    }
    spdlog::info("device {} says hello ({}, {}, catalog v{})", device, h->firmware, protocol::to_string(h->mode),
                 h->catalog_version ? std::to_string(*h->catalog_version) : std::string("none"));
    update_devices_gauge();
  }

  void on_submit(const std::string& device, const protocol::envelope& env, steady::time_point received) {
    auto req = protocol::decode_order_submit(env.body);
    if (!req) {
      // An order-level problem (bad quantity, too many lines, …) with a readable order_id is
      // answered as order.rejected so the kiosk's outbox can settle that order. It is not stored:
      // a malformed message changes nothing.
      std::string order_id;
      if (env.body.is_object()) {
        const auto it = env.body.find("order_id");
        if (it != env.body.end() && it->is_string() && protocol::is_uuid(it->get_ref<const std::string&>())) {
          order_id = it->get<std::string>();
        }
      }
      metrics.inc(m_rejected, {{"code", protocol::to_string(req.error().code)}});
      return send_error(device, order_id, req.error(),
                        order_id.empty() ? protocol::types::error : protocol::types::order_rejected);
    }
    const placement p = orders->place(device, *req);
    publish(topics::device_down(device, p.type), envelope_with_raw_body(p.type, p.body));
    metrics.observe(m_latency, std::chrono::duration<double>(steady::now() - received).count());
    if (p.duplicate) {
      metrics.inc(m_duplicate);
    } else if (p.accepted) {
      metrics.inc(m_accepted);
    } else {
      metrics.inc(m_rejected, {{"code", protocol::to_string(p.code)}});
      if (p.code == protocol::code::forbidden || p.code == protocol::code::order_conflict ||
          p.code == protocol::code::internal) {
        if (auto n = limiter.admit(device + "/" + protocol::to_string(p.code), steady::now())) {
          spdlog::warn("device {}: order {} rejected: {}{}", device, req->order_id, protocol::to_string(p.code),
                       *n ? fmt::format("; {} similar suppressed", *n) : std::string());
        }
      }
    }
    if (p.status) {
      publish(topics::business_orders(p.business_id),
              protocol::make_message(protocol::types::order_status, protocol::to_json(*p.status)));
    }
    if (p.stock_changed) mark_catalog_dirty(p.business_id);
  }

  void on_connection(bool connected, const std::string& reason) {
    metrics.set(m_up, connected ? 1.0 : 0.0);
    if (connected) {
      spdlog::info("mqtt connected to {}", opts.mqtt_uri);
      // The broker may have lost retained messages (restart without persistence): republish.
      publish_all_catalogs();
    } else if (!stopping) {
      spdlog::warn("mqtt connection lost: {}", reason);
    }
  }

  // ---- timers -----------------------------------------------------------------------------
  void schedule_expiry() {
    expiry_timer.expires_after(opts.expiry_interval);
    expiry_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      run_expiry();
      schedule_expiry();
    });
  }

  void run_expiry() {
    const auto expired = orders->expire_unpaid(opts.order_expiry, 500);
    for (const auto& e : expired) {
      metrics.inc(m_expired);
      auto msg = protocol::make_message(protocol::types::order_status, protocol::to_json(e.status));
      publish(topics::business_orders(e.business_id), msg);
      if (!e.device_id.empty()) publish(topics::device_down(e.device_id, protocol::types::order_status), msg);
      if (e.stock_changed) mark_catalog_dirty(e.business_id);
    }
    if (!expired.empty()) spdlog::info("cancelled {} unpaid order(s) older than {} min", expired.size(), opts.order_expiry.count());
  }

  // ---- HTTP -------------------------------------------------------------------------------
  http_response healthz() {
    const bool db_ok = db && db->healthy();
    const bool mq_ok = mq && mq->connected();
    nlohmann::json j = {{"database", db_ok ? "ok" : "unavailable"},
                        {"mqtt", mq_ok ? "connected" : "disconnected"}};
    http_response r;
    r.content_type = "application/json";
    if (db_ok && mq_ok && !stopping) {
      j["status"] = "ok";
      r.status = 200;
    } else {
      j["status"] = "unavailable";
      std::string reason;
      if (stopping) reason = "shutting down";
      else if (!db_ok) reason = "database not open";
      else reason = "mqtt broker not connected" + (mq && !mq->last_error().empty() ? ": " + mq->last_error() : "");
      j["reason"] = reason;
      r.status = 503;
    }
    r.body = j.dump();
    return r;
  }

  // ---- life cycle -------------------------------------------------------------------------
  void shutdown(const char* why) {
    if (stopping) return;
    stopping = true;
    accepting = false;  // stop intake: nothing handed over from now on is processed
    drain_limit = handed_over.load();
    spdlog::info("shutting down ({})", why);
    signals.cancel();
    expiry_timer.cancel();
    for (auto& [id, slot] : catalogs) {
      if (slot.timer) slot.timer->cancel();
    }
    if (http) http->stop();
    // Handlers run one at a time on this thread, so no transaction is half done here. Messages
    // handed over before this point are queued ahead of the step below (posts run in order), so
    // they are committed and answered first; then stop() disconnects cleanly (no Last Will),
    // waiting briefly for Paho to deliver what is in flight.
    asio::post(io, [this] {
      if (mq) mq->stop();
      work.reset();
    });
  }
};

std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return std::nullopt;
  std::string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned long>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

hub::hub(hub_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {
  auto& d = *impl_;
  if (d.opts.data_dir.empty()) throw std::runtime_error("--data is required");
  std::error_code ec;
  std::filesystem::create_directories(d.opts.data_dir, ec);
  if (ec) throw std::runtime_error("cannot create data dir " + d.opts.data_dir + ": " + ec.message());
  // A stale ready file from a killed hub must not announce this one before it is up.
  remove_ready_file(d.opts.data_dir);
  d.db = open_sqlite_store(database_path(d.opts.data_dir), store_options{d.opts.sync, std::chrono::milliseconds(5000), true});
  d.orders = std::make_unique<order_service>(*d.db);

  mqtt::options mo;
  mo.uri = d.opts.mqtt_uri;
  mo.client_id = d.opts.mqtt_client_id;
  mo.username = d.opts.mqtt_username;
  mo.password = d.opts.mqtt_password;
  mo.clean_session = false;
  d.mq = std::make_unique<mqtt::client>(mo);  // throws std::invalid_argument for a bad URI
  d.mq->subscribe_on_connect({{std::string(topics::all_device_up), 1}, {std::string(topics::all_presence), 1}});
  // Paho's thread: only post, never block.
  d.mq->on_message([this](mqtt::message m) {
    const auto received = steady::now();
    const auto seq = impl_->handed_over.fetch_add(1) + 1;
    asio::post(impl_->io, [this, m = std::move(m), received, seq] { impl_->on_message(m, received, seq); });
  });
  d.mq->on_connection([this](bool up, const std::string& reason) {
    asio::post(impl_->io, [this, up, reason] { impl_->on_connection(up, reason); });
  });

  d.describe_metrics();
  d.router.add("GET", "/healthz", [this](const http_request&) { return impl_->healthz(); });
  d.router.add("GET", "/metrics", [this](const http_request&) { return prometheus_response(impl_->metrics); });
  d.http = std::make_unique<http_server>(d.io, d.router, d.opts.http_host, d.opts.http_port);
}

hub::~hub() {
  if (impl_->mq) impl_->mq->stop();
}

void hub::stop() {
  asio::post(impl_->io, [this] { impl_->shutdown("stop requested"); });
}

int hub::run() {
  auto& d = *impl_;
  d.work.emplace(d.io.get_executor());
  d.signals.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (!ec) impl_->shutdown(sig == SIGINT ? "SIGINT" : "SIGTERM");
  });

  d.http->start();  // throws std::system_error when the address cannot be bound
  const std::string shown_host =
      d.opts.http_host.find(':') != std::string::npos ? "[" + d.opts.http_host + "]" : d.opts.http_host;
  spdlog::info("http listening on {}:{}", shown_host, d.http->port());
  d.update_devices_gauge();

  d.accepting = true;
  if (!d.mq->start(true)) {
    spdlog::warn("mqtt broker {} not reachable yet ({}); retrying in the background", d.opts.mqtt_uri,
                 d.mq->last_error());
  }
  d.publish_all_catalogs();
  d.schedule_expiry();
  if (auto err = write_ready_file(d.opts.data_dir, d.http->port(), static_cast<long>(::getpid())); !err.empty()) {
    spdlog::error("{}", err);
  }
  spdlog::info("kioskhub ready (data {}, mqtt {}, client id {})", d.opts.data_dir, d.opts.mqtt_uri,
               d.opts.mqtt_client_id);

  d.io.run();

  remove_ready_file(d.opts.data_dir);
  d.http.reset();
  d.orders.reset();
  d.db.reset();  // closes SQLite (WAL checkpointed on the last close)
  spdlog::info("kioskhub stopped");
  return 0;
}

}  // namespace kh::hub
