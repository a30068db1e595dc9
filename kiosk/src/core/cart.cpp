#include "kh/kiosk/core/cart.hpp"

#include <string>

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

outcome<bool> cart::add(const protocol::product& p, int qty, std::string note) {
  if (!qty_ok(qty)) return bad_qty(qty);
  for (auto& l : lines_) {
    if (l.product_id == p.id && l.note == note) {
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
  lines_.push_back(cart_line{p.id, p.sku, p.name, p.price, qty, std::move(note)});
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
  s.lines.reserve(lines_.size());
  for (const auto& l : lines_) s.lines.push_back(protocol::order_line{l.product_id, l.qty, l.note});
  return s;
}

}  // namespace kh::kiosk
