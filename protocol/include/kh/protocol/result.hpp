#pragma once
// A small result type: expected outcomes (bad input, out of stock, …) are values, not exceptions.

#include <string>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

namespace kh::protocol {

/// Machine codes carried by `error` and `order.rejected` replies. The wire form is the snake_case
/// word returned by `to_string(code)`; tooling outside the project matches on it.
enum class code {
  malformed,            ///< not JSON, wrong types, missing fields, bad UUID, …
  unsupported_version,  ///< envelope "v" is not 1
  too_large,            ///< payload over 64 KiB
  unknown_type,         ///< message type not known for this direction
  invalid_quantity,     ///< qty <= 0 or > 99
  too_many_lines,       ///< more than 100 lines
  empty_order,          ///< no lines
  unknown_product,      ///< product id not in the business' catalog
  product_unavailable,  ///< product exists but is inactive
  out_of_stock,         ///< not enough units on hand
  business_closed,      ///< outside opening hours
  invalid_discount,     ///< unknown or expired discount code
  forbidden,            ///< device id / topic mismatch, unknown or disabled device
  order_conflict,       ///< order_id reused with different content
  internal,             ///< the hub failed (database, disk); retryable
  busy,                 ///< the hub's intake is full; retryable
  rate_limited,         ///< this device placed too many orders too fast; retryable
  hold_limit,           ///< this device holds too much stock in unpaid orders; retryable
  order_type_unavailable,  ///< the store does not offer this order type
  payment_unavailable,     ///< the store does not offer this payment method
  invalid_slot,            ///< pickup slot missing, too soon, misaligned or outside opening hours
  below_minimum,           ///< delivery order under the store's minimum
  missing_detail,          ///< table number or delivery address required but not given
  unknown_option,          ///< option group or choice not on the product
  option_unavailable,      ///< the choice exists but is not available now
  too_many_choices,        ///< more choices in a group than its max (or a choice twice)
  missing_choice,          ///< fewer choices in a group than its min (a required group)
  unknown_order,           ///< feedback or a staff action for an order the hub does not know
  // Staff actions (order.action.result); all final.
  not_paid,             ///< the action needs a paid order; this one is pending_payment
  not_ready,            ///< collect of an order that is not ready yet
  already_collected,    ///< collected before; details.at, details.by
  invalid_transition,   ///< the state rules do not allow this change; details.from, details.to
  insufficient_cash,    ///< take_cash with tendered below the total; details.due, details.tendered
  invalid_ticket,       ///< scanned text is not a ticket payload (or names another order)
  not_available_now,    ///< the product has availability windows and now is outside them
};
/// The last code, for iteration (tests, tables).
inline constexpr code last_code = code::not_available_now;

/// The one rule for answers, applied the same way by hub and kiosk: a code is either **final**
/// (the answer settles the order: the client stops resending that order_id and shows the result)
/// or **retryable** (nothing was stored; the client keeps the order and resends the same
/// order_id with backoff). Whether the answer came as `order.rejected` or `error` does not matter.
/// Retryable: internal, busy, rate_limited, hold_limit. Everything else is final.
constexpr bool is_retryable(code c) noexcept {
  return c == code::internal || c == code::busy || c == code::rate_limited || c == code::hold_limit;
}

/// Wire word of a code, e.g. "out_of_stock".
const char* to_string(code c) noexcept;
/// Parses a wire word; false when unknown.
bool from_string(std::string_view s, code& out) noexcept;

/// An expected failure: a machine code, a human message and optional details (e.g. the field).
struct problem {
  protocol::code code = protocol::code::malformed;
  std::string message;
  nlohmann::json details = nlohmann::json::object();
};

template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}                      // NOLINT: implicit on purpose
  result(problem p) : v_(std::move(p)) {}                        // NOLINT
  explicit operator bool() const noexcept { return v_.index() == 0; }
  bool ok() const noexcept { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const problem& error() const& { return std::get<1>(v_); }
  problem&& error() && { return std::get<1>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

 private:
  std::variant<T, problem> v_;
};

inline problem make_problem(code c, std::string message, nlohmann::json details = nlohmann::json::object()) {
  return problem{c, std::move(message), std::move(details)};
}

}  // namespace kh::protocol
