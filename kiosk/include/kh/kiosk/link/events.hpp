#pragma once
// What the link tells its front-ends. Delivered on the link's own thread, in order.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "kh/protocol/messages.hpp"
#include "kh/protocol/staff.hpp"

namespace kh::kiosk {

namespace events {
/// The broker connection came up (after subscriptions) or went down.
struct connection {
  bool connected = false;
};
/// A catalog became current: a newer version, or the first delivery in this run (which may repeat
/// the cached version, confirming it is still the hub's).
struct catalog {
  std::string business_id;
  std::int64_t version = 0;
};
/// The business id was learned from a catalog on the device's own down/ topic.
struct business {
  std::string business_id;
};
/// The hub answered one of our orders (exactly once per order).
struct order_answer {
  enum class kind { accepted, rejected, failed };
  kind outcome = kind::accepted;
  std::string order_id;
  std::optional<protocol::order_accepted> accepted;  ///< set for accepted
  std::optional<protocol::rejection>
      rejection;  ///< set for rejected (order.rejected) and failed (error)
};
/// An order.status from the hub. `own` is true for this kiosk's orders (their tracking state was
/// updated); the others are the business' orders, which board and counter modes display.
struct order_status {
  protocol::order_status status;
  bool own = false;
};
/// Prices for a cart: the hub's answer to engine::quote (from_hub = true), or nothing else — the
/// offline estimate is returned by engine::quote itself. A UI shows the one whose quote_id is its
/// latest and drops older ones.
struct quoted {
  protocol::order_quoted quote;
  bool from_hub = true;
};
/// The business' open orders (answer to orders.sync), for board and counter modes.
struct orders_snapshot {
  protocol::orders_snapshot snapshot;
};
/// The hub's answer to one of our staff actions (counter mode).
struct action_result {
  protocol::order_action_result result;
};
}  // namespace events

using link_event = std::variant<events::connection, events::catalog, events::business,
                                events::order_answer, events::order_status, events::quoted,
                                events::orders_snapshot, events::action_result>;

}  // namespace kh::kiosk
