#include "kh/hub/orders/order_transitions.hpp"

#include <vector>

namespace kh::hub {

using protocol::code;
using protocol::make_problem;
using protocol::order_state;
using protocol::order_type;
using protocol::staff_action;

// The state table (docs/protocol.md). Everything else in the hub asks this function.
bool can_transition(order_state from, order_state to, order_type type) noexcept {
  using S = order_state;
  const bool delivery = type == order_type::delivery;
  switch (from) {
    case S::pending_payment: return to == S::paid || to == S::cancelled;
    case S::paid: return to == S::preparing || to == S::refunded;
    case S::preparing: return to == S::ready || to == S::refunded;
    case S::ready:
      return (to == S::collected && !delivery) || (to == S::out_for_delivery && delivery) ||
             to == S::refunded;
    case S::out_for_delivery: return to == S::delivered || to == S::refunded;
    case S::collected:
    case S::delivered: return to == S::refunded;
    case S::cancelled:
    case S::refunded: return false;
  }
  return false;
}

std::string order_actor::label() const {
  switch (k) {
    case kind::device: return "device:" + id;
    case kind::web: return "web:" + id;
    case kind::system: return "system:" + id;
  }
  return id;
}

std::string actor_display(const std::string& label) {
  if (label.rfind("device:", 0) == 0) return label.substr(7);
  return label;
}

namespace {
protocol::problem invalid(order_state from, std::optional<order_state> to, staff_action a) {
  nlohmann::json d{{"from", protocol::to_string(from)}, {"action", protocol::to_string(a)}};
  if (to) d["to"] = protocol::to_string(*to);
  return make_problem(code::invalid_transition,
                      std::string("cannot ") + action_label(a) + " an order that is " + protocol::to_string(from),
                      std::move(d));
}
}  // namespace

protocol::result<order_state> action_target(staff_action a, order_state from, order_type type) {
  using S = order_state;
  if (from == S::collected) {
    return make_problem(code::already_collected, "the order was collected already", nlohmann::json::object());
  }
  std::optional<order_state> to;
  switch (a) {
    case staff_action::preparing: to = S::preparing; break;
    case staff_action::ready: to = S::ready; break;
    case staff_action::out_for_delivery: to = S::out_for_delivery; break;
    case staff_action::delivered: to = S::delivered; break;
    case staff_action::collect: to = S::collected; break;
    case staff_action::take_cash: to = S::paid; break;
    case staff_action::cancel:
      to = from == S::pending_payment ? S::cancelled : S::refunded;
      // After hand-over (out for delivery, delivered) a cancel is no longer a staff action.
      if (from == S::out_for_delivery || from == S::delivered || from == S::cancelled || from == S::refunded)
        return invalid(from, to, a);
      break;
  }
  // An unpaid order is paid (or cancelled) first; a paid one must be ready before hand-over.
  if (from == S::pending_payment && a != staff_action::take_cash && a != staff_action::cancel) {
    return make_problem(code::not_paid, "the order is not paid yet", {{"state", protocol::to_string(from)}});
  }
  if (a == staff_action::collect && type != order_type::delivery && (from == S::paid || from == S::preparing)) {
    return make_problem(code::not_ready, "the order is not ready yet", {{"state", protocol::to_string(from)}});
  }
  if (!can_transition(from, *to, type)) return invalid(from, to, a);
  return *to;
}

std::vector<staff_action> allowed_actions(order_state from, order_type type) {
  std::vector<staff_action> out;
  for (auto a : {staff_action::take_cash, staff_action::preparing, staff_action::ready, staff_action::collect,
                 staff_action::out_for_delivery, staff_action::delivered, staff_action::cancel}) {
    if (action_target(a, from, type).ok()) out.push_back(a);
  }
  return out;
}

const char* action_label(staff_action a) noexcept {
  switch (a) {
    case staff_action::preparing: return "Preparing";
    case staff_action::ready: return "Ready";
    case staff_action::out_for_delivery: return "Out for delivery";
    case staff_action::delivered: return "Delivered";
    case staff_action::collect: return "Collected";
    case staff_action::take_cash: return "Take cash";
    case staff_action::cancel: return "Cancel";
  }
  return "?";
}

}  // namespace kh::hub
