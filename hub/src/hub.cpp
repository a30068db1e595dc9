#include "kh/hub/hub.hpp"

#include <sys/resource.h>
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
#include "kh/hub/fleet/dynsec_admin.hpp"
#include "kh/hub/fleet/fleet_api.hpp"
#include "kh/hub/http/http_server.hpp"
#include "kh/hub/http/tls_front.hpp"
#include "kh/hub/http/writer_gateway.hpp"
#include "kh/hub/ingress/ingress.hpp"
#include "kh/hub/metrics/metrics.hpp"
#include "kh/hub/orders/order_service.hpp"
#include "kh/hub/ready_file.hpp"
#include "kh/hub/storage/store.hpp"
#include "kh/hub/web/web.hpp"
#include "kh/mqtt/client.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "kh/protocol/topics.hpp"
#include "kh/provisioning/dynsec.hpp"
#include "kh/provisioning/files.hpp"
#include "kh/provisioning/signing.hpp"

namespace kh::hub {

namespace asio = boost::asio;
namespace topics = protocol::topics;
using steady = std::chrono::steady_clock;

namespace {
constexpr std::chrono::seconds k_log_window{60};
// Messages the writer takes from the intake queue per turn before it lets timers and other
// handlers run (and re-posts itself). They are one batch: the orders among them share one
// transaction (group commit: one fsync with --sync full). 64 orders are a few ms of SQL; bigger
// batches only delay the first answer of the batch.
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
  std::unique_ptr<web::app> webapp;
  std::unique_ptr<http_server> http;
  std::unique_ptr<tls_front> https;  // on http_io too
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
  std::optional<provisioning::signing_key> key;  // signs catalogs, device config, credentials
  std::unique_ptr<dynsec_admin> admin;           // when the hub manages broker accounts
  std::unique_ptr<fleet_api> fleet;

  // The retained catalog this hub last published per business, to tell its own echo from a
  // message someone else put there (which is then overwritten with ours again). Writer thread.
  struct published_catalog {
    std::string payload;
    std::int64_t version = 0;
  };
  std::unordered_map<std::string, published_catalog> published;

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

  // Writer thread: takes every message waiting, up to k_drain_batch, handles them as one batch
  // (group commit: ingress::handle_batch), and comes back while anything waits. An idle hub takes
  // the one message there is at once: nothing waits for company.
  void drain_intake() {
    std::vector<intake_item> batch;
    batch.reserve(k_drain_batch);
    intake.drain(batch, k_drain_batch);
    process(batch);
    if (intake.size() > 0) asio::post(io, [this] { drain_intake(); });
  }

  void process(std::vector<intake_item>& items) {
    std::vector<ingress::incoming> batch;
    batch.reserve(items.size());
    for (auto& it : items) {
      // Not yet started, or arrived after the shutdown began: the device's outbox resends it.
      if (accepting || (stopping && it.seq <= drain_limit)) {
        if (const auto t = topics::parse(it.topic); t && t->kind == topics::kind::business_catalog) {
          on_retained_catalog(t->id, it.payload);
          continue;
        }
        batch.push_back({std::move(it.topic), std::move(it.payload), it.received, it.retained, it.wire_size});
      }
    }
    if (!batch.empty()) in->handle_batch(batch);
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

  // What only the hub may say to a device (its catalog, its config, its credentials) goes out
  // signed, whichever room produced it: enrolled kiosks accept nothing else.
  std::string sign_if_hub_only(const std::string& topic, std::string payload) {
    const auto t = topics::parse(topic);
    if (!t || (t->kind != topics::kind::device_down && t->kind != topics::kind::business_catalog)) return payload;
    if (t->kind == topics::kind::device_down && t->type != protocol::types::catalog && t->type != "device.config" &&
        t->type != fleet_types::credentials) {
      return payload;
    }
    auto env = nlohmann::json::parse(payload, nullptr, false);
    if (!env.is_object() || env.contains("sig")) return payload;
    try {
      key->sign(env);
    } catch (const std::exception& e) {
      spdlog::error("cannot sign a message for {}: {}", topic, e.what());
      return payload;
    }
    return env.dump();
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
      auto env = nlohmann::json::parse(protocol::make_message(protocol::types::catalog, protocol::to_json(*cat)));
      key->sign(env);
      auto payload = env.dump();
      if (payload.size() > protocol::limits::max_payload) {
        spdlog::error("catalog of {} is {} bytes, over the {} byte limit devices accept", business,
                      payload.size(), protocol::limits::max_payload);
      }
      published[business] = published_catalog{payload, cat->version};
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

  // A retained catalog arrived (ours echoed back, or someone else's). Anything that is not
  // signed by this hub's key, or older than what the hub published last, is overwritten with the
  // hub's own catalog at once, so kiosks that join later never see it either.
  void on_retained_catalog(const std::string& business, const std::string& payload) {
    const auto it = published.find(business);
    if (it == published.end() || payload == it->second.payload) return;  // not published yet / our echo
    bool ours = false;
    auto j = nlohmann::json::parse(payload, nullptr, false);
    if (provisioning::verify(j, key->public_half()) == provisioning::verify_error::ok) {
      const auto& body = j["body"];
      ours = body.is_object() && body.contains("version") && body["version"].is_number_integer() &&
             body["version"].get<std::int64_t>() >= it->second.version;
    }
    if (ours) return;
    metrics.inc(metric::catalog_restores);
    if (auto n = limiter.admit("catalog-restore/" + business, steady::now())) {
      spdlog::warn("retained catalog of {} was overwritten by someone else ({} bytes, {}); restoring the hub's{}",
                   business, payload.size(),
                   j.is_discarded() ? "not JSON" : provisioning::to_string(provisioning::verify(j, key->public_half())),
                   *n ? fmt::format("; {} more since", *n) : std::string());
    }
    publish(topics::business_catalog(business), it->second.payload, true);
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
      in->publish_status(e.business_id, e.device_id, e.status);
      if (e.stock_changed) mark_catalog_dirty(e.business_id);
    }
    if (!expired.empty()) spdlog::info("cancelled {} unpaid order(s) older than {} min", expired.size(), opts.order_expiry.count());
  }

  // ---- HTTP -------------------------------------------------------------------------------
  // HTTP thread (the web's writes): runs `f` on the writer and waits for it. If the writer has not
  // started it within 10 s (stopping, or far behind) it is abandoned — it will not run later,
  // when the handler's state is gone — and this throws, which the router answers 500.
  void run_on_writer(const std::function<void()>& f) {
    struct slot {
      std::mutex mu;
      bool abandoned = false;
      const std::function<void()>* f = nullptr;
    };
    auto st = std::make_shared<slot>();
    st->f = &f;
    auto done = gateway.call(
        [st] {
          std::lock_guard lk(st->mu);
          if (!st->abandoned) (*st->f)();
          return true;
        },
        std::chrono::seconds(10));
    if (!done) {
      std::lock_guard lk(st->mu);  // waits if it is running right now, so `f` is never left dangling
      st->abandoned = true;
      throw std::runtime_error("the order writer did not take the request within 10 s");
    }
  }

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

  sqlite::wal_sync_stats syncs_shown;  // HTTP thread only
  http_response metrics_page() {
    metrics.set(metric::intake_messages, static_cast<double>(intake.size()));
    metrics.set(metric::intake_bytes, static_cast<double>(intake.bytes()));
    const auto now = sqlite::wal_syncs();
    metrics.inc(metric::wal_syncs, {}, static_cast<double>(now.syncs - syncs_shown.syncs));
    metrics.inc(metric::wal_sync_seconds, {}, 1e-9 * static_cast<double>(now.nanos - syncs_shown.nanos));
    syncs_shown = now;
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
    if (https) https->stop();
    // Handlers run one at a time on this thread, so no transaction is half done here. Every
    // message handed over before this point is in the intake queue now: the step below handles
    // them (committed and answered) first; then stop() disconnects cleanly (no Last Will),
    // waiting briefly for Paho to deliver what is in flight.
    asio::post(io, [this] {
      std::vector<intake_item> rest;
      // What is queued now, in batches (what Paho pushes meanwhile is past drain_limit anyway).
      for (std::size_t left = intake.size(); left > 0;) {
        const std::size_t n = intake.drain(rest, std::min(left, k_drain_batch));
        if (n == 0) break;
        left -= n;
        process(rest);
        rest.clear();
      }
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
  d.key = provisioning::signing_key::load_or_create(
      d.opts.signing_key_file.empty() ? std::filesystem::path(d.opts.data_dir) / "signing.key"
                                      : std::filesystem::path(d.opts.signing_key_file));
  std::string ca_pem;
  if (!d.opts.mqtt_ca_file.empty()) {
    auto pem = provisioning::read_file(d.opts.mqtt_ca_file);
    if (!pem) throw std::runtime_error("cannot read --mqtt-ca " + d.opts.mqtt_ca_file);
    ca_pem = *pem;
  }

  mqtt::options mo;
  mo.uri = d.opts.mqtt_uri;
  mo.client_id = d.opts.mqtt_client_id;
  mo.username = d.opts.mqtt_username;
  mo.password = d.opts.mqtt_password;
  mo.ca_file = d.opts.mqtt_ca_file;
  mo.clean_session = false;
  mo.max_payload_bytes = protocol::limits::max_payload;  // larger ones are answered too_large uncopied
  d.mq = std::make_unique<mqtt::client>(mo);  // throws std::invalid_argument for a bad URI
  // The hub also watches the retained catalogs, to put its own back when someone overwrites one.
  std::vector<mqtt::subscription> subs{{std::string(topics::all_device_up), 1},
                                       {std::string(topics::all_presence), 1},
                                       {"kh/v1/b/+/catalog", 1}};
  if (d.opts.manage_broker) {
    subs.push_back({std::string(provisioning::dynsec::response_topic), 1});
    d.admin = std::make_unique<dynsec_admin>([this](const std::string& topic, std::string payload) {
      // Never logged: dynamic-security requests carry passwords.
      return impl_->mq->publish(topic, std::move(payload), 1, false);
    });
  }
  d.mq->subscribe_on_connect(std::move(subs));
  // Paho's thread: only queue, never block.
  d.mq->on_message([this](mqtt::message m) {
    if (impl_->admin && m.topic == provisioning::dynsec::response_topic) {
      // Straight to the waiting call (which may be holding the writer thread): never queued.
      impl_->admin->on_response(m.payload);
      return;
    }
    impl_->on_mqtt_message(std::move(m));
  });
  d.mq->on_connection([this](bool up, const std::string& reason) {
    asio::post(impl_->io, [this, up, reason] { impl_->on_connection(up, reason); });
  });

  ingress::describe_metrics(d.metrics);
  d.in = std::make_unique<ingress>(
      *d.db, *d.orders, d.metrics,
      [this](const std::string& topic, std::string payload, bool retained) {
        return impl_->publish(topic, impl_->sign_if_hub_only(topic, std::move(payload)), retained);
      },
      [this](const std::string& business) { impl_->mark_catalog_dirty(business); }, d.opts.ingress);
  fleet_options fo;
  fo.manage_broker = d.opts.manage_broker;
  fo.device_mqtt_uri = d.opts.device_mqtt_uri.empty() ? d.opts.mqtt_uri : d.opts.device_mqtt_uri;
  fo.ca_pem = ca_pem;
  fo.public_url = d.opts.public_url;
  d.fleet = std::make_unique<fleet_api>(
      *d.db, *d.key, d.admin.get(),
      [this](const std::string& topic, std::string payload, bool retained) {
        return impl_->publish(topic, std::move(payload), retained);
      },
      fo);
  // The fleet routes read and write the database and may wait for the broker: they run on the
  // writer thread (the HTTP thread waits for them, 8 s at most: the broker's 5 s and some).
  d.fleet->add_routes(d.router, [this](const std::function<http_response()>& fn) {
    auto r = impl_->gateway.call([fn] { return fn(); }, std::chrono::milliseconds(8000));
    return r ? std::move(*r) : json_error(503, "busy", "the hub is busy; try again");
  });
  d.in->on_other_type([this](const std::string& device, const std::string& type, const nlohmann::json& body) {
    if (type != fleet_types::credentials_ack) return false;
    impl_->fleet->on_credentials_ack(device, body);
    return true;
  });
  d.metrics.inc(metric::intake_refused, {{"reason", "queue_full"}}, 0);
  d.metrics.inc(metric::intake_refused, {{"reason", "device_share"}}, 0);
  // Both run on the HTTP thread and read no database: they answer within milliseconds whatever
  // the writer is doing.
  d.router.add("GET", "/healthz", [this](const http_request&) { return impl_->healthz(); });
  d.router.add("GET", "/metrics", [this](const http_request&) { return impl_->metrics_page(); });

  // The web: pages read on their own read-only connections on the HTTP thread; writes are handed
  // to the writer's thread and waited for (so argon2id, image decoding and rendering stay off it).
  web::web_options wo;
  wo.public_url = d.opts.public_url;
  while (!wo.public_url.empty() && wo.public_url.back() == '/') wo.public_url.pop_back();
  wo.db_path = database_path(d.opts.data_dir);
  wo.live_coalesce = std::chrono::milliseconds(d.opts.live_coalesce_ms);
  wo.data_dir = d.opts.data_dir;
  web::web_hooks wh;
  wh.on_writer = [this](const std::function<void()>& f) { impl_->run_on_writer(f); };
  wh.catalog_changed = [this](const std::string& business) { impl_->mark_catalog_dirty(business); };
  wh.order_placed = [this](const placement& p) {
    auto& m = impl_->metrics;
    if (p.duplicate) m.inc(metric::orders_duplicate);
    else if (p.accepted) m.inc(metric::orders_accepted);
    else m.inc(metric::orders_rejected, {{"code", protocol::to_string(p.code)}});
    if (p.status) impl_->in->publish_status(p.business_id, {}, *p.status);
    if (p.stock_changed) impl_->mark_catalog_dirty(p.business_id);
  };
  wh.order_changed = [this](const transition_outcome& t) {
    impl_->in->publish_status(t.business_id, t.device_id, t.status);
    if (t.stock_changed) impl_->mark_catalog_dirty(t.business_id);
  };
  wh.staff = &d.in->staff();
  wh.on_http = [this](std::function<void()> f) { asio::post(impl_->http_io, std::move(f)); };
  wh.on_http_after = [this](std::chrono::milliseconds delay, std::function<void()> f) {
    auto t = std::make_shared<asio::steady_timer>(impl_->http_io, delay);
    t->async_wait([t, f = std::move(f)](const boost::system::error_code& ec) {
      if (!ec) f();
    });
  };
  d.webapp = std::make_unique<web::app>(std::move(wo), *d.db, *d.orders, std::move(wh));
  // Every order event, after its commit: the dashboard's live streams.
  d.in->on_order_event([this](const std::string& business, const protocol::order_status& st) {
    if (impl_->webapp) impl_->webapp->order_event(business, st);
  });
  d.webapp->add_routes(d.router);
  http_server_options ho;
  // Dashboards keep a live stream (SSE) open each: room for 1,000 of them beside ordinary requests.
  ho.max_connections = 2048;
  ho.max_body_bytes = 5 * 1024 * 1024;  // image uploads (4 MiB) in multipart; forms are checked smaller
  ho.metrics = &d.metrics;              // kh_http_requests_total, kh_http_request_duration_seconds
  d.http = std::make_unique<http_server>(d.http_io, d.router, d.opts.http_host, d.opts.http_port, ho);
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
  if (!d.opts.tls_cert_file.empty() || !d.opts.tls_key_file.empty()) {
    tls_front_options to;
    to.host = d.opts.https_host;
    to.port = d.opts.https_port;
    to.cert_file = d.opts.tls_cert_file;
    to.key_file = d.opts.tls_key_file;
    // Relay to the HTTP server where it listens (loopback when it listens on every address).
    to.backend_host = d.opts.http_host == "0.0.0.0" ? "127.0.0.1" : d.opts.http_host == "::" ? "::1" : d.opts.http_host;
    to.backend_port = d.http->port();
    d.https = std::make_unique<tls_front>(d.http_io, to);  // throws for a bad certificate or key
    d.https->start();
  }
  d.http_work.emplace(d.http_io.get_executor());
  d.http_thread = std::thread([&d] {
    // Pages, reports and the dashboard's live streams run a little below the order path (nice +5
    // for this thread only): on a 2-core store box a fan-out to a thousand streams or a report
    // then waits for the writer and the MQTT thread, never the other way round.
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5) != 0)
      spdlog::warn("http thread: could not lower its priority");
    try {
      d.http_io.run();
    } catch (const std::exception& e) {
      spdlog::error("http thread stopped: {}", e.what());
    }
  });
  const std::string shown_host =
      d.opts.http_host.find(':') != std::string::npos ? "[" + d.opts.http_host + "]" : d.opts.http_host;
  spdlog::info("http listening on {}:{}", shown_host, d.http->port());
  if (d.https) {
    const auto& h = d.opts.https_host;
    spdlog::info("https listening on {}:{}", h.find(':') != std::string::npos ? "[" + h + "]" : h, d.https->port());
  }
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
  spdlog::info("kioskhub ready (data {}, mqtt {}, client id {}, catalog key {}{})", d.opts.data_dir, d.opts.mqtt_uri,
               d.opts.mqtt_client_id, provisioning::key_id(d.key->public_half()),
               d.opts.manage_broker ? ", managing broker accounts" : "");
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
  d.https.reset();
  d.http.reset();
  d.webapp.reset();
  d.fleet.reset();
  d.in.reset();
  d.orders.reset();
  d.db.reset();  // closes SQLite (WAL checkpointed on the last close)
  spdlog::info("kioskhub stopped");
  return 0;
}

}  // namespace kh::hub
