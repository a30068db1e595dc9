#pragma once
// Order placement (design step 3) and the order life cycle. Every public call is one write
// transaction on the store; the caller publishes answers only after the call returns, i.e. after
// the commit, so a crash can never lose an order that was answered.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kh/hub/orders/order_events.hpp"
#include "kh/hub/storage/store.hpp"
#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::hub {

/// Injectable wall clock (tests move time; production uses system_clock::now).
using clock_fn = std::function<std::chrono::system_clock::time_point()>;

/// What to send back for an order.submit, and what else changed.
struct placement {
  bool accepted = false;
  bool duplicate = false;  ///< a stored answer was replayed (nothing changed)
  bool stored = false;     ///< the answer is now stored for idempotency
  std::string type;        ///< "order.accepted" | "order.rejected"
  std::string body;        ///< exact JSON body bytes (identical on every replay)
  protocol::code code = protocol::code::internal;  ///< when rejected
  std::string business_id;                        ///< empty when the device is unknown
  /// Set for a newly accepted order: publish it on the business' orders topic.
  std::optional<protocol::order_status> status;
  /// `status` as JSON, the bytes stored in order_events (publish these; empty: serialise status).
  std::string status_body;
  /// Tracked stock changed (the retained catalog's stock/availability is now stale).
  bool stock_changed = false;
  /// An offline order was accepted although its stock ran out (see docs/protocol.md).
  bool stock_conflict = false;
};

/// One decoded order.submit and the device it came from (the identity from the MQTT topic).
struct order_submission {
  std::string device_id;
  protocol::order_submit req;
};

/// Result of a state change.
struct transition_outcome {
  std::string business_id;
  std::string device_id;
  protocol::order_status status;
  bool stock_changed = false;
};

class order_service {
 public:
  /// `clock` defaults to system_clock::now.
  explicit order_service(store& s, clock_fn clock = {});
  ~order_service();

  /// Places an order submitted by `device_id` (the identity taken from the MQTT topic).
  ///
  /// In one transaction: replays the stored answer for a known order_id (same device and same
  /// content; otherwise `order_conflict`, nothing stored), checks the device (unknown, disabled or
  /// board → `forbidden`, not stored), the store profile (`check_order`: order type, payment
  /// method, opening hours in the store's time zone, table / address, pickup slot), the
  /// discount code (`invalid_discount`), every product (`unknown_product`,
  /// `product_unavailable`, `out_of_stock` — quantities of repeated products are summed), the
  /// options of every line (`protocol::price_options`), the delivery minimum, takes the stock
  /// with conditional updates, prices (options, delivery fee), numbers (an offline order keeps
  /// its `local_number`), estimates the ETA, writes the order, its lines, its details, its first
  /// state-history row, a `new_order` outbox row and the answer. An offline order is accepted
  /// when stock ran out meanwhile: stock goes to zero (never below) and it is flagged
  /// `stock_conflict`.
  ///
  /// Rejections change nothing except storing the rejection answer: a resend of the same
  /// order_id gets the same rejection (a kiosk retries a rejected cart with a new order_id), so
  /// an outcome the customer has seen never flips. `internal` (database failure) is not stored:
  /// the client's resend is a real retry. Never throws.
  placement place(const std::string& device_id, const protocol::order_submit& req);

  /// Group commit: places every submission with `place()`, in order, inside ONE transaction
  /// (one commit, so one fsync with `--sync full`), each order in its own nested unit of work
  /// (a savepoint), so a rejection or an error undoes that order's writes alone. Returns one
  /// placement per submission, in order, after the commit: publish none of them before this
  /// returns. Stock, numbering, discounts and outbox rows come out exactly as if each order had
  /// its own transaction in the same sequence; the same order_id twice in one batch is one
  /// order, the second getting the first's answer byte for byte (`duplicate`). A single
  /// submission is just `place()`. If the batch cannot be committed (or an order fails with
  /// `internal`, which may mean SQLite ended the transaction), nothing of it is kept and each
  /// order is placed again in a transaction of its own, so one bad order never costs the others
  /// their answer. Never throws. Defined in order_batch.cpp.
  std::vector<placement> place_batch(const std::vector<order_submission>& batch);

  /// Moves an order to `to` if `can_transition` allows it, records who/when (`actor`, e.g.
  /// "device:counter-1", "web:staff:<id>", "system:expiry") in the history, maintains the queue
  /// counter, releases stock when a pending order is cancelled (or, with `restock`, on a refund),
  /// and stores the business' next order event (`order_event_log::append`) in the same
  /// transaction; the returned status carries its seq and the whole order: publish it after this
  /// returns. Fails with `invalid_transition` (or `already_collected`) for a disallowed change,
  /// `unknown_order` when the order does not exist, `internal` on a database failure. Called
  /// inside a caller's unit of work it is a nested one. Never throws.
  protocol::result<transition_outcome> transition(const std::string& order_id, protocol::order_state to,
                                                  const std::string& actor, const std::string& reason = {},
                                                  bool restock = false);

  /// Cancels orders still `pending_payment` created more than `older_than` ago (default 15 min),
  /// releasing their stock; at most `limit` per call (the caller's timer calls again).
  std::vector<transition_outcome> expire_unpaid(std::chrono::minutes older_than = std::chrono::minutes(15),
                                                int limit = 200);

  std::chrono::system_clock::time_point now() const { return clock_(); }

  /// The answer stored for an order_id, as a resend gets it: a rejection from order_answers, an
  /// acceptance rebuilt from the order's row by the function that first made it (byte for byte,
  /// the tracking URL from the current public URL), or an acceptance stored in order_answers
  /// before schema v14. nullopt when the id was never answered with a stored answer.
  std::optional<stored_answer> answer_for(const std::string& order_id);

  /// Public base URL of the hub ("https://cafe.example", no trailing slash; default empty: no
  /// tracking URL). `order.accepted` then carries "<base>/o/<order_id>".
  void set_public_url(std::string base);
  const std::string& public_url() const noexcept { return public_url_; }
  /// The business event stream on the writer's connection (writer thread only).
  order_event_log& events() noexcept { return *events_; }
  store& db() noexcept { return store_; }

  /// Most units of stock-tracked products one device may hold in orders still pending payment
  /// (default 100; 0: no cap). An order that would go past it is answered `hold_limit`
  /// (retryable, not stored): once earlier orders are paid or expire, the resend goes through.
  void set_unpaid_hold_limit(std::int64_t units) noexcept { hold_limit_ = units; }

  /// Told after every write attempt of `place` and `transition`: ok, or the database's error text
  /// (disk full, I/O error, …). The hub's health reflects the last one.
  using write_observer = std::function<void(bool ok, const std::string& error)>;
  void set_write_observer(write_observer f) { on_write_ = std::move(f); }
  std::int64_t unpaid_hold_limit() const noexcept { return hold_limit_; }

 private:
  placement reject(const std::string& device_id, const protocol::order_submit& req, const std::string& fp,
                   const std::string& business_id, protocol::problem p, bool store_answer);
  // The order.accepted body of an order as place() accepted it (state pending_payment).
  std::string accepted_body(const order_record& o) const;
  // What placement reads of a business besides products and stock (profile, option groups,
  // availability), kept per business while its shop_generation stays (order_service.cpp).
  struct shop_view;
  shop_view& shop_of(const business_record& b);
  std::unordered_map<std::string, std::unique_ptr<shop_view>> shops_;
  store& store_;
  clock_fn clock_;
  std::string public_url_;
  std::unique_ptr<order_event_log> events_;
  std::int64_t hold_limit_ = 100;
  write_observer on_write_;
  bool in_batch_ = false;  // place() runs inside place_batch's transaction: its commit is not yet durable
  void wrote(bool ok, const std::string& error = {}) noexcept;
};

/// Stable 64-bit FNV-1a fingerprint (hex) of the canonical JSON of a request.
std::string request_fingerprint(const protocol::order_submit& req);

}  // namespace kh::hub
