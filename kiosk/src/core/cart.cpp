#include "kh/kiosk/core/cart.hpp"

#include <string>

#include "kh/protocol/pricing.hpp"

namespace kh::kiosk {

namespace lim = protocol::limits;

namespace {
bool qty_ok(int q) {
  return q >= lim::min_qty && q <= lim::max_qty;
}
failure bad_qty(int q) {
  return fail(errc::invalid_quantity, "quantity " + std::to_string(q) + " is outside " +
                                          std::to_string(lim::min_qty) + ".." +
                                          std::to_string(lim::max_qty));
}
}  // namespace

outcome<bool> cart::add(const protocol::product& p, int qty, std::string note,
                        std::vector<protocol::line_option> options) {
  if (!qty_ok(qty)) return bad_qty(qty);
  const auto unit = protocol::price_options(p.price.amount, p.option_groups, options);
  if (!unit) return fail(errc::invalid_options, unit.error().message);
  for (auto& l : lines_) {
    if (l.product_id == p.id && l.note == note && l.options == options) {
      // Merged quantities obey the same per-line limit the hub enforces.
      if (!qty_ok(l.qty + qty)) return bad_qty(l.qty + qty);
      l.qty += qty;
      return true;
    }
  }
  if (lines_.size() >= lim::max_lines) {
    return fail(errc::too_many_lines,
                "an order has at most " + std::to_string(lim::max_lines) + " lines");
  }
  lines_.push_back(cart_line{p.id, p.sku, p.name, protocol::money{*unit, p.price.currency}, qty,
                             std::move(note), std::move(options)});
  return true;
}

outcome<bool> cart::add_sku(const catalog_view& view, std::string_view sku, int qty) {
  const auto* p = view.find_sku(sku);
  if (p == nullptr)
    return fail(errc::unknown_sku, "no product with SKU '" + std::string(sku) + "' in the catalog");
  return add(*p, qty);
}

outcome<bool> cart::set_qty(std::size_t line, int qty) {
  if (line >= lines_.size()) return fail(errc::bad_command, "no cart line " + std::to_string(line));
  if (qty == 0) {
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(line));
    return true;
  }
  if (!qty_ok(qty)) return bad_qty(qty);
  lines_[line].qty = qty;
  return true;
}

protocol::money cart::estimated_total() const {
  protocol::money m;
  if (!lines_.empty()) m.currency = lines_.front().unit_price.currency;
  for (const auto& l : lines_) m.amount += l.unit_price.amount * l.qty;
  return m;
}

outcome<protocol::order_submit> cart::to_submit(std::string order_id, protocol::order_type type,
                                                protocol::payment_method payment) const {
  if (lines_.empty()) return fail(errc::empty_order, "the cart is empty");
  protocol::order_submit s;
  s.order_id = std::move(order_id);
  s.type = type;
  s.payment = payment;
  s.lines = order_lines();
  return s;
}

std::vector<protocol::order_line> cart::order_lines() const {
  std::vector<protocol::order_line> out;
  out.reserve(lines_.size());
  for (const auto& l : lines_) out.push_back(protocol::order_line{l.product_id, l.qty, l.note, l.options});
  return out;
}

}  // namespace kh::kiosk
