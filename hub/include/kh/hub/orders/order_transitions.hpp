#pragma once
// The one place that owns the order state rules: which state changes exist (`can_transition`,
// declared in order_rules.hpp), what each staff action asks for, and the machine code of every
// refusal. Pure: the services apply these inside their transactions; kiosks' counters, the web
// dashboard and the hub's own expiry all go through them (docs/protocol.md, "Order states and
// transitions").

#include <optional>
#include <string>

#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::hub {

/// Who changes an order. `label()` is what the order history and `order.status.by` record.
struct order_actor {
  enum class kind { device, web, system };
  kind k = kind::system;
  std::string id;  ///< device id, web account ("owner:<id>" / "staff:<id>"), or "expiry", "payment"

  static order_actor device(std::string id) { return {kind::device, std::move(id)}; }
  static order_actor web(std::string id) { return {kind::web, std::move(id)}; }
  static order_actor system(std::string id) { return {kind::system, std::move(id)}; }
  /// "device:counter-1", "web:staff:…", "system:expiry".
  std::string label() const;
};

/// The device's id from a history label "device:<id>", else the label itself (what
/// `already_collected.details.by` shows: "counter-1", "web:staff:…").
std::string actor_display(const std::string& label);

/// The state a staff action moves an order in `from` (of `type`) to, or the refusal:
/// `not_paid`, `not_ready`, `already_collected` (details left for the caller: at, by) or
/// `invalid_transition` (details.from, details.to). Every result it gives is allowed by
/// `can_transition`.
protocol::result<protocol::order_state> action_target(protocol::staff_action a, protocol::order_state from,
                                                      protocol::order_type type);

/// The states a staff action can reach from `from` (for the buttons a screen shows), in the order
/// a screen lists them.
std::vector<protocol::staff_action> allowed_actions(protocol::order_state from, protocol::order_type type);

/// Human word of an action for buttons: "Preparing", "Ready", "Collected", "Take cash", …
const char* action_label(protocol::staff_action a) noexcept;

}  // namespace kh::hub
