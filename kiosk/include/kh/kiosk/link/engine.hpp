#pragma once
// The link's logic without threads or sockets: catalog cache, durable outbox with backoff, answer
// matching and order tracking. It is fed connection changes, messages and ticks, and publishes
// through a function, so it runs the same against a real broker (kh::kiosk::link) and in tests.
// Not thread-safe: one thread drives it.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "kh/kiosk/link/backoff.hpp"
#include "kh/kiosk/core/catalog_view.hpp"
#include "kh/kiosk/core/error.hpp"
#include "kh/kiosk/link/events.hpp"
#include "kh/kiosk/link/store.hpp"
#include "kh/protocol/messages.hpp"

namespace kh::kiosk {

/// Firmware string sent in hello (default "kiosk <project version>").
std::string default_firmware();

struct engine_config {
  std::string device_id;
  /// Business whose catalog/orders topics to follow. Empty: use the one stored in the database, or
  /// learn it from the first catalog delivered on the device's own down/catalog topic. A non-empty
  /// value is persisted and wins over the stored one.
  std::string business_id;
  std::string firmware = default_firmware();
  protocol::device_mode mode = protocol::device_mode::shop;
  backoff_policy backoff;
  /// New orders are refused with outbox_full while this many wait for an answer (default: 1000).
  std::size_t max_pending = 1000;
  /// Tracking rows reported by status() (default: 20).
  std::size_t recent_orders = 20;
  /// Set for an enrolled kiosk (kh::provisioning): catalogs, device config and credentials are
  /// accepted only when this returns an empty string (the hub's signature verifies); otherwise the
  /// reason is logged, counted in status().rejected_unsigned and the message ignored, whatever its
  /// version. Unset (development, no identity): nothing is checked.
  std::function<std::string(std::string_view payload)> verify;
  /// Called with the body of a verified `credentials` message (new broker password); returns true
  /// once they are stored, and the engine acknowledges with up/credentials.ack.
  std::function<bool(const nlohmann::json& body)> on_credentials;
  /// Prefix of offline order numbers (take_local_number), 1–8 of [A-Z0-9] (default "K1"). The UI
  /// may set it from a flag such as `--local-prefix` (not added to main.cpp yet).
  std::string local_prefix = "K1";
  /// Feedback messages held while disconnected, oldest dropped beyond this (default: 50).
  std::size_t max_held_feedback = 50;
};

/// A snapshot for status displays.
struct link_status {
  bool connected = false;
  std::string device_id;
  std::string business_id;  ///< empty when not known yet
  std::optional<std::int64_t> catalog_version;
  std::size_t outbox_pending = 0;
  std::vector<outbox_entry> orders;  ///< most recent first
  std::size_t rejected_unsigned = 0;  ///< signed-only messages ignored because they did not verify
};

class engine {
 public:
  using clock = std::chrono::system_clock;
  /// Publishes QoS 1, not retained. Returns false when the message could not be queued.
  using publish_fn = std::function<bool(const std::string& topic, const std::string& payload)>;
  using event_fn = std::function<void(const link_event&)>;
  using now_fn = std::function<clock::time_point()>;
  /// Uniform in [0, 1); drives the backoff jitter.
  using random_fn = std::function<double()>;

  /// Loads business id, catalog and pending outbox entries from the store. Defaults: real clock,
  /// std::random_device-seeded jitter.
  engine(store& db, engine_config cfg, publish_fn publish, event_fn on_event, now_fn now = {},
         random_fn random = {});

  /// Topic filters to subscribe (QoS 1): own down/+, and the business' catalog and orders when the
  /// business is known.
  std::vector<std::string> subscriptions() const;

  /// After every (re)connect: sends hello and re-sends every pending order at once.
  void on_connected();
  void on_disconnected();
  /// One MQTT message. Anything malformed or not for us is logged and ignored. A catalog of our
  /// business (any version) also means the hub is up: pending orders are re-sent at once.
  void on_message(std::string_view topic, std::string_view payload);

  /// Writes the order to the outbox (committed) and then sends it when connected. `on_queued`, if
  /// set, runs after the commit and before the first send, so a front-end can show "queued" before
  /// any answer can arrive. Errors: outbox_full, storage_error, bad_command (not a UUID order id,
  /// or the encoded message over 64 KiB).
  outcome<std::string> submit(const protocol::order_submit& order,
                              const std::function<void(const std::string&)>& on_queued = {});

  /// Sends what is due. Returns when to call again; nullopt when nothing waits on time (no pending
  /// order, or disconnected: the next connect re-sends).
  std::optional<clock::time_point> tick();

  // ---- Kiosk shop (issue 9). Functions the UI calls (through kh::kiosk::link). ----

  /// Prices `q` now with the cached catalog (kh::protocol::quote_cart: the hub's own rules, minus
  /// hours, slots and discount codes, which only the hub knows) and returns that estimate; when
  /// connected also sends order.quote, and the hub's answer arrives as events::quoted with the
  /// same quote_id. Errors: bad_command (quote_id not a UUID, no lines), no_catalog.
  outcome<protocol::order_quoted> quote(const protocol::order_quote& q);

  /// Sends the customer's rating (QoS 1). While disconnected it is held in memory (at most
  /// max_held_feedback, not across a restart) and sent on the next connect; the hub keeps the
  /// first rating per order. Errors: bad_command (order id not a UUID, rating outside 1–5).
  outcome<bool> send_feedback(const protocol::feedback& f);

  /// Records the printer/camera state (`outbox` and `firmware` are filled in here) and sends
  /// device.status when it differs from the last one sent; it is also sent after every connect
  /// and whenever the outbox size changes.
  void report_status(protocol::printer_state printer, protocol::camera_state camera,
                     std::string detail = {});

  /// The next offline order number, "<local_prefix>-NNN" (001…999, then 001 again), counted per
  /// UTC day and kept in the kiosk database so a restart never reuses one. Put it in
  /// order_submit.local_number together with placed_at when the hub is unreachable.
  outcome<std::string> take_local_number();

  /// Counter mode: a staff action (order.action, QoS 1). Never held while offline (an action only
  /// means something now): errc::offline. The answer arrives as events::action_result with the
  /// same action_id. Errors: bad_command (action_id not a UUID), offline.
  outcome<bool> send_action(const protocol::order_action& a);
  /// Board and counter modes: orders.sync ("send me every open order"); the answer arrives as
  /// events::orders_snapshot. Errors: offline.
  outcome<bool> sync_orders(std::int64_t known_seq);

  bool connected() const noexcept { return connected_; }
  const std::string& business_id() const noexcept { return business_id_; }
  /// The current catalog, null when none is cached.
  std::shared_ptr<const catalog_view> catalog() const { return catalog_; }
  std::size_t pending() const noexcept { return pending_.size(); }
  link_status status();

 private:
  struct pending_entry {
    std::string order_id;
    std::string payload;
    int attempts = 0;
    clock::time_point next;
  };

  void send_due(clock::time_point now);
  void resend_all_now();
  void accept_catalog(protocol::catalog c, bool via_down);
  void answer(const std::string& order_id, events::order_answer ev, std::string_view answer_type,
              const std::string& body, std::string_view number, std::string_view state,
              outbox_status status);
  void emit(const link_event& ev);
  std::int64_t now_ms() const;
  void send_status_if_changed(bool force);
  void flush_feedback();

  store& db_;
  engine_config cfg_;
  publish_fn publish_;
  event_fn on_event_;
  now_fn now_;
  random_fn random_;
  bool connected_ = false;
  bool catalog_announced_ = false;
  std::size_t rejected_unsigned_ = 0;
  std::string business_id_;
  std::shared_ptr<const catalog_view> catalog_;
  std::map<std::int64_t, pending_entry> pending_;  // by seq: oldest first
  std::unordered_map<std::string, std::int64_t> seq_of_;
  std::optional<protocol::device_status> status_;     // last reported by the UI
  std::optional<protocol::device_status> status_sent_;
  std::vector<std::string> held_feedback_;  // encoded messages waiting for a connection
};

}  // namespace kh::kiosk
