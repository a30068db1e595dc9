// Paho MQTT C++ wrapper. Reconnection is driven by our own supervisor thread rather than Paho's
// automatic reconnect, because Paho only retries after a first successful connect, counts its
// backoff in whole seconds, and gives us no hook to run post-connect work (TCP_NODELAY,
// resubscribe, presence) before messages flow. The supervisor is the only place that waits on
// Paho tokens; Paho callbacks only flip flags and hand messages on.

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include "kh/mqtt/client.hpp"

namespace kh::mqtt {

struct client::impl {
  options opts;
  endpoint ep;
  std::string paho_uri;
  std::unique_ptr<::mqtt::async_client> cli;
  message_handler on_message;
  connection_handler on_connection;
  std::vector<subscription> subs;
  std::vector<message> on_connect_msgs;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  bool stopping = false;
  bool lost = false;  // connection lost, supervisor should reconnect
  std::atomic<bool> up{false};
  std::string last_error;
  std::thread supervisor;
  std::condition_variable first_cv;
  bool first_attempt_done = false;

  std::atomic<std::uint64_t> in{0}, out{0};

  void run();
  bool connect_once();
  bool stopped() const;
};

client::client(options opts) : impl_(std::make_unique<impl>()) {
  auto ep = parse_uri(opts.uri);
  if (!ep) throw std::invalid_argument("mqtt: malformed broker URI '" + opts.uri + "' (want tcp://host:port or ssl://host:port)");
  if (opts.client_id.empty()) throw std::invalid_argument("mqtt: empty client id");
  impl_->ep = *ep;
  impl_->paho_uri = (ep->tls ? "ssl://" : "tcp://") + ep->host + ":" + std::to_string(ep->port);
  impl_->opts = std::move(opts);
  ::mqtt::create_options co(MQTTVERSION_3_1_1, 10000);
  co.set_send_while_disconnected(true, true);
  co.set_delete_oldest_messages(false);
  impl_->cli = std::make_unique<::mqtt::async_client>(impl_->paho_uri, impl_->opts.client_id, co, nullptr);
}

client::~client() {
  stop();
}

void client::on_message(message_handler h) { impl_->on_message = std::move(h); }
void client::on_connection(connection_handler h) { impl_->on_connection = std::move(h); }
void client::subscribe_on_connect(std::vector<subscription> subs) {
  std::lock_guard lk(impl_->mu);
  impl_->subs = std::move(subs);
}

void client::subscribe(std::vector<subscription> subs) {
  auto& d = *impl_;
  std::vector<subscription> now;
  {
    std::lock_guard lk(d.mu);
    if (d.stopping) return;
    for (auto& s : subs) {
      const bool held = std::any_of(d.subs.begin(), d.subs.end(), [&](const subscription& h) { return h.filter == s.filter; });
      if (held) continue;
      d.subs.push_back(s);
      if (d.up) now.push_back(std::move(s));
    }
  }
  // Outside our lock: Paho's thread may be waiting for it in the connection-lost handler. If the
  // connection drops meanwhile, the next connect subscribes to everything in d.subs anyway.
  for (const auto& s : now) {
    try {
      d.cli->subscribe(s.filter, s.qos);
    } catch (const ::mqtt::exception& e) {
      spdlog::debug("mqtt {}: subscribe {} deferred to the next connect: {}", d.opts.client_id, s.filter, e.what());
    }
  }
}
void client::publish_on_connect(std::vector<message> msgs) { impl_->on_connect_msgs = std::move(msgs); }

bool client::start(bool wait) {
  auto& d = *impl_;
  {
    std::lock_guard lk(d.mu);
    if (d.started) return d.up.load();
    d.started = true;
  }
  d.cli->set_message_callback([&d](::mqtt::const_message_ptr m) {
    d.in.fetch_add(1, std::memory_order_relaxed);
    if (!d.on_message) return;
    try {
      // A payload over the cap is not copied out of Paho's buffer: the handler gets its size only.
      const auto& raw = m->get_payload_ref();
      const std::size_t size = raw.size();
      const bool over = d.opts.max_payload_bytes != 0 && size > d.opts.max_payload_bytes;
      d.on_message(message{m->get_topic(), over ? std::string() : std::string(raw.data(), raw.size()), m->get_qos(),
                           m->is_retained(), size});
    } catch (const std::exception& e) {
      spdlog::error("mqtt: message handler threw: {}", e.what());
    }
  });
  d.cli->set_connection_lost_handler([&d](const std::string& cause) {
    std::string reason = cause.empty() ? "connection lost" : cause;
    {
      std::lock_guard lk(d.mu);
      d.up = false;
      d.lost = true;
      d.last_error = reason;
    }
    d.cv.notify_all();
    if (d.on_connection) {
      try {
        d.on_connection(false, reason);
      } catch (...) {
      }
    }
  });
  d.supervisor = std::thread([&d] { d.run(); });
  if (!wait) return false;
  std::unique_lock lk(d.mu);
  d.first_cv.wait_for(lk, d.opts.connect_timeout + std::chrono::milliseconds(500),
                      [&] { return d.first_attempt_done || d.stopping; });
  return d.up.load();
}

bool client::impl::connect_once() {
  ::mqtt::connect_options co;
  co.set_clean_session(opts.clean_session);
  co.set_keep_alive_interval(opts.keep_alive);
  co.set_connect_timeout(std::chrono::duration_cast<std::chrono::seconds>(opts.connect_timeout).count() < 1
                             ? std::chrono::seconds(1)
                             : std::chrono::duration_cast<std::chrono::seconds>(opts.connect_timeout));
  co.set_max_inflight(opts.max_inflight);
  co.set_automatic_reconnect(false);
  {
    std::lock_guard lk(mu);
    if (!opts.username.empty()) {
      co.set_user_name(opts.username);
      co.set_password(opts.password);
    }
  }
  if (ep.tls) {
    ::mqtt::ssl_options ssl;
    if (!opts.ca_file.empty()) ssl.set_trust_store(opts.ca_file);
    ssl.set_enable_server_cert_auth(true);
    ssl.set_verify(true);  // the certificate must name the host we connect to
    co.set_ssl(std::move(ssl));
  }
  if (opts.last_will) {
    co.set_will(::mqtt::will_options(opts.last_will->topic, opts.last_will->payload,
                                     opts.last_will->qos, opts.last_will->retained));
  }
  try {
    auto tok = cli->connect(co);
    if (!tok->wait_for(opts.connect_timeout + std::chrono::milliseconds(500))) {
      std::lock_guard lk(mu);
      last_error = "connect timed out";
      return false;
    }
    // Nagle off before anything else flows on this socket (see nodelay.cpp).
    set_tcp_nodelay_to_peer(ep.host, ep.port);
    std::vector<subscription> initial;
    {
      std::lock_guard lk(mu);
      initial = subs;
    }
    std::vector<::mqtt::token_ptr> pending;
    for (const auto& s : initial) pending.push_back(cli->subscribe(s.filter, s.qos));
    for (const auto& m : on_connect_msgs) {
      pending.push_back(cli->publish(m.topic, m.payload.data(), m.payload.size(), m.qos, m.retained));
      out.fetch_add(1, std::memory_order_relaxed);
    }
    for (auto& t : pending) {
      // A subscription the broker refuses (an ACL, SUBACK 0x80) fails its token; that is not a
      // connection failure, so it is logged and the connection kept.
      try {
        t->wait_for(opts.connect_timeout);
      } catch (const ::mqtt::exception& e) {
        spdlog::warn("mqtt {}: the broker refused a subscription or publish: {}", opts.client_id, e.what());
      }
    }
    std::vector<subscription> added;  // by subscribe() while this connect was under way
    {
      std::lock_guard lk(mu);
      up = cli->is_connected();
      lost = !up;
      last_error.clear();
      if (up) added.assign(subs.begin() + static_cast<std::ptrdiff_t>(std::min(initial.size(), subs.size())), subs.end());
    }
    for (const auto& s : added) {
      try {
        cli->subscribe(s.filter, s.qos);
      } catch (const ::mqtt::exception&) {
        // Lost again already: the next connect subscribes to everything.
      }
    }
    return up.load();
  } catch (const ::mqtt::exception& e) {
    std::lock_guard lk(mu);
    last_error = e.what();
    return false;
  }
}

void client::impl::run() {
  auto backoff = opts.min_retry;
  bool first = true;
  for (;;) {
    {
      std::unique_lock lk(mu);
      if (stopping) break;
    }
    bool ok = connect_once();
    if (first) {
      std::lock_guard lk(mu);
      first_attempt_done = true;
      first = false;
      first_cv.notify_all();
    }
    if (ok) {
      backoff = opts.min_retry;
      if (on_connection) {
        try {
          on_connection(true, {});
        } catch (...) {
        }
      }
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return stopping || lost; });
      if (stopping) break;
      continue;
    }
    std::unique_lock lk(mu);
    spdlog::debug("mqtt {}: connect failed: {}", opts.client_id, last_error);
    cv.wait_for(lk, backoff, [&] { return stopping; });
    if (stopping) break;
    backoff = std::min(backoff * 2, opts.max_retry);
  }
}

void client::set_credentials(std::string username, std::string password) {
  std::lock_guard lk(impl_->mu);
  impl_->opts.username = std::move(username);
  impl_->opts.password = std::move(password);
}

void client::stop() {
  auto& d = *impl_;
  {
    std::lock_guard lk(d.mu);
    if (!d.started || d.stopping) {
      d.stopping = true;
      return;
    }
    d.stopping = true;
  }
  d.cv.notify_all();
  d.first_cv.notify_all();
  if (d.supervisor.joinable()) d.supervisor.join();
  try {
    if (d.cli->is_connected()) d.cli->disconnect(std::chrono::milliseconds(1000))->wait_for(std::chrono::seconds(2));
  } catch (const ::mqtt::exception&) {
  }
  d.up = false;
}

bool client::connected() const noexcept { return impl_->up.load(); }

std::string client::last_error() const {
  std::lock_guard lk(impl_->mu);
  return impl_->last_error;
}

bool client::impl::stopped() const {
  std::lock_guard lk(mu);
  return stopping;
}

bool client::publish(std::string topic, std::string payload, int qos, bool retained) {
  if (impl_->stopped()) return false;  // Paho would buffer it and never send it
  try {
    impl_->cli->publish(std::move(topic), payload.data(), payload.size(), qos, retained);
    impl_->out.fetch_add(1, std::memory_order_relaxed);
    return true;
  } catch (const ::mqtt::exception& e) {
    spdlog::debug("mqtt publish failed: {}", e.what());
    return false;
  }
}

bool client::publish_and_wait(std::string topic, std::string payload, int qos, bool retained,
                              std::chrono::milliseconds timeout) {
  if (impl_->stopped()) return false;
  try {
    auto tok = impl_->cli->publish(std::move(topic), payload.data(), payload.size(), qos, retained);
    impl_->out.fetch_add(1, std::memory_order_relaxed);
    return tok->wait_for(timeout) && tok->get_return_code() == 0;
  } catch (const ::mqtt::exception& e) {
    spdlog::debug("mqtt publish failed: {}", e.what());
    return false;
  }
}

std::uint64_t client::messages_in() const noexcept { return impl_->in.load(); }
std::uint64_t client::messages_out() const noexcept { return impl_->out.load(); }

}  // namespace kh::mqtt
