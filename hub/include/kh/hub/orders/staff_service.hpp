#pragma once
// Staff actions on orders (counter devices over MQTT, and the web dashboard): one service on the
// writer, so kiosks, boards and the dashboard never disagree. Rules: order_transitions.hpp;
// contract: docs/protocol.md "Staff actions, order snapshot and sequence".

#include <optional>
#include <string>

#include "kh/hub/orders/order_service.hpp"
#include "kh/hub/orders/order_transitions.hpp"
#include "kh/protocol/staff.hpp"

namespace kh::hub {

/// What a staff action did; publish after the call returns (it has committed).
struct staff_outcome {
  protocol::order_action_result result;
  std::string body;        ///< result as JSON, exactly as stored and sent (replayed on a repeat)
  bool duplicate = false;  ///< the same action_id came before: its stored answer, nothing changed
  /// The state change, when there was one: publish change->status on the business' orders topic
  /// (and the ordering device's down/order.status).
  std::optional<transition_outcome> change;
};

class staff_service {
 public:
  explicit staff_service(order_service& orders) : orders_(orders) {}

  /// An action from `device_id` (the identity in the MQTT topic). The device must be a registered,
  /// enabled counter with a business (else `forbidden`, nothing stored), and the order of that
  /// business (`forbidden`, details.reason "other_business"). In one transaction: replays the
  /// stored answer of a known action_id; resolves the order (ticket → `invalid_ticket`, none →
  /// `unknown_order`); asks `action_target`; take_cash checks the tendered amount (currency →
  /// `malformed`, short → `insufficient_cash`), records the cash payment and sets the method to
  /// cash; moves the order through `order_service::transition` (history, stock, seq event);
  /// stores the answer. `internal` (database failure) is not stored: the resend is a real retry.
  /// Never throws.
  staff_outcome device_action(const std::string& device_id, const protocol::order_action& a);

  /// The same for a dashboard user of `business_id` (already signed in and scoped by the web);
  /// `actor` is the account ("owner:<id>", "staff:<id>"), recorded as "web:<actor>".
  staff_outcome web_action(const std::string& business_id, const std::string& actor, const protocol::order_action& a);

  /// orders.sync: every open order of the device's business with the seq it reflects; `forbidden`
  /// unless the device is an enabled counter or board with a business.
  protocol::result<protocol::orders_snapshot> snapshot_for(const std::string& device_id);

 private:
  staff_outcome apply(const std::string& business_id, const order_actor& who, const protocol::order_action& a);
  order_service& orders_;
};

}  // namespace kh::hub
