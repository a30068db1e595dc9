#include "kh/kiosk/link/link.hpp"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "kh/mqtt/client.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/topics.hpp"
#include "kh/provisioning/identity.hpp"
#include "kh/provisioning/signing.hpp"

namespace kh::kiosk {

namespace topics = protocol::topics;

namespace {
// Messages and connection changes waiting for the worker. Past this, Paho's deliveries are dropped
// (logged): answers come back on the next re-send and the retained catalog on the next connect.
constexpr std::size_t k_max_queued = 10000;
}  // namespace

struct link::impl {
  link_options opts;
  event_fn on_event;
  std::unique_ptr<store> db;
  std::unique_ptr<engine> eng;

  // Worker-confined (touched only by tasks on the worker thread).
  std::unique_ptr<mqtt::client> client;
  std::uint64_t generation = 0;  // bumps when the client is replaced: stale callbacks are ignored
  // Set from Paho's thread once the current client has connected (and so published "online").
  std::shared_ptr<std::atomic<bool>> ever_up = std::make_shared<std::atomic<bool>>(false);
  bool started = false;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> tasks;
  bool closing = false;  // no more tasks accepted
  std::optional<engine::clock::time_point> next_tick;
  std::thread worker;

  std::mutex idle_mu;
  std::condition_variable idle_cv;
  std::size_t pending = 0;

  std::once_flag stop_once;

  bool post(std::function<void()> f, bool bounded) {
    {
      std::lock_guard lk(mu);
      if (closing) return false;
      if (bounded && tasks.size() >= k_max_queued) return false;
      tasks.push_back(std::move(f));
    }
    cv.notify_one();
    return true;
  }

  // Runs f on the worker and waits for its result; nullopt when the worker is gone.
  template <class F>
  auto call(F f) -> std::optional<decltype(f())> {
    using R = decltype(f());
    auto p = std::make_shared<std::promise<R>>();
    auto fut = p->get_future();
    if (!post(
            [this, p, f = std::move(f)]() mutable {
              auto v = f();
              publish_pending();  // before the caller resumes, so a following wait_idle sees this
                                  // task's effect
              p->set_value(std::move(v));
            },
            false)) {
      return std::nullopt;
    }
    try {
      return fut.get();
    } catch (const std::future_error&) {
      return std::nullopt;  // the task was dropped during shutdown
    }
  }

  void publish_pending() {
    {
      std::lock_guard lk(idle_mu);
      pending = eng->pending();
    }
    idle_cv.notify_all();
  }

  void run() {
    std::unique_lock lk(mu);
    while (true) {
      auto ready = [&] { return !tasks.empty() || closing; };
      if (next_tick) {
        cv.wait_for(lk,
                    std::max(std::chrono::milliseconds{0},
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 *next_tick - engine::clock::now())),
                    ready);
      } else {
        cv.wait(lk, ready);
      }
      std::deque<std::function<void()>> batch;
      batch.swap(tasks);
      const bool last = closing;
      lk.unlock();
      for (auto& t : batch) {
        try {
          t();
        } catch (const std::exception& e) {
          spdlog::error("kiosk link: task failed: {}", e.what());
        } catch (...) {
          spdlog::error("kiosk link: task failed");
        }
      }
      std::optional<engine::clock::time_point> next;
      try {
        next = eng->tick();
      } catch (const std::exception& e) {
        spdlog::error("kiosk link: tick failed: {}", e.what());
      }
      publish_pending();
      lk.lock();
      next_tick = next;
      if (last && tasks.empty()) return;
    }
  }

  // Worker: (re)creates the MQTT client with the engine's current subscriptions.
  void connect_client() {
    if (client) {
      client->stop();
      eng->on_disconnected();  // the old client's own notice is ignored as stale below
    }
    ++generation;
    mqtt::options o;
    o.uri = opts.mqtt_uri;
    o.client_id = opts.engine.device_id;
    o.username = opts.mqtt_username;
    o.password = opts.mqtt_password;
    o.ca_file = opts.mqtt_ca_file;
    o.clean_session = false;
    o.last_will = mqtt::will{topics::presence(opts.engine.device_id),
                             std::string(topics::presence_offline), 1, true};
    client = std::make_unique<mqtt::client>(o);
    ever_up = std::make_shared<std::atomic<bool>>(false);
    std::vector<mqtt::subscription> subs;
    for (auto& f : eng->subscriptions()) subs.push_back(mqtt::subscription{std::move(f), 1});
    client->subscribe_on_connect(std::move(subs));
    client->publish_on_connect({mqtt::message{topics::presence(opts.engine.device_id),
                                              std::string(topics::presence_online), 1, true}});
    const auto gen = generation;
    // Paho's thread: hand over and return.
    client->on_message([this, gen](mqtt::message m) {
      std::string topic = m.topic;  // kept for the warning: m is moved into the task
      if (!post(
              [this, gen, m = std::move(m)] {
                if (gen == generation) eng->on_message(m.topic, m.payload);
              },
              true)) {
        spdlog::warn("kiosk link: queue full or closed; dropped message on {}", topic);
      }
    });
    client->on_connection([this, gen, flag = ever_up](bool up, const std::string& reason) {
      if (up) flag->store(true);
      post(
          [this, gen, up, reason] {
            if (gen != generation) return;
            if (up) {
              spdlog::info("kiosk link: connected to {}", opts.mqtt_uri);
              eng->on_connected();
            } else {
              spdlog::warn("kiosk link: disconnected ({})", reason);
              eng->on_disconnected();
            }
          },
          false);
    });
    client->start(false);
  }

  bool publish_offline_once(const std::string& topic, const std::string& payload) {
    try {
      mqtt::options o;
      o.uri = opts.mqtt_uri;
      o.client_id = opts.engine.device_id;
      o.username = opts.mqtt_username;
      o.password = opts.mqtt_password;
      o.ca_file = opts.mqtt_ca_file;
      o.clean_session = false;  // keep the device's persistent session (QoS 1 answers while away)
      o.connect_timeout = opts.offline_timeout;
      mqtt::client c(o);
      if (!c.start(true)) return false;
      const bool ok = c.publish_and_wait(topic, payload, 1, true, opts.offline_timeout);
      c.stop();
      return ok;
    } catch (const std::exception& e) {
      spdlog::warn("kiosk link: cannot publish presence 'offline': {}", e.what());
      return false;
    }
  }

  // Worker: a verified credentials message. Stored in the identity file before it is acknowledged,
  // so the hub switches the broker's password only once the kiosk can use the new one.
  bool store_credentials(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("password") || !body["password"].is_string() ||
        !body.contains("generation") || !body["generation"].is_number_integer()) {
      spdlog::warn("kiosk link: ignoring malformed credentials");
      return false;
    }
    std::string err;
    auto id = provisioning::load_identity(opts.identity_file, &err);
    if (!id) {
      spdlog::error("kiosk link: cannot update credentials: {}", err);
      return false;
    }
    const auto gen = body["generation"].get<std::int64_t>();
    const auto& password = body["password"].get_ref<const std::string&>();
    if (body.value("username", id->broker.username) != id->broker.username) {
      spdlog::warn("kiosk link: ignoring credentials for another account");
      return false;
    }
    if (gen < id->credentials_generation || (gen == id->credentials_generation && password != id->broker.password)) {
      spdlog::warn("kiosk link: ignoring credentials of an older generation ({})", gen);
      return false;
    }
    if (gen > id->credentials_generation) {
      id->broker.password = password;
      id->credentials_generation = gen;
      if (auto e = provisioning::save_identity(opts.identity_file, *id); !e.empty()) {
        spdlog::error("kiosk link: cannot store new credentials: {}", e);
        return false;
      }
      spdlog::info("kiosk link: broker credentials generation {} stored", gen);
    }
    opts.mqtt_password = password;
    if (client) client->set_credentials(opts.mqtt_username, opts.mqtt_password);
    return true;
  }

  void handle_event(const link_event& ev) {
    if (const auto* b = std::get_if<events::business>(&ev)) {
      // New business topics to follow: added to the live session (and to every reconnect). The
      // retained catalog on them arrives at once.
      spdlog::info("kiosk link: following business '{}'", b->business_id);
      post(
          [this] {
            if (!started || !client) return;
            std::vector<mqtt::subscription> subs;
            for (auto& f : eng->subscriptions()) subs.push_back(mqtt::subscription{std::move(f), 1});
            client->subscribe(std::move(subs));
          },
          false);
    }
    if (on_event) on_event(ev);
  }

  void stop() {
    std::call_once(stop_once, [this] {
      post(
          [this] {
            if (client) {
              const auto presence = topics::presence(opts.engine.device_id);
              const std::string offline(topics::presence_offline);
              bool said_offline = false;
              if (client->connected()) {
                // A clean disconnect sends no Last Will: say "offline" ourselves, retained.
                said_offline =
                    client->publish_and_wait(presence, offline, 1, true, opts.offline_timeout);
              }
              client->stop();
              ++generation;
              client.reset();
              if (!said_offline && ever_up->load()) {
                // The client connected (and published "online") while we were stopping, or the
                // acknowledgement did not come: correct the retained presence with a short session.
                said_offline = publish_offline_once(presence, offline);
              }
              if (ever_up->load() && !said_offline)
                spdlog::warn("kiosk link: presence 'offline' not acknowledged");
            }
            eng->on_disconnected();
          },
          false);
      {
        std::lock_guard lk(mu);
        closing = true;
      }
      cv.notify_one();
      if (worker.joinable()) worker.join();
      idle_cv.notify_all();
    });
  }
};

link::link(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

link::~link() {
  if (impl_) impl_->stop();
}

outcome<std::unique_ptr<link>> link::open(link_options opts, event_fn on_event) {
  if (!mqtt::parse_uri(opts.mqtt_uri)) {
    throw std::invalid_argument("malformed broker URL '" + opts.mqtt_uri +
                                "' (want tcp://host:port or ssl://host:port)");
  }
  std::error_code ec;
  std::filesystem::create_directories(opts.data_dir, ec);
  if (ec)
    return fail(errc::storage_error,
                "cannot create " + opts.data_dir.string() + ": " + ec.message());
  auto db = store::open(opts.data_dir / "kiosk.db");
  if (!db) return db.error();
  auto p = std::make_unique<impl>();
  if (!opts.hub_key.empty()) {
    const auto key = provisioning::parse_public_key(opts.hub_key);
    if (!key) throw std::invalid_argument("hub key is not ed25519:<base64>");
    opts.engine.verify = [k = *key](std::string_view payload) -> std::string {
      const auto r = provisioning::verify_payload(payload, k);
      return r == provisioning::verify_error::ok ? std::string() : provisioning::to_string(r);
    };
    auto* raw_impl = p.get();
    opts.engine.on_credentials = [raw_impl](const nlohmann::json& body) { return raw_impl->store_credentials(body); };
  }
  p->opts = std::move(opts);
  p->on_event = std::move(on_event);
  p->db = std::move(db).value();
  auto* raw = p.get();
  p->eng = std::make_unique<engine>(
      *p->db, p->opts.engine,
      [raw](const std::string& topic, const std::string& payload) {
        return raw->client && raw->client->publish(topic, payload, 1, false);
      },
      [raw](const link_event& ev) { raw->handle_event(ev); });
  p->pending = p->eng->pending();
  p->worker = std::thread([raw] { raw->run(); });
  return std::unique_ptr<link>(new link(std::move(p)));
}

void link::start() {
  impl_->post(
      [p = impl_.get()] {
        if (p->started) return;
        p->started = true;
        p->connect_client();
      },
      false);
}

void link::stop() {
  impl_->stop();
}

std::shared_ptr<const catalog_view> link::catalog() {
  auto r = impl_->call([p = impl_.get()] { return p->eng->catalog(); });
  return r ? *r : nullptr;
}

outcome<std::string> link::submit(const cart& c, protocol::order_type type,
                                  protocol::payment_method payment,
                                  std::function<void(const std::string&)> on_queued) {
  auto order = c.to_submit(protocol::new_uuid(), type, payment);
  if (!order) return order.error();
  auto r = impl_->call([p = impl_.get(), o = std::move(order).value(), q = std::move(on_queued)] {
    return p->eng->submit(o, q);
  });
  if (!r) return fail(errc::stopped, "the kiosk link is stopped");
  return std::move(*r);
}

outcome<std::string> link::submit_order(protocol::order_submit order,
                                        std::function<void(const std::string&)> on_queued) {
  auto r = impl_->call([p = impl_.get(), o = std::move(order), q = std::move(on_queued)] {
    return p->eng->submit(o, q);
  });
  if (!r) return fail(errc::stopped, "the kiosk link is stopped");
  return std::move(*r);
}

outcome<protocol::order_quoted> link::quote(protocol::order_quote q) {
  auto r = impl_->call([p = impl_.get(), q = std::move(q)] { return p->eng->quote(q); });
  if (!r) return fail(errc::stopped, "the kiosk link is stopped");
  return std::move(*r);
}

outcome<bool> link::send_action(protocol::order_action a) {
  auto r = impl_->call([p = impl_.get(), a = std::move(a)] { return p->eng->send_action(a); });
  if (!r) return fail(errc::stopped, "the kiosk link is stopped");
  return std::move(*r);
}

outcome<bool> link::sync_orders(std::int64_t known_seq) {
  auto r = impl_->call([p = impl_.get(), known_seq] { return p->eng->sync_orders(known_seq); });
  if (!r) return fail(errc::stopped, "the kiosk link is stopped");
  return std::move(*r);
}

outcome<bool> link::send_feedback(protocol::feedback f) {
  auto r = impl_->call([p = impl_.get(), f = std::move(f)] { return p->eng->send_feedback(f); });
  if (!r) return fail(errc::stopped, "the kiosk link is stopped");
  return std::move(*r);
}

void link::report_status(protocol::printer_state printer, protocol::camera_state camera, std::string detail) {
  impl_->post([p = impl_.get(), printer, camera, d = std::move(detail)]() mutable {
    p->eng->report_status(printer, camera, std::move(d));
  }, true);
}

outcome<std::string> link::take_local_number() {
  auto r = impl_->call([p = impl_.get()] { return p->eng->take_local_number(); });
  if (!r) return fail(errc::stopped, "the kiosk link is stopped");
  return std::move(*r);
}

link_status link::status() {
  auto r = impl_->call([p = impl_.get()] { return p->eng->status(); });
  if (r) return std::move(*r);
  link_status s;
  s.device_id = impl_->opts.engine.device_id;
  std::lock_guard lk(impl_->idle_mu);
  s.outbox_pending = impl_->pending;
  return s;
}

std::size_t link::wait_idle(std::chrono::milliseconds timeout, const std::atomic<bool>* cancel) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lk(impl_->idle_mu);
  while (impl_->pending > 0) {
    if (cancel && cancel->load()) break;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    impl_->idle_cv.wait_for(lk, std::min<std::chrono::steady_clock::duration>(
                                    deadline - now, std::chrono::milliseconds{100}));
  }
  return impl_->pending;
}

}  // namespace kh::kiosk
