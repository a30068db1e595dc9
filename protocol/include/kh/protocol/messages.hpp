#pragma once
// Message bodies of protocol v1. Every type here has a strict decoder and an encoder in codec.hpp.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kh/protocol/money.hpp"
#include "kh/protocol/result.hpp"

namespace kh::protocol {

/// Limits enforced by the decoders (and relied on by every consumer).
namespace limits {
inline constexpr std::size_t max_payload = 64 * 1024;  ///< bytes of one MQTT payload
inline constexpr std::size_t max_lines = 100;          ///< lines per order
inline constexpr int min_qty = 1;
inline constexpr int max_qty = 99;
inline constexpr std::size_t max_note = 140;  ///< characters (UTF-8 code points)
inline constexpr std::size_t max_name = 80;
inline constexpr std::size_t max_phone = 32;
inline constexpr std::size_t max_email = 254;
inline constexpr std::size_t max_discount_code = 32;
inline constexpr std::size_t max_firmware = 64;
inline constexpr std::size_t max_message = 500;
inline constexpr std::size_t max_number = 32;  ///< order number, e.g. "A-042"
inline constexpr std::size_t max_depth = 32;   ///< JSON nesting of one payload
inline constexpr std::size_t max_ticket = 512;  ///< scanned ticket text in order.action
inline constexpr std::size_t max_reason = 200;  ///< cancel reason in order.action
/// orders.snapshot may exceed max_payload: receivers decode it with this cap (1 MiB).
inline constexpr std::size_t max_snapshot_payload = 1024 * 1024;
inline constexpr std::size_t max_snapshot_orders = 1000;  ///< open orders in one snapshot
}  // namespace limits

enum class order_type { eat_in, takeaway, pickup, delivery };
enum class payment_method { card_present, cash, wallet };
enum class device_mode { shop, counter, board };
/// What staff did at a counter (order.action "action").
enum class staff_action { preparing, ready, out_for_delivery, delivered, collect, take_cash, cancel };
/// Where an order was placed.
enum class order_channel { kiosk, phone };
enum class order_state {
  pending_payment,
  paid,
  preparing,
  ready,
  collected,
  out_for_delivery,
  delivered,
  cancelled,
  refunded,
};

const char* to_string(order_type v) noexcept;
const char* to_string(payment_method v) noexcept;
const char* to_string(device_mode v) noexcept;
const char* to_string(order_state v) noexcept;
const char* to_string(staff_action v) noexcept;
const char* to_string(order_channel v) noexcept;
bool from_string(std::string_view s, order_type& out) noexcept;
bool from_string(std::string_view s, payment_method& out) noexcept;
bool from_string(std::string_view s, device_mode& out) noexcept;
bool from_string(std::string_view s, order_state& out) noexcept;
bool from_string(std::string_view s, staff_action& out) noexcept;
bool from_string(std::string_view s, order_channel& out) noexcept;

/// Message type words (the {type} topic level and the envelope "type").
namespace types {
inline constexpr const char* hello = "hello";
inline constexpr const char* catalog = "catalog";
inline constexpr const char* order_submit = "order.submit";
inline constexpr const char* order_accepted = "order.accepted";
inline constexpr const char* order_rejected = "order.rejected";
inline constexpr const char* order_status = "order.status";
inline constexpr const char* error = "error";
inline constexpr const char* device_config = "device.config";
inline constexpr const char* order_action = "order.action";                ///< counter → hub
inline constexpr const char* order_action_result = "order.action.result";  ///< hub → counter
inline constexpr const char* orders_sync = "orders.sync";                  ///< board/counter → hub
inline constexpr const char* orders_snapshot = "orders.snapshot";          ///< hub → board/counter
/// Every type above, for iteration (tests, routing tables).
inline constexpr std::array<const char*, 12> all = {
    hello,         catalog,      order_submit,        order_accepted, order_rejected,  order_status,
    error,         device_config, order_action,       order_action_result, orders_sync, orders_snapshot};
}  // namespace types

/// True for one of `types::all`.
bool is_known_type(std::string_view type) noexcept;

/// The shape every type word must have (envelope "type" and the last topic level): 1–64 characters
/// of [a-z0-9._-], not starting or ending with '.'. Says nothing about whether the type is known.
bool is_type_word(std::string_view s) noexcept;

/// device → hub, after every connect.
struct hello {
  std::string firmware;  ///< e.g. "kiosk 0.1.0"
  device_mode mode = device_mode::shop;
  std::optional<std::int64_t> catalog_version;  ///< version of the cached catalog, if any

  friend bool operator==(const hello&, const hello&) = default;
};

/// hub → device on its own down/device.config, in answer to every hello: who the hub takes the
/// device to be. The provisioning issue extends it (optional fields only).
struct device_config {
  std::string device_id;
  std::string business_id;
  device_mode mode = device_mode::shop;  ///< the mode the hub has on record

  friend bool operator==(const device_config&, const device_config&) = default;
};

struct category {
  std::string id;
  std::string name;
  int position = 0;

  friend bool operator==(const category&, const category&) = default;
};

struct product {
  std::string id;
  std::string sku;
  std::string category_id;
  std::string name;
  std::string description;
  money price;
  std::string image_url;              ///< may be empty
  bool available = true;              ///< active and (untracked or stock > 0)
  std::optional<std::int64_t> stock;  ///< units on hand; nullopt when not tracked

  friend bool operator==(const product&, const product&) = default;
};

/// hub → devices, retained on kh/v1/b/{business}/catalog.
struct catalog {
  std::string business_id;
  std::string business_name;
  std::string currency = "EUR";
  std::int64_t version = 0;  ///< increases on every change
  std::vector<category> categories;
  std::vector<product> products;

  friend bool operator==(const catalog&, const catalog&) = default;
};

struct order_line {
  std::string product_id;
  int qty = 1;
  std::string note;  ///< may be empty

  friend bool operator==(const order_line&, const order_line&) = default;
};

struct customer {
  std::string name;
  std::string phone;
  std::string email;

  friend bool operator==(const customer&, const customer&) = default;
};

/// device → hub. order_id is the idempotency key. Totals from the client are ignored.
struct order_submit {
  std::string order_id;
  order_type type = order_type::takeaway;
  std::vector<order_line> lines;
  payment_method payment = payment_method::card_present;
  customer cust;
  std::string discount_code;  ///< may be empty

  friend bool operator==(const order_submit&, const order_submit&) = default;
};

/// hub → device.
struct order_accepted {
  std::string order_id;
  std::string number;  ///< e.g. "A-042"
  order_state state = order_state::pending_payment;
  money subtotal, tax, discount, total;
  std::string eta;  ///< RFC 3339

  friend bool operator==(const order_accepted&, const order_accepted&) = default;
};

/// hub → device (order.rejected) and hub → device (error): same body shape.
struct rejection {
  std::string order_id;  ///< empty when not known
  protocol::code code = protocol::code::malformed;
  std::string message;
  nlohmann::json details = nlohmann::json::object();

  friend bool operator==(const rejection&, const rejection&) = default;
};

/// A choice on an ordered line, with its name as ordered ({"group","option","name"}).
struct ordered_option {
  std::string group;
  std::string option;
  std::string name;

  friend bool operator==(const ordered_option&, const ordered_option&) = default;
};

/// A line of an open order as screens show it.
struct open_order_line {
  std::string product_id;
  std::string name;  ///< product name as ordered
  int qty = 1;
  std::string note;  ///< may be empty ("note" left out)
  std::vector<ordered_option> options;  ///< may be empty ("options" left out)

  friend bool operator==(const open_order_line&, const open_order_line&) = default;
};

/// An order as boards, counters and the dashboard show it (orders.snapshot, order.status "order").
struct open_order {
  std::string order_id;
  std::string number;
  order_state state = order_state::pending_payment;
  order_type type = order_type::takeaway;
  order_channel channel = order_channel::kiosk;
  payment_method payment = payment_method::card_present;
  std::vector<open_order_line> lines;
  std::string customer_name;  ///< may be empty
  std::string table;          ///< may be empty
  std::string created_at;     ///< RFC 3339
  std::string paid_at;        ///< RFC 3339, empty while unpaid
  std::string eta;            ///< RFC 3339, may be empty
  money subtotal, discount, tax, total;
  std::string ticket;  ///< the ticket QR payload (the order id)

  friend bool operator==(const open_order&, const open_order&) = default;
};

/// hub → business orders topic (and to the ordering device).
struct order_status {
  std::string order_id;
  std::string number;
  order_state state = order_state::pending_payment;
  std::string eta;  ///< RFC 3339, may be empty when not applicable
  /// Per-business sequence number (1, 2, …); nullopt only from hubs before it existed.
  std::optional<std::int64_t> seq;
  std::optional<order_state> previous;  ///< the state before; nullopt for a new order
  std::string at;  ///< RFC 3339 of the change, may be empty
  std::string by;  ///< "device:<id>", "web:<user>", "system:expiry", …; may be empty
  std::optional<open_order> order;  ///< the whole order, for screens

  friend bool operator==(const order_status&, const order_status&) = default;
};

}  // namespace kh::protocol
