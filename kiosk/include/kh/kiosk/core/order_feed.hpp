#pragma once
// The business' open orders as boards and counters see them: a snapshot from the hub, then
// order.status events carrying a per-business sequence number. Pure (no SDL/MQTT/SQL). A gap in
// the sequence (an event lost while offline, a missed message) is detected here and the screen asks
// for a new snapshot; events older than what is shown are ignored, so a late duplicate never moves
// an order back.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kh/protocol/messages.hpp"

namespace kh::kiosk {

/// One line of an open order, as the counter shows it.
struct feed_line {
  int qty = 1;
  std::string product_id;
  std::string name;
  std::string category_id;           ///< for counter routing (bar vs kitchen)
  std::vector<std::string> options;  ///< option names, in the customer's order
  std::string note;
  friend bool operator==(const feed_line&, const feed_line&) = default;
};

/// An order that is not finished yet (or just finished: the event that removes it).
struct feed_order {
  std::string order_id;
  std::string number;  ///< "A-042"
  protocol::order_state state = protocol::order_state::paid;
  protocol::order_type type = protocol::order_type::takeaway;
  protocol::payment_method payment = protocol::payment_method::card_present;
  std::string customer;  ///< customer name, may be empty
  std::vector<feed_line> lines;
  protocol::money total{0, "EUR"};
  std::int64_t placed_ms = 0;   ///< wall clock (ms since the epoch) the order was placed
  std::int64_t changed_ms = 0;  ///< wall clock of the last state change (0: unknown)
  std::string by_device;        ///< device of the last staff action (e.g. "counter-1"), may be empty
  friend bool operator==(const feed_order&, const feed_order&) = default;
};

/// True for states a board or counter shows: pending_payment (counter only, cash), paid,
/// preparing, ready, out_for_delivery.
bool is_open(protocol::order_state s) noexcept;

class order_feed {
 public:
  enum class outcome {
    applied,  ///< the event changed (or confirmed) the orders
    stale,    ///< seq at or below the one already applied: ignored
    gap,      ///< seq skipped one or more events: applied, but a snapshot is needed
    unsynced  ///< no snapshot yet: ignored (the snapshot will carry it)
  };
  /// Replaces everything with the hub's snapshot (open orders as of `seq`).
  void snapshot(std::int64_t seq, std::vector<feed_order> orders);
  /// One order.status with the business' `seq`. Orders in a finished state leave.
  outcome status(std::int64_t seq, const feed_order& o);
  /// Forget everything (not synced any more): a board whose data went stale.
  void clear();

  bool synced() const noexcept { return synced_; }
  std::int64_t seq() const noexcept { return seq_; }
  const std::map<std::string, feed_order>& orders() const noexcept { return orders_; }
  const feed_order* find(const std::string& order_id) const;
  /// Open orders sorted by placement time (oldest first), then number.
  std::vector<const feed_order*> sorted() const;

 private:
  bool synced_ = false;
  std::int64_t seq_ = 0;
  std::map<std::string, feed_order> orders_;
};

}  // namespace kh::kiosk
