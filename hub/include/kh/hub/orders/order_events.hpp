#pragma once
// The business' order event stream: every order.status the hub publishes on
// kh/v1/b/{business}/orders gets the business' next `seq` and is stored (order_events) in the
// transaction of the change, so screens (orders.sync) and the dashboard's live stream
// (Last-Event-ID) resume from the database and never see an event twice or miss one.
//
// Works on any connection: `append` on the writer's, inside its transaction; the reads also on
// the web's read-only connections.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kh/hub/storage/sqlite.hpp"
#include "kh/hub/storage/store.hpp"
#include "kh/protocol/messages.hpp"
#include "kh/protocol/staff.hpp"

namespace kh::hub {

class order_event_log {
 public:
  explicit order_event_log(sqlite::connection& db) : db_(db) {}

  /// Writer, inside the change's transaction (after the order row has its new state): takes the
  /// business' next seq, stores the event and returns it, with the whole order in `order`.
  /// Throws sqlite::error (the caller's transaction then rolls back) or std::runtime_error for an
  /// unknown order.
  protocol::order_status append(const std::string& order_id, std::optional<protocol::order_state> previous,
                                const std::string& by, std::int64_t at_ms);

  /// What placing an order takes from its business row, in one UPDATE and one read by key.
  struct new_order_slot {
    std::int64_t event_seq = 0;  ///< the new order's event seq
    std::int64_t order_seq = 0;  ///< the day's next order number; 0 when not taken here
  };
  /// Writer, inside the placement's transaction, before the order is written: takes the
  /// business' next event seq, adds `queue_delta` to its queue counter and, when `day` is given
  /// and is the day the row counts (business_repository::next_order_seq), the day's next order
  /// number. order_seq 0 (no `day`, or a new day): the caller takes the number from
  /// next_order_seq. Throws for an unknown business.
  new_order_slot claim_new(const std::string& business_id, const std::string* day, std::int64_t queue_delta);

  /// Writer, inside the placement's transaction, for an order just written (`o` with its lines,
  /// `details` as stored) with the seq claim_new gave: the same event `append(o.id, nullopt,
  /// by, at_ms)` would store, built from what the caller holds instead of reading the order back
  /// (five statements fewer per order). `body` gets the event's JSON body as stored (publish it
  /// as is: one serialisation per event).
  protocol::order_status append_new(const order_record& o, const order_details& details,
                                    const std::string& by, std::int64_t at_ms, std::int64_t seq,
                                    std::string& body);

  /// The order as screens show it (lines, options, customer name, paid time, …), or nullopt.
  std::optional<protocol::open_order> open_order(const std::string& order_id);

  /// The business' last seq (0 before its first event).
  std::int64_t last_seq(const std::string& business_id);

  struct stored_event {
    std::int64_t seq = 0;
    std::string order_id;
    std::string body;  ///< order.status body as published
    std::int64_t at_ms = 0;
  };
  /// Events with seq > `after`, oldest first, at most `limit`.
  std::vector<stored_event> since(const std::string& business_id, std::int64_t after, int limit);

  /// Every open order of the business, oldest first (at most limits::max_snapshot_orders), and
  /// the seq they reflect. Consistent when run inside one transaction (the writer's, or a read
  /// transaction).
  protocol::orders_snapshot snapshot(const std::string& business_id, std::int64_t now_ms);

 private:
  sqlite::connection& db_;
};

}  // namespace kh::hub
