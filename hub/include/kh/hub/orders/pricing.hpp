#pragma once
// Server-side pricing. Pure functions over integers: the hub never trusts client totals and money
// never passes through a float.
//
// Rules (documented in docs and tested):
//   subtotal = Σ unit_price × qty                       (shelf prices as shown on the kiosk)
//   discount = percent: round(subtotal × bp / 10000)   fixed: min(value, subtotal)
//   net      = subtotal − discount                      (discount applies BEFORE tax)
//   tax, inclusive prices: round(net × rate / (10000 + rate))   total = net
//   tax, exclusive prices: round(net × rate / 10000)            total = net + tax
// Tax is computed ONCE on the order's net sum (not per line), so the receipt's tax line is the
// exact tax of the total; every rounding is half away from zero (commercial rounding).

#include <cstdint>
#include <optional>
#include <vector>

#include "kh/protocol/result.hpp"

namespace kh::hub {

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
  std::int64_t unit_price = 0;  ///< minor units
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

/// Prices an order. Fails with `internal` only on arithmetic overflow (prices are capped by the
/// schema, so that means corrupt data) or negative inputs.
protocol::result<order_totals> price_order(const std::vector<priced_line>& lines, const tax_rule& tax,
                                           const std::optional<discount_rule>& discount);

}  // namespace kh::hub
