#pragma once
// Pricing rules shared by the hub (which prices every order and quote) and the kiosk (which
// shows an offline estimate with the same code). Pure functions over integers: money never passes
// through a float.
//
//   unit     = product price + Σ price_delta of the chosen options   (validated, see below)
//   subtotal = Σ unit × qty
//   discount = percent: round(subtotal × bp / 10000)   fixed: min(value, subtotal)
//   net      = subtotal − discount                      (discount applies BEFORE tax)
//   tax, inclusive prices: round(net × rate / (10000 + rate))   total = net + delivery_fee
//   tax, exclusive prices: round(net × rate / 10000)            total = net + tax + delivery_fee
// Tax is computed ONCE on the order's net sum (not per line); the delivery fee is a flat gross
// amount outside the tax base; every rounding is half away from zero (commercial rounding).

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::protocol {

struct tax_rule {
  std::int64_t rate_bp = 0;  ///< basis points: 1000 = 10 %
  bool inclusive = true;     ///< prices already include tax (EU shelf prices)
};

enum class discount_kind { percent, fixed };

struct discount_rule {
  discount_kind kind = discount_kind::percent;
  std::int64_t value = 0;  ///< percent: basis points (≤ 10000); fixed: minor units
};

struct priced_line {
  std::int64_t unit_price = 0;  ///< minor units, options included
  std::int64_t qty = 0;
};

struct order_totals {
  std::int64_t subtotal = 0;
  std::int64_t discount = 0;
  std::int64_t tax = 0;
  std::int64_t delivery_fee = 0;
  std::int64_t total = 0;

  friend bool operator==(const order_totals&, const order_totals&) = default;
};

/// round(num × mul / den), half away from zero, without intermediate overflow for the ranges
/// used here (num ≤ 10^15, mul ≤ 10^5). Precondition: den > 0.
std::int64_t mul_div_round(std::int64_t num, std::int64_t mul, std::int64_t den) noexcept;

/// Prices an order. `delivery_fee` (default 0) is added to the total. Fails with `internal` only
/// on arithmetic overflow (prices are capped by the schema, so that means corrupt data) or
/// negative inputs.
result<order_totals> price_order(const std::vector<priced_line>& lines, const tax_rule& tax,
                                 const std::optional<discount_rule>& discount,
                                 std::int64_t delivery_fee = 0);

/// Checks the options picked on one line against the product's groups and returns the unit price
/// (base + deltas). Codes, with details {group_id, option_id, min, max, count} as they apply:
///   unknown_option      a group or choice the product does not have
///   option_unavailable  the choice exists but is not available
///   too_many_choices    more than the group's max, or the same choice twice
///   missing_choice      fewer than the group's min (a required group left empty)
/// A choice marked `default` is NOT implied: the client sends what the customer chose.
result<std::int64_t> price_options(std::int64_t base_price, const std::vector<option_group>& groups,
                                   const std::vector<line_option>& picked);

/// The store-independent part of a quote: every line checked against `c` (unknown_product,
/// product_unavailable, out_of_stock with summed quantities, the option rules above), the order
/// type and delivery minimum against `c.profile`, and the totals by the profile's tax rule (no
/// profile: tax 0, every order type offered). Lines with a problem are left out of the totals.
/// `discount` is what the caller found for q.discount_code (the kiosk: nullopt). Not checked here
/// (the hub adds them): opening hours, pickup slots, whether the discount code exists.
/// With `at` (now) and a profile, a product outside its availability windows gets
/// not_available_now on its line (checked at `availability_instant(q.type, q.pickup_at, *at)`).
order_quoted quote_cart(const catalog& c, const order_quote& q,
                        const std::optional<discount_rule>& discount = std::nullopt,
                        std::optional<std::chrono::system_clock::time_point> at = std::nullopt);

/// Adds an order-level problem to `q`, clearing `ok`.
void add_problem(order_quoted& q, code c, std::string message,
                 nlohmann::json details = nlohmann::json::object());

}  // namespace kh::protocol
