#include "kh/kiosk/core/catalog_view.hpp"

namespace kh::kiosk {

catalog_view::catalog_view(protocol::catalog c) : catalog_(std::move(c)) {
  for (std::size_t i = 0; i < catalog_.products.size(); ++i) {
    const auto& p = catalog_.products[i];
    if (!p.sku.empty()) by_sku_.emplace(p.sku, i);  // emplace keeps the first on a duplicate
    by_id_.emplace(p.id, i);
  }
}

const protocol::product* catalog_view::find_sku(std::string_view sku) const {
  const auto it = by_sku_.find(std::string(sku));
  return it == by_sku_.end() ? nullptr : &catalog_.products[it->second];
}

const protocol::product* catalog_view::find_id(std::string_view id) const {
  const auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &catalog_.products[it->second];
}

}  // namespace kh::kiosk
