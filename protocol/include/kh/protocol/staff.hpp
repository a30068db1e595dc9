#pragma once
// Staff actions from counter devices, and the snapshot boards and counters ask for
// (docs/protocol.md, "Staff actions, order snapshot and sequence"). Codecs are strict like every
// other body's (codec.cpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::protocol {

/// counter → hub on up/order.action. `action_id` is the idempotency key.
struct order_action {
  std::string action_id;
  staff_action action = staff_action::ready;
  std::string order_id;  ///< may be empty only for collect with a ticket
  std::string ticket;    ///< collect: the scanned QR text as read
  std::optional<money> tendered;  ///< take_cash
  std::string reason;             ///< cancel (required there)
  bool restock = false;           ///< cancel of a paid order: put the units back

  friend bool operator==(const order_action&, const order_action&) = default;
};

/// hub → counter on down/order.action.result.
struct order_action_result {
  std::string action_id;
  bool ok = false;
  std::string order_id;  ///< empty when the order is not known
  std::string number;
  std::optional<order_state> state;  ///< the state now
  std::optional<std::int64_t> seq;   ///< set when ok
  std::optional<money> change;       ///< take_cash
  protocol::code code = protocol::code::internal;  ///< when not ok
  std::string message;                            ///< when not ok
  nlohmann::json details = nlohmann::json::object();

  friend bool operator==(const order_action_result&, const order_action_result&) = default;
};

/// board/counter → hub on up/orders.sync.
struct orders_sync {
  std::optional<std::int64_t> known_seq;

  friend bool operator==(const orders_sync&, const orders_sync&) = default;
};

/// hub → board/counter on down/orders.snapshot: every open order, with the seq it reflects.
struct orders_snapshot {
  std::string business_id;
  std::int64_t seq = 0;
  std::string at;  ///< RFC 3339
  bool truncated = false;
  std::vector<open_order> orders;

  friend bool operator==(const orders_snapshot&, const orders_snapshot&) = default;
};

/// True for an order state a board or counter shows (pending_payment, paid, preparing, ready,
/// out_for_delivery).
bool is_open_state(order_state s) noexcept;

/// The order id a scanned ticket names (canonical lower-case UUID), or nullopt when the text is no
/// ticket payload. Accepted: the bare order UUID (what pickup tickets carry), or a URL whose path
/// ends in "/o/<uuid>" (the receipt's tracking QR), surrounding whitespace ignored.
std::optional<std::string> parse_ticket(std::string_view scanned);

/// The ticket QR payload for an order id (the id itself, lower case).
std::string ticket_payload(std::string_view order_id);

nlohmann::json to_json(const open_order& m);
nlohmann::json to_json(const order_action& m);
nlohmann::json to_json(const order_action_result& m);
nlohmann::json to_json(const orders_sync& m);
nlohmann::json to_json(const orders_snapshot& m);

result<open_order> decode_open_order(const nlohmann::json& j);
result<order_action> decode_order_action(const nlohmann::json& body);
result<order_action_result> decode_order_action_result(const nlohmann::json& body);
result<orders_sync> decode_orders_sync(const nlohmann::json& body);
result<orders_snapshot> decode_orders_snapshot(const nlohmann::json& body);

}  // namespace kh::protocol
