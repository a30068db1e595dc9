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

#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/http/http_server.hpp"
#include "kh/hub/http/images.hpp"
#include "kh/hub/ingress/ingress.hpp"
#include "kh/hub/metrics/metrics.hpp"
#include "kh/hub/orders/order_service.hpp"
#include "kh/hub/ready_file.hpp"
#include "kh/hub/storage/store.hpp"
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
constexpr std::chrono::seconds k_log_window{60};
// Messages handed over by Paho but not yet processed; ~1 KiB each, so this bounds the queue to
// tens of MiB (and to ~20 s of backlog at the hub's rate), far above any healthy burst.
constexpr std::int64_t k_max_pending = 50'000;
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
  std::atomic<std::int64_t> pending{0};   // posted, not yet processed
  std::atomic<std::uint64_t> dropped{0};
  std::uint64_t drain_limit = 0;
  log_limiter limiter{k_log_window};
  std::unique_ptr<ingress> in;

  struct catalog_slot {
    std::unique_ptr<asio::steady_timer> timer;
    steady::time_point last{};
    bool scheduled = false;
  };
  std::unordered_map<std::string, catalog_slot> catalogs;
  std::string image_base;  // public URL, or http://HOST:PORT once bound

  explicit impl(hub_options o) : opts(std::move(o)) {}

  // ---- publishing -------------------------------------------------------------------------
  bool publish(const std::string& topic, std::string payload, bool retained = false) {
    if (mq->publish(topic, std::move(payload), 1, retained)) {
      metrics.inc(metric::messages_out);
      return true;
    }
    // Queued nowhere (stopped, or offline buffer full). Answers are stored, so the device's
    // resend gets them; catalogs are republished on reconnect.
    if (auto n = limiter.admit("publish-failed", steady::now())) {
      spdlog::warn("mqtt publish to {} failed (broker unreachable?){}", topic,
                   *n ? fmt::format("; {} more since", *n) : std::string());
    }
    return false;
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
      auto cat = next_catalog(*db, business, image_base);
      if (!cat) return;
      auto payload = protocol::make_message(protocol::types::catalog, protocol::to_json(*cat));
      if (payload.size() > protocol::limits::max_payload) {
        spdlog::error("catalog of {} is {} bytes, over the {} byte limit devices accept", business,
                      payload.size(), protocol::limits::max_payload);
      }
      publish(topics::business_catalog(business), std::move(payload), true);
      metrics.inc(metric::catalog_publishes);
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

  // ---- ingress ----------------------------------------------------------------------------
  void on_message(const mqtt::message& m, steady::time_point received, std::uint64_t seq) {
    // Not yet started, or arrived after the shutdown began: the device's outbox resends it.
    if (!accepting && !(stopping && seq <= drain_limit)) return;
    in->handle(m.topic, m.payload, received);
  }

  void on_connection(bool connected, const std::string& reason) {
    metrics.set(metric::mqtt_connected, connected ? 1.0 : 0.0);
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
      metrics.inc(metric::orders_expired);
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

namespace {
// How long the io thread stays awake polling after its last handler before it blocks.
constexpr auto k_spin = std::chrono::microseconds(400);

// Runs the io_context until it stops (what io.run() does), spin-then-block: after a handler the
// thread keeps polling for up to k_spin before it blocks again. Back-to-back messages (a kiosk's
// next order, a burst from many kiosks) then find the thread awake, which saves a sleep and a
// wake-up (eventfd + scheduler, tens to hundreds of µs on a busy 2-core box) per message: order
// round trip p50 about 400 → 250 µs in order_roundtrip. Bounded: an idle hub blocks after
// 400 µs and costs nothing; handlers still run one at a time on this thread, in order.
void run_loop(asio::io_context& io) {
  while (!io.stopped()) {
    if (io.run_one() == 0) break;  // blocks until a handler ran (or the context stopped)
    auto last = steady::now();
    while (!io.stopped()) {
      if (io.poll() > 0) {
        last = steady::now();
      } else if (steady::now() - last >= k_spin) {
        break;
      }
    }
  }
}
}  // namespace

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
  if (!d.opts.public_url.empty()) {
    const auto& u = d.opts.public_url;
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
      throw std::runtime_error("--public-url must start with http:// or https://, got '" + u + "'");
    }
    d.orders->set_public_url(u);
    d.image_base = d.orders->public_url();
  }

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
    // Bounded intake: past k_max_pending unprocessed messages the hub is far behind; dropping
    // (counted, logged) keeps memory bounded, and the kiosk outbox resends what it has not seen
    // answered. Blocking here instead would stall Paho's thread, which must never wait.
    if (impl_->pending.fetch_add(1) >= k_max_pending) {
      impl_->pending.fetch_sub(1);
      impl_->metrics.inc(metric::messages_dropped);
      if (impl_->dropped.fetch_add(1) % 1000 == 0) {
        spdlog::warn("intake queue full ({} messages): dropping {}", k_max_pending, m.topic);
      }
      return;
    }
    const auto seq = impl_->handed_over.fetch_add(1) + 1;
    asio::post(impl_->io, [this, m = std::move(m), received, seq] {
      impl_->pending.fetch_sub(1);
      impl_->on_message(m, received, seq);
    });
  });
  d.mq->on_connection([this](bool up, const std::string& reason) {
    asio::post(impl_->io, [this, up, reason] { impl_->on_connection(up, reason); });
  });

  ingress::describe_metrics(d.metrics);
  d.in = std::make_unique<ingress>(
      *d.db, *d.orders, d.metrics,
      [this](const std::string& topic, std::string payload, bool retained) {
        return impl_->publish(topic, std::move(payload), retained);
      },
      [this](const std::string& business) { impl_->mark_catalog_dirty(business); });
  d.router.add("GET", "/healthz", [this](const http_request&) { return impl_->healthz(); });
  d.router.add("GET", "/metrics", [this](const http_request&) { return prometheus_response(impl_->metrics); });
  // Product images (the catalog's image_url); handlers run on the io thread that owns the store.
  d.router.add_prefix("GET", "/img/", [this](const http_request& r) { return image_response(*impl_->db, r); });
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
  if (d.image_base.empty()) d.image_base = "http://" + shown_host + ":" + std::to_string(d.http->port());
  d.in->update_devices_gauge();
  d.in->restore_device_metrics();

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
  if (d.opts.on_ready) {
    try {
      d.opts.on_ready(d.http->port());
    } catch (const std::exception& e) {
      spdlog::error("on_ready callback threw: {}", e.what());
    }
  }

  run_loop(d.io);

  remove_ready_file(d.opts.data_dir);
  d.http.reset();
  d.in.reset();
  d.orders.reset();
  d.db.reset();  // closes SQLite (WAL checkpointed on the last close)
  spdlog::info("kioskhub stopped");
  return 0;
}

}  // namespace kh::hub
