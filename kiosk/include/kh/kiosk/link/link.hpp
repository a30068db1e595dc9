#pragma once
// The kiosk's hub link: kh::kiosk::engine driven by its own worker thread, connected to the broker
// through kh::mqtt::client (persistent session keyed by the device id, retained presence "online"
// on every connect, Last Will "offline"). Paho's callbacks only post onto the worker's bounded
// queue; every SQLite access happens on the worker.
//
// Front-ends (headless CLI today, SDL2 UI later) call the methods below from their own thread.
// Events arrive on the worker thread: a handler must not call back into the link's blocking
// methods.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "kh/kiosk/core/cart.hpp"
#include "kh/kiosk/link/engine.hpp"
#include "kh/kiosk/core/error.hpp"
#include "kh/kiosk/link/events.hpp"

namespace kh::kiosk {

struct link_options {
  engine_config engine;
  /// Data directory; holds kiosk.db. Created when missing.
  std::filesystem::path data_dir;
  std::string mqtt_uri;       ///< "tcp://127.0.0.1:1883" or "mqtt://…"
  std::string mqtt_username;  ///< empty: none
  std::string mqtt_password;
  std::string mqtt_ca_file;   ///< CA (PEM file) for an ssl:// broker
  /// "ed25519:…" from the identity file: when set, catalogs, config and credentials must carry the
  /// hub's signature (engine_config::verify), and credentials rotations are stored in
  /// `identity_file`.
  std::string hub_key;
  std::filesystem::path identity_file;
  /// Longest wait for the broker's acknowledgement of presence "offline" on stop (default: 2 s).
  std::chrono::milliseconds offline_timeout{2000};
};

class link {
 public:
  using event_fn = std::function<void(const link_event&)>;

  /// Opens DIR/kiosk.db and loads the cache and outbox; starts the worker but not the connection.
  /// storage_error when the directory or database cannot be opened. Throws std::invalid_argument
  /// for a device/business id that is not a valid slug or a malformed broker URL (configuration
  /// errors).
  static outcome<std::unique_ptr<link>> open(link_options opts, event_fn on_event);
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  /// Starts connecting in the background (returns at once; reconnects forever). Idempotent.
  void start();
  /// Publishes presence "offline" (a clean disconnect sends no Last Will), disconnects, handles
  /// what is already queued, stops the worker. Idempotent; also done by the destructor.
  void stop();

  /// Snapshot of the cached catalog; null when none yet (or after stop).
  std::shared_ptr<const catalog_view> catalog();
  /// Builds an order.submit from the cart with a fresh UUID and hands it to the outbox (see
  /// engine::submit, including `on_queued`). Returns the order id. Errors: empty_order,
  /// outbox_full, storage_error, stopped.
  outcome<std::string> submit(const cart& c, protocol::order_type type,
                              protocol::payment_method payment,
                              std::function<void(const std::string&)> on_queued = {});
  /// Current status; after stop, connected=false and the rest as last known.
  link_status status();

  // ---- Kiosk shop (issue 9): what the SDL2 UI calls. Each runs on the link's worker and
  // returns when done there; answers from the hub come as events on the worker thread. ----

  /// Hands a complete order.submit (options, table, pickup slot, offline local_number, …) to the
  /// outbox; as `submit` otherwise. The UI builds it from its cart (order_id: protocol::new_uuid).
  outcome<std::string> submit_order(protocol::order_submit order,
                                    std::function<void(const std::string&)> on_queued = {});
  /// Offline estimate now (engine::quote), and the hub's order.quoted later as events::quoted.
  outcome<protocol::order_quoted> quote(protocol::order_quote q);
  /// Counter: a staff action (engine::send_action).
  outcome<bool> send_action(protocol::order_action a);
  /// Board/counter: ask for the business' open orders (engine::sync_orders).
  outcome<bool> sync_orders(std::int64_t known_seq);
  /// The customer's 1–5 rating of an order (engine::send_feedback).
  outcome<bool> send_feedback(protocol::feedback f);
  /// Printer/camera state for device.status (engine::report_status). Cheap; call on every change.
  void report_status(protocol::printer_state printer, protocol::camera_state camera,
                     std::string detail = {});
  /// Next offline number, e.g. "K1-007" (engine::take_local_number).
  outcome<std::string> take_local_number();
  /// Blocks until no order is pending, `timeout` passes or `cancel` becomes true (checked every
  /// 100 ms). Returns the pending count at return.
  std::size_t wait_idle(std::chrono::milliseconds timeout,
                        const std::atomic<bool>* cancel = nullptr);

 private:
  struct impl;
  explicit link(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace kh::kiosk
