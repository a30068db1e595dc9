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
inline constexpr std::size_t max_option_groups = 16;  ///< per product
inline constexpr std::size_t max_group_options = 32;  ///< choices per option group
inline constexpr std::size_t max_availability_windows = 14;  ///< per product
inline constexpr std::size_t max_line_options = 32;   ///< choices picked on one order line
inline constexpr std::size_t max_table = 16;          ///< eat-in table number text
inline constexpr std::size_t max_address = 300;       ///< delivery address
inline constexpr std::size_t max_banner = 200;        ///< store profile promo banner
inline constexpr std::size_t max_area = 200;          ///< delivery area description
inline constexpr std::size_t max_time_zone = 64;      ///< IANA zone name
inline constexpr std::size_t max_languages = 8;
inline constexpr std::size_t max_comment = 500;        ///< feedback comment
inline constexpr std::size_t max_status_detail = 200;  ///< device.status detail text
inline constexpr std::size_t max_url = 512;            ///< tracking / image URLs
inline constexpr std::size_t max_hours_spans = 64;     ///< opening-hours rows in a profile
inline constexpr std::int64_t max_outbox_report = 1'000'000;
inline constexpr std::size_t max_ticket = 512;  ///< scanned ticket text in order.action
inline constexpr std::size_t max_reason = 200;  ///< cancel reason in order.action
/// orders.snapshot may exceed max_payload: receivers decode it with this cap (1 MiB).
inline constexpr std::size_t max_snapshot_payload = 1024 * 1024;
inline constexpr std::size_t max_snapshot_orders = 1000;  ///< open orders in one snapshot
}  // namespace limits

enum class order_type { eat_in, takeaway, pickup, delivery };
enum class payment_method { card_present, cash, wallet };
enum class device_mode { shop, counter, board };
enum class tax_mode { inclusive, exclusive };
/// What a kiosk reports about its receipt printer in `device.status`.
enum class printer_state { ok, paper_low, paper_out, cover_open, offline, absent };
/// What a kiosk reports about its camera in `device.status`.
enum class camera_state { ok, error, absent };
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
const char* to_string(tax_mode v) noexcept;
const char* to_string(printer_state v) noexcept;
const char* to_string(camera_state v) noexcept;
const char* to_string(staff_action v) noexcept;
const char* to_string(order_channel v) noexcept;
bool from_string(std::string_view s, order_type& out) noexcept;
bool from_string(std::string_view s, payment_method& out) noexcept;
bool from_string(std::string_view s, device_mode& out) noexcept;
bool from_string(std::string_view s, order_state& out) noexcept;
bool from_string(std::string_view s, tax_mode& out) noexcept;
bool from_string(std::string_view s, printer_state& out) noexcept;
bool from_string(std::string_view s, camera_state& out) noexcept;
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
inline constexpr const char* order_quote = "order.quote";    ///< device → hub
inline constexpr const char* order_quoted = "order.quoted";  ///< hub → device
inline constexpr const char* feedback = "feedback";          ///< device → hub
inline constexpr const char* device_status = "device.status";  ///< device → hub
inline constexpr const char* order_action = "order.action";                ///< counter → hub
inline constexpr const char* order_action_result = "order.action.result";  ///< hub → counter
inline constexpr const char* orders_sync = "orders.sync";                  ///< board/counter → hub
inline constexpr const char* orders_snapshot = "orders.snapshot";          ///< hub → board/counter
/// Every type above, for iteration (tests, routing tables).
inline constexpr std::array<const char*, 16> all = {
    hello,         catalog,      order_submit,  order_accepted, order_rejected,      order_status,
    error,         device_config, order_quote,  order_quoted,   feedback,            device_status,
    order_action,  order_action_result, orders_sync, orders_snapshot};
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

/// One choice of an option group, e.g. "Oat milk" (+0.40).
struct option_choice {
  std::string id;  ///< slug, unique within its group
  std::string name;
  money price_delta;       ///< added to the unit price per chosen unit (≥ 0)
  bool available = true;   ///< false: shown, not choosable (e.g. oat milk ran out)
  bool preselected = false;  ///< the UI starts with it chosen ("default" on the wire)

  friend bool operator==(const option_choice&, const option_choice&) = default;
};

/// A product's option group (modifier), e.g. size S/M/L (min 1, max 1) or extras (min 0, max 3).
/// Required means min_choices ≥ 1. A choice can be picked at most once per line.
struct option_group {
  std::string id;  ///< slug, unique within its product
  std::string name;
  int min_choices = 0;  ///< 0 … max_choices
  int max_choices = 1;  ///< 1 … number of options
  std::vector<option_choice> options;

  bool required() const noexcept { return min_choices > 0; }
  friend bool operator==(const option_group&, const option_group&) = default;
};

/// When a product can be ordered, in the store's local time (the profile's IANA zone): on the days
/// in `days` (bit 0 = Monday … bit 6 = Sunday) from `from_minute` (inclusive) to `until_minute`
/// (exclusive), minutes after local midnight. On the wire:
/// {"days":["mon","tue"],"from":"07:00","until":"11:00"}. Rules: kh/protocol/availability.hpp.
struct availability_window {
  unsigned days = 0;       ///< bit mask, 1…127 (at least one day)
  int from_minute = 0;     ///< 0–1439
  int until_minute = 0;    ///< from_minute+1 … 1440 ("24:00")

  friend bool operator==(const availability_window&, const availability_window&) = default;
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
  std::vector<option_group> option_groups;  ///< may be empty ("option_groups" left out)
  /// Empty: orderable whenever the store is open ("availability" left out). Otherwise only inside
  /// one of these windows (breakfast until 11:00).
  std::vector<availability_window> availability;

  friend bool operator==(const product&, const product&) = default;
};

/// An order type a store offers, with the settings that belong to that type.
struct order_type_offer {
  order_type type = order_type::takeaway;
  bool table_numbers = false;  ///< eat_in: the customer enters a table number
  int slot_minutes = 0;        ///< pickup: slot length in minutes (5–240)
  int lead_minutes = 0;        ///< pickup: the earliest slot starts at least this far ahead (0–1440)
  money fee;                   ///< delivery: fee the hub adds to the total
  money minimum;               ///< delivery: minimum subtotal (before discount)
  std::string area;            ///< delivery: where the store delivers, for humans (may be empty)

  friend bool operator==(const order_type_offer&, const order_type_offer&) = default;
};

/// Opening hours in the store's local time (its IANA time zone): open on `weekday`
/// (0 = Monday … 6 = Sunday) from `opens_minute` (inclusive) to `closes_minute` (exclusive),
/// minutes after local midnight. On the wire: {"day":"mon","opens":"07:30","closes":"19:00"}.
struct hours_span {
  int weekday = 0;
  int opens_minute = 0;    ///< 0–1439
  int closes_minute = 0;   ///< opens_minute+1 … 1440 ("24:00")

  friend bool operator==(const hours_span&, const hours_span&) = default;
};

/// What the store offers and when: part of the catalog, enforced by the hub at placement.
struct store_profile {
  std::string time_zone = "UTC";  ///< IANA name, e.g. "Europe/Paris" (DST applied by the hub)
  tax_mode tax = tax_mode::inclusive;
  std::int64_t tax_rate_bp = 0;  ///< basis points, 1000 = 10 %
  std::vector<order_type_offer> order_types;  ///< offered types, each at most once
  bool always_open = false;                   ///< true: opening_hours is ignored
  std::vector<hours_span> opening_hours;
  std::vector<std::string> languages;  ///< 2-letter codes, first = default, e.g. {"en","fr"}
  std::string banner;                  ///< promo text for the attract screen, may be empty
  std::vector<payment_method> payment_methods;  ///< offered methods, each at most once
  int age_amber_seconds = 300;  ///< counter: a card older than this turns amber (60–14400; default 300)
  int age_red_seconds = 600;    ///< … and red (age_amber_seconds–14400; default 600)

  /// The offer for `t`, or nullptr when the store does not offer it.
  const order_type_offer* offer(order_type t) const noexcept;
  bool accepts(payment_method m) const noexcept;
  friend bool operator==(const store_profile&, const store_profile&) = default;
};

/// hub → devices, retained on kh/v1/b/{business}/catalog.
struct catalog {
  std::string business_id;
  std::string business_name;
  std::string currency = "EUR";
  std::int64_t version = 0;  ///< increases on every change
  std::vector<category> categories;
  std::vector<product> products;
  /// The store profile; nullopt only from hubs before it existed (receivers then assume:
  /// takeaway, card and cash, always open, no banner).
  std::optional<store_profile> profile;

  /// The product with `id`, or nullptr.
  const product* find_product(std::string_view id) const noexcept;
  friend bool operator==(const catalog&, const catalog&) = default;
};

/// One choice picked on an order line: {"group":"size","option":"l"}.
struct line_option {
  std::string group_id;
  std::string option_id;

  friend bool operator==(const line_option&, const line_option&) = default;
};

struct order_line {
  std::string product_id;
  int qty = 1;
  std::string note;  ///< may be empty
  std::vector<line_option> options;  ///< may be empty ("options" left out)

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
  std::string table;             ///< eat_in table number, may be empty (≤ 16 characters)
  std::string pickup_at;         ///< pickup: RFC 3339 start of the chosen slot, may be empty
  std::string delivery_address;  ///< delivery: address text, may be empty (≤ 300 characters)
  /// Offline orders: the number the kiosk printed ("K1-007": 1–8 of [A-Z0-9], '-', 1–4 digits).
  /// The hub keeps it as the order's number. Empty for orders placed online.
  std::string local_number;
  /// Offline orders: RFC 3339 time the customer placed it (opening hours are checked then).
  std::string placed_at;

  friend bool operator==(const order_submit&, const order_submit&) = default;
};

/// True for a kiosk-local order number: 1–8 of [A-Z0-9], '-', 1–4 digits (e.g. "K1-007").
bool is_local_number(std::string_view s) noexcept;

/// device → hub: "what would this cart cost now?" Answered with order.quoted; nothing is stored.
struct order_quote {
  std::string quote_id;  ///< UUID made by the device; order.quoted echoes it
  order_type type = order_type::takeaway;
  std::vector<order_line> lines;  ///< 1–100, same rules as order.submit
  std::string discount_code;      ///< may be empty
  std::string pickup_at;          ///< pickup slot to check, may be empty

  friend bool operator==(const order_quote&, const order_quote&) = default;
};

/// A problem found while quoting: same shape as a rejection body, without order_id.
struct issue {
  protocol::code code = protocol::code::malformed;
  std::string message;
  nlohmann::json details = nlohmann::json::object();

  friend bool operator==(const issue&, const issue&) = default;
};

struct quoted_line {
  int line = 0;       ///< index into the quote's lines
  money unit_price;   ///< base price plus option deltas
  money line_total;   ///< unit_price × qty
  std::vector<issue> problems;  ///< empty when the line can be ordered as is

  friend bool operator==(const quoted_line&, const quoted_line&) = default;
};

/// hub → device: the hub's prices for a quote. `ok` is true when an order.submit with these lines
/// would be accepted now (no problem anywhere). Totals cover the lines without problems.
struct order_quoted {
  std::string quote_id;
  bool ok = true;
  money subtotal, discount, tax, delivery_fee, total;
  std::vector<quoted_line> lines;  ///< one per quoted line, in order
  std::vector<issue> problems;     ///< order-level: closed, order type off, bad discount, …

  friend bool operator==(const order_quoted&, const order_quoted&) = default;
};

/// device → hub: the customer's rating of an order. Stored once per order (the first one wins).
struct feedback {
  std::string order_id;
  int rating = 5;        ///< 1–5
  std::string comment;   ///< may be empty, ≤ 500 characters

  friend bool operator==(const feedback&, const feedback&) = default;
};

/// device → hub, whenever it changes and after every connect. The hub keeps the latest per device.
struct device_status {
  printer_state printer = printer_state::absent;
  camera_state camera = camera_state::absent;
  std::int64_t outbox = 0;  ///< orders waiting in the kiosk's outbox
  std::string firmware;     ///< 1–64 characters
  std::string detail;       ///< free text for staff, may be empty

  friend bool operator==(const device_status&, const device_status&) = default;
};

/// hub → device.
struct order_accepted {
  std::string order_id;
  std::string number;  ///< e.g. "A-042"
  order_state state = order_state::pending_payment;
  money subtotal, tax, discount, total;
  std::string eta;  ///< RFC 3339
  std::optional<money> delivery_fee;  ///< set for delivery orders (part of total)
  std::string tracking_url;  ///< "<public base>/o/<order_id>" when the hub has a public URL

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
