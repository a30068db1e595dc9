#include "kh/hub/hub.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/http/http_server.hpp"
#include "kh/hub/http/images.hpp"
#include "kh/hub/http/writer_gateway.hpp"
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
// Messages the writer takes from the intake queue per turn before it lets timers and other
// handlers run (and re-posts itself).
constexpr std::size_t k_drain_batch = 64;
// The writer counts as stalled when messages wait and it has finished none for this long.
constexpr std::chrono::seconds k_stall_after{10};

std::int64_t wall_ms() { return to_ms(std::chrono::system_clock::now()); }
}  // namespace

// What /healthz reports about the database, written by the writer thread after every write
// attempt (orders, state changes, the probe) and read by the HTTP thread.
struct write_health {
  std::mutex mu;
  bool ok = true;
  std::string error;
  std::string what = "none";  // "order" | "probe" | "none"
  std::int64_t at_ms = 0;
};

struct hub::impl {
  hub_options opts;
  asio::io_context io{1};  // the writer
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  asio::io_context http_io{1};  // HTTP: its own thread, never waits for the writer
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> http_work;
  std::thread http_thread;
  writer_gateway gateway{io};  // for HTTP handlers that need the writer (the web portal)
  asio::signal_set signals{io, SIGINT, SIGTERM};
  asio::steady_timer expiry_timer{io};
  asio::steady_timer probe_timer{io};
  std::unique_ptr<store> db;
  std::unique_ptr<order_service> orders;
  metrics_registry metrics;
  http_router router;
  std::unique_ptr<http_server> http;
  std::unique_ptr<mqtt::client> mq;
  std::atomic<bool> accepting{false};
  std::atomic<bool> stopping{false};
  // Messages are numbered as Paho hands them over; at shutdown those already handed over (and
  // so already acknowledged to the broker) are still processed and answered, later ones dropped.
  intake_queue intake;
  std::uint64_t drain_limit = 0;
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::int64_t> last_progress_ms{0};  // writer finished a message (wall ms)
  write_health health;
  bool wrote_since_probe = false;  // writer thread only
  log_limiter limiter{k_log_window};
  std::unique_ptr<ingress> in;

  struct catalog_slot {
    std::unique_ptr<asio::steady_timer> timer;
    steady::time_point last{};
    bool scheduled = false;
  };
  std::unordered_map<std::string, catalog_slot> catalogs;
  std::string image_base;  // public URL, or http://HOST:PORT once bound

  explicit impl(hub_options o) : opts(std::move(o)), intake(opts.intake) {}

  // ---- intake -----------------------------------------------------------------------------
  // Paho's thread. Never blocks: a message that does not fit is answered `busy` (retryable) right
  // here, so nothing the broker handed over disappears without an answer.
  void on_mqtt_message(mqtt::message&& m) {
    const auto received = steady::now();
    intake_item item;
    if (auto t = topics::parse(m.topic)) item.device = t->id;
    item.topic = std::move(m.topic);
    item.payload = std::move(m.payload);
    item.retained = m.retained;
    item.received = received;
    item.wire_size = m.size;
    bool was_empty = false;
    const auto v = intake.push(std::move(item), was_empty);
    if (v == intake_queue::verdict::queued) {
      if (was_empty) asio::post(io, [this] { drain_intake(); });
      return;
    }
    // `item` was not moved from on refusal.
    refuse(item, v == intake_queue::verdict::full ? "queue_full" : "device_share");
  }

  void refuse(const intake_item& item, const char* reason) {
    metrics.inc(metric::intake_refused, {{"reason", reason}});
    if (refused.fetch_add(1) % 1000 == 0) {
      spdlog::warn("intake queue full ({}; {} messages, {} bytes queued): answering busy", reason, intake.size(),
                   intake.bytes());
    }
    if (!accepting) return;  // not started / shutting down: the device's outbox resends
    if (auto a = ingress::busy_answer(item.topic, item.payload, item.wire_size)) {
      if (mq->publish(a->first, std::move(a->second), 1, false)) metrics.inc(metric::messages_out);
    }
  }

  // Writer thread: takes a batch, handles it, and comes back while anything waits.
  void drain_intake() {
    std::vector<intake_item> batch;
    batch.reserve(k_drain_batch);
    intake.drain(batch, k_drain_batch);
    for (auto& it : batch) process(it);
    if (intake.size() > 0) asio::post(io, [this] { drain_intake(); });
  }

  void process(const intake_item& it) {
    // Not yet started, or arrived after the shutdown began: the device's outbox resends it.
    if (accepting || (stopping && it.seq <= drain_limit)) {
      in->handle(it.topic, it.payload, it.received, it.retained, it.wire_size);
    }
    last_progress_ms.store(wall_ms(), std::memory_order_relaxed);
  }

  // ---- health -----------------------------------------------------------------------------
  void record_write(const char* what, bool ok, const std::string& error) {
    wrote_since_probe = true;
    std::lock_guard lk(health.mu);
    health.ok = ok;
    health.error = error;
    health.what = what;
    health.at_ms = wall_ms();
  }

  void schedule_probe() {
    probe_timer.expires_after(opts.write_probe_interval);
    probe_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      // Orders written since the last probe already told whether writing works.
      if (!wrote_since_probe) run_probe();
      wrote_since_probe = false;
      schedule_probe();
    });
  }

  void run_probe() {
    const auto err = db->probe_write(wall_ms());
    if (!err.empty()) {
      if (auto n = limiter.admit("probe-failed", steady::now())) spdlog::error("database write probe failed: {}", err);
    }
    record_write("probe", err.empty(), err);
  }

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
  // HTTP thread: reads only what the writer publishes (never the database), so it answers at
  // once however busy the writer is.
  http_response healthz() {
    bool write_ok = true;
    std::string write_error, what;
    std::int64_t at_ms = 0;
    {
      std::lock_guard lk(health.mu);
      write_ok = health.ok;
      write_error = health.error;
      what = health.what;
      at_ms = health.at_ms;
    }
    const auto now = wall_ms();
    const auto queued = intake.size();
    const auto progress = last_progress_ms.load(std::memory_order_relaxed);
    const bool stalled = queued > 0 && progress != 0 && now - progress > std::chrono::milliseconds(k_stall_after).count();
    const bool db_ok = write_ok && !stalled;
    const bool mq_ok = mq && mq->connected();
    nlohmann::json j = {{"database", db_ok ? "ok" : "unavailable"},
                        {"mqtt", mq_ok ? "connected" : "disconnected"},
                        {"last_write", {{"ok", write_ok}, {"what", what}, {"age_ms", at_ms ? now - at_ms : -1}}},
                        {"intake", {{"messages", queued}, {"bytes", intake.bytes()}}}};
    if (!write_ok) j["last_write"]["error"] = write_error;
    http_response r;
    r.content_type = "application/json";
    if (db_ok && mq_ok && !stopping) {
      j["status"] = "ok";
      r.status = 200;
    } else {
      j["status"] = "unavailable";
      std::string reason;
      if (stopping) reason = "shutting down";
      else if (!write_ok) reason = "database cannot be written: " + write_error;
      else if (stalled) reason = "order writer stalled: " + std::to_string(queued) + " messages waiting";
      else reason = "mqtt broker not connected" + (mq && !mq->last_error().empty() ? ": " + mq->last_error() : "");
      j["reason"] = reason;
      r.status = 503;
    }
    r.body = j.dump();
    return r;
  }

  http_response metrics_page() {
    metrics.set(metric::intake_messages, static_cast<double>(intake.size()));
    metrics.set(metric::intake_bytes, static_cast<double>(intake.bytes()));
    return prometheus_response(metrics);
  }

  // ---- life cycle -------------------------------------------------------------------------
  void shutdown(const char* why) {
    if (stopping) return;
    stopping = true;
    accepting = false;  // stop intake: nothing handed over from now on is processed
    drain_limit = intake.last_seq();
    spdlog::info("shutting down ({})", why);
    signals.cancel();
    expiry_timer.cancel();
    probe_timer.cancel();
    for (auto& [id, slot] : catalogs) {
      if (slot.timer) slot.timer->cancel();
    }
    if (http) http->stop();
    // Handlers run one at a time on this thread, so no transaction is half done here. Every
    // message handed over before this point is in the intake queue now: the step below handles
    // them (committed and answered) first; then stop() disconnects cleanly (no Last Will),
    // waiting briefly for Paho to deliver what is in flight.
    asio::post(io, [this] {
      std::vector<intake_item> rest;
      intake.drain(rest, intake.size());
      for (auto& it : rest) process(it);
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
  check_data_dir(d.opts.data_dir, d.opts.init);
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
  d.orders->set_unpaid_hold_limit(d.opts.unpaid_hold_limit);
  d.orders->set_write_observer([this](bool ok, const std::string& err) { impl_->record_write("order", ok, err); });

  mqtt::options mo;
  mo.uri = d.opts.mqtt_uri;
  mo.client_id = d.opts.mqtt_client_id;
  mo.username = d.opts.mqtt_username;
  mo.password = d.opts.mqtt_password;
  mo.clean_session = false;
  mo.max_payload_bytes = protocol::limits::max_payload;  // larger ones are answered too_large uncopied
  d.mq = std::make_unique<mqtt::client>(mo);  // throws std::invalid_argument for a bad URI
  d.mq->subscribe_on_connect({{std::string(topics::all_device_up), 1}, {std::string(topics::all_presence), 1}});
  // Paho's thread: only queue, never block.
  d.mq->on_message([this](mqtt::message m) { impl_->on_mqtt_message(std::move(m)); });
  d.mq->on_connection([this](bool up, const std::string& reason) {
    asio::post(impl_->io, [this, up, reason] { impl_->on_connection(up, reason); });
  });

  ingress::describe_metrics(d.metrics);
  d.in = std::make_unique<ingress>(
      *d.db, *d.orders, d.metrics,
      [this](const std::string& topic, std::string payload, bool retained) {
        return impl_->publish(topic, std::move(payload), retained);
      },
      [this](const std::string& business) { impl_->mark_catalog_dirty(business); }, d.opts.ingress);
  d.metrics.inc(metric::intake_refused, {{"reason", "queue_full"}}, 0);
  d.metrics.inc(metric::intake_refused, {{"reason", "device_share"}}, 0);
  // Both run on the HTTP thread and read no database: they answer within milliseconds whatever
  // the writer is doing.
  d.router.add("GET", "/healthz", [this](const http_request&) { return impl_->healthz(); });
  d.router.add("GET", "/metrics", [this](const http_request&) { return impl_->metrics_page(); });
  // Product images (the catalog's image_url) are read from the store, whose connection belongs to
  // the writer: through the gateway. The request is copied: a late run may outlive the handler.
  d.router.add_prefix("GET", "/img/", [this](const http_request& r) {
    auto res = impl_->gateway.call([this, req = r] { return image_response(*impl_->db, req); });
    if (res) return std::move(*res);
    http_response busy;
    busy.status = 503;
    busy.body = "the hub is busy, retry\n";
    busy.headers.emplace_back("retry-after", "1");
    return busy;
  });
  d.http = std::make_unique<http_server>(d.http_io, d.router, d.opts.http_host, d.opts.http_port);
}

hub::~hub() {
  if (impl_->mq) impl_->mq->stop();
  impl_->http_io.stop();
  if (impl_->http_thread.joinable()) impl_->http_thread.join();
}

void check_data_dir(const std::string& data_dir, bool init) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (init || !fs::is_directory(data_dir, ec)) return;  // a new data dir is initialised
  const fs::path db = database_path(data_dir);
  const bool missing = !fs::exists(db, ec);
  const bool empty = !missing && fs::file_size(db, ec) == 0;
  if (!missing && !empty) return;
  throw std::runtime_error("data dir " + data_dir + " exists but its database " + db.string() +
                           (missing ? " is missing" : " is empty (0 bytes)") +
                           "; refusing to start with an empty store (every device would be forbidden). "
                           "If this is a new installation, run 'kioskhub init --data " + data_dir +
                           "' (or 'kioskhub serve --init …'); otherwise restore the database from a backup");
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
  d.http_work.emplace(d.http_io.get_executor());
  d.http_thread = std::thread([&d] {
    try {
      d.http_io.run();
    } catch (const std::exception& e) {
      spdlog::error("http thread stopped: {}", e.what());
    }
  });
  const std::string shown_host =
      d.opts.http_host.find(':') != std::string::npos ? "[" + d.opts.http_host + "]" : d.opts.http_host;
  spdlog::info("http listening on {}:{}", shown_host, d.http->port());
  if (d.image_base.empty()) d.image_base = "http://" + shown_host + ":" + std::to_string(d.http->port());
  d.in->update_devices_gauge();
  d.in->restore_device_metrics();
  d.in->set_image_base(d.image_base);
  d.run_probe();  // health knows from the start whether the database takes writes
  d.schedule_probe();

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
  d.http_work.reset();
  d.http_io.stop();
  if (d.http_thread.joinable()) d.http_thread.join();
  d.http.reset();
  d.in.reset();
  d.orders.reset();
  d.db.reset();  // closes SQLite (WAL checkpointed on the last close)
  spdlog::info("kioskhub stopped");
  return 0;
}

}  // namespace kh::hub
