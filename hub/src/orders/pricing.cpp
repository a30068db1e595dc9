#include "kh/hub/orders/pricing.hpp"

#include <algorithm>

#include "kh/protocol/money.hpp"

namespace kh::hub {

std::int64_t mul_div_round(std::int64_t num, std::int64_t mul, std::int64_t den) noexcept {
  // Split num = q·den + r so that num·mul/den = q·mul + r·mul/den; r·mul stays small.
  const std::int64_t q = num / den;
  const std::int64_t r = num % den;
  return q * mul + protocol::div_round_half_away(r * mul, den);
}

protocol::result<order_totals> price_order(const std::vector<priced_line>& lines, const tax_rule& tax,
                                           const std::optional<discount_rule>& discount) {
  using protocol::code;
  using protocol::make_problem;
  if (tax.rate_bp < 0 || tax.rate_bp > 100000) return make_problem(code::internal, "tax rate out of range");
  order_totals t;
  for (const auto& l : lines) {
    if (l.unit_price < 0 || l.qty < 0) return make_problem(code::internal, "negative price or quantity");
    std::int64_t line = 0;
    if (__builtin_mul_overflow(l.unit_price, l.qty, &line) ||
        __builtin_add_overflow(t.subtotal, line, &t.subtotal)) {
      return make_problem(code::internal, "order total overflows");
    }
  }
  // Keep every later product (amount × rate) far from int64 limits.
  if (t.subtotal > 1'000'000'000'000'000) return make_problem(code::internal, "order total overflows");

  if (discount) {
    if (discount->value < 0) return make_problem(code::internal, "negative discount");
    if (discount->kind == discount_kind::percent) {
      const std::int64_t bp = std::min<std::int64_t>(discount->value, 10000);
      t.discount = mul_div_round(t.subtotal, bp, 10000);
    } else {
      t.discount = std::min(discount->value, t.subtotal);
    }
  }
  const std::int64_t net = t.subtotal - t.discount;
  if (tax.inclusive) {
    t.tax = mul_div_round(net, tax.rate_bp, 10000 + tax.rate_bp);
    t.total = net + t.delivery_fee;
  } else {
    t.tax = mul_div_round(net, tax.rate_bp, 10000);
    t.total = net + t.tax + t.delivery_fee;
  }
  return t;
}

}  // namespace kh::hub
