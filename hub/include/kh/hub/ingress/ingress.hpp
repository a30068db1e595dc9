#pragma once
// MQTT ingress: turns one message from the broker (topic + payload) into store changes and
// replies. Transport-free so it is tested without a broker; the hub feeds it on its io thread
// and hands it a publish function.
//
// Routing: kh/v1/d/{device}/presence → devices.online/last_seen; kh/v1/d/{device}/up/{type}:
// `hello` → recorded; `order.submit` → placement, answer on down/order.accepted|order.rejected
// after commit, and order.status on kh/v1/b/{business}/orders for a new order. Anything too
// large, malformed, of an unknown version or type, or whose envelope type differs from the
// topic's type level → `error` on the sender's down/error with the machine code, logged once
// per device and code per minute, nothing changed. The topic's device id is the identity.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kh/hub/metrics/metrics.hpp"
#include "kh/hub/orders/order_service.hpp"
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
inline constexpr const char* messages_dropped = "kh_mqtt_messages_dropped_total";  ///< intake queue full
inline constexpr const char* device_errors = "kh_mqtt_errors_total";  ///< label code
inline constexpr const char* order_latency = "kh_order_latency_seconds";
inline constexpr const char* devices_connected = "kh_devices_connected";
inline constexpr const char* catalog_publishes = "kh_catalog_publishes_total";
inline constexpr const char* mqtt_connected = "kh_mqtt_connected";
inline constexpr const char* wal_syncs = "kh_wal_syncs_total";
inline constexpr const char* wal_sync_seconds = "kh_wal_sync_seconds_total";
}  // namespace metric

/// "Logged once": the first occurrence of a key is admitted, repeats within `window` are only
/// counted and reported with the next admitted one. Bounded (cleared past 4096 keys), so a flood
/// of forged device ids cannot grow memory.
class log_limiter {
 public:
  explicit log_limiter(std::chrono::steady_clock::duration window = std::chrono::minutes(1)) : window_(window) {}
  /// How many were suppressed since the key was last admitted, or nullopt to stay quiet.
  std::optional<std::uint64_t> admit(const std::string& key, std::chrono::steady_clock::time_point now);

 private:
  struct entry {
    std::chrono::steady_clock::time_point since;
    std::uint64_t suppressed = 0;
  };
  std::chrono::steady_clock::duration window_;
  std::unordered_map<std::string, entry> seen_;
};

/// The envelope around a body that must go out byte for byte (stored idempotent answers).
std::string envelope_with_raw_body(std::string_view type, std::string_view body);

class ingress {
 public:
  /// Publishes one QoS 1 message; false when it could not be queued.
  using publish_fn = std::function<bool(const std::string& topic, std::string payload, bool retained)>;
  /// Told when a business' catalog (stock, availability) changed.
  using business_fn = std::function<void(const std::string& business_id)>;

  ingress(store& s, order_service& orders, metrics_registry& metrics, publish_fn publish, business_fn catalog_changed);

  /// Declares the hub's metric families with help texts (once per registry).
  static void describe_metrics(metrics_registry& m);

  /// Handles one message from the broker. `received` is when it arrived (for the latency
  /// histogram). Never throws.
  void handle(const std::string& topic, const std::string& payload,
              std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now());

  /// One message as handed over by the broker.
  struct incoming {
    std::string topic;
    std::string payload;
    std::chrono::steady_clock::time_point received;
  };

  /// Handles several messages as `handle` would, one after the other, except that every valid
  /// order.submit among them is placed with one group commit (`order_service::place_batch`):
  /// their answers are published after that single commit, in arrival order. The presence and
  /// hello messages among them are stored with one commit of their own, before the orders.
  /// Never throws.
  void handle_batch(const std::vector<incoming>& batch);

  /// Recounts online devices into kh_devices_connected.
  void update_devices_gauge();

  /// Sends an `error`-shaped body (also used for order.rejected of undecodable orders).
  void send_error(const std::string& device, const std::string& order_id, const protocol::problem& p,
                  const char* type);

 private:
  void on_presence(const std::string& device, const std::string& payload);
  void on_hello(const std::string& device, const nlohmann::json& body);
  /// Checks and routes one message; a decoded order.submit is returned for placement instead.
  std::optional<order_submission> admit(const std::string& topic, const std::string& payload);
  std::optional<order_submission> decode_submit(const std::string& device, const nlohmann::json& body);
  /// Publishes the answer (and the board's order.status) of a placed order; counts it.
  void answered(const order_submission& s, const placement& p, std::chrono::steady_clock::time_point received);
  void publish_answer(const order_submission& s, const placement& p, std::chrono::steady_clock::time_point received);

  void devices_changed();

  store& store_;
  order_service& orders_;
  bool batching_ = false;     // inside handle_batch: the gauge is updated once at its end
  bool gauge_dirty_ = false;
  metrics_registry& metrics_;
  publish_fn publish_;
  business_fn catalog_changed_;
  log_limiter limiter_;
};

}  // namespace kh::hub
