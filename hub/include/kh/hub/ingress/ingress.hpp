#pragma once
// MQTT ingress: turns one message from the broker (topic + payload) into store changes and
// replies. Transport-free so it is tested without a broker; the hub feeds it on its io thread
// and hands it a publish function.
//
// Routing: kh/v1/d/{device}/presence → devices.online/last_seen; kh/v1/d/{device}/up/{type}:
// `hello` → recorded and answered (`answer_hello`); `order.submit` → per-device rate limit, then
// placement, answer on down/order.accepted|order.rejected
// after commit, and order.status on kh/v1/b/{business}/orders for a new order; `order.quote` →
// down/order.quoted (nothing stored); `feedback` → stored once per order (unknown or another
// device's order: error unknown_order); `device.status` → latest per device + kh_device_* gauges. Anything too
// large, malformed, of an unknown version or type, or whose envelope type differs from the
// topic's type level → `error` on the sender's down/error with the machine code, logged once
// per device and code per minute, nothing changed. A retained message on an up/ topic is a stale
// copy the broker replays on every subscribe: ignored and counted. The topic's device id is the
// identity the hub can check over MQTT 3.1.1 (who may publish there is the broker's ACL).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <utility>

#include "kh/hub/metrics/metrics.hpp"
#include "kh/hub/orders/order_service.hpp"
#include "kh/hub/orders/staff_service.hpp"
#include "kh/hub/storage/store.hpp"

namespace kh::hub {

/// Metric names the hub exports (see `ingress::describe_metrics`).
namespace metric {
inline constexpr const char* orders_accepted = "kh_orders_accepted_total";
inline constexpr const char* orders_rejected = "kh_orders_rejected_total";  ///< label code
inline constexpr const char* orders_duplicate = "kh_orders_duplicate_total";
inline constexpr const char* orders_expired = "kh_orders_expired_total";
inline constexpr const char* messages_in = "kh_mqtt_messages_in_total";
inline constexpr const char* messages_out = "kh_mqtt_messages_out_total";
inline constexpr const char* device_errors = "kh_mqtt_errors_total";  ///< label code
inline constexpr const char* order_latency = "kh_order_latency_seconds";
inline constexpr const char* devices_connected = "kh_devices_connected";
inline constexpr const char* catalog_publishes = "kh_catalog_publishes_total";
inline constexpr const char* catalog_restores = "kh_catalog_restores_total";  ///< someone else overwrote a retained catalog
inline constexpr const char* mqtt_connected = "kh_mqtt_connected";
inline constexpr const char* wal_syncs = "kh_wal_syncs_total";
inline constexpr const char* wal_sync_seconds = "kh_wal_sync_seconds_total";
inline constexpr const char* quotes = "kh_quotes_total";  ///< label ok = "true" | "false"
inline constexpr const char* feedback = "kh_feedback_total";  ///< label rating
inline constexpr const char* feedback_repeats = "kh_feedback_repeats_total";
inline constexpr const char* stock_conflicts = "kh_orders_stock_conflict_total";
inline constexpr const char* device_printer = "kh_device_printer_state";  ///< labels device, state
inline constexpr const char* device_camera = "kh_device_camera_state";    ///< labels device, state
inline constexpr const char* device_outbox = "kh_device_outbox";          ///< label device
inline constexpr const char* retained_ignored = "kh_mqtt_retained_ignored_total";
inline constexpr const char* intake_refused = "kh_intake_refused_total";  ///< label reason
inline constexpr const char* intake_messages = "kh_intake_queue_messages";
inline constexpr const char* intake_bytes = "kh_intake_queue_bytes";
inline constexpr const char* log_suppressed = "kh_log_lines_suppressed_total";
inline constexpr const char* staff_actions = "kh_staff_actions_total";  ///< label result
inline constexpr const char* snapshots = "kh_order_snapshots_total";
}  // namespace metric

/// "Logged once": the first occurrence of a key is admitted, repeats within `window` are only
/// counted and reported with the next admitted one. Also limited globally: at most
/// `global_per_window` lines per window over all keys (default 100), so 10,000 made-up device ids
/// give 100 lines, not 10,000. Bounded: past `max_keys` (default 4096) keys, new keys share one
/// overflow key instead of clearing the table (which would re-admit every key).
class log_limiter {
 public:
  explicit log_limiter(std::chrono::steady_clock::duration window = std::chrono::minutes(1),
                       std::size_t global_per_window = 100, std::size_t max_keys = 4096)
      : window_(window), global_per_window_(global_per_window), max_keys_(max_keys) {}
  /// How many were suppressed since the key was last admitted (plus, on the first line after a
  /// global quiet spell, how many the global limit held back), or nullopt to stay quiet.
  std::optional<std::uint64_t> admit(const std::string& key, std::chrono::steady_clock::time_point now);
  /// Lines held back so far (per key and globally).
  std::uint64_t suppressed_total() const noexcept { return suppressed_total_; }

 private:
  struct entry {
    std::chrono::steady_clock::time_point since;
    std::uint64_t suppressed = 0;
  };
  std::chrono::steady_clock::duration window_;
  std::size_t global_per_window_;
  std::size_t max_keys_;
  std::unordered_map<std::string, entry> seen_;
  std::chrono::steady_clock::time_point global_since_{};
  std::size_t global_admitted_ = 0;
  std::uint64_t global_suppressed_ = 0;
  std::uint64_t suppressed_total_ = 0;
};

/// Placements per device: a token bucket (default: bursts of 30, then 2 per second). Process-local
/// (several hubs behind a shared subscription would each allow this much). Bounded: idle devices'
/// buckets are dropped when the table passes 16,384 entries.
class device_rate_limiter {
 public:
  /// `per_second` ≤ 0 disables the limit.
  explicit device_rate_limiter(double per_second = 2.0, double burst = 30.0) : rate_(per_second), burst_(burst) {}
  /// True when the device may place an order now (takes a token). Else `retry_after` is when the
  /// next token comes.
  bool admit(const std::string& device, std::chrono::steady_clock::time_point now,
             std::chrono::milliseconds& retry_after);
  bool enabled() const noexcept { return rate_ > 0; }
  /// Gives back the token `admit` took for an order the hub failed to place (`internal`:
  /// nothing stored): the device's resend of it is then charged once, not twice.
  void refund(const std::string& device);

 private:
  struct bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  double rate_;
  double burst_;
  std::unordered_map<std::string, bucket> buckets_;
};

struct ingress_options {
  double order_rate_per_second = 2.0;  ///< per device, sustained (default 2/s; ≤ 0: no limit)
  double order_burst = 30.0;           ///< per device, at once (default 30)
};

/// The envelope around a body that must go out byte for byte (stored idempotent answers).
std::string envelope_with_raw_body(std::string_view type, std::string_view body);

class ingress {
 public:
  /// Publishes one QoS 1 message; false when it could not be queued.
  using publish_fn = std::function<bool(const std::string& topic, std::string payload, bool retained)>;
  /// Told when a business' catalog (stock, availability) changed.
  using business_fn = std::function<void(const std::string& business_id)>;

  ingress(store& s, order_service& orders, metrics_registry& metrics, publish_fn publish, business_fn catalog_changed,
          ingress_options opts = {});
  ~ingress();

  /// Staff actions and snapshots (order.action, orders.sync), shared with the web dashboard.
  staff_service& staff() noexcept { return *staff_; }

  /// Told of every order event the hub publishes (after its commit, in seq order per business):
  /// the web's live stream fans it out. Set before messages flow.
  using event_fn = std::function<void(const std::string& business_id, const protocol::order_status& st)>;
  void on_order_event(event_fn f) { on_event_ = std::move(f); }

  /// Publishes an order event: on kh/v1/b/{business}/orders, on the ordering device's
  /// down/order.status (unless empty or the phone shop's web- device), and to `on_order_event`.
  /// Every order.status the hub sends goes through here.
  void publish_status(const std::string& business_id, const std::string& device_id, const protocol::order_status& st);
  /// The same with the event's body already serialised (`placement::status_body`, the bytes
  /// stored in order_events): published as is, not serialised again.
  void publish_status(const std::string& business_id, const std::string& device_id, const protocol::order_status& st,
                      std::string_view body);

  /// Declares the hub's metric families with help texts (once per registry).
  static void describe_metrics(metrics_registry& m);

  /// Handles one message from the broker. `received` is when it arrived (for the latency
  /// histogram); `wire_size`, when larger than the payload, is the size of a payload that was
  /// too large to be copied (answered `too_large`). Never throws.
  void handle(const std::string& topic, const std::string& payload,
              std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now(),
              bool retained = false, std::size_t wire_size = 0);

  /// For a message the hub could not take in (intake queue full): the retryable `busy` answer
  /// (topic, payload) — `order.rejected` when it is an order.submit with a readable order_id, else
  /// `error` — or nothing when the topic names no device. Pure (any thread); `bytes` is the size
  /// of the payload, which may have been left uncopied when it was over the size limit.
  static std::optional<std::pair<std::string, std::string>> busy_answer(const std::string& topic,
                                                                         const std::string& payload,
                                                                         std::size_t bytes);

  /// One message as handed over by the broker.
  struct incoming {
    std::string topic;
    std::string payload;
    std::chrono::steady_clock::time_point received;
    bool retained = false;
    std::size_t wire_size = 0;  ///< see handle()
  };

  /// Handles several messages as `handle` would, one after the other, except that every valid
  /// order.submit among them is placed with one group commit (`order_service::place_batch`):
  /// their answers are published after that single commit, in arrival order. The presence and
  /// hello messages among them are stored with one commit of their own, before the orders.
  /// Never throws.
  void handle_batch(const std::vector<incoming>& batch);
  /// Handler for device message types the ingress itself does not know (e.g. credentials.ack of
  /// the fleet room); returns true when it handled the type. Set before messages flow.
  using extra_fn = std::function<bool(const std::string& device, const std::string& type, const nlohmann::json& body)>;
  void on_other_type(extra_fn f) { extra_ = std::move(f); }

  /// Recounts online devices into kh_devices_connected.
  void update_devices_gauge();

  /// Loads every stored device.status into the kh_device_* gauges (at start).
  void restore_device_metrics();

  /// Base that makes the catalog's image paths absolute in catalogs sent from here (the hello
  /// answer), the same as the hub's retained catalog (default empty: paths left as stored).
  void set_image_base(std::string base) { image_base_ = std::move(base); }

  /// Sends an `error`-shaped body (also used for order.rejected of undecodable orders).
  void send_error(const std::string& device, const std::string& order_id, const protocol::problem& p,
                  const char* type);

 private:
  void on_presence(const std::string& device, const std::string& payload);
  void on_hello(const std::string& device, const nlohmann::json& body);
  void on_order_action(const std::string& device, const nlohmann::json& body);
  void on_orders_sync(const std::string& device, const nlohmann::json& body);
  /// Checks and routes one message; a decoded order.submit is returned for placement instead.
  std::optional<order_submission> admit(const std::string& topic, const std::string& payload, bool retained,
                                        std::size_t wire_size);
  std::optional<order_submission> decode_submit(const std::string& device, const nlohmann::json& body);
  /// Publishes the answer (and the board's order.status) of a placed order; counts it.
  void answered(const order_submission& s, const placement& p, std::chrono::steady_clock::time_point received);
  void publish_answer(const order_submission& s, const placement& p, std::chrono::steady_clock::time_point received);

  void devices_changed();
  /// What a device is told in answer to its hello: its business' current catalog on its own
  /// down/catalog (so a kiosk started without --business learns it) and a device.config. The
  /// provisioning work (issue 8) extends this (signatures, broker credentials).
  void answer_hello(const device_record& d);
  // Kiosk shop messages (shop_messages.cpp).
  void on_quote(const std::string& device, const nlohmann::json& body);
  void on_feedback(const std::string& device, const nlohmann::json& body);
  void on_device_status(const std::string& device, const nlohmann::json& body);
  void set_device_gauges(const std::string& device, const protocol::device_status& st);

  std::string image_base_;
  store& store_;
  order_service& orders_;
  bool batching_ = false;     // inside handle_batch: the gauge is updated once at its end
  bool gauge_dirty_ = false;
  metrics_registry& metrics_;
  publish_fn publish_;
  business_fn catalog_changed_;
  extra_fn extra_;
  ingress_options opts_;
  log_limiter limiter_;
  device_rate_limiter rate_;
  std::unique_ptr<staff_service> staff_;
  event_fn on_event_;
};

}  // namespace kh::hub
