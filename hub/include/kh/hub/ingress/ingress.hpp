#pragma once
// MQTT ingress: turns one message from the broker (topic + payload) into store changes and
// replies. Transport-free so it is tested without a broker; the hub feeds it on its io thread
// and hands it a publish function.
//
// Routing: kh/v1/d/{device}/presence → devices.online/last_seen; kh/v1/d/{device}/up/{type}:
// `hello` → recorded; `order.submit` → placement, answer on down/order.accepted|order.rejected
// after commit, and order.status on kh/v1/b/{business}/orders for a new order; `order.quote` →
// down/order.quoted (nothing stored); `feedback` → stored once per order (unknown or another
// device's order: error unknown_order); `device.status` → latest per device + kh_device_* gauges. Anything too
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
inline constexpr const char* quotes = "kh_quotes_total";  ///< label ok = "true" | "false"
inline constexpr const char* feedback = "kh_feedback_total";  ///< label rating
inline constexpr const char* feedback_repeats = "kh_feedback_repeats_total";
inline constexpr const char* stock_conflicts = "kh_orders_stock_conflict_total";
inline constexpr const char* device_printer = "kh_device_printer_state";  ///< labels device, state
inline constexpr const char* device_camera = "kh_device_camera_state";    ///< labels device, state
inline constexpr const char* device_outbox = "kh_device_outbox";          ///< label device
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

  /// Recounts online devices into kh_devices_connected.
  void update_devices_gauge();

  /// Loads every stored device.status into the kh_device_* gauges (at start).
  void restore_device_metrics();

  /// Sends an `error`-shaped body (also used for order.rejected of undecodable orders).
  void send_error(const std::string& device, const std::string& order_id, const protocol::problem& p,
                  const char* type);

 private:
  void on_presence(const std::string& device, const std::string& payload);
  void on_hello(const std::string& device, const nlohmann::json& body);
  void on_submit(const std::string& device, const nlohmann::json& body, std::chrono::steady_clock::time_point received);
  // Kiosk shop messages (shop_messages.cpp).
  void on_quote(const std::string& device, const nlohmann::json& body);
  void on_feedback(const std::string& device, const nlohmann::json& body);
  void on_device_status(const std::string& device, const nlohmann::json& body);
  void set_device_gauges(const std::string& device, const protocol::device_status& st);

  store& store_;
  order_service& orders_;
  metrics_registry& metrics_;
  publish_fn publish_;
  business_fn catalog_changed_;
  log_limiter limiter_;
};

}  // namespace kh::hub
