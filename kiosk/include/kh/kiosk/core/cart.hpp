#pragma once
// The customer's cart: products and quantities, validated against the protocol's limits, turned
// into an order.submit. Pure: no I/O. Prices shown here are informative only; the hub prices every
// order itself.

#include <string>
#include <string_view>
#include <vector>

#include "kh/kiosk/core/catalog_view.hpp"
#include "kh/kiosk/core/error.hpp"
#include "kh/protocol/messages.hpp"

namespace kh::kiosk {

struct cart_line {
  std::string product_id;
  std::string sku;
  std::string name;
  protocol::money unit_price;  ///< base price plus the chosen options' deltas
  int qty = 0;
  std::string note;
  std::vector<protocol::line_option> options;  ///< as chosen, in the order chosen
};

class cart {
 public:
  /// Adds qty units of a product (merged with an existing line for the same product and note).
  /// Fails with invalid_quantity when qty or the merged quantity leaves 1..99, too_many_lines when
  /// a new line would exceed 100 lines. A failed add changes nothing.
  /// Options are checked with the protocol's own rules (kh::protocol::price_options, the code the
  /// hub prices with): an unknown, unavailable or missing choice fails with invalid_options.
  outcome<bool> add(const protocol::product& p, int qty, std::string note = {},
                    std::vector<protocol::line_option> options = {});
  /// Resolves a SKU in the view first (unknown_sku when absent), then adds as above.
  outcome<bool> add_sku(const catalog_view& view, std::string_view sku, int qty);
  /// Sets the quantity of a line; 0 removes it. invalid_quantity outside 0..99.
  outcome<bool> set_qty(std::size_t line, int qty);
  void clear() noexcept { lines_.clear(); }

  const std::vector<cart_line>& lines() const noexcept { return lines_; }
  bool empty() const noexcept { return lines_.empty(); }
  /// Sum of unit price × qty (display only). Currency of the first line; 0 EUR when empty.
  protocol::money estimated_total() const;

  /// The lines as protocol order lines (for order.submit and order.quote).
  std::vector<protocol::order_line> order_lines() const;
  /// Builds an order.submit with the given id. empty_order when the cart is empty.
  outcome<protocol::order_submit> to_submit(std::string order_id, protocol::order_type type,
                                            protocol::payment_method payment) const;

 private:
  std::vector<cart_line> lines_;
};

}  // namespace kh::kiosk
